"""Settings of the worker process in tests/test_whole_story.py: the suite's test settings, with
what the worker sends written to files the test reads (email: Django's file backend; SMS: the
development outbox), every logger at DEBUG, and the test's own queue as the default one (so
the sweep, run in the worker, hands its batches to the same worker)."""

import os

from config.settings.test import *  # noqa: F403
from config.settings.test import LOGGING

MAILERS = {
    "default": {
        "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "OPTIONS": {"file_path": os.environ["RAPPORT_STORY_MAIL_DIR"]},
    }
}
RAPPORT_SMS_BACKEND = "alliance.messaging.transports.FileSMS"
RAPPORT_SMS_OUTBOX = os.environ["RAPPORT_STORY_SMS_DIR"]
CELERY_TASK_DEFAULT_QUEUE = os.environ["RAPPORT_STORY_QUEUE"]
LOGGING = {
    **LOGGING,
    "root": {**LOGGING["root"], "level": "DEBUG"},
    "loggers": {"django.db.backends": {"level": "DEBUG"}},
}
