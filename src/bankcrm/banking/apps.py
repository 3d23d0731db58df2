from typing import ClassVar

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from bankcrm.core.pii import DataClass as C
from bankcrm.core.pii import ModelInventory, Subject, reviewed


class BankingConfig(AppConfig):
    name = "bankcrm.banking"
    label = "banking"
    verbose_name = _("Banking")
    # The personal information this app's models hold, field by field (core.pii collects it).
    pii_inventory: ClassVar[dict[str, ModelInventory]] = {
        "Product": ModelInventory(
            Subject.NONE,
            other=reviewed(
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
        "Account": ModelInventory(
            Subject.CUSTOMER,
            {
                "account_no": C.ACCOUNT_NUMBER,
                "balance": C.FINANCIAL,
                "status": C.FINANCIAL,
                "opened_on": C.FINANCIAL,
                "closed_on": C.FINANCIAL,
            },
            reviewed("currency"),
        ),
        "BalanceSnapshot": ModelInventory(
            Subject.CUSTOMER,
            {"month": C.FINANCIAL, "balance": C.FINANCIAL},
            reviewed("counts_to_aum"),
        ),
        "Transaction": ModelInventory(
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
            reviewed("txn_id"),
        ),
    }

    def ready(self) -> None:
        from bankcrm.banking import receivers  # noqa: F401  (connects the receivers)
