"""Collaborative goals (practice 6): staff pages, the participant's agreement through their
portal link, the review reminder to the peer, and the download."""

import csv
import io
import json
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agencies.models import AuditEvent, Role
from agencies.tenancy import agency_scope, scopes_disabled
from alliance.goals import messages as goal_messages
from alliance.goals import services as goals
from alliance.goals.models import GoalStatus, GoalStep, RecoveryGoal
from alliance.messaging.models import Delivery, DeliveryChannel, DeliveryKind, DeliveryStatus
from participants import services as participant_services
from tests.conftest import client_for
from tests.factories import make_goal, make_goal_step, make_member, make_participant

pytestmark = pytest.mark.django_db

FUTURE = timezone.localdate() + timedelta(days=30)


# Helpers -------------------------------------------------------------------------------------


@pytest.fixture
def participant(agency_a, peer_a):
    return make_participant(agency_a, peer=peer_a, preferred_name="Rosa")


@pytest.fixture
def token(participant, peer_a):
    with agency_scope(participant.agency):
        _link, raw = participant_services.portal_link_create(
            participant=participant, created_by=peer_a.user
        )
    return raw


def base(participant) -> str:
    return f"/a/{participant.agency.slug}/participants/{participant.pk}/goals/"


def portal(token: str, page: str = "") -> str:
    return f"/p/{token}/{page}"


def goal_data(**overrides) -> dict:
    data = {
        "words": "Get my driving licence back",
        "why_it_matters": "So I can visit my daughter",
        "proposed_by": "participant",
        "review_on": "",
        "status": "active",
    }
    data.update(overrides)
    return data


def fresh(goal) -> RecoveryGoal:
    with scopes_disabled():
        return RecoveryGoal.objects.get(pk=goal.pk)


def audit_actions(goal=None) -> list[str]:
    with scopes_disabled():
        events = AuditEvent.objects.filter(action__startswith="goal.")
        if goal is not None:
            events = events.filter(object_type="recoverygoal", object_id=str(goal.pk))
        return list(events.order_by("id").values_list("action", flat=True))


def deliveries(goal) -> list[tuple]:
    with scopes_disabled():
        return list(
            Delivery.objects.filter(kind=DeliveryKind.GOAL_REVIEW, subject_id=goal.pk)
            .order_by("subject_version", "channel")
            .values_list("subject_version", "channel", "status", "membership_id", "due_at")
        )


def snapshot() -> dict:
    with scopes_disabled():
        return {
            "goals": list(
                RecoveryGoal.objects.order_by("pk").values_list(
                    "words", "why_it_matters", "agreed_at", "agreed_words", "updated_at"
                )
            ),
            "steps": list(GoalStep.objects.order_by("pk").values_list("text", "done_at")),
            "audit": AuditEvent.objects.count(),
            "deliveries": Delivery.objects.count(),
        }


def seen_digest(client, token, goal) -> str:
    html = client.get(portal(token)).content.decode()
    match = re.search(
        rf'action="/p/{re.escape(token)}/goals/{goal.pk}/agree/"[^>]*>'
        r'.*?name="seen" value="([^"]+)"',
        html,
        re.S,
    )
    return match.group(1)


# Staff pages ---------------------------------------------------------------------------------


