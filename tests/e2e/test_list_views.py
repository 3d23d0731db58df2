"""The customer list as a list view in a real browser: a result count, a column chooser,
sorting on a column, a saved view shared within the branch; on a phone the filters fold."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from bankcrm.core.models import SavedView
from tests.e2e.test_staff_defects import log_in
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def listed(bank):
    for i, aum in enumerate((Decimal("5000"), Decimal("900000"), Decimal("42000"))):
        CustomerFactory(branch=bank.beijing, rm=bank.rm, name_zh=f"客户{i}", aum=aum)
    return bank


def test_count_columns_sort_and_a_saved_view_shared_with_the_branch(listed, new_page):
    bank = listed
    page = new_page()
    log_in(page, bank.manager.username)
    page.goto("/customers/")
    expect(page.locator("[data-testid=result-count]")).to_have_text("5 results")  # 2 + 3 new

    # Columns: add "Customer since", drop "Mobile".
    page.click("[data-testid=column-chooser] summary")
    chooser = page.locator("[data-testid=column-chooser]")
    chooser.locator("input[value=onboarded_on]").check()
    chooser.locator("input[value=mobile]").uncheck()
    chooser.locator("button").click()
    head = page.locator("table.customers thead")
    expect(head).to_contain_text("Customer since")
    expect(head).not_to_contain_text("Mobile")

    # Sort by AUM, highest first (two clicks on the header).
    page.click("[data-testid=sort-aum]")
    page.click("[data-testid=sort-aum]")
    expect(page.locator("[data-testid=sort-aum]")).to_contain_text("▼")
    first = page.locator("[data-testid=customer-link]").first
    expect(first).to_have_text("客户1")
    expect(head).to_contain_text("Customer since")  # the columns survive the sort

    # Search by name, then save the view, shared with the branch.
    page.fill("[data-testid=search]", "客户")
    page.click("[data-testid=search-submit]")
    expect(page.locator("[data-testid=result-count]")).to_have_text("3 results")
    page.click("[data-testid=saved-views] summary")
    form = page.locator("[data-testid=save-view]")
    form.locator("input[name=name]").fill("北京大客户")
    form.locator("input[name=shared]").check()
    form.locator("button").click()
    expect(page.locator(".messages")).to_contain_text("北京大客户")
    view = SavedView.objects.get(name="北京大客户")
    assert view.is_shared and view.branch_id == bank.beijing.pk
    assert "q=" in view.query and "sort=-aum" in view.query

    # A colleague in the branch opens it: same filters, columns and sort.
    other = new_page()
    log_in(other, bank.rm.username)
    other.goto("/customers/")
    other.click("[data-testid=saved-views] summary")
    other.click("[data-testid=saved-view] >> text=北京大客户")
    expect(other.locator("[data-testid=result-count]")).to_have_text("3 results")
    expect(other.locator("[data-testid=customer-link]").first).to_have_text("客户1")
    expect(other.locator("table.customers thead")).to_contain_text("Customer since")


def test_an_identifier_search_is_not_kept_in_a_view(bank, new_page):
    page = new_page()
    log_in(page, bank.rm.username)
    page.goto(f"/customers/?q={bank.mine.mobile[-4:]}")
    page.click("[data-testid=saved-views] summary")
    page.locator("[data-testid=save-view] input[name=name]").fill("尾号")
    # The identifier search is not even echoed into the view form or the sort links.
    ending = bank.mine.mobile[-4:]
    assert page.locator(f"[data-testid=save-view] input[value*='{ending}']").count() == 0
    assert page.locator(f"a[href*='q={ending}']").count() == 0
    page.locator("[data-testid=save-view] button").click()
    expect(page.locator(".messages")).to_contain_text("尾号")
    assert "q=" not in SavedView.objects.get(name="尾号").query


def test_on_a_phone_the_results_come_before_the_folded_filters(bank, new_page):
    page = new_page(width=390, height=844)
    log_in(page, bank.rm.username)
    page.goto("/customers/")
    expect(page.locator("[data-testid=more-filters]")).not_to_have_attribute("open", "")
    results = page.locator("#results").bounding_box()
    search = page.locator("[data-testid=search]").bounding_box()
    assert results is not None and search is not None
    assert results["y"] < 844, "the first results are on the first screen"
    wide = new_page()
    log_in(wide, bank.rm.username)
    wide.goto("/customers/")
    expect(wide.locator("[data-testid=more-filters]")).to_have_attribute("open", "")
