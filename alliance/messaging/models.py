"""Delivery: the one mechanism for every message, and staff notifications."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies.tenancy import TenantModel

# Delivery: the one mechanism for every message ----------------------------------------------------


class DeliveryKind(models.TextChoices):
    COMMITMENT_REMINDER = "commitment_reminder", _("Commitment reminder")
    COMMITMENT_MISSED = "commitment_missed", _("Missed commitment")
    FOLLOW_THROUGH = "follow_through", _("Follow-through question")
    CHECKIN_INVITE = "checkin_invite", _("Check-in link")
    CHECKIN_REMINDER = "checkin_reminder", _("Check-in reminder")
    CHECKIN_LINK = "checkin_link", _("Check-in link, sent by staff")
    PORTAL_LINK = "portal_link", _("Portal link")
    ALERT = "alert", _("Alliance alert")
    SUPERVISOR_REQUEST = "supervisor_request", _("Request to talk with a supervisor")
    GOAL_REVIEW = "goal_review", _("Goal review due")


class DeliveryChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("Text message")
    IN_APP = "in_app", _("In the app")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    SKIPPED = "skipped", _("Skipped")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class Delivery(TenantModel):
    """One message to one recipient on one channel, due at a time. Future messages are rows,
    never long Celery countdowns: a beat-driven sweeper claims the due ones. The unique
    constraint makes each (what, recipient, offset, channel) exist once. Rows hold ids, never
    the text: it is rendered when sent."""

    kind = models.CharField(max_length=24, choices=DeliveryKind.choices)
    subject_id = models.PositiveBigIntegerField()
    subject_version = models.PositiveIntegerField(default=1)
    participant = models.ForeignKey(
        "participants.Participant",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    membership = models.ForeignKey(
        "agencies.Membership",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    recipient_key = models.CharField(max_length=24, editable=False)  # "p:<id>" or "m:<id>"
    offset_key = models.CharField(max_length=16, blank=True)
    channel = models.CharField(max_length=8, choices=DeliveryChannel.choices)
    due_at = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    queued_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    skip_reason = models.CharField(max_length=40, blank=True)
    last_error = models.CharField(max_length=200, blank=True)
    provider_id = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "agency",
                    "kind",
                    "subject_id",
                    "subject_version",
                    "recipient_key",
                    "offset_key",
                    "channel",
                ],
                name="one_delivery_per_message",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_at"], name="delivery_due_idx"),
            models.Index(
                fields=["agency", "participant", "status", "sent_at"], name="delivery_recent_idx"
            ),
        ]
        ordering = ["due_at", "id"]

    @property
    def idempotency_key(self) -> str:
        return f"rapport-delivery-{self.agency_id}-{self.pk}"


class Notification(TenantModel):
    """An in-app message for a staff member, written by the in-app transport."""

    membership = models.ForeignKey(
        "agencies.Membership", on_delete=models.CASCADE, related_name="notifications"
    )
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="notifications")
    text = models.CharField(max_length=300)
    link = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "delivery"], name="one_notification_per_delivery"
            )
        ]
        ordering = ["-created_at", "-id"]


class ReminderPreference(models.TextChoices):
    IMMEDIATE = "immediate", _("As they happen")
    DIGEST = "digest", _("One email a day")


class StaffPreference(TenantModel):
    """How a staff member wants their email reminders (in-app notifications are immediate)."""

    membership = models.ForeignKey(
        "agencies.Membership", on_delete=models.CASCADE, related_name="preferences"
    )
    reminders = models.CharField(
        max_length=10, choices=ReminderPreference.choices, default=ReminderPreference.IMMEDIATE
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "membership"], name="one_preference_per_member"
            )
        ]
