"""The personal-information inventory: the data class of every field of every model.

Each app declares its own models' fields on its AppConfig (``pii_inventory``: model name →
:class:`ModelInventory`), either with their data class or as reviewed and not personal, and
:func:`inventory` collects them; tests/house/test_pii_inventory.py fails when a model gains a
field that is neither, so no new field ships unreviewed. The classes in MASKED_CLASSES are shown
masked everywhere and in full only through the audited reveal; the audit trail and import error rows
keep them masked too (PIPL art. 6 and 19: collect, show and keep no more than the purpose needs).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from django.apps import apps
from django.db import models

from bankcrm.core.masking import (
    is_card_number,
    mask_account_number,
    mask_email,
    mask_mobile,
    mask_resident_id,
)
from bankcrm.core.roles import CAN_SEE_ACCOUNT_NUMBERS, has_role


class DataClass(StrEnum):
    IDENTITY_NUMBER = "identity_number"  # resident ID, passport or social credit code
    IDENTITY_FRAGMENT = "identity_fragment"  # the last characters of one, as masks show them
    MOBILE = "mobile"
    EMAIL = "email"
    ADDRESS = "address"
    NAME = "name"
    BIRTH_DATE = "birth_date"
    DEMOGRAPHIC = "demographic"  # gender, occupation, income band
    ACCOUNT_NUMBER = "account_number"
    FINANCIAL = "financial"  # balances, amounts, transactions, AUM, value scores
    PROFILE = "profile"  # KYC, risk appetite, relationship, consent choices, segments
    FREE_TEXT = "free_text"  # typed by staff or carried from a source system: anything
    EMBEDDED = "embedded"  # holds values of other fields (audit before → after, rejected cells)
    STAFF_IDENTIFIER = "staff_identifier"  # user names of staff
    NETWORK = "network"  # IP addresses
    ACTIVITY = "activity"  # when a person logged in, looked or acted
    CREDENTIAL = "credential"  # password hashes, authenticator secrets, token hashes
    KEYED_HASH = "keyed_hash"  # HMAC of an identifier, to find it: reveals nothing without the key


class Subject(StrEnum):
    """Whose personal information a model's rows hold."""

    CUSTOMER = "customer"
    STAFF = "staff"
    CUSTOMER_AND_STAFF = "customer_and_staff"
    NONE = "none"


@dataclass(frozen=True)
class ModelInventory:
    subject: Subject
    personal: dict[str, DataClass] = field(default_factory=dict)
    # Reviewed: these fields hold no personal information (codes, states, counts, stamps).
    other: frozenset[str] = frozenset()

    def fields(self) -> frozenset[str]:
        return frozenset(self.personal) | self.other


def reviewed(*names: str) -> frozenset[str]:
    """The fields of a model reviewed as holding no personal information."""
    return frozenset(names)


@functools.cache
def inventory() -> dict[str, ModelInventory]:
    """Every installed app's declared inventory, by model label (``app_label.model_name``)."""
    out: dict[str, ModelInventory] = {}
    for config in apps.get_app_configs():
        declared: dict[str, ModelInventory] = getattr(config, "pii_inventory", {})
        for model_name, inv in declared.items():
            out[f"{config.label}.{model_name.lower()}"] = inv
    return out


# Shown masked on every page, in the API, the audit trail and import error rows; in full only
# through the reveal (a reason, audited) to the roles in core.roles.CAN_REVEAL_PII.
# Account numbers too: card numbers (first 6 and last 4) for every role, other account numbers
# in full only to the roles that run the accounts (core.roles.CAN_SEE_ACCOUNT_NUMBERS).
MASKED_CLASSES = frozenset({DataClass.IDENTITY_NUMBER, DataClass.MOBILE, DataClass.ACCOUNT_NUMBER})


def pii_fields() -> frozenset[tuple[str, str]]:
    """Every (model label, field name) that holds personal information."""
    return frozenset((label, name) for label, inv in inventory().items() for name in inv.personal)


_MASKS = {
    DataClass.IDENTITY_NUMBER: mask_resident_id,
    DataClass.MOBILE: mask_mobile,
    DataClass.ACCOUNT_NUMBER: mask_account_number,
}
# Stored encrypted (core.crypto.EncryptedCharField): tests/core/test_pii.py holds every field of
# these classes to it. Account numbers are keys the core-banking files join on, kept in clear.
ENCRYPTED_CLASSES = frozenset({DataClass.IDENTITY_NUMBER, DataClass.MOBILE})


