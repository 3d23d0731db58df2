"""The AUM rule, defined once: a customer's assets under management are the balances of their
accounts that are not closed, in the deposit and investment categories. The ORM, SQL and
Python spellings below are all derived from these two facts (a test checks they agree)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Q

from bankcrm.banking.models import (
    AUM_CATEGORIES,
    DEPOSIT_CATEGORIES,
    Account,
    AccountStatus,
    ProductCategory,
)

# Accounts in this status hold no assets any more.
EXCLUDED_STATUS = AccountStatus.CLOSED
LIABILITY_CATEGORIES = frozenset({ProductCategory.LOAN, ProductCategory.CREDIT_CARD})

_CATEGORY_VALUES = sorted(str(c) for c in AUM_CATEGORIES)


def counts_to_aum(*, category: str, status: str) -> bool:
    """Python spelling: does an account of ``category`` in ``status`` count towards AUM?"""
    return category in AUM_CATEGORIES and status != EXCLUDED_STATUS


def aum_accounts_q(prefix: str = "") -> Q:
    """ORM spelling: the accounts (reached through ``prefix``, e.g. ``"accounts__"``) that
    count towards AUM."""
    return Q(**{f"{prefix}product__category__in": _CATEGORY_VALUES}) & ~Q(
        **{f"{prefix}status": str(EXCLUDED_STATUS)}
    )


def aum_categories_sql() -> str:
    """SQL list of the AUM categories, e.g. ``'deposit', 'fund'`` (constants, no input)."""
    return ", ".join(f"'{c}'" for c in _CATEGORY_VALUES)


def aum_accounts_sql(*, account: str = "a", product: str = "p") -> str:
    """SQL spelling: the condition on aliased account and product rows that count to AUM."""
    return (
        f"{product}.category IN ({aum_categories_sql()}) "
        f"AND {account}.status <> '{EXCLUDED_STATUS}'"
    )


def split_holdings(accounts: Iterable[Account]) -> tuple[Decimal, Decimal, Decimal]:
    """AUM, of which deposits, and liabilities of a customer's accounts (products loaded)."""
    aum = deposits = liabilities = Decimal("0")
    for a in accounts:
        category = a.product.category
        if counts_to_aum(category=category, status=a.status):
            aum += a.balance
            if category in DEPOSIT_CATEGORIES:
                deposits += a.balance
        elif category in LIABILITY_CATEGORIES and a.status != EXCLUDED_STATUS:
            liabilities += a.balance
    return aum, deposits, liabilities
