"""Bulk actions on the customer list in a real browser: export (CSV and Excel, masked), a task
for each selected customer, reassigning them; all within scope and audited."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from playwright.sync_api import expect

from bankcrm.core.models import AuditAction, AuditEvent
from bankcrm.customers.models import Customer, RmAssignment
from bankcrm.interactions.models import Task
from tests.e2e.test_staff_defects import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _select(page, *names: str) -> None:
    for name in names:
        page.locator("table.customers tr", has_text=name).locator(
            "[data-testid=select-row]"
        ).check()


def test_marketing_exports_the_list_masked_as_csv_and_excel(bank, new_page):
    page = new_page()
    log_in(page, bank.marketing.username)
    page.goto("/customers/?sort=name")
    with page.expect_download() as got:
        page.click("[data-testid=export-all-csv]")
    text = got.value.path().read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["Name"] for r in rows} == {"张秀英", "李伟", "陈静"}
    for c in Customer.objects.all():
        assert c.mobile not in text and c.id_number not in text
        assert f"{c.mobile[:3]}****{c.mobile[-4:]}" in text
    _select(page, "李伟")
    with page.expect_download() as got:
        page.click("[data-testid=export-selected-xlsx]")
    with zipfile.ZipFile(got.value.path()) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "李伟" in sheet and "张秀英" not in sheet
    exports = AuditEvent.objects.filter(action=AuditAction.EXPORT, actor=bank.marketing)
    assert [e.changes["rows"] for e in exports.order_by("id")] == [3, 1]


def test_rm_creates_a_task_for_each_selected_customer_within_scope(bank, new_page):
    from tests.factories import CustomerFactory

    CustomerFactory(branch=bank.beijing, rm=bank.rm, name_zh="赵磊")
    page = new_page()
    log_in(page, bank.rm.username)
    page.goto("/customers/")
    _select(page, "张秀英", "赵磊")
    page.fill("[data-testid=bulk-task-title]", "年末回访")
    page.click("[data-testid=bulk-task]")
    expect(page.locator(".messages")).to_contain_text("2 tasks created")
    tasks = Task.objects.filter(title="年末回访")
    assert sorted(t.customer.name_zh for t in tasks) == ["张秀英", "赵磊"]
    assert (
        AuditEvent.objects.filter(
            action=AuditAction.CREATE, object_type="interactions.task"
        ).count()
        == 2
    )
    expect(page.locator("[data-testid=bulk-reassign]")).to_have_count(0)  # RMs do not reassign


def test_branch_manager_reassigns_selected_customers_to_an_rm_of_the_branch(bank, new_page):
    page = new_page()
    log_in(page, bank.manager.username)
    page.goto("/customers/")
    _select(page, "张秀英")
    page.select_option("[data-testid=bulk-rm]", str(bank.rm2.pk))
    page.click("[data-testid=bulk-reassign]")
    expect(page.locator(".messages")).to_contain_text("1 customer reassigned")
    mine = Customer.objects.get(pk=bank.mine.pk)
    assert mine.rm_id == bank.rm2.pk
    assert RmAssignment.objects.filter(customer=mine, rm=bank.rm2, ended_on=None).exists()
    event = AuditEvent.objects.get(action=AuditAction.UPDATE, customer_id=mine.pk)
    assert event.actor == bank.manager and event.changes["rm"] == [bank.rm.pk, bank.rm2.pk]
    # The Shanghai RM is not the Beijing manager's to pick.
    options = page.locator("[data-testid=bulk-rm] option").all_inner_texts()
    assert bank.rm_sh.display_name not in options
