"""The floor of the check-in round trip: the least a Django view can do for the same job.
GET looks a link up by its token hash (one indexed SELECT) and answers a tiny page; POST
stores the answers (one INSERT). No template, no form, no scope, no CSRF; no middleware in
bench/floor_settings.py (the bare floor), Rapport's full middleware under bench/settings.py
(the same-stack floor).

The links are in a table of their own, without row-level security (the benchmark copies the
hashes of the links it makes, runner.floor_links_add): as the application role, a SELECT on
the real check-in table would need the row-level-security settings first, which are
Rapport's cost, not the floor's."""

import hashlib

from django.db import connection
from django.http import HttpResponse, HttpResponseNotFound
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

FLOOR_TABLE = "bench_floor_answer"
FLOOR_LINKS = "bench_floor_link"
FLOOR_TABLE_SQL = f"""
CREATE TABLE IF NOT EXISTS {FLOOR_TABLE} (
    id bigserial PRIMARY KEY, request_id bigint NOT NULL, answers text NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS {FLOOR_LINKS} (token_hash text PRIMARY KEY, request_id bigint NOT NULL)
"""


@csrf_exempt
def floor_checkin(request, token):
    hashed = hashlib.sha256(token.encode()).hexdigest()
    with connection.cursor() as cursor:
        if request.method == "GET":
            cursor.execute(
                f"SELECT request_id FROM {FLOOR_LINKS} WHERE token_hash = %s",  # noqa: S608
                [hashed],
            )
            row = cursor.fetchone()
            if row is None:
                return HttpResponseNotFound("no such link")
            return HttpResponse(
                f'<form method="post"><input name="item_{row[0]}" value="5"></form>'
            )
        cursor.execute(
            f"INSERT INTO {FLOOR_TABLE} (request_id, answers, created_at) VALUES (0, %s, %s)",  # noqa: S608
            [request.body.decode(), timezone.now()],
        )
    return HttpResponse("thanks")


def floor_page(request, agency_slug, which):
    """The same-stack page floor (issue 17): a signed-in page of the agency through Rapport's
    full middleware (session, CSRF, agency membership and scope, row-level security) that
    runs the one raw SQL statement computing the page's rows (bench/sql.py) and answers them
    as a bare list. What a page can cost at least on this stack."""
    from . import sql

    statement = {"caseload": sql.CASELOAD}[which]
    with connection.cursor() as cursor:
        cursor.execute(statement, {"agency": request.agency.pk})
        rows = cursor.fetchall()
    items = "".join(f"<li>{row[0]} {row[1]}</li>" for row in rows)
    return HttpResponse(f"<!DOCTYPE html><title>floor</title><ul>{items}</ul>")
