"""Writes to holdings: keeping each customer's AUM current; the audited account-number reveal."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.utils.translation import gettext as _

from bankcrm.banking.aum import aum_accounts_q
from bankcrm.banking.models import Account
from bankcrm.core.audit import audit_record
from bankcrm.core.masking import mask_account_number
from bankcrm.core.models import AuditAction, User
from bankcrm.core.permissions import require_role
from bankcrm.core.roles import CAN_REVEAL_PII
from bankcrm.customers.models import Customer


def account_reveal(*, actor: User, account: Account, reason: str) -> str:
    """The full number of an account or card, recording who asked, why and when. The event
    names the customer and keeps the number masked, as the trail does for every identifier."""
    require_role(actor, CAN_REVEAL_PII, _("Your role may not reveal personal identifiers."))
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise ValidationError({"reason": _("Give a reason of at least 4 characters.")})
    audit_record(
        actor=actor,
        action=AuditAction.REVEAL,
        obj=account.customer,
        customer_id=account.customer_id,
        changes={"field": "account_no", "account": mask_account_number(account.account_no)},
        purpose=reason,
    )
    return account.account_no


def customer_refresh_aum(*, customer: Customer) -> Decimal:
    """Recompute a customer's AUM from their open deposit and investment accounts."""
    total = Account.objects.filter(aum_accounts_q(), customer=customer).aggregate(s=Sum("balance"))[
        "s"
    ] or Decimal("0")
    Customer.objects.filter(pk=customer.pk).update(aum=total)
    customer.aum = total
    return total
