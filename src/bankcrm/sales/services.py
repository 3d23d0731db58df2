"""Writes of the sales app: leads (created after a duplicate check, qualified, converted),
opportunities (moved through the stage rules and the suitability check), activities on the
one contact history, agenda snoozes, portfolio reassignment and targets. Each in one
transaction with its audit event."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bankcrm.banking.models import Product
from bankcrm.banking.services import account_open
from bankcrm.core.audit import audit_record, diff, snapshot
from bankcrm.core.concurrency import check_version
from bankcrm.core.models import AuditAction, User
from bankcrm.core.permissions import require_role, user_scope
from bankcrm.core.pii import mask_changes
from bankcrm.core.roles import CAN_REASSIGN_CUSTOMERS, CAN_SET_TARGETS, CAN_WORK_SALES, Scope
from bankcrm.core.validators import (
    normalize_mobile,
    normalize_resident_id,
    validate_mobile,
    validate_resident_id,
)
from bankcrm.customers import services as customer_services
from bankcrm.customers.models import Customer, OnboardingChannel
from bankcrm.customers.selectors import branches_assignable_by, staff_visible_to
from bankcrm.interactions.models import Interaction, Task, TaskStatus
from bankcrm.interactions.services import interaction_create
from bankcrm.sales.models import (
    CLOSED_STAGES,
    OPEN_STAGES,
    ActivityLink,
    AgendaSnooze,
    Lead,
    LeadSource,
    LeadStatus,
    Opportunity,
    OpportunityOrigin,
    RmTarget,
    Stage,
    StageChange,
)
from bankcrm.sales.rules import suitability, transition_error
from bankcrm.sales.selectors import DuplicateCheck, lead_duplicates

DENIED = "Your role may not work the sales pipeline."


def _may_work(actor: User) -> None:
    require_role(actor, CAN_WORK_SALES, _(DENIED))


# -- leads --------------------------------------------------------------------------------

LEAD_FIELDS = [
    "name",
    "birth_date",
    "id_number",
    "mobile",
    "email",
    "source",
    "referrer_customer",
    "referrer_staff",
    "campaign_ref",
    "branch",
    "rm",
    "need",
    "product_interest",
    "expected_aum",
    "follow_up_on",
    "status",
]


class DuplicateLead(ValidationError):
    """The person is already a customer (or an open lead): the page offers to open them."""

    def __init__(self, check: DuplicateCheck) -> None:
        self.check = check
        super().__init__(
            _(
                "This person may already be a customer or a lead: open them, or confirm it is "
                "someone else."
            )
        )


def _lead_errors(lead: Lead) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}

    def check(name: str, fn: Any) -> None:
        value = getattr(lead, name)
        if value:
            try:
                fn(value)
            except ValidationError as exc:
                errors.setdefault(name, []).extend(exc.messages)

    check("id_number", validate_resident_id)
    check("mobile", validate_mobile)
    if not (lead.mobile or lead.email or lead.id_number):
        errors.setdefault("mobile", []).append(
            _("Give at least a mobile, an email or an ID number.")
        )
    if lead.source == LeadSource.CUSTOMER_REFERRAL and lead.referrer_customer_id is None:
        errors.setdefault("referrer_customer", []).append(
            _("A referral by a customer names the referring customer.")
        )
    if lead.source == LeadSource.STAFF_REFERRAL and lead.referrer_staff_id is None:
        errors.setdefault("referrer_staff", []).append(
            _("A referral by a colleague names the colleague.")
        )
    if lead.source == LeadSource.CAMPAIGN and not lead.campaign_ref:
        errors.setdefault("campaign_ref", []).append(_("A campaign response names its campaign."))
    return errors


@transaction.atomic
def lead_create(*, actor: User, data: dict[str, Any], allow_duplicate: bool = False) -> Lead:
    """A new lead after the duplicate check (refused with :class:`DuplicateLead` unless the
    person entering it confirmed it is someone else). An RM's lead is theirs by default."""
    _may_work(actor)
    lead = Lead(**{k: v for k, v in data.items() if k in LEAD_FIELDS})
    if lead.id_number:
        lead.id_number = normalize_resident_id(lead.id_number)
    if lead.mobile:
        lead.mobile = normalize_mobile(lead.mobile)
    if lead.branch_id is None and getattr(actor, "branch_id", None):
        lead.branch_id = actor.branch_id
    if lead.rm_id is None and getattr(actor, "role", "") == "rm":
        lead.rm = actor
    errors = _lead_errors(lead)
    if errors:
        raise ValidationError(errors)
    if not branches_assignable_by(actor).filter(pk=lead.branch_id).exists():
        raise ValidationError({"branch": _("This branch is outside your scope.")})
    if lead.rm_id and not staff_visible_to(actor).filter(pk=lead.rm_id).exists():
        raise ValidationError({"rm": _("Choose an RM within your scope.")})
    if not allow_duplicate:
        check = lead_duplicates(
            user=actor,
            id_number=lead.id_number,
            mobile=lead.mobile,
            name=lead.name,
            birth_date=lead.birth_date,
        )
        if check.found:
            raise DuplicateLead(check)
    lead.created_by = actor if getattr(actor, "is_authenticated", False) else None
    lead.full_clean()
    lead.save()
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=lead,
        changes=mask_changes(Lead, diff({}, snapshot(lead, LEAD_FIELDS))),
        purpose="lead",
    )
    return lead


