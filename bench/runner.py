"""The four benchmarks of issue 8, each against its floor in the same run on the same server.

Run through `python -m bench` (see bench/__main__.py); results go to var/bench/results.json
and docs/benchmarks.md. Order: dashboards first on a fresh database (that agency alone, which
is also benchmark 4's baseline), then dispatch, then the check-in round trip, then the other
agencies are loaded and benchmark 4 measures the same agency's pages again.
"""

import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta

import psutil
from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections
from django.test import Client
from django.utils import timezone

from agencies.database_roles import app_role_grant
from agencies.models import Membership, Role
from agencies.tenancy import agency_scope, scopes_disabled
from bench.scale_data import checkin_links_create, seed_scale
from config import local_postgres

from . import loadgen, sql
from .floor_app import FLOOR_LINKS, FLOOR_TABLE_SQL
from .server import ROOT, gunicorn_start, gunicorn_stop

RESULTS = ROOT / "var" / "bench" / "results.json"


# Database roles ----------------------------------------------------------------------------
# Every benchmark runs as the application role (no SUPERUSER, no BYPASSRLS), with row-level
# security on, as requests and tasks do in production: in this process (the pages), in
# gunicorn (the check-in) and in the Celery workers (dispatch). Only the schema (migrate) and
# the bulk seeding (seed_scale's COPY) run as the maintenance role, as `make run` does them.


def _connect_as(role: str) -> None:
    for connection_ in connections.all():
        connection_.close()
        connection_.settings_dict["USER"] = role


@contextmanager
def as_maintenance_role():
    _connect_as(local_postgres.MAINTENANCE_ROLE)
    try:
        yield
    finally:
        _connect_as(local_postgres.APP_ROLE)


def app_role_env() -> dict:
    """The environment of a server or worker this run starts: the application role."""
    from tests.services import database_url

    return {"DATABASE_URL": database_url(connections["default"].settings_dict)}


