"""A redemption from the 360 page in a real browser: the RM redeems a reward for the customer,
the balance and the redemption list change in place; a second one is refused with its reason."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from bankcrm.loyalty import defaults, services
from bankcrm.loyalty.models import Reward
from tests.e2e.test_staff_defects import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_rm_redeems_a_reward_from_the_360_page(bank, new_page):
    defaults.programme_setup_defaults(actor=None)
    Reward.objects.update(is_active=False)
    prize = Reward.objects.create(
        code="tea",
        name_zh="茶叶礼盒",
        name_en="Tea gift box",
        kind="gift",
        points_price=600,
        stock=3,
    )
    services.points_award(
        customer=bank.mine, points=1000, source="campaign", reason="e2e", idempotency_key="e2e"
    )
    page = new_page()
    log_in(page, bank.rm.username)
    page.goto(f"/customers/{bank.mine.pk}/")
    card = page.locator("[data-testid=loyalty-card]")
    expect(card.locator("[data-testid=points-balance]")).to_have_text("1000")
    card.locator("[data-testid=redeem-reward]").select_option(str(prize.pk))
    card.locator("[data-testid=redeem-submit]").click()
    expect(card.locator("[data-testid=loyalty-saved]")).to_be_visible()
    expect(card.locator("[data-testid=points-balance]")).to_have_text("400")
    expect(card.locator("[data-testid=redemptions]")).to_contain_text("Tea gift box")
    card.locator("[data-testid=redeem-submit]").click()
    expect(card.locator("[data-testid=loyalty-error]")).to_contain_text("balance is too small")
    expect(card.locator("[data-testid=points-balance]")).to_have_text("400")
    assert Reward.objects.get(pk=prize.pk).stock == 2
