"""Lifecycle rules and next-best-product suitability on hand-made customers."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from bankcrm.analytics.lifecycle import LifecycleRules, lifecycle_stages, transitions
from bankcrm.analytics.recommend import NextBestProduct


def customers(**overrides):
    base = dict(
        tenure_months=36,
        aum=100000.0,
        aum_6m_ago=100000.0,
        txn_3m=10,
        txn_prev_3m=10,
        days_since_last_txn=5,
        products=2,
        products_6m_ago=2,
        is_closed=False,
    )
    base.update(overrides)
    return base


def test_each_stage_from_its_rule():
    frame = pd.DataFrame(
        [
            customers(),  # mature
            customers(tenure_months=2, aum_6m_ago=0),  # new
            customers(aum=50000.0),  # declining: AUM −50 %
            customers(txn_3m=2, txn_prev_3m=12),  # declining: activity −83 %
            customers(aum=130000.0),  # growing
            customers(products=3),  # growing: a new product
            customers(days_since_last_txn=200),  # dormant (money still there)
            customers(days_since_last_txn=400, aum=10.0),  # churned: silent and empty
            customers(is_closed=True),  # churned: closed
        ]
    )
    assert list(lifecycle_stages(frame)) == [
        "mature",
        "new",
        "declining",
        "declining",
        "growing",
        "growing",
        "dormant",
        "churned",
        "churned",
    ]


def test_rules_are_configurable():
    frame = pd.DataFrame([customers(aum=85000.0)])  # −15 %
    assert lifecycle_stages(frame).iloc[0] == "mature"
    assert lifecycle_stages(frame, LifecycleRules(declining_aum_change=-0.1)).iloc[0] == (
        "declining"
    )


def test_missing_columns_are_named():
    with pytest.raises(ValueError, match="days_since_last_txn"):
        lifecycle_stages(pd.DataFrame([{"aum": 1}]))


def test_transitions_list_only_changes():
    before = pd.Series({1: "mature", 2: "growing"})
    after = pd.Series({1: "declining", 2: "growing", 3: "new"})
    t = transitions(before, after)
    assert t.to_dict("index") == {
        1: {"from_stage": "mature", "to_stage": "declining"},
        3: {"from_stage": "", "to_stage": "new"},
    }


CATALOGUE = pd.DataFrame(
    [
        {
            "product": "DEP",
            "risk_level": "R1",
            "min_amount": 0,
            "on_sale": True,
            "name_en": "Savings",
            "name_zh": "活期",
        },
        {
            "product": "TD",
            "risk_level": "R1",
            "min_amount": 50,
            "on_sale": True,
            "name_en": "Time deposit",
            "name_zh": "定期",
        },
        {
            "product": "BOND",
            "risk_level": "R2",
            "min_amount": 10000,
            "on_sale": True,
            "name_en": "Bond fund",
            "name_zh": "债券基金",
        },
        {
            "product": "EQ",
            "risk_level": "R4",
            "min_amount": 1000,
            "on_sale": True,
            "name_en": "Equity fund",
            "name_zh": "股票基金",
        },
        {
            "product": "OLD",
            "risk_level": "R1",
            "min_amount": 0,
            "on_sale": False,
            "name_en": "Closed product",
            "name_zh": "停售产品",
        },
    ]
)


@pytest.fixture
def nbp():
    rng = np.random.default_rng(0)
    rows = []
    day = dt.date(2024, 1, 1)
    for c in range(400):
        rows.append((c, "DEP", day))
        if c % 2 == 0:  # half hold a time deposit, and most of them later a bond fund
            rows.append((c, "TD", day + dt.timedelta(days=30)))
            if rng.random() < 0.8:
                rows.append((c, "BOND", day + dt.timedelta(days=90)))
            if rng.random() < 0.5:
                rows.append((c, "EQ", day + dt.timedelta(days=120)))
        elif rng.random() < 0.05:
            rows.append((c, "EQ", day + dt.timedelta(days=60)))
        if c % 7 == 0:
            rows.append((c, "OLD", day))
    return NextBestProduct().fit(pd.DataFrame(rows, columns=["customer", "product", "opened"]))


def test_recommends_what_similar_customers_took_up_next(nbp):
    recs = nbp.recommend(
        held=["DEP", "TD"],
        risk_appetite="R3",
        risk_valid=True,
        age=40,
        liquid_balance=50000,
        catalogue=CATALOGUE,
    )
    assert recs[0].product == "BOND" and recs[0].because == "TD"
    assert "Time deposit" in recs[0].reason_en and "定期" in recs[0].reason_zh


def test_never_above_risk_appetite_age_rule_or_balance(nbp):
    def products(**kw):
        args = dict(
            held=["DEP", "TD"],
            risk_appetite="R5",
            risk_valid=True,
            age=40,
            liquid_balance=50000,
            catalogue=CATALOGUE,
        )
        args.update(kw)
        return {r.product for r in nbp.recommend(**args, n=10)}

    assert "EQ" in products()
    assert "EQ" not in products(risk_appetite="R3")  # R4 product above R3 appetite
    assert "EQ" not in products(age=70)  # seniors: nothing above R3
    assert products(risk_valid=False) <= {"DEP", "TD", "OLD"}  # expired: R1 only
    assert "BOND" not in products(liquid_balance=5000)  # below the minimum amount
    assert "OLD" not in products()  # off sale
    assert not products() & {"DEP", "TD"}  # never what is already held
