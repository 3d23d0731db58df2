"""User administration inside the product, and everyone's own password, in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from bankcrm.access.lockout import login_failure_record, login_locked_until
from bankcrm.core.models import AuditAction, AuditEvent, User
from tests.conftest import PASSWORD
from tests.e2e.test_staff_defects import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "Autumn-Ledger-2026"


def test_admin_creates_sets_role_and_branch_deactivates_resets_and_unlocks(
    bank, new_page, settings
):
    page = new_page()
    log_in(page, bank.admin.username)
    page.click("[data-testid=nav-staff]")
    page.click("[data-testid=staff-new]")
    form = page.locator("[data-testid=staff-form]")
    form.locator("input[name=username]").fill("rm_new")
    form.locator("input[name=name_zh]").fill("新经理")
    form.locator("select[name=role]").select_option("rm")
    form.locator("select[name=branch]").select_option(str(bank.beijing.pk))
    form.locator("input[name=password]").fill(NEW_PASSWORD)
    form.locator("[data-testid=staff-save]").click()
    expect(page.locator(".messages")).to_contain_text("rm_new")
    user = User.objects.get(username="rm_new")
    assert (user.role, user.branch_id, user.is_active) == ("rm", bank.beijing.pk, True)
    assert user.check_password(NEW_PASSWORD)

    # Promote to branch manager and deactivate.
    form = page.locator("[data-testid=staff-form]")
    form.locator("select[name=role]").select_option("branch_manager")
    form.locator("input[name=is_active]").uncheck()
    form.locator("[data-testid=staff-save]").click()
    expect(page.locator(".messages")).to_be_visible()
    user.refresh_from_db()
    assert (user.role, user.is_active) == ("branch_manager", False)
    events = AuditEvent.objects.filter(object_type="core.user", object_id=str(user.pk))
    update = events.get(action=AuditAction.UPDATE)
    assert update.changes["role"] == ["rm", "branch_manager"]
    assert update.changes["is_active"] == [True, False]
    assert NEW_PASSWORD not in str(list(events.values_list("changes", flat=True)))

    # Reset another's password and unlock them.
    for _ in range(settings.BANKCRM_LOGIN_MAX_FAILURES):
        login_failure_record(username=bank.rm2.username, ip=None)
    assert login_locked_until(username=bank.rm2.username, ip=None) is not None
    page.goto("/staff/")
    row = page.locator("[data-testid=staff-table] tr", has_text=bank.rm2.username)
    expect(row).to_contain_text("locked out")
    row.locator("a").click()
    page.click("[data-testid=staff-unlock]")
    expect(page.locator(".messages")).to_contain_text("may log in again")
    assert login_locked_until(username=bank.rm2.username, ip=None) is None
    page.fill("[data-testid=staff-reset] input[name=password]", NEW_PASSWORD)
    page.locator("[data-testid=staff-reset] button").click()
    expect(page.locator(".messages")).to_contain_text("Password reset")
    bank.rm2.refresh_from_db()
    assert bank.rm2.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(
        object_type="core.user", object_id=str(bank.rm2.pk), changes__password="reset"
    ).exists()


def test_an_rm_changes_their_own_password_and_logs_in_with_it(bank, new_page):
    page = new_page()
    log_in(page, bank.rm.username)
    page.click("[data-testid=password-link]")
    form = page.locator("[data-testid=password-change]")
    form.locator("input[name=old_password]").fill(PASSWORD)
    form.locator("input[name=new_password1]").fill(NEW_PASSWORD)
    form.locator("input[name=new_password2]").fill(NEW_PASSWORD)
    form.locator("button[type=submit]").click()
    expect(page.locator(".messages")).to_contain_text("Your password has been changed")
    bank.rm.refresh_from_db()
    assert bank.rm.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(actor=bank.rm, changes__password="changed").exists()


def test_staff_pages_are_for_administrators_only(bank, new_page):
    page = new_page()
    log_in(page, bank.manager.username)
    expect(page.locator("[data-testid=nav-staff]")).to_have_count(0)
    response = page.goto("/staff/")
    assert response is not None and response.status == 403
