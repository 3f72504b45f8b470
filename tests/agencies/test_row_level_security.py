"""PostgreSQL row-level security, the second wall: even a raw query sees and writes only the
agency in scope. The suite connects as the application role, as requests and tasks do (no
SUPERUSER, no BYPASSRLS: the first test checks), so these raw queries meet the policies."""

import pytest
from django.db import DatabaseError, connection, transaction

from agencies.tenancy import TenantModel, agency_scope, scopes_disabled
from tests.agencies.test_tenancy import tenant_models
from tests.factories import make_participant

pytestmark = pytest.mark.django_db


def as_app_role(sql: str, params=(), *, fetch: bool = True) -> list:
    """Run `sql` on the suite's own connection, inside the current scope."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if fetch else []


def test_the_suite_connects_as_a_role_that_cannot_bypass_row_level_security():
    rows = as_app_role(
        "SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
    )
    assert rows == [("rapport_app", False, False)]


def test_an_unscoped_raw_query_in_agency_a_sees_none_of_agency_bs_rows(agency_a, agency_b):
    mine, theirs = make_participant(agency_a), make_participant(agency_b)
    sql = "SELECT id FROM participants_participant ORDER BY id"
    with agency_scope(agency_a):
        assert as_app_role(sql) == [(mine.pk,)]
    with agency_scope(agency_b):
        assert as_app_role(sql) == [(theirs.pk,)]
    assert as_app_role(sql) == []  # no scope at all: nothing
    with scopes_disabled():  # the named bypass
        assert as_app_role(sql) == [(mine.pk,), (theirs.pk,)]


def test_writing_a_row_for_another_agency_is_refused(agency_a, agency_b):
    insert = (
        "INSERT INTO agencies_auditevent (agency_id, actor_label, action, object_type, object_id, "
        "occurred_at, request_id) VALUES (%s, '', 'probe', '', '', now(), '')"
    )
    with agency_scope(agency_a), pytest.raises(DatabaseError, match="row-level security"):
        with transaction.atomic():
            as_app_role(insert, [agency_b.pk], fetch=False)
    with agency_scope(agency_a):
        as_app_role(insert, [agency_a.pk], fetch=False)  # its own agency: allowed


@pytest.mark.parametrize("model", tenant_models(), ids=lambda m: m.__name__)
def test_every_tenant_table_forces_row_level_security(model: type[TenantModel]):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = %s",
            [model._meta.db_table],
        )
        assert cursor.fetchone() == (True, True)


def test_after_a_rollback_the_next_query_still_runs_in_its_own_agency(agency_a, agency_b):
    """Agency A's setting, made after a savepoint taken in agency B, is reverted by
    PostgreSQL (to B's) when that savepoint rolls back; the next query in A's scope must set
    it again rather than trust what it set before."""
    mine = make_participant(agency_a)
    make_participant(agency_b)
    sql = "SELECT id FROM participants_participant ORDER BY id"
    with agency_scope(agency_b):
        as_app_role(sql)
        savepoint = transaction.savepoint_create()
    with agency_scope(agency_a):
        assert as_app_role(sql) == [(mine.pk,)]
        transaction.savepoint_rollback(savepoint)
        assert as_app_role(sql) == [(mine.pk,)]


def test_a_query_outside_any_scope_after_leaving_one_sees_nothing(agency_a):
    make_participant(agency_a)
    with agency_scope(agency_a):
        assert len(as_app_role("SELECT id FROM participants_participant")) == 1
    assert as_app_role("SELECT id FROM participants_participant") == []


@pytest.mark.django_db(transaction=True)
def test_in_autocommit_each_scoped_statement_carries_its_own_agency(agency_a, agency_b):
    """Outside a transaction the settings last one statement (they are transaction-scoped):
    each scoped statement runs in a short transaction of its own, and what it set is gone for
    the next statement in another scope, or in none."""
    mine, theirs = make_participant(agency_a), make_participant(agency_b)
    sql = "SELECT id FROM participants_participant ORDER BY id"
    assert connection.get_autocommit()
    with agency_scope(agency_a):
        assert as_app_role(sql) == [(mine.pk,)]
    assert as_app_role(sql) == []
    with agency_scope(agency_b):
        assert as_app_role(sql) == [(theirs.pk,)]
    assert as_app_role("SELECT current_setting('rapport.agency', true)") in ([(None,)], [("",)])
