"""An administrator imports a file in a real browser: errors, the report, the fix, the import."""

from __future__ import annotations

import csv
import io

import pytest
from playwright.sync_api import expect

from bankcrm.core.models import Branch

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

BAD = "机构号,机构名称,上级机构\nGZ,广州分行,\nGZ01,天河支行,NOWHERE\nGZ02,,GZ\n"
GOOD = "机构号,机构名称,上级机构\nGZ,广州分行,\nGZ01,天河支行,GZ\nGZ02,越秀支行,GZ\n"


def test_admin_uploads_a_file_with_errors_reads_the_report_fixes_it_and_imports(
    bank, new_page, tmp_path
):
    from tests.conftest import PASSWORD

    page = new_page()
    page.goto("/login/")
    page.fill("input[name=username]", bank.admin.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("[data-testid=login-submit]")
    page.get_by_role("link", name="Imports").click()

    bad = tmp_path / "branches.csv"
    bad.write_bytes(BAD.encode("gb18030"))
    page.select_option("select[name=kind]", "branches")
    page.set_input_files("input[name=file]", str(bad))
    page.locator("[data-testid=import-form] button[type=submit]").click()

    expect(page.locator("[data-testid=run-status]")).to_contain_text("Rejected")
    expect(page.locator("[data-testid=detected]")).to_contain_text("gb18030")
    errors = page.locator("[data-testid=run-errors] tbody tr")
    expect(errors).to_have_count(2)
    expect(errors.nth(0)).to_contain_text("NOWHERE")
    expect(errors.nth(1)).to_contain_text("required")

    with page.expect_download() as info:
        page.click("[data-testid=error-report]")
    report = info.value.path().read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(report)))
    assert [(r[1], r[2]) for r in rows[1:]] == [("3", "parent"), ("4", "name_zh")]
    assert not Branch.objects.filter(code__startswith="GZ").exists()

    good = tmp_path / "branches-fixed.csv"
    good.write_bytes(GOOD.encode("gb18030"))
    page.get_by_role("link", name="Imports").first.click()
    page.select_option("select[name=kind]", "branches")
    page.set_input_files("input[name=file]", str(good))
    page.locator("[data-testid=import-form] button[type=submit]").click()
    expect(page.locator("[data-testid=run-status]")).to_contain_text("Imported")
    expect(page.locator("[data-testid=run-counts] tbody")).to_contain_text("3")
    assert Branch.objects.get(code="GZ01").parent.code == "GZ"

    page.get_by_role("link", name="Imports").first.click()
    expect(page.locator("[data-testid=import-runs] tbody tr")).to_have_count(2)
