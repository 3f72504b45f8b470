"""REST endpoints for check-ins: requests (the link URL is in the create response only),
responses (read), instruments (read, with items) and alerts (read, acknowledge, resolve)."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from agencies.access import EVERY_ROLE
from agencies.api.filters import DateTimeFilter, IdFilter
from agencies.api.schema import api_doc
from agencies.api.serializers import ModelSerializer, Serializer
from agencies.api.viewsets import AgencyScopedViewSet
from alliance.checkins import services
from alliance.checkins.models import (
    Alert,
    AlertRule,
    AlertStatus,
    Channel,
    CheckInRequest,
    CheckInResponse,
    Instrument,
    InstrumentItem,
    Practice,
    RepairChoice,
)
from participants.api import ParticipantInReachField

API_CHANNELS = [Channel.LINK, Channel.EMAIL, Channel.SMS]  # kiosk and paper are staff pages
API_CHANNEL_CHOICES = [(c.value, c.label) for c in API_CHANNELS]
REQUEST_STATUSES = ["open", "completed", "revoked", "expired"]


def checkin_link(raw_token: str) -> str:
    """The participant's check-in URL (as alliance.checkins.views._link builds it)."""
    return settings.SITE_URL + reverse("checkin", args=[raw_token])


# Check-in requests ---------------------------------------------------------------------------


class CheckInRequestSerializer(ModelSerializer):
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


class CheckInRequestCreateSerializer(Serializer):
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
        try:
            services.checkin_link_allowed(attrs["participant"], attrs.get("channel", Channel.LINK))
        except DjangoValidationError as error:
            raise serializers.ValidationError({"participant": error.messages}) from error
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
        services.checkin_request_revoke(checkin=checkin, revoked_by=self.actor)
        checkin.refresh_from_db()
        return Response(CheckInRequestSerializer(checkin).data)


# Check-in responses --------------------------------------------------------------------------


class CheckInResponseSerializer(ModelSerializer):
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


class InstrumentItemSerializer(ModelSerializer):
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


class InstrumentSerializer(ModelSerializer):
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


class AlertSerializer(ModelSerializer):
    participant = serializers.IntegerField(source="participant_id", read_only=True)
    response = serializers.IntegerField(source="response_id", read_only=True, allow_null=True)
    rules = serializers.ListField(child=serializers.ChoiceField(choices=AlertRule.choices))
    practices = serializers.ListField(child=serializers.ChoiceField(choices=Practice.choices))
    acknowledged_by = serializers.IntegerField(
        source="acknowledged_by_id", read_only=True, allow_null=True
    )
    resolved_by = serializers.IntegerField(source="resolved_by_id", read_only=True, allow_null=True)
    owner = serializers.IntegerField(
        source="owner_id",
        read_only=True,
        allow_null=True,
        help_text="The staff membership that has the alert (at first the participant's peer).",
    )

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
            "owner",
            "due_at",
            "supervisor_requested_at",
            "acknowledged_at",
            "acknowledged_by",
            "resolved_at",
            "resolved_by",
            "resolution_note",
        ]
        read_only_fields = fields


class AlertResolveSerializer(Serializer):
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
        services.alert_acknowledge(alert=alert, by=self.actor)
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
        services.alert_resolve(alert=alert, by=self.actor, note=write.validated_data["note"])
        alert.refresh_from_db()
        return Response(AlertSerializer(alert).data)
