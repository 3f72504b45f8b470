"""The audit trail is append-only in the database itself: a trigger refuses every UPDATE and
DELETE of agencies_auditevent, whoever asks (the application's role included)."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION rapport_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_event_append_only
    BEFORE UPDATE OR DELETE ON agencies_auditevent
    FOR EACH ROW EXECUTE FUNCTION rapport_audit_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS audit_event_append_only ON agencies_auditevent;
DROP FUNCTION IF EXISTS rapport_audit_append_only();
"""


def forwards(apps, schema_editor):
    schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("agencies", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
