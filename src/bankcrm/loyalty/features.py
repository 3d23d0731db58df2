"""Loyalty's per-customer features for the churn model (insights joins them): points earned
and redeemed in the six months to the day, and the tier's rank. One grouped query each."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from django.db.models import F, Q, Sum

from bankcrm.core.dates import day_start_utc
from bankcrm.loyalty.models import Entry, EntryKind, Member, MemberStatus

LOYALTY_FEATURES = ("points_earned_6m", "points_redeemed_6m", "loyalty_tier_rank")


def loyalty_features(as_of: dt.date) -> pd.DataFrame:
    """Per customer id: the three features (absent customers: 0, filled by insights)."""
    start = day_start_utc(as_of - dt.timedelta(days=182))
    end = day_start_utc(as_of + dt.timedelta(days=1))
    activity = list(
        Entry.objects.filter(occurred_at__gte=start, occurred_at__lt=end)
        .values(customer_id=F("member__customer_id"))
        .annotate(
            points_earned_6m=Sum("points", filter=Q(kind=EntryKind.EARN)),
            points_redeemed_6m=Sum("points", filter=Q(kind=EntryKind.REDEEM)),
        )
    )
    tiers = list(
        Member.objects.filter(status=MemberStatus.ACTIVE, tier__isnull=False).values(
            "customer_id", loyalty_tier_rank=F("tier__rank")
        )
    )
    frames = [pd.DataFrame.from_records(rows) for rows in (activity, tiers) if rows]
    if not frames:
        return pd.DataFrame()
    out = frames[0].groupby("customer_id").sum()
    for extra in frames[1:]:
        out = out.join(extra.groupby("customer_id").max(), how="outer")
    if "points_redeemed_6m" in out:
        out["points_redeemed_6m"] = -out["points_redeemed_6m"].astype(float)
    return out.astype(float)
