"""Churn reasons in plain words: bilingual (English, Chinese) texts for the model's reasons.

:meth:`bankcrm.analytics.churn.ChurnModel.top_reasons` names the features pushing a
customer's risk up; :func:`explain` says each one as a relationship manager would, from a
template per feature, and generically for a feature without one. Pure Python (no Django).
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from collections.abc import Mapping
from typing import Any

from bankcrm.analytics.churn import Reason, plain_value

# A template is a pair (English, Chinese) used for any present value, or a mapping from a
# case to such a pair. Cases, tried in order: the value as text (for categories), "one" (a count
# of 1, for the singular), its sign — "down" (< 0), "zero", "up" (> 0) — then "any"; "missing"
# is the case of no value.
# Placeholders: {value}, {feature}, and for numbers {pct} = |value| (format with :.0%) and
# {points} = |value| × 100 (a change of a share, in percentage points).
ReasonText = tuple[str, str]
ReasonTemplate = ReasonText | Mapping[str, ReasonText]

DEFAULT_REASON_TEMPLATES: Mapping[str, ReasonTemplate] = {
    "aum_change_6m": {
        "down": ("AUM down {pct:.0%} in 6 months", "近6个月资产下降{pct:.0%}"),
        "zero": ("AUM unchanged in 6 months", "近6个月资产无变化"),
        "up": ("AUM up {pct:.0%} in 6 months", "近6个月资产上升{pct:.0%}"),
    },
    "salary_stopped": {
        "up": ("salary no longer credited", "工资不再入账"),
        "zero": ("salary still credited", "工资仍正常入账"),
    },
    "days_since_last_txn": ("no transaction for {value:.0f} days", "已{value:.0f}天无交易"),
    "recency_days": {
        "any": ("last transaction {value:.0f} days ago", "最近一次交易在{value:.0f}天前"),
        "missing": ("no transaction on record", "无交易记录"),
    },
    "complaints_12m": {
        "one": ("1 complaint in 12 months", "近12个月投诉1次"),
        "any": ("{value:.0f} complaints in 12 months", "近12个月投诉{value:.0f}次"),
    },
    "product_count": {
        "one": ("holds 1 product", "持有1个产品"),
        "any": ("holds {value:.0f} products", "持有{value:.0f}个产品"),
    },
    "products": {
        "one": ("holds 1 product", "持有1个产品"),
        "any": ("holds {value:.0f} products", "持有{value:.0f}个产品"),
    },
    "closed_accounts_6m": {
        "one": ("1 account closed in 6 months", "近6个月销户1个"),
        "any": ("{value:.0f} accounts closed in 6 months", "近6个月销户{value:.0f}个"),
    },
    "digital_share_change": {
        "down": (
            "digital share of transactions down {points:.0f} points",
            "数字渠道交易占比下降{points:.0f}个百分点",
        ),
        "zero": ("digital share of transactions unchanged", "数字渠道交易占比无变化"),
        "up": (
            "digital share of transactions up {points:.0f} points",
            "数字渠道交易占比上升{points:.0f}个百分点",
        ),
    },
    "balance_volatility": (
        "month-end balances vary by {value:.0%}",
        "月末余额波动幅度{value:.0%}",
    ),
    "tenure_months": ("customer for {value:.0f} months", "成为客户{value:.0f}个月"),
    "interactions_6m": {
        "one": ("1 contact with the bank in 6 months", "近6个月与银行接触1次"),
        "any": ("{value:.0f} contacts with the bank in 6 months", "近6个月与银行接触{value:.0f}次"),
    },
    "age": {
        "any": ("aged {value:.0f}", "年龄{value:.0f}岁"),
        "missing": ("no age on record (corporate or unknown)", "无年龄记录（企业客户或未登记）"),
    },
    "txn_count_3m": {
        "one": ("1 transaction in 3 months", "近3个月交易1笔"),
        "any": ("{value:.0f} transactions in 3 months", "近3个月交易{value:.0f}笔"),
    },
    "txn_3m": {
        "one": ("1 transaction in 3 months", "近3个月交易1笔"),
        "any": ("{value:.0f} transactions in 3 months", "近3个月交易{value:.0f}笔"),
    },
    "txn_trend": {
        "down": (
            "transactions down {pct:.0%} on the previous 3 months",
            "交易笔数较前3个月下降{pct:.0%}",
        ),
        "zero": ("transactions flat on the previous 3 months", "交易笔数与前3个月持平"),
        "up": (
            "transactions up {pct:.0%} on the previous 3 months",
            "交易笔数较前3个月上升{pct:.0%}",
        ),
    },
    "frequency": ("{value:.0f} transactions in the period", "期内交易{value:.0f}笔"),
    "frequency_12m": ("{value:.0f} transactions in 12 months", "近12个月交易{value:.0f}笔"),
    "monetary": ("CNY {value:,.0f} transacted", "交易金额{value:,.0f}元"),
    "monetary_12m": ("CNY {value:,.0f} transacted in 12 months", "近12个月交易金额{value:,.0f}元"),
    "aum": ("AUM of CNY {value:,.0f}", "资产规模{value:,.0f}元"),
    "kind": ("customer type: {value}", "客户类型：{value}"),
    "points_earned_6m": {
        "zero": ("no loyalty points earned in 6 months", "近6个月未获得积分"),
        "any": ("{value:.0f} loyalty points earned in 6 months", "近6个月获得积分{value:.0f}"),
    },
    "points_redeemed_6m": {
        "zero": ("no loyalty points redeemed in 6 months", "近6个月未兑换积分"),
        "any": ("{value:.0f} loyalty points redeemed in 6 months", "近6个月兑换积分{value:.0f}"),
    },
    "loyalty_tier_rank": (
        "loyalty tier {value:.0f} (0 = classic)",
        "积分等级{value:.0f}（0为普卡）",
    ),
}

GENERIC_REASON: ReasonText = ("{feature} = {value}", "{feature}为{value}")
GENERIC_MISSING: ReasonText = ("{feature} not known", "{feature}未知")


def explain(
    reason: Reason, templates: Mapping[str, ReasonTemplate] = DEFAULT_REASON_TEMPLATES
) -> tuple[str, str]:
    """A reason in plain words, as (English, Chinese).

    Uses the feature's template (see ``DEFAULT_REASON_TEMPLATES`` for the format), and
    ``"{feature} = {value}"`` / ``"{feature}为{value}"`` for a feature without one or when
    its template does not fit the value.
    """
    value = plain_value(reason.value)
    template = templates.get(reason.feature)
    chosen = _choose(template, value) if template is not None else None
    fields: dict[str, Any] = {"feature": reason.feature, "value": value}
    if isinstance(value, numbers.Real):
        fields["pct"] = abs(float(value))
        fields["points"] = abs(float(value)) * 100
    if chosen is not None:
        try:
            return chosen[0].format(**fields), chosen[1].format(**fields)
        except (KeyError, ValueError, TypeError, IndexError):
            pass  # a template that does not fit this value: say it generically
    if value is None:
        return (
            GENERIC_MISSING[0].format(feature=reason.feature),
            GENERIC_MISSING[1].format(feature=reason.feature),
        )
    shown = _display(value)
    return (
        GENERIC_REASON[0].format(feature=reason.feature, value=shown),
        GENERIC_REASON[1].format(feature=reason.feature, value=shown),
    )


def _choose(template: ReasonTemplate, value: Any) -> ReasonText | None:
    if isinstance(template, tuple):
        return template if value is not None else None
    if value is None:
        return template.get("missing")
    if str(value) in template:
        return template[str(value)]
    if isinstance(value, numbers.Real) and not math.isnan(float(value)):
        if "one" in template and round(float(value)) == 1:  # "1 product", not "1 products"
            return template["one"]
        sign = "down" if value < 0 else "zero" if value == 0 else "up"
        if sign in template:
            return template[sign]
    return template.get("any")


def _display(value: Any) -> str:
    if isinstance(value, dt.datetime) and value.time() == dt.time.min:
        return value.date().isoformat()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return str(value)
    number = float(value)
    if number.is_integer():
        return f"{int(number)}"
    return f"{number:.2f}".rstrip("0").rstrip(".")


__all__ = [
    "DEFAULT_REASON_TEMPLATES",
    "GENERIC_MISSING",
    "GENERIC_REASON",
    "ReasonTemplate",
    "ReasonText",
    "explain",
]
