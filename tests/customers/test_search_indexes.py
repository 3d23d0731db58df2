"""On PostgreSQL, name searches are served by the trigram and prefix indexes."""

from __future__ import annotations

import pytest
from django.db import connection

from bankcrm.customers.selectors import CustomerFilters, customer_search_queryset
from tests.conftest import on_postgres

pytestmark = pytest.mark.skipif(not on_postgres(), reason="PostgreSQL indexes")


def _plan(qs) -> str:
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("EXPLAIN " + sql, params)
        return "\n".join(r[0] for r in cur.fetchall())


def test_any_part_of_a_name_uses_the_trigram_index(bank):
    qs = customer_search_queryset(user=bank.admin, filters=CustomerFilters(q="秀英张"))
    assert "customer_name_zh_trgm" in _plan(qs)


def test_short_name_prefix_uses_the_prefix_index(bank):
    qs = customer_search_queryset(user=bank.admin, filters=CustomerFilters(q="张"))
    plan = _plan(qs)
    assert "customer_name_zh_prefix" in plan or "customer_name_zh" in plan


def test_chinese_trigrams_are_extracted(bank):
    # pg_trgm only indexes characters the database locale calls alphanumeric.
    with connection.cursor() as cur:
        cur.execute("SELECT show_trgm('张秀英')")
        assert len(cur.fetchone()[0]) >= 3
