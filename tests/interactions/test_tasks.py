"""Follow-up tasks: created from the timeline for the customer's RM, marked done, listed on
the staff member's own page; a change made from a stale copy is refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from bankcrm.core.concurrency import ConcurrentEdit
from bankcrm.core.models import AuditAction, AuditEvent
from bankcrm.interactions.models import Task, TaskStatus
from bankcrm.interactions.services import task_set_status
from tests.customers.test_concurrency import CONFLICT, updates_of
from tests.factories import CustomerFactory, TaskFactory


def test_a_task_created_by_a_service_agent_goes_to_the_customers_rm(bank, login):
    due = timezone.localdate() + dt.timedelta(days=7)
    response = login(bank.service).post(
        reverse("interactions:task_create", args=[bank.mine.pk]),
        {"title": "寄送理财到期提醒", "due_on": due.isoformat(), "notes": ""},
    )
    assert response.status_code == 200 and "寄送理财到期提醒" in response.content.decode()
    task = Task.objects.get(customer=bank.mine)
    assert (task.assignee, task.created_by, task.due_on) == (bank.rm, bank.service, due)
    assert (task.status, task.version) == (TaskStatus.OPEN, 1)
    event = AuditEvent.objects.get(action=AuditAction.CREATE, object_type="interactions.task")
    assert event.customer_id == bank.mine.pk and event.changes["assignee"] == [None, bank.rm.pk]


def test_a_task_without_a_due_date_is_refused_and_nothing_is_saved(bank, login):
    response = login(bank.rm).post(
        reverse("interactions:task_create", args=[bank.mine.pk]), {"title": "跟进", "due_on": ""}
    )
    assert response.status_code == 400
    assert "Due date: This field is required." in response.content.decode()
    assert not Task.objects.exists()


def test_marking_a_task_done_stamps_it_and_reopening_clears_the_stamp(bank, login):
    task = TaskFactory(customer=bank.mine)
    client = login(bank.rm)
    url = reverse("interactions:task_status", args=[task.pk])
    assert client.post(url, {"status": "done"}).status_code == 200
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE and task.completed_at is not None
    assert client.post(url, {"status": "open"}).status_code == 200
    task.refresh_from_db()
    assert (task.status, task.completed_at, task.version) == (TaskStatus.OPEN, None, 3)
    changes = [e.changes["status"] for e in updates_of(task)]
    assert changes == [["open", "done"], ["done", "open"]]
    assert client.post(url, {"status": "someday"}).status_code == 400


def test_my_tasks_lists_my_open_and_in_progress_tasks_by_due_date(bank, login):
    today = timezone.localdate()
    later = TaskFactory(customer=bank.mine, title="下周回访", due_on=today + dt.timedelta(7))
    sooner = TaskFactory(customer=bank.mine, title="今天回访", due_on=today)
    started = TaskFactory(
        customer=bank.mine, title="进行中", status=TaskStatus.IN_PROGRESS, due_on=today
    )
    TaskFactory(customer=bank.mine, title="已完成", status=TaskStatus.DONE)
    TaskFactory(customer=bank.mine, title="已取消", status=TaskStatus.CANCELLED)
    TaskFactory(customer=bank.other, title="别人的任务")  # assigned to rm_b
    # Assigned to rm_a, on a customer who has since moved out of rm_a's scope.
    TaskFactory(customer=CustomerFactory(branch=bank.shanghai), assignee=bank.rm, title="移交")
    html = login(bank.rm).get(reverse("interactions:my_tasks")).content.decode()
    assert html.index(sooner.title) < html.index(started.title) < html.index(later.title)
    for hidden in ("已完成", "已取消", "别人的任务", "移交"):
        assert hidden not in html


def test_my_tasks_says_so_when_there_is_nothing_to_do(bank, login):
    html = login(bank.rm).get(reverse("interactions:my_tasks")).content.decode()
    assert "No open tasks." in html


@pytest.mark.django_db
def test_a_status_change_from_a_stale_version_is_refused():
    task = TaskFactory()
    actor = task.customer.rm
    task_set_status(actor=actor, task=task, status=TaskStatus.IN_PROGRESS, version=1)
    with pytest.raises(ConcurrentEdit):
        task_set_status(actor=actor, task=task, status=TaskStatus.CANCELLED, version=1)
    task.refresh_from_db()
    assert (task.status, task.version) == (TaskStatus.IN_PROGRESS, 2)
    assert len(updates_of(task)) == 1


@pytest.mark.django_db
def test_marking_a_task_done_from_a_stale_timeline_answers_409_with_the_message(bank, login):
    task = TaskFactory(customer=bank.mine)
    client = login(bank.rm)
    detail = client.get(reverse("customers:detail", args=[bank.mine.pk])).content.decode()
    assert 'name="version" value="1"' in detail
    task_set_status(actor=bank.manager, task=task, status=TaskStatus.CANCELLED)
    url = reverse("interactions:task_status", args=[task.pk])
    response = client.post(url, {"status": "done", "version": 1}, HTTP_HX_REQUEST="true")
    assert response.status_code == 409
    assert CONFLICT in response.content.decode()
    task.refresh_from_db()
    assert (task.status, task.version) == (TaskStatus.CANCELLED, 2)
    bad = client.post(url, {"status": "done", "version": "x"}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 400
    # Without a version (an older page) the change applies as it always did.
    assert client.post(url, {"status": "done"}, HTTP_HX_REQUEST="true").status_code == 200
    task.refresh_from_db()
    assert (task.status, task.version) == (TaskStatus.DONE, 3)