def test_staff_create_edit_and_steps(peer_a_client, participant):
    response = peer_a_client.post(
        base(participant) + "new/", goal_data(words="Cook <b>dinner</b> for my kids")
    )
    assert response.status_code == 302 and response["Location"] == base(participant)
    with agency_scope(participant.agency):
        goal = RecoveryGoal.objects.get(participant=participant)
    assert goal.proposed_by == "participant" and goal.needs_agreement
    assert goal.created_by_id is not None

    html = peer_a_client.get(base(participant)).content.decode()
    assert "Cook &lt;b&gt;dinner&lt;/b&gt; for my kids" in html and "<b>dinner" not in html
    assert "Not agreed yet" in html and "So I can visit my daughter" in html

    # Add a step twice (a double submit): stored once.
    for _ in range(2):
        assert peer_a_client.post(base(participant) + f"{goal.pk}/steps/", {"text": "Call DMV"})
    with agency_scope(participant.agency):
        step = GoalStep.objects.get(goal=goal)
    assert step.text == "Call DMV"

    # Tick twice, untick once.
    toggle = base(participant) + f"{goal.pk}/steps/{step.pk}/toggle/"
    for _ in range(2):
        assert peer_a_client.post(toggle, {"done": "1"}).status_code == 302
    with agency_scope(participant.agency):
        first_done = GoalStep.objects.get(pk=step.pk).done_at
    assert first_done is not None
    assert peer_a_client.post(toggle, {"done": "0"}).status_code == 302
    with agency_scope(participant.agency):
        assert GoalStep.objects.get(pk=step.pk).done_at is None

    # Edit: words, status, who proposed it.
    response = peer_a_client.post(
        base(participant) + f"{goal.pk}/edit/",
        goal_data(words="Get my licence back", proposed_by="staff", status="paused"),
    )
    assert response.status_code == 302
    goal = fresh(goal)
    assert (goal.words, goal.proposed_by, goal.status) == ("Get my licence back", "staff", "paused")
    assert audit_actions(goal) == ["goal.created", "goal.updated", "goal.status_changed"]
    with scopes_disabled():
        step_events = list(
            AuditEvent.objects.filter(object_type="goalstep")
            .order_by("id")
            .values_list("action", flat=True)
        )
    assert step_events == ["goal.step_added", "goal.step_done", "goal.step_undone"]


def test_saving_unchanged_values_writes_nothing(peer_a_client, participant):
    goal = make_goal(participant, words="Sleep before midnight", why_it_matters="Energy")
    before = snapshot()
    data = goal_data(words="Sleep before midnight", why_it_matters="Energy")
    assert peer_a_client.post(base(participant) + f"{goal.pk}/edit/", data).status_code == 302
    after = snapshot()
    assert after["goals"] == before["goals"]
    # Only the page view of the edit form would be audited; a POST with no change is silent.
    assert audit_actions(goal) == ["goal.created"]


def test_double_create_stores_once(peer_a_client, participant):
    for _ in range(2):
        assert peer_a_client.post(base(participant) + "new/", goal_data()).status_code == 302
    with agency_scope(participant.agency):
        assert RecoveryGoal.objects.filter(participant=participant).count() == 1


def test_forms_show_field_errors(peer_a_client, participant):
    goal = make_goal(participant)
    cases = [
        goal_data(words=""),
        goal_data(words="x" * 1001),
        goal_data(why_it_matters="x" * 1001),
        goal_data(status="nonsense"),
        goal_data(review_on=(timezone.localdate() - timedelta(days=3)).isoformat()),
    ]
    for data in cases:
        for url in (base(participant) + "new/", base(participant) + f"{goal.pk}/edit/"):
            response = peer_a_client.post(url, data)
            assert response.status_code == 400, data
            assert 'class="errorlist' in response.content.decode()
    response = peer_a_client.post(base(participant) + f"{goal.pk}/steps/", {"text": ""})
    assert response.status_code == 400 and 'class="errorlist' in response.content.decode()
    response = peer_a_client.post(base(participant) + f"{goal.pk}/steps/", {"text": "x" * 301})
    assert response.status_code == 400
    with agency_scope(participant.agency):
        assert RecoveryGoal.objects.count() == 1 and GoalStep.objects.count() == 0


def test_peer_outside_the_caseload_gets_404(agency_a, participant):
    goal = make_goal(participant)
    step = make_goal_step(goal)
    other_peer = client_for(make_member(agency_a, Role.PEER).user)
    urls = [
        base(participant),
        base(participant) + "new/",
        base(participant) + f"{goal.pk}/edit/",
        base(participant) + f"{goal.pk}/steps/",
        base(participant) + f"{goal.pk}/steps/{step.pk}/toggle/",
    ]
    before = snapshot()
    for url in urls:
        statuses = {
            other_peer.get(url).status_code,
            other_peer.post(url, {**goal_data(), "text": "x", "done": "1"}).status_code,
        }
        assert statuses <= {404, 405} and 404 in statuses, url
    assert snapshot() == before


