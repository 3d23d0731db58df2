"""Trigram indexes for searching customer names by any part (PostgreSQL only; SQLite scans)."""

from django.db import migrations

INDEXES = [
    "CREATE INDEX IF NOT EXISTS customer_name_zh_trgm ON customers_customer "
    "USING gin (UPPER(name_zh::text) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS customer_name_en_trgm ON customers_customer "
    "USING gin (UPPER(name_en::text) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS customer_name_zh_prefix ON customers_customer "
    "(name_zh text_pattern_ops)",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for sql in INDEXES:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in ("customer_name_zh_trgm", "customer_name_en_trgm", "customer_name_zh_prefix"):
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
