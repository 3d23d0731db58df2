"""Earning over transactions: the rules, exclusions, multipliers, caps and idempotency."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Sum

from bankcrm.loyalty import runs, services
from bankcrm.loyalty.models import EarnRule, Entry, Member, Tier
from tests.factories import AccountFactory, SnapshotFactory
from tests.loyalty.conftest import purchase


def _points(customer) -> int:
    return Entry.objects.filter(member__customer=customer).aggregate(s=Sum("points"))["s"] or 0


def test_purchase_earns_one_point_per_ten_yuan_and_mobile_doubles(bank, programme):
    purchase(bank.mine, "1234.56", channel="wechat_pay")
    purchase(bank.other, "100.00", channel="mobile")
    result = runs.earn_transactions()
    assert result.entries == 3 and result.enrolled == 2
    assert _points(bank.mine) == 123
    assert _points(bank.other) == 20  # 10 base + 10 mobile bonus
    member = services.member_of(bank.mine.pk)
    assert member is not None and member.balance == 123 and member.tier.code == "standard"


def test_fees_and_transfers_to_oneself_earn_nothing(bank, programme):
    purchase(bank.mine, "500.00", txn_type="fee")
    purchase(bank.mine, "500.00", counterparty_category="own_account")
    purchase(bank.mine, "500.00", direction="credit")  # money in: the rules ask for debits
    runs.earn_transactions()
    assert _points(bank.mine) == 0


def test_the_same_transactions_earn_once_however_often_earning_runs(bank, programme):
    purchase(bank.mine, "200.00")
    first = runs.earn_transactions()
    again = runs.earn_transactions(since_id=0)  # a replay from the very start
    assert (first.entries, again.entries) == (1, 0)
    assert _points(bank.mine) == 20
    assert Member.objects.get(customer=bank.mine).balance == 20


def test_a_rule_version_applies_from_its_day_and_the_old_one_before(bank, programme, admin_user):
    rule = EarnRule.objects.get(code="card-spend")
    day = dt.date(2026, 6, 1)
    data = {
        "kind": "spend",
        "name_zh": "消费积分",
        "name_en": "Spending",
        "txn_type": "purchase",
        "points": 2,
        "per_cny": 10,
    }
    new = services.rule_new_version(actor=admin_user, rule=rule, data=data, effective_from=day)
    assert new.version == 2 and EarnRule.objects.get(pk=rule.pk).effective_to == day
    purchase(bank.mine, "100.00", day=dt.date(2026, 5, 31))
    purchase(bank.other, "100.00", day=dt.date(2026, 6, 1))
    runs.earn_transactions()
    assert (_points(bank.mine), _points(bank.other)) == (10, 20)


def test_monthly_cap_counts_earlier_runs_and_the_tier_multiplier_applies(bank, programme):
    EarnRule.objects.filter(code="card-spend").update(monthly_cap=150)
    gold = Tier.objects.get(code="gold")
    day = dt.date(2026, 3, 10)
    purchase(bank.mine, "1000.00", day=day)  # 100
    runs.earn_transactions()
    Member.objects.filter(customer=bank.mine).update(tier=gold)  # 1.2×
    purchase(bank.mine, "1000.00", day=day)  # 120, capped at 50 left
    purchase(bank.mine, "1000.00", day=day)  # nothing left this month
    purchase(bank.mine, "1000.00", day=dt.date(2026, 4, 2))  # a new month: 120
    runs.earn_transactions()
    assert _points(bank.mine) == 100 + 50 + 120


def test_points_expire_at_the_end_of_the_second_calendar_year(bank, programme):
    purchase(bank.mine, "100.00", day=dt.date(2024, 5, 1))
    runs.earn_transactions()
    assert Entry.objects.get(member__customer=bank.mine).expires_on == dt.date(2026, 12, 31)


def test_aum_points_once_a_month(bank, programme):
    account = AccountFactory(customer=bank.mine)
    services.member_ensure(customer=bank.mine)
    SnapshotFactory(account=account, month=dt.date(2026, 10, 1), balance=125_000)
    assert runs.earn_aum_month(month=dt.date(2026, 10, 1)).entries == 1
    assert runs.earn_aum_month(month=dt.date(2026, 10, 1)).entries == 0
    assert _points(bank.mine) == 12


def test_campaign_and_survey_bonuses_once_each(bank, programme):
    assert services.campaign_conversion_award(customer=bank.mine, campaign="SPRING") is not None
    assert services.campaign_conversion_award(customer=bank.mine, campaign="SPRING") is None
    assert services.survey_bonus_award(customer=bank.mine, survey="resp-1") is not None
    assert _points(bank.mine) == 600


@pytest.fixture
def admin_user(bank):
    return bank.admin
