"""Reads for check-in trends, the supervisor dashboard and exports.

Every function runs inside the agency scope (the request's, opened by AgencyMiddleware), so
each query already sees one agency only. Query counts are constant: nothing here loops over
participants or responses with a query inside the loop; totals are aggregated in SQL.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies.models import Membership, Role
from alliance.checkins.models import (
    Alert,
    AlertStatus,
    CheckInRequest,
    CheckInResponse,
    Instrument,
    InstrumentItem,
    ItemKind,
    Practice,
)
from participants.models import Participant, ParticipantStatus

# Percent bands of the dashboard's distribution: [low, high) on the 0-100 scale.
PERCENT_BANDS = [
    ("under_50", _("Below 50%"), 0, 50),
    ("50_69", _("50–69%"), 50, 70),
    ("70_84", _("70–84%"), 70, 85),
    ("85_100", _("85–100%"), 85, 101),
]


# Periods -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Whole days in the current time zone (the agency's on staff pages), both inclusive.
    `start` and `end` are the aware instants bounding them; `end` is exclusive."""

    first_day: date
    last_day: date

    @property
    def start(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.first_day, time.min))

    @property
    def end(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.last_day + timedelta(days=1), time.min))


def period_last_days(days: int, *, today: date | None = None) -> Period:
    """The last `days` days, today included."""
    today = today or timezone.localdate()
    return Period(first_day=today - timedelta(days=days - 1), last_day=today)


def _in_period(field_name: str, period: Period) -> Q:
    return Q(**{f"{field_name}__gte": period.start, f"{field_name}__lt": period.end})


# Participant trend -------------------------------------------------------------------------


@dataclass
class ResponseRow:
    """One response as the trend table shows it."""

    response: CheckInResponse
    practice_percents: list[float | None]
    free_text: list[tuple[str, str]]  # (question, answer) for each answered text item


@dataclass(frozen=True)
class TrendPoint:
    """One response as the charts draw it."""

    submitted_at: datetime
    percent: float | None
    practice_percents: list[float | None]  # in the order of `ParticipantTrend.practices`


@dataclass
class ParticipantTrend:
    points: list[TrendPoint]  # every response, oldest first
    rows: list[ResponseRow]  # the table's page of responses, newest first
    practices: list[tuple[str, str]]  # (value, label) of practices answered, in Practice order
    instruments: list[Instrument]  # those used by the responses, for their licence notes
    requests: list[CheckInRequest]  # newest first, at most `request_limit` of them
    several_instruments: bool = field(default=False)
    more_requests: bool = field(default=False)  # older requests than those listed exist
    page: int = 1  # the table's page (1: the newest responses)
    pages: int = 1
    page_size: int = 0
    first: int = 0  # the page's first and last response, counted from the newest (1)
    last: int = 0


