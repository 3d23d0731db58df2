"""An RM's day in a real browser: log in, search, open a 360 page, log an interaction, 中文."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from bankcrm.core.dates import month_starts
from tests.conftest import PASSWORD
from tests.factories import AccountFactory, SnapshotFactory, TransactionFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def journey_bank(bank):
    acct = AccountFactory(customer=bank.mine, balance=Decimal("88000.00"))
    for i, m in enumerate(month_starts(dt.date.today(), 12)):
        SnapshotFactory(account=acct, month=m, balance=Decimal(50000 + i * 3000))
    for ch in ("wechat_pay", "alipay", "atm"):
        TransactionFactory(account=acct, channel=ch)
    return bank


def log_in(page, username: str) -> None:
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("[data-testid=login-submit]")
    expect(page.locator("[data-testid=agenda]")).to_be_visible()  # an RM lands on the agenda
    page.goto("/")
    expect(page.locator("[data-testid=kpi-customers]")).to_be_visible()


def rm_journey(page, bank, *, width: int) -> None:
    log_in(page, bank.rm.username)
    expect(page.locator("[data-testid=chart-aum-trend] .main-svg").first).to_be_visible()
    page.goto("/customers/")
    page.fill("[data-testid=search]", "张秀英")
    page.click("[data-testid=search-submit]")
    link = page.locator("[data-testid=customer-link]", has_text="张秀英")
    expect(link).to_have_count(1)
    expect(page.locator("[data-testid=customer-link]")).to_have_count(1)
    link.click()
    expect(page.locator("[data-testid=customer-name]")).to_contain_text("张秀英")
    expect(page.locator("[data-testid=chart-aum] .main-svg").first).to_be_visible()
    mobile = bank.mine.mobile
    expect(page.locator("[data-testid=mobile-masked]")).to_have_text(
        f"{mobile[:3]}****{mobile[-4:]}"
    )
    subject = f"电话回访 {width}px"
    form = page.locator("[data-testid=interaction-form]")
    # A form the server rejects shows its reason (htmx swaps the 400 answer in).
    form.locator("input[name=subject]").evaluate("el => el.removeAttribute('required')")
    form.locator("button[type=submit]").click()
    expect(page.locator("[data-testid=timeline] [role=alert]").first).to_be_visible()
    form = page.locator("[data-testid=interaction-form]")
    form.locator("select[name=kind]").select_option("call")
    form.locator("input[name=subject]").fill(subject)
    form.locator("button[type=submit]").click()
    expect(page.locator("[data-testid=timeline]")).to_contain_text(subject)
    # Nothing wider than the screen: the page works at a phone's width.
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"page is {overflow}px wider than the {width}px viewport"
    page.click("[data-testid=lang-zh]")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("nav.mainnav")).to_contain_text("客户")
    expect(page.locator("[data-testid=timeline]")).to_contain_text(subject)
    page.click("[data-testid=lang-en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_rm_searches_opens_360_logs_interaction_and_switches_language(journey_bank, new_page):
    rm_journey(new_page(), journey_bank, width=1280)
    assert journey_bank.mine.interactions.count() == 1


def test_same_journey_at_phone_width(journey_bank, new_page):
    rm_journey(new_page(width=390, height=844), journey_bank, width=390)
    assert journey_bank.mine.interactions.count() == 1


def test_second_rm_cannot_open_first_rms_customer(journey_bank, new_page):
    page = new_page()
    log_in(page, journey_bank.rm2.username)
    response = page.goto(f"/customers/{journey_bank.mine.pk}/")
    assert response is not None and response.status == 404
    expect(page.locator("body")).not_to_contain_text("张秀英")
    page.goto("/customers/")
    page.fill("[data-testid=search]", "张秀英")
    page.click("[data-testid=search-submit]")
    expect(page.locator("[data-testid=customer-link]")).to_have_count(0)
    assert re.search(r"/customers/", page.url)
