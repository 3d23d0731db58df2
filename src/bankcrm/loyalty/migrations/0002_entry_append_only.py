"""The points ledger is append-only: on PostgreSQL a trigger refuses UPDATE, DELETE and
TRUNCATE of an entry, as core's refuses them for the audit trail. TRUNCATE passes only when the
session sets bankcrm.allow_truncate (the test harness, to reset its database)."""

from django.db import migrations

GUARD = """
CREATE OR REPLACE FUNCTION loyalty_entry_guard() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    IF current_setting('bankcrm.allow_truncate', true) = 'on' THEN
      RETURN NULL;
    END IF;
    RAISE EXCEPTION 'points entries are append-only: TRUNCATE refused'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RAISE EXCEPTION 'points entries are append-only: % of entry % refused', TG_OP, OLD.id
    USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER loyalty_entry_append_only BEFORE UPDATE OR DELETE ON loyalty_entry
  FOR EACH ROW EXECUTE FUNCTION loyalty_entry_guard();
CREATE TRIGGER loyalty_entry_no_truncate BEFORE TRUNCATE ON loyalty_entry
  FOR EACH STATEMENT EXECUTE FUNCTION loyalty_entry_guard();
"""
UNGUARD = """
DROP TRIGGER IF EXISTS loyalty_entry_no_truncate ON loyalty_entry;
DROP TRIGGER IF EXISTS loyalty_entry_append_only ON loyalty_entry;
DROP FUNCTION IF EXISTS loyalty_entry_guard();
"""


def guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cur:
            cur.execute(GUARD)


def unguard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cur:
            cur.execute(UNGUARD)


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0001_initial")]

    operations = [migrations.RunPython(guard, unguard)]
