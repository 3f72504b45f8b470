"""Collaborative goals (practice 6): writes, reads and the goal-review reminder.

A goal is written in the participant's own words. Staff create and edit goals; the participant
agrees to them (or edits the words, which is agreeing to their own words) through the portal
link. `agreed_words` keeps the words agreed to, so a staff edit of the words after agreement
shows at once as `RecoveryGoal.needs_agreement`.

Every function runs inside the agency's scope (agencies/tenancy.py) and writes one audit event
per change that actually happened: a double submit finds nothing left to change (the row is
locked, or the update is conditional) and records nothing.

Review reminders: while a goal is open (working on it, or on hold) and has a review date, the
participant's assigned peer gets one staff reminder at 09:00 on that date in the agency's time
zone, through alliance.messaging.services. Its `subject_version` is the number of
"goal.review_planned" audit events of the goal, so every re-planning (new date, reopened goal)
makes new delivery rows after cancelling the pending ones, and nothing new is stored on the goal
(docs/decisions.md).
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from agencies.models import AuditEvent, Membership, User
from agencies.services import audit_record
from agencies.tokens import token_hash
from alliance.goals.models import GoalStatus, GoalStep, RecoveryGoal
from alliance.messaging.models import DeliveryKind
from alliance.messaging.services import (
    deliveries_cancel,
    staff_message_schedule,
)
from participants.models import Participant, ProposedBy
from participants.services import PARTICIPANT_LINK_ACTOR

REVIEW_HOUR = time(9, 0)
OPEN_STATUSES = (GoalStatus.ACTIVE, GoalStatus.PAUSED)
REVIEW_PLANNED = "goal.review_planned"
STATUS_ORDER = [GoalStatus.ACTIVE, GoalStatus.PAUSED, GoalStatus.ACHIEVED, GoalStatus.DROPPED]


class GoalChanged(Exception):
    """The goal's words changed after the participant's page was loaded."""


def _actor(by: User | None, actor_label: str = "") -> dict:
    """audit_record's actor fields: a staff user; else whoever `actor_label` names (an API
    key, "api-key:<id>"); else the participant through their link."""
    if by is None:
        return {"actor": None, "actor_label": actor_label or PARTICIPANT_LINK_ACTOR}
    return {"actor": by}


def _audit(
    goal: RecoveryGoal,
    action: str,
    by: User | None,
    target=None,
    actor_label: str = "",
) -> None:
    audit_record(
        agency=goal.agency,
        action=action,
        target=target or goal,
        **_actor(by, actor_label),
    )


def words_digest(words: str) -> str:
    """A short fingerprint of the words a page showed, so an agreement never covers words that
    changed after the page was loaded."""
    return token_hash(words or "")[:16]


# Reads ---------------------------------------------------------------------------------------


def goals_of(participant: Participant) -> list[RecoveryGoal]:
    """The participant's goals with their steps (two queries), open ones first."""
    goals = list(
        RecoveryGoal.objects.filter(participant=participant)
        .prefetch_related("steps")
        .order_by("-created_at", "-id")
    )
    goals.sort(key=lambda goal: STATUS_ORDER.index(goal.status))
    for goal in goals:
        goal.words_digest = words_digest(goal.words)  # for the portal's agreement form
    return goals


def goal_of(participant: Participant, goal_id: int) -> QuerySet[RecoveryGoal]:
    return RecoveryGoal.objects.filter(participant=participant, pk=goal_id)


# Writes --------------------------------------------------------------------------------------


@transaction.atomic
def goal_create(
    *,
    participant: Participant,
    created_by: User,
    words: str,
    why_it_matters: str = "",
    proposed_by: str = ProposedBy.PARTICIPANT,
    review_on: date | None = None,
    status: str = GoalStatus.ACTIVE,
    actor_label: str = "",
) -> RecoveryGoal:
    """Create a goal. The same words for the same participant, submitted again by the same
    person within two minutes, return the goal made the first time (a double submit)."""
    # Serialise concurrent creates for this participant, so the check below sees the other one.
    Participant.objects.select_for_update().filter(pk=participant.pk).first()
    recent = (
        RecoveryGoal.objects.filter(
            participant=participant,
            words=words,
            created_by=created_by,
            created_at__gte=timezone.now() - timedelta(minutes=2),
        )
        .order_by("-id")
        .first()
    )
    if recent is not None:
        return recent
    now = timezone.now()
    goal = RecoveryGoal.objects.create(
        agency=participant.agency,
        participant=participant,
        words=words,
        why_it_matters=why_it_matters,
        proposed_by=proposed_by,
        review_on=review_on,
        status=status,
        created_by=created_by,
        created_at=now,
        updated_at=now,
    )
    _audit(goal, "goal.created", created_by, actor_label=actor_label)
    _review_plan(goal, by=created_by, actor_label=actor_label)
    return goal


