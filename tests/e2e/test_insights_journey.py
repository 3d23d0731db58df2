"""An RM acts on the analytics run in a real browser: worklist, one-click task, filters."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from bankcrm.demo.build import build_demo_bank
from bankcrm.demo.plan import DemoConfig
from bankcrm.insights.labels import CHURN_BANDS
from bankcrm.insights.models import CustomerScore
from bankcrm.insights.runs import RunSettings, analytics_run
from bankcrm.interactions.models import Task

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AS_OF = dt.date(2025, 12, 31)
PASSWORD = "demo-pass-e2e"


@pytest.fixture
def scored_bank():
    build_demo_bank(
        config=DemoConfig(customers=900, seed=5, months=24, as_of=AS_OF, password=PASSWORD)
    )
    return analytics_run(settings=RunSettings(as_of=AS_OF))


def test_rm_opens_a_retention_task_from_the_worklist_and_filters_by_churn_risk(
    scored_bank, new_page
):
    page = new_page()
    page.goto("/login/")
    page.fill("input[name=username]", "rm_demo")
    page.fill("input[name=password]", PASSWORD)
    page.click("[data-testid=login-submit]")
    expect(page.locator("[data-testid=agenda]")).to_be_visible()  # an RM lands on the agenda
    page.goto("/")
    # Dashboard: KPIs by segment from the run.
    expect(page.locator("[data-testid=segment-kpis] table tbody tr").first).to_be_visible()

    page.goto("/insights/at-risk/")
    rows = page.locator("[data-testid=at-risk] tbody tr")
    expect(rows.first.locator("a")).to_be_visible()
    before = Task.objects.count()
    rows.first.get_by_role("button").click()
    expect(page.locator("[data-testid=task-created]")).to_be_visible()
    assert Task.objects.count() == before + 1
    assert Task.objects.order_by("-pk").first().title.startswith("Retention call")
    # Back on the worklist, that customer shows its open retention task instead of a button.
    page.reload()
    expect(rows.first.locator("[data-testid=retention-open]")).to_be_visible()
    expect(rows.first.get_by_role("button")).to_have_count(0)

    # The band of the RM's riskiest customer: filtering by it lists that customer.
    riskiest = (
        CustomerScore.objects.filter(run=scored_bank, customer__rm__username="rm_demo")
        .exclude(churn_probability=None)
        .order_by("-churn_probability")
        .select_related("customer")
        .first()
    )
    band = next(k for k, (floor, _l) in CHURN_BANDS.items() if riskiest.churn_probability >= floor)
    other = next(k for k in CHURN_BANDS if k != band)
    page.goto("/customers/")
    page.fill("[data-testid=search]", riskiest.customer.customer_no)
    page.select_option("[data-testid=filter-churn]", band)
    page.click("[data-testid=search-submit]")
    expect(page).to_have_url(re.compile(f"churn={band}"))
    expect(page.locator("#results")).to_contain_text(riskiest.customer.name_zh)
    page.select_option("[data-testid=filter-churn]", other)
    page.click("[data-testid=search-submit]")
    expect(page).to_have_url(re.compile(f"churn={other}"))
    expect(page.locator("#results")).not_to_contain_text(riskiest.customer.name_zh)

    page.goto(f"/insights/runs/{scored_bank.pk}/")
    expect(page.locator("[data-testid=run-auc]")).to_contain_text("0.")
    expect(page.locator(".chart .main-svg").first).to_be_visible()
