"""AgencyScopedViewSet: the one way an API endpoint reaches tenant data.

After DRF has authenticated the caller (and checked permissions and throttles), `initial()`
resolves the agency — the API key's, or for a signed-in member the agency named in the
X-Rapport-Agency header (else their only agency), with the same membership check as
AgencyMiddleware — and opens `agency_scope(agency)` on a stack that `dispatch()` closes only
after the response is rendered. Subclasses define `scoped_queryset()`; they may not override
`get_queryset` or `get_object` (a deliberate exception is spelled `dangerously_get_queryset`).

Who may call what is declared on each viewset, as pages declare it on their routes
(agencies/access.py), and checked here before any lookup:
- `action_roles`: action -> the roles a signed-in staff member needs (403 `role_not_allowed`
  otherwise). An API key is not a member: its scope decides (`api_resource`, 403
  `read_only_key` / `resource_not_allowed`).
- `participant_field`: the path from a row to its participant ("participant",
  "goal__participant"; "pk" for participants themselves; None for rows of no participant).
  For a staff session every queryset is limited to the participants the member may see (a
  peer: their caseload), so another peer's participant's row is a 404 and absent from lists.
  A viewset without these declarations is refused when its class is created.
"""

import hashlib
import json
import re
from contextlib import ExitStack
from datetime import timedelta

from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http.request import RawPostDataException
from django.shortcuts import get_object_or_404
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from agencies.access import EVERY_ROLE, in_caseload
from agencies.api.errors import AgencyRequired, Conflict
from agencies.api.resources import API_RESOURCES
from agencies.api.schema import AGENCY_HEADER, IDEMPOTENCY_HEADER
from agencies.context import context_update
from agencies.models import ApiKey, IdempotentRequest, Role
from agencies.selectors import agencies_for_user, agency_membership_for
from agencies.services import audit_record
from agencies.tenancy import ScopeError, agency_scope

IDEMPOTENCY_TTL = timedelta(hours=24)
IDEMPOTENCY_KEY_FORMAT = re.compile(r"[!-~]{1,255}")  # printable ASCII, no spaces
SLUG_FORMAT = re.compile(r"[-a-zA-Z0-9_]{1,60}")
FORBIDDEN_OVERRIDES = ("get_queryset", "get_object")
STANDARD_ACTIONS = ("list", "retrieve", "create", "update", "partial_update", "destroy")
UNDECLARED = object()


