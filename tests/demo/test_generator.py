"""The demo bank generator: deterministic, valid identities, consistent balances and paths."""

from __future__ import annotations

import ast
import datetime as dt
import hashlib
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Count, F, Q, Sum

import bankcrm.demo
from bankcrm.banking.models import AUM_CATEGORIES, Account, AccountStatus, Transaction
from bankcrm.core.crypto import EncryptedCharField, decrypt
from bankcrm.core.models import Branch, User
from bankcrm.core.validators import (
    resident_id_birth_date,
    resident_id_gender,
    validate_mobile,
    validate_resident_id,
    validate_uscc,
)
from bankcrm.customers.models import Customer, CustomerStatus, IdType
from bankcrm.demo.build import build_demo_bank, flush_database
from bankcrm.demo.generators.chunk import WRITTEN_MODELS
from bankcrm.demo.generators.households import assign_branches_and_rms
from bankcrm.demo.models import BehaviourPath, CustomerTruth
from bankcrm.demo.plan import DemoConfig, allocate_rms, default_as_of, plan_bank
from bankcrm.insights.models import AumMonthly

AS_OF = dt.date(2025, 6, 30)
SMALL = DemoConfig(customers=300, seed=7, months=6, as_of=AS_OF, password="demo-pass-test")
LOCAL = dt.timezone(dt.timedelta(hours=8))

pytestmark = pytest.mark.django_db(transaction=True)


def fingerprint() -> str:
    """SHA-256 over every column of every generated table, rows in primary-key order (an
    encrypted column by its plaintext: each write draws a fresh nonce)."""
    digest = hashlib.sha256()
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in WRITTEN_MODELS:
            pk = model._meta.pk
            assert pk is not None
            fields = model._meta.concrete_fields
            columns = ", ".join(quote(f.column) for f in fields)
            cursor.execute(
                f"SELECT {columns} FROM {quote(model._meta.db_table)} ORDER BY {quote(pk.column)}"
            )
            digest.update(model._meta.db_table.encode())
            for row in cursor.fetchall():
                opened = [
                    decrypt(v, f.purpose) if isinstance(f, EncryptedCharField) and v else v
                    for f, v in zip(fields, row, strict=True)
                ]
                digest.update(repr(tuple(opened)).encode())
    return digest.hexdigest()


@pytest.fixture
def small_bank() -> DemoConfig:
    build_demo_bank(config=SMALL)
    return SMALL


def test_same_seed_gives_byte_identical_tables_and_another_seed_does_not() -> None:
    build_demo_bank(config=SMALL)
    first = fingerprint()
    assert Customer.objects.count() == 300
    assert Transaction.objects.exists()

    flush_database()
    build_demo_bank(config=SMALL)
    assert fingerprint() == first

    flush_database()
    build_demo_bank(config=DemoConfig(**{**SMALL.__dict__, "seed": SMALL.seed + 1}))
    assert fingerprint() != first


def test_every_identity_number_and_mobile_is_valid(small_bank: DemoConfig) -> None:
    rows = Customer.objects.values_list(
        "kind", "id_type", "id_number", "id_last4", "mobile", "gender", "birth_date", "name_zh"
    )
    corporates = 0
    for kind, id_type, number, last4, mobile, gender, birth, name in rows:
        assert last4 == number[-4:]
        validate_mobile(mobile)
        assert len(mobile) == 11 and mobile.isdigit()
        if kind == "corporate":
            corporates += 1
            assert id_type == IdType.USCC
            validate_uscc(number)
            assert gender == "unknown" and birth is None
            assert name.endswith("有限公司")
        else:
            assert id_type == IdType.RESIDENT_ID
            validate_resident_id(number)
            assert resident_id_birth_date(number) == birth
            assert resident_id_gender(number) == gender
    assert 1 <= corporates <= 30


def test_aum_is_the_sum_of_open_deposit_and_investment_balances(small_bank: DemoConfig) -> None:
    sums = dict(
        Account.objects.filter(product__category__in=[str(c) for c in AUM_CATEGORIES])
        .exclude(status=AccountStatus.CLOSED)
        .values_list("customer_id")
        .annotate(total=Sum("balance"))
        .values_list("customer_id", "total")
    )
    for customer_id, aum in Customer.objects.values_list("id", "aum"):
        assert aum == sums.get(customer_id, Decimal("0")), customer_id
    assert Customer.objects.filter(aum__gt=0).count() > 250


