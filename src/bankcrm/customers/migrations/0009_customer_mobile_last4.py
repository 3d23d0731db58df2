"""The last 4 digits of each customer's mobile, kept in clear beside the encrypted number so
that a search for "the number ending 5678" is an indexed lookup."""

from django.db import migrations, models


def fill(apps, schema_editor):
    Customer = apps.get_model("customers", "Customer")
    batch = []
    # The historical model's mobile field decrypts as it reads (core.crypto's field class).
    for c in Customer.objects.exclude(mobile="").only("pk", "mobile").iterator(chunk_size=2000):
        c.mobile_last4 = (c.mobile or "")[-4:]
        batch.append(c)
        if len(batch) >= 2000:
            Customer.objects.bulk_update(batch, ["mobile_last4"])
            batch = []
    if batch:
        Customer.objects.bulk_update(batch, ["mobile_last4"])


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0008_encrypt_existing_values"),
    ]

    operations = [
        migrations.AddField(
            model_name="customer",
            name="mobile_last4",
            field=models.CharField(blank=True, max_length=4, verbose_name="last 4 of mobile"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        # A plain b-tree: nothing searches it by pattern (no _like index on PostgreSQL).
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["mobile_last4"], name="customer_mobile_last4"),
        ),
    ]