def role_check() -> dict:
    """Who this process is connected as, and whether row-level security binds it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        )
        user, superuser, bypass = cursor.fetchone()
    assert not (superuser or bypass), f"benchmarks must not run as {user}: RLS is bypassed"
    return {"role": user, "row_level_security": settings.RAPPORT_ROW_LEVEL_SECURITY}


def seed(**kwargs):
    """seed_scale as the maintenance role (COPY, which row-level security refuses)."""
    with as_maintenance_role():
        return seed_scale(**kwargs)


def say(line: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {line}", flush=True)


def median(values):
    return statistics.median(values) if values else None


# Preparing -------------------------------------------------------------------------------


def prepare_database() -> None:
    """Drop and recreate the benchmark database, migrate it, collect static files once (as
    the maintenance role); then connect as the application role."""
    _connect_as(local_postgres.MAINTENANCE_ROLE)
    name = settings.DATABASES["default"]["NAME"]
    assert name.startswith("rapport_bench"), "benchmarks only ever drop a rapport_bench database"
    connection.close()
    with connection._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(FLOOR_TABLE_SQL)
    app_role_grant()  # the floor's table too
    if not (settings.STATIC_ROOT / "staticfiles.json").exists():
        say("collecting static files (once)")
        call_command("collectstatic", interactive=False, verbosity=0)
    _connect_as(local_postgres.APP_ROLE)


def supervisor_client(agency_id: int) -> tuple[Client, str]:
    with agency_scope(agency_id):
        member = Membership.objects.select_related("agency", "user").get(role=Role.SUPERVISOR)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(member.user)
    return client, member.agency.slug


# Benchmark 2 (and 4): pages vs one raw SQL statement -------------------------------------


def _time(call, repeat: int) -> float:
    call()
    call()  # warm caches and connections
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return median(times)


def measure_pages(agency_id: int, *, repeat: int) -> dict:
    client, slug = supervisor_client(agency_id)
    with agency_scope(agency_id):
        from alliance.checkins.models import CheckInRequest

        first = CheckInRequest.objects.order_by("created_at").values_list("created_at", flat=True)[
            0
        ]
    start_day = timezone.localtime(first).date() - timedelta(days=1)
    end_day = timezone.localdate() + timedelta(days=1)
    whole = f"?from={start_day}&to={end_day}"
    from alliance.checkins.reports import period_last_days

    periods = {
        "dashboard (whole history)": (whole, start_day, end_day),
        "dashboard (last 30 days)": ("", None, None),
    }
    pages = {}
    for label, (query, first_day, last_day) in periods.items():
        url = f"/a/{slug}/dashboard/{query}"
        if first_day is None:
            period = period_last_days(30)
        else:
            from alliance.checkins.reports import Period

            period = Period(first_day=first_day, last_day=last_day)
        params = {"agency": agency_id, "start": period.start, "end": period.end}
        pages[label] = _page_vs_sql(client, url, sql.DASHBOARD, params, repeat)
        pages[label]["figures_match"] = _dashboard_figures_match(agency_id, period, params)
    pages["caseload (first page, 25 of all)"] = _page_vs_sql(
        client,
        f"/a/{slug}/participants/",
        sql.CASELOAD,
        {"agency": agency_id},
        repeat,
        stack_url=f"/a/{slug}/bench-floor/caseload/",
    )
    # The floor's rows, count and peer choices are the page's (alliance/selectors.py).
    shown, floor = caseload_page_and_floor(agency_id)
    pages["caseload (first page, 25 of all)"]["figures_match"] = shown == floor
    return pages


def caseload_page_and_floor(agency_id: int, membership: Membership | None = None):
    """The first caseload page's rows (id, last contact and CASELOAD_COLUMNS), participant
    count and peer choices, as the page computes them (alliance/selectors.py) and as the
    floor's statement does (bench/sql.py CASELOAD). Equal when the floor does the page's work;
    tests/test_bench_floors.py holds them to it."""
    from alliance import selectors as caseload_selectors
    from participants import selectors

    with agency_scope(agency_id):
        supervisor = membership or Membership.objects.get(role=Role.SUPERVISOR)
        rows = caseload_selectors.caseload(supervisor)
        page = [
            (p.pk, p.last_contact_at, *(getattr(p, name) for name in CASELOAD_COLUMNS))
            for p in rows[:25]
        ]
        shown = (page, rows.count(), [list(choice) for choice in selectors.peer_choices()])
    with agency_scope(agency_id), connection.cursor() as cursor:
        cursor.execute(sql.CASELOAD, {"agency": agency_id})
        found = cursor.fetchall()
    floor = ([(row[0], row[6], *row[9:]) for row in found], found[0][7], found[0][8])
    return shown, floor


# The caseload's columns after the name and last contact, in bench/sql.py CASELOAD's order.
CASELOAD_COLUMNS = [
    "last_percent",
    "previous_percent",
    "open_alert",
    "wants_supervisor",
    "next_commitment_at",
    "next_commitment_what",
    "commitment_overdue",
    "cadence_weeks",
    "contact_overdue",
    "okay_to_text",
]


def _page_vs_sql(client, url, statement, params, repeat, *, stack_url=None) -> dict:
    """Median time of the page and of its floors, timed in turns (page, statement, stack
    floor, page, ...) so that load from other processes on the machine falls on all alike.
    The statement runs in the agency's scope (row-level security, as the page's do); the
    same-stack floor, if given, is that statement behind the page's whole stack
    (bench/floor_app.py, floor_page)."""
    agency_id = params["agency"]

    def page():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    def raw():
        with agency_scope(agency_id), connection.cursor() as cursor:
            cursor.execute(statement, params)
            cursor.fetchall()

    def stack():
        response = client.get(stack_url)
        assert response.status_code == 200, (stack_url, response.status_code)

    calls = [(page, []), (raw, [])] + ([(stack, [])] if stack_url else [])
    queries = []  # every statement the page runs (execute_wrapper sees them all)
    with connection.execute_wrapper(
        lambda run, sql_, *rest: queries.append(sql_) or run(sql_, *rest)
    ):
        page()
    for _ in range(2):  # warm caches and connections
        for call, _times in calls:
            call()
    for _ in range(repeat):
        for call, times in calls:
            started = time.perf_counter()
            call()
            times.append(time.perf_counter() - started)
    page_s, sql_s = median(calls[0][1]), median(calls[1][1])
    found = {
        "url": url,
        "page_ms": round(page_s * 1000, 2),
        "sql_ms": round(sql_s * 1000, 2),
        "ratio": round(page_s / sql_s, 2),
        "queries": len(queries),
    }
    if stack_url:
        stack_s = median(calls[2][1])
        found["stack_floor_ms"] = round(stack_s * 1000, 2)
        found["ratio_stack"] = round(page_s / stack_s, 2)
    return found


def _dashboard_figures_match(agency_id, period, params) -> bool:
    """The raw statement and alliance/checkins/reports.py agree on the figures (so the floor is the
    same work)."""
    from alliance.checkins import reports

    with agency_scope(agency_id):
        requests = reports.request_summary(period)
        responses = reports.response_summary(period)
        alerts = reports.open_alert_count()
        peers = {
            row.membership.pk if row.membership else None: (
                row.caseload,
                row.responses,
                row.open_alerts,
            )
            for row in reports.peer_summary(period)
        }
    with agency_scope(agency_id), connection.cursor() as cursor:
        cursor.execute(sql.DASHBOARD, params)
        req, resp, open_alerts, peer_rows = cursor.fetchone()
    raw_peers = {
        row["peer"]: (row["caseload"], row["responses"], row["open_alerts"])
        for row in peer_rows or []
    }
    return (
        (req["created"], req["completed"]) == (requests["created"], requests["completed"])
        and resp["responses"] == responses["responses"]
        and open_alerts == alerts
        and raw_peers == peers
    )


def bench_dashboards(*, participants: int, weeks: int, repeat: int) -> dict:
    say(f"benchmark 2: seeding one agency, {participants} participants x {weeks} weeks")
    seeded = seed(agencies=1, participants_per_agency=participants, weeks=weeks, prefix="dash")
    say(seeded.summary())
    pages = measure_pages(seeded.agencies[0], repeat=repeat)
    return {
        "agency_id": seeded.agencies[0],
        "seeded": seeded.summary(),
        "responses": seeded.responses,
        "repeat": repeat,
        "pages": pages,
    }


# Benchmark 3: dispatch vs a no-op task -----------------------------------------------------


def _start_workers(queue: str, count: int = 2) -> list[subprocess.Popen]:
    return [
        subprocess.Popen(  # noqa: S603 (fixed arguments)
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "bench.celery_app",
                "worker",
                "--pool",
                "prefork",
                "--concurrency",
                "1",
                "--queues",
                queue,
                "--hostname",
                f"bench{n}-{queue}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env={**os.environ, **app_role_env(), "DJANGO_SETTINGS_MODULE": "bench.settings"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        for n in range(count)
    ]


def _stop_workers(workers) -> None:
    from .server import gunicorn_stop as stop  # same process-group shutdown

    for worker in workers:
        stop(worker)


def _queue_empty(redis, queue: str) -> bool:
    lengths = sum(redis.llen(key) for key in redis.keys(f"{queue}*"))
    return lengths == 0 and redis.hlen("unacked") == 0


def bench_dispatch(*, size: int) -> dict:
    import redis as redis_lib

    from alliance.checkins.models import Alert
    from alliance.messaging.models import Delivery, DeliveryKind, DeliveryStatus, Notification
    from alliance.tasks import deliveries_sweep
    from config.celery import app

    from .celery_app import noop

    say(f"benchmark 3: {size} due deliveries, two workers")
    seeded = seed(agencies=1, participants_per_agency=25, weeks=2, prefix="dispatch")
    agency_id = seeded.agencies[0]
    now = timezone.now()
    with agency_scope(agency_id):
        members = list(Membership.objects.filter(is_active=True))
        participant = members[0].caseload.first() or members[-1].caseload.first()
        alert = Alert.objects.create(
            agency_id=agency_id, participant=participant, rules=["total_low"],
            created_at=now - timedelta(days=10),
        )  # fmt: skip
        Delivery.objects.bulk_create(
            [
                Delivery(
                    agency_id=agency_id,
                    kind=DeliveryKind.ALERT,
                    subject_id=alert.pk,
                    membership=members[n % len(members)],
                    recipient_key=f"m:{members[n % len(members)].pk}",
                    offset_key=f"b{n}",
                    channel="in_app",
                    due_at=now - timedelta(minutes=1),
                )
                for n in range(size)
            ],
            batch_size=5000,
        )
    redis = redis_lib.Redis.from_url(settings.CELERY_BROKER_URL)
    queue = f"bench-{uuid.uuid4().hex[:6]}"
    workers = _start_workers(queue)
    try:
        time.sleep(3)
        # Floor: the same number of no-op tasks through the same broker to the same workers.
        started = time.perf_counter()
        for n in range(size):
            noop.apply_async(args=[agency_id, n], queue=queue)
        while not _queue_empty(redis, queue):
            time.sleep(0.05)
        floor_s = time.perf_counter() - started
        say(f"floor: {size} no-op tasks in {floor_s:.1f} s")
        # Rapport: the beat's sweep task, called back to back, until every row is sent.
        app.conf.task_default_queue = queue
        started = time.perf_counter()
        deadline = time.monotonic() + max(600, size / 20)

        def mine():
            return Delivery.objects.filter(offset_key__startswith="b", agency_id=agency_id)

        sent = 0
        while time.monotonic() < deadline:
            queued = deliveries_sweep()
            with scopes_disabled():
                sent = mine().filter(status=DeliveryStatus.SENT).count()
            if sent >= size:
                break
            if not queued:
                time.sleep(0.2)
        app_s = time.perf_counter() - started
        say(f"rapport: {sent} deliveries in {app_s:.1f} s")
    finally:
        _stop_workers(workers)
    with scopes_disabled():
        ids = mine().values("id")
        notifications = Notification.objects.filter(delivery__in=ids)
        outcome = {
            "sent": mine().filter(status=DeliveryStatus.SENT).count(),
            "notifications": notifications.count(),
            "distinct_notified": notifications.values("delivery").distinct().count(),
            "claimed_more_than_once": mine().filter(attempts__gt=1).count(),
            "not_sent": mine().exclude(status=DeliveryStatus.SENT).count(),
        }
    outcome["duplicates"] = outcome["notifications"] - outcome["distinct_notified"]
    outcome["losses"] = size - outcome["distinct_notified"]
    return {
        "size": size,
        "floor_s": round(floor_s, 2),
        "floor_per_s": round(size / floor_s, 1),
        "app_s": round(app_s, 2),
        "app_per_s": round(size / app_s, 1),
        "ratio": round(floor_s / app_s, 3),
        **outcome,
    }


# Benchmark 1: check-in round trip vs a bare view -------------------------------------------


def floor_links_add(tokens: list[str]) -> None:
    """The floor's copy of these links (bench/floor_app.py): hash -> 0."""
    import hashlib

    rows = [(hashlib.sha256(t.encode()).hexdigest(), 0) for t in tokens]
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {FLOOR_LINKS} (token_hash, request_id) VALUES (%s, %s)",  # noqa: S608
            rows,
        )


