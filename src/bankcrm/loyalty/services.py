"""Writes of the points programme: every change of points is an entry of the ledger written
here, with the stored balance in the same transaction, and an audit event for what staff do.

Redemptions never overspend: the member's row is locked (``select_for_update``) before the
balance is read, the reward's stock is taken by one conditional UPDATE (``stock >= n``), and
both land in one transaction with the entry; the database refuses a negative balance or stock
too (check constraints) should a bug ever try.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bankcrm.core.audit import audit_record, diff, snapshot
from bankcrm.core.models import AuditAction, User
from bankcrm.core.permissions import require_role
from bankcrm.core.roles import (
    CAN_ADJUST_POINTS,
    CAN_APPROVE_ADJUSTMENTS,
    CAN_MANAGE_LOYALTY,
    CAN_REDEEM_POINTS,
)
from bankcrm.customers.models import Customer, GroupMembership
from bankcrm.loyalty import sql
from bankcrm.loyalty.models import (
    Adjustment,
    AdjustmentStatus,
    EarnRule,
    Entry,
    EntryKind,
    EntrySource,
    Member,
    MemberStatus,
    Programme,
    Redemption,
    RedemptionStatus,
    Reward,
    RuleKind,
    Tier,
)


class LoyaltyRefused(Exception):
    """A change the programme refuses; ``code`` says which rule, ``message`` why, in words."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# The refusals of a redemption, by code (the API answers them with this code).
REFUSALS: dict[str, Any] = {
    "out_of_stock": gettext_lazy("This reward is out of stock."),
    "insufficient_points": gettext_lazy(
        "The balance is too small: %(needed)s points needed, %(balance)s available."
    ),
    "tier_not_eligible": gettext_lazy("This reward is for %(tier)s members and above."),
    "not_available": gettext_lazy("This reward is not available now."),
    "not_member": gettext_lazy("This customer has no points yet."),
    "already_cancelled": gettext_lazy("This redemption was already cancelled."),
}


# --- the programme and its defaults -----------------------------------------------------


def programme_get() -> Programme:
    """The bank's programme (its settings row, created with the defaults on first use)."""
    programme = Programme.objects.order_by("pk").first()
    if programme is None:
        programme, _created = Programme.objects.get_or_create(pk=1)
    return programme


@transaction.atomic
def programme_update(*, actor: User, programme: Programme, data: dict[str, Any]) -> Programme:
    require_role(actor, CAN_MANAGE_LOYALTY, _("Your role may not change the programme."))
    locked = Programme.objects.select_for_update().get(pk=programme.pk)
    before = snapshot(locked)
    for k, v in data.items():
        setattr(locked, k, v)
    locked.full_clean()
    locked.save()
    audit_record(
        actor=actor, action=AuditAction.UPDATE, obj=locked, changes=diff(before, snapshot(locked))
    )
    return locked


@transaction.atomic
def rule_new_version(
    *, actor: User, rule: EarnRule | None, data: dict[str, Any], effective_from: dt.date
) -> EarnRule:
    """A rule's next version, in force from ``effective_from``: the version before ends that
    day (transactions booked before keep earning by it). ``rule`` None: a new rule."""
    require_role(actor, CAN_MANAGE_LOYALTY, _("Your role may not change earning rules."))
    version = 1
    if rule is not None:
        latest = EarnRule.objects.select_for_update().filter(code=rule.code).order_by("-version")
        current = latest.first()
        assert current is not None
        if effective_from <= current.effective_from:
            raise LoyaltyRefused(
                "effective_from",
                _("A new version must take effect after %(day)s.")
                % {"day": current.effective_from.isoformat()},
            )
        current.effective_to = effective_from
        current.save(update_fields=["effective_to"])
        version = current.version + 1
        data = {**data, "code": rule.code}
    new = EarnRule(version=version, effective_from=effective_from, **data)
    new.full_clean()
    new.save()
    audit_record(actor=actor, action=AuditAction.CREATE, obj=new, changes=diff({}, snapshot(new)))
    return new


