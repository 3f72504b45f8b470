"""Migration operations every app with tenant tables uses (the core knows no app's tables).

`RowLevelSecurity("<app label>")` turns on PostgreSQL row-level security for each tenant table
of that app, as the app's migrations define it at that point: a row is visible (and may be
written) only when its agency is the connection's `rapport.agency`, or when
`rapport.all_agencies` is on (agencies/row_level_security.py sets both). FORCE applies the
policy to the tables' owner too; only roles with BYPASSRLS (or superusers: the maintenance
path) skip it. An app that adds a tenant table later adds this operation again after it
(tests/test_row_level_security.py checks every tenant table has the policy)."""

from django.db import migrations

POLICY = "rapport_agency_isolation"


def _tenant_tables(apps, app_label: str) -> list[str]:
    tables = []
    for model in apps.get_app_config(app_label).get_models():
        field = next((f for f in model._meta.local_fields if f.name == "agency"), None)
        if field is not None and field.related_model._meta.label == "agencies.Agency":
            tables.append(model._meta.db_table)
    return sorted(tables)


def RowLevelSecurity(app_label: str) -> migrations.RunPython:  # noqa: N802 (reads as an operation)
    def forwards(apps, schema_editor):
        for table in _tenant_tables(apps, app_label):
            schema_editor.execute(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY', params=None)
            schema_editor.execute(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY', params=None)
            schema_editor.execute(f'DROP POLICY IF EXISTS {POLICY} ON "{table}"', params=None)
            schema_editor.execute(
                f'CREATE POLICY {POLICY} ON "{table}" '
                "USING (rapport_agency_visible(agency_id)) "
                "WITH CHECK (rapport_agency_visible(agency_id))",
                params=None,
            )

    def backwards(apps, schema_editor):
        for table in _tenant_tables(apps, app_label):
            schema_editor.execute(f'DROP POLICY IF EXISTS {POLICY} ON "{table}"', params=None)
            schema_editor.execute(f'ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY', params=None)
            schema_editor.execute(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY', params=None)

    return migrations.RunPython(forwards, backwards)
