"""REST endpoints for commitments, with kept / missed / cancel / renegotiate actions."""

from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from agencies.access import EVERY_ROLE
from agencies.api.errors import Conflict
from agencies.api.filters import IdFilter
from agencies.api.schema import api_doc
from agencies.api.serializers import ModelSerializer, Serializer
from agencies.api.viewsets import AgencyScopedViewSet
from agencies.models import Membership
from alliance.commitments import services as commitments
from alliance.commitments.models import Commitment, CommitmentEvent, CommitmentStatus
from participants.api import ParticipantInReachField
from participants.models import ProposedBy

# Commitments ---------------------------------------------------------------------------------


class CommitmentEventSerializer(ModelSerializer):
    asked_by = serializers.CharField(read_only=True, help_text="participant, staff, or empty")

    class Meta:
        model = CommitmentEvent
        fields = ["kind", "at", "by_participant", "old_due_at", "new_due_at", "asked_by", "reason"]
        read_only_fields = fields


class CommitmentSerializer(ModelSerializer):
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


class CommitmentCreateSerializer(Serializer):
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


class CommitmentRenegotiateSerializer(Serializer):
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
        )
        return Response(
            CommitmentSerializer(self._fresh(commitment)).data, status=status.HTTP_201_CREATED
        )

    def _fresh(self, commitment):
        return Commitment.objects.prefetch_related("events").get(pk=commitment.pk)

    def _close(self, request, outcome):
        commitment = self.get_object()
        try:
            commitments.commitment_close(commitment=commitment, outcome=outcome, by=self.actor)
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
            )
        except commitments.CommitmentClosed:
            raise Conflict("This commitment is already closed.") from None
        return Response(CommitmentSerializer(self._fresh(commitment)).data)
