"""Needs segments: life stages by age and behaviour clusters with readable profiles."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bankcrm.analytics.segments import BehaviourClusters, life_stage


def test_life_stage_bands():
    ages = pd.Series([22, 35, 50, 60, 70, np.nan])
    assert list(life_stage(ages)) == [
        "starter",
        "builder",
        "established",
        "pre_retirement",
        "retired",
        "unknown",
    ]


def test_clusters_recover_planted_groups_and_describe_them():
    rng = np.random.default_rng(1)
    digital = pd.DataFrame(
        {"aum": rng.normal(20_000, 3_000, 300), "digital_share": rng.normal(0.9, 0.03, 300)}
    )
    wealthy = pd.DataFrame(
        {"aum": rng.normal(3_000_000, 200_000, 100), "digital_share": rng.normal(0.2, 0.05, 100)}
    )
    model = BehaviourClusters(n_clusters=2, random_state=0).fit(
        pd.concat([digital, wealthy], ignore_index=True),
        names={"aum": ("AUM", "资产"), "digital_share": ("digital use", "线上使用")},
    )
    sizes = sorted(p.size for p in model.profiles_)
    assert sizes == [100, 300]
    rich = max(model.profiles_, key=lambda p: p.means["aum"])
    assert "high AUM" in rich.description_en and "资产高" in rich.description_zh
    again = BehaviourClusters(n_clusters=2, random_state=0).fit(
        pd.concat([digital, wealthy], ignore_index=True)
    )
    assert (again.labels_ == model.labels_).all()
