"""The scoping mechanism itself: what a query sees, and that an unscoped query fails."""

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import Value

from agencies.models import Agency, Membership, Role
from agencies.tenancy import ScopeError, TenantModel, TokenLookup, agency_scope, find_by_token
from alliance.checkins import services
from alliance.checkins.models import CheckInRequest, CheckInResponse
from tests.factories import make_invitation, make_member, make_participant

pytestmark = pytest.mark.django_db


def tenant_models():
    return [m for m in apps.get_models() if issubclass(m, TenantModel)]


def test_query_on_a_tenant_model_without_an_agency_raises(agency_a):
    make_member(agency_a)
    with pytest.raises(ScopeError):
        list(Membership.objects.all())
    with pytest.raises(ScopeError):
        Membership.objects.filter(role=Role.PEER).count()


def test_scope_of_one_agency_hides_the_other_agencys_rows(agency_a, agency_b):
    mine = make_member(agency_a)
    theirs = make_member(agency_b)
    with agency_scope(agency_a):
        assert list(Membership.objects.all()) == [mine]
        with pytest.raises(Membership.DoesNotExist):
            Membership.objects.get(pk=theirs.pk)
    with agency_scope(agency_b.pk):  # an id works as well as an Agency
        assert list(Membership.objects.values_list("pk", flat=True)) == [theirs.pk]


def test_scope_needs_an_agency():
    with pytest.raises(ScopeError), agency_scope(None):
        pass


def test_token_lookup_finds_the_row_in_any_agency_and_nothing_else(agency_b):
    invitation, raw = make_invitation(agency_b)
    assert find_by_token(type(invitation), raw) == invitation
    assert find_by_token(type(invitation), raw + "x") is None
    assert find_by_token(type(invitation), "") is None
    assert find_by_token(type(invitation), "x" * 500) is None


def _checkin_link(agency):
    participant = make_participant(agency, preferred_name="Sam")
    with agency_scope(agency):
        checkin, raw = services.checkin_request_create(
            participant=participant, channel="link", created_by=None
        )
    return checkin, raw


def test_a_token_lookup_finds_the_row_of_any_agency_with_the_fields_it_names(
    agency_a, agency_b, django_assert_num_queries
):
    lookup = TokenLookup(
        CheckInRequest,
        name="test_lookup",
        fields=["agency_id", "expires_at"],
        related={"participant": ["preferred_name"], "agency": ["default_language"]},
        annotate={"twice": lambda: Value(2)},
    )
    mine, raw = _checkin_link(agency_b)
    lookup(raw)  # the first call also writes the query
    with django_assert_num_queries(1):
        found = lookup(raw)
        assert (found.pk, found.agency_id, found.expires_at) == (
            mine.pk,
            agency_b.pk,
            mine.expires_at,
        )
        assert found.participant.preferred_name == "Sam"
        assert found.agency.default_language == agency_b.default_language
        assert found.twice == 2
    assert lookup(raw + "x") is None
    assert lookup("") is None and lookup("x" * 500) is None


def test_a_token_lookup_refuses_a_field_it_would_read_wrongly(agency_a):
    """Values are taken as the driver gives them, so a field that converts them (JSON) is
    refused rather than read raw."""
    _checkin, raw = _checkin_link(agency_a)
    with pytest.raises(ImproperlyConfigured, match="not plain"):
        TokenLookup(CheckInResponse, name="test_refused", fields=["answers"], field="id")(raw)


def test_every_table_that_points_at_an_agency_is_a_tenant_model():
    escaped = [
        m.__name__
        for m in apps.get_models()
        if not issubclass(m, TenantModel)
        and any(
            isinstance(f, models.ForeignKey) and f.related_model is Agency
            for f in m._meta.get_fields()
        )
    ]
    assert escaped == []


@pytest.mark.parametrize("model", tenant_models(), ids=lambda m: m.__name__)
def test_tenant_tables_have_a_required_agency_in_every_unique_constraint(model):
    agency_field = model._meta.get_field("agency")
    assert not agency_field.null
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint):
            assert "agency" in constraint.fields, constraint.name
    single_unique = [f.name for f in model._meta.local_fields if f.unique and not f.primary_key]
    assert single_unique == [], "unique=True cannot include agency; use a UniqueConstraint"
    for together in model._meta.unique_together:
        assert "agency" in together


def test_scope_is_closed_after_a_request(admin_a_client, agency_a):
    assert admin_a_client.get(f"/a/{agency_a.slug}/").status_code == 200
    with pytest.raises(ScopeError):
        list(Membership.objects.all())


def test_the_audit_trail_refuses_updates_and_deletes_in_the_database(
    agency_a, admin_a_client, peer_a
):
    from django.db import DatabaseError, connection, transaction

    from agencies.models import AuditEvent

    admin_a_client.post(f"/a/agency-a/staff/{peer_a.pk}/", {"role": "supervisor"})
    with agency_scope(agency_a):
        event = AuditEvent.objects.get(action="membership.role_changed")
    for statement in (
        "UPDATE agencies_auditevent SET action = 'nothing' WHERE id = %s",
        "DELETE FROM agencies_auditevent WHERE id = %s",
    ):
        # In the event's own agency, where row-level security lets the application role see it.
        with agency_scope(agency_a), pytest.raises(DatabaseError, match="append-only"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(statement, [event.pk])
    with agency_scope(agency_a):
        assert AuditEvent.objects.get(pk=event.pk).action == "membership.role_changed"


@pytest.mark.parametrize("bypass", ["with_scopes_disabled", "with_scope"])
def test_a_per_query_scope_bypass_is_refused(bypass):
    """django-scopes' per-query bypasses would move the ORM filter but not row-level security
    (which follows the running code's scope): the tenant manager refuses them."""
    from participants.models import Participant

    method = getattr(Participant.objects, bypass)
    with pytest.raises(ScopeError, match="moves row-level security too"):
        method() if bypass == "with_scopes_disabled" else method(agency=1)
