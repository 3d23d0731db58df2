"""A full analytics run on a demo bank: every model, stored scores, validated against truth.

The demo generator puts each customer on a hidden behaviour path (``CustomerTruth``); the
models never read it, and these tests judge them against it.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from io import StringIO

import numpy as np
import pandas as pd
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Sum

from bankcrm.analytics.recommend import RISK_RANK
from bankcrm.banking.models import BalanceSnapshot, Product, ProductStatus
from bankcrm.core.dates import months_before
from bankcrm.customers.models import Customer
from bankcrm.demo.build import build_demo_bank, flush_database
from bankcrm.demo.models import BehaviourPath, CustomerTruth
from bankcrm.demo.plan import DemoConfig
from bankcrm.insights.models import AnalyticsRun, CustomerScore, LifecycleTransition, RunStatus
from bankcrm.insights.runs import STAGES, RunError, RunSettings, analytics_run

AS_OF = dt.date(2025, 12, 31)
BANK = DemoConfig(customers=2500, seed=11, months=24, as_of=AS_OF, password="demo-pass-test")


@pytest.fixture(scope="module")
def demo_run(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        build_demo_bank(config=BANK)
        run = analytics_run()
        yield run
        flush_database()


pytestmark = pytest.mark.django_db


def test_every_customer_gets_one_score_with_the_run_and_model_version(demo_run):
    assert demo_run.status == RunStatus.SUCCEEDED
    assert demo_run.as_of == AS_OF  # the day of the newest transaction
    assert demo_run.customers == Customer.objects.count() == BANK.customers
    assert CustomerScore.objects.filter(run=demo_run).count() == BANK.customers
    assert demo_run.model_version and demo_run.parameters["horizon_months"] == 6
    assert set(demo_run.metrics["timings"]) == set(STAGES)
    # Closed customers are churned and carry no churn score; open ones all have one.
    closed = CustomerScore.objects.filter(run=demo_run, customer__closed_on__isnull=False)
    assert closed.exists()
    assert set(closed.values_list("lifecycle_stage", flat=True)) == {"churned"}
    assert not closed.exclude(churn_probability=None).exists()
    open_ = CustomerScore.objects.filter(run=demo_run, customer__closed_on__isnull=True)
    assert not open_.filter(churn_probability=None).exists()
    assert not open_.filter(clv=None).exists()
    assert set(open_.values_list("tier", flat=True)) >= {"mass", "gold", "platinum"}


def test_churn_model_beats_an_rfm_logistic_baseline_on_the_time_based_hold_out(demo_run):
    churn = demo_run.metrics["churn"]
    assert churn["evaluation"] == "time-based hold-out"
    assert churn["test_as_of"] < AS_OF.isoformat() and churn["train_as_of"] < churn["test_as_of"]
    print(
        f"\nhold-out AUC {churn['auc']:.3f}, RFM logistic baseline {churn['baseline_auc']:.3f}, "
        f"Brier {churn['brier']:.4f} vs base rate {churn['base_rate_brier']:.4f}"
    )
    assert churn["auc"] > churn["baseline_auc"] + 0.05
    assert churn["auc"] > 0.8
    assert churn["brier"] < churn["base_rate_brier"]


def _top_decile(scores: pd.Series, truth: pd.Series) -> tuple[float, float]:
    top = scores.rank(ascending=False, method="first") <= len(scores) / 10
    hits = int((top & truth).sum())
    return hits / int(top.sum()), hits / int(truth.sum())


def test_declining_customers_are_ranked_at_risk_against_the_ground_truth(demo_run):
    truth = pd.DataFrame.from_records(
        list(CustomerTruth.objects.values("customer_id", "path", "left_on"))
    ).set_index("customer_id")
    # Hold-out: customers open at the evaluation cut-off, scored by the model trained before.
    h = demo_run.holdout
    on_path = truth["path"].reindex(h.index) == BehaviourPath.DECLINING
    precision, recall = _top_decile(h["probability"], on_path)
    # Today: declining customers who have not left yet — the ones an RM can still save.
    now = pd.DataFrame.from_records(
        list(
            CustomerScore.objects.filter(run=demo_run)
            .exclude(churn_probability=None)
            .values("customer_id", "churn_probability")
        )
    ).set_index("customer_id")
    still_here = truth["path"].reindex(now.index) == BehaviourPath.DECLINING
    assert still_here.sum() >= 20
    precision_now, recall_now = _top_decile(now["churn_probability"], still_here)
    print(
        f"\nhold-out top decile: precision {precision:.2f}, recall {recall:.2f} "
        f"({on_path.sum()} declining of {len(h)}); today: precision {precision_now:.2f}, "
        f"recall {recall_now:.2f} ({still_here.sum()} declining of {len(now)})"
    )
    base = on_path.mean()
    assert precision > 2.5 * base and recall > 0.4
    assert precision_now > 5 * still_here.mean() and recall_now > 0.7


def test_next_best_product_beats_popularity_on_the_last_product_taken_up(demo_run):
    rec = demo_run.metrics["recommend"]
    print(
        f"\nhit rate@{rec['k']}: {rec['hit_rate']:.3f}, popularity {rec['popularity_hit_rate']:.3f}"
        f" ({rec['customers']} customers)"
    )
    assert rec["customers"] > 500
    assert rec["hit_rate"] > rec["popularity_hit_rate"]


def test_no_recommendation_is_unsuitable_anywhere_in_the_bank(demo_run):
    """Checked from the database, independently of the recommender's own filter."""
    products = {p.code: p for p in Product.objects.all()}
    month = months_before(AS_OF, 0)
    liquid = dict(
        BalanceSnapshot.objects.filter(month=month, account__product__category="deposit")
        .values_list("customer_id")
        .annotate(b=Sum("balance"))
        .values_list("customer_id", "b")
    )
    checked = 0
    scores = CustomerScore.objects.filter(run=demo_run).select_related("customer")
    for score in scores.iterator():
        c = score.customer
        valid = bool(c.risk_appetite and c.risk_expires_on and c.risk_expires_on >= AS_OF)
        limit = RISK_RANK[c.risk_appetite] if valid else 1
        if c.birth_date and c.kind == "individual" and (AS_OF - c.birth_date).days >= 65 * 365.25:
            limit = min(limit, 3)
        held = set(
            c.accounts.filter(closed_on__isnull=True).values_list("product__code", flat=True)
        )
        for r in score.recommendations:
            p = products[r["product"]]
            assert RISK_RANK[p.risk_level] <= limit, (c.pk, r, c.risk_appetite)
            assert p.status == ProductStatus.ON_SALE, (c.pk, r)
            assert float(p.min_amount) <= float(liquid.get(c.pk, 0)), (c.pk, r)
            assert r["product"] not in held
            assert r["en"] and r["zh"]
            checked += 1
    assert checked > BANK.customers  # most customers get recommendations


