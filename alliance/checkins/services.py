"""Writes for check-ins and alerts. Each runs inside the agency's scope."""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Subquery, Value
from django.db.models.functions import Coalesce, Least
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies import row_level_security
from agencies.models import Agency, Membership, User
from agencies.services import audit_record
from agencies.tenancy import agency_scope, scopes_disabled
from agencies.tokens import token_hash, token_new
from alliance.checkins import default_instrument
from alliance.checkins.models import (
    Alert,
    AlertRule,
    AlertStatus,
    Channel,
    CheckInRequest,
    CheckInResponse,
    Instrument,
    InstrumentItem,
    ItemKind,
    Practice,
    RepairChoice,
)
from alliance.messaging.models import DeliveryKind
from alliance.messaging.services import staff_message_schedule, supervisors_of_agency
from participants.models import Participant, ParticipantStatus

REPAIR_CHOICE_WINDOW = timedelta(hours=2)

# When an alert should be looked at by (docs/decisions.md 106): a low answer on safety, or a
# wish to talk with a supervisor, within a day; anything else within two.
ALERT_DUE_WITHIN = timedelta(days=2)
ALERT_URGENT_DUE_WITHIN = timedelta(days=1)

DISCHARGED_NO_LINKS = _(
    "This participant has been discharged, so no new check-in link can be made or sent. "
    "Change their status first if they are coming back."
)


def checkin_link_allowed(participant: Participant, channel: str = Channel.LINK) -> None:
    """Raise ValidationError when no new check-in link may be made for the participant: a
    discharged participant gets none (a paper check-in they filled in before leaving may
    still be entered; docs/decisions.md 104)."""
    if participant.status == ParticipantStatus.DISCHARGED and channel != Channel.PAPER:
        raise ValidationError(DISCHARGED_NO_LINKS, code="discharged")


def instrument_install_for_new_agency(*, agency: Agency, **_signal) -> None:
    """agencies' `agency_created`: a new agency starts with Rapport's default check-in."""
    with agency_scope(agency):
        instrument_install_default(agency=agency)


def instrument_install_default(*, agency: Agency) -> Instrument:
    """Give the agency its copy of the Peer Alliance Check-in (idempotent)."""
    spec = default_instrument
    instrument, created = Instrument.objects.get_or_create(
        agency=agency,
        key=spec.KEY,
        version=spec.VERSION,
        defaults={"name": spec.NAME, "is_default": True},
    )
    if created:
        InstrumentItem.objects.bulk_create(
            [
                InstrumentItem(agency=agency, instrument=instrument, **row)
                for row in spec.item_rows()
            ]
        )
    return instrument


def instrument_default() -> Instrument:
    return Instrument.objects.filter(is_default=True).order_by("-created_at").first()


# Requests ----------------------------------------------------------------------------------


@transaction.atomic
def checkin_request_create(
    *,
    participant: Participant,
    channel: str,
    created_by: User | None,
    instrument: Instrument | None = None,
    expires_in: timedelta | None = None,
    scheduled: bool = False,
) -> tuple[CheckInRequest, str]:
    """Create a check-in request. Returns the raw token, which is not stored: put it in the
    link once (copy, email, SMS, kiosk) and forget it. Refused (ValidationError) for a
    discharged participant."""
    checkin_link_allowed(participant, channel)
    agency = participant.agency
    raw_token, hashed = token_new()
    checkin = CheckInRequest.objects.create(
        agency=agency,
        participant=participant,
        instrument=instrument or instrument_default(),
        token_hash=hashed,
        channel=channel,
        created_by=created_by,
        scheduled=scheduled,
        expires_at=timezone.now() + (expires_in or timedelta(days=agency.checkin_link_expiry_days)),
    )
    audit_record(
        agency=agency,
        actor=created_by,
        action="checkin_request.created",
        target=checkin,
    )
    return checkin, raw_token


