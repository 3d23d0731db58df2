"""Security headers, password policy and check --deploy."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from bankcrm.core.crypto import new_key


@pytest.mark.django_db
def test_pages_carry_a_strict_content_security_policy_and_no_store(bank, login):
    response = login(bank.rm).get("/customers/")
    csp = response["Content-Security-Policy"]
    script_src = next(p for p in csp.split(";") if p.strip().startswith("script-src"))
    assert "unsafe-inline" not in script_src and "unsafe-eval" not in script_src
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "no-store"
    assert "<script>" not in response.content.decode()  # no inline script to allow


def test_password_policy_needs_length_and_three_kinds_of_character():
    for weak in ("short1!", "alllowercaseletters", "lowercase-only-sign", "12345678901234"):
        with pytest.raises(ValidationError):
            validate_password(weak)
    validate_password("Tiger-lily-2026")


def test_check_deploy_passes_with_the_production_settings(tmp_path: Path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bankcrm.settings",
        "BANKCRM_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "BANKCRM_SECRET_KEY": secrets.token_urlsafe(50),
        "BANKCRM_TLS": "1",
        "BANKCRM_ALLOWED_HOSTS": "crm.bank.example",
        "DEBUG": "0",
        "BANKCRM_VAR_DIR": str(tmp_path),
        "BANKCRM_PII_KEYS": f"k1:{new_key()}",
        "BANKCRM_PII_INDEX_KEY": secrets.token_urlsafe(32),
        "BANKCRM_AUDIT_KEY": secrets.token_urlsafe(32),
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests, never in production
    command = [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    # Keys left to be derived from SECRET_KEY are flagged, each by name.
    for name, check in (
        ("BANKCRM_PII_KEYS", "bankcrm.W001"),
        ("BANKCRM_PII_INDEX_KEY", "bankcrm.W002"),
        ("BANKCRM_AUDIT_KEY", "bankcrm.W003"),
    ):
        done = subprocess.run(
            command, env={**env, name: ""}, capture_output=True, text=True, timeout=120
        )
        assert done.returncode != 0 and check in done.stderr + done.stdout, name
    # And the development defaults are flagged.
    env.pop("BANKCRM_TLS")
    env["BANKCRM_SECRET_KEY"] = ""
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0


def _start_server_app(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """What gunicorn and runserver do first: load bankcrm.wsgi's application."""
    command = [sys.executable, "-c", "import bankcrm.wsgi"]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


def test_with_debug_off_the_server_refuses_to_start_without_real_keys(tmp_path: Path):
    """Issue 15, finding 6: the server used to start and derive the PII and audit keys from the
    public default secret key, so a copy of the database could be decrypted offline."""
    keys = {
        "BANKCRM_SECRET_KEY": secrets.token_urlsafe(50),
        "BANKCRM_PII_KEYS": f"k1:{new_key()}",
        "BANKCRM_PII_INDEX_KEY": secrets.token_urlsafe(32),
        "BANKCRM_AUDIT_KEY": secrets.token_urlsafe(32),
    }
    base = {k: v for k, v in os.environ.items() if k not in keys}
    base |= {
        "DJANGO_SETTINGS_MODULE": "bankcrm.settings",
        "BANKCRM_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "BANKCRM_VAR_DIR": str(tmp_path),
        "DEBUG": "0",
    }
    bare = _start_server_app(base)
    assert bare.returncode != 0
    assert "ImproperlyConfigured" in bare.stderr
    for name in keys:
        assert name in bare.stderr
    for name in keys:  # each one missing alone is named alone
        done = _start_server_app(base | {k: v for k, v in keys.items() if k != name})
        assert done.returncode != 0 and name in done.stderr
        assert not [k for k in keys if k != name and k in done.stderr.split("set ", 1)[-1]]
    assert _start_server_app(base | keys).returncode == 0
    assert _start_server_app(base | {"DEBUG": "1"}).returncode == 0  # the demo, as today
