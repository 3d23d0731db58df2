"""Row-level scope, search and keyset pagination of the customer selectors."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.http import Http404

from bankcrm.customers.selectors import (
    CustomerFilters,
    customer_get,
    customer_list,
    customers_visible_to,
)
from tests.factories import BranchFactory, CustomerFactory


def ids(qs):
    return set(qs.values_list("id", flat=True))


def test_rm_sees_only_own_customers(bank):
    assert ids(customers_visible_to(bank.rm)) == {bank.mine.pk}


def test_branch_manager_sees_the_branch_and_its_sub_branches(bank):
    sub = BranchFactory(code="BJ-HD", name_zh="海淀支行", name_en="Haidian", parent=bank.beijing)
    in_sub = CustomerFactory(branch=sub, rm=bank.rm2)
    assert ids(customers_visible_to(bank.manager)) == {bank.mine.pk, bank.other.pk, in_sub.pk}


@pytest.mark.parametrize("role", ["marketing", "service", "compliance", "admin"])
def test_bank_wide_roles_see_everyone(bank, role):
    assert ids(customers_visible_to(bank.user(role))) == {bank.mine.pk, bank.other.pk, bank.far.pk}


def test_unknown_role_sees_nothing(bank):
    bank.rm.role = "intern"
    assert not customers_visible_to(bank.rm).exists()


def test_rm_cannot_get_other_rms_customer_raises_404(bank):
    with pytest.raises(Http404):
        customer_get(user=bank.rm, customer_id=bank.other.pk)
    assert customer_get(user=bank.rm, customer_id=bank.mine.pk) == bank.mine


def _search(user, **kw):
    return [c.pk for c in customer_list(user=user, filters=CustomerFilters(**kw)).items]


def test_search_by_chinese_name_prefix_and_part(bank):
    assert _search(bank.admin, q="张") == [bank.mine.pk]
    assert _search(bank.admin, q="张秀英") == [bank.mine.pk]
    assert _search(bank.admin, q="zhang") == [bank.mine.pk]


def test_search_by_customer_number_mobile_and_id_suffix(bank):
    c = bank.far
    assert _search(bank.admin, q=c.customer_no) == [c.pk]
    assert _search(bank.admin, q=c.mobile) == [c.pk]
    assert _search(bank.admin, q="+86 " + c.mobile) == [c.pk]
    assert _search(bank.admin, q=c.id_number[-4:]) == [c.pk]
    assert _search(bank.admin, q=c.id_number[-6:]) == [c.pk]


def test_search_never_crosses_scope(bank):
    assert _search(bank.rm, q=bank.far.customer_no) == []
    assert _search(bank.rm, q="陈静") == []


def test_filters_by_status_risk_and_aum_range(bank):
    CustomerFactory.create_batch(
        3, branch=bank.beijing, rm=bank.rm, aum=Decimal("600000"), risk_appetite="R4"
    )
    assert len(_search(bank.rm, aum_min=Decimal("500000"))) == 3
    assert len(_search(bank.rm, tier="platinum")) == 3
    assert len(_search(bank.rm, risk="R4", aum_max=Decimal("100"))) == 0
    assert _search(bank.rm, status="closed") == []


def test_keyset_pages_cover_every_customer_once_in_order(bank):
    made = CustomerFactory.create_batch(23, branch=bank.beijing, rm=bank.rm)
    for i, c in enumerate(made):
        c.aum = Decimal(i % 5) * 1000  # many ties: pagination must break them by id
        c.save()
    seen, cursor = [], None
    while True:
        page = customer_list(
            user=bank.rm, filters=CustomerFilters(sort="-aum"), cursor=cursor, size=4
        )
        seen.extend(page.items)
        cursor = page.next_cursor
        if not cursor:
            break
    assert len(seen) == 24 and len({c.pk for c in seen}) == 24
    keys = [(-c.aum, -c.pk) for c in seen]
    assert keys == sorted(keys)


def test_garbage_cursor_starts_from_the_first_page(bank):
    page = customer_list(user=bank.admin, filters=CustomerFilters(), cursor="!!not-a-cursor")
    assert len(page.items) == 3


@pytest.mark.django_db
def test_search_finds_a_mobiles_last_4_a_partial_customer_number_and_a_merged_alias(bank):
    from bankcrm.customers.models import Customer, CustomerAlias
    from bankcrm.customers.selectors import CustomerFilters, customer_search_queryset

    def found(q: str) -> set[int]:
        qs = customer_search_queryset(user=bank.admin, filters=CustomerFilters(q=q))
        return set(qs.values_list("pk", flat=True))

    mine = Customer.objects.get(pk=bank.mine.pk)
    assert mine.mobile_last4 == mine.mobile[-4:]
    assert mine.pk in found(mine.mobile[-4:])
    assert bank.other.pk not in found(mine.mobile[-4:]) or (
        Customer.objects.get(pk=bank.other.pk).mobile[-4:] == mine.mobile[-4:]
    )
    assert found(mine.customer_no[:-2]) >= {mine.pk}
    assert mine.pk in found(mine.customer_no[:-2].lower())
    CustomerAlias.objects.create(customer=mine, customer_no="OLD0042")
    assert found("old0042") == {mine.pk}
    # Changing the mobile moves its last 4 along.
    mine.mobile = "13900001111"
    mine.save(update_fields=["mobile"])
    assert found("1111") == {mine.pk}
