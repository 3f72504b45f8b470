"""Tenancy: the one mechanism through which tenant data is reached.

Every tenant-owned model inherits `TenantModel`: a non-null `agency` foreign key and a
django-scopes manager. Querying such a model works only inside `agency_scope(agency)`, and the
query is then filtered to that agency automatically; with no scope active, evaluating the query
raises `ScopeError` (in tests and in production alike: it fails closed).

Who opens the scope:
- pages under /a/<agency_slug>/: `agencies.middleware.AgencyMiddleware`, once per request;
- token links (invitations, later portal and check-in links): `find_by_token`, which looks the
  token up across agencies and hands back the row, whose agency the caller then scopes to;
- Celery tasks: they receive the agency id and open `agency_scope(agency_id)` themselves;
- Django admin (platform admins only): `agencies.admin.PlatformAdminSite`.

A deliberate bypass is spelled `scopes_disabled()`; grep for it to review every one.
"""

from contextlib import contextmanager

from django.db import models
from django_scopes import ScopedManager, ScopeError, get_scope, scope
from django_scopes import scopes_disabled as _scopes_disabled

from . import row_level_security
from .tokens import token_hash

__all__ = [
    "ScopeError",
    "TenantModel",
    "agency_scope",
    "current_agency_id",
    "find_by_token",
    "scopes_disabled",
]


class TenantModel(models.Model):
    """Base of every tenant-owned table. Unique constraints of subclasses include `agency`."""

    agency = models.ForeignKey(
        "agencies.Agency",
        on_delete=models.PROTECT,
        related_name="%(class)s_set",
        related_query_name="%(class)s",
    )

    objects = ScopedManager(agency="agency")

    class Meta:
        abstract = True


@contextmanager
def agency_scope(agency):
    """Make queries on tenant models see only `agency` (an Agency or its id) while inside."""
    agency_id = getattr(agency, "pk", agency)
    if agency_id is None:
        raise ScopeError("agency_scope() needs an agency; None would mean 'every agency'.")
    with scope(agency=agency_id), row_level_security.following_scope():
        yield


@contextmanager
def scopes_disabled():
    """The named bypass: tenant queries see every agency while inside (the ORM scope and
    PostgreSQL's row-level security alike). Review every use."""
    with _scopes_disabled(), row_level_security.following_scope():
        yield


def current_agency_id() -> int | None:
    """The id of the agency in scope, or None outside any scope."""
    return get_scope().get("agency")


def find_by_token(
    model: type[TenantModel], raw_token: str, *, shape=None, field: str = "token_hash"
):
    """The row of `model` whose `token_hash` matches `raw_token`, from any agency, or None.

    This is the sanctioned way for a link without a login to find its agency: the token is the
    credential. `field` names the hash column; `shape`, if given, receives the queryset (to add
    select_related or annotations) and runs inside the same unscoped block. Callers then work
    inside `agency_scope(row.agency_id)`.
    """
    if not raw_token or len(raw_token) > 128:
        return None
    with scopes_disabled():
        rows = model.objects.filter(**{field: token_hash(raw_token)})
        if shape is not None:
            rows = shape(rows)
        return rows.first()
