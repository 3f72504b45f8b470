"""Consistency commitments and check-in schedules (practice 8)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies.tenancy import TenantModel
from participants.models import ProposedBy

# Consistency commitments (practice 8) ----------------------------------------------------------


class CommitmentStatus(models.TextChoices):
    OPEN = "open", _("Open")
    KEPT = "kept", _("Kept")
    MISSED = "missed", _("Missed")
    CANCELLED = "cancelled", _("Cancelled")


class Commitment(TenantModel):
    """A promise with a time: "I'll call you Thursday at 3". Renegotiating moves `due_at` (and
    bumps `version`, which keys its reminders); every change is a CommitmentEvent."""

    participant = models.ForeignKey(
        "participants.Participant", on_delete=models.CASCADE, related_name="commitments"
    )
    promised_by = models.CharField(
        max_length=12, choices=ProposedBy.choices, default=ProposedBy.STAFF
    )
    staff = models.ForeignKey(
        "agencies.Membership",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="commitments",
        help_text=_("Who promised, when staff did; otherwise the participant's peer."),
    )
    what = models.CharField(_("what"), max_length=300)
    due_at = models.DateTimeField(_("due"))
    # When the promise was made, as staff told it (may be before it was recorded); null for
    # commitments recorded before this field existed (then: created_at).
    made_at = models.DateTimeField(_("promised at"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    status = models.CharField(
        max_length=10, choices=CommitmentStatus.choices, default=CommitmentStatus.OPEN
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    kept_on_time = models.BooleanField(null=True, blank=True)
    renegotiated = models.BooleanField(default=False)
    participant_says_kept = models.BooleanField(null=True, blank=True)
    participant_answered_at = models.DateTimeField(null=True, blank=True)
    # The one-tap "did they follow through?" link sent to the participant: hash only.
    followup_token_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["agency", "status", "due_at"], name="commitment_due_idx")]


class CommitmentEventKind(models.TextChoices):
    CREATED = "created", _("Made")
    KEPT = "kept", _("Kept")
    MISSED = "missed", _("Missed")
    RENEGOTIATED = "renegotiated", _("Renegotiated")
    CANCELLED = "cancelled", _("Cancelled")
    PARTICIPANT_CONFIRMED = "participant_confirmed", _("Participant says it happened")
    PARTICIPANT_DENIED = "participant_denied", _("Participant says it did not happen")


class CommitmentEvent(TenantModel):
    """The ledger: what happened to a commitment, when, and on whose word."""

    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=24, choices=CommitmentEventKind.choices)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    by_participant = models.BooleanField(default=False)
    old_due_at = models.DateTimeField(null=True, blank=True)
    new_due_at = models.DateTimeField(null=True, blank=True)
    asked_by = models.CharField(max_length=12, choices=ProposedBy.choices, blank=True)
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]


# Check-in schedules ----------------------------------------------------------------------------


class CheckInSchedule(TenantModel):
    """Every N weeks on a weekday at a local time, the participant is sent a check-in link."""

    participant = models.ForeignKey(
        "participants.Participant", on_delete=models.CASCADE, related_name="checkin_schedules"
    )
    every_weeks = models.PositiveSmallIntegerField(_("every how many weeks"), default=2)
    weekday = models.PositiveSmallIntegerField(
        _("weekday"), default=0, help_text=_("0 = Monday … 6 = Sunday")
    )
    local_time = models.TimeField(_("time of day"), default="10:00")
    channel = models.CharField(max_length=8, default="sms")
    is_active = models.BooleanField(default=True)
    next_due_at = models.DateTimeField(null=True, blank=True)
    # Invites made so far, never reset: each invite's delivery version.
    occurrence = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "participant"], name="one_schedule_per_participant"
            )
        ]
