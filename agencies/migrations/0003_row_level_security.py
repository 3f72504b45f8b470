"""PostgreSQL row-level security: the visibility function every tenant table's policy calls,
and the policies on this app's tenant tables (agencies/migration_operations.py)."""

from django.db import migrations

from agencies.migration_operations import RowLevelSecurity

FUNCTION = """
CREATE OR REPLACE FUNCTION rapport_agency_visible(row_agency bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT coalesce(current_setting('rapport.all_agencies', true), '') = 'on'
        OR row_agency = nullif(current_setting('rapport.agency', true), '')::bigint
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("agencies", "0002_audit_append_only")]

    operations = [
        migrations.RunSQL(FUNCTION, "DROP FUNCTION IF EXISTS rapport_agency_visible(bigint)"),
        RowLevelSecurity("agencies"),
    ]
