"""Fixtures modelled on two agencies and three kinds of user: a member of agency A, a member
of agency B (the 'other agency'), and somebody with no agency at all."""

from contextlib import contextmanager

import pytest
from django.core.cache import cache
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from agencies.database_roles import app_role_grant
from agencies.models import Role
from config import local_postgres
from tests.factories import api_client, make_agency, make_api_key, make_member, make_user

pytest_plugins = ["tests.celery_worker"]  # real worker fixtures: worker_queue, celery_worker_queue


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database is created and migrated by the maintenance role; every test then
    connects as the application role (no SUPERUSER, no BYPASSRLS), as requests and tasks do,
    so row-level security is live in every test. TRUNCATE is granted here only: the clean-up
    between transactional tests needs it, the application does not."""
    with django_db_blocker.unblock():
        app_role_grant(extra=("GRANT TRUNCATE ON ALL TABLES IN SCHEMA public TO {role}",))
        _connect_as(local_postgres.APP_ROLE)
    yield
    with django_db_blocker.unblock():
        _connect_as(local_postgres.MAINTENANCE_ROLE)  # to drop the test database


def _connect_as(role: str) -> None:
    for connection in connections.all():
        connection.close()
        connection.settings_dict["USER"] = role


@contextmanager
def as_maintenance_role():
    """For a bulk load (COPY, which row-level security refuses to the application role), as
    `make run` and production run them: outside any transaction, as the tables' owner."""
    _connect_as(local_postgres.MAINTENANCE_ROLE)
    try:
        yield
    finally:
        _connect_as(local_postgres.APP_ROLE)


@pytest.fixture(autouse=True)
def _fresh_cache():
    # allauth's rate limits and used-TOTP markers live in the (real, Redis) cache; instrument
    # items and blank check-in forms are also kept in process memory (ids are not reused
    # across tests, but a flushed database may recreate the seeded instrument).
    cache.clear()
    process_caches_clear()
    yield
    cache.clear()
    process_caches_clear()


def process_caches_clear():
    from alliance.checkins import forms, pages, selectors

    selectors.instrument_items_forget()
    forms.checkin_fields_forget()
    pages.forget()


@pytest.fixture
def agency_a(db):
    return make_agency("agency-a", name="Agency A")


@pytest.fixture
def agency_b(db):
    return make_agency("agency-b", name="Agency B")


@pytest.fixture
def admin_a(agency_a):
    return make_member(agency_a, Role.ADMIN)


@pytest.fixture
def peer_a(agency_a):
    return make_member(agency_a, Role.PEER)


@pytest.fixture
def supervisor_a(agency_a):
    return make_member(agency_a, Role.SUPERVISOR)


@pytest.fixture
def admin_b(agency_b):
    return make_member(agency_b, Role.ADMIN)


@pytest.fixture
def nobody(db):
    return make_user()


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin_a_client(admin_a):
    return client_for(admin_a.user)


@pytest.fixture
def peer_a_client(peer_a):
    return client_for(peer_a.user)


@pytest.fixture
def admin_b_client(admin_b):
    return client_for(admin_b.user)


# The REST API -------------------------------------------------------------------------------


@pytest.fixture
def key_a(agency_a):
    return make_api_key(agency_a)


@pytest.fixture
def api_a(key_a):
    return api_client(key_a[1])


@pytest.fixture
def api_b(agency_b):
    return api_client(make_api_key(agency_b)[1])


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


def api_list_queries(api, url) -> int:
    with CaptureQueriesContext(connections["default"]) as captured:
        response = api.get(url, {"page_size": 50})
    assert response.status_code == 200
    return len(captured)
