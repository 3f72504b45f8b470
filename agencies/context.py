"""Who is acting, and in which request or task: one context for every service.

Services do not take the request: the audit trail reads the request id and the acting person
from here. It is set once per web request (RequestIdMiddleware, then ActorMiddleware after
authentication), by the API after it authenticates a key or session
(agencies.api.viewsets), and per Celery task (config/celery.py: the task's id, no person).
Code outside those (a management command, a test) runs with an empty context unless it opens
one with `acting(...)`.
"""

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Context:
    request_id: str = ""  # the web request's id (X-Request-ID) or the Celery task's id
    user: object | None = None  # the signed-in staff member (agencies.User), if any
    label: str = ""  # who acts when no staff member does, e.g. "api key 12"


_current: ContextVar[Context] = ContextVar("rapport_context", default=Context())  # noqa: B039


def context_current() -> Context:
    return _current.get()


@contextmanager
def acting(**changes):
    """Run the block with the context changed (request_id=, user=, label=), then restore it."""
    token = _current.set(replace(_current.get(), **changes))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def context_start(**values):
    """Begin a fresh context (a request or a task); returns the token `context_end` takes."""
    return _current.set(Context(**values))


def context_update(**changes) -> None:
    """Add to the running request's context (the user, once authentication has run)."""
    _current.set(replace(_current.get(), **changes))


def context_end(token) -> None:
    _current.reset(token)
