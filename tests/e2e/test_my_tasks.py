"""My tasks in a real browser: overdue highlighted, filters, completing a task in place, and
who completed a task someone else closed."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from bankcrm.interactions.models import Task, TaskStatus
from bankcrm.interactions.services import task_set_status
from tests.e2e.test_staff_defects import log_in
from tests.factories import TaskFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_my_tasks_highlights_overdue_filters_and_completes_in_place(bank, new_page):
    today = dt.date.today()
    late = TaskFactory(
        customer=bank.mine, assignee=bank.rm, title="逾期回访", due_on=today - dt.timedelta(days=2)
    )
    TaskFactory(
        customer=bank.mine, assignee=bank.rm, title="下月复核", due_on=today + dt.timedelta(days=30)
    )
    closed = TaskFactory(customer=bank.mine, assignee=bank.rm, title="经理代办", due_on=today)
    task_set_status(actor=bank.manager, task=closed, status=TaskStatus.DONE)

    page = new_page()
    log_in(page, bank.rm.username)
    page.goto("/tasks/")
    rows = page.locator("[data-testid=task-row]")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="逾期回访").locator("[data-testid=overdue]")).to_be_visible()
    expect(rows.filter(has_text="下月复核").locator("[data-testid=overdue]")).to_have_count(0)

    page.locator("[data-testid=task-filters] a", has_text="Overdue").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("逾期回访")
    rows.first.locator("[data-testid=complete-task]").click()
    expect(rows.first).to_contain_text("Done")
    expect(rows.first.locator("[data-testid=completed-by]")).to_be_visible()
    assert Task.objects.get(pk=late.pk).completed_by == bank.rm

    page.locator("[data-testid=task-filters] a", has_text="Done").click()
    done = rows.filter(has_text="经理代办")
    expect(done.locator("[data-testid=completed-by]")).to_contain_text(bank.manager.display_name)
    page.goto(f"/customers/{bank.mine.pk}/")
    expect(
        page.locator("[data-testid=timeline] li", has_text="经理代办").locator(
            "[data-testid=completed-by]"
        )
    ).to_contain_text(bank.manager.display_name)