def checkin_statements(agency_id: int) -> dict:
    """One check-in's statements on the wire, in this process (the application role, in
    autocommit as under gunicorn): counted as tests/checkins/test_checkin_statements.py
    counts them, after a first round trip has warmed the process's caches."""
    from tests.checkins.test_checkin_statements import _form, on_the_wire

    client = Client(HTTP_HOST="127.0.0.1")
    found = {}
    for key, value in (("warm", "4"), ("", "4"), ("_alert", "1")):
        [token] = checkin_links_create(agency_id=agency_id, count=1)
        with on_the_wire() as page_wire:
            page = client.get(f"/c/{token}/")
        with on_the_wire() as submit_wire:
            done = client.post(f"/c/{token}/", _form(page.content.decode(), value))
        assert page.status_code == 200 and done.status_code == 200, (page, done)
        if key != "warm":
            found[f"post{key}"] = len(submit_wire.statements)
            found[f"post{key}_tx"] = submit_wire.transactions
            found["get"], found["get_tx"] = len(page_wire.statements), page_wire.transactions
    found["post_tx"] = max(found["post_tx"], found["post_alert_tx"])
    return found


def cpu_seconds(pid: int) -> float:
    """CPU seconds (user and system) used so far by a process and its children: the living
    ones, and those that ended (a database backend whose connection closed), which the
    process's own `children_*` times count once it has reaped them."""
    root = psutil.Process(pid)
    ended = root.cpu_times()
    total = ended.children_user + ended.children_system
    for process in [root, *root.children(recursive=True)]:
        try:
            times = process.cpu_times()
        except psutil.Error:  # ended between the listing and the reading
            continue
        total += times.user + times.system
    return total


