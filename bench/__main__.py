"""`python -m bench [run|report|load]` with DJANGO_SETTINGS_MODULE=bench.settings (the
Makefile sets it). `run` runs all four benchmarks and writes docs/benchmarks.md; `report`
rewrites docs/benchmarks.md from the last results; `load` is the full load run (100
simulated participants for 60 s against gunicorn)."""

import argparse
import json
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

# A private PostgreSQL and Redis for this run, stopped when it ends: the benchmarks drop and
# create databases, so they never touch the machine's own services.
from tests.services import private_services_start  # noqa: E402

private_services_start(database="rapport_bench")

import django  # noqa: E402

django.setup()

from . import report, runner  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("command", choices=["run", "report", "load"], nargs="?", default="run")
    parser.add_argument("--dispatch", type=int, default=5_000, help="due deliveries (0: skip)")
    parser.add_argument(
        "--others", default="200x500x6", help="benchmark 4: agencies x participants x weeks"
    )
    parser.add_argument("--dash-weeks", type=int, default=118, help="~50,000 responses")
    parser.add_argument("--repeat", type=int, default=15, help="timings per page")
    parser.add_argument("--seconds", type=float, default=15, help="length of one load run")
    parser.add_argument("--checkin-repeat", type=int, default=3)
    parser.add_argument("--route-repeat", type=int, default=20, help="timings per route")
    parser.add_argument("--phone-runs", type=int, default=3, help="throttled check-ins")
    parser.add_argument("--threads", type=int, default=8, help="client threads per process")
    parser.add_argument("--processes", type=int, default=2, help="client processes")
    parser.add_argument("--users", type=int, default=100, help="load: concurrent participants")
    parser.add_argument("--load-seconds", type=float, default=60)
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated: dashboards,dispatch,checkin,tenants,routes,phone "
        "(prints the results, leaves docs/benchmarks.md alone)",
    )
    options = parser.parse_args()
    if options.command == "run":
        results = runner.run_all(options)
        if options.only:
            print(json.dumps(results, indent=2, default=str))
        else:
            report.write(results)
    elif options.command == "report":
        report.write(json.loads(runner.RESULTS.read_text()))
    else:
        runner.full_load(users=options.users, seconds=options.load_seconds)


main()
