"""Demo participants with a few weeks of history: profiles, consent, boundaries, contacts and
check-ins, one of which dips and raises an alert. Fictional people. Idempotent: an agency
that already has participants is left as it is."""

import random
from datetime import timedelta

from django.utils import timezone

from agencies.models import Membership, Role
from alliance.checkins import services as alliance
from alliance.checkins.models import Alert, CheckInRequest, InstrumentItem
from participants.models import (
    BoundaryTemplate,
    Contact,
    CulturalProfile,
    Participant,
)
from participants.services import boundary_acknowledge, channel_consent_set

BY_REPLY = "Rosa"
PEOPLE = {
    "harbor": [
        ("Dee", "she/her", "en", ["medication", "mutual_help"], "+12025550143"),
        ("Marcus", "he/him", "en", ["faith_based"], "+12025550178"),
        ("Sky", "they/them", "en", ["harm_reduction"], ""),
        ("Rosa", "ella", "es", ["mutual_help"], "+12025550111"),
        ("Tom", "he/him", "en", ["natural"], ""),
        ("Lena", "she/her", "en", ["medication"], "+12025550190"),
    ],
    "mesa": [
        ("Ana", "ella", "es", ["faith_based", "mutual_help"], "+16025550123"),
        ("José", "él", "es", ["medication"], "+16025550145"),
        ("Kai", "they/them", "en", ["harm_reduction"], ""),
        ("Nizhoni", "she/her", "en", ["natural", "other"], "+16025550167"),
    ],
}
WEEKS = 6


def seed_people(agency) -> None:
    if Participant.objects.exists():
        return
    rng = random.Random(agency.slug)  # the same history on every machine
    alliance.instrument_install_default(agency=agency)
    peers = list(Membership.objects.filter(role=Role.PEER, is_active=True).select_related("user"))
    admin = Membership.objects.filter(role=Role.ADMIN).select_related("user").first()
    template = BoundaryTemplate.objects.create(
        agency=agency,
        version=1,
        published_by=admin.user,
        staff_contact_hours="Monday to Friday, 9am to 5pm. Group on Wednesday evenings.",
        response_time="By the end of the next working day.",
        peer_support_covers=(
            "Listening, sharing lived experience, connecting you with resources, goals you choose."
        ),
        peer_support_does_not_cover=(
            "Therapy, medical advice, legal advice, crisis response (call 988)."
        ),
        confidentiality_limits=(
            "What you share stays with the team unless someone is at risk of serious harm, or "
            "the law requires it. We will tell you first whenever we can."
        ),
    )
    now = timezone.now()
    for n, (name, pronouns, language, pathways, phone) in enumerate(PEOPLE[agency.slug]):
        peer = peers[n % len(peers)]
        person = Participant.objects.create(
            agency=agency,
            preferred_name=name,
            pronouns=pronouns,
            phone=phone,
            time_zone=agency.time_zone,
            assigned_peer=peer,
            enrolled_on=(now - timedelta(weeks=WEEKS + 2)).date(),
            external_id=f"{agency.slug.upper()}-{1001 + n}",
        )
        CulturalProfile.objects.create(
            agency=agency,
            participant=person,
            language=language,
            recovery_pathways=pathways,
            communication_style="Short texts, then a call if needed.",
            quiet_hours_start="21:00",
            quiet_hours_end="08:00",
            preferred_channels=["sms", "phone"],
            max_contacts_per_week=3,
            # Rosa's phone has no data plan: she checks in by text reply (README, SMS).
            checkin_by_reply=(name == BY_REPLY),
        )
        if phone:
            channel_consent_set(
                participant=person, channel="sms", granted=True, recorded_by=peer.user
            )
        if n % 2 == 0:
            boundary_acknowledge(participant=person, template=template)
        _history(agency, person, peer, rng, dips=(n == 0), now=now)
        if n < 3:
            _commitments_and_goals(agency, person, peer, now=now, first=(n == 0))
        if name == BY_REPLY:  # open, so `manage.py sms_reply +12025550111 1` starts it
            from alliance.checkins.services import checkin_request_create

            checkin_request_create(participant=person, channel="sms", created_by=peer.user)
    from alliance.checkins.messages import alerts_notify_new

    # The dip's alert (a week old in the demo) reaches the peer and supervisors when the worker
    # first runs.
    alerts_notify_new(now=now - timedelta(days=WEEKS + 1))