@transaction.atomic
def checkin_request_revoke(*, checkin: CheckInRequest, revoked_by: User) -> bool:
    revoked = CheckInRequest.objects.filter(
        pk=checkin.pk, completed_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    if revoked:
        audit_record(
            agency=checkin.agency,
            actor=revoked_by,
            action="checkin_request.revoked",
            target=checkin,
        )
    return bool(revoked)


# Scoring -----------------------------------------------------------------------------------


def score(items: list[InstrumentItem], answers: dict[str, int | str]) -> dict:
    """Total, maximum and percent over the answered scale items, and each practice's percent
    of its own maximum. Percent is of the distance from the scale minimum, so an all-minimum
    check-in is 0% and an all-maximum one is 100% whatever the scale."""
    total = max_total = 0
    by_practice: dict[str, list[int]] = {}
    for item in items:
        value = answers.get(str(item.pk))
        if item.kind != ItemKind.SCALE or value is None:
            continue
        total += value
        max_total += item.scale_max
        span = item.scale_max - item.scale_min
        got = by_practice.setdefault(item.practice, [0, 0])
        got[0] += value - item.scale_min
        got[1] += span
    floor = sum(
        item.scale_min
        for item in items
        if item.kind == ItemKind.SCALE and answers.get(str(item.pk)) is not None
    )
    percent = round(100 * (total - floor) / (max_total - floor), 1) if max_total > floor else None
    practices = {
        practice: round(100 * got / span, 1)
        for practice, (got, span) in by_practice.items()
        if span
    }
    return {
        "total": total,
        "max_total": max_total,
        "percent": percent,
        "practice_scores": practices,
    }


DIPPED_BELOW_PERCENT = 50  # a practice under half of its scale gets a repair suggestion


def alert_rules_fired(
    *,
    agency: Agency,
    items: list[InstrumentItem],
    answers: dict,
    scores: dict,
    previous_percent: float | None,
) -> tuple[list[str], list[str]]:
    """(rules that fired, practices that dipped) for one response, by the agency's thresholds.

    Dipped practices are those under half of their scale; when a rule fires with none under
    half (a drop from a high score, say), the lowest-scoring practices are named instead."""
    percent = scores["percent"]
    rules = []
    if percent is not None and percent < agency.alert_total_below_percent:
        rules.append(AlertRule.TOTAL_LOW)
    if (
        percent is not None
        and previous_percent is not None
        and previous_percent - percent >= agency.alert_drop_percent
    ):
        rules.append(AlertRule.DROP)
    low_item_rules = {
        Practice.SAFETY: AlertRule.SAFETY_ITEM,
        Practice.BOUNDARIES: AlertRule.BOUNDARIES_ITEM,
    }
    for item in items:
        value = answers.get(str(item.pk))
        rule = low_item_rules.get(item.practice)
        if (
            rule
            and value is not None
            and value <= agency.alert_item_at_or_below
            and rule not in rules
        ):
            rules.append(rule)
    if not rules:
        return [], []
    by_practice = scores["practice_scores"]
    practices = [practice for practice, pct in by_practice.items() if pct < DIPPED_BELOW_PERCENT]
    if not practices and by_practice:
        lowest = min(by_practice.values())
        practices = [practice for practice, pct in by_practice.items() if pct == lowest]
    return rules, practices


# Submitting --------------------------------------------------------------------------------

# The only hand-written statement of the services (issue 17, decision 151): the participant's
# submit spends the link, reads what the submit needs (the link, its agency's alert settings,
# the participant's language and previous score) and moves row-level security to the link's
# agency, in one round trip. tests/checkins/test_checkin_statements.py holds it to the ORM's
# answers and counts the statements on the wire.
CLAIM_SQL = """
UPDATE checkins_checkinrequest AS r
   SET completed_at = %(now)s
  FROM agencies_agency AS a, participants_participant AS p
 WHERE r.token_hash = %(token_hash)s
   AND r.completed_at IS NULL AND r.revoked_at IS NULL AND r.expires_at > %(now)s
   AND a.id = r.agency_id AND p.id = r.participant_id
RETURNING r.id, r.agency_id, r.participant_id, r.instrument_id, r.channel, r.expires_at,
          a.id, a.default_language, a.alert_total_below_percent, a.alert_drop_percent,
          a.alert_item_at_or_below,
          p.id, p.preferred_name, p.time_zone,
          (SELECT c.language FROM participants_culturalprofile AS c
            WHERE c.participant_id = r.participant_id LIMIT 1),
          (SELECT x.percent FROM checkins_checkinresponse AS x
            WHERE x.agency_id = r.agency_id AND x.participant_id = r.participant_id
            ORDER BY x.submitted_at DESC LIMIT 1),
          set_config('rapport.agency', r.agency_id::text, true),
          set_config('rapport.all_agencies', 'off', true)
"""
CLAIM_NAME = "rapport_checkin_claim"  # prepared under this name on each connection
CLAIM_FIELDS = {
    None: ["id", "agency_id", "participant_id", "instrument_id", "channel", "expires_at"],
    "agency": [
        "id",
        "default_language",
        "alert_total_below_percent",
        "alert_drop_percent",
        "alert_item_at_or_below",
    ],
    "participant": ["id", "preferred_name", "time_zone"],
}


def _alert_triage_defaults(participant_id: int, rules: list[str], now: datetime) -> dict:
    """A new alert's owner (the participant's peer) and due time."""
    # A subquery inside the INSERT: no statement of its own on the check-in's submit.
    peer_id = Subquery(Participant.objects.filter(pk=participant_id).values("assigned_peer_id")[:1])
    urgent = AlertRule.SAFETY_ITEM in rules
    return {
        "owner_id": peer_id,
        "due_at": now + (ALERT_URGENT_DUE_WITHIN if urgent else ALERT_DUE_WITHIN),
    }


def checkin_claim(*, raw_token: str) -> CheckInRequest | None:
    """Spend the open check-in link `raw_token` in the caller's transaction, or None (unknown,
    used, revoked or expired; or spent by a concurrent submit, which waits for this one's
    row lock). The caller then stores the answers with `checkin_submit(..., spent=True)` in
    the same transaction, or rolls it back to leave the link unspent (answers to correct).

    Returns the request with `agency` and `participant` attached (the fields the submit
    reads), `language` (the participant's, or None) and `previous_percent`. Afterwards the
    transaction's row-level security shows the link's agency only."""
    if not raw_token or len(raw_token) > 128:
        return None
    now = timezone.now()
    with scopes_disabled():
        params = {"now": now, "token_hash": token_hash(raw_token)}
        values = row_level_security.fetchone_planned_once(CLAIM_NAME, CLAIM_SQL, params)
    if values is None:
        return None
    row_level_security.agency_set_by_statement(values[1])
    models = {None: CheckInRequest, "agency": Agency, "participant": Participant}
    built = {}
    for relation, names in CLAIM_FIELDS.items():
        built[relation] = models[relation].from_db(connection.alias, names, values[: len(names)])
        values = values[len(names) :]
    checkin = built[None]
    checkin.completed_at, checkin.revoked_at = now, None
    checkin.agency, checkin.participant = built["agency"], built["participant"]
    checkin.language, checkin.previous_percent = values[0], values[1]
    return checkin


@transaction.atomic(savepoint=False)  # no SAVEPOINT round trips inside the caller's transaction
def checkin_submit(
    *,
    checkin: CheckInRequest,
    items: list[InstrumentItem],
    answers: dict,
    previous_percent: float | None,
    entered_by: User | None = None,
    channel: str | None = None,
    spent: bool = False,
) -> CheckInResponse | None:
    """Spend the request and store the response with its scores and, on a dip, its alert.

    The conditional update is the single-use guarantee: of any number of concurrent submits,
    exactly one changes the row; the others get None and store nothing. `channel` is how it
    was answered when that differs from how it was sent (a text reply to a text). `spent`: the
    caller has spent it already, in this transaction (`checkin_claim`)."""
    now = timezone.now()
    if spent:
        now = checkin.completed_at
    else:
        claimed = CheckInRequest.objects.filter(
            pk=checkin.pk, completed_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
        ).update(completed_at=now)
        if not claimed:
            return None
    scores = score(items, answers)
    # Model(...).save(force_insert=True) rather than objects.create(): the scoped manager would
    # build a filtered queryset first, which an INSERT does not use (issue 17: the submit's
    # cost). Row-level security still checks the row's agency.
    response = CheckInResponse(
        agency_id=checkin.agency_id,
        request=checkin,
        participant_id=checkin.participant_id,
        instrument_id=checkin.instrument_id,
        submitted_at=now,
        channel=channel or checkin.channel,
        entered_by=entered_by,
        answers=answers,
        **scores,
    )
    response.save(force_insert=True)
    rules, practices = alert_rules_fired(
        agency=checkin.agency,
        items=items,
        answers=answers,
        scores=scores,
        previous_percent=previous_percent,
    )
    if rules:
        Alert(
            agency_id=checkin.agency_id,
            participant_id=checkin.participant_id,
            response=response,
            rules=rules,
            practices=practices,
            created_at=now,
            **_alert_triage_defaults(checkin.participant_id, rules, now),
        ).save(force_insert=True)
    response.has_alert = bool(rules)
    return response


@transaction.atomic
def repair_choice_record(*, response: CheckInResponse, choice: str) -> bool:
    """Record what the participant would like to happen after a dip. Once only, and only soon
    after the check-in (the link is already spent). A wish to talk with a supervisor becomes
    a request on the alert: due within a day, and every supervisor is told (in the app, and
    by an email that names no one)."""
    if choice not in RepairChoice.values:
        return False
    now = timezone.now()
    recorded = bool(
        CheckInResponse.objects.filter(
            pk=response.pk,
            repair_choice="",
            submitted_at__gt=now - REPAIR_CHOICE_WINDOW,
        ).update(repair_choice=choice)
    )
    if recorded and choice == RepairChoice.SUPERVISOR:
        alert = Alert.objects.filter(response_id=response.pk).first()
        if alert is not None:
            supervisor_request_record(alert=alert, now=now)
    return recorded


@transaction.atomic
def supervisor_request_record(*, alert: Alert, now: datetime) -> None:
    """The participant asked to talk with a supervisor: mark the alert, bring its due time
    forward to a day from now at the latest, and notify the agency's supervisors."""
    due = now + ALERT_URGENT_DUE_WITHIN
    Alert.objects.filter(pk=alert.pk).update(
        supervisor_requested_at=now,
        due_at=Least(Coalesce("due_at", Value(due)), Value(due)),
    )
    audit_record(agency=alert.agency, actor=None, action="alert.supervisor_requested", target=alert)
    for membership in supervisors_of_agency():
        staff_message_schedule(
            kind=DeliveryKind.SUPERVISOR_REQUEST,
            subject_id=alert.pk,
            membership=membership,
            due_at=now,
        )


@transaction.atomic
def paper_checkin_enter(
    *,
    participant: Participant,
    items: list[InstrumentItem],
    instrument: Instrument,
    answers: dict,
    entered_by: User,
    previous_percent: float | None,
) -> CheckInResponse:
    """Store a check-in the participant filled in on paper, marked as such."""
    checkin, _raw = checkin_request_create(
        participant=participant,
        channel=Channel.PAPER,
        created_by=entered_by,
        instrument=instrument,
    )
    response = checkin_submit(
        checkin=checkin,
        items=items,
        answers=answers,
        previous_percent=previous_percent,
        entered_by=entered_by,
    )
    audit_record(
        agency=participant.agency,
        actor=entered_by,
        action="checkin.paper_entered",
        target=response,
    )
    return response


# Alerts ------------------------------------------------------------------------------------


@transaction.atomic
def alert_acknowledge(*, alert: Alert, by: User) -> None:
    if Alert.objects.filter(pk=alert.pk, status=AlertStatus.OPEN).update(
        status=AlertStatus.ACKNOWLEDGED, acknowledged_at=timezone.now(), acknowledged_by=by
    ):
        audit_record(
            agency=alert.agency,
            actor=by,
            action="alert.acknowledged",
            target=alert,
        )


@transaction.atomic
def alert_triage(
    *, alert: Alert, by: User, owner: Membership | None, due_at: datetime | None, status: str
) -> None:
    """Set who has an unresolved alert, by when, and whether it is open or in progress
    (resolving has its own service, with what was done)."""
    if status not in (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED):
        raise ValueError(status)
    changes = {"owner": owner, "due_at": due_at, "status": status}
    if status == AlertStatus.ACKNOWLEDGED:
        changes.update(acknowledged_at=Coalesce("acknowledged_at", Value(timezone.now())))
    updated = (
        Alert.objects.filter(pk=alert.pk).exclude(status=AlertStatus.RESOLVED).update(**changes)
    )
    if status == AlertStatus.ACKNOWLEDGED:
        Alert.objects.filter(pk=alert.pk, acknowledged_by__isnull=True).update(acknowledged_by=by)
    if updated:
        audit_record(agency=alert.agency, actor=by, action="alert.triaged", target=alert)


@transaction.atomic
def alert_resolve(*, alert: Alert, by: User, note: str) -> None:
    now = timezone.now()
    updated = (
        Alert.objects.filter(pk=alert.pk)
        .exclude(status=AlertStatus.RESOLVED)
        .update(
            status=AlertStatus.RESOLVED,
            resolved_at=now,
            resolved_by=by,
            resolution_note=note.strip(),
        )
    )
    if updated:
        Alert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
            acknowledged_at=now, acknowledged_by=by
        )
        audit_record(agency=alert.agency, actor=by, action="alert.resolved", target=alert)


