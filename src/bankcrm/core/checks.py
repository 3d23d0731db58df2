"""Deployment checks of this project's own settings (``manage.py check --deploy``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured

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


# The development key settings.py falls back to: public, so never a production key.
DEVELOPMENT_SECRET_PREFIX = "insecure-development-key"


def missing_production_keys() -> list[str]:
    """The key settings a server with DEBUG off must have and does not: without them the PII
    and audit keys would be derived from the public development key in settings.py."""
    missing = []
    secret = str(getattr(settings, "SECRET_KEY", "") or "")
    if not secret or secret.startswith(DEVELOPMENT_SECRET_PREFIX):
        missing.append("BANKCRM_SECRET_KEY")
    if not getattr(settings, "BANKCRM_PII_KEYS", ""):
        missing.append("BANKCRM_PII_KEYS")
    for name in ("BANKCRM_PII_INDEX_KEY", "BANKCRM_AUDIT_KEY"):
        if not getattr(settings, name, ""):
            missing.append(name)
    return missing


def require_production_keys() -> None:
    """Refuse to serve with DEBUG off unless real keys are set (fail closed): called where the
    server starts (``bankcrm.wsgi``, which gunicorn and runserver both load). Commands (migrate,
    import, ``pii new-key``) and the tests still run without them."""
    if settings.DEBUG:
        return
    missing = missing_production_keys()
    if missing:
        raise ImproperlyConfigured(
            "With DEBUG off the server does not start without its keys: set "
            + ", ".join(missing)
            + " (`bankcrm pii new-key` prints a PII key; see docs/security.md). For a local "
            "demo, set DEBUG=1."
        )
