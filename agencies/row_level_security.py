"""PostgreSQL row-level security: the second wall behind the ORM scope.

Every tenant table has a policy (migration agencies/0005) that shows a row only when its
`agency_id` equals the transaction's `rapport.agency` setting, or when `rapport.all_agencies`
is on (the named bypass). The settings follow the one tenancy mechanism: every statement runs
with the settings that the django-scopes state of the code running it asks for (inside
`agency_scope(a)`: agency a; inside `scopes_disabled()`: all; otherwise: none). With neither
set, a tenant table shows nothing: a forgotten scope fails closed in the database too, even
for raw SQL.

The settings are transaction-scoped (`set_config(..., true)`), never session-scoped, so they
are safe behind PgBouncer in transaction pooling mode: a server connection handed to another
client between transactions carries nothing over (tests/test_pgbouncer.py proves it). So:
- inside a transaction (`transaction.atomic`, and the test suite's own), the first statement
  that needs other settings than the transaction has sends one `set_config` round trip;
  later statements in the same scope pay nothing;
- a statement in autocommit mode that needs an agency (or all of them) is run in a short
  transaction of its own: BEGIN, `set_config`, the statement, COMMIT. A statement outside any
  scope needs nothing, since a new transaction starts with neither setting.
A commit or rollback ends the settings; a savepoint rollback may revert them, so the backend
then forgets what it set and the next statement sets it again.

How: our PostgreSQL backend (agencies/postgresql/base.py) calls `before_statement` around each
statement Django runs. Statements sent past Django's cursor (psycopg's COPY in
agencies/scale_data.py) call `sync()` first, inside a transaction.

The application connects as a role that does not bypass row-level security (not a superuser,
no BYPASSRLS): in `make run`, in the test suite and in production. Migrations and bulk loads
run as the maintenance role, which owns the tables (README, "Database roles").
"""

import re
from datetime import datetime

import psycopg
from django.conf import settings
from django.db import connection as default_connection
from django.db import transaction
from django_scopes import get_scope
from psycopg.types.numeric import Int2, Int4, Int8

ALL_AGENCIES = "all"
NO_AGENCY = ""
UNKNOWN = None
SET_SQL = (
    "SELECT set_config('rapport.agency', %s, true), set_config('rapport.all_agencies', %s, true)"
)


def wanted_state() -> str:
    """What the connection should show, from the django-scopes state of this context."""
    current = get_scope()
    if not current.get("_enabled", True):
        return ALL_AGENCIES
    agency = current.get("agency")
    return str(agency) if agency is not None else NO_AGENCY


def _apply(connection, wanted: str) -> None:
    """Give the open transaction the settings `wanted`, unless it has them already."""
    if getattr(connection, "rls_state", UNKNOWN) == wanted:
        return
    # Straight on the driver's connection: outside Django's query log, so the query counts
    # asserted in tests stay those of the page itself.
    connection.connection.execute(
        SET_SQL,
        ["" if wanted == ALL_AGENCIES else wanted, "on" if wanted == ALL_AGENCIES else "off"],
    )
    connection.rls_state = wanted


def _prefix(wanted: str) -> str:
    """SET_SQL as a literal statement to send ahead of another in the same message. Only
    digits, '' or the two switches ever go in it."""
    agency = "" if wanted == ALL_AGENCIES else wanted
    if not agency.isdigit() and agency != "":
        raise ValueError("row-level security: an agency id is digits")
    switch = "on" if wanted == ALL_AGENCIES else "off"
    return (
        f"SELECT set_config('rapport.agency', '{agency}', true), "
        f"set_config('rapport.all_agencies', '{switch}', true); "
    )


def _one_message(context, many: bool) -> bool:
    """Whether the settings can travel in the statement's own message: a plain statement on
    Django's client-side-binding cursor (simple query protocol), not a server-side cursor
    nor an executemany."""
    return not many and isinstance(context["cursor"].cursor, psycopg.ClientCursor)


def before_statement(execute, sql, params, many, context):
    """Django execute wrapper (installed by agencies/postgresql/base.py).

    When the settings must change, they go in the same message as the statement (`SELECT
    set_config(...); <statement>`, one round trip; issue 17, decision 153): inside a
    transaction, they join it; in autocommit, PostgreSQL runs a message of several statements
    as one implicit transaction, so they end with it (safe behind PgBouncer in transaction
    mode: nothing outlives the message). The cursor then moves to the statement's own result.
    Otherwise (executemany, server-side cursors) a separate round trip, in a short transaction
    of its own in autocommit."""
    connection = context["connection"]
    if not settings.RAPPORT_ROW_LEVEL_SECURITY:
        return execute(sql, params, many, context)
    wanted = wanted_state()
    autocommit = connection.get_autocommit()
    if autocommit and wanted == NO_AGENCY:
        return execute(sql, params, many, context)  # a new transaction has no settings
    if not autocommit and getattr(connection, "rls_state", UNKNOWN) == wanted:
        return execute(sql, params, many, context)
    if _one_message(context, many):
        result = execute(_prefix(wanted) + sql, params, many, context)
        context["cursor"].cursor.nextset()
        if not autocommit:
            connection.rls_state = wanted
        return result
    if not autocommit:
        _apply(connection, wanted)
        return execute(sql, params, many, context)
    with transaction.atomic(using=connection.alias):
        _apply(connection, wanted)
        return execute(sql, params, many, context)