def test_at_risk_customers_carry_reasons_in_both_languages(demo_run):
    flagged = CustomerScore.objects.filter(run=demo_run).exclude(churn_reasons=[])
    assert flagged.count() > 50
    top = flagged.order_by("-churn_probability").first()
    assert top is not None and 1 <= len(top.churn_reasons) <= 3
    for r in top.churn_reasons:
        assert r["en"] and r["zh"] and r["contribution"] > 0
    report = demo_run.metrics["churn"]
    assert len(report["calibration"]) == 10 and len(report["lift"]) == 10
    assert report["lift"][0]["lift"] > 2
    assert {f["feature"] for f in report["top_features"]} <= set(report["features"])


def test_segments_clusters_and_clv_by_segment_are_reported(demo_run):
    m = demo_run.metrics
    assert sum(m["segments"].values()) == Customer.objects.filter(closed_on__isnull=True).count()
    assert len(m["clusters"]) == 5 and all(c["en"] and c["zh"] for c in m["clusters"])
    assert m["clv_by_segment"]["champions"] > m["clv_by_segment"]["hibernating"]
    assert m["bgnbd"]["customers"] > 1000 and np.isfinite(m["bgnbd"]["log_likelihood"])
    stages = set(
        CustomerScore.objects.filter(run=demo_run).values_list("lifecycle_stage", flat=True)
    )
    assert {"declining", "churned", "mature"} <= stages


def test_a_second_run_keeps_history_and_records_only_stage_changes(demo_run):
    first_transitions = LifecycleTransition.objects.filter(run=demo_run).count()
    assert first_transitions == BANK.customers  # everyone enters from no stage
    again = analytics_run(settings=RunSettings(as_of=AS_OF))
    assert CustomerScore.objects.filter(customer__in=Customer.objects.all()).count() == (
        2 * BANK.customers
    )
    # Same data, same day: nobody moved.
    assert LifecycleTransition.objects.filter(run=again).count() == 0
    # A month earlier, some customers were in another stage.
    earlier = analytics_run(settings=RunSettings(as_of=dt.date(2025, 11, 30)))
    moved = LifecycleTransition.objects.filter(run=earlier)
    assert moved.exists() and moved.exclude(from_stage="").count() == moved.count()


def _hold_run_lock(held: threading.Event, release: threading.Event) -> None:
    from django.db import connection

    from bankcrm.insights.runs import RUN_LOCK
    from bankcrm.jobs.locks import job_lock

    try:
        with job_lock(RUN_LOCK) as taken:
            assert taken
            held.set()
            release.wait(30)
    finally:
        connection.close()


def test_a_run_refuses_to_start_beside_a_running_one(demo_run):
    """Another process (here: thread) holds the run lock: refused. A run left "running" by a
    process that died (no lock) is marked interrupted when the next one starts."""
    from django.utils import timezone

    held, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold_run_lock, args=(held, release))
    holder.start()
    try:
        assert held.wait(10)
        with pytest.raises(RunError, match="in progress"):
            analytics_run()
    finally:
        release.set()
        holder.join()
    dead = AnalyticsRun.objects.create(
        started_at=timezone.now(), as_of=AS_OF, model_version="x", status=RunStatus.RUNNING
    )
    run = analytics_run()
    dead.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED
    assert dead.status == RunStatus.FAILED and "interrupted" in dead.error


