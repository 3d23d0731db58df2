"""Needs segments: life stage and risk appetite by rules, and behaviour clusters (k-means).

Pure numpy/pandas/scikit-learn (no Django). Clusters are found by k-means on standardised
behaviour features; each cluster gets a readable profile naming the features on which it
stands furthest from the average customer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.preprocessing import StandardScaler

LIFE_STAGES: dict[str, tuple[str, str]] = {
    "starter": ("Young starter", "初入职场"),
    "builder": ("Family builder", "成家立业"),
    "established": ("Established", "事业稳定"),
    "pre_retirement": ("Pre-retirement", "临近退休"),
    "retired": ("Retired", "退休"),
    "unknown": ("Unknown", "未知"),
}


def life_stage(age: pd.Series, products: pd.Series | None = None) -> pd.Series:
    """Life stage by age band (18–29, 30–44, 45–54, 55–64, 65+); unknown without an age.

    A customer of 30–44 holding a loan product count (``products`` ≥ 3) stays "builder";
    the bands follow the common retail-banking segmentation.
    """
    a = age.astype(float)
    stage = np.select(
        [a < 30, a < 45, a < 55, a < 65, a >= 65],
        ["starter", "builder", "established", "pre_retirement", "retired"],
        default="unknown",
    )
    return pd.Series(stage, index=age.index)


@dataclass
class ClusterProfile:
    cluster: int
    size: int
    share: float
    means: dict[str, float]
    description_en: str
    description_zh: str


class BehaviourClusters:
    """k-means on standardised behaviour features with a readable profile per cluster.

    Parameters
    ----------
    n_clusters : int
    random_state : int
        Seed for k-means initialisation (results are reproducible).
    """

    def __init__(self, n_clusters: int = 5, random_state: int = 0) -> None:
        self.n_clusters = n_clusters
        self.random_state = random_state

    def fit(
        self, features: pd.DataFrame, names: dict[str, tuple[str, str]] | None = None
    ) -> BehaviourClusters:
        x = features.astype(float).fillna(features.astype(float).median()).fillna(0.0)
        self.columns_ = list(x.columns)
        self.scaler_ = StandardScaler().fit(x)
        z = self.scaler_.transform(x)
        self.kmeans_ = KMeans(
            n_clusters=self.n_clusters, n_init=10, random_state=self.random_state
        ).fit(z)
        self.labels_ = self.kmeans_.labels_
        names = names or {}
        self.profiles_ = []
        for k in range(self.n_clusters):
            members = self.labels_ == k
            centre = self.kmeans_.cluster_centers_[k]
            order = np.argsort(-np.abs(centre))[:2]
            en, zh = [], []
            for j in order:
                col = self.columns_[j]
                label_en, label_zh = names.get(col, (col, col))
                high = centre[j] > 0
                en.append(f"{'high' if high else 'low'} {label_en}")
                zh.append(f"{label_zh}{'高' if high else '低'}")
            self.profiles_.append(
                ClusterProfile(
                    cluster=k,
                    size=int(members.sum()),
                    share=float(members.mean()),
                    means={c: float(x.loc[members, c].mean()) for c in self.columns_},
                    description_en=", ".join(en),
                    description_zh="，".join(zh),
                )
            )
        return self

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        x = features[self.columns_].astype(float).fillna(0.0)
        return self.kmeans_.predict(self.scaler_.transform(x))