def test_goal_of_another_participant_is_404(peer_a_client, agency_a, peer_a, participant):
    other = make_participant(agency_a, peer=peer_a)
    goal = make_goal(other)
    step = make_goal_step(goal)
    assert peer_a_client.get(base(participant) + f"{goal.pk}/edit/").status_code == 404
    toggle = base(participant) + f"{goal.pk}/steps/{step.pk}/toggle/"
    assert peer_a_client.post(toggle, {"done": "1"}).status_code == 404


def test_participant_page_links_to_goals(peer_a_client, participant):
    html = peer_a_client.get(f"/a/{participant.agency.slug}/participants/{participant.pk}/")
    assert f'href="{base(participant)}"' in html.content.decode()


# Portal: agreement -----------------------------------------------------------------------------


def test_portal_get_writes_nothing(participant, token):
    goal = make_goal(participant, review_on=FUTURE)
    step = make_goal_step(goal)
    client = Client()
    before = snapshot()
    with CaptureQueriesContext(connection) as queries:
        for page in ("", f"goals/{goal.pk}/edit/", "export.json", "export.csv"):
            assert client.get(portal(token, page)).status_code == 200
            assert client.head(portal(token, page)).status_code == 200
        # GET of the POST-only routes answers 405 and writes nothing either.
        assert client.get(portal(token, f"goals/{goal.pk}/agree/")).status_code == 405
        assert (
            client.get(portal(token, f"goals/{goal.pk}/steps/{step.pk}/toggle/")).status_code == 405
        )
    sql = [q["sql"] for q in queries.captured_queries]
    assert not [q for q in sql if re.match(r"\s*(INSERT|UPDATE|DELETE)\b", q, re.I)]
    assert snapshot() == before


def test_participant_agrees_through_the_portal(participant, token):
    goal = make_goal(participant, words="Walk with my sister on Sundays")
    step = make_goal_step(goal, "Call her on Friday")
    client = Client()
    html = client.get(portal(token)).content.decode()
    assert "Walk with my sister on Sundays" in html and "Call her on Friday" in html
    assert "You have not agreed to this goal yet." in html
    assert "<script" not in html.lower()

    seen = seen_digest(client, token, goal)
    response = client.post(portal(token, f"goals/{goal.pk}/agree/"), {"seen": seen})
    assert response.status_code == 302 and "done=goal-agreed" in response["Location"]
    agreed = fresh(goal)
    assert agreed.agreed_at is not None and agreed.agreed_words == agreed.words
    assert not agreed.needs_agreement

    # A double submit keeps the first time and records once.
    client.post(portal(token, f"goals/{goal.pk}/agree/"), {"seen": seen})
    assert fresh(goal).agreed_at == agreed.agreed_at
    assert audit_actions(goal).count("goal.agreed") == 1
    with scopes_disabled():
        event = AuditEvent.objects.get(action="goal.agreed")
    assert event.actor_id is None and event.actor_label == "participant-link"

    html = client.get(portal(token)).content.decode()
    assert "You agreed to this goal on" in html
    assert f"/goals/{goal.pk}/agree/" not in html

    # Ticking a step, twice: done once.
    for _ in range(2):
        toggle = portal(token, f"goals/{goal.pk}/steps/{step.pk}/toggle/")
        assert client.post(toggle, {"done": "1"}).status_code == 302
    with scopes_disabled():
        assert GoalStep.objects.get(pk=step.pk).done_at is not None
        assert AuditEvent.objects.filter(action="goal.step_done").count() == 1