def _without_nul(value):
    """`value` with every NUL character as U+FFFD: PostgreSQL's jsonb holds no NUL, and an
    error message may echo one back from the request (it is stored, and replayed, so)."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    if isinstance(value, dict):
        return {_without_nul(key): _without_nul(item) for key, item in value.items()}
    return value


class _Replay(Exception):
    def __init__(self, row: IdempotentRequest):
        self.row = row


class AgencyScopedViewSet(GenericViewSet):
    lookup_value_converter = "int"
    model = None  # the tenant model listed (for the OpenAPI schema only)
    # Which API resource this endpoint serves (agencies/api/resources.py): what an API key's
    # scope names. Every endpoint declares one.
    api_resource = ""
    # Response fields never written to the idempotency table (a raw link token, say): a replay
    # answers null for them.
    idempotency_redact: tuple[str, ...] = ()
    # Who may call each action with a staff session: action name -> roles (EVERY_ROLE,
    # SUPERVISORS or ADMINS from agencies/access.py). Every action is named.
    action_roles: dict[str, frozenset[str]] = {}
    # The path from a row to its participant, or None (see the module docstring). Declared by
    # every endpoint.
    participant_field: str | None = UNDECLARED

    agency = None
    membership = None
    api_key: ApiKey | None = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in FORBIDDEN_OVERRIDES:
            if name in cls.__dict__:
                raise TypeError(
                    f"{cls.__name__} overrides {name}(): define scoped_queryset() instead "
                    "(or dangerously_get_queryset() for a reviewed exception)."
                )
        if cls.participant_field is UNDECLARED:
            raise TypeError(
                f"{cls.__name__} must declare participant_field: the path from a row to its "
                "participant, or None when its rows belong to no participant."
            )
        actions = cls.action_names()
        if set(cls.action_roles) != actions:
            raise TypeError(
                f"{cls.__name__}.action_roles must name exactly its actions {sorted(actions)} "
                f"(it names {sorted(cls.action_roles)})."
            )
        for roles in cls.action_roles.values():
            if not roles or not set(roles) <= EVERY_ROLE:
                raise TypeError(f"{cls.__name__}.action_roles: roles are some of {EVERY_ROLE}.")

    @classmethod
    def action_names(cls) -> set[str]:
        """The actions this viewset answers: the standard ones it defines and its @action
        methods."""
        standard = {name for name in STANDARD_ACTIONS if hasattr(cls, name)}
        return standard | {extra.__name__ for extra in cls.get_extra_actions()}

    # API key scope --------------------------------------------------------------------------

    def _key_scope_check(self, key: ApiKey, request) -> None:
        """A read-only key may not write; a key limited to some resources uses only those."""
        if self.api_resource not in API_RESOURCES:
            raise ImproperlyConfigured(
                f"{type(self).__name__}.api_resource must name one of API_RESOURCES."
            )
        writing = request.method not in SAFE_METHODS
        if key.allows(resource=self.api_resource, writing=writing):
            return
        if writing and key.access != ApiKey.Access.READ_WRITE:
            raise exceptions.PermissionDenied("This API key is read-only.", code="read_only_key")
        raise exceptions.PermissionDenied(
            f"This API key may not use {self.api_resource}.", code="resource_not_allowed"
        )

    # Staff roles ----------------------------------------------------------------------------

    def _role_check(self) -> None:
        """A staff session may call an action only with one of the roles it declares. (A method
        the route does not take has no action: it answers 405 next; OPTIONS describes the
        endpoint and shows no rows.)"""
        if self.membership is None or self.action in (None, "metadata"):
            return
        if self.membership.role not in self.action_roles[self.action]:
            raise exceptions.PermissionDenied(
                "Your role in this agency may not do this.", code="role_not_allowed"
            )

    # Tenancy --------------------------------------------------------------------------------

    def scoped_queryset(self):
        # Every endpoint defines its own; reaching this one is a wiring mistake.
        raise ImproperlyConfigured(f"{type(self).__name__} must define scoped_queryset().")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reading the model
            return self.model.objects.none()
        if self.agency is None:
            raise ScopeError("The agency is resolved in initial(); no query before it.")
        if hasattr(self, "dangerously_get_queryset"):
            rows = self.dangerously_get_queryset()
        else:
            rows = self.scoped_queryset()
        if self.participant_field is None:
            return rows
        return self.reachable(rows, self.participant_field)

    def dispatch(self, request, *args, **kwargs):
        with ExitStack() as stack:
            self._request_scope = stack
            self._idempotency = None
            try:
                response = super().dispatch(request, *args, **kwargs)
                # Render inside the scope: serializers and renderers may still query.
                if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                    response.render()
            finally:
                self._idempotency_abandon()
            return response

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authentication, permissions, throttles
        self.agency, self.membership = self._resolve_agency(request)
        # Who acts, for the audit trail (agencies/context.py): the key, or the staff member.
        if self.api_key is not None:
            context_update(user=None, label=f"api-key:{self.api_key.pk}")
        else:
            context_update(user=request.user)
        self._role_check()
        self._request_scope.enter_context(agency_scope(self.agency))
        self._idempotency_begin(request)

    def _resolve_agency(self, request):
        if isinstance(request.auth, ApiKey):
            self.api_key = request.auth
            self._key_scope_check(request.auth, request)
            return request.auth.agency, None
        user = request.user
        slug = request.headers.get(AGENCY_HEADER, "").strip()
        if not slug:
            mine = [agency.slug for agency in agencies_for_user(user)][:2]
            if len(mine) != 1:
                raise AgencyRequired()
            slug = mine[0]
        found = agency_membership_for(user=user, slug=slug) if SLUG_FORMAT.fullmatch(slug) else None
        if found is None:
            raise exceptions.NotFound()  # as AgencyMiddleware: no hint whether it exists
        agency, membership = found
        if membership.role == Role.ADMIN and not is_mfa_enabled(user):
            raise exceptions.PermissionDenied(
                "Agency admins must set up two-factor authentication first.", code="mfa_required"
            )
        return agency, membership

    @property
    def actor(self):
        """The user to credit in services and the audit trail: None for an API key, which acts
        as the agency (each write also leaves an `api.write` event naming the key)."""
        return None if self.api_key is not None else self.request.user

    def reachable(self, rows, participant_field: str = "participant"):
        """`rows` limited to those this caller may reach: for a staff session, rows whose
        participant (`participant_field`) the member may see (agencies/access.py); an API key
        acts as the agency and reaches all of them."""
        if self.membership is None:
            return rows
        return in_caseload(rows, self.membership, participant_field)

    def parent(self, rows, kwarg: str, participant_field: str = "participant"):
        """The object a nested route names in its URL (`kwarg`, e.g. "goal_pk"), among `rows`
        this caller may reach; 404 otherwise, before anything under it is read or written."""
        if not hasattr(self, "_parents"):
            self._parents = {}
        if kwarg not in self._parents:
            self._parents[kwarg] = get_object_or_404(
                self.reachable(rows, participant_field), pk=self.kwargs[kwarg]
            )
        return self._parents[kwarg]

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "agency": self.agency, "view": self}

    # Idempotency ----------------------------------------------------------------------------

    def _principal(self, request) -> str:
        return f"key:{self.api_key.pk}" if self.api_key else f"user:{request.user.pk}"

    def _idempotency_begin(self, request):
        key = request.headers.get(IDEMPOTENCY_HEADER)
        if request.method != "POST" or key is None:
            return
        if not IDEMPOTENCY_KEY_FORMAT.fullmatch(key):
            raise exceptions.ValidationError(
                {IDEMPOTENCY_HEADER: ["Use 1 to 255 printable ASCII characters, no spaces."]}
            )
        try:
            body = request._request.body
        except RawPostDataException:  # already read as a stream
            body = json.dumps(request.data, sort_keys=True).encode()
        digest = hashlib.sha256(
            request.method.encode() + b"\n" + request.path.encode() + b"\n" + body
        ).hexdigest()
        principal = self._principal(request)
        now = timezone.now()
        # An answer is kept for a day; a row still without one after the request timeout was
        # left by a process that died mid-request, and must not block the retry for a day.
        in_progress_for = timedelta(seconds=settings.RAPPORT_IDEMPOTENCY_IN_PROGRESS_SECONDS)
        IdempotentRequest.objects.filter(principal=principal, key=key).filter(
            Q(created_at__lte=now - IDEMPOTENCY_TTL)
            | Q(response_status__isnull=True, created_at__lte=now - in_progress_for)
        ).delete()
        try:
            with transaction.atomic():
                self._idempotency = IdempotentRequest.objects.create(
                    agency=self.agency, principal=principal, key=key, request_hash=digest
                )
            return
        except IntegrityError:
            pass
        first = IdempotentRequest.objects.filter(principal=principal, key=key).first()
        if first is not None and first.request_hash != digest:
            raise Conflict(
                "This Idempotency-Key was used with a different request.",
                code="idempotency_key_reused",
            )
        if first is None or first.response_status is None:
            raise Conflict(
                "A request with this Idempotency-Key is still in progress; retry shortly.",
                code="idempotency_in_progress",
            )
        raise _Replay(first)

    def _idempotency_abandon(self):
        row, self._idempotency = self._idempotency, None
        if row is not None:  # the request failed before a response: let a retry run again
            IdempotentRequest.objects.filter(pk=row.pk).delete()

    def handle_exception(self, exc):
        if isinstance(exc, _Replay):
            response = Response(exc.row.response_body, status=exc.row.response_status)
            response["Idempotent-Replayed"] = "true"
            return response
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        row, self._idempotency = self._idempotency, None
        if row is not None:
            if response.status_code >= 500 or response.status_code == 429:
                IdempotentRequest.objects.filter(pk=row.pk).delete()
            else:
                body = _without_nul(json.loads(JSONRenderer().render(response.data) or b"null"))
                if isinstance(body, dict):
                    body.update({name: None for name in self.idempotency_redact if name in body})
                IdempotentRequest.objects.filter(pk=row.pk).update(
                    response_status=response.status_code, response_body=body
                )
        if (
            self.api_key is not None
            and request.method not in ("GET", "HEAD", "OPTIONS")
            and response.status_code < 400
            and not response.has_header("Idempotent-Replayed")
        ):
            audit_record(
                agency=self.agency,
                actor=None,
                actor_label=f"api-key:{self.api_key.pk}"[:40],
                action="api.write",
                target=self.api_key,
            )
        return response
