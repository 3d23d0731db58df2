"""The demo bank through the importer is the same bank as the one written directly."""

from __future__ import annotations

import datetime as dt

import pytest

from bankcrm.banking.models import Account, BalanceSnapshot, Transaction
from bankcrm.core.models import Branch, User
from bankcrm.customers.models import ConsentEvent, Customer, GroupMembership, RmAssignment
from bankcrm.demo.build import build_demo_bank, flush_database
from bankcrm.demo.exports import load_demo_bank
from bankcrm.demo.models import CustomerTruth
from bankcrm.demo.plan import DemoConfig
from bankcrm.ingest.models import ImportRun, ImportStatus
from bankcrm.interactions.models import Interaction, Task

CONFIG = DemoConfig(customers=400, seed=11, months=12, as_of=dt.date(2025, 12, 31))
CUSTOMER_FIELDS = [
    f.attname
    for f in Customer._meta.concrete_fields
    if f.attname not in {"id", "created_at", "updated_at", "branch_id", "rm_id"}
]


def bank_fingerprint() -> dict[str, list[tuple]]:
    truth = {t.customer_id: (t.path, t.left_on) for t in CustomerTruth.objects.all()}
    return {
        "branches": sorted(Branch.objects.values_list("code", "name_zh", "city", "parent__code")),
        "staff": sorted(
            User.objects.values_list("username", "role", "branch__code", "password", "is_superuser")
        ),
        "customers": sorted(
            Customer.objects.values_list(*CUSTOMER_FIELDS, "branch__code", "rm__username")
        ),
        "truth": sorted(
            (c.customer_no, *truth[c.pk]) for c in Customer.objects.only("customer_no")
        ),
        "accounts": sorted(
            Account.objects.values_list(
                "account_no",
                "customer__customer_no",
                "product__code",
                "branch__code",
                "balance",
                "status",
                "opened_on",
                "closed_on",
            )
        ),
        "balances": sorted(
            BalanceSnapshot.objects.values_list(
                "account__account_no", "customer__customer_no", "month", "balance", "counts_to_aum"
            )
        ),
        "transactions": sorted(
            Transaction.objects.values_list(
                "txn_id",
                "account__account_no",
                "customer__customer_no",
                "booked_at",
                "amount",
                "direction",
                "txn_type",
                "counterparty_category",
                "channel",
                "description",
            )
        ),
        "consents": sorted(
            ConsentEvent.objects.values_list(
                "customer__customer_no",
                "purpose",
                "channel",
                "granted",
                "source",
                "recorded_at",
                "recorded_by__username",
            )
        ),
        "memberships": sorted(
            GroupMembership.objects.values_list(
                "group__name", "group__kind", "customer__customer_no", "role"
            )
        ),
        "interactions": sorted(
            Interaction.objects.values_list(
                "customer__customer_no",
                "staff__username",
                "kind",
                "occurred_at",
                "subject",
                "notes",
            )
        ),
        "tasks": sorted(
            Task.objects.values_list(
                "customer__customer_no",
                "assignee__username",
                "created_by__username",
                "title",
                "due_on",
                "status",
                "completed_at",
            )
        ),
        "assignments": sorted(
            RmAssignment.objects.values_list(
                "customer__customer_no", "rm__username", "branch__code", "started_on", "ended_on"
            )
        ),
    }


@pytest.mark.django_db(transaction=True)
def test_demo_through_the_importer_equals_the_direct_build(tmp_path):
    result = load_demo_bank(config=CONFIG, export_dir=tmp_path / "exports")
    assert {p.name for p in (tmp_path / "exports").iterdir()} >= {
        "customers.csv",
        "accounts.csv",
        "transactions.csv",
        "balances.csv",
        "consents.csv",
    }
    runs = list(ImportRun.objects.order_by("pk").values_list("kind", "status"))
    assert [k for k, _s in runs][:4] == ["branches", "staff", "products", "customers"]
    assert {s for _k, s in runs} == {ImportStatus.SUCCEEDED}
    through_import = bank_fingerprint()
    assert result.counts["banking_transaction"] == len(through_import["transactions"]) > 1000

    flush_database()
    build_demo_bank(config=CONFIG)
    direct = bank_fingerprint()
    for table in direct:
        assert through_import[table] == direct[table], table


@pytest.mark.django_db(transaction=True)
def test_the_card_systems_file_brings_duplicates_for_the_data_steward(tmp_path):
    from bankcrm.customers.merging import duplicate_candidates

    load_demo_bank(config=CONFIG, export_dir=tmp_path, second_source=True)
    assert (
        (tmp_path / "card_customers.csv").read_bytes().decode("gb18030").startswith("CARD_CUST_ID|")
    )
    cards = Customer.objects.filter(customer_no__startswith="CARD")
    assert cards.count() >= 2
    pairs = [c for c in duplicate_candidates() if c.second.customer_no.startswith("CARD")]
    assert {c.second.customer_no for c in pairs} == set(cards.values_list("customer_no", flat=True))
    rules = {e.rule for c in pairs for e in c.evidence}
    assert {"resident_id", "name_mobile"} <= rules
    assert ImportRun.objects.filter(mapping_name="card_customers.toml", status="succeeded").exists()


@pytest.mark.django_db(transaction=True)
def test_bankcrm_demo_shows_progress_through_every_import_and_the_scoring(tmp_path, capsys):
    from django.core.management import call_command

    call_command(
        "demo",
        customers=CONFIG.customers,
        seed=CONFIG.seed,
        months=CONFIG.months,
        as_of=CONFIG.as_of.isoformat(),
        progress=True,
        export_dir=str(tmp_path / "exports"),
    )
    err = capsys.readouterr().err
    for kind in ("branches", "customers", "accounts", "balances", "transactions", "card customers"):
        assert f"import {kind}" in err, kind  # the file's own bar, while it imports
        assert f"imported {kind}" in err, kind
    assert f"Scoring {CONFIG.customers} customers" in err
    assert err.count("scoring: ") >= 3, err[-800:]  # a line as each step of the run finishes
