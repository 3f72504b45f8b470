"""The people an agency serves, recorded the way they want to be known."""

from dataclasses import dataclass

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies.models import LANGUAGE_CHOICES, TIME_ZONE_CHOICES
from agencies.tenancy import TenantModel

NOTE_MAX_LENGTH = 5000
SHORT_TEXT = 500
LONG_TEXT = 1000


class ParticipantStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    DISCHARGED = "discharged", _("Discharged")


class Participant(TenantModel):
    preferred_name = models.CharField(
        _("preferred name"), max_length=100, help_text=_("What every page and message uses.")
    )
    legal_name = models.CharField(_("legal name"), max_length=200, blank=True)
    pronouns = models.CharField(_("pronouns"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(
        _("mobile phone"),
        max_length=16,
        blank=True,
        help_text=_("Stored in E.164, e.g. +15551234567."),
    )
    time_zone = models.CharField(_("time zone"), max_length=64, choices=TIME_ZONE_CHOICES)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=ParticipantStatus.choices,
        default=ParticipantStatus.ACTIVE,
    )
    status_changed_at = models.DateTimeField(default=timezone.now)
    discharged_on = models.DateField(_("discharge date"), null=True, blank=True)
    discharge_reason = models.CharField(_("discharge reason"), max_length=SHORT_TEXT, blank=True)
    enrolled_on = models.DateField(_("enrolment date"), default=timezone.localdate)
    assigned_peer = models.ForeignKey(
        "agencies.Membership",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="caseload",
        verbose_name=_("assigned peer specialist"),
    )
    external_id = models.CharField(
        _("record number"),
        max_length=64,
        blank=True,
        help_text=_("The agency's own identifier, used to match rows when importing."),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "external_id"],
                condition=~models.Q(external_id=""),
                name="participant_external_id_unique",
            ),
        ]
        indexes = [models.Index(fields=["agency", "assigned_peer", "status"], name="caseload_idx")]
        ordering = ["preferred_name", "id"]

    def __str__(self):
        return f"Participant #{self.pk}"  # names stay out of logs and admin titles


class RecoveryPathway(models.TextChoices):
    MUTUAL_HELP = "mutual_help", _("Mutual help (12-step, SMART Recovery, other groups)")
    MEDICATION = "medication", _("Medication for addiction treatment")
    FAITH_BASED = "faith_based", _("Faith-based recovery")
    HARM_REDUCTION = "harm_reduction", _("Harm reduction")
    NATURAL = "natural", _("Natural recovery (on my own)")
    OTHER = "other", _("Other")


class Channel(models.TextChoices):
    SMS = "sms", _("Text message")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone call")
    IN_PERSON = "in_person", _("In person")


class CulturalProfile(TenantModel):
    """How the participant wants to be met. Drives language, timing and tone of everything
    Rapport sends them. One per participant; every change is kept in CulturalProfileChange."""

    # A ForeignKey plus the unique constraint below, not a OneToOneField: every unique key on a
    # tenant table includes the agency (docs/architecture.md).
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="profiles")
    language = models.CharField(
        _("preferred language"), max_length=8, choices=LANGUAGE_CHOICES, default="en"
    )
    cultural_identity = models.CharField(
        _("cultural identity, in my words"), max_length=SHORT_TEXT, blank=True
    )
    faith_practice = models.CharField(
        _("faith or spiritual practice"), max_length=SHORT_TEXT, blank=True
    )
    recovery_pathways = models.JSONField(_("recovery pathways"), default=list, blank=True)
    recovery_pathway_other = models.CharField(_("other pathway"), max_length=200, blank=True)
    communication_style = models.CharField(
        _("communication style"), max_length=SHORT_TEXT, blank=True
    )
    feels_respected_when = models.TextField(
        _("what helps me feel respected"), max_length=LONG_TEXT, blank=True
    )
    approach_with_care = models.TextField(
        _("topics to approach with care"), max_length=LONG_TEXT, blank=True
    )
    observance_weekdays = models.JSONField(
        _("weekly days without contact"),
        default=list,
        blank=True,
        help_text=_("0 = Monday … 6 = Sunday"),
    )
    observance_dates = models.JSONField(_("dates without contact"), default=list, blank=True)
    quiet_hours_start = models.TimeField(_("quiet hours start"), null=True, blank=True)
    quiet_hours_end = models.TimeField(_("quiet hours end"), null=True, blank=True)
    preferred_channels = models.JSONField(_("preferred channels"), default=list, blank=True)
    checkin_by_reply = models.BooleanField(
        _("check in by text reply"),
        default=False,
        help_text=_("For a phone without internet: check-in questions come one text at a time."),
    )
    max_contacts_per_week = models.PositiveSmallIntegerField(
        _("most contacts per week"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "participant"], name="one_profile_per_participant"
            ),
        ]

    def __str__(self):
        return f"Profile of participant #{self.participant_id}"

    @property
    def recovery_pathway_labels(self) -> list[str]:
        labels = dict(RecoveryPathway.choices)
        return [str(labels.get(code, code)) for code in self.recovery_pathways]


