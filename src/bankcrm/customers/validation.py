"""Cross-field validation of a customer, shared by the model, forms, API and importers."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from bankcrm.core.validators import (
    validate_mobile,
    validate_passport,
    validate_resident_id,
    validate_uscc,
)

RESIDENT_ID, PASSPORT, USCC = "resident_id", "passport", "uscc"


def validate_customer_fields(data: dict[str, Any]) -> dict[str, list[str]]:
    """Cross-field rules shared by the form and the API. Returns {field: [messages]}."""
    errors: dict[str, list[str]] = {}

    def add(field: str, exc: ValidationError) -> None:
        errors.setdefault(field, []).extend(exc.messages)

    id_number = (data.get("id_number") or "").strip()
    id_type = data.get("id_type") or RESIDENT_ID
    if id_number:
        validator = {
            RESIDENT_ID: validate_resident_id,
            PASSPORT: validate_passport,
            USCC: validate_uscc,
        }.get(id_type, validate_resident_id)
        try:
            validator(id_number)
        except ValidationError as exc:
            add("id_number", exc)
    mobile = (data.get("mobile") or "").strip()
    if mobile:
        try:
            validate_mobile(mobile)
        except ValidationError as exc:
            add("mobile", exc)
    if data.get("risk_appetite") and not data.get("risk_assessed_on"):
        errors.setdefault("risk_assessed_on", []).append(
            str(_("A risk appetite needs the date it was assessed."))
        )
    expires, assessed = data.get("risk_expires_on"), data.get("risk_assessed_on")
    if expires and assessed and expires < assessed:
        errors.setdefault("risk_expires_on", []).append(
            str(_("The assessment cannot expire before it was made."))
        )
    return errors
