"""Writes to holdings: keeping each customer's AUM current; the audited account-number reveal."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
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


@transaction.atomic
def account_open(
    *,
    actor: User,
    customer: Customer,
    product: Any,
    account_no: str,
    balance: Decimal = Decimal("0"),
    opened_on: Any = None,
) -> Account:
    """Record an account opened at the branch (a lead's first product; core banking's next
    export carries it on), audited, with the customer's AUM brought up to date."""
    from django.utils import timezone

    account = Account(
        account_no=account_no,
        customer=customer,
        product=product,
        branch=customer.branch,
        balance=balance,
        opened_on=opened_on or timezone.localdate(),
    )
    account.full_clean()
    account.save()
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=account,
        customer_id=customer.pk,
        changes={"product": product.code, "account": mask_account_number(account_no)},
    )
    customer_refresh_aum(customer=customer)
    return account
