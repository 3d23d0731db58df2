"""Template filters: money in CNY, percentages, masked identifiers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

from bankcrm.core.masking import mask_mobile, mask_resident_id
from bankcrm.core.pii import account_number_shown
from bankcrm.core.validators import format_cny

register = template.Library()


@register.filter
def cny(value: Decimal | int | float | None) -> str:
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
def get_item(mapping: dict[Any, Any], key: Any) -> Any:
    return mapping.get(key)


@register.filter
def change_value(value: Any) -> str:
    """An audit change: [before, after] as "before → after", anything else as itself."""
    if isinstance(value, list) and len(value) == 2:
        before, after = ("—" if v in (None, "") else v for v in value)
        return f"{before} → {after}"
    return str(value)