@transaction.atomic
def reward_save(*, actor: User, reward: Reward) -> Reward:
    require_role(actor, CAN_MANAGE_LOYALTY, _("Your role may not change the catalogue."))
    before = snapshot(Reward.objects.get(pk=reward.pk)) if reward.pk else {}
    reward.full_clean()
    reward.save()
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE if before else AuditAction.CREATE,
        obj=reward,
        changes=diff(before, snapshot(reward)),
    )
    return reward


@transaction.atomic
def reward_restock(*, actor: User, reward: Reward, add: int) -> Reward:
    """Add ``add`` units to a reward's stock (one UPDATE: concurrent redemptions keep theirs)."""
    require_role(actor, CAN_MANAGE_LOYALTY, _("Your role may not change the catalogue."))
    if reward.stock is None or add <= 0:
        raise LoyaltyRefused("stock", _("Add at least one unit to a reward with a stock."))
    Reward.objects.filter(pk=reward.pk).update(stock=F("stock") + add)
    reward.refresh_from_db()
    audit_record(actor=actor, action=AuditAction.UPDATE, obj=reward, changes={"restock": add})
    return reward


@transaction.atomic
def tier_save(*, actor: User, tier: Tier) -> Tier:
    require_role(actor, CAN_MANAGE_LOYALTY, _("Your role may not change the tiers."))
    before = snapshot(Tier.objects.get(pk=tier.pk)) if tier.pk else {}
    tier.full_clean()
    tier.save()
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE if before else AuditAction.CREATE,
        obj=tier,
        changes=diff(before, snapshot(tier)),
    )
    return tier


# --- members and single entries --------------------------------------------------------


def member_of(customer_id: int) -> Member | None:
    return (
        Member.objects.filter(customer_id=customer_id, status=MemberStatus.ACTIVE)
        .order_by("pk")
        .first()
    )


def member_ensure(*, customer: Customer) -> Member:
    """The customer's member record, enrolling them (entry tier) if they have none. Enrolment
    holds the enrolment lock while it looks, so two first awards enrol once."""
    member = member_of(customer.pk)
    if member is not None:
        return member
    with transaction.atomic():
        sql.enrol_lock()
        member = member_of(customer.pk)
        if member is None:
            member = Member.objects.create(
                customer=customer,
                tier=Tier.objects.order_by("rank").first(),
                tier_since=timezone.localdate(),
                enrolled_at=timezone.now(),
            )
    return member


def _expiry(day: dt.date, programme: Programme) -> dt.date | None:
    years = programme.expiry_years
    return dt.date(day.year + years, 12, 31) if years > 0 else None


def _post(
    *,
    member: Member,
    kind: str,
    source: str,
    points: int,
    key: str,
    reason: str = "",
    actor: User | None = None,
    rule: EarnRule | None = None,
    occurred_at: dt.datetime | None = None,
    programme: Programme | None = None,
) -> Entry | None:
    """Write one entry and add it to the locked member's stored balance; None when an entry
    with this key exists already (the change was made before: nothing is added)."""
    now = timezone.now()
    at = occurred_at or now
    expires = None
    if points > 0:
        expires = _expiry(timezone.localtime(at).date(), programme or programme_get())
    try:
        with transaction.atomic():
            entry = Entry.objects.create(
                member=member,
                kind=kind,
                source=source,
                points=points,
                reason=reason[:200],
                idempotency_key=key,
                rule=rule,
                occurred_at=at,
                created_at=now,
                expires_on=expires,
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
    except IntegrityError:
        if Entry.objects.filter(idempotency_key=key).exists():
            return None
        raise
    Member.objects.filter(pk=member.pk).update(balance=F("balance") + points)
    member.balance += points
    return entry


def _locked(member_id: int) -> Member:
    # Only the member's row is locked (``of=("self",)``): the tier is read beside it.
    return Member.objects.select_for_update(of=("self",)).select_related("tier").get(pk=member_id)


def points_award(
    *,
    customer: Customer,
    points: int,
    source: str,
    reason: str,
    idempotency_key: str,
    actor: User | None = None,
    rule: EarnRule | None = None,
) -> Entry | None:
    """Award ``points`` once per ``idempotency_key`` (a second call adds nothing: None)."""
    if points <= 0:
        raise LoyaltyRefused("points", _("Award a positive number of points."))
    with transaction.atomic():
        member = _locked(member_ensure(customer=customer).pk)
        return _post(
            member=member,
            kind=EntryKind.EARN,
            source=source,
            points=points,
            key=idempotency_key,
            reason=reason,
            actor=actor,
            rule=rule,
        )


def _bonus_rule(kind: str, on: dt.date) -> EarnRule | None:
    return (
        EarnRule.objects.filter(kind=kind, effective_from__lte=on)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gt=on))
        .order_by("-version")
        .first()
    )