class CpuSplit:
    """Where a load run's CPU went, per accepted round trip: the server (gunicorn and its
    workers), the database (every PostgreSQL process) and the client (the load generator's
    processes, reaped when the run ends)."""

    def __init__(self, server_pid: int):
        from tests.services import postgres_pid

        self.pids = {"server": server_pid, "database": postgres_pid()}

    def __enter__(self):
        self.before = self._now()
        return self

    def __exit__(self, *exc):
        self.used = {k: after - self.before[k] for k, after in self._now().items()}

    def _now(self) -> dict:
        found = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        found["client"] = sum(os.times()[2:4])  # reaped children: the client processes
        return found

    def per_round_trip_ms(self, accepted: int) -> dict:
        return {f"{k}_ms": round(1000 * v / max(accepted, 1), 2) for k, v in self.used.items()}


def bench_checkin(*, seconds: float, repeat: int, threads: int, processes: int) -> dict:
    say("benchmark 1: check-in round trip under gunicorn")
    seeded = seed(agencies=1, participants_per_agency=500, weeks=4, prefix="checkin")
    agency_id = seeded.agencies[0]
    statements = checkin_statements(agency_id)
    say(f"statements on the wire: {statements}")
    links_each = int(seconds * 1500)  # more than the floor can use in `seconds` here
    from alliance.checkins.models import CheckInResponse

    app_server, app_url = gunicorn_start(settings="bench.settings", env=app_role_env(), workers=4)
    floor_server, floor_url = gunicorn_start(
        settings="bench.floor_settings", env=app_role_env(), workers=4
    )
    runs = {"rapport": [], "floor (bare view, no middleware)": [], "floor (same stack)": []}
    errors, accepted_total = [], 0
    with agency_scope(agency_id):
        before = CheckInResponse.objects.count()
    try:
        targets = {
            "rapport": (app_url, "/c/{}/"),
            "floor (bare view, no middleware)": (floor_url, "/floor/{}/"),
            "floor (same stack)": (app_url, "/floor/{}/"),
        }
        for base, template in targets.values():  # warm up every worker
            tokens = checkin_links_create(agency_id=agency_id, count=200)
            floor_links_add(tokens)
            loadgen.run(base, [template.format(t) for t in tokens], threads=8, seconds=2)
        with agency_scope(agency_id):
            before = CheckInResponse.objects.count()
        for rep in range(repeat):
            for label, (base, template) in targets.items():
                tokens = checkin_links_create(agency_id=agency_id, count=links_each)
                if label != "rapport":
                    floor_links_add(tokens)
                server = floor_server if base == floor_url else app_server
                with CpuSplit(server.pid) as cpu:
                    result = loadgen.run(
                        base,
                        [template.format(t) for t in tokens],
                        threads=threads,
                        seconds=seconds,
                        processes=processes,
                    )
                runs[label].append(
                    {
                        "per_s": round(result.per_second, 1),
                        "p50_ms": round(result.percentile(50) * 1000, 1),
                        "p95_ms": round(result.percentile(95) * 1000, 1),
                        "errors": result.errors,
                        **cpu.per_round_trip_ms(result.accepted),
                    }
                )
                errors += result.error_samples
                if label == "rapport":
                    accepted_total += result.accepted
                say(f"{label} run {rep + 1}: {runs[label][-1]}")
    finally:
        gunicorn_stop(app_server)
        gunicorn_stop(floor_server)
    with agency_scope(agency_id):
        stored = CheckInResponse.objects.count() - before
    summary = {
        label: {
            "median_per_s": median([r["per_s"] for r in rows]),
            "median_p50_ms": median([r["p50_ms"] for r in rows]),
            "median_p95_ms": median([r["p95_ms"] for r in rows]),
            "errors": sum(r["errors"] for r in rows),
            **{
                f"median_{part}_ms": median([r[f"{part}_ms"] for r in rows])
                for part in ("server", "database", "client")
            },
            "runs": rows,
        }
        for label, rows in runs.items()
    }
    app_rate = summary["rapport"]["median_per_s"]
    return {
        "seconds": seconds,
        "repeat": repeat,
        "threads": threads,
        "processes": processes,
        "workers": 4,
        "results": summary,
        "ratio_bare": round(
            app_rate / summary["floor (bare view, no middleware)"]["median_per_s"], 3
        ),
        "ratio_stack": round(app_rate / summary["floor (same stack)"]["median_per_s"], 3),
        "accepted": accepted_total,
        "stored": stored,
        "statements": statements,
        "error_samples": errors[:5],
    }


