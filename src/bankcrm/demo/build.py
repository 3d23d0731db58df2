"""Building the demo bank in a database: the generated batches written straight to the tables.

The same config gives byte-identical rows in every table on an empty database: every primary
key, timestamp and password hash is computed by the generators, never by the database or the
ORM. Each chunk is written and dropped before the next, so memory stays bounded however large
the bank. Afterwards the dashboards' summaries are rebuilt by the insights app's own service.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models, transaction
from django.db.models import Max

from bankcrm.banking.models import Product
from bankcrm.core.models import Branch, User
from bankcrm.customers.models import Customer
from bankcrm.demo.generators.chunk import WRITTEN_MODELS, iter_bank
from bankcrm.demo.plan import (
    PASSWORD_SALT,
    BankPlan,
    BuildResult,
    DemoBankError,
    DemoConfig,
    demo_logins,
    plan_bank,
)
from bankcrm.demo.products import PRODUCTS
from bankcrm.demo.writer import TableWriter
from bankcrm.insights.services import dashboard_summaries_refresh

# Page cache of SQLite while building (KiB): index pages of big inserts stay in memory.
SQLITE_CACHE_KIB = 65_536
# How the build's counts name the dashboards' monthly AUM summary, whose rows
# `dashboard_summaries_refresh` returns.
DASHBOARD_SUMMARY = "insights_aummonthly"


def bank_exists(*, using: str = "default") -> bool:
    return Customer.objects.using(using).exists()


def flush_database(*, using: str = "default") -> None:
    """Empty every table (Django's `flush`), so that a rebuilt bank is byte-identical."""
    call_command("flush", interactive=False, verbosity=0, database=using)


def _id_bases(using: str) -> dict[type[models.Model], int]:
    bases = {}
    for model in WRITTEN_MODELS:
        pk = model._meta.pk
        assert pk is not None
        bases[model] = int(model._default_manager.using(using).aggregate(m=Max(pk.name))["m"] or 0)
    return bases


def _check_free(*, plan: BankPlan, using: str) -> None:
    clashes = []
    codes = [b.code for b in plan.branches]
    if Branch.objects.using(using).filter(code__in=codes).exists():
        clashes.append("branch codes")
    if User.objects.using(using).filter(username__in=[s.username for s in plan.staff]).exists():
        clashes.append("staff usernames")
    if Product.objects.using(using).filter(code__in=[p.code for p in PRODUCTS]).exists():
        clashes.append("product codes")
    if clashes:
        raise DemoBankError(
            f"The database already holds demo {', '.join(clashes)}; rebuild with --flush."
        )


# Tables that grow with the customers. For the load, their plain indexes (and on PostgreSQL
# their foreign keys) are dropped and then rebuilt in one pass each, as pg_restore does: far
# cheaper than maintaining them row by row, and PostgreSQL need not queue a deferred foreign-key
# check per row until commit. The definitions are read from the live schema, so whatever the
# migrations say is restored exactly; DDL is transactional, so a failure restores everything.
BULK_MODELS: tuple[type[models.Model], ...] = WRITTEN_MODELS[3:]


def _drop_postgresql(cursor: Any, tables: list[str]) -> list[str]:
    cursor.execute(
        "SELECT c.conrelid::regclass::text, quote_ident(c.conname), "
        "pg_get_constraintdef(c.oid) FROM pg_constraint c "
        "WHERE c.contype = 'f' AND c.conrelid = ANY(%s::regclass[]) ORDER BY 1, 2",
        [tables],
    )
    foreign_keys = cursor.fetchall()
    cursor.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
        "FROM pg_index i WHERE i.indrelid = ANY(%s::regclass[]) "
        "AND NOT i.indisprimary AND NOT i.indisunique AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) ORDER BY 1",
        [tables],
    )
    indexes = cursor.fetchall()
    for table, name, _definition in foreign_keys:
        cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
    for name, _definition in indexes:
        cursor.execute(f"DROP INDEX {name}")
    restore = [sql for _name, sql in indexes]
    restore += [f"ALTER TABLE {t} ADD CONSTRAINT {n} {d}" for t, n, d in foreign_keys]
    return restore


