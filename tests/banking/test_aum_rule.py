"""The AUM rule has one definition; its ORM, SQL and Python spellings agree on every case."""

from __future__ import annotations

from decimal import Decimal

from django.db import connection
from django.db.models import Sum

from bankcrm.banking.aum import aum_accounts_q, aum_accounts_sql, counts_to_aum, split_holdings
from bankcrm.banking.models import Account, AccountStatus, Product, ProductCategory
from bankcrm.banking.selectors import holdings
from bankcrm.banking.services import customer_refresh_aum
from bankcrm.customers.models import Customer
from bankcrm.ingest.upsert import refresh_aum
from tests.factories import AccountFactory, CustomerFactory, ProductFactory


def _every_case(customer):
    """One account per category × status, each with a balance that tells which it is."""
    balance = Decimal("1.00")
    for category in ProductCategory:
        product = ProductFactory(code=f"P-{category}", category=category)
        for status in AccountStatus:
            AccountFactory(customer=customer, product=product, status=status, balance=balance)
            balance *= 2


def _sql_aum(customer_id: int) -> Decimal:
    account, product = Account._meta.db_table, Product._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT COALESCE(SUM(a.balance), 0) FROM {account} a "  # noqa: S608
            f"JOIN {product} p ON p.id = a.product_id "
            f"WHERE a.customer_id = %s AND {aum_accounts_sql(account='a', product='p')}",
            [customer_id],
        )
        return Decimal(str(cur.fetchone()[0])).quantize(Decimal("0.01"))


def test_orm_sql_and_python_spellings_of_aum_agree(db):
    customer = CustomerFactory()
    _every_case(customer)
    accounts = list(Account.objects.filter(customer=customer).select_related("product"))
    python = sum(
        (
            a.balance
            for a in accounts
            if counts_to_aum(category=a.product.category, status=a.status)
        ),
        Decimal("0"),
    )
    orm = Account.objects.filter(aum_accounts_q(), customer=customer).aggregate(s=Sum("balance"))[
        "s"
    ]
    assert python == orm == _sql_aum(customer.pk) == split_holdings(accounts)[0]
    assert customer_refresh_aum(customer=customer) == python
    # The importer's set-based spelling writes the same figure.
    Customer.objects.filter(pk=customer.pk).update(aum=0)
    refresh_aum(str(customer.pk))
    customer.refresh_from_db()
    assert customer.aum == python
    # Not a sum of everything: closed accounts and loans and cards are left out.
    assert python < sum(a.balance for a in accounts)


def test_counts_to_aum_is_deposits_and_investments_not_closed():
    assert counts_to_aum(category=ProductCategory.FUND, status=AccountStatus.DORMANT)
    assert not counts_to_aum(category=ProductCategory.FUND, status=AccountStatus.CLOSED)
    assert not counts_to_aum(category=ProductCategory.LOAN, status=AccountStatus.OPEN)


def test_holdings_split_deposits_investments_and_liabilities(db):
    customer = CustomerFactory()
    dep = ProductFactory(code="DEP", category=ProductCategory.DEPOSIT)
    fund = ProductFactory(code="FND", category=ProductCategory.FUND)
    loan = ProductFactory(code="LN", category=ProductCategory.LOAN)
    AccountFactory(customer=customer, product=dep, balance=Decimal("100.00"))
    AccountFactory(customer=customer, product=fund, balance=Decimal("40.00"))
    AccountFactory(customer=customer, product=loan, balance=Decimal("7.00"))
    AccountFactory(
        customer=customer, product=loan, balance=Decimal("900.00"), status=AccountStatus.CLOSED
    )
    held = holdings(customer=customer)
    assert (held.aum, held.deposits, held.investments, held.liabilities) == (
        Decimal("140.00"),
        Decimal("100.00"),
        Decimal("40.00"),
        Decimal("7.00"),
    )
    assert len(held.accounts) == 4
