"""The points programme: its settings, earning rules, tiers, members and their append-only
ledger, rewards and redemptions, manual adjustments and the nightly balance checks."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from bankcrm.customers.models import Customer


def _zh() -> bool:
    return (get_language() or "").startswith("zh")


class TierBasis(models.TextChoices):
    POINTS = "points", _("Points earned in a rolling window")
    AUM = "aum", _("Assets under management")


class Programme(models.Model):
    """The bank's one points programme: its settings (one row, created with its defaults)."""

    name_zh = models.CharField(_("Chinese name"), max_length=100, default="积分计划")
    name_en = models.CharField(_("English name"), max_length=100, default="Rewards programme")
    is_active = models.BooleanField(_("active"), default=True)
    # What one point costs the bank, in CNY: the liability is outstanding points × this.
    cost_per_point = models.DecimalField(
        _("cost per point (CNY)"), max_digits=8, decimal_places=4, default=Decimal("0.0100")
    )
    # Points expire at the end of the N-th calendar year after the year they were earned in
    # (2 → earned in 2024, expire on 2026-12-31); 0: they never expire.
    expiry_years = models.PositiveSmallIntegerField(_("expiry (calendar years)"), default=2)
    expiry_notice_days = models.PositiveSmallIntegerField(_("pre-expiry notice (days)"), default=90)
    tier_basis = models.CharField(
        _("tier basis"), max_length=8, choices=TierBasis.choices, default=TierBasis.POINTS
    )
    tier_window_months = models.PositiveSmallIntegerField(_("tier window (months)"), default=12)
    downgrade_grace_days = models.PositiveSmallIntegerField(
        _("grace before a downgrade (days)"), default=90
    )
    # A manual adjustment of more points than this needs a second person's approval.
    adjust_approval_threshold = models.PositiveIntegerField(
        _("adjustment approval threshold (points)"), default=1000
    )
    allow_group_transfer = models.BooleanField(
        _("transfers within a relationship group"), default=True
    )
    # The id of the last transaction earning has looked at: the next run starts after it.
    earned_through_txn = models.BigIntegerField(_("earned through transaction"), default=0)

    class Meta:
        verbose_name = _("loyalty programme")
        verbose_name_plural = _("loyalty programmes")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name_zh if _zh() else self.name_en


class Tier(models.Model):
    code = models.SlugField(_("code"), max_length=20, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=40)
    name_en = models.CharField(_("English name"), max_length=40)
    rank = models.PositiveSmallIntegerField(_("rank"), unique=True)  # 0 = the entry tier
    min_points = models.PositiveIntegerField(_("qualifying points"), default=0)
    min_aum = models.DecimalField(
        _("qualifying AUM"), max_digits=18, decimal_places=2, default=Decimal("0")
    )
    earn_multiplier = models.DecimalField(
        _("earn multiplier"), max_digits=4, decimal_places=2, default=Decimal("1.00")
    )
    # Benefits as staff read them: fee waivers, airport lounge, priority service.
    benefits_zh = models.TextField(_("benefits (Chinese)"), blank=True)
    benefits_en = models.TextField(_("benefits (English)"), blank=True)

    class Meta:
        ordering = ["rank"]
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name_zh if _zh() else self.name_en

    @property
    def benefits(self) -> list[str]:
        text = self.benefits_zh if _zh() else self.benefits_en
        return [line.strip() for line in text.splitlines() if line.strip()]


class RuleKind(models.TextChoices):
    SPEND = "spend", _("Points per CNY of transactions")
    EXCLUDE = "exclude", _("Exclusion (no points)")
    AUM = "aum", _("Points per month for AUM held")
    CAMPAIGN = "campaign", _("Campaign conversion bonus")
    SURVEY = "survey", _("Survey bonus")