@transaction.atomic
def lead_qualify(
    *,
    actor: User,
    lead: Lead,
    need: str,
    product_interest: Product | None,
    expected_aum: Decimal | None,
    follow_up_on: dt.date | None = None,
) -> Lead:
    _may_work(actor)
    if not lead.is_open:
        raise ValidationError(_("This lead is closed."))
    before = snapshot(lead, ["need", "product_interest", "expected_aum", "status"])
    lead.need = need.strip()
    lead.product_interest = product_interest
    lead.expected_aum = expected_aum
    lead.follow_up_on = follow_up_on or lead.follow_up_on
    if not lead.need:
        raise ValidationError({"need": _("Say what the lead needs.")})
    lead.status = LeadStatus.QUALIFIED
    lead.full_clean()
    lead.save()
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=lead,
        changes=diff(
            before, snapshot(lead, ["need", "product_interest", "expected_aum", "status"])
        ),
        purpose="lead qualification",
    )
    return lead


@transaction.atomic
def lead_disqualify(*, actor: User, lead: Lead, reason: str) -> Lead:
    _may_work(actor)
    reason = reason.strip()
    if not lead.is_open:
        raise ValidationError(_("This lead is closed."))
    if len(reason) < 2:
        raise ValidationError({"reason": _("Say why the lead is disqualified.")})
    lead.status, lead.disqualified_reason = LeadStatus.DISQUALIFIED, reason[:200]
    lead.save(update_fields=["status", "disqualified_reason"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=lead,
        changes={"status": [LeadStatus.QUALIFIED, LeadStatus.DISQUALIFIED]},
        purpose="lead disqualified",
    )
    return lead


def _link(
    interaction: Interaction, *, lead: Lead | None = None, opp: Opportunity | None = None
) -> None:
    ActivityLink.objects.create(interaction=interaction, lead=lead, opportunity=opp)


@transaction.atomic
def lead_log_activity(
    *, actor: User, lead: Lead, kind: str, subject: str, notes: str = ""
) -> Interaction:
    """A call, visit, meeting or email with a lead, on the one contact history: on the
    customer's timeline once the lead is converted (before, on the lead's page)."""
    _may_work(actor)
    if lead.customer is not None:
        interaction = interaction_create(
            actor=actor, customer=lead.customer, kind=kind, subject=subject, notes=notes
        )
    else:
        interaction = Interaction(
            customer=None,
            staff=actor,
            kind=kind,
            subject=subject.strip(),
            notes=notes.strip(),
            occurred_at=timezone.now(),
        )
        interaction.full_clean()
        interaction.save()
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            obj=interaction,
            changes={"kind": kind, "lead": lead.pk},
            purpose="lead activity",
        )
    _link(interaction, lead=lead)
    return interaction


@dataclass
class Conversion:
    customer: Customer
    opportunity: Opportunity


def _customer_data(*, lead: Lead, actor: User, today: dt.date) -> dict[str, Any]:
    """The new customer as the lead knew them, onboarded today through the lead's channel."""
    channel = (
        OnboardingChannel.REFERRAL
        if lead.source in (LeadSource.CUSTOMER_REFERRAL, LeadSource.STAFF_REFERRAL)
        else OnboardingChannel.ONLINE
        if lead.source == LeadSource.WEB_FORM
        else OnboardingChannel.BRANCH
    )
    return {
        "customer_no": f"LD{lead.pk:010d}",
        "name_zh": lead.name,
        "birth_date": lead.birth_date,
        "id_number": lead.id_number,
        "mobile": lead.mobile,
        "email": lead.email,
        "branch": lead.branch,
        "rm": lead.rm or (actor if getattr(actor, "role", "") == "rm" else None),
        "onboarded_on": today,
        "onboarding_channel": channel,
    }


