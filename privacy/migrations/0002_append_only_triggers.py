"""PostgreSQL triggers that make the audit trail, consent records and destruction evidence
append-only for every client of the database, the application's own connection included
(LOG-04, PDN-01, PDN-04): UPDATE is refused; DELETE is refused for rows younger than three years
(privacy.models.EVIDENCE_RETENTION), so only their own retention job can remove them.
The error is SQLSTATE 42501 (insufficient_privilege): Django raises ProgrammingError.
SQLite (laptop, unit tests) has no such guard; the models refuse instead."""
from django.db import migrations

TABLES = ("privacy_auditevent", "privacy_consentrecord", "privacy_destructionevidence")

FUNCTION = """
CREATE OR REPLACE FUNCTION privacy_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.created_at > now() - interval '1096 days' THEN
        RAISE EXCEPTION '% rows are kept three years', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN OLD;
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION privacy_append_only();")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
    schema_editor.execute("DROP FUNCTION IF EXISTS privacy_append_only();")


class Migration(migrations.Migration):
    dependencies = [("privacy", "0001_audit_consent_retention")]

    operations = [migrations.RunPython(forwards, backwards)]