# Benchmark 4: the same agency with many others present ------------------------------------


def bench_tenants(
    *, alone: dict, agency_id: int, others: tuple[int, int, int], repeat: int
) -> dict:
    agencies, participants, weeks = others
    say(f"benchmark 4: loading {agencies} agencies x {participants} participants x {weeks} weeks")
    seeded = seed(
        agencies=agencies,
        participants_per_agency=participants,
        weeks=weeks,
        prefix="other",
        progress=lambda line: say("  " + line),
    )
    say(seeded.summary())
    with_others = measure_pages(agency_id, repeat=repeat)
    return {
        "others": seeded.summary(),
        "pages": {
            label: {
                "alone_ms": alone[label]["page_ms"],
                "with_others_ms": with_others[label]["page_ms"],
                "ratio": round(with_others[label]["page_ms"] / alone[label]["page_ms"], 2),
                "sql_alone_ms": alone[label]["sql_ms"],
                "sql_with_others_ms": with_others[label]["sql_ms"],
                "queries": with_others[label]["queries"],
            }
            for label in alone
        },
    }


# Benchmark 6: the participant's phone -------------------------------------------------------


def bench_phone_run(*, runs: int) -> dict:
    from participants.services import portal_link_create

    from .phone import bench_phone

    say("benchmark 6: the check-in and portal on a throttled phone (Chromium)")
    seeded = seed(agencies=1, participants_per_agency=20, weeks=2, prefix="phone")
    agency_id = seeded.agencies[0]
    tokens = checkin_links_create(agency_id=agency_id, count=runs + 1)  # the last warms up
    with agency_scope(agency_id):
        member = Membership.objects.select_related("user").filter(role=Role.PEER).first()
        from participants.models import Participant

        participant = Participant.objects.filter(assigned_peer=member).first()
        _link, portal = portal_link_create(participant=participant, created_by=member.user)
    server, base = gunicorn_start(settings="bench.settings", env=app_role_env(), workers=2)
    try:
        return bench_phone(base_url=base, checkin_tokens=tokens, portal_token=portal, runs=runs)
    finally:
        gunicorn_stop(server)


