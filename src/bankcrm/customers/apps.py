from typing import ClassVar

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from bankcrm.core.pii import DataClass as C
from bankcrm.core.pii import ModelInventory, Subject, reviewed


class CustomersConfig(AppConfig):
    name = "bankcrm.customers"
    label = "customers"
    verbose_name = _("Customers")
    # Rows of these mean the database holds a bank's data: `bankcrm restore` replaces it only
    # with --force (core.backup collects them, by the word its refusal counts them with).
    restore_guard: ClassVar[dict[str, str]] = {"customers": "Customer"}
    # The personal information this app's models hold, field by field (core.pii collects it).
    pii_inventory: ClassVar[dict[str, ModelInventory]] = {
        "Customer": ModelInventory(
            Subject.CUSTOMER,
            {
                "name_zh": C.NAME,
                "name_en": C.NAME,
                "gender": C.DEMOGRAPHIC,
                "birth_date": C.BIRTH_DATE,
                "id_number": C.IDENTITY_NUMBER,
                "id_number_hash": C.KEYED_HASH,
                "id_last4": C.IDENTITY_FRAGMENT,
                "mobile_last4": C.IDENTITY_FRAGMENT,
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
            reviewed("customer_no", "kind", "id_type", "created_at", "updated_at", "version"),
        ),
        "RmAssignment": ModelInventory(
            Subject.CUSTOMER,
            {"started_on": C.PROFILE, "ended_on": C.PROFILE, "reason": C.FREE_TEXT},
        ),
        "RelationshipGroup": ModelInventory(
            # A household is named after its people ("王芳家庭").
            Subject.CUSTOMER,
            {"name": C.NAME},
            reviewed("code", "kind", "created_at"),
        ),
        "GroupMembership": ModelInventory(Subject.CUSTOMER, {"role": C.PROFILE}),
        "ConsentEvent": ModelInventory(
            Subject.CUSTOMER,
            {
                "purpose": C.PROFILE,
                "channel": C.PROFILE,
                "granted": C.PROFILE,
                "source": C.PROFILE,
                "recorded_at": C.PROFILE,
            },
        ),
        "CustomerAlias": ModelInventory(
            Subject.CUSTOMER,
            {"id_number": C.IDENTITY_NUMBER, "merged_at": C.PROFILE},
            reviewed("customer_no", "source"),
        ),
        "DuplicateDismissal": ModelInventory(
            Subject.CUSTOMER,
            {"reason": C.FREE_TEXT, "decided_at": C.ACTIVITY},
        ),
    }
