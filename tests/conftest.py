"""Fixtures modelled on two agencies and three kinds of user: a member of agency A, a member
of agency B (the 'other agency'), and somebody with no agency at all."""

import pytest
from django.core.cache import cache
from django.test import Client

from agencies.models import Role

from .factories import make_agency, make_member, make_user

pytest_plugins = ["tests.celery_worker"]  # real worker fixtures: worker_queue, celery_worker_queue


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
    from alliance import forms, selectors

    selectors.instrument_items_forget()
    forms.checkin_fields_forget()


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
