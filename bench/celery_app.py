"""The project's Celery app plus the dispatch floor: a task that does nothing."""

from config.celery import app


@app.task(name="bench.noop", ignore_result=True, acks_late=True)
def noop(agency_id: int, delivery_id: int) -> None:
    return None
