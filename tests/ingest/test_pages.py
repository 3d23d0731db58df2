"""Imports through the admin page and the API: upload, outcome, rejected rows, report."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from bankcrm.access.services import token_create
from bankcrm.core.models import Branch
from bankcrm.ingest.models import ImportRun, ImportStatus

BAD = "code,name_zh,parent\nGZ,广州分行,\nGZ01,天河支行,NOWHERE\nGZ02,,GZ\n"
GOOD = "code,name_zh,parent\nGZ,广州分行,\nGZ01,天河支行,GZ\nGZ02,越秀支行,GZ\n"


def upload(client: Client, text: str, **extra: object):
    data = {
        "kind": "branches",
        "file": SimpleUploadedFile("branches.csv", text.encode("gb18030")),
        "encoding": "auto",
        "max_errors": "0",
        **extra,
    }
    return client.post(reverse("imports:list"), data)


@pytest.mark.django_db(transaction=True)
def test_admin_uploads_reads_the_rejections_fixes_and_imports(bank):
    client = Client()
    client.force_login(bank.admin)
    response = upload(client, BAD)
    run = ImportRun.objects.get()
    assert response.status_code == 302 and response.url == reverse("imports:detail", args=[run.pk])
    assert run.status == ImportStatus.REJECTED and run.created_by == bank.admin
    page = client.get(response.url).content.decode()
    assert "NOWHERE" in page and "gb18030" in page
    report = client.get(reverse("imports:report", args=[run.pk]))
    assert report["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(b"".join(report.streaming_content).decode("utf-8-sig"))))
    assert [r[1:3] for r in rows[1:]] == [["3", "parent"], ["4", "name_zh"]]
    assert not Branch.objects.filter(code__startswith="GZ").exists()

    response = upload(client, GOOD)
    run = ImportRun.objects.latest("pk")
    assert run.status == ImportStatus.SUCCEEDED and run.created == 3
    assert Branch.objects.get(code="GZ02").parent.code == "GZ"
    listing = client.get(reverse("imports:list")).content.decode()
    assert listing.count("branches.csv") == 2


@pytest.mark.django_db(transaction=True)
def test_dry_run_from_the_page_writes_nothing(bank):
    client = Client()
    client.force_login(bank.admin)
    upload(client, GOOD, dry_run="on")
    run = ImportRun.objects.get()
    assert run.status == ImportStatus.VALIDATED and run.created == 3
    assert not Branch.objects.filter(code__startswith="GZ").exists()


@pytest.mark.django_db(transaction=True)
def test_compliance_reads_runs_but_cannot_import(bank):
    admin = Client()
    admin.force_login(bank.admin)
    upload(admin, BAD)
    run = ImportRun.objects.get()
    client = Client()
    client.force_login(bank.compliance)
    assert client.get(reverse("imports:detail", args=[run.pk])).status_code == 200
    assert "import-form" not in client.get(reverse("imports:list")).content.decode()
    assert upload(client, GOOD).status_code == 403
    assert ImportRun.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_api_starts_a_job_and_reports_its_status(bank):
    _token, secret = token_create(user=bank.admin, name="ops")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    response = client.post(
        "/api/v1/imports",
        {"kind": "branches", "file": SimpleUploadedFile("b.csv", BAD.encode())},
    )
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "rejected" and body["rejected"] == 2
    assert {e["line"] for e in body["errors"]} == {3, 4}
    assert body["error_report_url"].endswith(f"/imports/{body['id']}/errors.csv")
    status = client.get(f"/api/v1/imports/{body['id']}").json()
    assert status["finished"] and status["detected"]["encoding"] == "utf-8"

    response = client.post(
        "/api/v1/imports",
        {"kind": "branches", "file": SimpleUploadedFile("b.csv", GOOD.encode()), "dry_run": "true"},
    )
    assert response.json()["status"] == "validated"
    response = client.post(
        "/api/v1/imports", {"kind": "nope", "file": SimpleUploadedFile("b.csv", GOOD.encode())}
    )
    assert response.status_code == 400 and "kind" in response.json()["errors"]
    listing = client.get("/api/v1/imports").json()
    assert [r["status"] for r in listing] == ["validated", "rejected"]


@pytest.mark.django_db(transaction=True)
def test_uploads_over_the_limit_are_refused(bank, settings):
    settings.BANKCRM_IMPORT_MAX_UPLOAD = 10
    client = Client()
    client.force_login(bank.admin)
    response = upload(client, GOOD)
    assert response.status_code == 200 and "bankcrm import" in response.content.decode()
    assert not ImportRun.objects.exists()
