"""REST endpoints for check-ins: requests (the link URL is in the create response only),
responses (read), instruments (read, with items) and alerts (read, acknowledge, resolve).

Also commitments (with kept / missed / cancel / renegotiate actions), and goals (read, create,
edit) with their action steps (add, tick), validated by the staff pages' forms and written
through alliance/goals.py."""

from datetime import timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_serializer, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from agencies.access import EVERY_ROLE
from agencies.api.errors import Conflict
from agencies.api.filters import DateTimeFilter, IdFilter
from agencies.api.pagination import IdCursorPagination
from agencies.api.schema import api_doc
from agencies.api.viewsets import AgencyScopedViewSet
from agencies.models import Membership
from participants.api import ParticipantInReachField, form_errors

from . import commitments, goals, services
from .goal_forms import STEP_MAX, WORDS_MAX, GoalForm, StepForm
from .models import (
    Alert,
    AlertRule,
    AlertStatus,
    Channel,
    CheckInRequest,
    CheckInResponse,
    Commitment,
    CommitmentEvent,
    CommitmentStatus,
    GoalStatus,
    GoalStep,
    Instrument,
    InstrumentItem,
    Practice,
    ProposedBy,
    RecoveryGoal,
    RepairChoice,
)

API_CHANNELS = [Channel.LINK, Channel.EMAIL, Channel.SMS]  # kiosk and paper are staff pages
API_CHANNEL_CHOICES = [(c.value, c.label) for c in API_CHANNELS]
REQUEST_STATUSES = ["open", "completed", "revoked", "expired"]


def checkin_link(raw_token: str) -> str:
    """The participant's check-in URL (as alliance.views._link builds it)."""
    return settings.SITE_URL + reverse("checkin", args=[raw_token])


# Check-in requests ---------------------------------------------------------------------------


class CheckInRequestSerializer(serializers.ModelSerializer):
    participant = serializers.IntegerField(source="participant_id", read_only=True)
    instrument = serializers.IntegerField(source="instrument_id", read_only=True)
    created_by = serializers.IntegerField(source="created_by_id", read_only=True, allow_null=True)
    status = serializers.ChoiceField(choices=REQUEST_STATUSES, read_only=True)

    class Meta:
        model = CheckInRequest
        fields = [
            "id",
            "participant",
            "instrument",
            "channel",
            "status",
            "created_by",
            "created_at",
            "expires_at",
            "revoked_at",
            "completed_at",
        ]
        read_only_fields = fields


class CheckInRequestCreatedSerializer(CheckInRequestSerializer):
    url = serializers.CharField(
        allow_null=True,
        help_text="The participant's check-in link. Returned by this response only; only its "
        "hash is kept (an idempotent replay answers null).",
    )

    class Meta(CheckInRequestSerializer.Meta):
        fields = [*CheckInRequestSerializer.Meta.fields, "url"]
        read_only_fields = fields


class CheckInRequestCreateSerializer(serializers.Serializer):
    participant = ParticipantInReachField()
    channel = serializers.ChoiceField(
        choices=API_CHANNEL_CHOICES,
        default=Channel.LINK,
        help_text="How you will deliver the link (Rapport does not send it from the API).",
    )
    instrument = serializers.IntegerField(
        min_value=1, required=False, help_text="Defaults to the agency's default instrument."
    )
    expires_in_hours = serializers.IntegerField(
        min_value=1,
        max_value=24 * 30,
        required=False,
        help_text="Defaults to the agency's check-in link expiry.",
    )

    def validate(self, attrs):
        if "instrument" in attrs:
            instrument = Instrument.objects.filter(pk=attrs["instrument"]).first()
            if instrument is None:
                raise serializers.ValidationError({"instrument": ["No such instrument."]})
            attrs["instrument"] = instrument
        elif services.instrument_default() is None:
            raise serializers.ValidationError({"instrument": ["The agency has no default."]})
        return attrs


class CheckInRequestFilter(filters.FilterSet):
    participant = IdFilter(field_name="participant_id")
    channel = filters.ChoiceFilter(choices=Channel.choices)
    created_after = DateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = DateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = CheckInRequest
        fields = ["participant", "channel", "created_after", "created_before"]


