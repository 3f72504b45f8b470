"""PostgreSQL row-level security on every tenant table (see agencies/row_level_security.py).

A row is visible (and may be written) only when its agency is the connection's
`rapport.agency`, or when `rapport.all_agencies` is on. FORCE applies the policy to the
tables' owner too; only roles with BYPASSRLS (or superusers: the maintenance path) skip it.
A later migration that adds a tenant table must add the same policy
(tests/test_row_level_security.py checks every tenant table)."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION rapport_agency_visible(row_agency bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT coalesce(current_setting('rapport.all_agencies', true), '') = 'on'
        OR row_agency = nullif(current_setting('rapport.agency', true), '')::bigint
$$;
"""


def tenant_tables(apps) -> list[str]:
    tables = []
    for model in apps.get_models():
        field = next((f for f in model._meta.local_fields if f.name == "agency"), None)
        if field is not None and field.related_model._meta.label == "agencies.Agency":
            tables.append(model._meta.db_table)
    return sorted(tables)


def forwards(apps, schema_editor):
    schema_editor.execute(FUNCTION, params=None)
    for table in tenant_tables(apps):
        schema_editor.execute(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY', params=None)
        schema_editor.execute(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY', params=None)
        schema_editor.execute(
            f'CREATE POLICY rapport_agency_isolation ON "{table}" '
            "USING (rapport_agency_visible(agency_id)) WITH CHECK (rapport_agency_visible(agency_id))",
            params=None,
        )


def backwards(apps, schema_editor):
    for table in tenant_tables(apps):
        schema_editor.execute(f'DROP POLICY IF EXISTS rapport_agency_isolation ON "{table}"', params=None)
        schema_editor.execute(f'ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY', params=None)
        schema_editor.execute(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY', params=None)
    schema_editor.execute("DROP FUNCTION IF EXISTS rapport_agency_visible(bigint)", params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("agencies", "0004_audit_append_only"),
        ("participants", "0003_portal_link_sent"),
        ("alliance", "0004_commitment_followup_token"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
