import zoneinfo
from datetime import date

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies.tenancy import TenantModel

TIME_ZONE_CHOICES = [(name, name) for name in sorted(zoneinfo.available_timezones())]
LANGUAGE_CHOICES = settings.LANGUAGES


class StaffUserManager(UserManager):
    """Users sign in with their email address; there is no username."""

    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        email = self.normalize_email(email)
        user = self.model(email=email, **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person who signs in: agency staff, or a platform admin (superuser).

    `is_staff` keeps Django's meaning (may open Django admin) and is set for platform admins
    only; agency roles live on `Membership`.
    """

    username = None
    email = models.EmailField(_("email address"), unique=True)
    # The language of every page after sign-in; empty: the browser's (agencies/middleware.py).
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=[("", _("The browser's language")), *LANGUAGE_CHOICES],
        blank=True,
        default="",
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = StaffUserManager()

    def __str__(self):
        return self.get_full_name() or self.email


class Agency(models.Model):
    """The tenant. Everything an agency owns points here through `TenantModel.agency`."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    time_zone = models.CharField(
        max_length=64, choices=TIME_ZONE_CHOICES, default="America/New_York"
    )
    default_language = models.CharField(max_length=8, choices=LANGUAGE_CHOICES, default="en")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    # Links and invitations.
    invitation_expiry_days = models.PositiveSmallIntegerField(
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text=_("How long a staff invitation can be accepted."),
    )
    checkin_link_expiry_days = models.PositiveSmallIntegerField(
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text=_("How long a check-in link works."),
    )
    portal_link_expiry_days = models.PositiveSmallIntegerField(
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("How long a participant's portal link works."),
    )

    # Alliance alerts. Scores are compared as a share of the instrument's maximum so the same
    # thresholds fit any instrument; docs/decisions.md explains the defaults.
    alert_total_below_percent = models.PositiveSmallIntegerField(
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("Alert when a check-in's total is below this share of the maximum."),
    )
    alert_drop_percent = models.PositiveSmallIntegerField(
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_(
            "Alert when the total drops by at least this share of the maximum "
            "since the participant's previous check-in."
        ),
    )
    alert_item_at_or_below = models.PositiveSmallIntegerField(
        default=2,
        validators=[MinValueValidator(0), MaxValueValidator(10)],
        help_text=_("Alert when a safety or boundaries item is at or below this score."),
    )
    alert_missed_in_a_row = models.PositiveSmallIntegerField(
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text=_("Alert after this many missed check-ins in a row."),
    )

    # Consistency commitments.
    commitment_first_reminder_hours = models.PositiveSmallIntegerField(
        default=24,
        validators=[MaxValueValidator(24 * 14)],
        help_text=_("First reminder, in hours before a commitment is due (0 for none)."),
    )
    commitment_second_reminder_hours = models.PositiveSmallIntegerField(
        default=1,
        validators=[MaxValueValidator(24 * 14)],
        help_text=_("Second reminder, in hours before a commitment is due (0 for none)."),
    )
    commitment_grace_minutes = models.PositiveSmallIntegerField(
        default=60,
        validators=[MaxValueValidator(24 * 60)],
        help_text=_("How long after the due time an open commitment becomes missed."),
    )

    class Meta:
        verbose_name_plural = "agencies"
        ordering = ["name"]

    def __str__(self):
        return self.name

    def today(self) -> date:
        """Today in the agency's time zone: what its pages call today (UTC may already be
        tomorrow, or still yesterday)."""
        return timezone.localdate(timezone=zoneinfo.ZoneInfo(self.time_zone))


class Role(models.TextChoices):
    ADMIN = "admin", _("Agency admin")
    SUPERVISOR = "supervisor", _("Supervisor")
    PEER = "peer", _("Peer specialist")