def checkins_count_missed(now: datetime | None = None) -> int:
    """Scheduled check-ins that expired unanswered are counted once; when the latest N
    scheduled ones of a participant were all missed (N = the agency's setting), an alert."""
    now = now or timezone.now()
    with scopes_disabled():
        expired = list(
            CheckInRequest.objects.filter(
                scheduled=True,
                completed_at__isnull=True,
                revoked_at__isnull=True,
                expires_at__lte=now,
                missed_counted=False,
            ).values_list("agency_id", "id", "participant_id")
        )
    for agency_id, request_id, participant_id in expired:
        with agency_scope(agency_id), transaction.atomic():
            if not CheckInRequest.objects.filter(pk=request_id, missed_counted=False).update(
                missed_counted=True
            ):
                continue
            agency = CheckInRequest.objects.select_related("agency").get(pk=request_id).agency
            latest = list(
                CheckInRequest.objects.filter(
                    participant_id=participant_id, scheduled=True, expires_at__lte=now
                )
                .order_by("-expires_at")
                .values_list("completed_at", flat=True)[: agency.alert_missed_in_a_row]
            )
            missed_run = len(latest) == agency.alert_missed_in_a_row and all(
                done is None for done in latest
            )
            # One alert per run: while the run's alert is unresolved, more misses add none.
            # (Missed-check-in alerts are the ones without a response.)
            already_raised = (
                Alert.objects.filter(participant_id=participant_id, response__isnull=True)
                .exclude(status=AlertStatus.RESOLVED)
                .exists()
            )
            if missed_run and not already_raised:
                Alert.objects.create(
                    agency=agency,
                    participant_id=participant_id,
                    rules=[AlertRule.MISSED],
                    practices=["consistency"],
                    **_alert_triage_defaults(participant_id, [AlertRule.MISSED], timezone.now()),
                )
    return len(expired)
