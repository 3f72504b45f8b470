"""Who acted and in which request reach the audit trail from one context (agencies/context.py),
set by the middleware for pages and by Celery for tasks; services never take the request."""

import uuid

from django.urls import reverse

from agencies.context import context_current
from agencies.models import AuditEvent
from agencies.services import audit_record
from agencies.tenancy import agency_scope
from config.celery import app


def latest_event(agency, action):
    with agency_scope(agency):
        return AuditEvent.objects.filter(action=action).latest("id")


def test_a_page_write_records_the_staff_member_and_the_request_id(
    agency_a, admin_a_client, admin_a
):
    request_id = str(uuid.uuid4())
    response = admin_a_client.post(
        reverse("language_terms", args=[agency_a.slug]),
        {"term": "addict", "alternative": "person in recovery"},
        headers={"X-Request-ID": request_id},
    )
    assert response.status_code == 302
    assert response["X-Request-ID"] == request_id
    event = latest_event(agency_a, "language_term.added")
    assert (event.actor_id, event.request_id) == (admin_a.user.pk, request_id)


def test_the_next_request_starts_from_an_empty_context(agency_a, admin_a_client):
    admin_a_client.get(reverse("language_terms", args=[agency_a.slug]))
    # The request's context ended with the request: nothing of it is left for the next code.
    assert context_current().request_id == "" and context_current().user is None


@app.task(name="tests.audit_in_a_task")
def audit_in_a_task(agency_id):
    with agency_scope(agency_id):
        from agencies.models import Agency

        audit_record(agency=Agency.objects.get(pk=agency_id), action="test.task_ran")


def test_a_task_records_its_own_id_and_no_person(agency_a):
    result = audit_in_a_task.apply(args=[agency_a.pk], task_id="task-7f3a")
    assert result.successful(), result.traceback
    event = latest_event(agency_a, "test.task_ran")
    assert (event.actor_id, event.request_id) == (None, "task-7f3a")
    assert event.actor_label == "task:audit_in_a_task"


def test_an_api_write_with_a_key_records_the_key_and_the_request_id(agency_a):
    from tests.factories import api_client, make_api_key, make_participant

    key, raw = make_api_key(agency_a, access="read_write")
    participant = make_participant(agency_a)
    request_id = str(uuid.uuid4())
    response = api_client(raw).post(
        "/api/v1/checkin-requests/",
        {"participant": participant.pk},
        headers={"X-Request-ID": request_id},
    )
    assert response.status_code == 201, response.content
    event = latest_event(agency_a, "checkin_request.created")
    assert (event.actor_id, event.actor_label) == (None, f"api-key:{key.pk}")
    assert event.request_id == request_id


def test_a_label_longer_than_its_column_is_cut_not_refused(agency_a):
    """A task with a long name writes its audit event (it used to fail the task's change)."""
    from agencies.context import acting

    with acting(label="task:" + "x" * 80), agency_scope(agency_a):
        event = audit_record(agency=agency_a, action="test.long_label")
    assert event.actor_label == ("task:" + "x" * 80)[:40]
