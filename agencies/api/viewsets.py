"""AgencyScopedViewSet: the one way an API endpoint reaches tenant data.

After DRF has authenticated the caller (and checked permissions and throttles), `initial()`
resolves the agency — the API key's, or for a signed-in member the agency named in the
X-Rapport-Agency header (else their only agency), with the same membership check as
AgencyMiddleware — and opens `agency_scope(agency)` on a stack that `dispatch()` closes only
after the response is rendered. Subclasses define `scoped_queryset()`; they may not override
`get_queryset` or `get_object` (a deliberate exception is spelled `dangerously_get_queryset`).
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
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from agencies.models import ApiKey, IdempotentRequest, Role
from agencies.selectors import agencies_for_user, agency_membership_for
from agencies.services import audit_record
from agencies.tenancy import ScopeError, agency_scope

from .errors import AgencyRequired, Conflict
from .resources import API_RESOURCES
from .schema import AGENCY_HEADER, IDEMPOTENCY_HEADER

IDEMPOTENCY_TTL = timedelta(hours=24)
IDEMPOTENCY_KEY_FORMAT = re.compile(r"[!-~]{1,255}")  # printable ASCII, no spaces
SLUG_FORMAT = re.compile(r"[-a-zA-Z0-9_]{1,60}")
FORBIDDEN_OVERRIDES = ("get_queryset", "get_object")


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
            return self.dangerously_get_queryset()
        return self.scoped_queryset()

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

    def visible_participants(self):
        """Participants this caller may reach: a peer's session sees their caseload; admins,
        supervisors and API keys see the agency."""
        from participants.models import Participant
        from participants.selectors import participants_visible_to

        if self.membership is not None:
            return participants_visible_to(self.membership)
        return Participant.objects.all()

    def visible_participant(self, participant_id: int):
        """The participant this caller may reach, for a request body's `participant` field; a
        validation error (never a hint that it exists elsewhere) otherwise."""
        from rest_framework import serializers

        participant = self.visible_participants().filter(pk=participant_id).first()
        if participant is None:
            raise serializers.ValidationError({"participant": ["No such participant."]})
        return participant

    def of_visible_participants(self, rows):
        """`rows` (of a model with a `participant`) limited to the participants this caller may
        reach: unchanged for the agency's keys, admins and supervisors."""
        if self.membership is not None and not self.membership.sees_whole_agency:
            rows = rows.filter(participant__in=self.visible_participants())
        return rows

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
                body = json.loads(JSONRenderer().render(response.data) or b"null")
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
                request=request._request,
            )
        return response
