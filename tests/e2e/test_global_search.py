"""The top bar's global search in a real browser: a keyboard shortcut, hits while typing,
within scope."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.test_staff_defects import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_slash_focuses_global_search_and_a_hit_opens_the_customer(bank, new_page):
    page = new_page()
    log_in(page, bank.rm.username)
    page.goto("/tasks/")
    page.keyboard.press("/")
    search = page.locator("[data-testid=global-search]")
    expect(search).to_be_focused()
    page.keyboard.type("张秀")
    hits = page.locator("[data-testid=global-hit]")
    expect(hits).to_have_count(1)
    expect(hits.first).to_contain_text(bank.mine.customer_no)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator("[data-testid=customer-name]")).to_contain_text("张秀英")


def test_ctrl_k_searches_by_customer_number_and_another_rm_finds_nothing(bank, new_page):
    page = new_page()
    log_in(page, bank.rm2.username)
    page.keyboard.press("Control+k")
    expect(page.locator("[data-testid=global-search]")).to_be_focused()
    page.keyboard.type(bank.mine.customer_no)
    expect(page.locator("[data-testid=global-nothing]")).to_be_visible()
    expect(page.locator("[data-testid=global-hit]")).to_have_count(0)
    page.locator("[data-testid=global-search]").fill(bank.other.customer_no)
    expect(page.locator("[data-testid=global-hit]")).to_contain_text("李伟")
    page.keyboard.press("Escape")
    expect(page.locator("[data-testid=global-hit]")).to_have_count(0)
