from celery import shared_task
from django.contrib.sessions.models import Session
from django.utils import timezone


@shared_task
def sessions_clear_expired() -> int:
    """Delete staff sessions past their expiry (idle logoff leaves them behind). Returns how
    many were removed. allauth's session list drops rows whose session is gone."""
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted
