"""Deployment checks of this project's own settings (``manage.py check --deploy``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register

from bankcrm.core.crypto import keyring


@register(Tags.security, deploy=True)
def check_keys(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    out: list[Warning] = []
    if keyring().derived:
        out.append(
            Warning(
                "BANKCRM_PII_KEYS is not set: resident ID numbers and mobiles are encrypted "
                "with a key derived from SECRET_KEY.",
                hint="Generate one with `bankcrm pii new-key` and keep it outside the database.",
                id="bankcrm.W001",
            )
        )
    if not getattr(settings, "BANKCRM_PII_INDEX_KEY", ""):
        out.append(
            Warning(
                "BANKCRM_PII_INDEX_KEY is not set: the keyed hash of ID numbers and mobiles "
                "uses a key derived from SECRET_KEY.",
                id="bankcrm.W002",
            )
        )
    if not getattr(settings, "BANKCRM_AUDIT_KEY", ""):
        out.append(
            Warning(
                "BANKCRM_AUDIT_KEY is not set: the audit chain uses a key derived from SECRET_KEY.",
                id="bankcrm.W003",
            )
        )
    return out