def _label(model: type[models.Model] | str) -> str:
    return model if isinstance(model, str) else model._meta.label_lower


def data_class(model: type[models.Model] | str, field_name: str) -> DataClass | None:
    """The data class of a personal field; None for a field reviewed as not personal."""
    inv = inventory()[_label(model)]
    if field_name not in inv.fields():
        raise KeyError(f"{_label(model)}.{field_name} is not in the inventory")
    return inv.personal.get(field_name)


def fields_of_class(*classes: DataClass) -> list[tuple[str, str]]:
    """Every (model label, field name) whose data class is one of ``classes``."""
    return sorted(
        (label, name)
        for label, inv in inventory().items()
        for name, cls in inv.personal.items()
        if cls in classes
    )


def masked_fields(model: type[models.Model] | str) -> frozenset[str]:
    """The fields of ``model`` that are shown masked unless revealed."""
    inv = inventory().get(_label(model))
    if inv is None:
        return frozenset()
    return frozenset(name for name, cls in inv.personal.items() if cls in MASKED_CLASSES)


def mask_field(model: type[models.Model] | str, field_name: str, value: Any) -> Any:
    """``value`` as it may be shown or kept: masked when the field is of a masked class.

    Masking a masked value leaves it as it is, so a value may pass here more than once.
    """
    inv = inventory().get(_label(model))
    cls = inv.personal.get(field_name) if inv is not None else None
    if cls not in MASKED_CLASSES or not isinstance(value, str):
        return value
    return _MASKS[cls](value)


def mask_changes(model: type[models.Model] | str, changes: dict[str, Any]) -> dict[str, Any]:
    """A copy of an audit ``changes`` (or snapshot) dict with masked fields masked.

    Values are either the field's value or ``[before, after]``; which field changed stays
    visible, the full identifier does not. Keyed hashes are left out.
    """
    out: dict[str, Any] = {}
    inv = inventory().get(_label(model))
    for name, value in changes.items():
        if inv is not None and inv.personal.get(name) == DataClass.KEYED_HASH:
            continue  # with the masked value, a hash would let a key holder guess the rest
        if isinstance(value, list):
            out[name] = [mask_field(model, name, v) for v in value]
        else:
            out[name] = mask_field(model, name, value)
    return out


# --- other personal fields, by role -----------------------------------------------------------

# Beyond the masked classes: the fields a role sees only coarsened, in pages, the API and
# exports alike (``role_view``). Marketing works on segments and consented channels: it needs
# neither a customer's contact details, exact birth date nor what staff wrote about them. Every
# other role that reads a customer sees these fields in full (to serve and audit them).
ROLE_COARSENED: dict[tuple[str, str], frozenset[str]] = {
    ("customers.customer", "email"): frozenset({"marketing"}),
    ("customers.customer", "address"): frozenset({"marketing"}),
    ("customers.customer", "birth_date"): frozenset({"marketing"}),
    ("interactions.interaction", "notes"): frozenset({"marketing"}),
    ("interactions.task", "notes"): frozenset({"marketing"}),
}
ADDRESS_SHOWN = 6  # characters of an address kept: its province and city (北京市朝阳区)


def coarsen(cls: DataClass | None, value: Any) -> Any:
    """What a role without the field sees of ``value``: an email masked, an address's first
    characters, no birth date, no free text."""
    if value in (None, ""):
        return value
    if cls == DataClass.EMAIL:
        return mask_email(str(value))
    if cls == DataClass.ADDRESS:
        text = str(value)
        return text if len(text) <= ADDRESS_SHOWN else text[:ADDRESS_SHOWN] + "…"
    if cls == DataClass.BIRTH_DATE:
        return None
    return ""


M = TypeVar("M", bound=models.Model)


def role_view(instance: M, role: str) -> M:
    """``instance`` with the fields ``role`` may not read in full coarsened, in place (for
    display only: the read model's objects are never saved)."""
    label = instance._meta.label_lower
    for (model, name), roles in ROLE_COARSENED.items():
        if model == label and role in roles:
            setattr(instance, name, coarsen(data_class(label, name), getattr(instance, name)))
    return instance


def account_number_shown(value: str, user: Any) -> str:
    """An account number as ``user`` may see it without a reveal: card numbers always masked
    (first 6, last 4), other account numbers in full to the roles that run accounts."""
    if not is_card_number(value) and has_role(user, CAN_SEE_ACCOUNT_NUMBERS):
        return value
    return mask_account_number(value)