def participant_trend(
    participant: Participant,
    *,
    language: str,
    page: int = 1,
    page_size: int | None = None,
    request_limit: int | None = None,
) -> ParticipantTrend:
    """Every check-in of one participant for the charts (oldest first: date, percent and
    per-practice percents); one page of them, newest first, for the table, with free text
    (question in `language`): `page_size` a page (all when None), `page` clamped to the pages
    there are; and the newest `request_limit` check-in requests (all when None). Five
    queries, whatever the number of responses: the charts' columns only, then whole rows for
    the one page."""
    history = list(
        CheckInResponse.objects.filter(participant=participant)
        .order_by("submitted_at", "id")
        .values_list("id", "submitted_at", "percent", "practice_scores", "instrument_id")
    )
    answered = {practice for *_rest, scores, _instrument in history for practice in scores}
    practices = [(value, str(label)) for value, label in Practice.choices if value in answered]
    points = [
        TrendPoint(
            submitted_at=submitted_at,
            percent=percent,
            practice_percents=[scores.get(value) for value, _label in practices],
        )
        for _id, submitted_at, percent, scores, _instrument in history
    ]
    count = len(history)
    size = page_size or max(count, 1)
    pages = max(1, -(-count // size))
    page = min(max(page, 1), pages)
    end = count - (page - 1) * size
    start = max(0, end - size)
    page_ids = [row[0] for row in history[start:end]]
    instrument_ids = {row[4] for row in history}
    instruments = {i.pk: i for i in Instrument.objects.filter(pk__in=instrument_ids)}
    text_items: dict[int, list[InstrumentItem]] = {}
    responses: list[CheckInResponse] = []
    if page_ids:
        responses = list(
            CheckInResponse.objects.filter(participant=participant, pk__in=page_ids).order_by(
                "-submitted_at", "-id"
            )
        )
        for item in InstrumentItem.objects.filter(
            instrument_id__in=instrument_ids, kind=ItemKind.TEXT
        ).order_by("instrument_id", "position"):
            text_items.setdefault(item.instrument_id, []).append(item)
    rows = []
    for response in responses:
        response.instrument = instruments[response.instrument_id]
        free_text = []
        for item in text_items.get(response.instrument_id, []):
            answer = response.answers.get(str(item.pk))
            if isinstance(answer, str) and answer.strip():
                free_text.append((item.in_language("text", language), answer))
        rows.append(
            ResponseRow(
                response=response,
                practice_percents=[
                    response.practice_scores.get(value) for value, _label in practices
                ],
                free_text=free_text,
            )
        )
    requests_query = CheckInRequest.objects.filter(participant=participant).order_by(
        "-created_at", "-id"
    )
    if request_limit is not None:
        requests_query = requests_query[: request_limit + 1]
    requests = list(requests_query)
    more_requests = request_limit is not None and len(requests) > request_limit
    return ParticipantTrend(
        points=points,
        rows=rows,
        practices=practices,
        instruments=sorted(instruments.values(), key=lambda i: (i.name, i.version)),
        requests=requests[:request_limit] if more_requests else requests,
        several_instruments=len(instruments) > 1,
        more_requests=more_requests,
        page=page,
        pages=pages,
        page_size=size,
        first=count - end + 1,
        last=count - start,
    )


# Dashboard ---------------------------------------------------------------------------------


def request_summary(period: Period) -> dict:
    """Requests created in the period (revoked ones left out), how many of those were
    completed, and the response rate (completed / created, None when none were created).
    One query."""
    counts = CheckInRequest.objects.filter(
        _in_period("created_at", period), revoked_at__isnull=True
    ).aggregate(
        created=Count("id"),
        completed=Count("id", filter=Q(completed_at__isnull=False)),
    )
    created, completed = counts["created"], counts["completed"]
    counts["rate"] = round(100 * completed / created, 1) if created else None
    return counts


# Always true (a row and its participant share the agency), and it tells PostgreSQL's planner
# that the joined participants are this agency's few rather than all of them: with a thousand
# other agencies present it otherwise hashed every participant (benchmark 4).
_SAME_AGENCY_PARTICIPANT = Q(participant__agency=F("agency"))


def _responses_by_peer(period: Period) -> dict[int | None, dict]:
    """Responses submitted in the period, grouped by the participant's current peer (None:
    no peer): their number, how many are scored and the sum of their percents, how many are
    unscored, and the number in each band of PERCENT_BANDS. One query; the agency's totals
    are the sums of these groups (every response has a participant)."""
    band_counts = {
        key: Count("id", filter=Q(percent__gte=low, percent__lt=high))
        for key, _label, low, high in PERCENT_BANDS
    }
    return {
        row["participant__assigned_peer"]: row
        for row in CheckInResponse.objects.filter(
            _in_period("submitted_at", period), _SAME_AGENCY_PARTICIPANT
        )
        .values("participant__assigned_peer")
        .annotate(
            n=Count("id"),
            scored=Count("percent"),
            percent_sum=Sum("percent"),
            unscored=Count("id", filter=Q(percent__isnull=True)),
            **band_counts,
        )
        .order_by()
    }


def _average(groups) -> float | None:
    """The average percent of the responses in `groups` (rows of _responses_by_peer), to one
    decimal, as AVG would give it: the sum of the percents over the number scored."""
    scored = sum(group["scored"] for group in groups)
    if not scored:
        return None
    return round(sum(group["percent_sum"] or 0 for group in groups) / scored, 1)


def _response_totals(by_peer: dict[int | None, dict]) -> dict:
    groups = list(by_peer.values())
    return {
        "responses": sum(group["n"] for group in groups),
        "average": _average(groups),
        "unscored": sum(group["unscored"] for group in groups),
        "bands": [
            (key, label, sum(group[key] for group in groups))
            for key, label, _low, _high in PERCENT_BANDS
        ],
    }


def response_summary(period: Period) -> dict:
    """Responses submitted in the period: their number, average percent, how many have no
    score (no scale item answered), and the number in each band of PERCENT_BANDS (as
    `bands`: a list of (key, label, count)). One query."""
    return _response_totals(_responses_by_peer(period))


def _unresolved_alerts() -> QuerySet[Alert]:
    return Alert.objects.exclude(status=AlertStatus.RESOLVED)


def _unresolved_alerts_by_peer() -> dict[int | None, int]:
    """Unresolved alerts, now, by the participant's current peer. One query."""
    return dict(
        _unresolved_alerts()
        .filter(_SAME_AGENCY_PARTICIPANT)
        .values_list("participant__assigned_peer")
        .annotate(n=Count("id"))
        .order_by()
    )


def open_alert_count() -> int:
    """Alerts not yet resolved (open or acknowledged), now: not limited to a period, as on
    the alerts page. One query."""
    return _unresolved_alerts().count()


@dataclass
class PeerRow:
    membership: Membership | None  # None: participants without an assigned peer
    caseload: int = 0
    responses: int = 0
    average: float | None = None
    open_alerts: int = 0

    @property
    def name(self) -> str:
        if self.membership is None:
            return ""
        user = self.membership.user
        return user.get_full_name() or user.email


def _peer_rows(responses: dict[int | None, dict], alerts: dict[int | None, int]) -> list[PeerRow]:
    caseloads = dict(
        Participant.objects.exclude(status=ParticipantStatus.DISCHARGED)
        .values_list("assigned_peer")
        .annotate(n=Count("id"))
        .order_by()
    )
    attributed = (set(caseloads) | set(responses) | set(alerts)) - {None}
    members = Membership.objects.filter(
        Q(role=Role.PEER, is_active=True) | Q(pk__in=attributed)
    ).select_related("user")

    def row_for(membership_id, membership) -> PeerRow:
        found = responses.get(membership_id)
        return PeerRow(
            membership=membership,
            caseload=caseloads.get(membership_id, 0),
            responses=found["n"] if found else 0,
            average=_average([found]) if found else None,
            open_alerts=alerts.get(membership_id, 0),
        )

    rows = [row_for(member.pk, member) for member in members]
    rows.sort(key=lambda row: row.name.casefold())
    if None in caseloads or None in responses or None in alerts:
        rows.append(row_for(None, None))
    return rows


def peer_summary(period: Period) -> list[PeerRow]:
    """One row per active peer specialist (and per other member who has participants,
    responses or alerts attributed): participants in their caseload (not discharged),
    responses in the period, the average percent of those, and unresolved alerts.

    Responses and alerts are attributed to the participant's *current* peer: a transfer
    moves a participant's history with them. A last row (membership None) gathers
    participants without a peer, when there are any. Four grouped queries, however many
    peers, participants or check-ins there are."""
    return _peer_rows(_responses_by_peer(period), _unresolved_alerts_by_peer())


@dataclass
class DashboardFigures:
    requests: dict  # as request_summary
    responses: dict  # as response_summary
    open_alerts: int  # as open_alert_count
    peers: list[PeerRow]  # as peer_summary


def dashboard_figures(period: Period) -> DashboardFigures:
    """Every figure of the dashboard for the period, the same as the four functions above
    give, in five queries: the responses and the unresolved alerts are read once, grouped by
    peer, and the agency's totals summed from the groups."""
    responses = _responses_by_peer(period)
    alerts = _unresolved_alerts_by_peer()
    return DashboardFigures(
        requests=request_summary(period),
        responses=_response_totals(responses),
        open_alerts=sum(alerts.values()),
        peers=_peer_rows(responses, alerts),
    )


# Exports -----------------------------------------------------------------------------------

EXPORT_FIELDS = (
    "id",
    "participant_id",
    "submitted_at",
    "channel",
    "instrument__key",
    "instrument__version",
    "total",
    "max_total",
    "percent",
    "practice_scores",
    "repair_choice",
)


def responses_for_export(period: Period) -> list[dict]:
    """Responses submitted in the period, oldest first, as plain values (no names: the
    participant appears by internal id only). One query, evaluated here so that the caller
    can build the file after the agency scope closes."""
    return list(
        CheckInResponse.objects.filter(_in_period("submitted_at", period))
        .order_by("submitted_at", "id")
        .values(*EXPORT_FIELDS)
    )


def fhir_questionnaire_response(response: CheckInResponse) -> dict:
    """One response as a FHIR R4 QuestionnaireResponse (a plain dict, ready for JSON).

    The subject is `Patient/<internal participant id>`: no name or contact detail travels.
    The questionnaire is the canonical `urn:rapport:instrument:<key>|<version>`. Items carry
    their position as linkId and their English text; only answered items are listed (an
    empty text answer counts as unanswered). One query (the instrument's items)."""
    instrument = response.instrument
    items = InstrumentItem.objects.filter(instrument_id=instrument.pk).order_by("position")
    entries = []
    for item in items:
        value = response.answers.get(str(item.pk))
        if item.kind == ItemKind.SCALE and isinstance(value, int) and not isinstance(value, bool):
            answer = {"valueInteger": value}
        elif item.kind == ItemKind.TEXT and isinstance(value, str) and value.strip():
            answer = {"valueString": value}
        else:
            continue
        entries.append(
            {
                "linkId": str(item.position),
                "text": item.in_language("text", "en"),
                "answer": [answer],
            }
        )
    return {
        "resourceType": "QuestionnaireResponse",
        "id": str(response.pk),
        "status": "completed",
        "questionnaire": f"urn:rapport:instrument:{instrument.key}|{instrument.version}",
        "subject": {"reference": f"Patient/{response.participant_id}"},
        "authored": response.submitted_at.astimezone(UTC).isoformat(),
        "item": entries,
    }
