"""Logs carry no personal information or secrets: every record emitted while staff log in
(and fail to), open a 360 page, reveal, import a file with rejected rows and call the API,
at DEBUG on the root, django and bankcrm loggers, is free of resident IDs, mobiles,
passwords, session keys, CSRF tokens and API tokens."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from bankcrm.access.services import token_create
from bankcrm.customers.models import Customer
from bankcrm.ingest.models import ImportRun, ImportStatus
from tests.conftest import PASSWORD
from tests.house.test_pii_sweep import known_identifiers, leaks_in

WRONG_PASSWORD = "Wrong-horse-99"
# What every record has; anything else was passed in `extra` and is checked too. The request
# a 4xx record carries is left out: handlers that print it (mail to admins) filter it first.
_STANDARD = set(vars(logging.LogRecord("x", logging.INFO, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "request",
}


def record_text(record: logging.LogRecord) -> str:
    parts = [str(record.msg), record.getMessage(), repr(record.args)]
    if record.exc_info:
        parts.append(logging.Formatter().formatException(record.exc_info))
    parts += [record.exc_text or "", record.stack_info or ""]
    parts += [f"{k}={v!r}" for k, v in vars(record).items() if k not in _STANDARD]
    return "\n".join(parts)


def _csrf(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def _flows(bank: Any) -> dict[str, str]:
    """Walk the main flows; returns the secrets they handled, by name."""
    secrets: dict[str, str] = {"password": PASSWORD, "wrong password": WRONG_PASSWORD}
    browser = Client(enforce_csrf_checks=True)
    login = reverse("access:login")
    token = _csrf(browser.get(login).content.decode())
    secrets["CSRF cookie"] = browser.cookies["csrftoken"].value
    secrets["CSRF form token"] = token
    failed = browser.post(
        login, {"username": "rm_a", "password": WRONG_PASSWORD, "csrfmiddlewaretoken": token}
    )
    assert failed.status_code == 200  # the form again, with its error
    ok = browser.post(
        login, {"username": "rm_a", "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    assert ok.status_code == 302
    secrets["session key"] = browser.cookies["sessionid"].value
    page = browser.get(reverse("customers:detail", args=[bank.mine.pk])).content.decode()
    secrets["CSRF token after log-in"] = _csrf(page)
    revealed = browser.post(
        reverse("customers:reveal", args=[bank.mine.pk]),
        {"field": "id_number", "reason": "柜台核实身份", "csrfmiddlewaretoken": _csrf(page)},
    )
    assert bank.mine.id_number in revealed.content.decode()
    # Refused: a 403 and a 404 that django.request logs.
    assert browser.get(reverse("customers:detail", args=[bank.far.pk])).status_code == 404
    assert browser.get(reverse("access:audit")).status_code == 403

    admin = Client()
    admin.force_login(bank.admin)
    far = Customer.objects.get(pk=bank.far.pk)
    rows = (
        "customer_no,name_zh,branch,id_type,id_number,mobile\n"
        f"C9100001,孙丽,BJ,passport,{bank.mine.id_number},\n"
        f"C9100002,钱峰,BJ,,,{far.mobile}9\n"
    )
    upload = SimpleUploadedFile("customers.csv", rows.encode())
    form = {"kind": "customers", "file": upload, "encoding": "auto", "max_errors": "0"}
    assert admin.post(reverse("imports:list"), form).status_code == 302
    run = ImportRun.objects.get()
    assert run.status == ImportStatus.REJECTED and run.rejected == 2
    admin.get(reverse("imports:detail", args=[run.pk]))
    b"".join(admin.get(reverse("imports:report", args=[run.pk])).streaming_content)

    _token, raw = token_create(user=bank.rm, name="laptop")
    secrets["API token"] = raw
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/api/v1/customers").status_code == 200
    assert api.get(f"/api/v1/customers/{bank.mine.pk}/360").status_code == 200
    assert api.get(f"/api/v1/customers/{bank.far.pk}").status_code == 404
    body = {"field": "mobile", "reason": "客户来电核实身份"}
    url = f"/api/v1/customers/{bank.mine.pk}/reveal"
    assert api.post(url, body, content_type="application/json").status_code == 200
    _token, marketing = token_create(user=bank.marketing, name="laptop")
    refused = Client(HTTP_AUTHORIZATION=f"Bearer {marketing}").post(
        url, body, content_type="application/json"
    )
    assert refused.status_code == 403
    secrets["refused API token"] = marketing
    assert Client(HTTP_AUTHORIZATION=f"Bearer {raw}x").get("/api/v1/kpis").status_code == 401
    return secrets


@pytest.mark.django_db(transaction=True)
def test_logs_of_the_main_flows_carry_no_personal_information_or_secrets(bank, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django")
    caplog.set_level(logging.DEBUG, logger="bankcrm")
    secrets = _flows(bank)
    known = known_identifiers()
    records = caplog.records
    # The capture works: the refusals above are logged by django.request.
    assert any(r.name == "django.request" and r.levelno == logging.WARNING for r in records)
    assert len(known) >= 6
    problems = []
    for record in records:
        text = record_text(record)
        shown = leaks_in(text, known) + [name for name, v in secrets.items() if v in text]
        if shown:
            problems.append(f"{record.name} {record.levelname} {record.getMessage()!r}: {shown}")
    assert not problems, "\n".join(problems)


# --- access logs (issue 15, finding 11) -------------------------------------------------------


def test_access_logs_scrub_identifier_searches_from_request_lines_and_referers(caplog):
    """A search by mobile or ID is a GET query string: runserver's and gunicorn's access logs
    (and Django's 4xx warnings) write it down, scrubbed."""
    from django.core.servers.basehttp import WSGIRequestHandler  # noqa: F401 (its logger)

    mobile, rid = "13812345678", "11010119850615002X"
    urls = [
        f"/customers/?q={mobile}",
        "/customers/?q=%2B86+138+1234+5678&sort=name",
        f"/api/v1/customers?q={rid}&reason=called",
        f"/api/v1/customers?q={rid[-8:]}",
    ]
    caplog.set_level(logging.INFO)
    for url in urls:
        logging.getLogger("django.server").info('"%s" %s %s', f"GET {url} HTTP/1.1", "200", "42")
        atoms = {"r": f"GET {url} HTTP/1.1", "s": "200", "f": f"https://crm.example{url}"}
        logging.getLogger("gunicorn.access").info('"%(r)s" %(s)s "%(f)s"', atoms)
        logging.getLogger("django.request").warning("Forbidden: %s", url)
    text = "\n".join(record_text(r) for r in caplog.records)
    assert len(caplog.records) == 3 * len(urls)
    for value in (mobile, "138 1234 5678", rid, rid[-8:], "1234+5678"):
        assert value not in text, value
    assert text.count("[scrubbed]") >= 3 * len(urls)
    assert "/customers/?q=[scrubbed]" in text and "sort=name" in text  # the rest stays


def test_the_scrubber_leaves_log_lines_without_query_strings_alone():
    from bankcrm.core.logscrub import scrub

    line = '127.0.0.1 - - [03/Dec/2026:10:00:00] "GET /customers/1234567/ HTTP/1.1" 200 1234567'
    assert scrub(line) == line