def test_staff_edit_after_agreement_asks_again(peer_a_client, participant, token):
    goal = make_goal(participant, words="Go to two meetings a week")
    client = Client()
    stale = seen_digest(client, token, goal)
    client.post(portal(token, f"goals/{goal.pk}/agree/"), {"seen": stale})
    assert not fresh(goal).needs_agreement

    response = peer_a_client.get(base(participant) + f"{goal.pk}/edit/")
    assert "they will be asked to agree again" in response.content.decode()
    peer_a_client.post(
        base(participant) + f"{goal.pk}/edit/", goal_data(words="Go to three meetings a week")
    )
    changed = fresh(goal)
    assert changed.needs_agreement and changed.agreed_words == "Go to two meetings a week"
    assert "goal.agreement_needed" in audit_actions(goal)
    staff_html = peer_a_client.get(base(participant)).content.decode()
    assert "Words changed since they agreed" in staff_html

    html = client.get(portal(token)).content.decode()
    assert "The words changed after you agreed" in html
    # Agreeing with the page loaded before the change records nothing.
    response = client.post(portal(token, f"goals/{goal.pk}/agree/"), {"seen": stale})
    assert "done=goal-changed" in response["Location"]
    assert fresh(goal).needs_agreement
    # With the current page it works.
    client.post(
        portal(token, f"goals/{goal.pk}/agree/"), {"seen": seen_digest(client, token, goal)}
    )
    final = fresh(goal)
    assert not final.needs_agreement and final.agreed_words == "Go to three meetings a week"


def test_portal_edit_records_agreement_of_their_own_words(participant, token):
    goal = make_goal(participant, words="Stop drinking", why_it_matters="")
    client = Client()
    page = client.get(portal(token, f"goals/{goal.pk}/edit/"))
    html = page.content.decode()
    assert page.status_code == 200 and "Stop drinking" in html
    seen = re.search(r'name="seen" value="([^"]+)"', html).group(1)
    data = {
        "words": "Have a calm evening without a drink",
        "why_it_matters": "I want to wake up rested",
        "seen": seen,
    }
    for _ in range(2):  # double submit
        response = client.post(portal(token, f"goals/{goal.pk}/edit/"), data)
        assert response.status_code == 302 and "done=goal-" in response["Location"]
    edited = fresh(goal)
    assert edited.words == edited.agreed_words == "Have a calm evening without a drink"
    assert edited.why_it_matters == "I want to wake up rested"
    assert edited.agreed_at is not None and not edited.needs_agreement
    actions = audit_actions(goal)
    assert actions.count("goal.edited_by_participant") == 1 and actions.count("goal.agreed") == 1


