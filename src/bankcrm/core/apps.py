from typing import ClassVar

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from bankcrm.core.pii import DataClass as C
from bankcrm.core.pii import ModelInventory, Subject, reviewed


class CoreConfig(AppConfig):
    name = "bankcrm.core"
    label = "core"
    verbose_name = _("Core")
    # Rows of these mean the database holds a bank's data: `bankcrm restore` replaces it only
    # with --force (core.backup collects them, by the word its refusal counts them with).
    restore_guard: ClassVar[dict[str, str]] = {"users": "User"}
    # The personal information this app's models hold, field by field (core.pii collects it).
    pii_inventory: ClassVar[dict[str, ModelInventory]] = {
        "Branch": ModelInventory(
            Subject.NONE, other=reviewed("code", "name_zh", "name_en", "city")
        ),
        "User": ModelInventory(
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
            reviewed("is_superuser", "is_staff", "is_active", "role"),
        ),
        "AuditEvent": ModelInventory(
            Subject.CUSTOMER_AND_STAFF,
            {
                "at": C.ACTIVITY,
                "actor_username": C.STAFF_IDENTIFIER,
                "ip_address": C.NETWORK,
                "purpose": C.FREE_TEXT,
                "changes": C.EMBEDDED,
            },
            reviewed(
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
        "AuditVerification": ModelInventory(
            Subject.STAFF,
            {"actor_username": C.STAFF_IDENTIFIER},
            reviewed(
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
        "LoginFailure": ModelInventory(
            Subject.STAFF,
            {"username": C.STAFF_IDENTIFIER, "ip_address": C.NETWORK, "at": C.ACTIVITY},
        ),
        "TotpDevice": ModelInventory(
            Subject.STAFF,
            {"secret": C.CREDENTIAL, "confirmed_at": C.ACTIVITY},
            reviewed("last_step"),
        ),
        "AuditPurge": ModelInventory(
            Subject.STAFF,
            {"actor_username": C.STAFF_IDENTIFIER},
            reviewed(
                "at",
                "before",
                "removed",
                "first_kept_seq",
                "first_kept_prev_hash",
                "archive",
                "archive_sha256",
            ),
        ),
        "SavedView": ModelInventory(
            Subject.STAFF,
            # A name staff type; the query keeps filters, never an identifier search.
            {"name": C.FREE_TEXT, "query": C.FREE_TEXT, "created_at": C.ACTIVITY},
            reviewed("list_name", "is_shared"),
        ),
        "IdempotencyKey": ModelInventory(
            Subject.CUSTOMER_AND_STAFF,
            # The caller is a user's id; the body is the first response to
            # an API POST (a new task, an interaction; reveals are never kept).
            {"caller": C.STAFF_IDENTIFIER, "body": C.EMBEDDED, "created_at": C.ACTIVITY},
            reviewed("key", "fingerprint", "status", "content_type"),
        ),
    }

    def ready(self) -> None:
        from bankcrm.core import checks  # noqa: F401
        from bankcrm.core.logscrub import scrub_access_logs

        scrub_access_logs()
