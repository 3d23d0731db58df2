"""A property over random sequences of earn / redeem / cancel / expire / adjust on one member:
the balance is never negative, always equals the sum of the entries, and expiry takes only
points that are neither spent nor already expired (the points closest to expiry go first)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bankcrm.loyalty import runs, services
from bankcrm.loyalty.models import Entry, Redemption
from tests.factories import CustomerFactory
from tests.loyalty.conftest import reward

START = dt.date(2019, 1, 1)

steps = st.lists(
    st.one_of(
        st.tuples(st.just("earn"), st.integers(1, 400), st.integers(0, 120)),
        st.tuples(st.just("redeem"), st.integers(1, 3), st.integers(0, 120)),
        st.tuples(st.just("cancel"), st.integers(0, 10), st.integers(0, 120)),
        st.tuples(st.just("expire"), st.just(0), st.integers(0, 400)),
        st.tuples(st.just("adjust"), st.integers(-300, 300), st.integers(0, 120)),
    ),
    min_size=1,
    max_size=25,
)


class Model:
    """The ledger in Python: lots (expiry, points) and everything taken so far."""

    def __init__(self) -> None:
        self.lots: list[tuple[dt.date, int]] = []
        self.taken = 0  # spent, expired and negative adjustments

    def balance(self) -> int:
        return sum(p for _d, p in self.lots) - self.taken

    def remaining(self) -> list[tuple[dt.date, int]]:
        """Each lot's unspent points, the takings applied to the earliest expiry first."""
        left, out = self.taken, []
        for day, points in sorted(self.lots):
            used = min(points, left)
            left -= used
            out.append((day, points - used))
        return out

    def due(self, on: dt.date) -> int:
        return sum(p for d, p in self.remaining() if d < on)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=steps)
def test_random_sequences_keep_the_ledger_whole(bank, programme, steps):
    customer = CustomerFactory(branch=bank.beijing, rm=bank.rm)
    member = services.member_ensure(customer=customer)
    prices = [reward(code=f"p{customer.pk}-{i}", price=p) for i, p in enumerate((50, 120, 300))]
    model, day = Model(), START
    redemptions: list[Redemption] = []
    for n, (op, value, advance) in enumerate(steps):
        day += dt.timedelta(days=advance)
        if op == "earn":
            at = timezone.make_aware(dt.datetime.combine(day, dt.time(12)))
            with transaction.atomic():
                services._post(
                    member=services._locked(member.pk),
                    kind="earn",
                    source="transaction",
                    points=value,
                    key=f"h{member.pk}:{n}",
                    occurred_at=at,
                )
            model.lots.append((dt.date(day.year + 2, 12, 31), value))
        elif op == "redeem":
            prize = prices[value - 1]
            try:
                r = services.redemption_create(actor=bank.rm, customer=customer, reward=prize)
            except services.LoyaltyRefused as refused:
                assert refused.code == "insufficient_points"
                assert model.balance() < prize.points_price
            else:
                redemptions.append(r)
                model.taken += r.points
        elif op == "cancel" and redemptions:
            r = redemptions[value % len(redemptions)]
            try:
                services.redemption_cancel(actor=bank.rm, redemption=r)
            except services.LoyaltyRefused as refused:
                assert refused.code == "already_cancelled"
            else:
                # The points come back as a new lot, expiring as points recorded today do.
                model.lots.append(
                    (services._expiry(timezone.localdate(), services.programme_get()), r.points)
                )
        elif op == "expire":
            due = model.due(day)
            expired = Entry.objects.filter(member=member, kind="expire")
            before = expired.aggregate(s=Sum("points"))["s"] or 0
            runs.expire_points(on=day)  # every member's: the examples share a database
            taken = before - (expired.aggregate(s=Sum("points"))["s"] or 0)
            assert taken == due, (day, model.remaining())
            model.taken += due
            assert model.due(day) == 0
        elif op == "adjust" and value:
            try:
                services.adjustment_request(
                    actor=bank.rm, customer=customer, points=value, reason="t"
                )
            except services.LoyaltyRefused:
                assert model.balance() + value < 0
            else:
                if value > 0:
                    model.lots.append(
                        (services._expiry(timezone.localdate(), services.programme_get()), value)
                    )
                else:
                    model.taken -= value
        member.refresh_from_db()
        total = Entry.objects.filter(member=member).aggregate(s=Sum("points"))["s"] or 0
        assert member.balance >= 0
        assert member.balance == total == model.balance()
