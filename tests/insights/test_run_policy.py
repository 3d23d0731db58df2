"""Who reads a run's bank-wide figures (issue 15, finding 14): the bank-wide roles; RMs and
branch managers get the model's quality and their own scope's figures, not the bank's."""

from __future__ import annotations

import pytest

from bankcrm.insights.selectors import POPULATION_METRICS
from tests.house.test_authorization_matrix import a_run

NARROW = ("rm", "branch_manager")
WIDE = ("marketing", "service", "compliance", "admin")


@pytest.mark.django_db
def test_the_run_api_shows_bank_wide_segment_counts_only_to_bank_wide_roles(bank, login):
    run_id = a_run(bank, None)["pk"]
    for role in NARROW + WIDE:
        metrics = login(bank.user(role)).get(f"/api/v1/analytics/runs/{run_id}").json()["metrics"]
        assert "churn" in metrics and metrics["churn"]["auc"] == 0.8  # model quality: everyone
        shown = POPULATION_METRICS & set(metrics)
        if role in NARROW:
            assert shown == set(), role
        else:
            assert shown == {"segments", "clv_by_segment"}, role


@pytest.mark.django_db
def test_the_run_page_draws_the_segment_charts_only_for_bank_wide_roles(bank, login):
    run_id = a_run(bank, None)["pk"]
    for role in NARROW + WIDE:
        page = login(bank.user(role)).get(f"/insights/runs/{run_id}/").content.decode()
        assert ("Customers by RFM segment" in page) == (role in WIDE), role
        assert "Calibration" in page
