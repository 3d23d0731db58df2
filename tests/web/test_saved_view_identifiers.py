"""A saved view never keeps an identifier search, even when a form posts one."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from bankcrm.core.models import SavedView


@pytest.mark.django_db
def test_a_posted_identifier_search_is_dropped_from_the_view_and_said_so(bank):
    client = Client()
    client.force_login(bank.rm)
    response = client.post(
        reverse("web:saved_view_create"),
        {"list": "customers", "name": "mine", "query": f"q={bank.mine.mobile}&status=active"},
        follow=True,
    )
    view = SavedView.objects.get(name="mine")
    assert "q=" not in view.query and "status=active" in view.query
    assert "not kept in a view" in response.content.decode()
    # A name search is kept.
    client.post(
        reverse("web:saved_view_create"),
        {"list": "customers", "name": "names", "query": "q=Zhang"},
    )
    assert "q=Zhang" in SavedView.objects.get(name="names").query
