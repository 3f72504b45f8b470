"""Alliance check-ins: instruments, single-use links, responses with stored scores, alerts."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies.tenancy import TenantModel, agency_key


class Practice(models.TextChoices):
    """The nine practices of the alliance (shared/domain/README.md), in the source's order."""

    SAFETY = "safety", _("Safe and confidential space")
    LISTENING = "listening", _("Active listening")
    EMPATHY = "empathy", _("Empathy")
    NON_JUDGMENT = "non_judgment", _("Non-judgmental attitude")
    AUTHENTICITY = "authenticity", _("Authenticity and transparency")
    GOALS = "goals", _("Collaborative goal-setting")
    CULTURE = "culture", _("Individuality and culture")
    CONSISTENCY = "consistency", _("Consistency and reliability")
    BOUNDARIES = "boundaries", _("Clear boundaries")


class Instrument(TenantModel):
    """One version of a questionnaire. Versions are immutable once used: a change is a new
    version. Each agency holds its own copy of the default instrument (see docs/decisions.md)."""

    key = models.SlugField(max_length=60)
    version = models.PositiveIntegerField(default=1)
    name = models.CharField(max_length=200)
    licence_note = models.TextField(
        blank=True, help_text=_("Shown to staff, e.g. the licence held.")
    )
    is_default = models.BooleanField(default=False, help_text=_("Used for new check-ins."))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "key", "version"], name="instrument_version_unique"
            ),
        ]
        ordering = ["key", "-version"]

    def __str__(self):
        return f"{self.name} v{self.version}"


class ItemKind(models.TextChoices):
    SCALE = "scale", _("Scale")
    TEXT = "text", _("Free text")


class InstrumentItem(TenantModel):
    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=8, choices=ItemKind.choices, default=ItemKind.SCALE)
    practice = models.CharField(max_length=20, choices=Practice.choices, blank=True)
    text = models.JSONField(help_text=_('Per language: {"en": "...", "es": "..."}'))
    scale_min = models.SmallIntegerField(null=True, blank=True)
    scale_max = models.SmallIntegerField(null=True, blank=True)
    label_min = models.JSONField(default=dict, blank=True)
    label_max = models.JSONField(default=dict, blank=True)
    required = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "instrument", "position"], name="item_position_unique"
            ),
        ]
        ordering = ["instrument", "position"]

    def in_language(self, field: str, language: str) -> str:
        values = getattr(self, field) or {}
        return values.get(language) or values.get("en") or next(iter(values.values()), "")


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("Text message")
    KIOSK = "kiosk", _("Kiosk (tablet in the office)")
    LINK = "link", _("Link copied by staff")
    PAPER = "paper", _("Paper, entered by staff")


class CheckInRequest(TenantModel):
    """An invitation to complete one check-in. The link carries a random token; only its hash
    is stored. Single use: the first accepted POST spends it."""

    # No index on agency alone: the indexes below start with it, and PostgreSQL preferred a
    # lone agency index for the dashboard's period figures, then filtered out years of rows.
    agency = agency_key(db_index=False)

    participant = models.ForeignKey(
        "participants.Participant", on_delete=models.CASCADE, related_name="checkin_requests"
    )
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="requests")
    token_hash = models.CharField(max_length=64, db_index=True, editable=False)
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.LINK)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    schedule = models.ForeignKey(
        "CheckInSchedule", on_delete=models.SET_NULL, null=True, blank=True, related_name="requests"
    )
    missed_counted = models.BooleanField(
        default=False, help_text="Expired unanswered, and counted."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "token_hash"], name="checkin_token_unique")
        ]
        indexes = [
            models.Index(
                fields=["agency", "participant", "created_at"], name="checkin_request_idx"
            ),
            # The dashboard's period counts.
            models.Index(fields=["agency", "created_at"], name="checkin_request_created_idx"),
        ]
        ordering = ["-created_at"]

    @property
    def status(self) -> str:
        if self.completed_at:
            return "completed"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "open"


class RepairChoice(models.TextChoices):
    PEER_NEXT_TIME = "peer_next_time", _("Talk about it with my peer next time")
    SUPERVISOR = "supervisor", _("Talk with a supervisor")
    DIFFERENT_PEER = "different_peer", _("I would prefer a different peer")
    NOTHING = "nothing", _("Nothing for now")


