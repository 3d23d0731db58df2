"""A customer's AUM: the balances of their open deposit and investment accounts, kept current
by banking.services.customer_refresh_aum."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from bankcrm.banking.models import AUM_CATEGORIES, ProductCategory
from bankcrm.banking.services import customer_refresh_aum
from bankcrm.customers.models import Customer
from tests.factories import AccountFactory, CustomerFactory, ProductFactory

COUNTED = {"deposit", "time_deposit", "wealth", "fund", "insurance"}


@pytest.mark.parametrize("category", [c.value for c in ProductCategory])
def test_a_product_counts_to_aum_when_it_is_a_deposit_or_an_investment(category):
    product = ProductFactory.build(category=category)
    assert product.counts_to_aum is (category in COUNTED)
    assert (category in AUM_CATEGORIES) is (category in COUNTED)


def test_a_product_is_named_in_the_language_of_the_page():
    product = ProductFactory.build(name_zh="定期存款", name_en="Time deposit")
    with translation.override("zh-hans"):
        assert str(product) == "定期存款"
    with translation.override("en"):
        assert str(product) == "Time deposit"


@pytest.mark.django_db
def test_refresh_sums_open_and_dormant_deposits_and_investments_and_nothing_else():
    customer = CustomerFactory(aum=Decimal("1"))

    def holding(category: str, balance: str, status: str = "open") -> None:
        AccountFactory(
            customer=customer,
            product=ProductFactory(code=f"{category}-{status}", category=category),
            balance=Decimal(balance),
            status=status,
        )

    holding("deposit", "1000.50")
    holding("time_deposit", "2000.00", status="dormant")  # dormant money is still held
    holding("wealth", "300.25")
    holding("fund", "40.00")
    holding("insurance", "5.00")
    holding("deposit", "999999.00", status="closed")
    holding("loan", "500000.00")  # a debt, not an asset under management
    holding("credit_card", "7000.00")

    total = customer_refresh_aum(customer=customer)

    assert total == Decimal("3345.75")
    assert customer.aum == total  # the instance in hand
    assert Customer.objects.get(pk=customer.pk).aum == total  # and the stored row


@pytest.mark.django_db
def test_refresh_of_a_customer_with_nothing_left_sets_nought_and_leaves_others_alone():
    customer = CustomerFactory(aum=Decimal("12345.00"))
    neighbour = CustomerFactory(aum=Decimal("678.00"))
    AccountFactory(customer=customer, status="closed", balance=Decimal("12345.00"))
    AccountFactory(customer=neighbour, balance=Decimal("5.00"))

    assert customer_refresh_aum(customer=customer) == Decimal("0")

    assert Customer.objects.get(pk=customer.pk).aum == Decimal("0")
    assert Customer.objects.get(pk=neighbour.pk).aum == Decimal("678.00")  # not recomputed
