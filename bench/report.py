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
    with connection.cursor() as cursor:
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
        "--others 1000x1000x4'` for the issue's full sizes (about twenty). Raw numbers: "
        "`var/bench/results.json`.",
        "",
        f"Run started {results.get('started')}, took {results.get('minutes', '?')} minutes.",
        "",
        *machine(),
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
            "| target | round trips/s | p50 ms | p95 ms | errors |",
            "| --- | --- | --- | --- | --- |",
        ]
        for label, s in r.items():
            details.append(
                f"| {label} | {s['median_per_s']} | {s['median_p50_ms']} | "
                f"{s['median_p95_ms']} | {s['errors']} |"
            )
        details += [
            "",
            "The **bare floor** (`bench/floor_app.py` on `bench/floor_settings.py`) is a Django "
            "view with no middleware: GET does one indexed SELECT on `checkins_checkinrequest."
            "token_hash`, POST one INSERT. The **same-stack floor** is the same view behind "
            "Rapport's full middleware (sessions, CSRF, CSP, allauth, locale, agency), for "
            f"reference: ratio to it {checkin['ratio_stack']}.",
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
    notes = results.get("notes", "")
    notes = [notes] if isinstance(notes, str) else notes
    DOC.write_text(
        "\n".join(lines + rows + [""] + details + notes).rstrip() + "\n", encoding="utf-8"
    )
