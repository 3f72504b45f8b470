"""Safe defaults: the demo seed refuses a non-development database, an API request that died
mid-way does not block its Idempotency-Key for a day, and a form whose view crashed can be
sent again."""

from datetime import timedelta
from io import StringIO
from unittest import mock

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command
from django.utils import timezone

from agencies.api.viewsets import AgencyScopedViewSet
from agencies.models import IdempotentRequest, User
from agencies.tenancy import agency_scope
from demo.seed import DEMO_TOTP_SECRET, PLATFORM_ADMIN
from participants import services as participant_services
from participants.models import Participant
from tests.factories import api_client, make_api_key

V1 = "/api/v1"
PARTICIPANTS = "/a/agency-a/participants/"


# The demo seed ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_seed_demo_refuses_to_run_without_debug(settings):
    settings.DEBUG = False
    out = StringIO()
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo", stdout=out)
    assert not User.objects.filter(email=PLATFORM_ADMIN).exists()
    assert not User.objects.exists()
    assert DEMO_TOTP_SECRET not in out.getvalue()


@pytest.mark.django_db
def test_seed_demo_runs_with_debug(settings):
    settings.DEBUG = True
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert User.objects.filter(email=PLATFORM_ADMIN, is_superuser=True).exists()
    assert PLATFORM_ADMIN in out.getvalue()


# API idempotency: a request that never answered ------------------------------------------------


class Killed(BaseException):
    """The process died mid-request: nothing after this point runs, not even clean-up."""


def _killed_mid_request(api, body, key):
    """Leave an in-progress idempotency row behind, as a worker killed mid-request does."""
    with (
        mock.patch.object(AgencyScopedViewSet, "_idempotency_abandon", lambda self: None),
        mock.patch.object(participant_services, "participant_create", side_effect=Killed),
        pytest.raises(Killed),
    ):
        api.post(f"{V1}/participants/", body, HTTP_IDEMPOTENCY_KEY=key)


def test_a_request_killed_mid_way_blocks_its_key_only_until_the_timeout(agency_a, settings):
    settings.RAPPORT_IDEMPOTENCY_IN_PROGRESS_SECONDS = 60
    api = api_client(make_api_key(agency_a)[1])
    body = {"preferred_name": "Rosa"}
    _killed_mid_request(api, body, "killed-1")
    with agency_scope(agency_a):
        assert IdempotentRequest.objects.get().response_status is None  # left in progress
    started = timezone.now()

    with time_machine.travel(started + timedelta(seconds=30)):
        soon = api.post(f"{V1}/participants/", body, HTTP_IDEMPOTENCY_KEY="killed-1")
    assert soon.status_code == 409
    assert soon.json()["error"]["code"] == "idempotency_in_progress"

    with time_machine.travel(started + timedelta(seconds=61)):
        later = api.post(f"{V1}/participants/", body, HTTP_IDEMPOTENCY_KEY="killed-1")
        assert later.status_code == 201, later.content
        assert "Idempotent-Replayed" not in later
        again = api.post(f"{V1}/participants/", body, HTTP_IDEMPOTENCY_KEY="killed-1")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == later.json()
    with agency_scope(agency_a):
        assert Participant.objects.get().preferred_name == "Rosa"


def test_a_completed_request_still_replays_for_a_day(agency_a, settings):
    settings.RAPPORT_IDEMPOTENCY_IN_PROGRESS_SECONDS = 60
    api = api_client(make_api_key(agency_a)[1])
    body = {"preferred_name": "Rosa"}
    first = api.post(f"{V1}/participants/", body, HTTP_IDEMPOTENCY_KEY="done-1")
    assert first.status_code == 201
    with time_machine.travel(timezone.now() + timedelta(hours=23)):
        again = api.post(f"{V1}/participants/", body, HTTP_IDEMPOTENCY_KEY="done-1")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    with agency_scope(agency_a):
        assert Participant.objects.count() == 1


# Web forms: a view that crashed ----------------------------------------------------------------


def test_a_form_whose_view_crashed_can_be_sent_again(admin_a_client, agency_a):
    real_create = participant_services.participant_create
    calls = []

    def fails_once(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise RuntimeError("the database went away")
        return real_create(**kwargs)

    form = {
        "preferred_name": "Dee",
        "email": "dee@example.org",
        "phone": "(202) 555-0143",
        "enrolled_on": "2026-10-01",
        "language": "es",
        "submission": "crash-1",
    }
    with mock.patch.object(participant_services, "participant_create", side_effect=fails_once):
        with pytest.raises(RuntimeError):
            admin_a_client.post(PARTICIPANTS + "new/", form)
        retry = admin_a_client.post(PARTICIPANTS + "new/", form)
    assert len(calls) == 2  # the retry ran the view again
    assert retry.status_code == 302 and retry["Location"] != PARTICIPANTS + "new/"
    shown = [str(message) for message in get_messages(retry.wsgi_request)]
    assert "That was already saved." not in shown and "Participant added." in shown
    with agency_scope(agency_a):
        assert Participant.objects.get().preferred_name == "Dee"
    # A third send of the same form is a double submit again: stored once.
    third = admin_a_client.post(PARTICIPANTS + "new/", form)
    assert third["Location"] == retry["Location"]
    with agency_scope(agency_a):
        assert Participant.objects.count() == 1