def test_portal_edit_after_a_staff_change_saves_nothing(peer_a_client, participant, token):
    goal = make_goal(participant, words="Find a job")
    client = Client()
    html = client.get(portal(token, f"goals/{goal.pk}/edit/")).content.decode()
    seen = re.search(r'name="seen" value="([^"]+)"', html).group(1)
    peer_a_client.post(base(participant) + f"{goal.pk}/edit/", goal_data(words="Find a job I like"))
    response = client.post(
        portal(token, f"goals/{goal.pk}/edit/"),
        {"words": "Find part-time work", "why_it_matters": "", "seen": seen},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Find a job I like" in body and "Find part-time work" in body
    assert fresh(goal).words == "Find a job I like" and fresh(goal).agreed_at is None


def test_portal_edit_shows_field_errors(participant, token):
    goal = make_goal(participant)
    client = Client()
    html = client.get(portal(token, f"goals/{goal.pk}/edit/")).content.decode()
    seen = re.search(r'name="seen" value="([^"]+)"', html).group(1)
    before = snapshot()
    for words in ("", "x" * 1001):
        response = client.post(
            portal(token, f"goals/{goal.pk}/edit/"),
            {"words": words, "why_it_matters": "", "seen": seen},
        )
        assert response.status_code == 400 and 'class="errorlist' in response.content.decode()
    assert snapshot() == before


def test_portal_cannot_reach_another_participants_goal(agency_a, participant, token):
    other_goal = make_goal(make_participant(agency_a))
    other_step = make_goal_step(other_goal)
    client = Client()
    before = snapshot()
    assert client.get(portal(token, f"goals/{other_goal.pk}/edit/")).status_code == 404
    assert (
        client.post(portal(token, f"goals/{other_goal.pk}/agree/"), {"seen": "x"}).status_code
        == 404
    )
    toggle = portal(token, f"goals/{other_goal.pk}/steps/{other_step.pk}/toggle/")
    assert client.post(toggle, {"done": "1"}).status_code == 404
    assert snapshot() == before


def test_portal_goals_are_in_the_participants_language(agency_a, peer_a):
    participant = make_participant(agency_a, peer=peer_a, language="es")
    with agency_scope(agency_a):
        _link, raw = participant_services.portal_link_create(
            participant=participant, created_by=peer_a.user
        )
    goal = make_goal(participant)
    with agency_scope(agency_a):
        goals.goal_set_status(goal=goal, status=GoalStatus.ACHIEVED, changed_by=peer_a.user)
    html = Client().get(portal(raw), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="es">' in html and goal.words in html


# Review reminder -------------------------------------------------------------------------------


def nine_am(agency, day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, tzinfo=ZoneInfo(agency.time_zone))


def test_review_reminder_scheduled_rescheduled_and_cancelled(
    peer_a_client, participant, peer_a, agency_a
):
    peer_a_client.post(base(participant) + "new/", goal_data(review_on=FUTURE.isoformat()))
    with agency_scope(agency_a):
        goal = RecoveryGoal.objects.get(participant=participant)
    due = nine_am(agency_a, FUTURE)
    assert deliveries(goal) == [
        (1, DeliveryChannel.EMAIL, DeliveryStatus.PENDING, peer_a.pk, due),
        (1, DeliveryChannel.IN_APP, DeliveryStatus.PENDING, peer_a.pk, due),
    ]

    # Saving the same date again changes nothing.
    peer_a_client.post(
        base(participant) + f"{goal.pk}/edit/", goal_data(review_on=FUTURE.isoformat())
    )
    assert len(deliveries(goal)) == 2

    # A new date: the pending ones are cancelled, new ones made with the next version.
    later = FUTURE + timedelta(days=7)
    peer_a_client.post(
        base(participant) + f"{goal.pk}/edit/", goal_data(review_on=later.isoformat())
    )
    rows = deliveries(goal)
    assert [(v, s) for v, _c, s, _m, _d in rows] == [
        (1, "cancelled"),
        (1, "cancelled"),
        (2, "pending"),
        (2, "pending"),
    ]
    assert rows[-1][4] == nine_am(agency_a, later)

    # Back to the first date: a third version (a cancelled row is never revived by mistake).
    peer_a_client.post(
        base(participant) + f"{goal.pk}/edit/", goal_data(review_on=FUTURE.isoformat())
    )
    pending = [row for row in deliveries(goal) if row[2] == DeliveryStatus.PENDING]
    assert {row[0] for row in pending} == {3} and len(pending) == 2 and pending[0][4] == due

    # Achieved: nothing left to review.
    peer_a_client.post(
        base(participant) + f"{goal.pk}/edit/",
        goal_data(review_on=FUTURE.isoformat(), status="achieved"),
    )
    assert not [row for row in deliveries(goal) if row[2] == DeliveryStatus.PENDING]

    # Reopened: planned again.
    with agency_scope(agency_a):
        goals.goal_set_status(goal=fresh(goal), status=GoalStatus.ACTIVE, changed_by=peer_a.user)
    pending = [row for row in deliveries(goal) if row[2] == DeliveryStatus.PENDING]
    assert {row[0] for row in pending} == {4} and len(pending) == 2

    # Review date removed: cancelled.
    peer_a_client.post(base(participant) + f"{goal.pk}/edit/", goal_data(review_on=""))
    assert not [row for row in deliveries(goal) if row[2] == DeliveryStatus.PENDING]


def test_review_time_is_nine_local_across_dst(agency_a, peer_a):
    agency_a.time_zone = "Europe/Madrid"
    agency_a.save()
    participant = make_participant(agency_a, peer=peer_a)
    day = date(timezone.localdate().year + 1, 3, 29)  # near the spring change in Europe
    goal = make_goal(participant, review_on=day)
    with scopes_disabled():
        row = Delivery.objects.filter(subject_id=goal.pk, kind=DeliveryKind.GOAL_REVIEW).first()
    local = row.due_at.astimezone(ZoneInfo("Europe/Madrid"))
    assert (local.date(), local.hour, local.minute) == (day, 9, 0)


def test_no_reminder_without_a_peer(agency_a):
    goal = make_goal(make_participant(agency_a), review_on=FUTURE)
    assert deliveries(goal) == []


def test_review_message_is_discreet(agency_a, participant, peer_a):
    goal = make_goal(participant, words="Stay sober through the holidays", review_on=FUTURE)
    with agency_scope(agency_a):
        rows = {row.channel: row for row in Delivery.objects.filter(subject_id=goal.pk)}
        in_app = goal_messages.goal_review_message(rows[DeliveryChannel.IN_APP])
        email = goal_messages.goal_review_message(rows[DeliveryChannel.EMAIL])
    assert "Rosa" in in_app.text and in_app.link == base(participant)
    assert "Rosa" not in email.text and "Rosa" not in email.subject
    for message in (in_app, email):
        assert "sober" not in message.text.lower()
        assert not re.search(
            r"recover|sober|substance|treatment|drug|alcohol", message.subject, re.I
        )
    assert email.link.endswith(base(participant))
    # Once the goal is achieved, there is nothing to say.
    with agency_scope(agency_a):
        goals.goal_set_status(goal=goal, status=GoalStatus.ACHIEVED, changed_by=peer_a.user)
        assert goal_messages.goal_review_message(rows[DeliveryChannel.IN_APP]) is None


# Download ------------------------------------------------------------------------------------


def test_export_includes_goals(participant, token):
    goal = make_goal(participant, words="=Run a 5k", why_it_matters="Feel strong", review_on=FUTURE)
    step = make_goal_step(goal, "Buy running shoes")
    with scopes_disabled():
        GoalStep.objects.filter(pk=step.pk).update(done_at=timezone.now())
    client = Client()
    record = json.loads(client.get(portal(token, "export.json")).content)
    [exported] = record["goals"]
    assert exported["goal"] == "=Run a 5k" and exported["why_it_matters"] == "Feel strong"
    assert exported["status"] == "Working on it" and exported["review_on"] == FUTURE.isoformat()
    assert exported["needs_your_agreement"] is True and exported["agreed_at"] is None
    assert exported["steps"] == [
        {"step": "Buy running shoes", "done": True, "done_at": exported["steps"][0]["done_at"]}
    ]
    assert exported["steps"][0]["done_at"]

    text = client.get(portal(token, "export.csv")).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert ["goals", "1", "goal", "'=Run a 5k"] in rows
    assert ["goals", "1 steps 1", "step", "Buy running shoes"] in rows


def test_review_reminder_reaches_the_peer_once(agency_a, participant, peer_a, mailoutbox):
    from alliance.messaging import services as mechanism
    from alliance.messaging.models import Notification

    goal = make_goal(participant, words="Sleep eight hours", review_on=FUTURE)
    at = nine_am(agency_a, FUTURE) + timedelta(minutes=1)
    for _ in range(2):  # a second sweep finds nothing left to send
        for agency_id, delivery_id in mechanism.sweep(now=at):
            with agency_scope(agency_id):
                mechanism.deliver(delivery_id, now=at)
    with scopes_disabled():
        [note] = Notification.objects.filter(membership=peer_a)
        statuses = set(Delivery.objects.filter(subject_id=goal.pk).values_list("status", flat=True))
    assert statuses == {DeliveryStatus.SENT}
    assert "Rosa" in note.text and note.link == base(participant)
    [email] = mailoutbox
    assert email.to == [peer_a.user.email] and email.subject == "A review is due"
    assert "Rosa" not in email.body and "Sleep" not in email.body


def test_replan_after_a_transfer_moves_the_reminder(agency_a, participant, peer_a):
    goal = make_goal(participant, review_on=FUTURE)
    new_peer = make_member(agency_a, Role.PEER)
    with agency_scope(agency_a):
        participant.assigned_peer = new_peer
        participant.save(update_fields=["assigned_peer"])
        goals.goal_reviews_replan(participant=participant, by=None)
    pending = [row for row in deliveries(goal) if row[2] == DeliveryStatus.PENDING]
    assert {row[3] for row in pending} == {new_peer.pk} and len(pending) == 2
