"""The one Celery app. Tasks live in each app's tasks.py and are found by autodiscovery."""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

from agencies.context import context_start

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
def _context_start(task_id=None, task=None, **_kwargs):
    """Each task runs in a context of its own (agencies/context.py): its id is the audit
    trail's request id, and no person acts."""
    name = task.name.rsplit(".", 1)[-1] if task else ""
    context_start(request_id=task_id or "", label=f"task:{name}")


@task_postrun.connect
def _context_end(**_kwargs):
    context_start()
