"""Template filters: money in CNY, percentages, masked identifiers."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from django import template
from django.utils import timezone
from django.utils.translation import get_language

from bankcrm.core.audit import object_label, purpose_label
from bankcrm.core.masking import mask_mobile, mask_resident_id
from bankcrm.core.pii import account_number_shown
from bankcrm.core.validators import format_cny
from bankcrm.ingest.specs import KINDS

register = template.Library()


@register.filter
def cny(value: Decimal | int | float | None) -> str:
    return format_cny(value)


@register.filter
def cny_short(value: Decimal | int | float | None) -> str:
    """A large amount as a KPI card shows it: ¥12.35亿 in Chinese, ¥1.24B in English (the full
    amount goes in the element's title)."""
    if value is None:
        return "—"
    d = Decimal(str(value))
    sign, d = ("-" if d < 0 else ""), abs(d)
    if (get_language() or "").startswith("zh"):
        steps = [(Decimal(10**8), "亿"), (Decimal(10**4), "万")]
    else:
        steps = [(Decimal(10**12), "T"), (Decimal(10**9), "B"), (Decimal(10**6), "M")]
    for size, unit in steps:
        if d >= size:
            return f"{sign}¥{d / size:,.2f}{unit}"
    return format_cny(value)


@register.filter
def pct(value: float | None, places: int = 1) -> str:
    if value is None:
        return "—"
    return f"{value * 100:.{places}f}%"


@register.filter
def masked_id(value: str | None) -> str:
    return mask_resident_id(value)


@register.filter
def masked_mobile(value: str | None) -> str:
    return mask_mobile(value)


@register.filter
def account_no_for(value: str, user: Any) -> str:
    """``{{ a.account_no|account_no_for:request.user }}``: masked as the user's role sees it."""
    return account_number_shown(value, user)


@register.filter
def purpose(value: str) -> str:
    return purpose_label(value)


@register.filter
def object_type(value: str) -> str:
    return object_label(value)


@register.filter
def import_kind(value: str) -> str:
    """An import's kind ("balances") as the page's language names what it loads."""
    kind = KINDS.get(value)
    return str(kind.model._meta.verbose_name_plural) if kind is not None else value


@register.filter
def get_item(mapping: dict[Any, Any], key: Any) -> Any:
    return mapping.get(key)


_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)$")


def _local(value: Any) -> Any:
    """A moment the trail keeps in ISO form (UTC) in the page's time zone, as the page's other
    times are: one time zone on the page."""
    if isinstance(value, str) and _ISO_MOMENT.match(value):
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")
    return value


@register.filter
def change_value(value: Any) -> str:
    """An audit change: [before, after] as "before → after", anything else as itself."""
    if isinstance(value, list) and len(value) == 2:
        before, after = ("—" if v in (None, "") else _local(v) for v in value)
        return f"{before} → {after}"
    return str(_local(value))
