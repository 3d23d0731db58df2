"""Reads of the audit trail: filtered event lists, and who accessed a customer's personal data."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from bankcrm.core.models import AuditAction, AuditEvent, AuditVerification

# Events that are a read or a disclosure of a customer's personal information (PIPL art. 45:
# the customer may ask who processed it, when and why).
ACCESS_ACTIONS = (AuditAction.VIEW, AuditAction.REVEAL, AuditAction.EXPORT)


def audit_event_list(
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    customer: int | None = None,
    actor: str | None = None,
    action: str | None = None,
) -> QuerySet[AuditEvent]:
    """Audit events, newest first; callers have checked the user may read the trail."""
    qs = AuditEvent.objects.all()
    if actor:
        qs = qs.filter(actor_username__iexact=actor.strip())
    if action and action in AuditAction.values:
        qs = qs.filter(action=action)
    if customer is not None:
        qs = qs.filter(customer_id=customer)
    if since is not None:
        qs = qs.filter(at__date__gte=since)
    if until is not None:
        qs = qs.filter(at__date__lte=until)
    return qs


def customer_access_list(*, customer_id: int) -> QuerySet[AuditEvent]:
    """Every view, reveal and export of one customer's data, newest first."""
    return AuditEvent.objects.filter(customer_id=customer_id, action__in=ACCESS_ACTIONS)


def chain_last_check() -> AuditVerification | None:
    return AuditVerification.objects.order_by("-at", "-id").first()