@transaction.atomic
def goal_update(
    *,
    goal: RecoveryGoal,
    changed_by: User,
    words: str,
    why_it_matters: str,
    proposed_by: str,
    review_on: date | None,
    status: str,
    actor_label: str = "",
) -> RecoveryGoal:
    """Staff edit. Changing the words after the participant agreed means they are asked again
    (`needs_agreement`); a changed review date or a closed/reopened goal re-plans the reminder.
    Saving unchanged values (or a second submit) writes nothing."""
    current = RecoveryGoal.objects.select_for_update().get(pk=goal.pk)
    wanted = {
        "words": words,
        "why_it_matters": why_it_matters,
        "proposed_by": proposed_by,
        "review_on": review_on,
        "status": status,
    }
    changed = [field for field, value in wanted.items() if getattr(current, field) != value]
    if not changed:
        return current
    was_agreed = not current.needs_agreement
    was_open = current.status in OPEN_STATUSES
    for field in changed:
        setattr(current, field, wanted[field])
    current.updated_at = timezone.now()
    current.save(update_fields=[*changed, "updated_at"])
    who = {"actor_label": actor_label}
    _audit(current, "goal.updated", changed_by, **who)
    if "words" in changed and was_agreed and current.needs_agreement:
        _audit(current, "goal.agreement_needed", changed_by, **who)
    if "status" in changed:
        _audit(current, "goal.status_changed", changed_by, **who)
    if "review_on" in changed or was_open != (current.status in OPEN_STATUSES):
        _review_plan(current, by=changed_by, **who)
    return current


@transaction.atomic
def goal_set_status(*, goal: RecoveryGoal, status: str, changed_by: User) -> RecoveryGoal:
    """Move the goal to `status` (conditional: a second submit changes nothing). Closing the
    goal (achieved, let go) cancels its review reminder; reopening it plans one again."""
    before = RecoveryGoal.objects.select_for_update().get(pk=goal.pk)
    if before.status == status:
        return before
    RecoveryGoal.objects.filter(pk=goal.pk).update(status=status, updated_at=timezone.now())
    after = RecoveryGoal.objects.get(pk=goal.pk)
    _audit(after, "goal.status_changed", changed_by)
    if (before.status in OPEN_STATUSES) != (status in OPEN_STATUSES):
        _review_plan(after, by=changed_by)
    return after


@transaction.atomic
def goal_step_add(
    *, goal: RecoveryGoal, text: str, added_by: User | None, actor_label: str = ""
) -> GoalStep:
    """Add an action step at the end. A step with the same text already on the goal is returned
    instead (a double submit adds it once)."""
    RecoveryGoal.objects.select_for_update().filter(pk=goal.pk).first()
    existing = GoalStep.objects.filter(goal=goal, text=text).first()
    if existing is not None:
        return existing
    last = GoalStep.objects.filter(goal=goal).aggregate(last=Max("position"))["last"]
    step = GoalStep.objects.create(
        agency=goal.agency, goal=goal, text=text, position=0 if last is None else last + 1
    )
    RecoveryGoal.objects.filter(pk=goal.pk).update(updated_at=timezone.now())
    _audit(goal, "goal.step_added", added_by, target=step, actor_label=actor_label)
    return step


@transaction.atomic
def goal_step_toggle(*, step: GoalStep, done: bool, by: User | None, actor_label: str = "") -> bool:
    """Tick (`done=True`) or untick a step; `by` None is the participant through their link
    (or the API key `actor_label` names). The target state is explicit, so a double submit
    changes it once. Returns whether it changed."""
    changed = GoalStep.objects.filter(pk=step.pk, done_at__isnull=done).update(
        done_at=timezone.now() if done else None
    )
    if changed:
        goal = step.goal
        RecoveryGoal.objects.filter(pk=goal.pk).update(updated_at=timezone.now())
        action = "goal.step_done" if done else "goal.step_undone"
        _audit(goal, action, by, target=step, actor_label=actor_label)
    return bool(changed)


