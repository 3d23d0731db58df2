"""Writing audit events: who did what to which record, from where, before → after."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bankcrm.core.models import User

import contextvars
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db import models
from django.utils.translation import gettext_lazy as _

from bankcrm.core.chain import seal_after_commit
from bankcrm.core.models import AuditAction, AuditEvent


@dataclass(frozen=True)
class RequestContext:
    ip_address: str | None = None
    channel: str = ""


_CLI = RequestContext(channel="cli")
_context: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "bankcrm_audit_context", default=None
)


def set_request_context(ctx: RequestContext) -> contextvars.Token[RequestContext | None]:
    return _context.set(ctx)


def reset_request_context(token: contextvars.Token[RequestContext | None]) -> None:
    _context.reset(token)


def current_context() -> RequestContext:
    """Where the current change comes from (the request's address and channel, or the CLI)."""
    return _context.get() or _CLI


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    return value


def snapshot(instance: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """A JSON-able dict of a model's concrete field values (FKs by id)."""
    out: dict[str, Any] = {}
    for f in instance._meta.concrete_fields:
        if fields is not None and f.name not in fields:
            continue
        out[f.name] = _jsonable(getattr(instance, f.attname))
    return out


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Only the fields that changed, as {field: [before, after]}."""
    keys = set(before) | set(after)
    return {k: [before.get(k), after.get(k)] for k in sorted(keys) if before.get(k) != after.get(k)}


def audit_record(
    *,
    actor: User | None,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    customer_id: int | None = None,
    changes: dict[str, Any] | None = None,
    purpose: str = "",
) -> AuditEvent:
    ctx = _context.get() or _CLI
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    event = AuditEvent.objects.create(
        actor=actor if is_user else None,
        actor_username=getattr(actor, "username", "") if is_user else "",
        action=action,
        object_type=object_type,
        object_id=object_id,
        customer_id=customer_id,
        ip_address=ctx.ip_address,
        channel=ctx.channel,
        purpose=purpose[:255],
        changes=changes or {},
    )
    seal_after_commit()
    return event


jsonable = _jsonable

__all__ = [
    "AuditAction",
    "RequestContext",
    "audit_record",
    "current_context",
    "diff",
    "jsonable",
    "snapshot",
]


# The purposes the code records, as the trail's pages show them (a reason staff type for a
# reveal is shown as typed).
PURPOSES: dict[str, Any] = {
    "customer 360": _("customer 360"),
    "api 360": _("360 through the API"),
    "api customer detail": _("customer through the API"),
    "audit chain verification": _("audit chain verification"),
    "audit export": _("audit export"),
    "audit retention": _("audit retention"),
    "backup": _("backup"),
    "customer list export": _("customer list export"),
    "data stewardship": _("data stewardship"),
    "import": _("import"),
    "key rotation": _("key rotation"),
    "log-in throttling": _("log-in throttling"),
    "merge": _("merge"),
    "password change": _("password change"),
    "personal information access report": _("personal information access report"),
    "session ended by an administrator": _("session ended by an administrator"),
    "staff administration": _("staff administration"),
    "two-factor enrolment": _("two-factor enrolment"),
}


def purpose_label(purpose: str) -> str:
    return str(PURPOSES.get(purpose, purpose))


def object_label(object_type: str) -> str:
    """``customers.customer`` as the page's language names it ("customer", "客户")."""
    try:
        return str(apps.get_model(object_type)._meta.verbose_name)
    except (LookupError, ValueError):
        return object_type