def campaign_conversion_award(
    *, customer: Customer, campaign: str, actor: User | None = None
) -> Entry | None:
    """The campaign bonus for ``customer`` converting on ``campaign`` (its code or id), by the
    campaign rule in force: once per customer and campaign. For the marketing app to call."""
    rule = _bonus_rule(RuleKind.CAMPAIGN, timezone.localdate())
    if rule is None:
        return None
    return points_award(
        customer=customer,
        points=int(rule.points),
        source=EntrySource.CAMPAIGN,
        reason=f"{rule.name_en}: {campaign}"[:200],
        idempotency_key=f"campaign:{campaign}:c{customer.pk}"[:120],
        actor=actor,
        rule=rule,
    )


def survey_bonus_award(
    *, customer: Customer, survey: str, actor: User | None = None
) -> Entry | None:
    """The survey bonus for ``customer`` answering ``survey`` (a response's id): once per
    customer and survey. For the service app to call."""
    rule = _bonus_rule(RuleKind.SURVEY, timezone.localdate())
    if rule is None:
        return None
    return points_award(
        customer=customer,
        points=int(rule.points),
        source=EntrySource.SURVEY,
        reason=f"{rule.name_en}: {survey}"[:200],
        idempotency_key=f"survey:{survey}:c{customer.pk}"[:120],
        actor=actor,
        rule=rule,
    )


# --- redemption ------------------------------------------------------------------------


def _refuse(code: str, **params: Any) -> LoyaltyRefused:
    text = str(REFUSALS[code])
    return LoyaltyRefused(code, text % params if params else text)


def redemption_create(
    *, actor: User, customer: Customer, reward: Reward, quantity: int = 1
) -> Redemption:
    """Redeem ``quantity`` of ``reward`` for ``customer``: points and stock reserved in one
    transaction, or a `LoyaltyRefused` saying why not (nothing is changed then)."""
    require_role(actor, CAN_REDEEM_POINTS, _("Your role may not redeem points."))
    if quantity < 1:
        raise LoyaltyRefused("quantity", _("Redeem at least one."))
    today = timezone.localdate()
    with transaction.atomic():
        found = member_of(customer.pk)
        if found is None:
            raise _refuse("not_member")
        # The member's row first, always: concurrent redemptions of one customer queue here
        # and each reads the balance the one before left.
        member = _locked(found.pk)
        reward = Reward.objects.select_related("min_tier").get(pk=reward.pk)
        if (
            not reward.is_active
            or (reward.valid_from and reward.valid_from > today)
            or (reward.valid_until and reward.valid_until < today)
        ):
            raise _refuse("not_available")
        if reward.min_tier is not None and (
            member.tier is None or member.tier.rank < reward.min_tier.rank
        ):
            raise _refuse("tier_not_eligible", tier=reward.min_tier.display_name)
        points = reward.points_price * quantity
        if member.balance < points:
            raise _refuse("insufficient_points", needed=points, balance=member.balance)
        if reward.stock is not None:
            # One conditional UPDATE: of concurrent redemptions of the last units, only as
            # many as there are units find stock ≥ quantity.
            taken = Reward.objects.filter(pk=reward.pk, stock__gte=quantity).update(
                stock=F("stock") - quantity
            )
            if not taken:
                raise _refuse("out_of_stock")
        now = timezone.now()
        redemption = Redemption.objects.create(
            member=member,
            reward=reward,
            quantity=quantity,
            points=points,
            created_at=now,
            created_by=actor,
        )
        _post(
            member=member,
            kind=EntryKind.REDEEM,
            source=EntrySource.REDEMPTION,
            points=-points,
            key=f"redeem:r{redemption.pk}",
            reason=f"{reward.code} × {quantity}",
            actor=actor,
        )
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            obj=redemption,
            customer_id=customer.pk,
            changes={
                "reward": [None, reward.code],
                "quantity": [None, quantity],
                "points": [None, points],
            },
        )
    return redemption


