"""Leads and referrals, opportunities and their stage history, the agenda's snoozes and the RMs'
monthly targets."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from bankcrm.banking.models import Product
from bankcrm.core.crypto import BlindIndexField, EncryptedCharField, SealedQuerySet, with_indexes
from bankcrm.core.models import Branch
from bankcrm.customers.models import Customer
from bankcrm.interactions.models import Interaction


class LeadSource(models.TextChoices):
    WALK_IN = "walk_in", _("Walk-in")
    CUSTOMER_REFERRAL = "customer_referral", _("Referral by a customer")
    STAFF_REFERRAL = "staff_referral", _("Referral by a colleague")
    CAMPAIGN = "campaign", _("Campaign response")
    WEB_FORM = "web_form", _("Web form")
    IMPORT = "import", _("Import")


class LeadStatus(models.TextChoices):
    NEW = "new", pgettext_lazy("lead status", "New")
    QUALIFIED = "qualified", _("Qualified")
    CONVERTED = "converted", _("Converted")
    DISQUALIFIED = "disqualified", _("Disqualified")


class Lead(models.Model):
    """A prospect who is not (yet) a customer. ID number and mobile are stored as the
    customer's are: encrypted, found by keyed hashes, shown by their last 4."""

    name = models.CharField(_("name"), max_length=100)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    id_number = EncryptedCharField(_("ID number"), max_length=32, blank=True, purpose="id_number")
    id_number_hash = BlindIndexField(source="id_number", purpose="id_number")
    id_last4 = models.CharField(_("last 4 of ID"), max_length=4, blank=True)
    mobile = EncryptedCharField(_("mobile"), max_length=11, blank=True, purpose="mobile")
    mobile_hash = BlindIndexField(source="mobile", purpose="mobile")
    mobile_last4 = models.CharField(_("last 4 of mobile"), max_length=4, blank=True)
    email = models.EmailField(_("email"), blank=True)
    source = models.CharField(_("source"), max_length=20, choices=LeadSource.choices)
    # Who referred the lead: a customer or a colleague (credited for rewards and performance).
    referrer_customer = models.ForeignKey(
        Customer,
        verbose_name=_("referred by customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referred_leads",
    )
    referrer_staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("referred by colleague"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referred_leads",
    )
    # The campaign a response came from: a free reference until the marketing app's campaigns
    # can be linked (see docs/sales.md).
    campaign_ref = models.CharField(_("campaign"), max_length=60, blank=True)
    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="leads"
    )
    rm = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("relationship manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
    )
    status = models.CharField(
        _("status"), max_length=14, choices=LeadStatus.choices, default=LeadStatus.NEW
    )
    # Qualification.
    need = models.TextField(_("need"), blank=True)
    product_interest = models.ForeignKey(
        Product,
        verbose_name=_("product interest"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    expected_aum = models.DecimalField(
        _("expected AUM"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    follow_up_on = models.DateField(_("follow up on"), null=True, blank=True)
    disqualified_reason = models.CharField(_("why disqualified"), max_length=200, blank=True)
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("converted to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
    )
    converted_at = models.DateTimeField(_("converted at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = SealedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        indexes = [
            models.Index(fields=["rm", "status"], name="lead_rm_status"),
            models.Index(fields=["branch", "status"], name="lead_branch_status"),
            models.Index(fields=["id_number_hash"], name="lead_id_hash"),
            models.Index(fields=["mobile_hash"], name="lead_mobile_hash"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.mobile_last4 = (self.mobile or "")[-4:]
        self.id_last4 = (self.id_number or "")[-4:].upper()
        fields = with_indexes(Lead, kwargs.get("update_fields"))
        if fields is not None:
            fields = [*fields, *(f for f in ("mobile_last4", "id_last4") if f not in fields)]
        kwargs["update_fields"] = fields
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("sales:lead", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in (LeadStatus.NEW, LeadStatus.QUALIFIED)


class Stage(models.TextChoices):
    IDENTIFIED = "identified", _("Identified")
    CONTACTED = "contacted", _("Contacted")
    NEEDS_ASSESSED = "needs_assessed", _("Needs assessed")
    PROPOSAL = "proposal", _("Proposal")
    APPLICATION = "application", _("Application")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


OPEN_STAGES = (
    Stage.IDENTIFIED,
    Stage.CONTACTED,
    Stage.NEEDS_ASSESSED,
    Stage.PROPOSAL,
    Stage.APPLICATION,
)
CLOSED_STAGES = (Stage.WON, Stage.LOST)


class LostReason(models.TextChoices):
    NO_NEED = "no_need", _("No need after all")
    PRICE = "price", _("Rate or fees")
    COMPETITOR = "competitor", _("Went to another bank")
    NOT_SUITABLE = "not_suitable", _("Not suitable for the customer")
    TIMING = "timing", _("Not now")
    NO_RESPONSE = "no_response", _("No response")
    OTHER = "other", _("Other")


class OpportunityOrigin(models.TextChoices):
    STAFF = "staff", _("Staff")
    RECOMMENDATION = "recommendation", _("Next best product")
    LEAD = "lead", _("Lead conversion")


class Opportunity(models.Model):
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="opportunities"
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="opportunities"
    )
    # The owner: the customer's RM when it was opened, moved with the customer on reassignment.
    rm = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("relationship manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opportunities",
    )
    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="opportunities"
    )
    stage = models.CharField(
        _("stage"), max_length=16, choices=Stage.choices, default=Stage.IDENTIFIED
    )
    expected_amount = models.DecimalField(
        _("expected amount"), max_digits=18, decimal_places=2, default=Decimal("0")
    )
    expected_close_on = models.DateField(_("expected close date"), null=True, blank=True)
    next_step = models.CharField(_("next step"), max_length=200, blank=True)
    next_step_on = models.DateField(_("next step date"), null=True, blank=True)
    lost_reason = models.CharField(
        _("lost reason"), max_length=16, choices=LostReason.choices, blank=True
    )
    origin = models.CharField(
        _("origin"), max_length=16, choices=OpportunityOrigin.choices, default="staff"
    )
    lead = models.ForeignKey(
        Lead, null=True, blank=True, on_delete=models.SET_NULL, related_name="opportunities"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    stage_changed_at = models.DateTimeField(_("stage changed at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, db_default=1)

    class Meta:
        ordering = ["next_step_on", "id"]
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        indexes = [
            models.Index(fields=["rm", "stage"], name="opportunity_rm_stage"),
            models.Index(fields=["branch", "stage"], name="opportunity_branch_stage"),
            models.Index(fields=["customer", "stage"], name="opportunity_customer_stage"),
            models.Index(fields=["closed_at"], name="opportunity_closed"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(stage="lost") | ~models.Q(lost_reason=""),
                name="opportunity_lost_needs_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer.name_zh} · {self.product.code}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("sales:opportunity", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES

    @property
    def probability(self) -> int:
        from bankcrm.sales.rules import probability

        return probability(self.stage)

    @property
    def move_targets(self) -> list[tuple[str, str]]:
        """The stages the move control offers from here, with their labels."""
        from bankcrm.sales.rules import allowed_targets

        return [(s, str(Stage(s).label)) for s in allowed_targets(self.stage)]

    @property
    def weighted_amount(self) -> Decimal:
        return (self.expected_amount * self.probability / 100).quantize(Decimal("0.01"))


class StageChange(models.Model):
    """Each move of an opportunity: conversion by stage and cycle time are read from these."""

    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="stage_changes"
    )
    from_stage = models.CharField(_("from"), max_length=16, choices=Stage.choices, blank=True)
    to_stage = models.CharField(_("to"), max_length=16, choices=Stage.choices)
    changed_at = models.DateTimeField(_("changed at"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["changed_at", "id"]
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        indexes = [models.Index(fields=["opportunity", "to_stage"], name="stagechange_opp_to")]

    def __str__(self) -> str:
        return f"{self.from_stage} → {self.to_stage}"


class ActivityLink(models.Model):
    """What an interaction on the one contact history was about, besides its customer: a lead
    (who has no customer yet) or an opportunity."""

    interaction = models.OneToOneField(
        Interaction, on_delete=models.CASCADE, related_name="sales_link"
    )
    lead = models.ForeignKey(
        Lead, null=True, blank=True, on_delete=models.CASCADE, related_name="activity_links"
    )
    opportunity = models.ForeignKey(
        Opportunity, null=True, blank=True, on_delete=models.CASCADE, related_name="activity_links"
    )

    class Meta:
        verbose_name = _("activity link")
        verbose_name_plural = _("activity links")

    def __str__(self) -> str:
        return f"{self.interaction_id}"


class AgendaSnooze(models.Model):
    """An agenda item put off by its RM until a date, with the reason they gave."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agenda_snoozes"
    )
    item = models.CharField(_("item"), max_length=60)  # "<source>:<id>", e.g. "birthday:12"
    until = models.DateField(_("until"))
    reason = models.CharField(_("reason"), max_length=200)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("agenda snooze")
        verbose_name_plural = _("agenda snoozes")
        indexes = [models.Index(fields=["user", "until"], name="snooze_user_until")]

    def __str__(self) -> str:
        return self.item


class RmTarget(models.Model):
    """What an RM is asked to reach in a month."""

    rm = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sales_targets"
    )
    month = models.DateField(_("month"))  # the first day
    new_customers = models.PositiveIntegerField(_("new customers"), default=0)
    aum_growth = models.DecimalField(
        _("AUM growth"), max_digits=18, decimal_places=2, default=Decimal("0")
    )
    products_sold = models.PositiveIntegerField(_("products sold"), default=0)
    pipeline_won = models.DecimalField(
        _("pipeline won"), max_digits=18, decimal_places=2, default=Decimal("0")
    )
    activities = models.PositiveIntegerField(_("activities"), default=0)

    class Meta:
        ordering = ["month", "rm"]
        verbose_name = _("RM target")
        verbose_name_plural = _("RM targets")
        constraints = [
            models.UniqueConstraint(fields=["rm", "month"], name="rmtarget_rm_month"),
        ]

    def __str__(self) -> str:
        return f"{self.rm_id} {self.month:%Y-%m}"
