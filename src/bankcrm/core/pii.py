"""The personal-information inventory: the data class of every field of every model.

Each field is declared either with its data class or as reviewed and not personal;
tests/house/test_pii_inventory.py fails when a model gains a field that is neither, so no new field
ships unreviewed. The classes in MASKED_CLASSES are shown masked everywhere and in full only
through the audited reveal; the audit trail and import error rows keep them masked too
(PIPL art. 6 and 19: collect, show and keep no more than the purpose needs).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.db import models

from bankcrm.core.masking import mask_mobile, mask_resident_id


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


def _other(*names: str) -> frozenset[str]:
    return frozenset(names)


C = DataClass
INVENTORY: dict[str, ModelInventory] = {
    "core.branch": ModelInventory(Subject.NONE, other=_other("code", "name_zh", "name_en", "city")),
    "core.user": ModelInventory(
        Subject.STAFF,
        {
            "password": C.CREDENTIAL,
            "last_login": C.ACTIVITY,
            "username": C.STAFF_IDENTIFIER,
            "first_name": C.NAME,
            "last_name": C.NAME,
            "email": C.EMAIL,
            "name_zh": C.NAME,
            "date_joined": C.ACTIVITY,
        },
        _other("is_superuser", "is_staff", "is_active", "role"),
    ),
    "core.auditevent": ModelInventory(
        Subject.CUSTOMER_AND_STAFF,
        {
            "at": C.ACTIVITY,
            "actor_username": C.STAFF_IDENTIFIER,
            "ip_address": C.NETWORK,
            "purpose": C.FREE_TEXT,
            "changes": C.EMBEDDED,
        },
        _other(
            "action",
            "object_type",
            "object_id",
            "customer_id",
            "channel",
            "seq",
            "prev_hash",
            "hash",
        ),
    ),
    "core.auditverification": ModelInventory(
        Subject.STAFF,
        {"actor_username": C.STAFF_IDENTIFIER},
        _other(
            "at",
            "status",
            "checked",
            "unsealed",
            "head_seq",
            "head_hash",
            "broken_seq",
            "broken_event_id",
            "reason",
            "seconds",
        ),
    ),
    "core.loginfailure": ModelInventory(
        Subject.STAFF,
        {"username": C.STAFF_IDENTIFIER, "ip_address": C.NETWORK, "at": C.ACTIVITY},
    ),
    "core.totpdevice": ModelInventory(
        Subject.STAFF,
        {"secret": C.CREDENTIAL, "confirmed_at": C.ACTIVITY},
        _other("last_step"),
    ),
    "core.auditpurge": ModelInventory(
        Subject.STAFF,
        {"actor_username": C.STAFF_IDENTIFIER},
        _other(
            "at",
            "before",
            "removed",
            "first_kept_seq",
            "first_kept_prev_hash",
            "archive",
            "archive_sha256",
        ),
    ),
    "core.idempotencykey": ModelInventory(
        Subject.CUSTOMER_AND_STAFF,
        # The caller is the hash of a token or a user's id; the body is the first response to
        # an API POST (a new task, an interaction; reveals are never kept).
        {"caller": C.STAFF_IDENTIFIER, "body": C.EMBEDDED, "created_at": C.ACTIVITY},
        _other("key", "fingerprint", "status", "content_type"),
    ),
    "customers.customer": ModelInventory(
        Subject.CUSTOMER,
        {
            "name_zh": C.NAME,
            "name_en": C.NAME,
            "gender": C.DEMOGRAPHIC,
            "birth_date": C.BIRTH_DATE,
            "id_number": C.IDENTITY_NUMBER,
            "id_number_hash": C.KEYED_HASH,
            "id_last4": C.IDENTITY_FRAGMENT,
            "mobile": C.MOBILE,
            "mobile_hash": C.KEYED_HASH,
            "email": C.EMAIL,
            "address": C.ADDRESS,
            "occupation": C.DEMOGRAPHIC,
            "income_band": C.DEMOGRAPHIC,
            "kyc_status": C.PROFILE,
            "kyc_date": C.PROFILE,
            "risk_appetite": C.PROFILE,
            "risk_assessed_on": C.PROFILE,
            "risk_expires_on": C.PROFILE,
            "status": C.PROFILE,
            "onboarded_on": C.PROFILE,
            "onboarding_channel": C.PROFILE,
            "closed_on": C.PROFILE,
            "aum": C.FINANCIAL,
        },
        _other("customer_no", "kind", "id_type", "created_at", "updated_at", "version"),
    ),
    "customers.rmassignment": ModelInventory(
        Subject.CUSTOMER,
        {"started_on": C.PROFILE, "ended_on": C.PROFILE, "reason": C.FREE_TEXT},
    ),
    "customers.relationshipgroup": ModelInventory(
        # A household is named after its people ("王芳家庭").
        Subject.CUSTOMER,
        {"name": C.NAME},
        _other("code", "kind", "created_at"),
    ),
    "customers.groupmembership": ModelInventory(Subject.CUSTOMER, {"role": C.PROFILE}),
    "customers.consentevent": ModelInventory(
        Subject.CUSTOMER,
        {
            "purpose": C.PROFILE,
            "channel": C.PROFILE,
            "granted": C.PROFILE,
            "source": C.PROFILE,
            "recorded_at": C.PROFILE,
        },
    ),
    "customers.customeralias": ModelInventory(
        Subject.CUSTOMER,
        {"id_number": C.IDENTITY_NUMBER, "merged_at": C.PROFILE},
        _other("customer_no", "source"),
    ),
    "customers.duplicatedismissal": ModelInventory(
        Subject.CUSTOMER,
        {"reason": C.FREE_TEXT, "decided_at": C.ACTIVITY},
    ),
    "banking.product": ModelInventory(
        Subject.NONE,
        other=_other(
            "code",
            "name_zh",
            "name_en",
            "category",
            "risk_level",
            "term_months",
            "rate",
            "min_amount",
            "status",
        ),
    ),
    "banking.account": ModelInventory(
        Subject.CUSTOMER,
        {
            "account_no": C.ACCOUNT_NUMBER,
            "balance": C.FINANCIAL,
            "status": C.FINANCIAL,
            "opened_on": C.FINANCIAL,
            "closed_on": C.FINANCIAL,
        },
        _other("currency"),
    ),
    "banking.balancesnapshot": ModelInventory(
        Subject.CUSTOMER,
        {"month": C.FINANCIAL, "balance": C.FINANCIAL},
        _other("counts_to_aum"),
    ),
    "banking.transaction": ModelInventory(
        Subject.CUSTOMER,
        {
            "booked_at": C.FINANCIAL,
            "amount": C.FINANCIAL,
            "direction": C.FINANCIAL,
            "txn_type": C.FINANCIAL,
            "counterparty_category": C.FINANCIAL,
            "channel": C.FINANCIAL,
            # Core-banking narrative: payee names, references.
            "description": C.FREE_TEXT,
        },
        _other("txn_id"),
    ),
    "interactions.interaction": ModelInventory(
        Subject.CUSTOMER,
        {
            "kind": C.PROFILE,
            "occurred_at": C.ACTIVITY,
            "subject": C.FREE_TEXT,
            "notes": C.FREE_TEXT,
        },
        _other("external_id", "created_at"),
    ),
    "interactions.task": ModelInventory(
        Subject.CUSTOMER,
        {"title": C.FREE_TEXT, "notes": C.FREE_TEXT, "due_on": C.PROFILE},
        _other("status", "created_at", "completed_at", "version"),
    ),
    "insights.aummonthly": ModelInventory(
        # Totals per branch and RM: no customer's own figure.
        Subject.NONE,
        other=_other("month", "aum"),
    ),
    "insights.holdingssummary": ModelInventory(Subject.NONE, other=_other("customers", "holdings")),
    "insights.analyticsrun": ModelInventory(
        Subject.NONE,
        other=_other(
            "started_at",
            "finished_at",
            "status",
            "as_of",
            "model_version",
            "parameters",
            "metrics",
            "customers",
            "error",
        ),
    ),
    "insights.customerscore": ModelInventory(
        Subject.CUSTOMER,
        {
            "recency_days": C.FINANCIAL,
            "rfm": C.PROFILE,
            "rfm_segment": C.PROFILE,
            "tier": C.PROFILE,
            "lifecycle_stage": C.PROFILE,
            "life_stage": C.PROFILE,
            "cluster": C.PROFILE,
            "p_alive": C.PROFILE,
            "clv": C.FINANCIAL,
            "churn_probability": C.PROFILE,
            "value_at_risk": C.FINANCIAL,
            "churn_reasons": C.PROFILE,
            "recommendations": C.PROFILE,
        },
    ),
    "insights.lifecycletransition": ModelInventory(
        Subject.CUSTOMER,
        {"from_stage": C.PROFILE, "to_stage": C.PROFILE, "on": C.PROFILE},
    ),
    "ingest.importrun": ModelInventory(
        Subject.STAFF,
        # Rejected rows carry the cells of a bank's files: any class of customer data.
        {"errors": C.EMBEDDED, "file_name": C.FREE_TEXT, "message": C.FREE_TEXT},
        _other(
            "kind",
            "file_sha256",
            "file_size",
            "dry_run",
            "max_errors",
            "mapping_name",
            "status",
            "channel",
            "created_at",
            "started_at",
            "finished_at",
            "pid",
            "detected",
            "rows_read",
            "created",
            "updated",
            "unchanged",
            "rejected",
        ),
    ),
    "api.apitoken": ModelInventory(
        Subject.STAFF,
        {
            "name": C.FREE_TEXT,
            "prefix": C.CREDENTIAL,
            "key_hash": C.CREDENTIAL,
            "last_used_at": C.ACTIVITY,
        },
        _other("created_at", "expires_at", "revoked_at"),
    ),
    "demo.customertruth": ModelInventory(
        # Synthetic: the hidden behaviour of a demo customer.
        Subject.CUSTOMER,
        {"path": C.PROFILE, "left_on": C.PROFILE},
        _other("customer_id"),
    ),
}
del C

# Shown masked on every page, in the API, the audit trail and import error rows; in full only
# through the reveal (a reason, audited) to the roles in core.roles.CAN_REVEAL_PII.
MASKED_CLASSES = frozenset({DataClass.IDENTITY_NUMBER, DataClass.MOBILE})

PII_FIELDS: frozenset[tuple[str, str]] = frozenset(
    (label, name) for label, inv in INVENTORY.items() for name in inv.personal
)

_MASKS = {DataClass.IDENTITY_NUMBER: mask_resident_id, DataClass.MOBILE: mask_mobile}
# Stored encrypted (core.crypto.EncryptedCharField): tests/core/test_pii.py holds every field of
# these classes to it.
ENCRYPTED_CLASSES = frozenset(_MASKS)


def _label(model: type[models.Model] | str) -> str:
    return model if isinstance(model, str) else model._meta.label_lower


def data_class(model: type[models.Model] | str, field_name: str) -> DataClass | None:
    """The data class of a personal field; None for a field reviewed as not personal."""
    inv = INVENTORY[_label(model)]
    if field_name not in inv.fields():
        raise KeyError(f"{_label(model)}.{field_name} is not in the inventory")
    return inv.personal.get(field_name)


def fields_of_class(*classes: DataClass) -> list[tuple[str, str]]:
    """Every (model label, field name) whose data class is one of ``classes``."""
    return sorted(
        (label, name)
        for label, inv in INVENTORY.items()
        for name, cls in inv.personal.items()
        if cls in classes
    )


def masked_fields(model: type[models.Model] | str) -> frozenset[str]:
    """The fields of ``model`` that are shown masked unless revealed."""
    inv = INVENTORY.get(_label(model))
    if inv is None:
        return frozenset()
    return frozenset(name for name, cls in inv.personal.items() if cls in MASKED_CLASSES)


def mask_field(model: type[models.Model] | str, field_name: str, value: Any) -> Any:
    """``value`` as it may be shown or kept: masked when the field is of a masked class.

    Masking a masked value leaves it as it is, so a value may pass here more than once.
    """
    inv = INVENTORY.get(_label(model))
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
    inv = INVENTORY.get(_label(model))
    for name, value in changes.items():
        if inv is not None and inv.personal.get(name) == DataClass.KEYED_HASH:
            continue  # with the masked value, a hash would let a key holder guess the rest
        if isinstance(value, list):
            out[name] = [mask_field(model, name, v) for v in value]
        else:
            out[name] = mask_field(model, name, value)
    return out
