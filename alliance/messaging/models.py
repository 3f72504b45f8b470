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
    TEXT_REPLY = "text_reply", _("Answer to a text")
    KEYWORD_REPLY = "keyword_reply", _("Answer to STOP, START or HELP")
    TEXTS_STOPPED = "texts_stopped", _("Texts stopped by the participant")
    TEXTS_RESTARTED = "texts_restarted", _("Texts restarted by the participant")
    TEXTS_PAUSED = "texts_paused", _("Texts paused: not arriving")


class DeliveryChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("Text message")
    IN_APP = "in_app", _("In the app")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    UNDELIVERED = "undelivered", _("Did not arrive")
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
        max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    queued_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    skip_reason = models.CharField(max_length=40, blank=True)
    last_error = models.CharField(max_length=200, blank=True)
    provider_id = models.CharField(max_length=100, blank=True)
    reported_at = models.DateTimeField(null=True, blank=True)  # the provider's delivery report
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
            # Delivery reports find their row by the provider's message id.
            models.Index(
                fields=["agency", "provider_id"],
                condition=~models.Q(provider_id=""),
                name="delivery_provider_idx",
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


# Two-way SMS ----------------------------------------------------------------------------------


class SmsSender(TenantModel):
    """The agency's sending number (or messaging service) at its SMS provider. Credentials
    left blank use the platform's (settings TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN); an agency
    with an account of its own keeps them here, set by a platform admin, never shown back,
    never logged (docs/decisions.md)."""

    # One choice per file in alliance/messaging/providers/ (PROVIDERS there).
    provider = models.CharField(max_length=20, choices=[("twilio", "Twilio")], default="twilio")
    from_number = models.CharField(
        _("sending number"), max_length=16, blank=True, help_text=_("E.164, e.g. +15551234567.")
    )
    messaging_service_sid = models.CharField(_("messaging service SID"), max_length=64, blank=True)
    account_sid = models.CharField(_("account SID"), max_length=64, blank=True)
    auth_token = models.CharField(_("auth token"), max_length=128, blank=True)
    help_text = models.CharField(
        _("answer to HELP"),
        max_length=300,
        blank=True,
        help_text=_("Names no one. Blank: Rapport's own answer, in the participant's language."),
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency"], name="one_sms_sender_per_agency")]

    def __str__(self):
        return f"SMS sender of agency #{self.agency_id}"

    def __repr__(self):
        return f"<SmsSender agency={self.agency_id}>"


class TextInbound(TenantModel):
    """That a text came in, once per provider message id (a webhook sent twice is handled
    once). Not its words, not the number: the words go where they belong (a check-in
    answer) and nowhere else."""

    provider_id = models.CharField(max_length=100)
    participant = models.ForeignKey(
        "participants.Participant", on_delete=models.CASCADE, null=True, related_name="+"
    )
    keyword = models.CharField(max_length=12, blank=True)  # stop / start / help, if one
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "provider_id"], name="one_inbound_per_sid")
        ]


class TextReply(TenantModel):
    """A text Rapport sends in answer to one of the participant's: what to say (a topic and
    ids), never the words, which are written when it is sent (Delivery kind TEXT_REPLY)."""

    participant = models.ForeignKey(
        "participants.Participant", on_delete=models.CASCADE, related_name="+"
    )
    topic = models.CharField(max_length=30)
    data = models.JSONField(default=dict)  # ids and small numbers only
    created_at = models.DateTimeField(default=timezone.now)


class PausedNumber(TenantModel):
    """Texts to this participant's number stopped arriving (repeated 'undelivered'): Rapport
    stops texting it until the participant's number is changed or a text arrives from it."""

    participant = models.ForeignKey(
        "participants.Participant", on_delete=models.CASCADE, related_name="+"
    )
    phone = models.CharField(max_length=16)
    paused_at = models.DateTimeField(default=timezone.now)
    resumed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["agency", "participant"], name="paused_number_idx")]