def _record_sale(
    *, actor: User, lead: Lead, customer: Customer, product: Product, amount: Decimal
) -> Opportunity:
    """The first product as a won opportunity, credited to the customer's RM."""
    now = timezone.now()
    opp = Opportunity.objects.create(
        customer=customer,
        product=product,
        rm=customer.rm,
        branch=customer.branch,
        stage=Stage.WON,
        expected_amount=amount,
        expected_close_on=timezone.localdate(),
        origin=OpportunityOrigin.LEAD,
        lead=lead,
        created_by=actor,
        stage_changed_at=now,
        closed_at=now,
    )
    StageChange.objects.create(
        opportunity=opp, from_stage="", to_stage=Stage.WON, changed_at=now, changed_by=actor
    )
    return opp


@transaction.atomic
def lead_convert(
    *,
    actor: User,
    lead: Lead,
    product: Product,
    amount: Decimal,
    customer_data: dict[str, Any] | None = None,
) -> Conversion:
    """The lead becomes a customer holding their first product: the customer is created
    (onboarding recorded in the RM history), the account opened, a won opportunity records
    the sale (credited to the lead's RM, and its referrer kept on the lead), and the lead's
    contact history moves onto the new customer's timeline."""
    _may_work(actor)
    locked = Lead.objects.select_for_update().get(pk=lead.pk)
    if locked.status == LeadStatus.CONVERTED:
        raise ValidationError(_("This lead is already a customer."))
    if locked.status == LeadStatus.DISQUALIFIED:
        raise ValidationError(_("A disqualified lead cannot be converted."))
    today = timezone.localdate()
    data = _customer_data(lead=locked, actor=actor, today=today)
    data.update(customer_data or {})
    customer = customer_services.customer_create(actor=actor, data=data)
    account_open(
        actor=actor,
        customer=customer,
        product=product,
        account_no=f"{customer.customer_no}01",
        balance=amount,
        opened_on=today,
    )
    now = timezone.now()
    opp = _record_sale(actor=actor, lead=locked, customer=customer, product=product, amount=amount)
    # The history follows the person: every contact logged with the lead is now theirs.
    Interaction.objects.filter(sales_link__lead=locked).update(customer=customer)
    locked.status, locked.customer, locked.converted_at = LeadStatus.CONVERTED, customer, now
    locked.save(update_fields=["status", "customer", "converted_at"])
    note = interaction_create(
        actor=actor,
        customer=customer,
        kind="note",
        subject=_("Became a customer from a lead (%(source)s)")
        % {"source": LeadSource(locked.source).label},
    )
    _link(note, lead=locked, opp=opp)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=locked,
        customer_id=customer.pk,
        changes={"status": [LeadStatus.QUALIFIED, LeadStatus.CONVERTED], "customer": customer.pk},
        purpose="lead conversion",
    )
    return Conversion(customer, opp)


# -- opportunities --------------------------------------------------------------------------


@transaction.atomic
def opportunity_create(
    *,
    actor: User,
    customer: Customer,
    product: Product,
    expected_amount: Decimal,
    expected_close_on: dt.date | None = None,
    next_step: str = "",
    next_step_on: dt.date | None = None,
    origin: str = OpportunityOrigin.STAFF,
    lead: Lead | None = None,
) -> Opportunity:
    """An opportunity for ``customer`` (one the actor may read: the caller fetched them
    through a scoped selector) at the first stage."""
    _may_work(actor)
    if expected_amount is None or expected_amount < 0:
        raise ValidationError({"expected_amount": _("Give an expected amount of 0 or more.")})
    if Opportunity.objects.filter(
        customer=customer, product=product, stage__in=OPEN_STAGES
    ).exists():
        raise ValidationError(
            {"product": _("This customer already has an open opportunity for this product.")}
        )
    now = timezone.now()
    opp = Opportunity(
        customer=customer,
        product=product,
        rm=customer.rm,
        branch=customer.branch,
        expected_amount=expected_amount,
        expected_close_on=expected_close_on,
        next_step=next_step.strip(),
        next_step_on=next_step_on,
        origin=origin,
        lead=lead,
        created_by=actor,
        stage_changed_at=now,
    )
    opp.full_clean()
    opp.save()
    StageChange.objects.create(
        opportunity=opp, from_stage="", to_stage=opp.stage, changed_at=now, changed_by=actor
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=opp,
        customer_id=customer.pk,
        changes=diff({}, snapshot(opp, ["product", "stage", "expected_amount", "origin"])),
    )
    return opp


