"""REST endpoints for goals (read, create, edit) and their steps (add, tick), validated by
the staff pages' forms and written through alliance/goals/services.py."""

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_serializer, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.response import Response

from agencies.access import EVERY_ROLE
from agencies.api.filters import IdFilter
from agencies.api.pagination import IdCursorPagination
from agencies.api.schema import api_doc
from agencies.api.serializers import ModelSerializer, Serializer, StrictBooleanField
from agencies.api.viewsets import AgencyScopedViewSet
from alliance.goals import services as goals
from alliance.goals.forms import STEP_MAX, WORDS_MAX, GoalForm, StepForm
from alliance.goals.models import GoalStatus, GoalStep, RecoveryGoal
from participants.api import ParticipantInReachField, form_errors
from participants.models import ProposedBy

# Goals -------------------------------------------------------------------------------------


class GoalStepSerializer(ModelSerializer):
    goal = serializers.IntegerField(source="goal_id", read_only=True)
    done = serializers.SerializerMethodField()

    class Meta:
        model = GoalStep
        fields = ["id", "goal", "position", "text", "done", "done_at"]
        read_only_fields = fields

    def get_done(self, step) -> bool:
        return step.done_at is not None


class GoalSerializer(ModelSerializer):
    participant = serializers.IntegerField(source="participant_id", read_only=True)
    steps = GoalStepSerializer(many=True, read_only=True)
    needs_agreement = StrictBooleanField(
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


class GoalCreateSerializer(Serializer):
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
class GoalUpdateSerializer(Serializer):
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


class GoalStepCreateSerializer(Serializer):
    text = serializers.CharField(max_length=STEP_MAX, help_text="The action step.")

    def validate(self, attrs):
        form = StepForm(data=attrs)
        if not form.is_valid():
            raise serializers.ValidationError(form_errors(form))
        return form.cleaned_data


class GoalStepUpdateSerializer(Serializer):
    done = StrictBooleanField(
        required=False, help_text="Whether the step is done (ticked). Absent: no change."
    )

    # A step's text is fixed once added (as on the staff page): say so, not just "unknown".
    unknown_field_messages = {"text": "A step's text cannot be changed; add a new step instead."}


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
                actor_label=self.actor_label(),
            )
            step.refresh_from_db()
        return Response(GoalStepSerializer(step).data)