@extend_schema_view(
    list=api_doc(summary="List check-in requests", response=CheckInRequestSerializer(many=True)),
    retrieve=api_doc(
        summary="Get a check-in request (without its link)",
        response=CheckInRequestSerializer,
        codes=(404,),
    ),
)
class CheckInRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, AgencyScopedViewSet):
    model = CheckInRequest
    api_resource = "checkin-requests"
    serializer_class = CheckInRequestSerializer
    filterset_class = CheckInRequestFilter
    idempotency_redact = ("url",)
    participant_field = "participant"
    action_roles = {
        "list": EVERY_ROLE,
        "retrieve": EVERY_ROLE,
        "create": EVERY_ROLE,
        "revoke": EVERY_ROLE,
    }

    def scoped_queryset(self):
        return CheckInRequest.objects.all()

    @api_doc(
        summary="Create a check-in request; the response carries its link, once",
        request=CheckInRequestCreateSerializer,
        response=CheckInRequestCreatedSerializer,
        status=201,
        codes=(409,),
    )
    def create(self, request):
        write = CheckInRequestCreateSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        write.is_valid(raise_exception=True)
        data = write.validated_data
        hours = data.get("expires_in_hours")
        checkin, raw_token = services.checkin_request_create(
            participant=data["participant"],
            channel=data["channel"],
            created_by=self.actor,
            instrument=data.get("instrument"),
            expires_in=timedelta(hours=hours) if hours else None,
            request=request,
        )
        body = CheckInRequestSerializer(checkin).data
        body["url"] = checkin_link(raw_token)
        return Response(body, status=status.HTTP_201_CREATED)

    @api_doc(
        summary="Revoke an open check-in request (its link stops working)",
        request=None,
        response=CheckInRequestSerializer,
        codes=(404,),
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        checkin = self.get_object()
        services.checkin_request_revoke(checkin=checkin, revoked_by=self.actor, request=request)
        checkin.refresh_from_db()
        return Response(CheckInRequestSerializer(checkin).data)


# Check-in responses --------------------------------------------------------------------------


class CheckInResponseSerializer(serializers.ModelSerializer):
    request = serializers.IntegerField(source="request_id", read_only=True)
    participant = serializers.IntegerField(source="participant_id", read_only=True)
    instrument = serializers.IntegerField(source="instrument_id", read_only=True)
    entered_by = serializers.IntegerField(source="entered_by_id", read_only=True, allow_null=True)
    answers = serializers.DictField(
        child=serializers.JSONField(),
        read_only=True,
        help_text="Item id -> answer (a number for scale items, text for free text).",
    )
    practice_scores = serializers.DictField(
        child=serializers.FloatField(), read_only=True, help_text="Practice -> percent."
    )
    repair_choice = serializers.ChoiceField(
        choices=[("", "Not chosen"), *RepairChoice.choices],
        read_only=True,
        help_text="What the participant would like after a dip; empty if not chosen.",
    )

    class Meta:
        model = CheckInResponse
        fields = [
            "id",
            "request",
            "participant",
            "instrument",
            "submitted_at",
            "channel",
            "entered_by",
            "answers",
            "total",
            "max_total",
            "percent",
            "practice_scores",
            "repair_choice",
        ]
        read_only_fields = fields


class CheckInResponseFilter(filters.FilterSet):
    participant = IdFilter(field_name="participant_id")
    submitted_after = DateTimeFilter(field_name="submitted_at", lookup_expr="gte")
    submitted_before = DateTimeFilter(field_name="submitted_at", lookup_expr="lt")

    class Meta:
        model = CheckInResponse
        fields = ["participant", "submitted_after", "submitted_before"]


@extend_schema_view(
    list=api_doc(summary="List check-in responses", response=CheckInResponseSerializer(many=True)),
    retrieve=api_doc(
        summary="Get a check-in response", response=CheckInResponseSerializer, codes=(404,)
    ),
)
class CheckInResponseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, AgencyScopedViewSet):
    model = CheckInResponse
    api_resource = "checkin-responses"
    serializer_class = CheckInResponseSerializer
    filterset_class = CheckInResponseFilter
    participant_field = "participant"
    action_roles = {"list": EVERY_ROLE, "retrieve": EVERY_ROLE}

    def scoped_queryset(self):
        return CheckInResponse.objects.all()


