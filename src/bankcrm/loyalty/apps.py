from typing import ClassVar

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from bankcrm.core.pii import DataClass as C
from bankcrm.core.pii import ModelInventory, Subject, reviewed


class LoyaltyConfig(AppConfig):
    name = "bankcrm.loyalty"
    label = "loyalty"
    verbose_name = _("Loyalty")
    # The personal information this app's models hold, field by field (core.pii collects it).
    pii_inventory: ClassVar[dict[str, ModelInventory]] = {
        "Programme": ModelInventory(
            Subject.NONE,
            other=reviewed(
                "name_zh",
                "name_en",
                "is_active",
                "cost_per_point",
                "expiry_years",
                "expiry_notice_days",
                "tier_basis",
                "tier_window_months",
                "downgrade_grace_days",
                "adjust_approval_threshold",
                "allow_group_transfer",
                "earned_through_txn",
            ),
        ),
        "Tier": ModelInventory(
            Subject.NONE,
            other=reviewed(
                "code",
                "name_zh",
                "name_en",
                "rank",
                "min_points",
                "min_aum",
                "earn_multiplier",
                "benefits_zh",
                "benefits_en",
            ),
        ),
        "EarnRule": ModelInventory(
            Subject.NONE,
            other=reviewed(
                "code",
                "version",
                "kind",
                "name_zh",
                "name_en",
                "effective_from",
                "effective_to",
                "txn_type",
                "channel",
                "product_category",
                "counterparty_category",
                "direction",
                "points",
                "per_cny",
                "monthly_cap",
                "created_at",
            ),
        ),
        "Member": ModelInventory(
            Subject.CUSTOMER,
            {
                "balance": C.FINANCIAL,
                "tier_since": C.PROFILE,
                "downgrade_due_since": C.PROFILE,
                "enrolled_at": C.ACTIVITY,
            },
            reviewed("status"),
        ),
        "Entry": ModelInventory(
            Subject.CUSTOMER_AND_STAFF,
            {
                "points": C.FINANCIAL,
                "reason": C.FREE_TEXT,
                "occurred_at": C.ACTIVITY,
                "expires_on": C.FINANCIAL,
                "transaction_id": C.FINANCIAL,
            },
            reviewed("kind", "source", "idempotency_key", "created_at", "batch"),
        ),
        "Reward": ModelInventory(
            Subject.NONE,
            other=reviewed(
                "code",
                "name_zh",
                "name_en",
                "kind",
                "points_price",
                "stock",
                "valid_from",
                "valid_until",
                "is_active",
            ),
        ),
        "Redemption": ModelInventory(
            Subject.CUSTOMER_AND_STAFF,
            {"quantity": C.FINANCIAL, "points": C.FINANCIAL, "created_at": C.ACTIVITY},
            reviewed("status", "cancelled_at"),
        ),
        "Adjustment": ModelInventory(
            Subject.CUSTOMER_AND_STAFF,
            {"points": C.FINANCIAL, "reason": C.FREE_TEXT},
            reviewed("status", "requested_at", "decided_at"),
        ),
        "TierChange": ModelInventory(
            Subject.CUSTOMER, {"on": C.PROFILE}, reviewed("reason", "created_at")
        ),
        "BalanceCheck": ModelInventory(
            # The sample names member ids and their two figures, no one's identity.
            Subject.NONE,
            other=reviewed("at", "members", "differences", "sample", "seconds"),
        ),
    }

    def ready(self) -> None:
        from bankcrm.loyalty import receivers  # noqa: F401