def goal_agree(
    *,
    goal: RecoveryGoal,
    seen: str,
    words: str | None = None,
    why_it_matters: str | None = None,
) -> bool:
    """The participant agrees, through their portal link, to the goal whose words they saw
    (`seen` = words_digest of them). With `words` (and `why_it_matters`) they edit the goal
    first, which is agreeing to their own words. Records `agreed_at` and `agreed_words`.

    Returns True when something was recorded, False when it already was (a double submit).
    Raises GoalChanged when staff changed the words after the page was loaded."""
    with transaction.atomic():
        current = RecoveryGoal.objects.select_for_update().get(pk=goal.pk)
        new_words = current.words if words is None else words
        new_why = current.why_it_matters if why_it_matters is None else why_it_matters
        already = (
            not current.needs_agreement
            and current.words == new_words
            and current.why_it_matters == new_why
        )
        if already:
            return False
        if words_digest(current.words) != seen:
            raise GoalChanged()
        now = timezone.now()
        edited = current.words != new_words or current.why_it_matters != new_why
        # Conditional on the words read under the lock: nothing else can slip in between.
        RecoveryGoal.objects.filter(pk=current.pk, words=current.words).update(
            words=new_words,
            why_it_matters=new_why,
            agreed_words=new_words,
            agreed_at=now,
            updated_at=now,
        )
        current.refresh_from_db()
        if edited:
            _audit(current, "goal.edited_by_participant", None)
        _audit(current, "goal.agreed", None)
    return True


# Review reminder -----------------------------------------------------------------------------


def review_due_at(goal: RecoveryGoal) -> datetime | None:
    """09:00 on the review date in the agency's time zone (never in a DST gap)."""
    if goal.review_on is None:
        return None
    try:
        zone = ZoneInfo(goal.agency.time_zone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        zone = ZoneInfo("UTC")
    return datetime.combine(goal.review_on, REVIEW_HOUR, tzinfo=zone)


def _review_recipient(goal: RecoveryGoal) -> Membership | None:
    peer_id = (
        Participant.objects.filter(pk=goal.participant_id)
        .values_list("assigned_peer_id", flat=True)
        .first()
    )
    if peer_id is None:
        return None
    return Membership.objects.filter(pk=peer_id, is_active=True).first()


def _review_version(goal: RecoveryGoal) -> int:
    return AuditEvent.objects.filter(
        agency=goal.agency_id,
        object_type=RecoveryGoal._meta.model_name,
        object_id=str(goal.pk),
        action=REVIEW_PLANNED,
    ).count()


@transaction.atomic
def _review_plan(goal: RecoveryGoal, *, by: User | None, actor_label: str = "") -> None:
    """Cancel the goal's pending review reminders, then plan one for its current review date if
    the goal is open and the participant has a peer. Called after the change is saved."""
    deliveries_cancel(kind=DeliveryKind.GOAL_REVIEW, subject_id=goal.pk)
    due_at = review_due_at(goal)
    if due_at is None or goal.status not in OPEN_STATUSES:
        return
    peer = _review_recipient(goal)
    if peer is None:
        return
    _audit(goal, REVIEW_PLANNED, by, actor_label=actor_label)
    staff_message_schedule(
        kind=DeliveryKind.GOAL_REVIEW,
        subject_id=goal.pk,
        subject_version=_review_version(goal),
        membership=peer,
        due_at=due_at,
    )


def goal_reviews_replan(*, participant: Participant, by: User | None) -> None:
    """Re-plan the review reminders of the participant's open goals with a review date, e.g.
    after a transfer to another peer (the old peer's pending reminders are cancelled)."""
    open_goals = RecoveryGoal.objects.filter(
        participant=participant, status__in=OPEN_STATUSES, review_on__isnull=False
    ).select_related("agency")
    for goal in open_goals:
        _review_plan(goal, by=by)


def goal_reviews_on_transfer(*, participant: Participant, by: User, **_signal):
    """participants' `participant_transferred`: goal reviews due go to the new peer."""
    goal_reviews_replan(participant=participant, by=by)
