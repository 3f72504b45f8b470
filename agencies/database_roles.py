"""The application's database role gets what it needs after every `migrate`, and no more.

Migrations run as the maintenance role, which owns the tables. The application role
(settings.RAPPORT_DATABASE_APP_ROLE, without SUPERUSER or BYPASSRLS) may read and write rows,
under row-level security; it cannot change the schema, turn the policies off or TRUNCATE.
Granted after every migrate, so a new table is never out of the application's reach."""

from django.conf import settings
from django.db import connections

GRANTS = (
    "GRANT USAGE ON SCHEMA public TO {role}",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
    "GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {role}",
)


def app_role_grant(*, using: str = "default", extra: tuple[str, ...] = ()) -> bool:
    """Grant the application role its rights, if that role exists and is not the one
    migrating. Returns whether it granted anything. `extra` adds statements (the test suite
    adds TRUNCATE, which its own clean-up needs)."""
    role = settings.RAPPORT_DATABASE_APP_ROLE
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user <> %s AND EXISTS (SELECT FROM pg_roles WHERE rolname = %s)",
            [role, role],
        )
        if not cursor.fetchone()[0]:
            return False
        quoted = connection.ops.quote_name(role)
        for statement in (*GRANTS, *extra):
            cursor.execute(statement.format(role=quoted))
    return True


def after_migrate(sender, using, **kwargs) -> None:
    app_role_grant(using=using)
