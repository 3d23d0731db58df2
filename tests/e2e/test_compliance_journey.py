"""Compliance in a real browser: two-factor log-in, the audit chain, a customer's access report;
and the administrator ends a session. CSP violations would show as console errors."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from bankcrm.access import totp
from bankcrm.core.models import TotpDevice
from bankcrm.customers import services
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _log_in(page, username: str) -> None:
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("[data-testid=login-submit]")


def test_compliance_enrols_a_second_factor_verifies_the_chain_and_reads_an_access_report(
    bank, new_page, settings
):
    settings.BANKCRM_2FA_REQUIRED_ROLES = frozenset({"admin", "compliance"})
    services.customer_viewed(actor=bank.rm, customer=bank.mine, purpose="customer 360")
    page = new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _log_in(page, "audit")
    # First log-in: the QR code and the key; the app's code gets in.
    expect(page.locator("[data-testid=totp-qr] svg")).to_be_visible()
    secret = TotpDevice.objects.get(user=bank.compliance).secret
    assert page.locator("[data-testid=totp-secret]").inner_text().replace(" ", "") == secret
    page.fill("input[name=code]", totp.totp(secret))
    page.click("[data-testid=totp-submit]")

    page.goto("/audit/")
    expect(page.locator("[data-testid=chain-state]")).to_contain_text("never checked")
    page.click("[data-testid=verify-chain]")
    expect(page.locator(".messages")).to_contain_text("The audit chain is intact")
    expect(page.locator("[data-testid=chain-state] .badge.ok")).to_be_visible()

    page.goto(f"/customers/{bank.mine.pk}/")
    page.click("[data-testid=access-report]")
    table = page.locator("[data-testid=access-table]")
    expect(table).to_contain_text("rm_a")
    expect(table).to_contain_text("customer 360")
    assert not [e for e in errors if "Content Security Policy" in e], errors


def test_admin_ends_a_staff_session_from_the_security_page(bank, new_page):
    rm_page = new_page()
    _log_in(rm_page, "rm_a")
    expect(rm_page.locator("nav.mainnav")).to_be_visible()
    admin = new_page()
    _log_in(admin, "root")
    admin.goto("/security/")
    row = admin.locator("[data-testid=sessions] tr", has_text="rm_a")
    row.locator("[data-testid=end-session]").click()
    expect(admin.locator(".messages")).to_contain_text("The session was ended")
    rm_page.goto("/customers/")
    expect(rm_page.locator("input[name=username]")).to_be_visible()  # back at the log-in page
