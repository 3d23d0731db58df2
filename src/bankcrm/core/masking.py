"""Masking of personal identifiers for display: what a role sees without revealing."""

from __future__ import annotations


def mask_resident_id(value: str | None) -> str:
    """110101199003071234 → 110***********1234 (first 3 and last 4 characters kept)."""
    if not value:
        return ""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_mobile(value: str | None) -> str:
    """13812345678 → 138****5678."""
    if not value:
        return ""
    if len(value) < 8:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_email(value: str | None) -> str:
    if not value or "@" not in value:
        return value or ""
    local, domain = value.split("@", 1)
    return (local[:1] + "***@" + domain) if local else "***@" + domain


def is_card_number(value: str | None) -> bool:
    """A payment card number (PAN): 15 to 19 digits. Debit cards carry the account number."""
    return value is not None and value.isdigit() and 15 <= len(value) <= 19


def mask_account_number(value: str | None) -> str:
    """A card number as banks print it, first 6 and last 4 (6258001234567890123 →
    625800*********0123); any other account number with only its last 4 shown."""
    if not value:
        return ""
    if is_card_number(value):
        return value[:6] + "*" * (len(value) - 10) + value[-4:]
    if len(value) <= 4:
        return "*" * len(value)
    return "*" * (len(value) - 4) + value[-4:]
