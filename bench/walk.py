"""Benchmark 5 (issue 17, goal 2): every staff page and every API list, walked from the URL
configuration (tests/routes.py, as the route-access tests walk it), so a new page is measured
without being added here. In-process (Django's test client, the full middleware, the
application role with row-level security), on the measured agency at the run's full size,
as its admin (who may open every page). Each route's GET is timed `repeat` times after two
warm-ups; the goal is p95 <= 50 ms for every route; the report lists the slowest ten.

The addresses name one of the agency's participants with the most history; ids the URL takes
for other objects (a staff member, an import, a key…) are made by the route tests' builders
(tests/test_cross_agency_routes.py, OBJECT_BUILDERS)."""

import gc
import time

from django.test import Client
from django.urls import reverse

from agencies.models import Agency, Role
from agencies.tenancy import agency_scope
from bench.loadgen import percentile

P95_GOAL_MS = 50


def _busiest_participant(agency_id: int):
    from django.db.models import Count

    from participants.models import Participant

    with agency_scope(agency_id):
        return (
            Participant.objects.select_related("assigned_peer")
            .annotate(n=Count("checkin_responses"))
            .order_by("-n", "id")
            .first()
        )


def route_urls(agency) -> dict[str, str]:
    from tests.factories import make_goal, make_goal_step, make_member
    from tests.routes import agency_routes, all_routes
    from tests.test_cross_agency_routes import OBJECT_BUILDERS, url_of

    main = _busiest_participant(agency.pk)
    peer = main.assigned_peer or make_member(agency, Role.PEER)
    urls = {}
    for route in agency_routes():
        if route.access is None or route.name == "bench_floor_page":
            continue
        built = {"peer": peer, "participant_id": main}
        for name in route.kwargs:
            if name not in built and name != "agency_slug":
                built[name] = OBJECT_BUILDERS[name](agency, built)
        used = {name: built[name] for name in route.kwargs if name != "agency_slug"}
        urls[str(route)] = url_of(route, agency, used)
    goal = make_goal(main)
    make_goal_step(goal)
    for route in all_routes():
        if route.pattern.startswith("api/v1/") and route.name.endswith("-list"):
            kwargs = {"participant_pk": main.pk, "goal_pk": goal.pk}
            urls[str(route)] = reverse(route.name, kwargs={k: kwargs[k] for k in route.kwargs})
    return urls


def _walk(client, urls: dict[str, str], repeat: int):
    """Each route's GET `repeat` times after two warm-ups: (timings ms, statuses, exports)."""
    timings, statuses, downloads = {}, {}, {}
    for name, url in urls.items():
        first = client.get(url)
        status = first.status_code
        if status == 405:
            continue  # a POST-only route: nothing to render
        if first.get("Content-Disposition", "").startswith("attachment"):
            downloads[name] = url  # an export: timed, reported apart (decision 152)
        client.get(url)
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        timings[name], statuses[name] = times, status
    return timings, statuses, downloads


def bench_routes(*, agency_id: int, repeat: int, say=print) -> dict:
    from tests.factories import make_member

    agency = Agency.objects.get(pk=agency_id)
    admin = make_member(agency, Role.ADMIN)  # with two-factor set up, as admins must
    urls = route_urls(agency)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(admin.user)
    say(f"benchmark 5: {len(urls)} routes, {repeat} timings each")
    # This process has just loaded a million participants; a serving worker has none of those
    # objects. Frozen, they are not scanned by every full garbage collection (a 100 ms pause
    # here, which landed on whichever route was timed then).
    gc.collect()
    gc.freeze()
    try:
        timings, statuses, downloads = _walk(client, urls, repeat)
    finally:
        gc.unfreeze()
    rows = [
        {
            "route": name,
            "status": statuses[name],
            "p50_ms": round(percentile(times, 50), 1),
            "p95_ms": round(percentile(times, 95), 1),
        }
        for name, times in timings.items()
    ]
    rows.sort(key=lambda row: -row["p95_ms"])
    pages = [row for row in rows if row["route"] not in downloads]
    every = [t for name, times in timings.items() if name not in downloads for t in times]
    return {
        "routes": len(pages),
        "repeat": repeat,
        "p95_all_ms": round(percentile(every, 95), 1),
        "over_goal": [row["route"] for row in pages if row["p95_ms"] > P95_GOAL_MS],
        "slowest": pages[:10],
        "downloads": [row for row in rows if row["route"] in downloads],
        "all": rows,
    }