def run_all(options) -> dict:
    """Every benchmark, or only those named in `options.only` (dashboards, dispatch, checkin;
    benchmark 4 needs the dashboards' baseline, so `tenants` implies `dashboards`; routes,
    phone)."""
    started = time.monotonic()
    wanted = (
        set(options.only.split(","))
        if options.only
        else {"dashboards", "dispatch", "checkin", "tenants", "routes", "phone"}
    )
    prepare_database()
    results = {
        "started": timezone.now().isoformat(timespec="seconds"),
        "options": vars(options),
        "database": role_check(),
    }
    if wanted & {"dashboards", "tenants", "routes"}:
        dash = bench_dashboards(participants=500, weeks=options.dash_weeks, repeat=options.repeat)
        results["dashboards"] = dash
        _save(results)
    if options.dispatch and "dispatch" in wanted:
        results["dispatch"] = bench_dispatch(size=options.dispatch)
        _save(results)
    if "checkin" in wanted:
        results["checkin"] = bench_checkin(
            seconds=options.seconds,
            repeat=options.checkin_repeat,
            threads=options.threads,
            processes=options.processes,
        )
        _save(results)
    if "phone" in wanted:
        results["phone"] = bench_phone_run(runs=options.phone_runs)
        _save(results)
    if options.others and "tenants" in wanted:
        others = tuple(int(n) for n in options.others.split("x"))
        results["tenants"] = bench_tenants(
            alone=dash["pages"], agency_id=dash["agency_id"], others=others, repeat=options.repeat
        )
        _save(results)
    if "routes" in wanted:  # at the run's full size: after the other agencies are loaded
        from .walk import bench_routes

        if "dashboards" not in results:
            dash = bench_dashboards(
                participants=500, weeks=options.dash_weeks, repeat=options.repeat
            )
            results["dashboards"] = dash
        results["routes"] = bench_routes(
            agency_id=results["dashboards"]["agency_id"], repeat=options.route_repeat, say=say
        )
    results["minutes"] = round((time.monotonic() - started) / 60, 1)
    _save(results)
    return results