class CulturalProfileChange(TenantModel):
    """Who changed the profile (the participant, or which staff member), when, and which fields.
    Field names only: the values live in the profile itself."""

    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="profile_changes"
    )
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    by_participant = models.BooleanField(default=False)
    fields = models.JSONField(default=list)

    class Meta:
        ordering = ["-changed_at", "-id"]


class ChannelConsent(TenantModel):
    """'Okay to text', 'okay to email'. Revoking takes effect at once: senders check
    `is_granted` at send time."""

    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="channel_consents"
    )
    channel = models.CharField(
        max_length=12,
        choices=[(Channel.SMS, Channel.SMS.label), (Channel.EMAIL, Channel.EMAIL.label)],
    )
    granted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "participant", "channel"], name="one_consent_per_channel"
            ),
        ]

    @property
    def is_granted(self) -> bool:
        return self.granted_at is not None and self.revoked_at is None


class DisclosureConsent(TenantModel):
    """A consent to disclose, with the elements of 42 CFR Part 2 §2.31."""

    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="disclosure_consents"
    )
    disclosing_party = models.CharField(_("who may disclose"), max_length=200)
    information = models.TextField(_("what information"), max_length=LONG_TEXT)
    recipient = models.CharField(_("to whom"), max_length=300)
    purpose = models.TextField(_("for what purpose"), max_length=LONG_TEXT)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    expiry_event = models.CharField(
        _("or expires upon"),
        max_length=300,
        blank=True,
        help_text=_("An event, when there is no date."),
    )
    signed_on = models.DateField(_("signed on"))
    signed_by = models.CharField(
        _("signed by"),
        max_length=200,
        help_text=_("The participant, or their authorised representative."),
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-signed_on", "-id"]

    @property
    def status(self) -> str:
        if self.revoked_at:
            return "revoked"
        if self.expires_on and self.expires_on < timezone.localdate():
            return "expired"
        return "active"


class Disclosure(TenantModel):
    """One disclosure of the participant's information made under a consent to disclose
    (42 CFR Part 2): when, to whom, what and why, and the consent relied on. Recorded by staff
    through `participants.services.disclosure_record`, which refuses a consent that was
    revoked or had expired on the day; the participant sees the list in their portal and in
    their data download. Never edited or deleted: a mistake is recorded as it was."""

    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="disclosures"
    )
    consent = models.ForeignKey(
        DisclosureConsent,
        on_delete=models.PROTECT,
        related_name="disclosures",
        verbose_name=_("consent relied on"),
    )
    disclosed_on = models.DateField(_("date of the disclosure"))
    recipient = models.CharField(_("disclosed to"), max_length=300)
    information = models.TextField(_("what was disclosed"), max_length=LONG_TEXT)
    purpose = models.TextField(_("purpose"), max_length=LONG_TEXT)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-disclosed_on", "-id"]

    def __str__(self):
        return f"Disclosure #{self.pk}"


class BoundaryTemplate(TenantModel):
    """A version of the agency's boundaries agreement. Versions are never edited: publishing a
    change creates the next version, which every participant is asked to acknowledge again."""

    version = models.PositiveIntegerField()
    staff_contact_hours = models.TextField(_("when staff can be reached"), max_length=LONG_TEXT)
    response_time = models.CharField(_("how soon we answer"), max_length=SHORT_TEXT)
    peer_support_covers = models.TextField(_("what peer support covers"), max_length=LONG_TEXT)
    peer_support_does_not_cover = models.TextField(
        _("what peer support does not cover"), max_length=LONG_TEXT
    )
    confidentiality_limits = models.TextField(_("limits of confidentiality"), max_length=LONG_TEXT)
    # The fields above are written in `language` (the agency's default when published);
    # `translations` holds the same fields in other languages: {"es": {field: text}}. A field
    # missing from a translation is read in `language` (see `in_language`).
    language = models.CharField(max_length=8, choices=LANGUAGE_CHOICES, default="en")
    translations = models.JSONField(default=dict, blank=True)
    published_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "version"], name="boundary_version_unique")
        ]
        ordering = ["-version"]

    def __str__(self):
        return f"Boundaries agreement v{self.version}"

    def in_language(self, language: str) -> "BoundaryText":
        """The agreement's texts for a reader of `language`: its translation where one was
        written, else the text as published. Each field says which language it is in."""
        written = {} if language == self.language else self.translations.get(language, {})
        texts, languages = {}, {}
        for name in BOUNDARY_TEXT_FIELDS:
            if written.get(name):
                texts[name], languages[name] = written[name], language
            else:
                texts[name], languages[name] = getattr(self, name), self.language
        return BoundaryText(version=self.version, lang=languages, **texts)