class CheckInResponse(TenantModel):
    """The answers to one request, with scores computed once at submit and stored.

    `answers` maps item id (as text) to an int (scale) or a string (free text). Scores are
    sums over the answered scale items; `percent` = total / max_total, which alert rules use so
    that thresholds fit any instrument."""

    # No index on agency alone: the indexes below start with it, and PostgreSQL preferred a
    # lone agency index for the dashboard's period figures, then filtered out years of rows.
    agency = agency_key(db_index=False)

    request = models.ForeignKey(CheckInRequest, on_delete=models.CASCADE, related_name="responses")
    participant = models.ForeignKey(
        "participants.Participant", on_delete=models.CASCADE, related_name="checkin_responses"
    )
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="responses")
    submitted_at = models.DateTimeField(default=timezone.now)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answers = models.JSONField(default=dict)
    total = models.PositiveIntegerField(default=0)
    max_total = models.PositiveIntegerField(default=0)
    percent = models.FloatField(null=True, blank=True)
    practice_scores = models.JSONField(
        default=dict, help_text=_("practice -> percent of its maximum")
    )
    repair_choice = models.CharField(max_length=20, choices=RepairChoice.choices, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "request"], name="one_response_per_request")
        ]
        indexes = [
            models.Index(
                fields=["agency", "participant", "submitted_at"], name="checkin_response_idx"
            ),
            # The dashboard's period figures.
            models.Index(fields=["agency", "submitted_at"], name="checkin_response_period_idx"),
        ]
        ordering = ["-submitted_at", "-id"]


class AlertRule(models.TextChoices):
    TOTAL_LOW = "total_low", _("Total below the cutoff")
    DROP = "drop", _("Drop since the previous check-in")
    SAFETY_ITEM = "safety_item", _("Low answer on safety")
    BOUNDARIES_ITEM = "boundaries_item", _("Low answer on boundaries")
    MISSED = "missed", _("Missed check-ins in a row")


class AlertStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    RESOLVED = "resolved", _("Resolved")


class Alert(TenantModel):
    """A dip in the alliance that staff should act on. One per response (all rules that fired
    are listed in `rules`), or one per run of missed check-ins."""

    participant = models.ForeignKey(
        "participants.Participant", on_delete=models.CASCADE, related_name="alerts"
    )
    response = models.ForeignKey(
        CheckInResponse, on_delete=models.CASCADE, null=True, blank=True, related_name="alerts"
    )
    rules = models.JSONField(default=list)
    practices = models.JSONField(
        default=list, help_text=_("Practices that dipped, for repair suggestions.")
    )
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=14, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution_note = models.TextField(max_length=2000, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "response"],
                condition=models.Q(response__isnull=False),
                name="one_alert_per_response",
            ),
        ]
        indexes = [models.Index(fields=["agency", "status", "created_at"], name="alert_status_idx")]
        ordering = ["-created_at", "-id"]

    @property
    def rule_labels(self) -> list[str]:
        labels = dict(AlertRule.choices)
        return [str(labels.get(rule, rule)) for rule in self.rules]


# Collaborative goals (practice 6) --------------------------------------------------------------


class GoalStatus(models.TextChoices):
    ACTIVE = "active", _("Working on it")
    ACHIEVED = "achieved", _("Achieved")
    PAUSED = "paused", _("On hold")
    DROPPED = "dropped", _("Let go")


class ProposedBy(models.TextChoices):
    PARTICIPANT = "participant", _("The participant")
    STAFF = "staff", _("Staff")


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


# Delivery: the one mechanism for every message ----------------------------------------------------


class DeliveryKind(models.TextChoices):
    COMMITMENT_REMINDER = "commitment_reminder", _("Commitment reminder")
    COMMITMENT_MISSED = "commitment_missed", _("Missed commitment")
    FOLLOW_THROUGH = "follow_through", _("Follow-through question")
    CHECKIN_INVITE = "checkin_invite", _("Check-in link")
    CHECKIN_REMINDER = "checkin_reminder", _("Check-in reminder")
    PORTAL_LINK = "portal_link", _("Portal link")
    ALERT = "alert", _("Alliance alert")
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
