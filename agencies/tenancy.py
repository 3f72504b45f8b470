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

from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models
from django_scopes import ScopedManager, ScopeError, get_scope, scope
from django_scopes import scopes_disabled as _scopes_disabled

from agencies import row_level_security
from agencies.tokens import token_hash

__all__ = [
    "ScopeError",
    "TenantModel",
    "TokenLookup",
    "agency_scope",
    "current_agency_id",
    "find_by_token",
    "scopes_disabled",
]


def agency_key(*, db_index: bool = True) -> models.ForeignKey:
    """The tenant key every tenant table has. A table whose indexes all lead with `agency`
    may redeclare it with db_index=False (no index on agency alone)."""
    return models.ForeignKey(
        "agencies.Agency",
        on_delete=models.PROTECT,
        related_name="%(class)s_set",
        related_query_name="%(class)s",
        db_index=db_index,
    )


class TenantManager(type(ScopedManager(agency="agency"))):  # ScopedManager() gives an instance
    """django-scopes' manager without its per-query bypasses: `with_scope()` and
    `with_scopes_disabled()` change what the ORM filters but not what PostgreSQL's row-level
    security shows (that follows the scope of the running code), so the two walls would
    disagree. Use `agency_scope()` and `scopes_disabled()`, which move both."""

    def with_scope(self, **scope):
        raise ScopeError("Use `with agency_scope(agency):` (it moves row-level security too).")

    def with_scopes_disabled(self):
        raise ScopeError("Use `with scopes_disabled():` (it moves row-level security too).")


class TenantModel(models.Model):
    """Base of every tenant-owned table. Unique constraints of subclasses include `agency`."""

    agency = agency_key()

    objects = TenantManager()

    class Meta:
        abstract = True


@contextmanager
def agency_scope(agency):
    """Make queries on tenant models see only `agency` (an Agency or its id) while inside."""
    agency_id = getattr(agency, "pk", agency)
    if agency_id is None:
        raise ScopeError("agency_scope() needs an agency; None would mean 'every agency'.")
    with scope(agency=agency_id):
        yield


@contextmanager
def scopes_disabled():
    """The named bypass: tenant queries see every agency while inside (the ORM scope and
    PostgreSQL's row-level security alike, agencies/row_level_security.py). Review every use."""
    with _scopes_disabled():
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


class TokenLookup:
    """`find_by_token` for the busiest link (the check-in page, benchmark 1 in
    docs/benchmarks.md), where building the same query with the ORM on every request costs
    more than running it.

    The ORM writes the query once per process, from the fields named here; each lookup then
    runs that SQL with the token's hash as its only parameter (inside `scopes_disabled()`,
    like `find_by_token`) and builds the row with `Model.from_db`, its named relations
    attached the same way. Fields not named are deferred: reading one costs a query, so name
    what the caller reads. `annotate` maps names to functions returning expressions (a
    Subquery, say; built when the query is, inside the unscoped block), whose values are set
    as attributes. Only plain columns are allowed (no field that converts its database value).
    The query is planned once per connection, too, prepared under `name`
    (`row_level_security.fetchone_planned_once`).
    """

    PLACEHOLDER = "token-hash-placeholder"

    def __init__(
        self,
        model: type[TenantModel],
        *,
        name: str,
        fields: list[str],
        related: dict[str, list[str]] | None = None,
        annotate: dict | None = None,
        field: str = "token_hash",
    ):
        self.name = name  # what the statement is prepared as on each connection
        self.model, self.field = model, field
        self.fields = ["id", *fields]
        self.related = {name: ["id", *names] for name, names in (related or {}).items()}
        self.annotate = annotate or {}
        self._compiled: tuple[str, list, int] | None = None

    def _columns(self) -> list[str]:
        columns = list(self.fields)
        for relation, names in self.related.items():
            columns += [f"{relation}__{name}" for name in names]
        return columns + list(self.annotate)

    def _check_plain(self) -> None:
        targets = [(self.model, name) for name in self.fields] + [
            (self.model._meta.get_field(relation).related_model, name)
            for relation, names in self.related.items()
            for name in names
        ]
        for model, name in targets:
            if hasattr(model._meta.get_field(name), "from_db_value"):
                raise ImproperlyConfigured(f"TokenLookup: {model.__name__}.{name} is not plain")

    def _compile(self) -> tuple[str, list, int]:
        self._check_plain()
        with scopes_disabled():
            rows = self.model.objects.filter(**{self.field: self.PLACEHOLDER})
            expressions = {name: build() for name, build in self.annotate.items()}
            rows = rows.annotate(**expressions).order_by().values_list(*self._columns())[:1]
            sql, params = rows.query.sql_with_params()
        params = list(params)
        return sql, params, params.index(self.PLACEHOLDER)

    def __call__(self, raw_token: str):
        """The row for `raw_token`, from any agency, or None."""
        if not raw_token or len(raw_token) > 128:
            return None
        if self._compiled is None:
            self._compiled = self._compile()
        sql, params, position = self._compiled
        params = list(params)
        params[position] = token_hash(raw_token)
        with scopes_disabled():
            values = row_level_security.fetchone_planned_once(self.name, sql, params)
        if values is None:
            return None
        return self._build(list(values))

    def _build(self, values: list):
        db = connection.alias
        row = self.model.from_db(db, self.fields, values[: len(self.fields)])
        values = values[len(self.fields) :]
        for relation, names in self.related.items():
            related_model = self.model._meta.get_field(relation).related_model
            setattr(row, relation, related_model.from_db(db, names, values[: len(names)]))
            values = values[len(names) :]
        for name, value in zip(self.annotate, values, strict=True):
            setattr(row, name, value)
        return row