def test_the_dashboard_summary_is_rebuilt_and_ends_with_the_bank_s_aum(
    small_bank: DemoConfig,
) -> None:
    last = AumMonthly.objects.filter(month=AS_OF.replace(day=1)).aggregate(s=Sum("aum"))["s"]
    assert last == Customer.objects.aggregate(s=Sum("aum"))["s"]
    assert AumMonthly.objects.values("month").distinct().count() == SMALL.months


def test_every_customer_has_an_rm_of_their_own_branch(small_bank: DemoConfig) -> None:
    mismatched = Customer.objects.exclude(rm__branch=F("branch")).count()
    assert mismatched == 0
    assert not Customer.objects.filter(rm__isnull=True).exists()
    assert set(Customer.objects.values_list("rm__role", flat=True)) == {"rm"}


def test_rm_portfolios_are_a_few_hundred_customers_at_full_scale() -> None:
    config = DemoConfig(customers=20_000, seed=42, as_of=AS_OF)
    plan = plan_bank(config=config)
    branch, rm = assign_branches_and_rms(rng=np.random.default_rng(1), plan=plan, n=20_000)
    rm_branch = {s.id: s.branch for s in plan.staff if s.role == "rm"}
    assert all(rm_branch[r] == b for r, b in zip(rm.tolist(), branch.tolist(), strict=True))
    per_rm = np.bincount(rm, minlength=max(rm_branch) + 1)
    sizes = per_rm[sorted(rm_branch)]
    assert 50 <= len(sizes) <= 90
    assert sizes.min() >= 150, sizes.min()
    assert sizes.max() <= 500, sizes.max()
    demo_rm = next(s.id for s in plan.staff if s.username == "rm_demo")
    assert 200 <= per_rm[demo_rm] <= 450
    assert allocate_rms(customers=300, weights=[1, 1, 0]) == [1, 1, 0]
    assert sum(allocate_rms(customers=20_000, weights=[5, 3, 2])) == 67


def test_declining_customers_close_and_stop_transacting_and_truth_covers_everyone(
    small_bank: DemoConfig,
) -> None:
    assert set(CustomerTruth.objects.values_list("customer_id", flat=True)) == set(
        Customer.objects.values_list("id", flat=True)
    )
    truth = dict(CustomerTruth.objects.values_list("customer_id", "path"))
    declining = [c for c, p in truth.items() if p == BehaviourPath.DECLINING]
    assert declining
    still_here = 0
    for c in Customer.objects.filter(id__in=declining):
        left = CustomerTruth.objects.get(customer_id=c.id).left_on
        assert left is not None
        if left > AS_OF:
            # Declining but not gone yet: open, with accounts, and worth a retention call.
            still_here += 1
            assert c.closed_on is None and c.status != CustomerStatus.CLOSED
            assert not c.accounts.filter(closed_on__gt=AS_OF).exists()
            continue
        assert c.closed_on is not None and c.closed_on == left
        assert c.status == CustomerStatus.CLOSED and c.aum == 0
        assert not c.accounts.exclude(status=AccountStatus.CLOSED).exists()
        assert not c.accounts.filter(closed_on__gt=c.closed_on).exists()
        end = dt.datetime.combine(c.closed_on + dt.timedelta(days=1), dt.time(), LOCAL)
        assert not Transaction.objects.filter(customer=c, booked_at__gte=end).exists()
    assert 0 < still_here < len(declining)
    others = Customer.objects.exclude(id__in=declining)
    assert not others.filter(closed_on__isnull=False).exists()
    # Dormant customers hardly transact; new ones were onboarded in the last six months.
    dormant = [c for c, p in truth.items() if p == BehaviourPath.DORMANT]
    assert Customer.objects.filter(id__in=dormant).exclude(status="dormant").count() == 0
    dormant_txns = Transaction.objects.filter(customer_id__in=dormant).count()
    assert dormant_txns <= 0.2 * len(dormant) * SMALL.months
    new = Customer.objects.filter(id__in=[c for c, p in truth.items() if p == BehaviourPath.NEW])
    assert not new.filter(onboarded_on__lt=AS_OF - dt.timedelta(days=183)).exists()


