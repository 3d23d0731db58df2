"""Drop indexes that other indexes already provide: each costs every imported row a write.

The foreign keys of transactions and monthly balances lead composite indexes — (account,
booked_at), (customer, booked_at), (account, month), (customer, month) — which serve the same
lookups. On PostgreSQL Django also made a varchar_pattern_ops copy of each unique text key for
LIKE; nothing searches transaction ids or account numbers by pattern, so those go too (other
databases have no such index).
"""

import django.db.models.deletion
from django.db import migrations, models

# name → (table, column), as Django named them when it created the tables on PostgreSQL.
PATTERN_INDEXES = {
    "banking_transaction_txn_id_373c6ec5_like": ("banking_transaction", "txn_id"),
    "banking_account_account_no_3091e4ba_like": ("banking_account", "account_no"),
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
        ("banking", "0002_initial"),
        ("customers", "0004_duplicate_dismissal"),
    ]

    operations = [
        migrations.AlterField(
            model_name="balancesnapshot",
            name="account",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="snapshots",
                to="banking.account",
            ),
        ),
        migrations.AlterField(
            model_name="balancesnapshot",
            name="customer",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="customers.customer",
            ),
        ),
        migrations.AlterField(
            model_name="transaction",
            name="account",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="transactions",
                to="banking.account",
            ),
        ),
        migrations.AlterField(
            model_name="transaction",
            name="customer",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="transactions",
                to="customers.customer",
            ),
        ),
        migrations.RunPython(drop_pattern_indexes, create_pattern_indexes),
    ]