def sync(connection=default_connection) -> None:
    """Apply the settings now, for statements that do not go through Django's cursor. Only
    inside a transaction: in autocommit mode the settings would end with this statement."""
    if not settings.RAPPORT_ROW_LEVEL_SECURITY:
        return
    if connection.get_autocommit():
        raise RuntimeError("row_level_security.sync() needs a transaction (transaction.atomic)")
    _apply(connection, wanted_state())


def agency_set_by_statement(agency_id: int, connection=default_connection) -> None:
    """The statement just run set the transaction's settings to `agency_id` itself (it
    returned `set_config('rapport.agency', <its row's agency_id>::text, true),
    set_config('rapport.all_agencies', 'off', true)` for the one row it found under
    `scopes_disabled()`), so the next statement in that agency's scope needs no round trip.
    Used by one hand-written statement only: the check-in submit's claim
    (alliance/checkins/services.py, `checkin_claim`)."""
    if connection.get_autocommit():
        raise RuntimeError("agency_set_by_statement() needs a transaction (transaction.atomic)")
    connection.rls_state = str(agency_id)


def transaction_ended(connection) -> None:
    """Commit, rollback or a new session: the transaction-scoped settings are gone."""
    connection.rls_state = NO_AGENCY


def savepoint_rolled_back(connection) -> None:
    """PostgreSQL may have reverted a set_config made after the savepoint: forget."""
    connection.rls_state = UNKNOWN


def fetchone_planned_once(name: str, sql: str, params: list | dict, connection=default_connection):
    """The first row of one hot statement (the check-in link's lookup and its claim), planned
    once per connection instead of on every call: planning was most of their database time
    (decision 183). `name` names it on the connection.

    The statement is prepared on the connection the first time (`PREPARE name AS ...`) and then
    run as `EXECUTE name(...)`, an ordinary statement: the row-level-security settings travel
    ahead of it in the same message as for any other (`before_statement`). Prepared only where
    that is safe (`RAPPORT_PREPARED_STATEMENTS`: not behind a PgBouncer in transaction mode,
    which would hand the next transaction a server connection without it); otherwise the
    statement runs as it is."""
    with connection.cursor() as cursor:
        if not settings.RAPPORT_PREPARED_STATEMENTS:
            cursor.execute(sql, params)
            return cursor.fetchone()
        if not name.isidentifier():  # it goes into the SQL as it is
            raise ValueError(f"fetchone_planned_once: {name!r} is not a plain name")
        numbered, values = _numbered(sql, params)
        prepared = getattr(connection, "rapport_prepared", None)  # emptied on reconnecting
        if prepared is None:
            prepared = connection.rapport_prepared = {}
        if prepared.get(name) != numbered:
            if name in prepared:
                raise ValueError(f"fetchone_planned_once: {name} names another statement")
            types = ", ".join(_parameter_type(value) for value in values)
            cursor.execute(f"PREPARE {name} ({types}) AS {numbered}")
            prepared[name] = numbered
        placeholders = ", ".join(["%s"] * len(values))
        cursor.execute(f"EXECUTE {name}({placeholders})", values)
        return cursor.fetchone()


# In the order they are tried (bool is an int, Int4 an int too).
PARAMETER_TYPES = [
    (bool, "boolean"),
    (Int2, "smallint"),
    (Int4, "integer"),
    (Int8, "bigint"),
    (int, "bigint"),
    (str, "text"),
    (datetime, "timestamptz"),
]


def _parameter_type(value) -> str:
    """A parameter's type, declared where the statement is prepared: PostgreSQL would take one
    it cannot infer from its place (a selected value, say) as text."""
    for python_type, name in PARAMETER_TYPES:
        if isinstance(value, python_type):
            return name
    raise TypeError(f"fetchone_planned_once: no parameter type for {type(value)}")


def _numbered(sql: str, params: list | dict) -> tuple[str, list]:
    """`sql` with its %s or %(name)s placeholders as $1, $2... and the values in that order."""
    if "%%" in sql:
        raise ValueError("fetchone_planned_once: no literal % in a prepared statement")
    if isinstance(params, dict):
        names = list(dict.fromkeys(re.findall(r"%\((\w+)\)s", sql)))
        for n, key in enumerate(names, start=1):
            sql = sql.replace(f"%({key})s", f"${n}")
        return sql, [params[key] for key in names]
    parts = sql.split("%s")
    if len(parts) != len(params) + 1:
        raise ValueError("fetchone_planned_once: placeholders and values differ")
    numbered = parts[0] + "".join(f"${n}{part}" for n, part in enumerate(parts[1:], start=1))
    return numbered, list(params)
