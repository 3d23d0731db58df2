"""Redemptions, cancellations, adjustments, transfers, expiry, tiers and the balance check."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import Sum

from bankcrm.core.models import AuditEvent
from bankcrm.customers.merging import customer_merge
from bankcrm.customers.models import GroupMembership, RelationshipGroup
from bankcrm.loyalty import runs, services
from bankcrm.loyalty.models import (
    Adjustment,
    Entry,
    Member,
    MemberStatus,
    Redemption,
    Reward,
    Tier,
    TierChange,
)
from bankcrm.loyalty.tasks import balance_check_task
from tests.conftest import on_postgres
from tests.factories import CustomerFactory
from tests.loyalty.conftest import booked, give, reward


def _sum(member: Member) -> int:
    return Entry.objects.filter(member=member).aggregate(s=Sum("points"))["s"] or 0


def test_a_redemption_takes_points_and_stock_and_a_cancellation_gives_both_back(bank, programme):
    member = give(bank.mine, 500)
    prize = reward(price=200, stock=3)
    r = services.redemption_create(actor=bank.rm, customer=bank.mine, reward=prize, quantity=2)
    member.refresh_from_db()
    prize.refresh_from_db()
    assert (member.balance, prize.stock, r.points) == (100, 1, 400)
    services.redemption_cancel(actor=bank.rm, redemption=r, reason="客户改变主意")
    member.refresh_from_db()
    prize.refresh_from_db()
    assert (member.balance, prize.stock) == (500, 3)
    assert member.balance == _sum(member)
    kinds = list(Entry.objects.filter(member=member).order_by("id").values_list("kind", flat=True))
    assert kinds == ["earn", "redeem", "reverse"]
    with pytest.raises(services.LoyaltyRefused) as again:
        services.redemption_cancel(actor=bank.rm, redemption=r)
    assert again.value.code == "already_cancelled"


@pytest.mark.parametrize(
    "setup,code",
    [
        (lambda: reward(price=1000), "insufficient_points"),
        (lambda: reward(price=10, stock=0), "out_of_stock"),
        (lambda: reward(price=10, min_tier=Tier.objects.get(code="gold")), "tier_not_eligible"),
        (lambda: reward(price=10, valid_until=dt.date(2020, 1, 1)), "not_available"),
    ],
)
def test_a_redemption_refused_says_why_and_changes_nothing(bank, programme, setup, code):
    member = give(bank.mine, 500)
    prize = setup()
    with pytest.raises(services.LoyaltyRefused) as refused:
        services.redemption_create(actor=bank.rm, customer=bank.mine, reward=prize)
    assert refused.value.code == code and refused.value.message
    member.refresh_from_db()
    assert member.balance == 500 and not Redemption.objects.exists()
    assert Reward.objects.get(pk=prize.pk).stock == prize.stock


def test_compliance_may_not_redeem(bank, programme):
    give(bank.mine, 500)
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.redemption_create(actor=bank.compliance, customer=bank.mine, reward=reward())


def test_a_large_adjustment_waits_for_a_second_person(bank, programme):
    give(bank.mine, 10)
    small = services.adjustment_request(actor=bank.rm, customer=bank.mine, points=50, reason="补录")
    big = services.adjustment_request(
        actor=bank.manager, customer=bank.mine, points=5000, reason="投诉补偿"
    )
    assert (small.status, big.status) == ("applied", "pending")
    assert services.member_of(bank.mine.pk).balance == 60
    with pytest.raises(services.LoyaltyRefused) as same:
        services.adjustment_decide(actor=bank.manager, adjustment=big, approve=True)
    assert same.value.code == "four_eyes"
    services.adjustment_decide(actor=bank.admin, adjustment=big, approve=True)
    member = services.member_of(bank.mine.pk)
    assert member.balance == 5060 == _sum(member)
    assert Adjustment.objects.get(pk=big.pk).decided_by == bank.admin
    assert AuditEvent.objects.filter(object_type="loyalty.adjustment").count() == 3


def test_an_adjustment_cannot_take_the_balance_below_zero(bank, programme):
    give(bank.mine, 10)
    with pytest.raises(services.LoyaltyRefused):
        services.adjustment_request(actor=bank.rm, customer=bank.mine, points=-11, reason="更正")
    assert services.member_of(bank.mine.pk).balance == 10


def test_points_move_within_a_relationship_group_only(bank, programme):
    give(bank.mine, 300)
    family = RelationshipGroup.objects.create(name="张家", kind="household")
    GroupMembership.objects.create(group=family, customer=bank.mine, role="head")
    GroupMembership.objects.create(group=family, customer=bank.other, role="spouse")
    services.points_transfer(
        actor=bank.manager, source=bank.mine, target=bank.other, points=100, reason="家庭共享"
    )
    assert services.member_of(bank.mine.pk).balance == 200
    assert services.member_of(bank.other.pk).balance == 100
    with pytest.raises(services.LoyaltyRefused) as outside:
        services.points_transfer(
            actor=bank.manager, source=bank.mine, target=bank.far, points=1, reason="x"
        )
    assert outside.value.code == "group"


def test_expiry_takes_first_in_first_out_only_what_is_left(bank, programme):
    m = services.member_ensure(customer=bank.mine)
    with transaction.atomic():
        locked = services._locked(m.pk)
        services._post(
            member=locked,
            kind="earn",
            source="campaign",
            points=100,
            key="a",
            occurred_at=booked(dt.date(2023, 3, 1)),
        )
        services._post(
            member=locked,
            kind="earn",
            source="campaign",
            points=50,
            key="b",
            occurred_at=booked(dt.date(2024, 3, 1)),
        )
        services._post(member=locked, kind="redeem", source="redemption", points=-70, key="c")
    first = runs.expire_points(on=dt.date(2026, 1, 1))  # the 2023 lot: 100 − 70 spent
    again = runs.expire_points(on=dt.date(2026, 1, 1))
    later = runs.expire_points(on=dt.date(2027, 1, 1))  # the 2024 lot
    assert (first.points, again.points, later.points) == (-30, 0, -50)
    m.refresh_from_db()
    assert m.balance == 0 == _sum(m)


def test_tiers_go_up_at_once_and_down_after_the_grace_period(bank, programme):
    member = give(bank.mine, 6000)
    today = dt.date.today()
    runs.tiers_evaluate(today=today)
    member.refresh_from_db()
    assert member.tier.code == "gold"
    # A year on, the window holds no earning: short of gold, then down after 90 days.
    later = today + dt.timedelta(days=400)
    runs.tiers_evaluate(today=later)
    member.refresh_from_db()
    assert member.tier.code == "gold" and member.downgrade_due_since == later
    runs.tiers_evaluate(today=later + dt.timedelta(days=90))
    member.refresh_from_db()
    assert member.tier.code == "standard"
    changes = list(
        TierChange.objects.filter(member=member)
        .order_by("id")
        .values_list("to_tier__code", flat=True)
    )
    assert changes == ["gold", "standard"]


def test_the_nightly_check_finds_no_difference_and_fails_on_one(
    bank, programme, django_capture_on_commit_callbacks
):
    give(bank.mine, 100)
    assert runs.balance_check().differences == 0
    Member.objects.filter(customer=bank.mine).update(balance=99)
    check = runs.balance_check()
    assert check.differences == 1 and check.sample[0]["stored"] == 99
    from bankcrm.jobs.engine import enqueue
    from bankcrm.jobs.models import JobRun

    with django_capture_on_commit_callbacks(execute=True):
        job = enqueue(balance_check_task)
    job = JobRun.objects.get(pk=job.pk)
    assert job.state == "failed" and "differ" in job.error


@pytest.mark.skipif(not on_postgres(), reason="the append-only trigger is PostgreSQL's")
def test_postgresql_refuses_to_change_or_remove_an_entry(bank, programme):
    member = give(bank.mine, 100)
    entry = Entry.objects.get(member=member)
    for statement in (
        "UPDATE loyalty_entry SET points = 1000 WHERE id = %s",
        "DELETE FROM loyalty_entry WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cur,
        ):
            cur.execute(statement, [entry.pk])
    assert Entry.objects.get(pk=entry.pk).points == 100


def test_a_customer_merge_folds_the_two_members_into_one(bank, programme):
    twin = CustomerFactory(branch=bank.beijing, rm=bank.rm, id_number=bank.mine.id_number)
    give(bank.mine, 100)
    give(twin, 40)
    customer_merge(survivor=bank.mine, merged=twin, actor=bank.admin, reason="同一客户")
    active = Member.objects.filter(customer=bank.mine, status=MemberStatus.ACTIVE)
    assert active.count() == 1 and active.get().balance == 140
    folded = Member.objects.get(customer=bank.mine, status=MemberStatus.MERGED)
    assert folded.balance == 0 == _sum(folded)
