"""Customers, their relationship groups, consent history and RM assignment history."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from bankcrm.analytics.tiers import DEFAULT_TIERS, tier_for
from bankcrm.core.crypto import (
    BlindIndexField,
    EncryptedCharField,
    SealedQuerySet,
    with_indexes,
)
from bankcrm.core.models import Branch


class RiskLevel(models.TextChoices):
    R1 = "R1", _("R1 conservative")
    R2 = "R2", _("R2 cautious")
    R3 = "R3", _("R3 balanced")
    R4 = "R4", _("R4 growth")
    R5 = "R5", _("R5 aggressive")


class CustomerKind(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual")
    CORPORATE = "corporate", _("Corporate")


class Gender(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")
    UNKNOWN = "unknown", _("Unknown")


class IdType(models.TextChoices):
    RESIDENT_ID = "resident_id", _("Resident ID card")
    PASSPORT = "passport", _("Passport")
    USCC = "uscc", _("Unified social credit code")


class IncomeBand(models.TextChoices):
    UNDER_50K = "lt50k", _("Under ¥50k a year")
    FROM_50K = "50k_100k", _("¥50k–100k a year")
    FROM_100K = "100k_300k", _("¥100k–300k a year")
    FROM_300K = "300k_1m", _("¥300k–1m a year")
    OVER_1M = "gt1m", _("Over ¥1m a year")


class KycStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    VERIFIED = "verified", _("Verified")
    EXPIRED = "expired", _("Expired")
    REJECTED = "rejected", _("Rejected")


class CustomerStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    DORMANT = "dormant", _("Dormant")
    CLOSED = "closed", pgettext_lazy("customer status", "Closed")


class OnboardingChannel(models.TextChoices):
    BRANCH = "branch", _("Branch counter")
    MOBILE_APP = "mobile_app", _("Mobile app")
    ONLINE = "online", _("Online banking")
    REFERRAL = "referral", _("Referral")
    PAYROLL = "payroll", _("Corporate payroll")


class WealthTier(models.TextChoices):
    MASS = "mass", _("Mass")
    GOLD = "gold", _("Gold")
    PLATINUM = "platinum", _("Platinum")
    DIAMOND = "diamond", _("Diamond")
    PRIVATE = "private", _("Private banking")


# Lower AUM bound of each tier, in CNY: the analytics package holds the definition.
TIER_THRESHOLDS: list[tuple[str, Decimal]] = list(DEFAULT_TIERS)


def tier_for_aum(aum: Decimal) -> str:
    return tier_for(aum, TIER_THRESHOLDS)


class Customer(models.Model):
    customer_no = models.CharField(_("customer number"), max_length=20, unique=True)
    kind = models.CharField(
        _("kind"), max_length=12, choices=CustomerKind.choices, default=CustomerKind.INDIVIDUAL
    )
    name_zh = models.CharField(_("Chinese name"), max_length=100, db_index=True)
    name_en = models.CharField(_("Latin name"), max_length=100, blank=True)
    gender = models.CharField(
        _("gender"), max_length=8, choices=Gender.choices, default=Gender.UNKNOWN
    )
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    id_type = models.CharField(
        _("ID type"), max_length=12, choices=IdType.choices, default=IdType.RESIDENT_ID
    )
    # Stored encrypted (core.crypto); found by their keyed hashes, shown by their last 4.
    id_number = EncryptedCharField(_("ID number"), max_length=32, blank=True, purpose="id_number")
    id_number_hash = BlindIndexField(source="id_number", purpose="id_number")
    id_last4 = models.CharField(_("last 4 of ID"), max_length=4, blank=True, db_index=True)
    mobile = EncryptedCharField(_("mobile"), max_length=11, blank=True, purpose="mobile")
    mobile_hash = BlindIndexField(source="mobile", purpose="mobile")
    # What staff type when a caller gives "the number ending 5678"; kept with the mobile.
    mobile_last4 = models.CharField(_("last 4 of mobile"), max_length=4, blank=True)
    email = models.EmailField(_("email"), blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    occupation = models.CharField(_("occupation"), max_length=100, blank=True)
    income_band = models.CharField(
        _("income band"), max_length=12, choices=IncomeBand.choices, blank=True
    )
    kyc_status = models.CharField(
        _("KYC status"), max_length=10, choices=KycStatus.choices, default=KycStatus.PENDING
    )
    kyc_date = models.DateField(_("KYC date"), null=True, blank=True)
    risk_appetite = models.CharField(
        _("risk appetite"), max_length=2, choices=RiskLevel.choices, blank=True
    )
    risk_assessed_on = models.DateField(_("risk assessment date"), null=True, blank=True)
    risk_expires_on = models.DateField(_("risk assessment expiry"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=CustomerStatus.choices, default=CustomerStatus.ACTIVE
    )
    onboarded_on = models.DateField(_("onboarding date"))
    onboarding_channel = models.CharField(
        _("onboarding channel"),
        max_length=12,
        choices=OnboardingChannel.choices,
        default=OnboardingChannel.BRANCH,
    )
    closed_on = models.DateField(_("closing date"), null=True, blank=True)
    # Indexed through (branch, customer_no) and (rm, customer_no) below, which start with them.
    branch = models.ForeignKey(
        Branch,
        verbose_name=_("branch"),
        on_delete=models.PROTECT,
        related_name="customers",
        db_index=False,
    )
    rm = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("relationship manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customers",
        db_index=False,
    )
    # Deposit + investment balances; kept current by banking.services.customer_refresh_aum.
    aum = models.DecimalField(_("AUM"), max_digits=18, decimal_places=2, default=Decimal("0"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Optimistic locking: +1 on every change, so an edit made from an older copy is refused
    # (core.concurrency). The database default fills rows that bulk writers insert without it.
    version = models.PositiveIntegerField(_("version"), default=1, db_default=1)

    objects = SealedQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [
            models.Index(fields=["rm", "customer_no"], name="customer_rm_no"),
            models.Index(fields=["branch", "customer_no"], name="customer_branch_no"),
            models.Index(fields=["aum", "id"], name="customer_aum_id"),
            models.Index(fields=["onboarded_on"], name="customer_onboarded"),
            models.Index(fields=["closed_on"], name="customer_closed"),
            # Exact search and duplicate detection (plain b-tree: nothing matches a hash by
            # pattern, so no varchar_pattern_ops twin).
            models.Index(fields=["id_number_hash"], name="customer_id_hash"),
            models.Index(fields=["mobile_hash"], name="customer_mobile_hash"),
            models.Index(fields=["mobile_last4"], name="customer_mobile_last4"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(risk_appetite="") | models.Q(risk_assessed_on__isnull=False),
                name="customer_risk_needs_assessment_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.customer_no})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A save of the ID number or mobile alone also saves its keyed hash (and its last 4).
        self.mobile_last4 = (self.mobile or "")[-4:]
        fields = with_indexes(Customer, kwargs.get("update_fields"))
        if fields is not None and "mobile" in fields:
            fields = [*fields, "mobile_last4"]
        kwargs["update_fields"] = fields
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("customers:detail", args=[self.pk])

    @property
    def display_name(self) -> str:
        if (get_language() or "").startswith("zh") or not self.name_en:
            return self.name_zh
        return self.name_en

    @property
    def tier(self) -> str:
        return tier_for_aum(self.aum)

    def get_tier_display(self) -> str:
        return str(WealthTier(self.tier).label)

    def clean(self) -> None:
        from bankcrm.customers.validation import validate_customer_fields

        errors = validate_customer_fields(
            {
                f: getattr(self, f)
                for f in (
                    "id_type",
                    "id_number",
                    "mobile",
                    "risk_appetite",
                    "risk_assessed_on",
                    "risk_expires_on",
                )
            }
        )
        if errors:
            raise ValidationError(errors)


class RmAssignment(models.Model):
    """History of which RM and branch looked after a customer, and when."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="rm_assignments")
    rm = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+")
    started_on = models.DateField(_("from"))
    ended_on = models.DateField(_("until"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["customer", "-started_on", "-id"]
        verbose_name = _("RM assignment")
        verbose_name_plural = _("RM assignments")

    def __str__(self) -> str:
        return f"{self.customer_id} → {self.rm_id} ({self.started_on})"


class GroupKind(models.TextChoices):
    HOUSEHOLD = "household", _("Household")
    CORPORATE_GROUP = "corporate_group", _("Corporate group")


class MemberRole(models.TextChoices):
    HEAD = "head", _("Head of household")
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    PARENT_COMPANY = "parent_company", _("Parent company")
    SUBSIDIARY = "subsidiary", _("Subsidiary")
    GUARANTOR = "guarantor", _("Guarantor")
    MEMBER = "member", _("Member")


class RelationshipGroup(models.Model):
    # The source system's group code: the natural key imports upsert by (optional for manual ones).
    code = models.CharField(_("code"), max_length=32, unique=True, null=True, blank=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=GroupKind.choices)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("relationship group")
        verbose_name_plural = _("relationship groups")

    def __str__(self) -> str:
        return self.name


class GroupMembership(models.Model):
    group = models.ForeignKey(
        RelationshipGroup, on_delete=models.CASCADE, related_name="memberships"
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="group_memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=MemberRole.choices)

    class Meta:
        verbose_name = _("group membership")
        verbose_name_plural = _("group memberships")
        constraints = [
            models.UniqueConstraint(fields=["group", "customer"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} in {self.group_id} as {self.role}"


class ConsentPurpose(models.TextChoices):
    MARKETING = "marketing", _("Marketing")
    PROFILING = "profiling", _("Profiling")
    DATA_SHARING = "data_sharing", _("Data sharing")


class ContactChannel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    APP_PUSH = "app_push", _("App push")
    WECHAT = "wechat", _("WeChat")


class ConsentSource(models.TextChoices):
    BRANCH = "branch", _("Branch form")
    APP = "app", _("Mobile app")
    ONLINE = "online", _("Online banking")
    CALL_CENTER = "call_center", _("Call centre")
    IMPORT = "import", _("Import")


class ConsentEvent(models.Model):
    """One grant or withdrawal; the current consent is the latest event per purpose × channel."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(_("purpose"), max_length=20, choices=ConsentPurpose.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=ContactChannel.choices)
    granted = models.BooleanField(_("granted"))
    source = models.CharField(_("source"), max_length=12, choices=ConsentSource.choices)
    recorded_at = models.DateTimeField(_("recorded at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["customer", "recorded_at", "id"]
        verbose_name = _("consent event")
        verbose_name_plural = _("consent events")
        indexes = [
            models.Index(
                fields=["customer", "purpose", "channel", "recorded_at"], name="consent_lookup"
            ),
        ]
        constraints = [
            # The natural key imports upsert by: one event per purpose × channel at one instant.
            models.UniqueConstraint(
                fields=["customer", "purpose", "channel", "recorded_at"], name="consent_event_key"
            ),
        ]

    def __str__(self) -> str:
        verb = "grant" if self.granted else "withdraw"
        return f"{self.customer_id} {verb} {self.purpose}/{self.channel}"


class CustomerAlias(models.Model):
    """An identifier a customer was known by before a merge (or in another source system).

    Imports that name an alias resolve to the surviving customer.
    """

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="aliases")
    customer_no = models.CharField(_("customer number"), max_length=20, unique=True)
    source = models.CharField(_("source"), max_length=50, blank=True)
    id_number = EncryptedCharField(_("ID number"), max_length=32, blank=True, purpose="id_number")
    merged_at = models.DateTimeField(_("merged at"), null=True, blank=True)

    class Meta:
        verbose_name = _("customer alias")
        verbose_name_plural = _("customer aliases")

    def __str__(self) -> str:
        return f"{self.customer_no} → {self.customer_id}"


class DuplicateDismissal(models.Model):
    """A data steward's decision that two records are different people: no longer proposed."""

    first = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), auto_now_add=True)
    reason = models.CharField(_("reason"), max_length=200)

    class Meta:
        verbose_name = _("not a duplicate")
        verbose_name_plural = _("not duplicates")
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="dismissal_pair"),
            models.CheckConstraint(
                condition=models.Q(first__lt=models.F("second")), name="dismissal_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_id} ≠ {self.second_id}"
