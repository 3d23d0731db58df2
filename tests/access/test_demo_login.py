"""The demo's log-in page names its accounts and what each role should try first (make demo
only)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import UserFactory


@pytest.mark.django_db
def test_the_demo_log_in_page_names_the_demo_accounts_and_a_first_step(settings):
    UserFactory(username="rm_demo", role="rm")
    UserFactory(username="compliance_demo", role="compliance")
    settings.BANKCRM_DEMO_LOGINS = True
    html = Client().get("/login/").content.decode()
    assert "rm_demo" in html and "compliance_demo" in html and "manager_demo" not in html
    assert settings.BANKCRM_DEMO_PASSWORD in html
    assert "Verify the audit chain" in html


@pytest.mark.django_db
def test_outside_the_demo_the_log_in_page_names_no_one(settings):
    UserFactory(username="rm_demo", role="rm")
    settings.BANKCRM_DEMO_LOGINS = False
    html = Client().get("/login/").content.decode()
    assert "rm_demo" not in html and settings.BANKCRM_DEMO_PASSWORD not in html
