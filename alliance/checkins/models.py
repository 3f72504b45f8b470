"""Check-ins: instruments, single-use links, responses with stored scores, alerts."""

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

    def __str__(self):
        # What a platform admin reads in the instrument's item list: "3. Empathy: I felt ..."
        text = self.in_language("text", "en")
        short = text if len(text) <= 60 else text[:59] + "…"
        about = f"{self.get_practice_display()}: " if self.practice else ""
        return f"{self.position}. {about}{short}"

    def in_language(self, field: str, language: str) -> str:
        values = getattr(self, field) or {}
        return values.get(language) or values.get("en") or next(iter(values.values()), "")


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("Text message")
    KIOSK = "kiosk", _("Kiosk (tablet in the office)")
    LINK = "link", _("Link copied by staff")
    PAPER = "paper", _("Paper, entered by staff")
    TEXT_REPLY = "text_reply", _("Text reply")


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
    channel = models.CharField(max_length=12, choices=Channel.choices, default=Channel.LINK)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    # Sent by a check-in schedule (alliance.commitments): unanswered, it counts as missed.
    scheduled = models.BooleanField(default=False)
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
            # The API list, newest first by id: without it PostgreSQL walks the primary key
            # backwards through every other agency's newer rows (benchmark 5).
            models.Index(fields=["agency", "id"], name="checkin_request_agency_id_idx"),
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
    channel = models.CharField(max_length=12, choices=Channel.choices)
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
            # The API list, newest first by id (as for requests above).
            models.Index(fields=["agency", "id"], name="checkin_response_agency_id_idx"),
        ]
        ordering = ["-submitted_at", "-id"]


class AlertRule(models.TextChoices):
    TOTAL_LOW = "total_low", _("Total below the cutoff")
    DROP = "drop", _("Drop since the previous check-in")
    SAFETY_ITEM = "safety_item", _("Low answer on safety")
    BOUNDARIES_ITEM = "boundaries_item", _("Low answer on boundaries")
    MISSED = "missed", _("Missed check-ins in a row")


class AlertStatus(models.TextChoices):
    """Open, in progress (someone has it: stored as "acknowledged", the value the API has
    always used; docs/decisions.md 106), resolved."""

    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("In progress")
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
    # Triage: who has it and by when (the participant's peer and a default time at first).
    owner = models.ForeignKey(
        "agencies.Membership",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="alerts_owned",
    )
    due_at = models.DateTimeField(null=True, blank=True)
    # The participant asked to talk with a supervisor (their choice after the check-in).
    supervisor_requested_at = models.DateTimeField(null=True, blank=True)
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


class TextCheckInEnd(models.TextChoices):
    COMPLETED = "completed", _("Completed")
    STOPPED = "stopped", _("Stopped (STOP)")
    EXPIRED = "expired", _("Expired")


class TextCheckIn(TenantModel):
    """A check-in answered by text, one item per text (alliance/checkins/text_checkins.py).
    It lives as long as its request: when the request expires, is revoked or answered by the
    link, the conversation is over. `answers` is as in CheckInResponse."""

    request = models.ForeignKey(CheckInRequest, on_delete=models.CASCADE, related_name="+")
    participant = models.ForeignKey(
        "participants.Participant", on_delete=models.CASCADE, related_name="+"
    )
    position = models.PositiveSmallIntegerField(default=0)  # index of the item being asked
    answers = models.JSONField(default=dict)
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    end = models.CharField(max_length=10, choices=TextCheckInEnd.choices, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "request"], name="one_text_checkin_per_request"
            )
        ]
        indexes = [
            models.Index(fields=["agency", "participant", "ended_at"], name="text_checkin_idx")
        ]
