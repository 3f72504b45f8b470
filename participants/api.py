"""REST endpoints for participants, their cultural profile, channel consents and contacts.

Writes validate through the same Django forms as the staff pages (phone to E.164, time zone,
language, quiet hours…) and save through participants.services, so the API cannot store
anything the browser would refuse."""

from django import forms as django_forms
from django.db import transaction
from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from agencies.access import EVERY_ROLE, SUPERVISORS
from agencies.api.errors import Duplicate
from agencies.api.filters import DateTimeFilter, IdFilter
from agencies.api.schema import api_doc
from agencies.api.serializers import ModelSerializer, Serializer, StrictBooleanField
from agencies.api.viewsets import AgencyScopedViewSet
from agencies.models import LANGUAGE_CHOICES, TIME_ZONE_CHOICES, Membership, Role
from participants import services
from participants.forms import ContactForm, CulturalProfileForm, NewParticipantForm, ParticipantForm
from participants.models import (
    Channel,
    ChannelConsent,
    Contact,
    ContactKind,
    CulturalProfile,
    Participant,
    ParticipantStatus,
    RecoveryPathway,
)


def form_errors(form) -> dict[str, list[str]]:
    return {
        ("non_field_errors" if name == "__all__" else name): [item["message"] for item in items]
        for name, items in form.errors.get_json_data().items()
    }


def _form_value(value):
    """A validated API value as a bound form expects it (None means empty)."""
    if value is None:
        return ""
    if hasattr(value, "pk"):
        return value.pk
    return value


# Serializers ---------------------------------------------------------------------------------


class ParticipantInReachField(serializers.IntegerField):
    """A participant named by id in a request body (a new goal's, commitment's or check-in
    request's), among those the caller may reach: for a peer's session, their caseload
    (AgencyScopedViewSet.reachable). Any other id, another peer's, another agency's or none at
    all, is the same 400: "No such participant." (An id in the URL is a 404 instead.)"""

    def __init__(self, **kwargs):
        super().__init__(min_value=1, **kwargs)

    def run_validation(self, data=serializers.empty):
        participant_id = super().run_validation(data)  # an integer of at least 1
        rows = self.context["view"].reachable(Participant.objects.all(), "pk")
        participant = rows.filter(pk=participant_id).first()
        if participant is None:
            raise serializers.ValidationError("No such participant.")
        return participant


@extend_schema_field(
    {"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9]$", "example": "21:00"}
)
class HourMinuteField(serializers.TimeField):
    """A time of day as HH:MM (quiet hours), in the participant's own time zone."""

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", input_formats=["%H:%M"], **kwargs)


class ProfileSerializer(ModelSerializer):
    recovery_pathways = serializers.ListField(
        child=serializers.ChoiceField(choices=RecoveryPathway.choices), required=False
    )
    observance_weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6),
        required=False,
        help_text="0 = Monday … 6 = Sunday",
    )
    observance_dates = serializers.ListField(
        child=serializers.DateField(), required=False, max_length=60
    )
    preferred_channels = serializers.ListField(
        child=serializers.ChoiceField(choices=Channel.choices), required=False
    )
    max_contacts_per_week = serializers.IntegerField(
        min_value=1, max_value=50, allow_null=True, required=False
    )
    quiet_hours_start = HourMinuteField(allow_null=True, required=False)
    quiet_hours_end = HourMinuteField(allow_null=True, required=False)

    class Meta:
        model = CulturalProfile
        fields = [
            "language",
            "cultural_identity",
            "faith_practice",
            "recovery_pathways",
            "recovery_pathway_other",
            "communication_style",
            "feels_respected_when",
            "approach_with_care",
            "observance_weekdays",
            "observance_dates",
            "quiet_hours_start",
            "quiet_hours_end",
            "preferred_channels",
            "checkin_by_reply",
            "max_contacts_per_week",
            "updated_at",
        ]
        read_only_fields = ["updated_at"]

    def validate(self, attrs):
        profile = self.instance
        initial = {
            name: getattr(profile, name)
            for name in CulturalProfileForm._meta.fields
            if name not in ("pronouns", "observance_dates")
        }
        initial["pronouns"] = profile.participant.pronouns
        initial["observance_dates"] = "\n".join(profile.observance_dates or [])
        changes = dict(attrs)
        if "observance_dates" in changes:
            changes["observance_dates"] = "\n".join(
                d.isoformat() for d in changes["observance_dates"]
            )
        data = {name: _form_value(value) for name, value in {**initial, **changes}.items()}
        form = CulturalProfileForm(data=data, instance=profile)
        if not form.is_valid():
            raise serializers.ValidationError(form_errors(form))
        self.form = form
        return attrs


