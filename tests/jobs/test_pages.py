"""The Jobs page and API: every run with its state and last error, in both languages,
administrators only; a failed job is run again from the page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from bankcrm.access.services import token_create
from bankcrm.core.models import AuditAction, AuditEvent
from bankcrm.jobs.engine import enqueue
from bankcrm.jobs.models import JobRun, JobState
from bankcrm.jobs.tasks import heartbeat_task


def _failed(bank) -> JobRun:
    return JobRun.objects.create(
        task_name=heartbeat_task.name,
        kind="heartbeat",
        key="heartbeat:page",
        arguments={"tag": "page"},
        state=JobState.FAILED,
        attempts=3,
        error="The job queue could not be reached: connection refused",
        created_by=bank.admin,
    )


@pytest.mark.django_db
def test_the_jobs_page_lists_runs_with_their_state_and_error_in_both_languages(bank):
    failed = _failed(bank)
    admin = Client()
    admin.force_login(bank.admin)
    page = admin.get(reverse("jobs:list")).content.decode()
    assert "heartbeat:page" in page and "connection refused" in page
    assert 'data-testid="job-counts"' in page and "failed" in page
    only_ok = admin.get(reverse("jobs:list") + "?state=succeeded").content.decode()
    assert "heartbeat:page" not in only_ok
    admin.cookies["django_language"] = "zh-hans"
    chinese = admin.get(reverse("jobs:list"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "作业" in chinese and "失败" in chinese
    detail = admin.get(reverse("jobs:detail", args=[failed.pk])).content.decode()
    assert 'data-testid="run-again"' in detail


@pytest.mark.django_db(transaction=True)
def test_a_failed_job_is_run_again_from_the_page_and_the_api(bank):
    failed = _failed(bank)
    admin = Client()
    admin.force_login(bank.admin)
    response = admin.post(reverse("jobs:run_again", args=[failed.pk]))
    again = JobRun.objects.exclude(pk=failed.pk).get()
    assert response.status_code == 302 and response.url == reverse("jobs:detail", args=[again.pk])
    # Without a broker it ran at once, in this process.
    assert again.retry_of == failed and again.state == JobState.SUCCEEDED
    assert again.created_by == bank.admin and again.result["tag"] == "page"
    assert AuditEvent.objects.filter(
        action=AuditAction.CREATE, object_type="jobs.jobrun", object_id=str(again.pk)
    ).exists()
    # Only a failed job is run again.
    assert admin.post(reverse("jobs:run_again", args=[again.pk])).status_code == 302
    assert JobRun.objects.count() == 2

    _token, raw = token_create(user=bank.admin, name="ops")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    listed = api.get("/api/v1/jobs?state=failed").json()
    assert [j["id"] for j in listed] == [failed.pk]
    assert listed[0]["error"].startswith("The job queue") and listed[0]["attempts"] == 3
    assert listed[0]["started_by"] == bank.admin.username
    response = api.post(f"/api/v1/jobs/{failed.pk}/run-again")
    assert response.status_code == 202 and response.json()["retry_of"] == failed.pk
    refused = api.post(f"/api/v1/jobs/{again.pk}/run-again")
    assert refused.status_code == 400


@pytest.mark.django_db(transaction=True)
def test_an_import_from_the_page_is_a_job_run(bank):
    from django.core.files.uploadedfile import SimpleUploadedFile

    admin = Client()
    admin.force_login(bank.admin)
    upload = SimpleUploadedFile("b.csv", "code,name_zh\nGZ,广州分行\n".encode())
    admin.post(
        reverse("imports:list"),
        {"kind": "branches", "file": upload, "encoding": "auto", "max_errors": "0"},
    )
    job = JobRun.objects.get()
    assert job.kind == "import" and job.queue == "imports" and job.key.startswith("import-run:")
    assert job.state == JobState.SUCCEEDED and job.result["created"] == 1
    assert job.created_by == bank.admin


@pytest.mark.django_db
def test_enqueue_records_who_and_what(bank, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        job = enqueue(heartbeat_task, actor=bank.admin, tag="who")
    assert job.created_by == bank.admin and job.arguments == {"tag": "who"}
    assert job.state == JobState.QUEUED and job.task_name == heartbeat_task.name
