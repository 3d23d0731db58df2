"""An RM on a phone: works their agenda (logs a call, snoozes an item with a reason), then
drags an opportunity across the pipeline board and moves another with the move control."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from bankcrm.interactions.models import Interaction
from bankcrm.sales.models import AgendaSnooze, Opportunity
from tests.conftest import PASSWORD
from tests.factories import OpportunityFactory, ProductFactory, TaskFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_rm_works_the_agenda_and_drags_an_opportunity_across_the_board_on_a_phone(
    bank, new_page
):
    today = timezone.localdate()
    TaskFactory(customer=bank.mine, assignee=bank.rm, title="回访到期存款", due_on=today)
    TaskFactory(
        customer=bank.mine, assignee=bank.rm, title="补充资料", due_on=today - dt.timedelta(days=1)
    )
    deposit = ProductFactory(code="TD2Y", category="time_deposit", risk_level="R1")
    dragged = OpportunityFactory(customer=bank.mine, product=deposit, next_step="电话沟通")
    moved = OpportunityFactory(
        customer=bank.mine, product=ProductFactory(code="LOAN1", category="loan")
    )

    page = new_page(width=390, height=844)
    page.goto("/login/")
    page.fill("input[name=username]", bank.rm.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("[data-testid=login-submit]")

    # The agenda is the RM's first page: overdue first.
    items = page.locator("[data-testid=agenda-item]")
    expect(items.first).to_contain_text("补充资料")
    task_item = items.filter(has_text="回访到期存款")
    task_item.locator("[data-testid=log-call]").click()
    expect(task_item.locator("[data-testid=agenda-done]")).to_be_visible()
    overdue = items.filter(has_text="补充资料")
    overdue.locator("[data-testid=snooze]").click()
    overdue.locator("[data-testid=snooze-reason]").fill("客户出差")
    overdue.locator("[data-testid=snooze-submit]").click()
    expect(overdue.locator("[data-testid=agenda-done]")).to_be_visible()
    assert Interaction.objects.filter(customer=bank.mine, kind="call").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1
    assert AgendaSnooze.objects.get(user=bank.rm).reason == "客户出差"

    page.goto("/sales/opportunities/board/")
    card = page.locator(f"#opp-{dragged.pk}")
    target = page.locator("[data-testid=col-contacted]")
    expect(card).to_be_visible()
    # The board scrolls sideways inside itself; the page stays the phone's width.
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1
    handle = card.locator("[data-testid=drag-handle]").bounding_box()
    box = target.bounding_box()
    assert handle is not None and box is not None
    assert box["x"] + box["width"] / 2 < 390, "two columns side by side on a phone"
    page.mouse.move(handle["x"] + 5, handle["y"] + 5)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 60, steps=8)
    page.mouse.up()
    expect(target.locator(f"#opp-{dragged.pk}")).to_be_visible()
    expect(target.locator("[data-count]")).to_have_text("1")

    # Without dragging: the card's move control.
    other = page.locator(f"#opp-{moved.pk}")
    other.locator("summary").click()
    other.locator("select[name=stage]").select_option("needs_assessed")
    other.locator("button[type=submit]").click()
    expect(page.locator(f"[data-testid=col-needs_assessed] #opp-{moved.pk}")).to_have_count(1)
    stages = dict(Opportunity.objects.values_list("pk", "stage"))
    assert stages == {dragged.pk: "contacted", moved.pk: "needs_assessed"}
