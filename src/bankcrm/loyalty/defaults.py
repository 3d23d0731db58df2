"""The programme a new bank starts from: four tiers (普卡/金卡/白金/钻石), the earning rules
and a small catalogue; staff edit them on the programme's pages afterwards."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from bankcrm.core.audit import audit_record
from bankcrm.core.models import AuditAction, User
from bankcrm.loyalty.models import EarnRule, Programme, Reward, RuleKind, Tier
from bankcrm.loyalty.services import programme_get

DEFAULT_TIERS = [
    # code, zh, en, rank, qualifying points, qualifying AUM, earn multiplier, benefits
    (
        "standard",
        "普卡",
        "Classic",
        0,
        0,
        0,
        "1.00",
        "积分累积\n生日礼遇",
        "Points on spending\nBirthday gift",
    ),
    (
        "gold",
        "金卡",
        "Gold",
        1,
        5_000,
        500_000,
        "1.20",
        "跨行转账手续费减免\n积分加速 1.2 倍",
        "Interbank transfer fees waived\n1.2× points",
    ),
    (
        "platinum",
        "白金",
        "Platinum",
        2,
        20_000,
        3_000_000,
        "1.50",
        "机场贵宾厅每年 6 次\n优先服务\n积分加速 1.5 倍",
        "Airport lounge 6 times a year\nPriority service\n1.5× points",
    ),
    (
        "diamond",
        "钻石",
        "Diamond",
        3,
        60_000,
        10_000_000,
        "2.00",
        "机场贵宾厅不限次\n专属客户经理\n所有手续费减免\n积分加速 2 倍",
        "Unlimited airport lounge\nDedicated relationship manager\nAll fees waived\n2× points",
    ),
]

DEFAULT_RULES: list[dict[str, Any]] = [
    {
        "code": "card-spend",
        "kind": RuleKind.SPEND,
        "name_zh": "消费积分",
        "name_en": "Card and purchase spending",
        "txn_type": "purchase",
        "points": 1,
        "per_cny": 10,
        "monthly_cap": 20_000,
    },
    {
        "code": "mobile-bonus",
        "kind": RuleKind.SPEND,
        "name_zh": "手机银行消费双倍积分",
        "name_en": "Mobile payments: double points",
        "txn_type": "purchase",
        "channel": "mobile",
        "points": 1,
        "per_cny": 10,
        "monthly_cap": 10_000,
    },
    {
        "code": "bill-pay",
        "kind": RuleKind.SPEND,
        "name_zh": "缴费积分",
        "name_en": "Bill payments",
        "txn_type": "bill",
        "points": 1,
        "per_cny": 20,
        "monthly_cap": 2_000,
    },
    {
        "code": "no-fees",
        "kind": RuleKind.EXCLUDE,
        "name_zh": "手续费不积分",
        "name_en": "No points on fees",
        "txn_type": "fee",
        "direction": "",
    },
    {
        "code": "no-own-transfers",
        "kind": RuleKind.EXCLUDE,
        "name_zh": "本人账户间转账不积分",
        "name_en": "No points on transfers to oneself",
        "counterparty_category": "own_account",
        "direction": "",
    },
    {
        "code": "aum-monthly",
        "kind": RuleKind.AUM,
        "name_zh": "资产月度积分",
        "name_en": "Monthly points for AUM held",
        "points": 1,
        "per_cny": 10_000,
        "monthly_cap": 3_000,
        "direction": "",
    },
    {
        "code": "campaign",
        "kind": RuleKind.CAMPAIGN,
        "name_zh": "营销活动转化奖励",
        "name_en": "Campaign conversion bonus",
        "points": 500,
        "direction": "",
    },
    {
        "code": "survey",
        "kind": RuleKind.SURVEY,
        "name_zh": "问卷奖励",
        "name_en": "Survey bonus",
        "points": 100,
        "direction": "",
    },
]

DEFAULT_REWARDS = [
    ("umbrella", "定制雨伞", "Branded umbrella", "gift", 1_500, 200, None),
    (
        "transfer-fee",
        "跨行转账手续费减免券",
        "Interbank transfer fee waiver",
        "fee_waiver",
        800,
        None,
        None,
    ),
    ("coffee", "咖啡代金券 30 元", "Coffee voucher ¥30", "voucher", 2_500, 1_000, None),
    (
        "deposit-rate",
        "定期存款加息券 0.1%",
        "Time deposit rate bonus 0.1%",
        "rate_bonus",
        12_000,
        300,
        "gold",
    ),
    ("lounge", "机场贵宾厅单次券", "Airport lounge pass", "voucher", 8_000, 150, "platinum"),
    ("charity", "公益捐赠 10 元", "Charity donation ¥10", "donation", 1_000, None, None),
]


@transaction.atomic
def programme_setup_defaults(*, actor: User | None, on: dt.date | None = None) -> Programme:
    """The programme with the four tiers, the earning rules and a small catalogue, for those
    not set up yet (by code): a new bank starts from these and edits them."""
    programme = programme_get()
    start = on or dt.date(2000, 1, 1)
    for code, zh, en, rank, pts, aum, mult, bzh, ben in DEFAULT_TIERS:
        Tier.objects.get_or_create(
            code=code,
            defaults={
                "name_zh": zh,
                "name_en": en,
                "rank": rank,
                "min_points": pts,
                "min_aum": aum,
                "earn_multiplier": mult,
                "benefits_zh": bzh,
                "benefits_en": ben,
            },
        )
    for rule in DEFAULT_RULES:
        if not EarnRule.objects.filter(code=rule["code"]).exists():
            EarnRule.objects.create(effective_from=start, **rule)
    tiers = {t.code: t for t in Tier.objects.all()}
    for code, zh, en, kind, price, stock, tier in DEFAULT_REWARDS:
        Reward.objects.get_or_create(
            code=code,
            defaults={
                "name_zh": zh,
                "name_en": en,
                "kind": kind,
                "points_price": price,
                "stock": stock,
                "min_tier": tiers.get(tier) if tier else None,
            },
        )
    audit_record(actor=actor, action=AuditAction.CREATE, obj=programme, purpose="loyalty setup")
    return programme
