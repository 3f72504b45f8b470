"""The participant's check-in on the wire (issue 17, goal 1): the page is at most 2 SQL
statements and the submit at most 4, in one transaction, row-level-security settings included.
Counted from libpq's own trace of what the application role sends to PostgreSQL (not Django's
query log, which the settings bypass), in autocommit as in production.

The submit's claim is the services' only hand-written statement (decision 151): it is held
here to what the ORM answers, and to moving row-level security to the link's agency."""

import os
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.test import Client

from agencies.models import Role
from agencies.tenancy import agency_scope, scopes_disabled
from alliance.checkins import services
from alliance.checkins.models import Alert, CheckInRequest, CheckInResponse
from tests.factories import (
    make_agency,
    make_checkin_request,
    make_checkin_response,
    make_member,
    make_participant,
)

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = "SELECT set_config('rapport.agency'"
TRANSACTION_CONTROL = re.compile(r"(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.I)


class Wire:
    statements: list[str]  # their first words
    round_trips: int  # messages sent (transaction control included)
    transactions: int  # explicit ones (BEGIN); a message of several statements is one too


@contextmanager
def on_the_wire():
    """What the connection sends while inside: `statements` (their first words), and how many
    transactions they ran in."""
    connection.ensure_connection()
    seen = Wire()
    descriptor, path = tempfile.mkstemp()
    pgconn = connection.connection.pgconn
    pgconn.trace(descriptor)
    try:
        yield seen
    finally:
        pgconn.untrace()
        os.close(descriptor)
        sent = [
            line.split("\t", 4)[4].strip().strip('"').strip()
            for line in _trace_lines(Path(path).read_text())
            if line.split("\t")[1:2] == ["F"] and line.split("\t")[3] in ("Query", "Parse")
        ]
        os.unlink(path)
        seen.round_trips = len(sent)
        seen.transactions = sum(1 for text in sent if text.upper().startswith("BEGIN"))
        seen.statements = [
            statement.strip()[:60]
            for text in sent
            if not TRANSACTION_CONTROL.match(text)
            for statement in _statements(text)
        ]


def _trace_lines(text: str) -> list[str]:
    """libpq's trace, one line per message (a statement's own newlines continue a line)."""
    lines: list[str] = []
    for line in text.splitlines():
        if re.match(r"\d{4}-\d\d-\d\d ", line) or not lines:
            lines.append(line)
        else:
            lines[-1] += " " + line
    return lines


def _statements(message: str) -> list[str]:
    """The statements of one message: the row-level-security settings travel ahead of a
    statement in its message (agencies/row_level_security.py)."""
    if message.startswith(SETTINGS) and "); " in message:
        head, rest = message.split("); ", 1)
        return [head + ")", rest]
    return [message]


def _form(page: str, value: str = "4") -> dict:
    fields = {name: value for name in dict.fromkeys(re.findall(r'name="(item_\d+)"', page))}
    fields["csrfmiddlewaretoken"] = re.search(
        r'name="csrfmiddlewaretoken" value="([^"]+)"', page
    ).group(1)
    return fields


def _round_trip(client, token, value="4"):
    with on_the_wire() as page_wire:
        page = client.get(f"/c/{token}/")
    assert page.status_code == 200
    with on_the_wire() as submit_wire:
        done = client.post(f"/c/{token}/", _form(page.content.decode(), value))
    assert done.status_code == 200 and b"Thank you" in done.content
    return page_wire, submit_wire


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("value", ["4", "1"], ids=["no alert", "with an alert"])
def test_the_check_in_is_two_statements_then_four_in_one_transaction(agency_a, value):
    participant = make_participant(agency_a, peer=make_member(agency_a, Role.PEER))
    make_checkin_response(participant, days_ago=7)  # a previous score, for the drop rule
    client = Client()
    _round_trip(client, make_checkin_request(participant)[1])  # the process's caches warm
    _request, token = make_checkin_request(participant)
    page, submit = _round_trip(client, token, value)
    assert len(page.statements) <= 2 and page.round_trips == 1, page.statements
    assert len(submit.statements) <= 4 and submit.transactions == 1, submit.statements
    # BEGIN, the settings with the claim, the response, (the alert,) COMMIT
    assert submit.round_trips == len(submit.statements) + 1, submit.statements
    with agency_scope(agency_a):
        stored = CheckInResponse.objects.get(request=_request)
        assert Alert.objects.filter(response=stored).exists() == (value == "1")


@pytest.mark.django_db(transaction=True)
def test_the_claim_reads_what_the_orm_reads_and_moves_row_level_security(agency_a):
    other = make_agency("other-agency")
    make_participant(other)  # a row row-level security must hide after the claim
    participant = make_participant(agency_a, language="es")
    make_checkin_response(participant, scale_value=3, days_ago=2)
    checkin, token = make_checkin_request(participant)
    with scopes_disabled():
        expected = CheckInRequest.objects.select_related("agency", "participant").get(pk=checkin.pk)
        previous = (
            CheckInResponse.objects.filter(participant=participant)
            .order_by("-submitted_at")
            .values_list("percent", flat=True)
            .first()
        )
    with transaction.atomic():
        claimed = services.checkin_claim(raw_token=token)
        # In the agency's scope, with no set_config sent: the settings the claim left.
        with agency_scope(agency_a), on_the_wire() as wire, connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_setting('rapport.agency'), "
                "current_setting('rapport.all_agencies'), "
                "(SELECT count(*) FROM participants_participant)"
            )
            settings_after = cursor.fetchone()
        transaction.set_rollback(True)  # the link stays open
    fields = ("id", "agency_id", "participant_id", "instrument_id", "channel", "expires_at")
    assert [getattr(claimed, f) for f in fields] == [getattr(expected, f) for f in fields]
    assert claimed.agency.alert_drop_percent == expected.agency.alert_drop_percent
    assert claimed.agency.default_language == expected.agency.default_language
    assert claimed.participant.time_zone == expected.participant.time_zone
    assert (claimed.language, claimed.previous_percent) == ("es", previous)
    assert settings_after == (str(agency_a.pk), "off", 1)
    assert len(wire.statements) == 1, wire.statements
    with scopes_disabled():
        assert CheckInRequest.objects.get(pk=checkin.pk).completed_at is None
        assert CheckInRequest.objects.count() == 2 and previous is not None


