"""Encrypt the ID numbers and mobiles stored before 0007, and compute their keyed hashes."""

from django.db import migrations


def forwards(apps, schema_editor):
    from bankcrm.customers.encryption import reseal

    reseal(reindex=True)


def backwards(apps, schema_editor):
    from bankcrm.customers.encryption import reseal

    reseal(decrypt_only=True)


class Migration(migrations.Migration):
    # Batch by batch, each its own transaction (a large table is not one long transaction).
    atomic = False
    dependencies = [("customers", "0007_encrypt_identifiers")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
