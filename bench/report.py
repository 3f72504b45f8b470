"""docs/benchmarks.md from the results of a run."""

import os
import platform

import django
from django.db import connection

from .server import ROOT

DOC = ROOT / "docs" / "benchmarks.md"


def _version(module: str) -> str:
    from importlib.metadata import version

    return version(module)


def machine() -> list[str]:
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        memory = int(open("/proc/meminfo").readline().split()[1]) // 1024 // 1024
    except OSError:
        memory = 0
    with connection._nodb_cursor() as cursor:  # also when rapport_bench is gone (`report`)
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    import redis as redis_lib
    from django.conf import settings

    redis_version = redis_lib.Redis.from_url(settings.CELERY_BROKER_URL).info("server")[
        "redis_version"
    ]
    return [
        f"- Machine: {os.cpu_count()} cores ({cpu}), {memory} GiB RAM, {platform.platform()}.",
        "  A machine shared between engineers: absolute numbers vary from run to run (more "
        "when others run test suites at the same time); the ratios compare runs made minutes "
        "apart on the same server.",
        f"- Python {platform.python_version()}, Django {django.get_version()}, gunicorn "
        f"{_version('gunicorn')} (sync workers), Celery {_version('celery')}, psycopg "
        f"{_version('psycopg')}, PostgreSQL {postgres}, Redis {redis_version}; all on 127.0.0.1.",
    ]


def _goal(ok: bool) -> str:
    return "**met**" if ok else "**missed**"


