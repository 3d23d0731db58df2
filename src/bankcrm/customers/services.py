"""Writes to customer data. Each runs in one transaction with its audit event."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from bankcrm.core.audit import audit_record, diff, snapshot
from bankcrm.core.concurrency import check_version
from bankcrm.core.models import AuditAction, User
from bankcrm.core.permissions import require_role, user_scope
from bankcrm.core.pii import mask_changes
from bankcrm.core.roles import CAN_EDIT_CUSTOMERS, CAN_REVEAL_PII, CAN_WITHDRAW_CONSENT, Scope
from bankcrm.core.validators import normalize_mobile, normalize_resident_id
from bankcrm.customers.models import ConsentEvent, Customer, IdType, RmAssignment

EDITABLE_FIELDS = [
    "kind",
    "name_zh",
    "name_en",
    "gender",
    "birth_date",
    "id_type",
    "id_number",
    "mobile",
    "email",
    "address",
    "occupation",
    "income_band",
    "kyc_status",
    "kyc_date",
    "risk_appetite",
    "risk_assessed_on",
    "risk_expires_on",
    "status",
    "onboarded_on",
    "onboarding_channel",
    "closed_on",
    "branch",
    "rm",
]


def _normalise(customer: Customer) -> None:
    if customer.id_number:
        if customer.id_type == IdType.RESIDENT_ID:
            customer.id_number = normalize_resident_id(customer.id_number)
        customer.id_last4 = customer.id_number[-4:].upper()
    else:
        customer.id_last4 = ""
    if customer.mobile:
        customer.mobile = normalize_mobile(customer.mobile)
    if customer.risk_appetite and customer.risk_assessed_on and not customer.risk_expires_on:
        a = customer.risk_assessed_on
        # Risk assessments in China are valid for a year.
        customer.risk_expires_on = (
            a.replace(year=a.year + 1)
            if not (a.month == 2 and a.day == 29)
            else dt.date(a.year + 1, 3, 1)
        )


def _record_assignment(customer: Customer, reason: str) -> None:
    today = timezone.localdate()
    RmAssignment.objects.filter(customer=customer, ended_on__isnull=True).update(ended_on=today)
    RmAssignment.objects.create(
        customer=customer, rm=customer.rm, branch=customer.branch, started_on=today, reason=reason
    )


@transaction.atomic
def _check_placement(*, actor: User, customer: Customer, before: dict[str, Any] | None) -> None:
    """A customer's branch must be one the actor may assign (`branches_assignable_by`), and an
    RM may not move their customer out of their own portfolio (another branch or another RM):
    that needs a branch manager, who keeps seeing the customer."""
    from bankcrm.customers.selectors import branches_assignable_by

    moved = before is not None and (
        before.get("branch") != customer.branch_id or before.get("rm") != customer.rm_id
    )
    if user_scope(actor) == Scope.OWN and moved:
        raise ValidationError(
            _("Moving a customer to another branch or RM needs a branch manager.")
        )
    placed = (before is None or moved) and customer.branch_id is not None
    if placed and not branches_assignable_by(actor).filter(pk=customer.branch_id).exists():
        raise ValidationError(
            {"branch": _("You may not put a customer in this branch: it is outside your scope.")}
        )


def customer_create(*, actor: User, data: dict[str, Any]) -> Customer:
    require_role(actor, CAN_EDIT_CUSTOMERS, _("Your role may not change customer data."))
    customer = Customer(**{k: v for k, v in data.items() if k in EDITABLE_FIELDS + ["customer_no"]})
    if getattr(actor, "is_authenticated", False):
        _check_placement(actor=actor, customer=customer, before=None)
    _normalise(customer)
    customer.full_clean()
    customer.save()
    _record_assignment(customer, reason="onboarding")
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=customer,
        customer_id=customer.pk,
        changes=mask_changes(Customer, diff({}, snapshot(customer, EDITABLE_FIELDS))),
    )
    return customer


@transaction.atomic
def customer_update(
    *, actor: User, customer: Customer, data: dict[str, Any], version: int | None = None
) -> Customer:
    """Apply `data` to `customer`; validates everything first so nothing is half-saved.

    `version`: the version the edit started from (a form a person had open); a stale one
    raises ConcurrentEdit. Without it (imports, internal callers) the change is applied.
    """
    require_role(actor, CAN_EDIT_CUSTOMERS, _("Your role may not change customer data."))
    # The row lock makes concurrent writers queue here, so each reads the version and the
    # values the previous one committed: no lost update, and every change gets its own +1.
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    check_version(obj=locked, version=version)
    before = snapshot(locked, EDITABLE_FIELDS)
    for k, v in data.items():
        if k in EDITABLE_FIELDS:
            setattr(locked, k, v)
    if getattr(actor, "is_authenticated", False):
        _check_placement(actor=actor, customer=locked, before=before)
    _normalise(locked)
    locked.full_clean()
    after = snapshot(locked, EDITABLE_FIELDS)
    changes = diff(before, after)
    if not changes:
        return locked
    locked.version += 1
    locked.save()
    if "rm" in changes or "branch" in changes:
        _record_assignment(locked, reason="reassigned")
    # The trail says that the ID number or mobile changed, masked: the full values are read
    # through an audited reveal, never from the trail (PIPL: no more than the purpose needs).
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=locked,
        customer_id=locked.pk,
        changes=mask_changes(Customer, changes),
    )
    return locked


REVEALABLE = {"id_number", "mobile"}
CONSENT_TICK = dt.timedelta(microseconds=1)


@transaction.atomic
def customer_reveal(*, actor: User, customer: Customer, field: str, reason: str) -> str:
    """Return an unmasked identifier, recording who asked, why, and when."""
    require_role(actor, CAN_REVEAL_PII, _("Your role may not reveal personal identifiers."))
    if field not in REVEALABLE:
        raise ValidationError({"field": _("This field cannot be revealed.")})
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise ValidationError({"reason": _("Give a reason of at least 4 characters.")})
    audit_record(
        actor=actor,
        action=AuditAction.REVEAL,
        obj=customer,
        customer_id=customer.pk,
        changes={"field": field},
        purpose=reason,
    )
    return str(getattr(customer, field))


def customer_viewed(*, actor: User, customer: Customer, purpose: str = "customer 360") -> None:
    """Record a view of a customer's full profile."""
    audit_record(
        actor=actor,
        action=AuditAction.VIEW,
        obj=customer,
        customer_id=customer.pk,
        purpose=purpose,
    )