BOUNDARY_TEXT_FIELDS = (
    "staff_contact_hours",
    "response_time",
    "peer_support_covers",
    "peer_support_does_not_cover",
    "confidentiality_limits",
)


@dataclass(frozen=True)
class BoundaryText:
    """A boundaries agreement's texts in one reader's language; `lang[field]` is the language
    each is actually in (a missing translation falls back to the published text)."""

    version: int
    staff_contact_hours: str
    response_time: str
    peer_support_covers: str
    peer_support_does_not_cover: str
    confidentiality_limits: str
    lang: dict


class BoundaryAgreement(TenantModel):
    """A participant's copy of one template version, with their own added terms and the time
    they acknowledged it through their portal link."""

    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="boundary_agreements"
    )
    template = models.ForeignKey(
        BoundaryTemplate, on_delete=models.PROTECT, related_name="agreements"
    )
    personal_terms = models.TextField(
        _("terms agreed for this person"), max_length=LONG_TEXT, blank=True
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "participant", "template"], name="one_agreement_per_version"
            ),
        ]


class ContactKind(models.TextChoices):
    CALL = "call", _("Call")
    TEXT = "text", _("Text")
    IN_PERSON = "in_person", _("In person")
    GROUP = "group", _("Group")
    OTHER = "other", _("Other")


class Contact(TenantModel):
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="contacts")
    staff = models.ForeignKey(
        "agencies.Membership", on_delete=models.PROTECT, related_name="contacts"
    )
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)
    kind = models.CharField(
        _("kind"), max_length=12, choices=ContactKind.choices, default=ContactKind.CALL
    )
    duration_minutes = models.PositiveSmallIntegerField(
        _("minutes"), null=True, blank=True, validators=[MaxValueValidator(24 * 60)]
    )
    note = models.TextField(_("note"), max_length=NOTE_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(
                fields=["agency", "participant", "occurred_at"], name="contact_timeline_idx"
            )
        ]


class LanguageTerm(TenantModel):
    """An agency's own addition to the person-first language list."""

    term = models.CharField(_("term to avoid"), max_length=60)
    alternative = models.CharField(_("suggested alternative"), max_length=200)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "term"], name="language_term_unique")
        ]
        ordering = ["term"]


class PortalLink(TenantModel):
    """A participant's link to their portal. Only the token's hash is stored; issuing a new
    link revokes the older ones."""

    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="portal_links"
    )
    token_hash = models.CharField(max_length=64, db_index=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    # Empty when the link was made for a message sent to the participant (alliance.portal.messages).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "token_hash"], name="portal_token_unique")
        ]
        ordering = ["-created_at"]

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    MAPPED = "mapped", _("Columns chosen")
    QUEUED = "queued", _("Waiting to run")
    RUNNING = "running", _("Running")
    DONE = "done", _("Finished")
    FAILED = "failed", _("Stopped by an error")


class DateOrder(models.TextChoices):
    """How the file writes dates such as 03/02/2026 (YYYY-MM-DD is always read as such)."""

    DAY_FIRST = "dmy", _("Day first (31/12/2026)")
    MONTH_FIRST = "mdy", _("Month first (12/31/2026)")


class ParticipantImport(TenantModel):
    """One CSV file being imported into the agency's participants (participants/imports.py).
    The file's text is kept only until the import finishes; counts and row errors (row number,
    field and message, never the cell's value) stay as the record of what happened."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    filename = models.CharField(_("file name"), max_length=200)
    csv_text = models.TextField(blank=True)
    delimiter = models.CharField(max_length=1, default=",")
    headers = models.JSONField(default=list, blank=True)
    mapping = models.JSONField(default=dict, blank=True, help_text="our field -> CSV header")
    status = models.CharField(
        max_length=12, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    row_errors = models.JSONField(default=list, blank=True)
    date_order = models.CharField(
        _("dates in this file"), max_length=3, choices=DateOrder.choices, blank=True
    )
    default_peer = models.ForeignKey(
        "agencies.Membership",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("peer specialist for every row"),
    )
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Participant import #{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.status in (ImportStatus.QUEUED, ImportStatus.RUNNING)


class ProposedBy(models.TextChoices):
    """Who proposed a goal or made a promise: the participant or staff (goals and commitments)."""

    PARTICIPANT = "participant", _("The participant")
    STAFF = "staff", _("Staff")