def redemption_cancel(*, actor: User, redemption: Redemption, reason: str = "") -> Redemption:
    """Cancel a redemption: a reversing entry gives the points back, the stock is returned."""
    require_role(actor, CAN_REDEEM_POINTS, _("Your role may not redeem points."))
    with transaction.atomic():
        member = _locked(redemption.member_id)
        locked = Redemption.objects.select_for_update().get(pk=redemption.pk)
        if locked.status == RedemptionStatus.CANCELLED:
            raise _refuse("already_cancelled")
        locked.status = RedemptionStatus.CANCELLED
        locked.cancelled_at = timezone.now()
        locked.cancelled_by = actor
        locked.save(update_fields=["status", "cancelled_at", "cancelled_by"])
        Reward.objects.filter(pk=locked.reward_id, stock__isnull=False).update(
            stock=F("stock") + locked.quantity
        )
        _post(
            member=member,
            kind=EntryKind.REVERSE,
            source=EntrySource.REDEMPTION,
            points=locked.points,
            key=f"reverse:r{locked.pk}",
            reason=(reason or f"cancelled redemption {locked.pk}")[:200],
            actor=actor,
        )
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=locked,
            customer_id=member.customer_id,
            changes={"status": [RedemptionStatus.RESERVED, RedemptionStatus.CANCELLED]},
            purpose=reason[:255],
        )
    return locked


# --- manual adjustments and transfers -----------------------------------------------------


def adjustment_request(*, actor: User, customer: Customer, points: int, reason: str) -> Adjustment:
    """A manual change of points with its reason: applied at once up to the programme's
    threshold, otherwise waiting for a second person's approval."""
    require_role(actor, CAN_ADJUST_POINTS, _("Your role may not adjust points."))
    reason = reason.strip()
    if not reason:
        raise LoyaltyRefused("reason", _("Give the reason for the adjustment."))
    if points == 0:
        raise LoyaltyRefused("points", _("An adjustment changes the balance: give the points."))
    programme = programme_get()
    with transaction.atomic():
        member = _locked(member_ensure(customer=customer).pk)
        needs_approval = abs(points) > programme.adjust_approval_threshold
        adjustment = Adjustment.objects.create(
            member=member,
            points=points,
            reason=reason[:200],
            status=AdjustmentStatus.PENDING,
            requested_by=actor,
            requested_at=timezone.now(),
        )
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            obj=adjustment,
            customer_id=customer.pk,
            changes={"points": [None, points], "reason": [None, reason[:200]]},
        )
        if not needs_approval:
            _apply_adjustment(member=member, adjustment=adjustment, decider=None)
    return adjustment


def _apply_adjustment(*, member: Member, adjustment: Adjustment, decider: User | None) -> None:
    if member.balance + adjustment.points < 0:
        raise _refuse("insufficient_points", needed=-adjustment.points, balance=member.balance)
    _post(
        member=member,
        kind=EntryKind.ADJUST,
        source=EntrySource.MANUAL,
        points=adjustment.points,
        key=f"adjust:a{adjustment.pk}",
        reason=adjustment.reason,
        actor=decider or adjustment.requested_by,
    )
    adjustment.status = AdjustmentStatus.APPLIED
    adjustment.decided_by = decider
    adjustment.decided_at = timezone.now() if decider else None
    adjustment.save(update_fields=["status", "decided_by", "decided_at"])