class Membership(TenantModel):
    """A user's place in one agency. A user may hold several, one per agency."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.PEER)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "user"], name="membership_one_per_agency"),
        ]
        ordering = ["user__last_name", "user__first_name", "user__email"]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()})"

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def sees_whole_agency(self) -> bool:
        """Supervisors and admins see every participant; a peer sees their caseload."""
        return self.role in (Role.ADMIN, Role.SUPERVISOR)


class Invitation(TenantModel):
    """A single-use invitation for a person to join an agency with a role."""

    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.PEER)
    token_hash = models.CharField(max_length=64, db_index=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "token_hash"], name="invitation_token_unique"
            ),
            # One open invitation per address; a double submit cannot create a second.
            models.UniqueConstraint(
                fields=["agency", "email"],
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open_per_email",
            ),
        ]
        ordering = ["-created_at"]

    def __str__(self):
        return f"Invitation #{self.pk} ({self.get_role_display()})"

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"


class AuditEvent(TenantModel):
    """Append-only record of who did what to which object, when, in which request.

    Written only through `agencies.services.audit_record`. Never updated or deleted.
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(
        max_length=40,
        blank=True,
        help_text="Who acted when it was not a signed-in user, e.g. 'participant-link'.",
    )
    action = models.CharField(max_length=60)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=40, blank=True)
    occurred_at = models.DateTimeField(default=timezone.now, editable=False)
    request_id = models.CharField(max_length=40, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["agency", "object_type", "object_id", "occurred_at"], name="audit_by_object"
            ),
            models.Index(fields=["agency", "occurred_at"], name="audit_by_time"),
        ]
        ordering = ["-occurred_at", "-id"]

    def __str__(self):
        return f"{self.action} {self.object_type}#{self.object_id}"


# REST API ------------------------------------------------------------------------------------


class ApiKey(TenantModel):
    """A named key with which an integrator's system calls the REST API as the agency.

    The raw key is shown once when created; only its SHA-256 is stored (`token_hash`, found
    across agencies by `tenancy.find_by_token`). Revoking is immediate and final."""

    class Access(models.TextChoices):
        READ = "read", _("Read only")
        READ_WRITE = "read_write", _("Read and write")

    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, editable=False, help_text="Shown to tell keys apart.")
    access = models.CharField(
        _("access"), max_length=10, choices=Access.choices, default=Access.READ
    )
    # The API resources (agencies.api.resources.API_RESOURCES) the key may use; empty: all.
    resources = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    token_hash = models.CharField(max_length=64, db_index=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "token_hash"], name="api_key_token_unique")
        ]
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"API key #{self.pk} ({self.prefix}…)"

    def allows(self, *, resource: str, writing: bool) -> bool:
        """The key's scope: read-only keys only read; a key limited to resources uses only
        those."""
        if writing and self.access != self.Access.READ_WRITE:
            return False
        return not self.resources or resource in self.resources

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class IdempotentRequest(TenantModel):
    """The first response to a POST sent with an `Idempotency-Key` header, replayed when the
    same caller sends the same key and body again within 24 hours. `principal` names the
    caller ("key:<id>" or "user:<id>"); a row whose `response_status` is null is in progress,
    for at most RAPPORT_IDEMPOTENCY_IN_PROGRESS_SECONDS (then a retry runs afresh)."""

    principal = models.CharField(max_length=40)
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "principal", "key"], name="idempotent_request_unique"
            )
        ]


class StaffIntroduction(TenantModel):
    """How a staff member introduces themselves to the participants they work with, in their
    own words and in one language (one row per language they wrote it in).

    Practice 5 of the domain notes (authenticity and transparency): the participant's portal
    shows their current peer's introduction in the participant's language, else in another
    one the peer wrote. Every field is optional plain text with a length limit; templates
    escape it. Kept on the membership, not the user: a person may introduce themselves
    differently at each agency they work for."""

    ABOUT_MAX_LENGTH = 600

    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="introductions"
    )
    language = models.CharField(max_length=8, choices=LANGUAGE_CHOICES)
    called = models.CharField(_("what to call me"), max_length=60, blank=True)
    pronouns = models.CharField(_("pronouns"), max_length=40, blank=True)
    languages_spoken = models.CharField(_("languages I speak"), max_length=120, blank=True)
    reachable = models.CharField(_("when I can be reached"), max_length=200, blank=True)
    about = models.TextField(_("about my own path"), max_length=ABOUT_MAX_LENGTH, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    TEXT_FIELDS = ("called", "pronouns", "languages_spoken", "reachable", "about")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "membership", "language"],
                name="staff_introduction_one_per_language",
            ),
        ]
        ordering = ["language"]

    def __str__(self):
        return f"Introduction #{self.pk} ({self.language})"

    @property
    def is_empty(self) -> bool:
        return not any(getattr(self, name).strip() for name in self.TEXT_FIELDS)
