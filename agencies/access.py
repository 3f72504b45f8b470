"""Who may reach each page of an agency, declared where the route is, and the caseload rule
applied in one place.

Every route under /a/<agency_slug>/ is written with `agency_path(...)` instead of `path(...)`,
naming the roles that may use it:

    agency_path("participants/<int:participant_id>/edit/", views.participant_edit,
                name="participant_edit", roles=EVERY_ROLE, viewed="edit")

so a urls.py file doubles as the access table. The view is wrapped (in the spirit of Sentry's
`convert_args`) so that, after AgencyMiddleware has found the agency and the membership:

1. the role is checked first: another role gets 403 (a member knows the agency exists, so 403
   reveals nothing);
2. each URL keyword naming an object that belongs to a participant (`participant_id`, and
   `alert_id`, `commitment_id`, `response_id`) is turned into that object once, among the
   participants the member may see (the caseload rule): anything else is 404, whether it is
   another peer's or does not exist. The view receives the object (`participant`, not
   `participant_id`) and never checks again. Objects nested under a participant (a goal, a
   consent) are then looked up by the view through it: `participant.goals`;
3. with `viewed="page"`, a GET records the participant's "viewed" audit event.

The declaration (`Access`) is kept on the wrapped view as `.access`, so tests walk the URL
configuration and check every route against it; AgencyMiddleware refuses a view under /a/
that has none.

Why a registry: this module is the core (the agencies app) and must not know participants or
alliance. The participants app hands it the caseload rule (`participants_visible_to`) and the
audit call in its AppConfig.ready(), and each app names the URL keywords its objects are reached
by (`resolve_in_caseload`), with the rows and the path from a row to its participant. The REST
API (agencies/api/viewsets.py) applies the same rule through `participants_visible_to` below.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import wraps

from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.shortcuts import get_object_or_404
from django.urls import path

from agencies.models import Role

# The role groups, defined once. A route names one of these.
EVERY_ROLE = frozenset({Role.ADMIN, Role.SUPERVISOR, Role.PEER})
SUPERVISORS = frozenset({Role.ADMIN, Role.SUPERVISOR})
ADMINS = frozenset({Role.ADMIN})


@dataclass(frozen=True)
class Access:
    """What a route declares: the roles that may use it, and (`viewed`) the name of the page in
    the participant's audit trail when a GET of it shows their data. Whether the route is bound
    to a participant follows from its URL keywords: those in `caseload_keywords()` are."""

    roles: frozenset[str]
    viewed: str = ""


@dataclass(frozen=True)
class CaseloadLookup:
    """How a URL keyword is turned into an object reached through the caseload rule: the rows
    to look in (a callable: a fresh queryset per request) and the path from a row to its
    participant ("pk" when the rows are participants)."""

    keyword: str  # the URL keyword, e.g. "alert_id"
    argument: str  # what the view receives instead, e.g. "alert"
    rows: Callable
    participant_field: str = "participant"


@dataclass(frozen=True)
class _Caseload:
    visible_to: Callable  # membership -> the participants that member may see
    record_view: Callable  # (participant=, actor=, what=) -> None
    # membership -> True when `visible_to` is every participant of the agency
    sees_whole_agency: Callable = field(default=lambda membership: False)


_caseload: _Caseload | None = None
_lookups: dict[str, CaseloadLookup] = {}


def caseload_rule_set(
    *, visible_to: Callable, record_view: Callable, sees_whole_agency: Callable | None = None
) -> None:
    """Called once by the participants app (AppConfig.ready): the caseload rule, the call
    that records a staff member viewing a participant, and (optional) whether a member's
    caseload is the whole agency."""
    global _caseload
    _caseload = _Caseload(
        visible_to=visible_to,
        record_view=record_view,
        **({"sees_whole_agency": sees_whole_agency} if sees_whole_agency else {}),
    )


def resolve_in_caseload(
    keyword: str, *, argument: str, rows: Callable, participant_field: str = "participant"
) -> None:
    """Called by an app (AppConfig.ready): every route with URL keyword `keyword` hands its view
    `argument`, the row of `rows()` with that id whose participant the member may see."""
    if keyword in _lookups:
        raise ImproperlyConfigured(f"The URL keyword {keyword!r} is already resolved.")
    _lookups[keyword] = CaseloadLookup(keyword, argument, rows, participant_field)


def caseload_keywords() -> frozenset[str]:
    """The URL keywords resolved through the caseload rule (tests walk these routes)."""
    return frozenset(_lookups)


def participants_visible_to(membership):
    """The participants `membership` may see: the caseload rule of the participants app."""
    if _caseload is None:
        raise ImproperlyConfigured("The participants app has not set the caseload rule.")
    return _caseload.visible_to(membership)


def in_caseload(rows, membership, participant_field: str):
    """`rows` limited to those whose participant (`participant_field`) `membership` may see.
    For a member who sees the whole agency these are all the agency's `rows` (a row and its
    participant share the agency, as for an API key, which reaches every row): no filter,
    for the filter `participant_id IN (every participant of the agency)` misled PostgreSQL's
    planner into reading all of an agency's check-ins to list the newest 25 (benchmark 5)."""
    if _caseload is not None and _caseload.sees_whole_agency(membership):
        return rows
    return rows.filter(**{f"{participant_field}__in": participants_visible_to(membership)})


def _participant_of(row, participant_field: str):
    if participant_field == "pk":
        return row
    for name in participant_field.split("__"):
        row = getattr(row, name)
    return row


def _guarded(view: Callable, access: Access) -> Callable:
    @wraps(view)
    def guarded(request, *args, **kwargs):
        membership = getattr(request, "membership", None)
        if membership is None or membership.role not in access.roles:
            raise PermissionDenied
        viewed_participant = None
        for keyword in [name for name in kwargs if name in _lookups]:
            lookup = _lookups[keyword]
            row = get_object_or_404(
                in_caseload(lookup.rows(), membership, lookup.participant_field),
                pk=kwargs.pop(keyword),
            )
            kwargs[lookup.argument] = row
            if viewed_participant is None:
                viewed_participant = _participant_of(row, lookup.participant_field)
        if access.viewed and request.method == "GET":
            if viewed_participant is None:
                raise ImproperlyConfigured(f"{view.__name__} records a view of no participant.")
            _caseload.record_view(
                participant=viewed_participant,
                actor=request.user,
                what=access.viewed,
            )
        return view(request, *args, **kwargs)

    guarded.access = access
    return guarded


def agency_path(route: str, view: Callable, *, name: str, roles: Iterable[str], viewed: str = ""):
    """A route under /a/<agency_slug>/ open to `roles` (EVERY_ROLE, SUPERVISORS or ADMINS).
    See the module docstring for what the view then receives."""
    roles = frozenset(roles)
    if not roles or not roles <= EVERY_ROLE:
        raise ImproperlyConfigured(f"Route {name!r}: roles must be some of {sorted(EVERY_ROLE)}.")
    return path(route, _guarded(view, Access(roles=roles, viewed=viewed)), name=name)


def access_of(view: Callable) -> Access | None:
    """The declaration of a URL pattern's callback, or None for a route declared without
    agency_path."""
    return getattr(view, "access", None)
