"""The commitments' and goals' REST endpoints."""

from datetime import timedelta

from agencies.models import AuditEvent
from agencies.tenancy import agency_scope
from tests.conftest import api_list_queries, assert_error, client_for
from tests.factories import (
    api_client,
    make_api_key,
    make_goal,
    make_goal_step,
    make_participant,
)

V1 = "/api/v1"


# Commitments and goals --------------------------------------------------------------------------


def test_commitments_through_the_api_keep_the_ledger(agency_a, peer_a):
    from django.utils import timezone

    participant = make_participant(agency_a, peer=peer_a)
    client = api_client(make_api_key(agency_a)[1])
    due = (timezone.now() + timedelta(days=2)).isoformat()
    created = client.post(
        "/api/v1/commitments/",
        {
            "participant": participant.pk,
            "what": "Call on Friday",
            "due_at": due,
            "staff": peer_a.pk,
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    commitment_id = created.json()["id"]
    later = (timezone.now() + timedelta(days=3)).isoformat()
    moved = client.post(
        f"/api/v1/commitments/{commitment_id}/renegotiate/",
        {"new_due_at": later, "asked_by": "participant", "reason": "Clinic day"},
        format="json",
    )
    assert moved.status_code == 200 and moved.json()["version"] == 2
    kept = client.post(f"/api/v1/commitments/{commitment_id}/kept/")
    assert kept.json()["status"] == "kept" and kept.json()["kept_on_time"] is True
    again = client.post(f"/api/v1/commitments/{commitment_id}/missed/")
    assert again.status_code == 409 and again.json()["error"]["code"]
    assert [e["kind"] for e in kept.json()["events"]] == ["created", "renegotiated", "kept"]
    past = client.post(
        "/api/v1/commitments/",
        {
            "participant": participant.pk,
            "what": "x",
            "due_at": "2020-01-01T00:00:00Z",
            "staff": peer_a.pk,
        },
        format="json",
    )
    assert past.status_code == 400 and "due_at" in past.json()["error"]["fields"]


def test_goals_through_the_api(agency_a, peer_a):
    participant = make_participant(agency_a, peer=peer_a)
    client = api_client(make_api_key(agency_a)[1])
    created = client.post(
        "/api/v1/goals/",
        {"participant": participant.pk, "words": "Walk every morning"},
        format="json",
    )
    assert created.status_code == 201 and created.json()["needs_agreement"] is True
    listed = client.get(f"/api/v1/goals/?participant={participant.pk}").json()
    assert [g["words"] for g in listed["results"]] == ["Walk every morning"]
    # Credited to the key, not to the participant's link (the service's default for no user).
    [event] = _goal_events(agency_a, "goal.created")
    assert event.actor_label.startswith("api-key:")
    # The staff page's rules: no review date in the past.
    yesterday = (agency_a.today() - timedelta(days=1)).isoformat()
    past = client.post(
        "/api/v1/goals/",
        {"participant": participant.pk, "words": "Cook on Sundays", "review_on": yesterday},
        format="json",
    )
    error = assert_error(past, 400, "invalid")
    assert error["fields"] == {"review_on": ["Choose today or a later date."]}
    assert len(_goal_events(agency_a, "goal.created")) == 1


def _goal_events(agency, action, **filters) -> list[AuditEvent]:
    with agency_scope(agency):
        return list(AuditEvent.objects.filter(action=action, **filters).order_by("id"))


def _agreed_goal(participant, words="Walk every morning"):
    """A goal the participant has agreed to through their portal link."""
    from alliance.goals import services as goals

    goal = make_goal(participant, words=words)
    with agency_scope(participant.agency):
        goals.goal_agree(goal=goal, seen=goals.words_digest(goal.words))
    return goal


def test_goal_edit_keeps_what_the_participant_agreed_to(agency_a, peer_a, key_a, api_a):
    participant = make_participant(agency_a, peer=peer_a)
    goal = _agreed_goal(participant)
    url = f"{V1}/goals/{goal.pk}/"
    agreed = api_a.get(url).json()
    assert agreed["needs_agreement"] is False and agreed["agreed_at"]

    # Their reasons, the status or the review date are staff's to change: still agreed.
    review_on = (agency_a.today() + timedelta(days=14)).isoformat()
    edited = api_a.patch(url, {"why_it_matters": "For my kids", "review_on": review_on})
    assert edited.status_code == 200, edited.content
    body = edited.json()
    assert body["why_it_matters"] == "For my kids" and body["review_on"] == review_on
    assert body["words"] == "Walk every morning" and body["needs_agreement"] is False

    # New words: the participant is asked to agree again; what they agreed to is kept.
    reworded = api_a.patch(url, {"words": "Walk every morning with my dog"}).json()
    assert reworded["needs_agreement"] is True and reworded["agreed_at"] == agreed["agreed_at"]
    label = f"api-key:{key_a[0].pk}"
    [needed] = _goal_events(agency_a, "goal.agreement_needed")
    assert needed.actor_id is None and needed.actor_label == label
    assert needed.object_id == str(goal.pk)
    updates = _goal_events(agency_a, "goal.updated")
    assert [event.actor_label for event in updates] == [label, label]
    assert _goal_events(agency_a, "goal.review_planned", actor_label=label)

    # Read-only fields are refused by name (decision 130); the same values again change
    # nothing and record nothing.
    read_only = api_a.patch(url, {"words": "Walk", "needs_agreement": False, "agreed_at": None})
    assert set(assert_error(read_only, 400, "invalid")["fields"]) == {
        "needs_agreement",
        "agreed_at",
    }
    again = api_a.patch(url, {"words": "Walk every morning with my dog"})
    assert again.status_code == 200 and again.json() == reworded
    assert len(_goal_events(agency_a, "goal.updated")) == 2
    # The staff page shows the same goal.
    from alliance.goals.models import RecoveryGoal

    with agency_scope(agency_a):
        stored = RecoveryGoal.objects.get(pk=goal.pk)
    assert stored.agreed_words == "Walk every morning" and stored.needs_agreement


def test_goal_edit_validates_like_the_staff_page(agency_a, api_a):
    from alliance.goals.models import RecoveryGoal

    goal = make_goal(make_participant(agency_a))
    url = f"{V1}/goals/{goal.pk}/"
    yesterday = agency_a.today() - timedelta(days=1)
    error = assert_error(
        api_a.patch(
            url,
            {"words": " ", "status": "done", "review_on": yesterday.isoformat()},
        ),
        400,
        "invalid",
    )
    assert set(error["fields"]) == {"words", "status"}
    past = assert_error(api_a.patch(url, {"review_on": yesterday.isoformat()}), 400, "invalid")
    assert past["fields"] == {"review_on": ["Choose today or a later date."]}
    too_long = assert_error(api_a.patch(url, {"words": "x" * 1001}), 400, "invalid")
    assert list(too_long["fields"]) == ["words"]
    # A review date already in the past may stay as it is (as on the staff page).
    with agency_scope(agency_a):
        RecoveryGoal.objects.filter(pk=goal.pk).update(review_on=yesterday)
    kept = api_a.patch(url, {"status": "achieved", "review_on": yesterday.isoformat()})
    assert kept.status_code == 200, kept.content
    assert kept.json()["status"] == "achieved"
    assert len(_goal_events(agency_a, "goal.status_changed")) == 1
    cleared = api_a.patch(url, {"review_on": None})
    assert cleared.status_code == 200 and cleared.json()["review_on"] is None
    assert_error(api_a.put(url, {"words": "x"}), 405, "method_not_allowed")
    assert_error(api_a.delete(url), 405, "method_not_allowed")


def test_goal_steps_are_added_and_ticked(agency_a, key_a, api_a):
    goal = make_goal(make_participant(agency_a))
    url = f"{V1}/goals/{goal.pk}/steps/"
    assert api_a.get(url).json()["results"] == []
    first = api_a.post(url, {"text": "Find my walking shoes"})
    assert first.status_code == 201, first.content
    second = api_a.post(url, {"text": "Walk to the corner"}).json()
    # The same text again adds nothing (a double submit).
    again = api_a.post(url, {"text": "Find my walking shoes"})
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
    listed = api_a.get(url).json()["results"]
    assert [(s["position"], s["text"], s["done"]) for s in listed] == [
        (0, "Find my walking shoes", False),
        (1, "Walk to the corner", False),
    ]
    assert api_a.get(f"{V1}/goals/{goal.pk}/").json()["steps"] == listed
    label = f"api-key:{key_a[0].pk}"
    assert [e.actor_label for e in _goal_events(agency_a, "goal.step_added")] == [label, label]

    step_url = f"{url}{second['id']}/"
    done = api_a.patch(step_url, {"done": True})
    assert done.status_code == 200 and done.json()["done"] is True and done.json()["done_at"]
    assert api_a.patch(step_url, {"done": True}).json()["done_at"] == done.json()["done_at"]
    [ticked] = _goal_events(agency_a, "goal.step_done")
    assert ticked.actor_label == label and ticked.object_id == str(second["id"])
    undone = api_a.patch(step_url, {"done": False}).json()
    assert undone["done"] is False and undone["done_at"] is None
    assert len(_goal_events(agency_a, "goal.step_undone")) == 1
    assert api_a.patch(step_url, {}).json() == undone
    assert _goal_events(agency_a, "api.write", actor_label=label)


def test_goal_step_errors_have_the_one_shape(agency_a, api_a):
    goal = make_goal(make_participant(agency_a))
    step = make_goal_step(goal, "Call the clinic")
    url = f"{V1}/goals/{goal.pk}/steps/"
    blank = assert_error(api_a.post(url, {"text": "  "}), 400, "invalid")
    assert list(blank["fields"]) == ["text"]
    long = assert_error(api_a.post(url, {"text": "x" * 301}), 400, "invalid")
    assert list(long["fields"]) == ["text"]
    step_url = f"{url}{step.pk}/"
    rename = assert_error(api_a.patch(step_url, {"text": "Call them"}), 400, "invalid")
    assert rename["fields"] == {
        "text": ["A step's text cannot be changed; add a new step instead."]
    }
    not_bool = assert_error(api_a.patch(step_url, {"done": "maybe"}), 400, "invalid")
    assert list(not_bool["fields"]) == ["done"]
    assert_error(api_a.delete(step_url), 405, "method_not_allowed")
    # A step addressed through another goal (of the same agency) is not there.
    other = make_goal(make_participant(agency_a))
    assert_error(api_a.get(f"{V1}/goals/{other.pk}/steps/{step.pk}/"), 404, "not_found")
    assert_error(
        api_a.patch(f"{V1}/goals/{other.pk}/steps/{step.pk}/", {"done": True}), 404, "not_found"
    )
    assert_error(api_a.post(f"{V1}/goals/999999/steps/", {"text": "x"}), 404, "not_found")


def test_goal_step_create_honours_the_idempotency_key(agency_a, api_a):
    goal = make_goal(make_participant(agency_a))
    url = f"{V1}/goals/{goal.pk}/steps/"
    headers = {"HTTP_IDEMPOTENCY_KEY": "step-1"}
    first = api_a.post(url, {"text": "Buy a bus pass"}, **headers)
    again = api_a.post(url, {"text": "Buy a bus pass"}, **headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and again["Idempotent-Replayed"] == "true"
    other = api_a.post(url, {"text": "Something else"}, **headers)
    assert_error(other, 409, "idempotency_key_reused")
    assert len(_goal_events(agency_a, "goal.step_added")) == 1
    assert len(_goal_events(agency_a, "api.write")) == 1


def test_session_peer_reaches_goals_of_their_caseload_only(agency_a, peer_a):
    mine = make_goal(make_participant(agency_a, peer=peer_a))
    other = make_goal(make_participant(agency_a))
    step = make_goal_step(other)
    client = client_for(peer_a.user)
    ids = [row["id"] for row in client.get(f"{V1}/goals/").json()["results"]]
    assert ids == [mine.pk]
    assert client.get(f"{V1}/goals/{mine.pk}/steps/").status_code == 200
    assert_error(client.get(f"{V1}/goals/{other.pk}/"), 404, "not_found")
    assert_error(client.get(f"{V1}/goals/{other.pk}/steps/"), 404, "not_found")
    assert_error(client.get(f"{V1}/goals/{other.pk}/steps/{step.pk}/"), 404, "not_found")


def test_goal_step_list_queries_do_not_grow(agency_a, api_a, django_assert_max_num_queries):
    goal = make_goal(make_participant(agency_a))
    url = f"{V1}/goals/{goal.pk}/steps/"
    for _ in range(2):
        make_goal_step(goal)
    with_two = api_list_queries(api_a, url)
    for _ in range(18):
        make_goal_step(goal)
    with django_assert_max_num_queries(with_two):
        response = api_a.get(url, {"page_size": 50})
    assert len(response.json()["results"]) == 20
