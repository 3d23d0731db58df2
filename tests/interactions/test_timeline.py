"""The customer timeline: interactions logged from the 360 page, newest first, audited."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from bankcrm.core.models import AuditAction, AuditEvent
from bankcrm.interactions.models import Interaction
from bankcrm.interactions.selectors import timeline
from tests.factories import InteractionFactory, TaskFactory


def test_logging_a_call_answers_the_timeline_with_it_and_records_it_in_the_trail(bank, login):
    client = login(bank.service)  # a service agent logs calls for any customer
    url = reverse("interactions:create", args=[bank.mine.pk])
    data = {"kind": "call", "subject": "  回访理财到期  ", "notes": "客户考虑续存"}
    response = client.post(url, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="timeline"' in html and "回访理财到期" in html and "客户考虑续存" in html
    logged = Interaction.objects.get(customer=bank.mine)
    assert (logged.subject, logged.staff, logged.kind) == ("回访理财到期", bank.service, "call")
    event = AuditEvent.objects.get(
        action=AuditAction.CREATE, object_type="interactions.interaction"
    )
    assert event.actor == bank.service and event.customer_id == bank.mine.pk
    assert event.changes["subject"] == [None, "回访理财到期"]


def test_an_interaction_without_a_subject_is_refused_with_the_field_named(bank, login):
    response = login(bank.rm).post(
        reverse("interactions:create", args=[bank.mine.pk]), {"kind": "call", "subject": ""}
    )
    assert response.status_code == 400
    assert 'role="alert">Subject: This field is required.' in response.content.decode()
    assert not Interaction.objects.exists()
    assert not AuditEvent.objects.filter(object_type="interactions.interaction").exists()


def test_an_unknown_kind_of_interaction_is_refused(bank, login):
    response = login(bank.rm).post(
        reverse("interactions:create", args=[bank.mine.pk]), {"kind": "pigeon", "subject": "x"}
    )
    assert response.status_code == 400 and not Interaction.objects.exists()


def test_the_timeline_lists_interactions_newest_first_up_to_the_limit(bank):
    now = timezone.now()
    for days in (3, 1, 2):
        InteractionFactory(
            customer=bank.mine, subject=f"{days} days ago", occurred_at=now - dt.timedelta(days)
        )
    InteractionFactory(customer=bank.other, subject="someone else's")
    TaskFactory(customer=bank.mine, title="跟进")
    interactions, tasks = timeline(customer=bank.mine)
    assert [i.subject for i in interactions] == ["1 days ago", "2 days ago", "3 days ago"]
    assert [t.title for t in tasks] == ["跟进"]
    shortened, _tasks = timeline(customer=bank.mine, limit=2)
    assert [i.subject for i in shortened] == ["1 days ago", "2 days ago"]


def test_the_360_page_shows_the_timeline(bank, login):
    InteractionFactory(customer=bank.mine, subject="网点面谈")
    TaskFactory(customer=bank.mine, title="寄送对账单")
    html = login(bank.rm).get(reverse("customers:detail", args=[bank.mine.pk])).content.decode()
    timeline_html = html.split('data-testid="timeline"')[1]
    assert "网点面谈" in timeline_html and "寄送对账单" in timeline_html
    assert 'data-testid="interaction-form"' in html


def test_the_same_submission_sent_twice_is_recorded_once(bank, login):
    """A resent request (the browser's retry, a second tab) carries the same token."""
    client = login(bank.rm)
    page = client.get(f"/customers/{bank.mine.pk}/").content.decode()
    token = page.split('name="submission" value="')[1].split('"')[0]
    data = {"kind": "call", "subject": "回访", "notes": "", "submission": token}
    url = f"/customers/{bank.mine.pk}/interactions/"
    first, second = client.post(url, data), client.post(url, data)
    assert first.status_code == second.status_code == 200
    assert bank.mine.interactions.count() == 1
    assert "recorded once" in second.content.decode()