def suitability_check(*, actor: User, opportunity: Opportunity) -> None:
    """The appropriateness check at proposal, audited whatever its result (in its own
    transaction, so a refusal stays on the trail); raises the exact reason on a refusal."""
    customer = Customer.objects.get(pk=opportunity.customer_id)
    result = suitability(customer=customer, product=opportunity.product, today=timezone.localdate())
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=AuditAction.VERIFY,
            obj=opportunity,
            customer_id=customer.pk,
            changes={
                "check": "suitability",
                "result": "passed" if result.passed else "refused",
                "code": result.code,
                "product_risk": opportunity.product.risk_level,
                "customer_risk": customer.risk_appetite,
                "assessment_expires": customer.risk_expires_on.isoformat()
                if customer.risk_expires_on
                else None,
                "reason": result.reason,
            },
            purpose="suitability check",
        )
    if not result.passed:
        raise ValidationError({"stage": [result.reason]}, code=result.code)


def opportunity_move(
    *,
    actor: User,
    opportunity: Opportunity,
    stage: str,
    lost_reason: str = "",
    version: int | None = None,
) -> Opportunity:
    """Move an opportunity to ``stage`` if the rules allow it (`rules.transition_error`);
    into *proposal* only once the product passes the suitability check."""
    _may_work(actor)
    error = transition_error(opportunity.stage, stage, lost_reason=lost_reason)
    if error:
        raise ValidationError({"stage": [error]})
    if stage == Stage.LOST and lost_reason not in {
        c for c, _label in Opportunity._meta.get_field("lost_reason").choices or []
    }:
        raise ValidationError({"lost_reason": [_("Choose a reason from the list.")]})
    if stage == Stage.PROPOSAL:
        suitability_check(actor=actor, opportunity=opportunity)
    return _move(
        actor=actor, opportunity=opportunity, stage=stage, lost_reason=lost_reason, version=version
    )


@transaction.atomic
def _move(
    *, actor: User, opportunity: Opportunity, stage: str, lost_reason: str, version: int | None
) -> Opportunity:
    locked = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    check_version(obj=locked, version=version)
    error = transition_error(locked.stage, stage, lost_reason=lost_reason)
    if error:
        raise ValidationError({"stage": [error]})
    now = timezone.now()
    before = locked.stage
    locked.stage = stage
    locked.lost_reason = lost_reason if stage == Stage.LOST else ""
    locked.stage_changed_at = now
    locked.closed_at = now if stage in CLOSED_STAGES else None
    locked.version += 1
    locked.full_clean()
    locked.save()
    StageChange.objects.create(
        opportunity=locked, from_stage=before, to_stage=stage, changed_at=now, changed_by=actor
    )
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=locked,
        customer_id=locked.customer_id,
        changes={"stage": [before, stage], **({"lost_reason": lost_reason} if lost_reason else {})},
    )
    locked.product = opportunity.product
    locked.customer = opportunity.customer
    return locked


@transaction.atomic
def opportunity_update(
    *, actor: User, opportunity: Opportunity, data: dict[str, Any]
) -> Opportunity:
    _may_work(actor)
    fields = ["expected_amount", "expected_close_on", "next_step", "next_step_on"]
    if not opportunity.is_open:
        raise ValidationError(_("A won or lost opportunity is closed."))
    before = snapshot(opportunity, fields)
    for k in fields:
        if k in data:
            setattr(opportunity, k, data[k])
    opportunity.full_clean()
    opportunity.version += 1
    opportunity.save()
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=opportunity,
        customer_id=opportunity.customer_id,
        changes=diff(before, snapshot(opportunity, fields)),
    )
    return opportunity


@transaction.atomic
def opportunity_log_activity(
    *, actor: User, opportunity: Opportunity, kind: str, subject: str, notes: str = ""
) -> Interaction:
    _may_work(actor)
    interaction = interaction_create(
        actor=actor, customer=opportunity.customer, kind=kind, subject=subject, notes=notes
    )
    _link(interaction, opp=opportunity)
    return interaction


# -- the agenda ---------------------------------------------------------------------------


