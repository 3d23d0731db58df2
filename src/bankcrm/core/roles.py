"""Staff roles and what each may do: the single policy table the code and tests read."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    RM = "rm", _("Relationship manager")
    BRANCH_MANAGER = "branch_manager", _("Branch manager")
    MARKETING = "marketing", _("Marketing")
    SERVICE = "service", _("Service agent")
    COMPLIANCE = "compliance", _("Compliance auditor")
    ADMIN = "admin", _("Administrator")


class Scope(models.TextChoices):
    """Which customers a role may read."""

    OWN = "own", _("Own customers")
    BRANCH = "branch", _("Own branch and its sub-branches")
    ALL = "all", _("All customers")


# Row-level scope per role (see ARCHITECTURE.md "Who uses it").
CUSTOMER_SCOPE: dict[str, Scope] = {
    Role.RM: Scope.OWN,
    Role.BRANCH_MANAGER: Scope.BRANCH,
    Role.MARKETING: Scope.ALL,
    Role.SERVICE: Scope.ALL,
    Role.COMPLIANCE: Scope.ALL,
    Role.ADMIN: Scope.ALL,
}

# Who may change customer data, log interactions and tasks. Compliance is read-only.
CAN_EDIT_CUSTOMERS = frozenset({Role.RM, Role.BRANCH_MANAGER, Role.ADMIN})
CAN_LOG_INTERACTIONS = frozenset({Role.RM, Role.BRANCH_MANAGER, Role.SERVICE, Role.ADMIN})
# Who may record that a customer withdraws a consent ("stop sending me SMS"): the call centre
# too, so it is honoured on the call. Grants stay with the roles that edit customers.
CAN_WITHDRAW_CONSENT = CAN_EDIT_CUSTOMERS | {Role.SERVICE}
# Who may export a customer list (identifiers masked for every role; the call centre does not
# take lists away), and who may hand a selection of customers to another RM.
CAN_EXPORT_CUSTOMERS = frozenset(
    {Role.RM, Role.BRANCH_MANAGER, Role.MARKETING, Role.COMPLIANCE, Role.ADMIN}
)
CAN_REASSIGN_CUSTOMERS = frozenset({Role.BRANCH_MANAGER, Role.ADMIN})
# Who may reveal a full resident ID or mobile number (with a reason, audited).
CAN_REVEAL_PII = frozenset({Role.RM, Role.BRANCH_MANAGER, Role.COMPLIANCE, Role.ADMIN})
# Who sees account numbers (not card numbers: those are masked for all) without a reveal.
CAN_SEE_ACCOUNT_NUMBERS = frozenset({Role.RM, Role.BRANCH_MANAGER, Role.ADMIN})
CAN_VIEW_AUDIT = frozenset({Role.COMPLIANCE, Role.ADMIN})
# Who may import core-banking files, and who may read the import runs and their error reports.
CAN_IMPORT = frozenset({Role.ADMIN})
CAN_VIEW_IMPORTS = frozenset({Role.ADMIN, Role.COMPLIANCE})
# Data stewardship: who may review duplicate customers, and who may merge them.
CAN_VIEW_DUPLICATES = frozenset({Role.ADMIN, Role.COMPLIANCE})
CAN_MERGE_CUSTOMERS = frozenset({Role.ADMIN})
# Who sees the security settings and may end staff sessions and revoke anyone's API token.
CAN_MANAGE_SECURITY = frozenset({Role.ADMIN})
# Who sees the background jobs (every task run, its errors) and may run a failed one again.
CAN_MANAGE_JOBS = frozenset({Role.ADMIN})
# Who creates, deactivates, sets the role and branch of, resets and unlocks staff accounts.
CAN_MANAGE_STAFF = frozenset({Role.ADMIN})

# Loyalty: who redeems points for a customer and cancels a redemption (the 360 page, the API);
# who adjusts points by hand or moves them within a relationship group, and who approves an
# adjustment above the programme's threshold (a second person); who edits the programme
# (rules, tiers, catalogue, stock) and who reads its pages.
CAN_REDEEM_POINTS = frozenset({Role.RM, Role.BRANCH_MANAGER, Role.SERVICE, Role.ADMIN})
CAN_ADJUST_POINTS = frozenset({Role.RM, Role.BRANCH_MANAGER, Role.ADMIN})
CAN_APPROVE_ADJUSTMENTS = frozenset({Role.BRANCH_MANAGER, Role.ADMIN})
CAN_MANAGE_LOYALTY = frozenset({Role.MARKETING, Role.ADMIN})
CAN_VIEW_PROGRAMME = frozenset({Role.MARKETING, Role.COMPLIANCE, Role.ADMIN})


def has_role(user: object, roles: frozenset[str]) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and getattr(user, "role", None) in roles


# Sales (leads, opportunities, the agenda): who works the pipeline, who reads it (compliance
# read-only), and who sets the RMs' monthly targets. Performance figures: the readers.
CAN_WORK_SALES = frozenset({Role.RM, Role.BRANCH_MANAGER, Role.ADMIN})
CAN_VIEW_SALES = CAN_WORK_SALES | {Role.COMPLIANCE}
CAN_SET_TARGETS = frozenset({Role.BRANCH_MANAGER, Role.ADMIN})
