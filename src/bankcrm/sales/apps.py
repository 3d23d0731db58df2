from typing import ClassVar

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from bankcrm.core.pii import DataClass as C
from bankcrm.core.pii import ModelInventory, Subject, reviewed


class SalesConfig(AppConfig):
    name = "bankcrm.sales"
    label = "sales"
    verbose_name = _("Sales")
    # The personal information this app's models hold, field by field (core.pii collects it).
    # A lead is a person who is not a customer yet: the same classes as a customer's fields.
    pii_inventory: ClassVar[dict[str, ModelInventory]] = {
        "Lead": ModelInventory(
            Subject.CUSTOMER,
            {
                "name": C.NAME,
                "birth_date": C.BIRTH_DATE,
                "id_number": C.IDENTITY_NUMBER,
                "id_number_hash": C.KEYED_HASH,
                "id_last4": C.IDENTITY_FRAGMENT,
                "mobile": C.MOBILE,
                "mobile_hash": C.KEYED_HASH,
                "mobile_last4": C.IDENTITY_FRAGMENT,
                "email": C.EMAIL,
                "need": C.FREE_TEXT,
                "expected_aum": C.FINANCIAL,
                "disqualified_reason": C.FREE_TEXT,
                "campaign_ref": C.PROFILE,
                "source": C.PROFILE,
                "status": C.PROFILE,
                "follow_up_on": C.PROFILE,
                "converted_at": C.PROFILE,
            },
            reviewed("created_at"),
        ),
        "Opportunity": ModelInventory(
            Subject.CUSTOMER,
            {
                "expected_amount": C.FINANCIAL,
                "next_step": C.FREE_TEXT,
                "stage": C.PROFILE,
                "expected_close_on": C.PROFILE,
                "next_step_on": C.PROFILE,
                "lost_reason": C.PROFILE,
            },
            reviewed("origin", "created_at", "stage_changed_at", "closed_at", "version"),
        ),
        "StageChange": ModelInventory(
            Subject.CUSTOMER,
            {"changed_at": C.ACTIVITY},
            reviewed("from_stage", "to_stage"),
        ),
        "ActivityLink": ModelInventory(Subject.CUSTOMER),
        "AgendaSnooze": ModelInventory(
            Subject.CUSTOMER_AND_STAFF,
            {"reason": C.FREE_TEXT, "until": C.ACTIVITY},
            reviewed("item", "created_at"),
        ),
        "RmTarget": ModelInventory(
            Subject.STAFF,
            {
                "new_customers": C.PROFILE,
                "aum_growth": C.FINANCIAL,
                "products_sold": C.PROFILE,
                "pipeline_won": C.FINANCIAL,
                "activities": C.PROFILE,
            },
            reviewed("month"),
        ),
    }