def _drop_sqlite(cursor: Any, tables: list[str], quote: Callable[[str], str]) -> list[str]:
    cursor.execute(
        "SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'index' "
        "AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%%' ORDER BY name"
    )
    indexes = [(name, sql) for table, name, sql in cursor.fetchall() if table in tables]
    for name, _sql in indexes:
        cursor.execute(f"DROP INDEX {quote(name)}")
    return [sql for _name, sql in indexes]


def _drop_for_load(*, using: str, models_: Sequence[type[models.Model]]) -> list[str]:
    """Drop the tables' plain indexes (and PostgreSQL foreign keys); return SQL restoring them."""
    connection = connections[using]
    tables = [m._meta.db_table for m in models_]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            return _drop_postgresql(cursor, tables)
        if connection.vendor == "sqlite":
            return _drop_sqlite(cursor, tables, connection.ops.quote_name)
    return []


@contextmanager
def _bulk_load(using: str) -> Iterator[None]:
    """Inside the caller's transaction: more memory for the load (a large SQLite page cache,
    PostgreSQL maintenance memory) and the bulk tables' plain indexes dropped; both restored
    once the body has written the rows."""
    connection = connections[using]
    cache_size = None
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA cache_size")
            cache_size = cursor.fetchone()[0]
            # A large page cache keeps the pages of big inserts in memory.
            cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        elif connection.vendor == "postgresql":
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
    try:
        with transaction.atomic(using=using):
            restore = _drop_for_load(using=using, models_=BULK_MODELS)
    except DatabaseError:
        restore = []  # e.g. not the tables' owner: load with the indexes in place
    yield
    with connection.cursor() as cursor:
        for sql in restore:
            cursor.execute(sql)
        if cache_size is not None:
            cursor.execute(f"PRAGMA cache_size = {int(cache_size)}")


def _write_bank(
    *,
    plan: BankPlan,
    password_hash: str,
    using: str,
    on_progress: Callable[[int], None] | None,
) -> dict[str, int]:
    """Generate and write every batch; rows written per table."""
    writer = TableWriter(using)
    counts: dict[str, int] = {m._meta.db_table: 0 for m in WRITTEN_MODELS}
    for done, batches in iter_bank(plan=plan, password_hash=password_hash):
        for batch in batches:
            counts[batch.model._meta.db_table] += writer.write(batch)
        if on_progress is not None and done:
            on_progress(done)
    return counts


def _reset_sequences(using: str) -> None:
    """Point the id sequences past the written rows, so the ORM's next rows get fresh ids."""
    connection = connections[using]
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), list(WRITTEN_MODELS)):
            cursor.execute(sql)


def _analyze(using: str) -> None:
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in WRITTEN_MODELS:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def build_demo_bank(
    *, config: DemoConfig, using: str = "default", on_progress: Callable[[int], None] | None = None
) -> BuildResult:
    """Generate the bank described by `config` and write it to the `using` database.

    The database must hold no customers. Ids continue after any existing rows, so on an empty
    database the rows are exactly the same for the same config.
    """
    started = time.perf_counter()
    if bank_exists(using=using):
        raise DemoBankError("The database already holds customers.")
    plan = plan_bank(config=config, bases=_id_bases(using))
    _check_free(plan=plan, using=using)
    password_hash = make_password(config.password, salt=PASSWORD_SALT)
    with transaction.atomic(using=using):
        with _bulk_load(using):
            counts = _write_bank(
                plan=plan, password_hash=password_hash, using=using, on_progress=on_progress
            )
        _reset_sequences(using)
        # The dashboards read summaries that insights rebuilds after every load of balances
        # (its service works on the default database only).
        if using == DEFAULT_DB_ALIAS:
            counts[DASHBOARD_SUMMARY] = dashboard_summaries_refresh()
    _analyze(using)
    return BuildResult(
        counts=counts, logins=demo_logins(plan=plan), seconds=time.perf_counter() - started
    )