# Instruments ---------------------------------------------------------------------------------


class InstrumentItemSerializer(serializers.ModelSerializer):
    practice = serializers.ChoiceField(
        choices=[("", "None"), *Practice.choices],
        read_only=True,
        help_text="The practice the item measures; empty for free-text items.",
    )
    text = serializers.DictField(child=serializers.CharField(), help_text="Language -> text.")
    label_min = serializers.DictField(child=serializers.CharField())
    label_max = serializers.DictField(child=serializers.CharField())

    class Meta:
        model = InstrumentItem
        fields = [
            "id",
            "position",
            "kind",
            "practice",
            "text",
            "scale_min",
            "scale_max",
            "label_min",
            "label_max",
            "required",
        ]
        read_only_fields = fields


class InstrumentSerializer(serializers.ModelSerializer):
    items = InstrumentItemSerializer(many=True, read_only=True)

    class Meta:
        model = Instrument
        fields = [
            "id",
            "key",
            "version",
            "name",
            "licence_note",
            "is_default",
            "created_at",
            "items",
        ]
        read_only_fields = fields


@extend_schema_view(
    list=api_doc(summary="List instruments", response=InstrumentSerializer(many=True)),
    retrieve=api_doc(summary="Get an instrument", response=InstrumentSerializer, codes=(404,)),
)
class InstrumentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, AgencyScopedViewSet):
    model = Instrument
    api_resource = "instruments"
    serializer_class = InstrumentSerializer
    participant_field = None  # the agency's questions, nobody's record
    action_roles = {"list": EVERY_ROLE, "retrieve": EVERY_ROLE}

    def scoped_queryset(self):
        return Instrument.objects.prefetch_related("items")


# Alerts --------------------------------------------------------------------------------------


class AlertSerializer(serializers.ModelSerializer):
    participant = serializers.IntegerField(source="participant_id", read_only=True)
    response = serializers.IntegerField(source="response_id", read_only=True, allow_null=True)
    rules = serializers.ListField(child=serializers.ChoiceField(choices=AlertRule.choices))
    practices = serializers.ListField(child=serializers.ChoiceField(choices=Practice.choices))
    acknowledged_by = serializers.IntegerField(
        source="acknowledged_by_id", read_only=True, allow_null=True
    )
    resolved_by = serializers.IntegerField(source="resolved_by_id", read_only=True, allow_null=True)

    class Meta:
        model = Alert
        fields = [
            "id",
            "participant",
            "response",
            "rules",
            "practices",
            "created_at",
            "status",
            "acknowledged_at",
            "acknowledged_by",
            "resolved_at",
            "resolved_by",
            "resolution_note",
        ]
        read_only_fields = fields


class AlertResolveSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, help_text="What was done.")

    def validate_note(self, value):
        if not value.strip():
            raise serializers.ValidationError("Say what was done.")
        return value


class AlertFilter(filters.FilterSet):
    participant = IdFilter(field_name="participant_id")
    status = filters.ChoiceFilter(choices=AlertStatus.choices)

    class Meta:
        model = Alert
        fields = ["participant", "status"]