class EarnRule(models.Model):
    """One version of an earning rule. Versions of a rule share its ``code``; a transaction
    earns by the version in force on the day it was booked, and at most once per rule code."""

    code = models.SlugField(_("code"), max_length=40)
    version = models.PositiveIntegerField(_("version"), default=1)
    kind = models.CharField(_("kind"), max_length=10, choices=RuleKind.choices)
    name_zh = models.CharField(_("Chinese name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100)
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective until"), null=True, blank=True)  # exclusive
    # What a transaction must be for the rule to apply (blank: any).
    txn_type = models.CharField(_("transaction type"), max_length=12, blank=True)
    channel = models.CharField(_("channel"), max_length=12, blank=True)
    product_category = models.CharField(_("product category"), max_length=16, blank=True)
    counterparty_category = models.CharField(_("counterparty"), max_length=12, blank=True)
    direction = models.CharField(_("direction"), max_length=6, blank=True, default="debit")
    # SPEND: points × floor(amount / per_cny); AUM: points × floor(AUM / per_cny) a month;
    # CAMPAIGN, SURVEY: points per award.
    points = models.DecimalField(_("points"), max_digits=10, decimal_places=2, default=1)
    per_cny = models.DecimalField(
        _("per CNY"), max_digits=14, decimal_places=2, default=Decimal("10")
    )
    # AUM points only for members of this tier (blank: every tier).
    tier = models.ForeignKey(
        Tier, verbose_name=_("tier"), null=True, blank=True, on_delete=models.PROTECT
    )
    monthly_cap = models.PositiveIntegerField(_("monthly cap (points)"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["kind", "code", "-version"]
        verbose_name = _("earning rule")
        verbose_name_plural = _("earning rules")
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="earnrule_code_version"),
            models.CheckConstraint(condition=models.Q(per_cny__gt=0), name="earnrule_per_cny"),
        ]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"

    @property
    def display_name(self) -> str:
        return self.name_zh if _zh() else self.name_en


class MemberStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    MERGED = "merged", _("Merged into another member")


class Member(models.Model):
    """A customer in the programme: the stored balance (the sum of their entries, kept for
    speed and checked every night) and their tier.

    No unique constraint on the customer: a customer merge moves both records to the survivor
    and loyalty's receiver folds the merged one into the first (``services.members_merge``)."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=8, choices=MemberStatus.choices, default=MemberStatus.ACTIVE
    )
    balance = models.BigIntegerField(_("points balance"), default=0)
    tier = models.ForeignKey(
        Tier, verbose_name=_("tier"), null=True, blank=True, on_delete=models.PROTECT
    )
    tier_since = models.DateField(_("tier since"), null=True, blank=True)
    # The day the member first fell short of their tier: downgraded after the grace period.
    downgrade_due_since = models.DateField(_("short of the tier since"), null=True, blank=True)
    enrolled_at = models.DateTimeField(_("enrolled at"))

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        indexes = [models.Index(fields=["customer", "status"], name="loyalty_member_customer")]
        constraints = [
            models.CheckConstraint(condition=models.Q(balance__gte=0), name="member_balance_gte_0")
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.balance}"


class EntryKind(models.TextChoices):
    EARN = "earn", _("Earned")
    REDEEM = "redeem", _("Redeemed")
    REVERSE = "reverse", _("Reversed")
    EXPIRE = "expire", _("Expired")
    ADJUST = "adjust", _("Adjusted")
    TRANSFER = "transfer", _("Transferred")


class EntrySource(models.TextChoices):
    TRANSACTION = "transaction", pgettext_lazy("points source", "Transaction")
    AUM = "aum", _("AUM held")
    CAMPAIGN = "campaign", _("Campaign")
    SURVEY = "survey", _("Survey")
    MANUAL = "manual", _("Manual")
    REDEMPTION = "redemption", _("Redemption")
    PROGRAMME = "programme", _("Programme")


# Entries that add points: each is a lot that expires on its ``expires_on``.
CREDIT_KINDS = frozenset({EntryKind.EARN, EntryKind.REVERSE})


class Entry(models.Model):
    """One change of a member's points. Never updated or deleted: on PostgreSQL a trigger
    refuses it (migration 0002), as for the audit trail."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(_("kind"), max_length=10, choices=EntryKind.choices)
    source = models.CharField(_("source"), max_length=12, choices=EntrySource.choices)
    points = models.BigIntegerField(_("points"))  # + credit, − debit
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    # What makes the change happen once: "earn:t123:card-spend", "redeem:r45", …
    idempotency_key = models.CharField(_("idempotency key"), max_length=120, unique=True)
    rule = models.ForeignKey(
        EarnRule, verbose_name=_("rule"), null=True, blank=True, on_delete=models.PROTECT
    )
    transaction_id = models.BigIntegerField(_("transaction"), null=True, blank=True)
    # When the points were earned or spent (a transaction's booking time), and when written.
    occurred_at = models.DateTimeField(_("occurred at"))
    created_at = models.DateTimeField(_("recorded at"))
    # A credit's points expire at the end of this day (None: they never do).
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    batch = models.BigIntegerField(_("batch"), null=True, blank=True)  # a set-based run's id

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")
        indexes = [
            models.Index(fields=["member", "occurred_at"], name="entry_member_at"),
            models.Index(fields=["batch"], name="entry_batch"),
            models.Index(fields=["kind", "occurred_at"], name="entry_kind_at"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.points:+d}"


class RewardKind(models.TextChoices):
    GIFT = "gift", _("Gift")
    FEE_WAIVER = "fee_waiver", _("Fee waiver")
    VOUCHER = "voucher", _("Voucher")
    RATE_BONUS = "rate_bonus", _("Rate bonus")
    DONATION = "donation", _("Charity donation")


class Reward(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=12, choices=RewardKind.choices)
    points_price = models.PositiveIntegerField(_("points price"))
    stock = models.PositiveIntegerField(_("stock"), null=True, blank=True)  # None: unlimited
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    min_tier = models.ForeignKey(
        Tier, verbose_name=_("lowest tier"), null=True, blank=True, on_delete=models.PROTECT
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["points_price", "code"]
        verbose_name = _("reward")
        verbose_name_plural = _("rewards")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(stock__isnull=True) | models.Q(stock__gte=0),
                name="reward_stock_gte_0",
            ),
            models.CheckConstraint(condition=models.Q(points_price__gt=0), name="reward_price"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name_zh if _zh() else self.name_en


class RedemptionStatus(models.TextChoices):
    RESERVED = "reserved", _("Reserved")
    CANCELLED = "cancelled", pgettext_lazy("redemption status", "Cancelled")


class Redemption(models.Model):
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="redemptions")
    reward = models.ForeignKey(
        Reward, verbose_name=_("reward"), on_delete=models.PROTECT, related_name="redemptions"
    )
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    points = models.PositiveIntegerField(_("points"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=RedemptionStatus.choices,
        default=RedemptionStatus.RESERVED,
    )
    created_at = models.DateTimeField(_("redeemed at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cancelled by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
        indexes = [models.Index(fields=["member", "created_at"], name="redemption_member_at")]

    def __str__(self) -> str:
        return f"{self.reward_id} × {self.quantity}"


class AdjustmentStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting approval")
    APPLIED = "applied", _("Applied")
    REJECTED = "rejected", _("Rejected")


class Adjustment(models.Model):
    """A manual change of points: applied at once up to the programme's threshold, above it
    once a second person approves."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="adjustments")
    points = models.BigIntegerField(_("points"))
    reason = models.CharField(_("reason"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=AdjustmentStatus.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("points adjustment")
        verbose_name_plural = _("points adjustments")

    def __str__(self) -> str:
        return f"{self.points:+d} ({self.status})"


class TierChange(models.Model):
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="tier_changes")
    from_tier = models.ForeignKey(
        Tier,
        verbose_name=_("from"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    to_tier = models.ForeignKey(
        Tier, verbose_name=_("to"), on_delete=models.PROTECT, related_name="+"
    )
    on = models.DateField(_("on"))
    reason = models.CharField(_("reason"), max_length=200)
    created_at = models.DateTimeField(_("recorded at"))

    class Meta:
        ordering = ["-on", "-id"]
        verbose_name = _("tier change")
        verbose_name_plural = _("tier changes")
        indexes = [models.Index(fields=["member", "on"], name="tierchange_member_on")]

    def __str__(self) -> str:
        return f"{self.from_tier_id} → {self.to_tier_id}"


class BalanceCheck(models.Model):
    """One nightly check of every stored balance against the sum of its entries."""

    at = models.DateTimeField(_("at"))
    members = models.BigIntegerField(_("members checked"))
    differences = models.BigIntegerField(_("differences"))
    sample = models.JSONField(_("first differences"), default=list, blank=True)
    seconds = models.FloatField(_("seconds"))

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("balance check")
        verbose_name_plural = _("balance checks")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d} {self.differences}"