class ConsentsSerializer(Serializer):
    sms = StrictBooleanField(help_text="Okay to text.")
    email = StrictBooleanField(help_text="Okay to email.")


class ParticipantSerializer(ModelSerializer):
    """A participant with their cultural profile and channel consents."""

    assigned_peer = serializers.IntegerField(
        source="assigned_peer_id", allow_null=True, read_only=True
    )
    email = serializers.CharField(read_only=True, help_text="An address, or empty.")
    profile = serializers.SerializerMethodField()
    channel_consents = serializers.SerializerMethodField()

    class Meta:
        model = Participant
        fields = [
            "id",
            "preferred_name",
            "legal_name",
            "pronouns",
            "email",
            "phone",
            "time_zone",
            "status",
            "status_changed_at",
            "discharged_on",
            "discharge_reason",
            "enrolled_on",
            "assigned_peer",
            "external_id",
            "created_at",
            "profile",
            "channel_consents",
        ]
        read_only_fields = fields

    @staticmethod
    def _profile(participant):
        profiles = participant.profiles.all()  # prefetched
        return profiles[0] if profiles else None

    @extend_schema_field(ProfileSerializer(allow_null=True))
    def get_profile(self, participant):
        profile = self._profile(participant)
        if profile is None:
            return None
        # One nested serializer for the whole list: building its fields costs more than
        # the row itself (issue 17, every API list within 50 ms).
        if not hasattr(self, "_profile_serializer"):
            self._profile_serializer = ProfileSerializer()
        return self._profile_serializer.to_representation(profile)

    @extend_schema_field(ConsentsSerializer)
    def get_channel_consents(self, participant):
        granted = {c.channel: c.is_granted for c in participant.channel_consents.all()}
        return {"sms": granted.get(Channel.SMS, False), "email": granted.get(Channel.EMAIL, False)}


class ParticipantWriteSerializer(Serializer):
    """Fields a client may set. Validated by the staff pages' forms (phone to E.164, time
    zone, peer of this agency, language)."""

    preferred_name = serializers.CharField(max_length=100)
    legal_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    pronouns = serializers.CharField(max_length=40, required=False, allow_blank=True)
    email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    phone = serializers.CharField(
        max_length=40, required=False, allow_blank=True, help_text="Stored in E.164."
    )
    time_zone = serializers.ChoiceField(
        choices=TIME_ZONE_CHOICES,
        required=False,
        allow_blank=True,
        help_text="Empty for the agency's time zone.",
    )
    enrolled_on = serializers.DateField(required=False, help_text="Defaults to today.")
    assigned_peer = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, help_text="Membership id of a peer."
    )
    external_id = serializers.CharField(max_length=64, required=False, allow_blank=True)
    language = serializers.ChoiceField(
        choices=LANGUAGE_CHOICES,
        required=False,
        help_text="Preferred language (create only; later through the profile).",
    )

    def validate(self, attrs):
        agency, participant = self.context["agency"], self.instance
        external_id = attrs.get("external_id", "").strip()
        if external_id:
            taken = Participant.objects.filter(external_id=external_id)
            if participant is not None:
                taken = taken.exclude(pk=participant.pk)
            if taken.exists():
                raise Duplicate({"external_id": ["Another participant has this record number."]})
        names = ParticipantForm._meta.fields
        view = self.context["view"]
        is_peer = view.membership is not None and view.membership.role == Role.PEER
        if is_peer and "assigned_peer" in attrs:
            current = participant.assigned_peer_id if participant else view.membership.pk
            if attrs["assigned_peer"] != current:
                raise serializers.ValidationError(
                    {"assigned_peer": ["Only a supervisor or admin assigns a peer specialist."]}
                )
        if participant is None:
            initial = {
                "enrolled_on": agency.today(),
                "language": agency.default_language,
                "assigned_peer": view.membership.pk if is_peer else None,
            }
            data = {**initial, **attrs}
            form = NewParticipantForm(
                data={k: _form_value(v) for k, v in data.items()}, agency=agency
            )
        else:
            attrs.pop("language", None)
            current = django_forms.model_to_dict(participant, fields=names)
            data = {**current, **attrs}
            form = ParticipantForm(
                data={k: _form_value(v) for k, v in data.items()},
                instance=participant,
                agency=agency,
            )
        if not form.is_valid():
            raise serializers.ValidationError(form_errors(form))
        self.form = form
        return attrs


class StatusSerializer(Serializer):
    status = serializers.ChoiceField(choices=ParticipantStatus.choices)
    discharged_on = serializers.DateField(required=False, allow_null=True)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True)

    def validate(self, attrs):
        if attrs["status"] == ParticipantStatus.DISCHARGED:
            missing = {}
            if not attrs.get("discharged_on"):
                missing["discharged_on"] = ["Give the discharge date."]
            if not attrs.get("reason", "").strip():
                missing["reason"] = ["Give the reason for the discharge."]
            if missing:
                raise serializers.ValidationError(missing)
        return attrs