def adjustment_decide(*, actor: User, adjustment: Adjustment, approve: bool) -> Adjustment:
    """A second person approves (the points are applied) or rejects a pending adjustment."""
    require_role(actor, CAN_APPROVE_ADJUSTMENTS, _("Your role may not approve adjustments."))
    with transaction.atomic():
        member = _locked(adjustment.member_id)
        locked = Adjustment.objects.select_for_update().get(pk=adjustment.pk)
        if locked.status != AdjustmentStatus.PENDING:
            raise LoyaltyRefused("decided", _("This adjustment was already decided."))
        if locked.requested_by_id == actor.pk:
            raise LoyaltyRefused(
                "four_eyes", _("A second person must approve: not the one who asked.")
            )
        if approve:
            _apply_adjustment(member=member, adjustment=locked, decider=actor)
        else:
            locked.status = AdjustmentStatus.REJECTED
            locked.decided_by = actor
            locked.decided_at = timezone.now()
            locked.save(update_fields=["status", "decided_by", "decided_at"])
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=locked,
            customer_id=member.customer_id,
            changes={"status": [AdjustmentStatus.PENDING, locked.status]},
        )
    return locked


def points_transfer(
    *, actor: User, source: Customer, target: Customer, points: int, reason: str
) -> tuple[Entry, Entry]:
    """Move points between two members of one relationship group, if the programme allows."""
    require_role(actor, CAN_ADJUST_POINTS, _("Your role may not transfer points."))
    programme = programme_get()
    if not programme.allow_group_transfer:
        raise LoyaltyRefused("transfer", _("The programme does not allow transfers."))
    if points <= 0 or source.pk == target.pk:
        raise LoyaltyRefused(
            "points", _("Transfer a positive number of points to another customer.")
        )
    groups = GroupMembership.objects.filter(customer=source).values("group_id")
    if not GroupMembership.objects.filter(customer=target, group_id__in=groups).exists():
        raise LoyaltyRefused(
            "group", _("Points move only between members of one relationship group.")
        )
    with transaction.atomic():
        ours = member_of(source.pk)
        if ours is None:
            raise _refuse("not_member")
        theirs = member_ensure(customer=target)
        # Both rows locked in id order: two opposite transfers wait, never deadlock.
        first, second = sorted([ours.pk, theirs.pk])
        locked = {first: _locked(first), second: _locked(second)}
        out_member, in_member = locked[ours.pk], locked[theirs.pk]
        if out_member.balance < points:
            raise _refuse("insufficient_points", needed=points, balance=out_member.balance)
        token = secrets.token_hex(8)
        out = _post(
            member=out_member,
            kind=EntryKind.TRANSFER,
            source=EntrySource.MANUAL,
            points=-points,
            key=f"transfer:{token}:out",
            reason=reason,
            actor=actor,
        )
        got = _post(
            member=in_member,
            kind=EntryKind.TRANSFER,
            source=EntrySource.MANUAL,
            points=points,
            key=f"transfer:{token}:in",
            reason=reason,
            actor=actor,
        )
        assert out is not None and got is not None
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            obj=out,
            customer_id=source.pk,
            changes={"points": [None, points], "to_customer": [None, target.pk]},
        )
    return out, got


def members_merge(*, survivor: Customer) -> int:
    """After a customer merge moved a second member record to ``survivor``: fold it into the
    first by a transfer pair (its balance moves, the ledger stays append-only); the higher tier
    stays. Returns how many records were folded."""
    members = list(
        Member.objects.select_for_update(of=("self",))
        .select_related("tier")
        .filter(customer=survivor, status=MemberStatus.ACTIVE)
        .order_by("pk")
    )
    if len(members) < 2:
        return 0
    keep, others = members[0], members[1:]
    for other in others:
        moving = other.balance
        if moving > 0:
            _post(
                member=other,
                kind=EntryKind.TRANSFER,
                source=EntrySource.PROGRAMME,
                points=-moving,
                key=f"merge:m{other.pk}:out",
                reason="customer merge",
            )
            _post(
                member=keep,
                kind=EntryKind.TRANSFER,
                source=EntrySource.PROGRAMME,
                points=moving,
                key=f"merge:m{other.pk}:in",
                reason="customer merge",
            )
        if other.tier and (keep.tier is None or other.tier.rank > keep.tier.rank):
            keep.tier = other.tier
            keep.save(update_fields=["tier"])
        Member.objects.filter(pk=other.pk).update(status=MemberStatus.MERGED)
    return len(others)
