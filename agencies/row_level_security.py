"""PostgreSQL row-level security: the second wall behind the ORM scope.

Every tenant table has a policy (migration agencies/0005) that shows a row only when its
`agency_id` equals the connection's `rapport.agency` setting, or when `rapport.all_agencies`
is on (the named bypass). The settings follow the one tenancy mechanism: every statement runs
with the settings that the django-scopes state of the code running it asks for (inside
`agency_scope(a)`: agency a; inside `scopes_disabled()`: all; otherwise: none). With neither
set, a tenant table shows nothing: a forgotten scope fails closed in the database too, even
for raw SQL.

How: our PostgreSQL backend (agencies/postgresql/base.py) calls `before_statement` before each
statement Django runs. It remembers what the connection has, and sends one `set_config` round
trip only when the statement needs something else; so a request that stays in one scope pays
for it once, and entering or leaving a scope costs nothing by itself. A `set_config` made
inside a transaction is reverted by PostgreSQL if the transaction (or savepoint) rolls back;
the backend then forgets what it remembered, and the next statement sets it again.

Statements sent past Django's cursor (psycopg's COPY in agencies/scale_data.py) call `sync()`
first.

The application must connect as a role that does not bypass row-level security (not a
superuser, no BYPASSRLS); migrations and bulk loads run as a maintenance role that does. On
SQLite (the embedded default) only the ORM wall exists.
"""

from django.conf import settings
from django.db import connection as default_connection
from django_scopes import get_scope

ALL_AGENCIES = "all"
NO_AGENCY = ""
UNKNOWN = None
SET_SQL = (
    "SELECT set_config('rapport.agency', %s, false), set_config('rapport.all_agencies', %s, false)"
)


def wanted_state() -> str:
    """What the connection should show, from the django-scopes state of this context."""
    current = get_scope()
    if not current.get("_enabled", True):
        return ALL_AGENCIES
    agency = current.get("agency")
    return str(agency) if agency is not None else NO_AGENCY


def _apply(connection) -> None:
    """Give the connection the settings the running code's scope asks for, if it has not."""
    wanted = wanted_state()
    if getattr(connection, "rls_state", UNKNOWN) == wanted:
        return
    # Straight on the driver's connection: outside Django's query log, so the query counts
    # asserted in tests stay those of the page itself.
    connection.connection.execute(
        SET_SQL,
        ["" if wanted == ALL_AGENCIES else wanted, "on" if wanted == ALL_AGENCIES else "off"],
    )
    connection.rls_state = wanted
    if not connection.get_autocommit():
        connection.rls_set_in_transaction = True


def before_statement(execute, sql, params, many, context):
    """Django execute wrapper (installed by agencies/postgresql/base.py)."""
    connection = context["connection"]
    if settings.RAPPORT_ROW_LEVEL_SECURITY:
        _apply(connection)
    return execute(sql, params, many, context)


def sync(connection=default_connection) -> None:
    """Apply the settings now, for statements that do not go through Django's cursor."""
    if settings.RAPPORT_ROW_LEVEL_SECURITY and connection.vendor == "postgresql":
        connection.ensure_connection()
        _apply(connection)


def connection_opened(connection) -> None:
    """A new database session starts with neither setting: nothing is visible until a
    statement runs in a scope."""
    connection.rls_state = NO_AGENCY
    connection.rls_set_in_transaction = False


def transaction_committed(connection) -> None:
    connection.rls_set_in_transaction = False


def transaction_rolled_back(connection) -> None:
    """PostgreSQL has reverted any set_config made in what was rolled back: forget."""
    if getattr(connection, "rls_set_in_transaction", False):
        connection.rls_state = UNKNOWN