def test_transactions_are_plausible(small_bank: DemoConfig) -> None:
    active = Customer.objects.filter(status=CustomerStatus.ACTIVE).count()
    per_month = Transaction.objects.count() / (active * SMALL.months)
    assert 1.2 <= per_month <= 3.0, per_month
    assert not Transaction.objects.filter(amount__lte=0).exists()
    assert not Transaction.objects.exclude(account__customer=F("customer")).exists()
    salary = Transaction.objects.filter(txn_type="salary")
    assert salary.exists()
    assert set(salary.values_list("counterparty_category", "direction").distinct()) == {
        ("employer", "credit")
    }
    purchases = Transaction.objects.filter(txn_type="purchase")
    assert set(purchases.values_list("counterparty_category", flat=True).distinct()) == {"merchant"}
    assert set(purchases.values_list("channel", flat=True).distinct()) <= {
        "wechat_pay",
        "alipay",
        "unionpay",
        "pos",
        "mobile",
        "online",
    }
    counts = Transaction.objects.aggregate(
        after=Count("id", filter=Q(booked_at__gte=dt.datetime(2025, 7, 1, tzinfo=LOCAL))),
        before=Count("id", filter=Q(booked_at__lt=dt.datetime(2025, 1, 1, tzinfo=LOCAL))),
    )
    assert counts == {"after": 0, "before": 0}


def test_a_customer_created_through_the_orm_afterwards_gets_a_fresh_id(
    small_bank: DemoConfig,
) -> None:
    highest = Customer.objects.order_by("-id").values_list("id", flat=True)[0]
    created = Customer.objects.create(
        customer_no="NEW-1",
        name_zh="新客户",
        branch=Branch.objects.get(code="BJ"),
        onboarded_on=AS_OF,
    )
    assert created.id > highest
    user = User.objects.create(username="someone_new", role="rm")
    assert user.id > User.objects.exclude(pk=user.pk).order_by("-id")[0].id


def test_demo_logins_work_with_the_given_password(small_bank: DemoConfig) -> None:
    for username in (
        "rm_demo",
        "rm_demo2",
        "manager_demo",
        "marketing_demo",
        "service_demo",
        "compliance_demo",
        "admin_demo",
    ):
        assert authenticate(username=username, password=SMALL.password) is not None, username
    rm, rm2, manager = (
        User.objects.get(username=u) for u in ("rm_demo", "rm_demo2", "manager_demo")
    )
    assert rm.branch_id == manager.branch_id != rm2.branch_id
    assert rm.customers.exists() and rm2.customers.exists()
    admin = User.objects.get(username="admin_demo")
    assert admin.is_staff and admin.is_superuser


def test_command_refuses_a_bank_with_customers_unless_asked(
    small_bank: DemoConfig, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--customers", "50", "--months", "3", "--as-of", "2025-06-30", "--seed", "1"]
    call_command("demo", *args, "--if-empty")
    assert "demo bank already present" in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("demo", *args)
    call_command("demo", *args, "--flush")
    out = capsys.readouterr().out
    assert "rm_demo" in out and "admin_demo" in out
    # The core-banking file's 50 customers, and the card system's few seen again.
    assert Customer.objects.exclude(customer_no__startswith="CARD").count() == 50
    assert Customer.objects.filter(customer_no__startswith="CARD").exists()


def test_default_as_of_is_the_end_of_last_month() -> None:
    assert default_as_of(today=dt.date(2026, 3, 15)) == dt.date(2026, 2, 28)
    assert default_as_of(today=dt.date(2026, 1, 1)) == dt.date(2025, 12, 31)


def test_the_build_counts_the_dashboard_summary_rows_under_the_summary_s_table() -> None:
    result = build_demo_bank(config=SMALL)
    assert result.counts[AumMonthly._meta.db_table] == AumMonthly.objects.count() > 0


def test_the_demo_uses_only_the_insights_services_never_its_models() -> None:
    root = Path(bankcrm.demo.__file__).parent
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        insights = {m for m in imported if m and m.startswith("bankcrm.insights")}
        assert insights <= {"bankcrm.insights.services", "bankcrm.insights.runs"}, path
