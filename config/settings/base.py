"""Settings shared by every environment. dev.py, test.py and production.py build on this."""

from pathlib import Path

from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from .env import env_bool, env_int, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
# Local runtime files of `make run`: its PostgreSQL, the file broker, the cache, the outbox.
VAR_DIR = Path(env_str("RAPPORT_VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = env_str("DJANGO_SECRET_KEY", "insecure-development-key-do-not-use-in-production")
DEBUG = False
ALLOWED_HOSTS: list[str] = []

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django.forms",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "agencies",
    "participants",
    "alliance.messaging",
    "alliance.checkins",
    "alliance.goals",
    "alliance.commitments",
    "alliance.portal",
    "alliance",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages compressed by the app itself (static files are pre-compressed by whitenoise):
    # a participant's check-in fits the first round trip on a poor phone connection.
    # Django's GZip adds random bytes against BREACH; CSRF tokens are masked too (decision 150).
    "django.middleware.gzip.GZipMiddleware",
    "agencies.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "agencies.middleware.StaffLanguageMiddleware",
    "agencies.middleware.PrivateResponseMiddleware",
    "agencies.middleware.SessionActivityMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "agencies.middleware.AgencyMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "agencies.context_processors.current_agency",
            ],
        },
    }
]

# Widgets render through the project's templates, so templates/ can override them.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

AUTH_USER_MODEL = "agencies.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

# django-allauth: email login, no open sign-up (staff join by invitation), MFA with TOTP and
# recovery codes, rate limits on (they need a real cache: Redis in production).
ACCOUNT_ADAPTER = "agencies.adapters.InvitationOnlyAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"  # invitations prove the address; see docs/decisions.md
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Rapport] "
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Rapport"
# Last activity on the Sessions page is recorded by agencies.middleware.SessionActivityMiddleware
# (at most once a minute), not by allauth on every request.
USERSESSIONS_TRACK_ACTIVITY = False

# Automatic logoff (HIPAA §164.312(a)(2)(iii)): a staff session ends after this many idle
# minutes. Activity pushes the expiry forward, at most once a minute
# (agencies.middleware.SessionActivityMiddleware), so the session ends at most this long after
# the last request, and at least one minute less.
STAFF_IDLE_MINUTES = env_int("RAPPORT_STAFF_IDLE_MINUTES", 15)
SESSION_COOKIE_AGE = STAFF_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# One date and time style per language, for every page, email and message (decision 110).
FORMAT_MODULE_PATH = ["agencies.formats"]

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Django 6's built-in Content Security Policy: no inline scripts or styles anywhere.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],  # allauth shows the TOTP QR code as a data: URI
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"  # token links must not leak through Referer
CSRF_COOKIE_HTTPONLY = True

REST_FRAMEWORK = {
    # The REST API for integrators (agencies/api/, /api/v1/): API keys first, so a request
    # without credentials answers 401 with a WWW-Authenticate header.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "agencies.api.authentication.ApiKeyAuthentication",
        "agencies.api.authentication.AgencySessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["agencies.api.throttling.ApiKeyRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_key": "600/min", "api_user": "300/min"},
    "DEFAULT_PAGINATION_CLASS": "agencies.api.pagination.IdCursorPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "agencies.api.schema.RapportAutoSchema",
    "EXCEPTION_HANDLER": "agencies.api.errors.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "sweep-deliveries": {"task": "alliance.tasks.deliveries_sweep", "schedule": 60},
    "send-staff-digests": {
        "task": "alliance.messaging.tasks.staff_digests_send",
        "schedule": 60 * 60,
    },
    "clear-expired-staff-sessions": {
        "task": "agencies.tasks.sessions_clear_expired",
        "schedule": 60 * 60,
    },
}

DEFAULT_FROM_EMAIL = env_str("RAPPORT_FROM_EMAIL", "Rapport <no-reply@rapport.invalid>")

# The one setting for the site's address: the base of every link Rapport makes (check-in,
# portal, invitation, API `url`). `make run` sets it to the port it serves; production must.
SITE_URL = env_str("RAPPORT_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"redact_link_tokens": {"()": "config.log_filters.RedactLinkTokens"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_link_tokens"],
        }
    },
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # The Twilio library logs every request it makes (address, account, headers) at INFO.
        "twilio": {"level": "WARNING"},
    },
}