@transaction.atomic
def consent_record(
    *,
    actor: User,
    customer: Customer,
    purpose: str,
    channel: str,
    granted: bool,
    source: str,
    recorded_at: dt.datetime | None = None,
) -> ConsentEvent:
    """Append a grant or withdrawal; without `recorded_at` it is the new current state.

    Events of one customer are recorded one at a time, under a lock on the customer's row,
    and an event recorded now is stamped strictly after the newest one of its purpose ×
    channel. Two events at one instant would break the (customer, purpose, channel,
    recorded_at) key that imports upsert by, and "the latest event" would depend on ids.
    """
    if granted:
        require_role(actor, CAN_EDIT_CUSTOMERS, _("Your role may not record a consent grant."))
    else:
        require_role(actor, CAN_WITHDRAW_CONSENT, _("Your role may not change customer data."))
    # NO KEY UPDATE: serialises consent writers (and customer edits) for this customer without
    # blocking other rows that merely reference it (tasks, interactions) from being inserted.
    Customer.objects.select_for_update(no_key=True).only("pk").get(pk=customer.pk)
    if recorded_at is None:
        recorded_at = timezone.now()
        newest = ConsentEvent.objects.filter(
            customer_id=customer.pk, purpose=purpose, channel=channel
        ).aggregate(at=Max("recorded_at"))["at"]
        # The clock of another server (or an imported event stamped ahead) may be later; the
        # event recorded now must still be the latest. One microsecond is the finest step
        # both databases store.
        if newest is not None and recorded_at <= newest:
            recorded_at = newest + CONSENT_TICK
    event = ConsentEvent(
        customer=customer,
        purpose=purpose,
        channel=channel,
        granted=granted,
        source=source,
        recorded_at=recorded_at,
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    event.full_clean()
    event.save()
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=event,
        customer_id=customer.pk,
        changes={"purpose": purpose, "channel": channel, "granted": granted, "source": source},
    )
    return event
