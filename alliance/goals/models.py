"""Recovery goals in the participant's own words, and their steps (practice 6)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies.tenancy import TenantModel
from participants.models import ProposedBy

# Collaborative goals (practice 6) --------------------------------------------------------------


class GoalStatus(models.TextChoices):
    ACTIVE = "active", _("Working on it")
    ACHIEVED = "achieved", _("Achieved")
    PAUSED = "paused", _("On hold")
    DROPPED = "dropped", _("Let go")


class RecoveryGoal(TenantModel):
    """A goal in the participant's own words. The participant agrees to it (or edits it)
    through their portal link; `agreed_at` records when, `agreed_words` what they agreed to."""

    participant = models.ForeignKey(
        "participants.Participant", on_delete=models.CASCADE, related_name="goals"
    )
    words = models.TextField(_("the goal, in their words"), max_length=1000)
    why_it_matters = models.TextField(_("why it matters to them"), max_length=1000, blank=True)
    proposed_by = models.CharField(
        max_length=12, choices=ProposedBy.choices, default=ProposedBy.PARTICIPANT
    )
    status = models.CharField(max_length=10, choices=GoalStatus.choices, default=GoalStatus.ACTIVE)
    review_on = models.DateField(_("review on"), null=True, blank=True)
    agreed_at = models.DateTimeField(null=True, blank=True)
    agreed_words = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["status", "-created_at", "-id"]

    @property
    def needs_agreement(self) -> bool:
        return self.agreed_at is None or self.agreed_words != self.words


class GoalStep(TenantModel):
    goal = models.ForeignKey(RecoveryGoal, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(_("step"), max_length=300)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]