@transaction.atomic
def agenda_snooze(*, actor: User, item: str, until: dt.date, reason: str) -> AgendaSnooze:
    _may_work(actor)
    reason = reason.strip()
    if len(reason) < 2:
        raise ValidationError({"reason": _("Say why you put it off.")})
    today = timezone.localdate()
    if until <= today:
        raise ValidationError({"until": _("Snooze until a later day.")})
    snooze = AgendaSnooze.objects.create(
        user=actor, item=item[:60], until=until, reason=reason[:200]
    )
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=snooze,
        changes={"item": snooze.item, "until": until.isoformat()},
        purpose="agenda snooze",
    )
    return snooze


# -- portfolio reassignment ---------------------------------------------------------------


@dataclass
class Reassignment:
    customers: int = 0
    tasks: int = 0
    opportunities: int = 0
    leads: int = 0
    skipped: list[str] = field(default_factory=list)


def _may_reassign_to(actor: User, to_rm: User) -> None:
    if not staff_visible_to(actor).filter(pk=to_rm.pk).exists():
        raise PermissionDenied(_("Choose an RM within your scope."))


@transaction.atomic
def portfolio_reassign(
    *,
    actor: User,
    customers: list[Customer],
    to_rm: User,
    reason: str = "reassigned",
    leads_of: User | None = None,
) -> Reassignment:
    """Hand ``customers`` (fetched through the actor's scope) to ``to_rm``: each through the
    customer service (its RM history and audit event), their open tasks that the old RM held
    and their open opportunities with them, and one summary event on the trail. A branch
    manager may only move customers to an RM of their branch (`staff_visible_to`). With
    ``leads_of`` (a whole portfolio handed over), that RM's open leads move too."""
    require_role(actor, CAN_REASSIGN_CUSTOMERS, _("Your role may not reassign customers."))
    _may_reassign_to(actor, to_rm)
    if user_scope(actor) == Scope.BRANCH and to_rm.branch_id is not None:
        allowed = branches_assignable_by(actor)
        outside = [c for c in customers if not allowed.filter(pk=c.branch_id).exists()]
        if outside:
            raise PermissionDenied(_("A branch manager may only reassign within their branch."))
    out = Reassignment()
    for c in customers:
        old_rm = c.rm_id
        if old_rm == to_rm.pk:
            continue
        try:
            customer_services.customer_update(actor=actor, customer=c, data={"rm": to_rm})
        except ValidationError as exc:
            out.skipped.append(f"{c.customer_no}: {'; '.join(exc.messages)}")
            continue
        out.customers += 1
        open_tasks = Task.objects.filter(
            customer=c, status__in=[TaskStatus.OPEN, TaskStatus.IN_PROGRESS]
        )
        if old_rm is not None:
            open_tasks = open_tasks.filter(assignee_id=old_rm)
        else:
            open_tasks = open_tasks.filter(assignee__isnull=True)
        out.tasks += open_tasks.update(assignee=to_rm)
        out.opportunities += Opportunity.objects.filter(customer=c, stage__in=OPEN_STAGES).update(
            rm=to_rm, branch=c.branch
        )
    if leads_of is not None and leads_of.pk != to_rm.pk:
        from bankcrm.sales.selectors import leads_visible_to

        out.leads = (
            leads_visible_to(actor)
            .filter(rm=leads_of, status__in=[LeadStatus.NEW, LeadStatus.QUALIFIED])
            .update(rm=to_rm)
        )
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type="sales.portfolio",
        object_id=str(to_rm.pk),
        changes={
            "to_rm": to_rm.pk,
            "customers": out.customers,
            "tasks": out.tasks,
            "opportunities": out.opportunities,
            "leads": out.leads,
            "reason": reason[:200],
        },
        purpose="portfolio reassignment",
    )
    return out


# -- targets ------------------------------------------------------------------------------

TARGET_FIELDS = ["new_customers", "aum_growth", "products_sold", "pipeline_won", "activities"]


@transaction.atomic
def target_set(*, actor: User, rm: User, month: dt.date, values: dict[str, Any]) -> RmTarget:
    require_role(actor, CAN_SET_TARGETS, _("Your role may not set targets."))
    if not staff_visible_to(actor).filter(pk=rm.pk).exists():
        raise PermissionDenied(_("Choose an RM within your scope."))
    month = month.replace(day=1)
    target, created = RmTarget.objects.get_or_create(rm=rm, month=month)
    before = {} if created else snapshot(target, TARGET_FIELDS)
    for k in TARGET_FIELDS:
        if k in values and values[k] is not None:
            setattr(target, k, values[k])
    target.full_clean()
    target.save()
    audit_record(
        actor=actor,
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        obj=target,
        changes=diff(before, snapshot(target, TARGET_FIELDS)),
    )
    return target
