"""On PostgreSQL, the tables imports write have no index that another already provides (each
costs every imported row a write), and lookups by foreign key still find an index."""

from __future__ import annotations

import pytest
from django.db import connection

from bankcrm.banking.models import Account, BalanceSnapshot, Transaction
from bankcrm.core.crypto import blind_index
from bankcrm.core.models import AuditEvent
from bankcrm.customers.models import Customer
from tests.conftest import on_postgres

pytestmark = [
    pytest.mark.skipif(not on_postgres(), reason="PostgreSQL indexes"),
    pytest.mark.django_db,
]

TABLES = [Transaction, BalanceSnapshot, Account, Customer, AuditEvent]


def _indexes(model) -> dict[str, list[str]]:
    with connection.cursor() as cur:
        found = connection.introspection.get_constraints(cur, model._meta.db_table)
    # Expression indexes (the trigram ones) list no columns.
    return {name: c["columns"] for name, c in found.items() if c["index"] and c["columns"]}


def _plan(qs) -> str:
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("EXPLAIN " + sql, params)
        return "\n".join(r[0] for r in cur.fetchall())


@pytest.mark.parametrize("model", TABLES, ids=lambda m: m._meta.db_table)
def test_no_index_is_the_leading_part_of_another(model):
    indexes = _indexes(model)
    for name, columns in indexes.items():
        longer = [
            other
            for other, cols in indexes.items()
            if len(cols) > len(columns) and cols[: len(columns)] == columns
        ]
        assert not longer, (name, longer)


@pytest.mark.parametrize("model", TABLES, ids=lambda m: m._meta.db_table)
def test_no_pattern_index_on_columns_nothing_searches_by_pattern(model):
    assert not [name for name in _indexes(model) if name.endswith("_like")]


LOOKUPS = [
    (Transaction, {"account_id": 1}, "txn_account_booked"),
    (Transaction, {"customer_id": 1}, "txn_customer_booked"),
    (Transaction, {"txn_id": "T1"}, "banking_transaction_txn_id_"),
    (BalanceSnapshot, {"account_id": 1}, "snapshot_account_month"),
    (BalanceSnapshot, {"customer_id": 1}, "snapshot_customer_month"),
    (Customer, {"branch_id": 1}, "customer_branch_no"),
    (AuditEvent, {"actor_id": 1}, "audit_actor_at"),
    (Customer, {"rm_id": 1}, "customer_rm_no"),
    (Customer, {"mobile_hash": blind_index("13812345678", "mobile")}, "customer_mobile_hash"),
    (Customer, {"mobile_last4": "5678"}, "customer_mobile_last4"),
    # A partial customer number is a range on the number's unique index.
    (
        Customer,
        {"customer_no__gte": "C00002", "customer_no__lt": "C00003"},
        "customers_customer_customer_no",
    ),
    (
        Customer,
        {"id_number_hash": blind_index("11010119900307123X", "id_number")},
        "customer_id_hash",
    ),
]


@pytest.mark.parametrize(("model", "lookup", "index"), LOOKUPS, ids=[i for *_, i in LOOKUPS])
def test_lookups_still_use_an_index(model, lookup, index):
    assert index in _plan(model.objects.filter(**lookup))