def _commitments_and_goals(agency, person, peer, *, now, first: bool) -> None:
    """Commitments in every state of the ledger, two goals, and a check-in schedule."""
    from alliance.commitments import services as commitments
    from alliance.commitments.models import Commitment, CommitmentStatus
    from alliance.commitments.services import checkin_schedule_set
    from alliance.goals import services as goals

    def make(what, due, promised_by="staff"):
        return commitments.commitment_create(
            participant=person,
            promised_by=promised_by,
            staff=peer,
            what=what,
            due_at=due,
            created_by=peer.user,
        )

    def back_date(commitment, status, *, on_time=None, closed=None):
        Commitment.objects.filter(pk=commitment.pk).update(
            status=status, kept_on_time=on_time, closed_at=closed or commitment.due_at
        )

    # Open: the first one's one-hour reminder falls due two minutes after `make run` starts.
    make("Call to talk through the week", now + timedelta(minutes=62))
    make("Bring the bus pass application", now + timedelta(days=3))
    make("Text me after the interview", now + timedelta(days=2), promised_by="participant")
    kept = make("Meet at the library at 2", now + timedelta(days=1))
    back_date(kept, CommitmentStatus.KEPT, on_time=True, closed=now - timedelta(days=9))
    late = make("Send the list of meetings", now + timedelta(days=1))
    back_date(late, CommitmentStatus.KEPT, on_time=False, closed=now - timedelta(days=5))
    missed = make("Call back on Friday", now + timedelta(days=1))
    back_date(missed, CommitmentStatus.MISSED, closed=now - timedelta(days=3))
    moved = make("Go with them to the housing office", now + timedelta(days=1))
    commitments.commitment_renegotiate(
        commitment=moved,
        new_due_at=now + timedelta(days=4),
        reason="The office changed its hours",
        asked_by="participant",
        by=peer.user,
    )
    cancelled = make("Drive to the Saturday group", now + timedelta(days=1))
    commitments.commitment_close(
        commitment=cancelled, outcome=CommitmentStatus.CANCELLED, by=peer.user
    )

    goal = goals.goal_create(
        participant=person,
        created_by=peer.user,
        words="Find part-time work I enjoy",
        why_it_matters="I want my days to have a shape again",
        review_on=(now + timedelta(days=14)).date(),
    )
    for text in ("Update my resume", "Ask about the job fair", "Practice an interview"):
        goals.goal_step_add(goal=goal, text=text, added_by=peer.user)
    if first:
        goals.goal_agree(goal=goal, seen=goals.words_digest(goal.words))
        checkin_schedule_set(participant=person, every_weeks=2, weekday=0)
    goals.goal_create(
        participant=person,
        created_by=peer.user,
        words="Sleep before midnight most nights",
        proposed_by="staff",
    )


def _history(agency, person, peer, rng, *, dips: bool, now) -> None:
    instrument = alliance.instrument_default()
    items = list(InstrumentItem.objects.filter(instrument=instrument).order_by("position"))
    previous = None
    for week in range(WEEKS, 0, -1):
        when = now - timedelta(weeks=week, hours=rng.randint(0, 48))
        Contact.objects.create(
            agency=agency,
            participant=person,
            staff=peer,
            occurred_at=when - timedelta(days=2),
            kind=rng.choice(["call", "in_person", "text"]),
            duration_minutes=rng.choice([15, 30, 45]),
            note="Checked in about the week and the next step on their goal.",
        )
        checkin, _raw = alliance.checkin_request_create(
            participant=person, channel="link", created_by=peer.user
        )
        CheckInRequest.objects.filter(pk=checkin.pk).update(created_at=when - timedelta(days=1))
        low = dips and week == 1  # the latest check-in of the first person dips
        answers = {}
        scale_items = [item for item in items if item.kind == "scale"]
        fours = {item.pk for item in rng.sample(scale_items, rng.randint(0, 2))}  # steady weeks
        for item in items:
            if item.kind == "scale":
                if low and item.practice in ("consistency", "listening", "safety"):
                    answers[str(item.pk)] = 2
                else:
                    answers[str(item.pk)] = 4 if item.pk in fours else 5
            elif low:
                answers[str(item.pk)] = (
                    "You missed our call twice. I'd like to know I can count on you."
                )
        checkin.agency = agency
        response = alliance.checkin_submit(
            checkin=checkin, items=items, answers=answers, previous_percent=previous
        )
        if low:
            alliance.repair_choice_record(response=response, choice="peer_next_time")
        # Back-date the history (the services stamp "now").
        type(response).objects.filter(pk=response.pk).update(submitted_at=when)
        Alert.objects.filter(response=response).update(created_at=when)
        previous = response.percent