def test_command_prints_figures_and_json(demo_run):
    out = StringIO()
    call_command("analytics", "run", "--json", "--as-of", AS_OF.isoformat(), stdout=out)
    payload = json.loads(out.getvalue())
    assert payload["status"] == "succeeded" and payload["customers"] == BANK.customers
    assert payload["metrics"]["churn"]["auc"] > 0.5
    out = StringIO()
    call_command("analytics", "run", "--no-progress", stdout=out)
    text = out.getvalue()
    assert "AUC" in text and "hit rate@3" in text and "Stage timings" in text
    with pytest.raises(CommandError, match="horizon"):
        call_command("analytics", "run", "--horizon", "0")


# -- what staff see of a run: list filters, dashboard, API -------------------------------------


def _login(username: str):
    from django.test import Client

    from bankcrm.core.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def test_customer_list_filters_by_churn_band_segment_and_lifecycle_within_scope(demo_run):
    from bankcrm.core.models import User
    from bankcrm.insights.selectors import latest_run

    run = latest_run()
    rm = User.objects.get(username="rm_demo")
    client = _login("rm_demo")
    high = set(
        CustomerScore.objects.filter(
            run=run, churn_probability__gte=0.2, customer__rm=rm
        ).values_list("customer__customer_no", flat=True)
    )
    assert high, "the demo RM should have high-risk customers"
    api = client.get("/api/v1/customers", {"churn": "high", "limit": 200}).json()
    assert {c["customer_no"] for c in api["items"]} == high
    page = client.get("/customers/", {"churn": "high"})
    assert page.status_code == 200
    for no in list(high)[:5]:
        assert no in page.content.decode()
    declining = CustomerScore.objects.filter(
        run=run, lifecycle_stage="declining", customer__rm=rm
    ).count()
    got = client.get("/api/v1/customers", {"lifecycle": "declining", "limit": 200}).json()
    assert len(got["items"]) == declining
    champions = client.get("/api/v1/customers", {"segment": "champions", "limit": 200}).json()
    assert champions["items"] and all(
        CustomerScore.objects.get(run=run, customer_id=c["id"]).rfm_segment == "champions"
        for c in champions["items"]
    )


def test_at_risk_api_is_scoped_and_ordered_by_value_at_risk(demo_run):
    from bankcrm.core.models import User

    rm = User.objects.get(username="rm_demo")
    items = _login("rm_demo").get("/api/v1/analytics/at-risk", {"limit": 100}).json()["items"]
    assert items
    mine = set(Customer.objects.filter(rm=rm).values_list("id", flat=True))
    assert {i["customer_id"] for i in items} <= mine
    values = [float(i["value_at_risk"]) for i in items]
    assert values == sorted(values, reverse=True)
    assert items[0]["churn_reasons"] and items[0]["churn_reasons"][0]["en"]


def test_kpis_by_segment_add_up_to_the_scope_on_api_and_dashboard(demo_run):
    from bankcrm.core.models import User
    from bankcrm.customers.selectors import customers_visible_to

    manager = User.objects.get(username="manager_demo")
    client = _login("manager_demo")
    for by in ("segment", "tier", "lifecycle", "life_stage"):
        body = client.get("/api/v1/kpis/segments", {"by": by}).json()
        assert body["by"] == by
        assert sum(r["customers"] for r in body["rows"]) == customers_visible_to(manager).count()
    page = client.get("/", {"by": "lifecycle"}).content.decode()
    assert 'data-testid="segment-kpis"' in page and "Declining" in page


def test_runs_api_lists_runs_and_returns_the_report(demo_run):
    client = _login("rm_demo")
    runs = client.get("/api/v1/analytics/runs").json()
    assert demo_run.pk in {r["id"] for r in runs}
    detail = client.get(f"/api/v1/analytics/runs/{demo_run.pk}").json()
    assert detail["metrics"]["churn"]["auc"] == demo_run.metrics["churn"]["auc"]
    assert client.get("/api/v1/analytics/runs/999999").status_code == 404
    report = client.get(f"/insights/runs/{demo_run.pk}/").content.decode()
    assert 'data-testid="run-hit-rate"' in report and "RFM" in report


def test_model_report_shows_the_baselines_and_the_chosen_model(demo_run):
    churn = demo_run.metrics["churn"]
    names = [b["name"] for b in churn["baselines"]]
    assert names == ["logistic regression", "HistGradientBoosting", "LightGBM"]
    assert churn["chosen"] in churn["candidates"]
    assert churn["scoring_chosen"] in churn["candidates"]
    for b in churn["baselines"]:
        assert b["auc_difference"] == churn["auc"] - b["auc"] and 0 < b["brier"] < 1
    report = _login("rm_demo").get(f"/insights/runs/{demo_run.pk}/").content.decode()
    assert 'data-testid="run-baselines"' in report
    assert "HistGradientBoosting" in report and "LightGBM" in report
    assert f'data-testid="run-chosen">{churn["chosen"]}<' in report
