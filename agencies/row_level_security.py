"""PostgreSQL row-level security: the second wall behind the ORM scope.

Every tenant table has a policy (migration agencies/0005) that shows a row only when its
`agency_id` equals the connection's `rapport.agency` setting, or when `rapport.all_agencies`
is on (the named bypass). The settings follow the one tenancy mechanism: entering
`agency_scope(...)` or `scopes_disabled()` (agencies/tenancy.py) sets them on the connection,
leaving restores them. With neither set, a tenant table shows nothing: a forgotten scope fails
closed in the database too, even for raw SQL.

The application must connect as a role that does not bypass row-level security (not a
superuser, no BYPASSRLS); migrations and bulk loads run as a maintenance role that does. On
SQLite (the embedded default) only the ORM wall exists.
"""

from contextlib import contextmanager

from django.conf import settings
from django.db import connection
from django.db.backends.signals import connection_created
from django.dispatch import receiver
from django_scopes import get_scope

ALL_AGENCIES = "all"
NO_AGENCY = ""
_STATE = "_rapport_row_security"


def wanted_state() -> str:
    """What the connection should show, from the django-scopes state of this context."""
    current = get_scope()
    if not current.get("_enabled", True):
        return ALL_AGENCIES
    agency = current.get("agency")
    return str(agency) if agency is not None else NO_AGENCY


def _active() -> bool:
    return settings.RAPPORT_ROW_LEVEL_SECURITY and connection.vendor == "postgresql"


def _apply(state: str) -> None:
    if getattr(connection, _STATE, None) == state:
        return
    connection.ensure_connection()
    # Straight on the driver's connection: one round trip, outside Django's query log, so the
    # query counts asserted in tests stay those of the page itself.
    connection.connection.execute(
        "SELECT set_config('rapport.agency', %s, false), "
        "set_config('rapport.all_agencies', %s, false)",
        ["" if state == ALL_AGENCIES else state, "on" if state == ALL_AGENCIES else "off"],
    )
    setattr(connection, _STATE, state)


@contextmanager
def following_scope():
    """Keep the connection's settings in step with the scope just entered, and restore them
    when it is left."""
    if not _active():
        yield
        return
    previous = getattr(connection, _STATE, NO_AGENCY)
    _apply(wanted_state())
    try:
        yield
    finally:
        if connection.connection is not None:  # a closed connection has nothing to restore
            _apply(previous)


@receiver(connection_created)
def _fresh_connection(sender, connection, **kwargs):
    """A new database session starts with neither setting: nothing is visible until a scope
    is entered."""
    setattr(connection, _STATE, NO_AGENCY)