class ContactSerializer(ModelSerializer):
    participant = serializers.IntegerField(source="participant_id", read_only=True)
    staff = serializers.IntegerField(
        source="staff_id",
        required=False,
        min_value=1,
        help_text="Membership id of the staff member who had the contact. Required with an API "
        "key; defaults to the signed-in member.",
    )
    kind = serializers.ChoiceField(choices=ContactKind.choices, default=ContactKind.CALL)
    occurred_at = serializers.DateTimeField(required=False)
    duration_minutes = serializers.IntegerField(
        min_value=0, max_value=24 * 60, required=False, allow_null=True
    )

    class Meta:
        model = Contact
        fields = [
            "id",
            "participant",
            "staff",
            "occurred_at",
            "kind",
            "duration_minutes",
            "note",
            "created_at",
        ]
        read_only_fields = ["id", "participant", "created_at"]

    def validate(self, attrs):
        view = self.context["view"]
        staff_id = attrs.pop("staff_id", None)
        if staff_id is None and view.membership is not None:
            staff = view.membership
        elif staff_id is None:
            raise serializers.ValidationError({"staff": ["Name the staff member (membership id)."]})
        else:
            staff = Membership.objects.filter(pk=staff_id, is_active=True).first()
            if staff is None:
                raise serializers.ValidationError(
                    {"staff": ["Choose an active staff member of this agency."]}
                )
        data = {
            "occurred_at": attrs.get("occurred_at") or timezone.now(),
            "kind": attrs.get("kind", ContactKind.CALL),
            "duration_minutes": attrs.get("duration_minutes"),
            "note": attrs.get("note", ""),
        }
        form = ContactForm(data={k: _form_value(v) for k, v in data.items()})
        if not form.is_valid():
            raise serializers.ValidationError(form_errors(form))
        self.form, self.staff = form, staff
        return attrs


# Filters -------------------------------------------------------------------------------------


class ParticipantFilter(filters.FilterSet):
    q = filters.CharFilter(field_name="preferred_name", lookup_expr="icontains", max_length=100)
    status = filters.ChoiceFilter(choices=ParticipantStatus.choices)
    assigned_peer = IdFilter(field_name="assigned_peer_id")
    external_id = filters.CharFilter(max_length=64)

    class Meta:
        model = Participant
        fields = ["q", "status", "assigned_peer", "external_id"]


class ContactFilter(filters.FilterSet):
    occurred_after = DateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = DateTimeFilter(field_name="occurred_at", lookup_expr="lt")
    kind = filters.ChoiceFilter(choices=ContactKind.choices)

    class Meta:
        model = Contact
        fields = ["occurred_after", "occurred_before", "kind"]


# Views ---------------------------------------------------------------------------------------


