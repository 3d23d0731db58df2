"""The RM's agenda: every source's items, overdue first then by value, snoozes, one-click
actions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from bankcrm.interactions.models import Interaction
from bankcrm.sales.agenda import agenda
from tests.factories import (
    AccountFactory,
    AnalyticsRunFactory,
    CustomerFactory,
    LeadFactory,
    OpportunityFactory,
    ProductFactory,
    ScoreFactory,
    TaskFactory,
)

pytestmark = pytest.mark.django_db


def test_the_agenda_gathers_each_source_overdue_first_then_by_value(bank):
    today = timezone.localdate()
    rich = CustomerFactory(branch=bank.beijing, rm=bank.rm, aum=Decimal("900000"))
    poor = CustomerFactory(branch=bank.beijing, rm=bank.rm, aum=Decimal("1000"))
    TaskFactory(
        customer=poor, assignee=bank.rm, title="逾期回访", due_on=today - dt.timedelta(days=3)
    )
    TaskFactory(customer=rich, assignee=bank.rm, title="今日回访", due_on=today)
    TaskFactory(customer=poor, assignee=bank.rm, title="小额今日", due_on=today)
    TaskFactory(customer=rich, assignee=bank.rm, title="下月", due_on=today + dt.timedelta(days=40))
    soon = today + dt.timedelta(days=2)
    CustomerFactory(branch=bank.beijing, rm=bank.rm, birth_date=soon.replace(year=1972))
    term = ProductFactory(code="TD1", category="time_deposit", term_months=12)
    AccountFactory(
        customer=rich,
        product=term,
        opened_on=today.replace(year=today.year - 1) + dt.timedelta(days=10),
        balance=Decimal("500000"),
    )
    OpportunityFactory(customer=rich, next_step="送方案", next_step_on=today + dt.timedelta(days=1))
    LeadFactory(rm=bank.rm, branch=bank.beijing, follow_up_on=today)
    ScoreFactory(run=AnalyticsRunFactory(), customer=poor, churn_probability=0.8)
    # Someone else's work is not on this RM's agenda.
    TaskFactory(customer=bank.other, assignee=bank.rm2, due_on=today - dt.timedelta(days=9))

    items = agenda(user=bank.rm, today=today).items
    titles = [i.title for i in items]
    assert titles[0] == "逾期回访"  # overdue, whatever its value
    assert titles.index("今日回访") < titles.index("小额今日")  # the same day: value first
    assert "下月" not in titles
    sources = {i.source for i in items}
    assert sources == {"task", "at_risk", "maturing", "birthday", "opportunity", "lead"}
    buckets = [i.bucket for i in items]
    assert buckets == sorted(buckets)
    assert all(i.customer_id != bank.other.pk for i in items)


def test_a_snoozed_item_leaves_the_agenda_until_its_day(bank, login):
    today = timezone.localdate()
    task = TaskFactory(customer=bank.mine, assignee=bank.rm, due_on=today)
    client = login(bank.rm)
    refused = client.post(
        "/sales/agenda/snooze/",
        {"item": f"task:{task.pk}", "until": today.isoformat(), "reason": "客户出差"},
    )
    assert refused.status_code == 400
    ok = client.post(
        "/sales/agenda/snooze/",
        {
            "item": f"task:{task.pk}",
            "until": (today + dt.timedelta(days=3)).isoformat(),
            "reason": "客户出差",
        },
    )
    assert ok.status_code == 200
    assert agenda(user=bank.rm, today=today).items == []
    assert agenda(user=bank.rm, today=today + dt.timedelta(days=3)).items != []


def test_log_the_call_in_one_click_lands_on_the_timeline_and_the_opportunity(bank, login):
    opp = OpportunityFactory(customer=bank.mine)
    client = login(bank.rm)
    response = client.post(
        "/sales/agenda/log/",
        {"customer": bank.mine.pk, "opportunity": opp.pk, "kind": "call", "subject": "电话沟通"},
    )
    assert response.status_code == 200
    interaction = Interaction.objects.get(customer=bank.mine)
    assert interaction.sales_link.opportunity == opp and interaction.staff == bank.rm
    assert (
        client.post(
            "/sales/agenda/log/", {"customer": bank.far.pk, "kind": "call", "subject": "x"}
        ).status_code
        == 404
    )


def test_a_task_reminder_puts_it_on_the_agenda_and_in_the_mail(bank, mailoutbox):
    from bankcrm.sales.tasks import task_reminders_task

    today = timezone.localdate()
    bank.rm.email = "rm_a@bank.example"
    bank.rm.save()
    TaskFactory(
        customer=bank.mine,
        assignee=bank.rm,
        title="续存提醒",
        due_on=today + dt.timedelta(days=20),
        remind_on=today,
    )
    assert [i.title for i in agenda(user=bank.rm, today=today).items] == ["续存提醒"]
    result = task_reminders_task.run(day=today.isoformat())
    assert result["people"] == 1 and "续存提醒" in mailoutbox[0].body


def test_a_reminder_is_set_from_the_customers_timeline(bank, login):
    from bankcrm.core.submissions import FIELD, submission_token

    today = timezone.localdate()
    response = login(bank.rm).post(
        f"/customers/{bank.mine.pk}/tasks/",
        {
            "title": "到期提醒",
            "due_on": (today + dt.timedelta(days=9)).isoformat(),
            "remind_on": today.isoformat(),
            FIELD: submission_token(),
        },
    )
    assert response.status_code == 200
    task = bank.mine.tasks.get()
    assert task.remind_on == today
    assert [i.title for i in agenda(user=bank.rm, today=today).items] == ["到期提醒"]
