"""Background work for participants. Tasks receive ids only, never names or file content, and
open the agency's scope themselves."""

from celery import shared_task

from agencies.tenancy import agency_scope
from participants import imports


@shared_task(ignore_result=True)
def participant_import_run(agency_id: int, import_id: int) -> str:
    """Run a queued CSV import (participants.imports.participant_import_run has the rules).
    Safe to deliver twice: only one delivery claims the import."""
    with agency_scope(agency_id):
        return imports.participant_import_run(import_id=import_id)