@pytest.mark.django_db(transaction=True)
def test_a_spent_unknown_or_revoked_link_is_not_claimed(agency_a):
    participant = make_participant(agency_a)
    used, used_token = make_checkin_request(participant)
    with transaction.atomic():
        assert services.checkin_claim(raw_token=used_token) is not None
    with transaction.atomic():
        assert services.checkin_claim(raw_token=used_token) is None
        assert services.checkin_claim(raw_token="no-such-token") is None
        assert services.checkin_claim(raw_token="") is None


def test_the_claim_is_the_only_statement_that_sets_row_level_security_itself():
    """One service function may own a hand-written statement that moves row-level security
    (issue 17); a second is a decision to make, not a drift. The services' hand-written
    statements are these two; the deliveries' claim runs in its agency's scope like any
    ORM statement (decision 37)."""
    found, sets_itself = [], []
    for path in sorted(ROOT.glob("**/*.py")):
        if ".venv" in path.parts or "node_modules" in path.parts or "tests" in path.parts:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            where = f"{path.relative_to(ROOT)}:{number}"
            if path.name == "services.py" and re.search(
                r"cursor\.execute\(|\.raw\(|fetchone_planned_once\(", line
            ):
                found.append(where.split(":")[0])
            if "agency_set_by_statement(" in line and path.name != "row_level_security.py":
                sets_itself.append(where.split(":")[0])
    assert sorted(found) == ["alliance/checkins/services.py", "alliance/messaging/services.py"]
    assert sets_itself == ["alliance/checkins/services.py"]