@extend_schema_view(
    list=api_doc(summary="List alerts", response=AlertSerializer(many=True)),
    retrieve=api_doc(summary="Get an alert", response=AlertSerializer, codes=(404,)),
)
class AlertViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, AgencyScopedViewSet):
    model = Alert
    api_resource = "alerts"
    serializer_class = AlertSerializer
    filterset_class = AlertFilter
    participant_field = "participant"
    action_roles = {
        "list": EVERY_ROLE,
        "retrieve": EVERY_ROLE,
        "acknowledge": EVERY_ROLE,
        "resolve": EVERY_ROLE,
    }

    def scoped_queryset(self):
        return Alert.objects.all()

    @api_doc(
        summary="Acknowledge an open alert", request=None, response=AlertSerializer, codes=(404,)
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        alert = self.get_object()
        services.alert_acknowledge(alert=alert, by=self.actor, request=request)
        alert.refresh_from_db()
        return Response(AlertSerializer(alert).data)

    @api_doc(
        summary="Resolve an alert, saying what was done",
        request=AlertResolveSerializer,
        response=AlertSerializer,
        codes=(404,),
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        alert = self.get_object()
        write = AlertResolveSerializer(data=request.data)
        write.is_valid(raise_exception=True)
        services.alert_resolve(
            alert=alert, by=self.actor, note=write.validated_data["note"], request=request
        )
        alert.refresh_from_db()
        return Response(AlertSerializer(alert).data)


# Commitments ---------------------------------------------------------------------------------


class CommitmentEventSerializer(serializers.ModelSerializer):
    asked_by = serializers.CharField(read_only=True, help_text="participant, staff, or empty")

    class Meta:
        model = CommitmentEvent
        fields = ["kind", "at", "by_participant", "old_due_at", "new_due_at", "asked_by", "reason"]
        read_only_fields = fields


class CommitmentSerializer(serializers.ModelSerializer):
    participant = serializers.IntegerField(source="participant_id", read_only=True)
    staff = serializers.IntegerField(source="staff_id", read_only=True, allow_null=True)
    events = CommitmentEventSerializer(many=True, read_only=True)

    class Meta:
        model = Commitment
        fields = [
            "id",
            "participant",
            "promised_by",
            "staff",
            "what",
            "due_at",
            "version",
            "status",
            "kept_on_time",
            "renegotiated",
            "participant_says_kept",
            "closed_at",
            "created_at",
            "events",
        ]
        read_only_fields = fields


class CommitmentCreateSerializer(serializers.Serializer):
    participant = ParticipantInReachField()
    promised_by = serializers.ChoiceField(choices=ProposedBy.choices, default=ProposedBy.STAFF)
    staff = serializers.IntegerField(
        min_value=1,
        required=False,
        help_text="The staff member (membership id) who promised; defaults to the signed-in one.",
    )
    what = serializers.CharField(max_length=300)
    due_at = serializers.DateTimeField()

    def validate_due_at(self, value):
        if value <= timezone.now():
            raise serializers.ValidationError("Choose a time in the future.")
        return value

    def validate(self, attrs):
        view = self.context["view"]
        staff = view.membership
        if "staff" in attrs:
            staff = Membership.objects.filter(pk=attrs["staff"], is_active=True).first()
            if staff is None:
                raise serializers.ValidationError({"staff": ["No such active staff member."]})
        if attrs["promised_by"] == ProposedBy.STAFF and staff is None:
            raise serializers.ValidationError({"staff": ["Say which staff member promised."]})
        attrs["staff"] = staff
        return attrs


class CommitmentRenegotiateSerializer(serializers.Serializer):
    new_due_at = serializers.DateTimeField()
    asked_by = serializers.ChoiceField(choices=ProposedBy.choices)
    reason = serializers.CharField(max_length=300)

    def validate_new_due_at(self, value):
        if value <= timezone.now():
            raise serializers.ValidationError("Choose a time in the future.")
        return value


class CommitmentFilter(filters.FilterSet):
    participant = IdFilter(field_name="participant_id")
    status = filters.ChoiceFilter(choices=CommitmentStatus.choices)

    class Meta:
        model = Commitment
        fields = ["participant", "status"]


@extend_schema_view(
    list=api_doc(
        summary="List commitments with their ledger", response=CommitmentSerializer(many=True)
    ),
    retrieve=api_doc(
        summary="Get a commitment with its ledger", response=CommitmentSerializer, codes=(404,)
    ),
)
class CommitmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, AgencyScopedViewSet):
    """Consistency commitments, with the ledger's state changes as actions."""

    model = Commitment
    api_resource = "commitments"
    serializer_class = CommitmentSerializer
    filterset_class = CommitmentFilter
    participant_field = "participant"
    action_roles = {
        "list": EVERY_ROLE,
        "retrieve": EVERY_ROLE,
        "create": EVERY_ROLE,
        "kept": EVERY_ROLE,
        "missed": EVERY_ROLE,
        "cancel": EVERY_ROLE,
        "renegotiate": EVERY_ROLE,
    }

    def scoped_queryset(self):
        return Commitment.objects.prefetch_related("events").order_by("due_at", "id")

    @api_doc(
        summary="Record a commitment (its reminders are scheduled)",
        request=CommitmentCreateSerializer,
        response=CommitmentSerializer,
        status=201,
        codes=(409,),
    )
    def create(self, request):
        write = CommitmentCreateSerializer(data=request.data, context=self.get_serializer_context())
        write.is_valid(raise_exception=True)
        data = write.validated_data
        commitment = commitments.commitment_create(
            participant=data["participant"],
            promised_by=data["promised_by"],
            staff=data["staff"],
            what=data["what"],
            due_at=data["due_at"],
            created_by=self.actor,
            request=request,
        )
        return Response(
            CommitmentSerializer(self._fresh(commitment)).data, status=status.HTTP_201_CREATED
        )

    def _fresh(self, commitment):
        return Commitment.objects.prefetch_related("events").get(pk=commitment.pk)

    def _close(self, request, outcome):
        commitment = self.get_object()
        try:
            commitments.commitment_close(
                commitment=commitment, outcome=outcome, by=self.actor, request=request
            )
        except commitments.CommitmentClosed:
            raise Conflict("This commitment is already closed.") from None
        return Response(CommitmentSerializer(self._fresh(commitment)).data)

    @api_doc(
        summary="Mark kept (on time if by the due time plus the agency's grace)",
        request=None,
        response=CommitmentSerializer,
        codes=(404, 409),
    )
    @action(detail=True, methods=["post"])
    def kept(self, request, pk=None):
        return self._close(request, CommitmentStatus.KEPT)

    @api_doc(summary="Mark missed", request=None, response=CommitmentSerializer, codes=(404, 409))
    @action(detail=True, methods=["post"])
    def missed(self, request, pk=None):
        return self._close(request, CommitmentStatus.MISSED)

    @api_doc(
        summary="Cancel (pending reminders are cancelled)",
        request=None,
        response=CommitmentSerializer,
        codes=(404, 409),
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._close(request, CommitmentStatus.CANCELLED)

    @api_doc(
        summary="Move to a new time; reminders are rescheduled",
        request=CommitmentRenegotiateSerializer,
        response=CommitmentSerializer,
        codes=(404, 409),
    )
    @action(detail=True, methods=["post"])
    def renegotiate(self, request, pk=None):
        commitment = self.get_object()
        write = CommitmentRenegotiateSerializer(data=request.data)
        write.is_valid(raise_exception=True)
        data = write.validated_data
        try:
            commitments.commitment_renegotiate(
                commitment=commitment,
                new_due_at=data["new_due_at"],
                reason=data["reason"],
                asked_by=data["asked_by"],
                by=self.actor,
                request=request,
            )
        except commitments.CommitmentClosed:
            raise Conflict("This commitment is already closed.") from None
        return Response(CommitmentSerializer(self._fresh(commitment)).data)


# Goals -------------------------------------------------------------------------------------


class GoalStepSerializer(serializers.ModelSerializer):
    goal = serializers.IntegerField(source="goal_id", read_only=True)
    done = serializers.SerializerMethodField()

    class Meta:
        model = GoalStep
        fields = ["id", "goal", "position", "text", "done", "done_at"]
        read_only_fields = fields

    def get_done(self, step) -> bool:
        return step.done_at is not None


class GoalSerializer(serializers.ModelSerializer):
    participant = serializers.IntegerField(source="participant_id", read_only=True)
    steps = GoalStepSerializer(many=True, read_only=True)
    needs_agreement = serializers.BooleanField(
        read_only=True,
        help_text="True until the participant agrees (through their portal link) to the goal's "
        "current words; a staff change of the words after agreement sets it again.",
    )

    class Meta:
        model = RecoveryGoal
        fields = [
            "id",
            "participant",
            "words",
            "why_it_matters",
            "proposed_by",
            "status",
            "review_on",
            "agreed_at",
            "needs_agreement",
            "steps",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class GoalCreateSerializer(serializers.Serializer):
    participant = ParticipantInReachField()
    words = serializers.CharField(
        max_length=WORDS_MAX, help_text="The goal, in the participant's own words."
    )
    why_it_matters = serializers.CharField(
        max_length=WORDS_MAX, required=False, allow_blank=True, default=""
    )
    proposed_by = serializers.ChoiceField(
        choices=ProposedBy.choices, default=ProposedBy.PARTICIPANT
    )
    review_on = serializers.DateField(required=False, allow_null=True, default=None)

    def validate(self, attrs):
        _valid_by_goal_form({**attrs, "status": GoalStatus.ACTIVE}, self.context["agency"])
        return attrs


def _valid_by_goal_form(values: dict, agency, *, goal=None) -> GoalForm:
    """The staff page's form, run on these values (the rules live there: a review date in
    the past only if it is the goal's current one); its errors as the API's field errors."""
    initial = GoalForm.initial_for(goal) if goal is not None else {}
    form = GoalForm(
        data={
            name: "" if values.get(name) is None else values[name] for name in GoalForm.base_fields
        },
        initial=initial,
        today=agency.today(),
    )
    if not form.is_valid():
        raise serializers.ValidationError(form_errors(form))
    return form


# Named as the goal's own component (PatchedGoalRequest): the status choices then belong to one
# component, which keeps the schema's enum names stable without a settings override.
@extend_schema_serializer(component_name="Goal")
class GoalUpdateSerializer(serializers.Serializer):
    """What staff may change on the goal page. Validated by that page's form (a past review
    date only if it is the goal's current one); agreement is the participant's, never set
    here."""

    words = serializers.CharField(
        max_length=WORDS_MAX,
        required=False,
        help_text="Changing the words of an agreed goal asks the participant to agree again.",
    )
    why_it_matters = serializers.CharField(max_length=WORDS_MAX, required=False, allow_blank=True)
    proposed_by = serializers.ChoiceField(choices=ProposedBy.choices, required=False)
    review_on = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="The peer is reminded at 09:00 that day (agency time); null for none.",
    )
    status = serializers.ChoiceField(choices=GoalStatus.choices, required=False)

    def validate(self, attrs):
        goal = self.instance
        values = {**GoalForm.initial_for(goal), **attrs}
        self.form = _valid_by_goal_form(values, self.context["agency"], goal=goal)
        return attrs


class GoalStepCreateSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=STEP_MAX, help_text="The action step.")

    def validate(self, attrs):
        form = StepForm(data=attrs)
        if not form.is_valid():
            raise serializers.ValidationError(form_errors(form))
        return form.cleaned_data


class GoalStepUpdateSerializer(serializers.Serializer):
    done = serializers.BooleanField(
        required=False, help_text="Whether the step is done (ticked). Absent: no change."
    )

    def validate(self, attrs):
        # A step's text is fixed once added (as on the staff page): say so rather than ignore it.
        if "text" in self.initial_data:
            raise serializers.ValidationError(
                {"text": ["A step's text cannot be changed; add a new step instead."]}
            )
        return attrs


class GoalFilter(filters.FilterSet):
    participant = IdFilter(field_name="participant_id")
    status = filters.ChoiceFilter(choices=GoalStatus.choices)

    class Meta:
        model = RecoveryGoal
        fields = ["participant", "status"]


class GoalWrites:
    """What goal and step endpoints share: the actor's audit label."""

    def actor_label(self) -> str:
        return f"api-key:{self.api_key.pk}" if self.api_key is not None else ""


@extend_schema_view(
    list=api_doc(summary="List goals with their steps", response=GoalSerializer(many=True)),
    retrieve=api_doc(summary="Get a goal with its steps", response=GoalSerializer, codes=(404,)),
)
class GoalViewSet(
    GoalWrites, mixins.ListModelMixin, mixins.RetrieveModelMixin, AgencyScopedViewSet
):
    """Collaborative goals: read, proposed and edited here; participants agree through their
    portal. Steps are at /goals/{goal_pk}/steps/."""

    model = RecoveryGoal
    api_resource = "goals"
    serializer_class = GoalSerializer
    filterset_class = GoalFilter
    participant_field = "participant"
    action_roles = {
        "list": EVERY_ROLE,
        "retrieve": EVERY_ROLE,
        "create": EVERY_ROLE,
        "partial_update": EVERY_ROLE,
    }

    def scoped_queryset(self):
        return RecoveryGoal.objects.prefetch_related("steps").order_by("-created_at", "-id")

    def _read(self, goal, status_code=status.HTTP_200_OK):
        fresh = RecoveryGoal.objects.prefetch_related("steps").get(pk=goal.pk)
        return Response(GoalSerializer(fresh).data, status=status_code)

    @api_doc(
        summary="Propose a goal (the participant agrees to it through their portal link)",
        request=GoalCreateSerializer,
        response=GoalSerializer,
        status=201,
        codes=(409,),
    )
    def create(self, request):
        write = GoalCreateSerializer(data=request.data, context=self.get_serializer_context())
        write.is_valid(raise_exception=True)
        data = write.validated_data
        goal = goals.goal_create(
            participant=data["participant"],
            created_by=self.actor,
            words=data["words"],
            why_it_matters=data["why_it_matters"],
            proposed_by=data["proposed_by"],
            review_on=data["review_on"],
            request=request,
            actor_label=self.actor_label(),
        )
        return self._read(goal, status.HTTP_201_CREATED)

    @api_doc(
        summary="Change a goal (new words after agreement ask the participant to agree again)",
        request=GoalUpdateSerializer,
        response=GoalSerializer,
        codes=(404,),
    )
    def partial_update(self, request, pk=None):
        goal = self.get_object()
        write = GoalUpdateSerializer(
            goal, data=request.data, partial=True, context=self.get_serializer_context()
        )
        write.is_valid(raise_exception=True)
        goal = goals.goal_update(
            goal=goal,
            changed_by=self.actor,
            request=request,
            actor_label=self.actor_label(),
            **write.form.cleaned_data,
        )
        return self._read(goal)


class GoalStepPagination(IdCursorPagination):
    ordering = ("position", "id")  # the goal's order, as its pages show it


@extend_schema_view(
    list=api_doc(
        summary="List a goal's action steps, in order",
        response=GoalStepSerializer(many=True),
        codes=(404,),
    ),
    retrieve=api_doc(summary="Get an action step", response=GoalStepSerializer, codes=(404,)),
)
class GoalStepViewSet(
    GoalWrites, mixins.ListModelMixin, mixins.RetrieveModelMixin, AgencyScopedViewSet
):
    """Action steps of one goal: /goals/{goal_pk}/steps/. Added and ticked as on the staff
    page; a step's text is fixed and steps are not deleted (the participant may have ticked
    them)."""

    model = GoalStep
    api_resource = "goals"
    serializer_class = GoalStepSerializer
    pagination_class = GoalStepPagination
    participant_field = "goal__participant"
    action_roles = {
        "list": EVERY_ROLE,
        "retrieve": EVERY_ROLE,
        "create": EVERY_ROLE,
        "partial_update": EVERY_ROLE,
    }

    def goal(self) -> RecoveryGoal:
        return self.parent(RecoveryGoal.objects.all(), "goal_pk")

    def scoped_queryset(self):
        return GoalStep.objects.filter(goal=self.goal())

    @api_doc(
        summary="Add an action step at the end (the same text twice adds it once)",
        request=GoalStepCreateSerializer,
        response=GoalStepSerializer,
        status=201,
        codes=(404, 409),
    )
    def create(self, request, goal_pk=None):
        goal = self.goal()  # 404 before validation for someone else's goal
        write = GoalStepCreateSerializer(data=request.data)
        write.is_valid(raise_exception=True)
        step = goals.goal_step_add(
            goal=goal,
            text=write.validated_data["text"],
            added_by=self.actor,
            request=request,
            actor_label=self.actor_label(),
        )
        return Response(GoalStepSerializer(step).data, status=status.HTTP_201_CREATED)

    @api_doc(
        summary="Tick or untick an action step",
        request=GoalStepUpdateSerializer,
        response=GoalStepSerializer,
        codes=(404,),
    )
    def partial_update(self, request, goal_pk=None, pk=None):
        step = self.get_object()
        write = GoalStepUpdateSerializer(data=request.data)
        write.is_valid(raise_exception=True)
        if "done" in write.validated_data:
            step.goal = self.goal()
            goals.goal_step_toggle(
                step=step,
                done=write.validated_data["done"],
                by=self.actor,
                request=request,
                actor_label=self.actor_label(),
            )
            step.refresh_from_db()
        return Response(GoalStepSerializer(step).data)