def _save(results: dict) -> None:
    """Partial runs (`--only`) go to results-partial.json, so the full run's file, from which
    docs/benchmarks.md is written, is never half overwritten."""
    target = RESULTS.with_name("results-partial.json") if results["options"]["only"] else RESULTS
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(results, indent=2, default=str))


def full_load(*, users: int, seconds: float) -> None:
    """The issue's full load run: `users` concurrent participants for `seconds` against
    gunicorn on the benchmark database; 0 errors and stored = accepted, or exit 1."""
    from alliance.checkins.models import CheckInResponse

    prepare_database()
    seeded = seed(agencies=1, participants_per_agency=500, weeks=4, prefix="load")
    agency_id = seeded.agencies[0]
    tokens = checkin_links_create(agency_id=agency_id, count=int(seconds * 400))
    with agency_scope(agency_id):
        before = CheckInResponse.objects.count()
    server, base = gunicorn_start(settings="bench.settings", env=app_role_env(), workers=4)
    try:
        result = loadgen.run(
            base, [f"/c/{t}/" for t in tokens], threads=users // 2, seconds=seconds, processes=2
        )
    finally:
        gunicorn_stop(server)
    with agency_scope(agency_id):
        stored = CheckInResponse.objects.count() - before
    say(
        f"{users} participants, {seconds:.0f} s: {result.accepted} check-ins "
        f"({result.per_second:.1f}/s), p50 {result.percentile(50) * 1000:.0f} ms, "
        f"p95 {result.percentile(95) * 1000:.0f} ms, {result.errors} errors, {stored} stored"
    )
    if result.errors or stored != result.accepted:
        say(f"FAILED: {result.error_samples[:5]}")
        raise SystemExit(1)
