"""Plotly's 4.8 MB script is fetched only by pages that draw a chart."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.test_staff_defects import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_plotly_loads_only_on_pages_with_charts(bank, new_page):
    page = new_page()
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url) if "plotly" in r.url else None)
    log_in(page, bank.rm.username)  # an RM lands on the agenda: no charts there
    assert fetched == []
    page.goto("/")  # the dashboard: charts
    expect(page.locator("[data-testid=chart-aum-trend] .main-svg").first).to_be_visible()
    assert len(fetched) == 1
    fetched.clear()
    for url in ("/customers/", "/tasks/", "/account/tokens/"):
        page.goto(url)
        page.wait_for_load_state("networkidle")
    assert fetched == []
    page.goto(f"/customers/{bank.mine.pk}/")
    expect(page.locator("[data-testid=chart-aum] .main-svg").first).to_be_visible()
    assert len(fetched) == 1
