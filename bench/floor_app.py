"""The floor of the check-in round trip: the least a Django view can do for the same job.
GET looks a link up by its token hash (one indexed SELECT on the real check-in table) and
answers a tiny page; POST stores the answers (one INSERT). No template, no form, no
middleware (bench/floor_settings.py), no scope, no CSRF."""

import hashlib

from django.db import connection
from django.http import HttpResponse, HttpResponseNotFound
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

FLOOR_TABLE = "bench_floor_answer"
FLOOR_TABLE_SQL = f"""
CREATE TABLE IF NOT EXISTS {FLOOR_TABLE} (
    id bigserial PRIMARY KEY, request_id bigint NOT NULL, answers text NOT NULL,
    created_at timestamptz NOT NULL
)"""


@csrf_exempt
def floor_checkin(request, token):
    hashed = hashlib.sha256(token.encode()).hexdigest()
    with connection.cursor() as cursor:
        if request.method == "GET":
            cursor.execute("SELECT id FROM checkins_checkinrequest WHERE token_hash = %s", [hashed])
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
