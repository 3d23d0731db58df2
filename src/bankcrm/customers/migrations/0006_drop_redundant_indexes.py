"""Drop indexes of customers that other indexes already provide: each costs every imported or
edited customer a write.

The branch and RM foreign keys lead (branch, customer_no) and (rm, customer_no), which serve
the same lookups. On PostgreSQL Django also made a varchar_pattern_ops copy of each indexed
text column for LIKE: customer numbers, mobiles and ID last digits are only ever looked up
whole, and Chinese names by prefix have customer_name_zh_prefix (0002); the plain indexes
stay, and so does the one on name_zh, which sorts the customer list by name.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# name → (table, column), as Django named them when it created the table on PostgreSQL.
PATTERN_INDEXES = {
    "customers_customer_customer_no_25ba515f_like": ("customers_customer", "customer_no"),
    "customers_customer_name_zh_ae55a0be_like": ("customers_customer", "name_zh"),
    "customers_customer_mobile_3e954b30_like": ("customers_customer", "mobile"),
    "customers_customer_id_last4_535f79df_like": ("customers_customer", "id_last4"),
}


def drop_pattern_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in PATTERN_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


def create_pattern_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (table, column) in PATTERN_INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({column} varchar_pattern_ops)"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0005_customer_version"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="customer",
            name="branch",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="customers",
                to="core.branch",
                verbose_name="branch",
            ),
        ),
        migrations.AlterField(
            model_name="customer",
            name="rm",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="customers",
                to=settings.AUTH_USER_MODEL,
                verbose_name="relationship manager",
            ),
        ),
        migrations.RunPython(drop_pattern_indexes, create_pattern_indexes),
    ]