def write(results: dict) -> None:
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m bench run`, code in `bench/`), which recreates "
        "the database `rapport_bench` on a private PostgreSQL and Redis it starts itself, and "
        "runs each benchmark against its floor in the same run on the same server. Rerun with "
        "`make bench` (about ten minutes here); `make bench BENCH_ARGS='--dispatch 100000 "
        "--others 1000x1000x4'` for the issue's full sizes (about fifteen minutes on a quiet "
        "machine, forty on a busy one, most of it loading a million participants). Raw numbers: "
        "`var/bench/results.json`.",
        "",
        f"Run started {results.get('started')}, took {results.get('minutes', '?')} minutes.",
        "",
        *machine(),
        f"- Database role: `{results.get('database', {}).get('role', '?')}` (no SUPERUSER, no "
        "BYPASSRLS) with row-level security on, in this process, in gunicorn and in the Celery "
        "workers; only migrate and the bulk seeding (COPY) run as the maintenance role.",
        "",
        *issue_17_goals(results),
        "",
        "## Earlier goals (issue 8)",
        "",
        "| # | benchmark | result | floor | ratio | goal |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    rows, details = [], []
    checkin = results.get("checkin")
    if checkin:
        r = checkin["results"]
        app = r["rapport"]["median_per_s"]
        bare = r["floor (bare view, no middleware)"]["median_per_s"]
        rows.append(
            f"| 1 | check-in round trip (GET + POST `/c/<token>/`), gunicorn | {app} /s | "
            f"{bare} /s (bare view) | {checkin['ratio_bare']} | >= 0.6: "
            f"{_goal(checkin['ratio_bare'] >= 0.6)} |"
        )
        details += [
            "## 1. Check-in round trip",
            "",
            f"gunicorn, {checkin['workers']} sync workers, production settings with DEBUG off "
            f"(`bench/settings.py`). Load: {checkin['processes']} client processes x "
            f"{checkin['threads']} threads on loopback (`bench/loadgen.py`), each round trip a "
            "fresh link: GET the page, read the CSRF token and the items, POST answers. "
            f"{checkin['repeat']} runs of {checkin['seconds']:.0f} s each, interleaved "
            "(rapport, bare floor, same-stack floor); medians below.",
            "",
            "| target | round trips/s | p50 ms | p95 ms | errors | CPU ms per round trip: "
            "server | database | client |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for label, s in r.items():
            details.append(
                f"| {label} | {s['median_per_s']} | {s['median_p50_ms']} | "
                f"{s['median_p95_ms']} | {s['errors']} | {s.get('median_server_ms', '')} | "
                f"{s.get('median_database_ms', '')} | {s.get('median_client_ms', '')} |"
            )
        details += [
            "",
            "The **bare floor** (`bench/floor_app.py` on `bench/floor_settings.py`) is a Django "
            "view with no middleware: GET does one indexed SELECT by token hash (on a copy of "
            "the links without row-level security, whose settings are Rapport's cost), POST "
            "one INSERT. The **same-stack floor** is the same view behind Rapport's full "
            "middleware (sessions, CSRF, CSP, allauth, locale, agency): issue 17's goal is "
            f"measured against it, ratio {checkin['ratio_stack']}.",
            f"Stored responses {checkin['stored']} = accepted {checkin['accepted']}: "
            f"{checkin['stored'] == checkin['accepted']}.",
            "",
        ]
    dash = results.get("dashboards")
    if dash:
        pages = dash["pages"]
        worst = max(p["ratio"] for p in pages.values())
        rows.append(
            f"| 2 | caseload and dashboard, 500 participants / {dash['responses']:,} check-ins "
            f"| see below | one raw SQL statement | worst {worst}x | <= 3x: {_goal(worst <= 3)} |"
        )
        details += [
            "## 2. Caseload and agency dashboard",
            "",
            f"One agency: {dash['seeded']}. A supervisor's page rendered in-process by "
            "Django's test client (middleware, session, template; no network), against the one "
            "raw SQL statement computing the same figures (`bench/sql.py`; its figures are "
            "checked against `alliance/checkins/reports.py`). "
            f"Medians of {dash['repeat']} after two warm-ups.",
            "",
            "| page | page ms | raw SQL ms | ratio | queries | same figures |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for label, p in pages.items():
            details.append(
                f"| {label} | {p['page_ms']} | {p['sql_ms']} | {p['ratio']}x | {p['queries']} |"
                f" {p.get('figures_match', 'n/a')} |"
            )
        details.append("")
    dispatch = results.get("dispatch")
    if dispatch:
        rows.append(
            f"| 3 | reminder dispatch, {dispatch['size']:,} due, 2 workers, Redis | "
            f"{dispatch['app_per_s']} /s | {dispatch['floor_per_s']} /s (no-op task) | "
            f"{dispatch['ratio']} | >= 0.5: {_goal(dispatch['ratio'] >= 0.5)}; duplicates "
            f"{dispatch['duplicates']}, losses {dispatch['losses']} |"
        )
        details += [
            "## 3. Reminder dispatch",
            "",
            f"{dispatch['size']:,} due in-app reminders (their transport writes a row, so what "
            "arrived is counted exactly), two Celery worker processes (prefork, concurrency 1, "
            "acks late, prefetch 1) on Redis. Rapport: the beat's `deliveries_sweep` called back "
            "to back until every row is sent (claim 1,000 per sweep, enqueue one "
            "`deliveries_send` task per 50 deliveries of one agency, which the workers run). "
            "Floor: the same number of no-op tasks published to the same "
            "broker and consumed by the same two workers. One run each (the size is a "
            "parameter: `--dispatch`).",
            "",
            f"- Rapport: {dispatch['app_s']} s ({dispatch['app_per_s']}/s); floor: "
            f"{dispatch['floor_s']} s ({dispatch['floor_per_s']}/s).",
            f"- Sent {dispatch['sent']}, notices {dispatch['notifications']}, distinct "
            f"{dispatch['distinct_notified']}: duplicates {dispatch['duplicates']}, losses "
            f"{dispatch['losses']}; rows claimed more than once "
            f"{dispatch['claimed_more_than_once']}.",
            "",
        ]
    tenants = results.get("tenants")
    if tenants:
        worst = max(p["ratio"] for p in tenants["pages"].values())
        rows.append(
            f"| 4 | tenant-size independence (same agency's pages) | worst {worst}x | that agency "
            f"alone | {worst} | <= 1.25x: {_goal(worst <= 1.25)} |"
        )
        details += [
            "## 4. Tenant-size independence",
            "",
            f"The agency of benchmark 2, measured first alone in the database, then after "
            f"loading {tenants['others']}.",
            "",
            "| page | alone ms | with others ms | ratio | raw SQL alone / with others ms |",
            "| --- | --- | --- | --- | --- |",
        ]
        for label, p in tenants["pages"].items():
            details.append(
                f"| {label} | {p['alone_ms']} | {p['with_others_ms']} | {p['ratio']}x | "
                f"{p['sql_alone_ms']} / {p['sql_with_others_ms']} |"
            )
        details.append("")
    details += issue_17_details(results)
    notes = results.get("notes", "")
    notes = [notes] if isinstance(notes, str) else notes
    DOC.write_text(
        "\n".join(lines + rows + [""] + details + notes).rstrip() + "\n", encoding="utf-8"
    )


# Issue 17 ----------------------------------------------------------------------------------


def _ok(ok) -> str:
    if ok is None:
        return "not measured"
    return "**met**" if ok else "**missed**"


def issue_17_goals(results: dict) -> list[str]:
    """The table of issue 17's goals, each met or missed with its ratio."""
    lines = [
        "## Goals (issue 17)",
        "",
        "| # | goal | measured | ratio to goal / floor | |",
        "| --- | --- | --- | --- | --- |",
    ]
    checkin = results.get("checkin")
    if checkin:
        ratio = checkin["ratio_stack"]
        wire = checkin.get("statements", {})
        counts_ok = (
            wire.get("get", 99) <= 2 and wire.get("post", 99) <= 4 and wire.get("post_tx") == 1
        )
        lines.append(
            f"| 1 | check-in round trip >= 0.6 of the same-stack floor; GET <= 2 statements, "
            f"POST <= 4 in one transaction | {checkin['results']['rapport']['median_per_s']} "
            f"round trips/s; GET {wire.get('get', '?')}, POST {wire.get('post', '?')} "
            f"(with an alert {wire.get('post_alert', '?')}) in {wire.get('post_tx', '?')} "
            f"transaction | {ratio} of the floor | {_ok(ratio >= 0.6 and counts_ok)} |"
        )
    routes = results.get("routes")
    dash = results.get("dashboards")
    caseload = (dash or {}).get("pages", {}).get("caseload (first page, 25 of all)", {})
    if routes:
        worst = routes["slowest"][0]
        lines.append(
            f"| 2 | every staff page and API list p95 <= 50 ms in-process | {routes['routes']} "
            f"routes; slowest {worst['route']} p95 {worst['p95_ms']} ms; all requests p95 "
            f"{routes['p95_all_ms']} ms | {round(worst['p95_ms'] / 50, 2)} of the goal "
            f"({len(routes['over_goal'])} over) | {_ok(not routes['over_goal'])} |"
        )
    if "ratio_stack" in caseload:
        lines.append(
            f"| 2 | caseload <= 2x its same-stack page floor | {caseload['page_ms']} ms vs "
            f"{caseload['stack_floor_ms']} ms | {caseload['ratio_stack']}x | "
            f"{_ok(caseload['ratio_stack'] <= 2)} |"
        )
    lines.append(
        "| 3 | query counts do not grow with data | `tests/test_query_counts.py` in `make "
        "test`: every staff route and API list at 3 and 12 participants per peer | same "
        "counts | checked by the suite |"
    )
    phone = results.get("phone")
    if phone:
        c = phone["checkin"]
        portal = phone["first_view"].get("portal", {})
        bytes_worst = max(c["bytes"], portal.get("bytes", 0))
        ok = (
            bytes_worst <= 14 * 1024
            and max(c["requests"], portal.get("requests", 0)) <= 2
            and not (c["scripts"] or portal.get("scripts"))
            and c["usable_s"] <= 2.5
            and c["submit_requests"] == 1
            and c["all_thanked"]
        )
        lines.append(
            f"| 4 | phone: first view <= 14 KB, <= 2 requests, no script; usable <= 2.5 s "
            f"at 400 kbit/s, 400 ms; submit in one round trip | check-in {c['bytes']:,} B in "
            f"{c['requests']} requests, portal {portal.get('bytes', 0):,} B in "
            f"{portal.get('requests', '?')}; usable {c['usable_s']} s; submit {c['submit_s']} s "
            f"in {c['submit_requests']} request | {round(bytes_worst / (14 * 1024), 2)} of the "
            f"bytes, {round(c['usable_s'] / 2.5, 2)} of the time | {_ok(ok)} |"
        )
    lines.append(
        '| 5 | scale-out on paper | docs/architecture.md, "Scale-out", from these figures '
        "| | written |"
    )
    return lines


READING_17 = [
    "## Reading the issue 17 figures",
    "",
    "- The machine is shared (2 cores; other engineers' test suites come and go): absolute "
    "times vary by a factor of two or more between runs an hour apart. The ratios interleave "
    "Rapport and its floor minute by minute, so they are the figures to compare.",
    "- **Check-in (goal 1)**: the statements are within the goal (the page 2 statements in one "
    "round trip, the submit 3-4 in one transaction: decisions 151 and 153; before, the page "
    "took 4 round trips and the submit 9 in two transactions). The CPU columns of section 1 "
    "show where a round trip's time goes. The database's share halved once the link's lookup "
    "and claim were prepared once per connection: under row-level security, planning them "
    "cost more than running them (decision 183). The server's share fell once the check-in "
    "page, the thank-you page and the page offering the repair choice were kept rendered in "
    "each process, and once the submit stopped deep-copying its form's choices and building "
    "a scoped queryset for its INSERT (decisions 182 and 186). One round trip at a time on "
    "one worker, Rapport's worker now spends about 2.7 ms of CPU against the same-stack "
    "floor's 1.2 ms, and PostgreSQL about 0.7 ms against 0.26 ms. What remains is Rapport's "
    "own work: the link's lookup and claim under row-level security (its settings travel "
    "with every statement), a Django form validating the answers, the scores, the response "
    "(and, after a dip, its alert) stored through the ORM in one transaction, and a CSRF "
    "token on the page; the floor's view runs one SELECT and one INSERT. Reaching 0.6 would "
    "take the submit off Django's forms and ORM. The ratio also moves with the machine's "
    "load: on a busy machine (every figure about four times slower) it was 0.475 before "
    "decision 186; on a quiet one it is lower, since the floor gains more from a quiet "
    "machine than Rapport does.",
    "- **Pages (goal 2), at full size**: the goals table gives the walk's slowest route and "
    "the p95 of all requests with 1,000 agencies and a million participants loaded. (A "
    "previous run's 60-140 ms came "
    "from a busy machine, where the same-stack page floor took three times as long, and from "
    "a p95 that was the slowest of 20 timings: one of them was a full garbage collection of "
    "the benchmark process, which had just loaded a million participants; decision 185.) "
    "The caseload's ratio is to a same-stack page floor whose statement now computes every "
    "column the page shows, checked on every commit (decision 184). Measured "
    "in-process on a quiet machine, the floor is the middleware and session (about 3 ms) "
    "and its statement (2.5-3 ms); the page's own statement takes about as long, and beyond "
    "it the page spends about 2 ms building its query through the ORM (eleven annotated "
    "subqueries, each from a scoped manager), 1.6 ms compiling it, about 1 ms counting the "
    "rows in a second statement, 4.5 ms in the template (2.5 ms of it the 25 rows, 1 ms the "
    "filter form) and 0.7 ms reading the peer names. At 2x the page could spend about as "
    "much beyond its floor as the ORM and the template engine take alone.",
    "- **Pages (goal 2), fixed in this issue**: the routes that were slowest showed a whole "
    "history on one page "
    "(a participant's check-ins: a table of every response and ten charts of every point, "
    "drawn through template loops) or listed the API's check-ins by reading all of the "
    "agency's (a caseload filter that misled the planner, no index in id order; the cursor "
    "pagination counts nothing). Now the check-ins page reads the charts' columns for every "
    "response and whole rows for a table of 20, newest first, and writes the charts' SVG in "
    "Python (decision 154), and the API lists read 26 rows through an (agency, id) index "
    "(decision 155). The time zone select (41 ms a render with 600 raw names; now a curated "
    "list of about 50, decision 179) and the API participant list (one nested serializer "
    "per row) were fixed in this issue too.",
    "",
]


def issue_17_details(results: dict) -> list[str]:
    out = list(READING_17)
    checkin = results.get("checkin")
    if checkin and checkin.get("statements"):
        w = checkin["statements"]
        out += [
            "## 1b. The check-in on the wire",
            "",
            "Statements the application role sends to PostgreSQL for one check-in (libpq's "
            "trace, row-level-security settings included, transaction control not counted; "
            "the same count as `tests/checkins/test_checkin_statements.py`):",
            "",
            f"- page (GET): {w['get']} statements, sent as one message (one implicit "
            "transaction, decision 153);",
            f"- submit (POST): {w['post']} statements ({w['post_alert']} when an alert is "
            f"raised) in {w['post_tx']} transaction: the claim (`checkin_claim`, decision "
            "151), the response, the alert.",
            "",
        ]
    routes = results.get("routes")
    if routes:
        out += [
            "## 5. Every staff page and API list",
            "",
            f"Walked from the URL configuration (`bench/walk.py`): {routes['routes']} routes "
            "answering GET, as the measured agency's admin, in-process (Django's test client, "
            f"full middleware, application role), {routes['repeat']} timings each after two "
            "warm-ups, on the agency of benchmark 2 with the other agencies of benchmark 4 "
            "loaded. The slowest ten by p95:",
            "",
            "| route | HTTP | p50 ms | p95 ms |",
            "| --- | --- | --- | --- |",
            *[
                f"| {r['route']} | {r['status']} | {r['p50_ms']} | {r['p95_ms']} |"
                for r in routes["slowest"]
            ],
            "",
        ]
        if routes.get("downloads"):
            out += [
                "Exports (a file of the whole history, not a page; outside the 50 ms goal, "
                "decision 152): "
                + ", ".join(f"{r['route']} p95 {r['p95_ms']} ms" for r in routes["downloads"])
                + ".",
                "",
            ]
    phone = results.get("phone")
    if phone:
        out += [
            "## 6. The participant's phone",
            "",
            f"Chromium (`bench/phone.py`), phone viewport, network throttled through the "
            f"DevTools protocol to {phone['kbit_per_s']} kbit/s each way and "
            f"{phone['latency_ms']} ms latency, cold cache, against gunicorn (production "
            "settings, application role). Usable: navigation start to `loadEventEnd` (page "
            "and stylesheet loaded; there is no script). Submit: click to the thank-you page "
            "loaded. Bytes: on the wire, headers included, compressed as served (pages by "
            "GZipMiddleware, the stylesheet by whitenoise). Worst of the runs:",
            "",
            "| page | bytes | requests | scripts | usable s | submit s | submit requests |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        c = phone["checkin"]
        out.append(
            f"| check-in | {c['bytes']:,} | {c['requests']} | {c['scripts']} | {c['usable_s']} "
            f"| {c['submit_s']} | {c['submit_requests']} |"
        )
        for name, v in phone["first_view"].items():
            out.append(
                f"| {name} | {v['bytes']:,} | {v['requests']} | {v['scripts']} | "
                f"{v['usable_s']} | | |"
            )
        out.append("")
    return out
