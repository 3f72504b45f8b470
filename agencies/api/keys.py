"""Writes for API keys. The raw key is returned once and never stored (only its SHA-256)."""

from collections.abc import Iterable
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from agencies.api.resources import API_RESOURCES
from agencies.models import Agency, ApiKey, User
from agencies.services import audit_record
from agencies.tenancy import agency_scope, find_by_token
from agencies.tokens import token_hash, token_new

KEY_PREFIX = "rk_"
LAST_USED_RESOLUTION = timedelta(minutes=1)  # last_used_at is written at most once a minute


@transaction.atomic
def api_key_create(
    *,
    agency: Agency,
    name: str,
    created_by: User | None,
    access: str = ApiKey.Access.READ,
    resources: Iterable[str] = (),
) -> tuple[ApiKey, str]:
    """Create a key for `agency`, read-only unless `access` says read-write, for `resources`
    (names from API_RESOURCES; none: every resource). Returns (key, raw key): show the raw key
    once, then forget it."""
    unknown = [name for name in resources if name not in API_RESOURCES]
    if unknown or access not in ApiKey.Access.values:
        raise ValueError(f"Unknown access {access!r} or resources {unknown}.")
    resources = [name for name in API_RESOURCES if name in set(resources)]  # listed order
    raw, _hashed = token_new()
    raw = KEY_PREFIX + raw
    with agency_scope(agency):
        key = ApiKey.objects.create(
            agency=agency,
            name=name.strip(),
            prefix=raw[:10],
            token_hash=token_hash(raw),
            created_by=created_by,
            access=access,
            resources=resources,
        )
        audit_record(agency=agency, actor=created_by, action="api_key.created", target=key)
    return key, raw


@transaction.atomic
def api_key_revoke(*, key: ApiKey, revoked_by: User | None) -> bool:
    with agency_scope(key.agency_id):
        revoked = ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if revoked:
            audit_record(
                agency=key.agency,
                actor=revoked_by,
                action="api_key.revoked",
                target=key,
            )
    return bool(revoked)


def api_key_find(raw: str) -> ApiKey | None:
    """The active key of an active agency matching `raw`, or None."""
    if not raw.startswith(KEY_PREFIX):
        return None
    key = find_by_token(ApiKey, raw, shape=lambda rows: rows.select_related("agency"))
    if key is None or key.revoked_at is not None or not key.agency.is_active:
        return None
    return key


def api_key_touch(key: ApiKey) -> None:
    """Record that the key was used (at most one write a minute per key)."""
    now = timezone.now()
    if key.last_used_at and now - key.last_used_at < LAST_USED_RESOLUTION:
        return
    with agency_scope(key.agency_id):
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    key.last_used_at = now