@extend_schema_view(
    list=api_doc(summary="List participants", response=ParticipantSerializer(many=True)),
    retrieve=api_doc(summary="Get a participant", response=ParticipantSerializer, codes=(404,)),
)
class ParticipantViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, AgencyScopedViewSet):
    model = Participant
    api_resource = "participants"
    serializer_class = ParticipantSerializer
    filterset_class = ParticipantFilter
    participant_field = "pk"  # the rows are the participants
    # As on the staff pages: pausing, resuming and discharging is for supervisors and admins.
    action_roles = {
        "list": EVERY_ROLE,
        "retrieve": EVERY_ROLE,
        "create": EVERY_ROLE,
        "partial_update": EVERY_ROLE,
        "status": SUPERVISORS,
        "profile": EVERY_ROLE,
        "consents": EVERY_ROLE,
    }

    def scoped_queryset(self):
        return Participant.objects.prefetch_related("profiles", "channel_consents")

    def _read(self, participant, status_code=status.HTTP_200_OK):
        # The row this caller has just written, read again as written: not through their
        # caseload, which a peer may have just moved it out of (assigned to another peer).
        fresh = self.scoped_queryset().get(pk=participant.pk)
        return Response(ParticipantSerializer(fresh).data, status=status_code)

    @api_doc(
        summary="Create a participant (and their cultural profile)",
        request=ParticipantWriteSerializer,
        response=ParticipantSerializer,
        status=201,
        codes=(409,),
    )
    def create(self, request):
        write = ParticipantWriteSerializer(data=request.data, context=self.get_serializer_context())
        write.is_valid(raise_exception=True)
        form = write.form
        fields = {name: value for name, value in form.cleaned_data.items() if name != "language"}
        with transaction.atomic():
            participant = services.participant_create(
                agency=self.agency,
                created_by=self.actor,
                fields=fields,
                language=form.cleaned_data["language"],
            )
        return self._read(participant, status.HTTP_201_CREATED)

    @api_doc(
        summary="Change a participant",
        request=ParticipantWriteSerializer(partial=True),
        response=ParticipantSerializer,
        codes=(404, 409),
    )
    def partial_update(self, request, pk=None):
        participant = self.get_object()
        write = ParticipantWriteSerializer(
            participant, data=request.data, partial=True, context=self.get_serializer_context()
        )
        write.is_valid(raise_exception=True)
        with transaction.atomic():
            services.participant_update(
                participant=participant, changed_by=self.actor, data=write.form.cleaned_data
            )
        return self._read(participant)

    @api_doc(
        summary="Pause, resume or discharge",
        request=StatusSerializer,
        response=ParticipantSerializer,
        codes=(404,),
    )
    @action(detail=True, methods=["post"])
    def status(self, request, pk=None):
        participant = self.get_object()
        change = StatusSerializer(data=request.data)
        change.is_valid(raise_exception=True)
        services.participant_set_status(
            participant=participant,
            status=change.validated_data["status"],
            discharged_on=change.validated_data.get("discharged_on"),
            reason=change.validated_data.get("reason", ""),
            changed_by=self.actor,
        )
        return self._read(participant)

    @api_doc(
        summary="Get a participant's cultural profile",
        response=ProfileSerializer,
        codes=(404,),
        methods=["GET"],
    )
    @api_doc(
        summary="Change a participant's cultural profile",
        request=ProfileSerializer(partial=True),
        response=ProfileSerializer,
        codes=(404,),
        methods=["PATCH"],
    )
    @action(detail=True, methods=["get", "patch"])
    def profile(self, request, pk=None):
        participant = self.get_object()
        profile = CulturalProfile.objects.select_related("participant").get(participant=participant)
        if request.method == "PATCH":
            write = ProfileSerializer(profile, data=request.data, partial=True)
            write.is_valid(raise_exception=True)
            with transaction.atomic():
                profile = services.profile_update(
                    profile=profile, data=write.form.cleaned_data, changed_by=self.actor
                )
        return Response(ProfileSerializer(profile).data)

    @api_doc(
        summary="Get a participant's channel consents",
        response=ConsentsSerializer,
        codes=(404,),
        methods=["GET"],
    )
    @api_doc(
        summary="Grant or revoke channel consents (takes effect at once)",
        request=ConsentsSerializer,
        response=ConsentsSerializer,
        codes=(404,),
        methods=["PUT"],
    )
    @action(detail=True, methods=["get", "put"])
    def consents(self, request, pk=None):
        participant = self.get_object()
        if request.method == "PUT":
            write = ConsentsSerializer(data=request.data)
            write.is_valid(raise_exception=True)
            for channel in (Channel.SMS, Channel.EMAIL):
                services.channel_consent_set(
                    participant=participant,
                    channel=channel,
                    granted=write.validated_data[channel.value],
                    recorded_by=self.actor,
                    actor_label=f"api-key:{self.api_key.pk}" if self.api_key else "",
                )
        granted = {
            c.channel: c.is_granted for c in ChannelConsent.objects.filter(participant=participant)
        }
        return Response(
            {"sms": granted.get(Channel.SMS, False), "email": granted.get(Channel.EMAIL, False)}
        )


@extend_schema_view(
    list=api_doc(
        summary="List a participant's contacts",
        response=ContactSerializer(many=True),
        codes=(404,),
    ),
    create=api_doc(
        summary="Log a contact with a participant",
        request=ContactSerializer,
        response=ContactSerializer,
        status=201,
        codes=(404,),
    ),
)
class ContactViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, AgencyScopedViewSet):
    """Contacts of one participant: /participants/{participant_pk}/contacts/."""

    model = Contact
    api_resource = "contacts"
    serializer_class = ContactSerializer
    filterset_class = ContactFilter
    participant_field = "participant"
    action_roles = {"list": EVERY_ROLE, "create": EVERY_ROLE}

    def participant(self) -> Participant:
        return self.parent(Participant.objects.all(), "participant_pk", participant_field="pk")

    def scoped_queryset(self):
        return Contact.objects.filter(participant=self.participant())

    def perform_create(self, serializer):
        participant = self.participant()
        with transaction.atomic():
            serializer.instance = services.contact_log(
                participant=participant,
                staff=serializer.staff,
                data=serializer.form.cleaned_data,
            )

    def create(self, request, *args, **kwargs):
        self.participant()  # 404 before validation for someone else's participant
        return super().create(request, *args, **kwargs)