# django-ratelimit reads the client address from here; behind a proxy set it to the header the
# proxy fills in (for example HTTP_X_REAL_IP).
RATELIMIT_IP_META_KEY = env_str("RATELIMIT_IP_META_KEY", "REMOTE_ADDR")

# Phone numbers typed without a country code are read as numbers of this region.
RAPPORT_PHONE_REGION = env_str("RAPPORT_PHONE_REGION", "US")

# Text messages (alliance.messaging.transports): FileSMS (development outbox, the default),
# TwilioSMS (production) or MemorySMS (tests).
RAPPORT_SMS_BACKEND = env_str("RAPPORT_SMS_BACKEND", "alliance.messaging.transports.FileSMS")
RAPPORT_SMS_OUTBOX = env_str("RAPPORT_SMS_OUTBOX", str(VAR_DIR / "outbox" / "sms"))
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN", "")
TWILIO_FROM_NUMBER = env_str("TWILIO_FROM_NUMBER", "")
TWILIO_MESSAGING_SERVICE_SID = env_str("TWILIO_MESSAGING_SERVICE_SID", "")
# Tests point the Twilio REST client at a local stand-in; production leaves it empty.
TWILIO_API_BASE_URL = env_str("TWILIO_API_BASE_URL", "")
# This many texts in a row that did not arrive pause texting to the number (decisions.md).
RAPPORT_SMS_PAUSE_AFTER_UNDELIVERED = 3

# Delivery: how long a claimed message may stay unsent before the sweeper hands it out again
# (a worker that died mid-send), and how many attempts a message gets.
RAPPORT_DELIVERY_STALE_SECONDS = env_int("RAPPORT_DELIVERY_STALE_SECONDS", 600)
RAPPORT_DELIVERY_MAX_ATTEMPTS = 5

# API idempotency: how long an Idempotency-Key whose first request never answered (a killed
# process) blocks a retry. Keep it above the longest request the server lets run.
RAPPORT_IDEMPOTENCY_IN_PROGRESS_SECONDS = env_int("RAPPORT_IDEMPOTENCY_IN_PROGRESS_SECONDS", 60)

# OpenAPI (drf-spectacular): the document at /api/schema/, and one name per choice set.
SPECTACULAR_SETTINGS = {
    "TITLE": "Rapport API",
    "DESCRIPTION": "The REST API for integrators. Every request acts inside one agency: the "
    'API key\'s. Errors share one body: `{"error": {"code", "message", "fields"}}`. '
    "Search terms travel in query strings (`?q=`, `?external_id=`): Rapport redacts them from "
    "its own logs; keep them out of your own proxies' logs too.",
    "VERSION": "1.0.0",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "agencies.api.schema.state_input_rules",
    ],
    "ENUM_NAME_OVERRIDES": {
        "ParticipantStatusEnum": "participants.models.ParticipantStatus",
        "ContactChannelEnum": "participants.models.Channel",
        "CheckInChannelEnum": "alliance.checkins.models.Channel",
        "CheckInRequestChannelEnum": "alliance.checkins.api.API_CHANNEL_CHOICES",
        "CheckInRequestStatusEnum": "alliance.checkins.api.REQUEST_STATUSES",
        "AlertStatusEnum": "alliance.checkins.models.AlertStatus",
        "PracticeEnum": "alliance.checkins.models.Practice",
        "ProposedByEnum": "participants.models.ProposedBy",
    },
}

# PostgreSQL row-level security follows the tenancy scope (agencies/row_level_security.py).
RAPPORT_ROW_LEVEL_SECURITY = env_bool("RAPPORT_ROW_LEVEL_SECURITY", True)
# The check-in link's lookup and claim are prepared statements, planned once per connection
# (decision 183). Behind PgBouncer in transaction mode they need PgBouncer 1.21 or later with
# max_prepared_statements set; production turns them off with
# DATABASE_DISABLE_SERVER_SIDE_CURSORS unless DATABASE_PREPARED_STATEMENTS says otherwise.
RAPPORT_PREPARED_STATEMENTS = env_bool("DATABASE_PREPARED_STATEMENTS", True)
# The database role requests and tasks connect as (no SUPERUSER, no BYPASSRLS); `migrate`, run
# as the maintenance role, grants it what it needs (agencies/database_roles.py).
RAPPORT_DATABASE_APP_ROLE = env_str("RAPPORT_DATABASE_APP_ROLE", "rapport_app")
