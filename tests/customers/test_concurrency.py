"""Many writers on one customer, task or consent: no lost update, and stale edits are refused."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from bankcrm.core.concurrency import ConcurrentEdit
from bankcrm.core.models import AuditEvent
from bankcrm.customers.models import ConsentEvent, Customer
from bankcrm.customers.selectors import consent_granted, consent_states
from bankcrm.customers.services import consent_record, customer_update
from bankcrm.interactions.models import Task, TaskStatus
from bankcrm.interactions.services import task_set_status
from tests.conftest import on_postgres
from tests.customers.test_pages import _form_data
from tests.factories import CustomerFactory, TaskFactory

THREADS = 50
CONFLICT = "This record was changed by someone else while you were editing it."

postgres_only = pytest.mark.skipif(
    not on_postgres(),
    reason="needs PostgreSQL: SQLite has no row locks and lets one writer at a time in, so "
    "50 connections writing at once cannot collide there",
)


def run_together(work: Callable[[int], None], n: int = THREADS) -> list[BaseException]:
    """Run work(0) … work(n-1) in n threads released at once; the errors they raised."""
    barrier = threading.Barrier(n)
    errors: list[BaseException] = []
    guard = threading.Lock()

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=60)
            work(i)
        except BaseException as exc:
            with guard:
                errors.append(exc)
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a writer is still waiting"
    return errors


def updates_of(obj: Any) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            action="update", object_type=obj._meta.label_lower, object_id=str(obj.pk)
        ).order_by("id")
    )


# --- 50 threads at once (PostgreSQL) -------------------------------------------------------


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_fifty_editors_each_adding_a_day_from_the_copy_they_read_lose_no_update():
    customer = CustomerFactory(kyc_date=dt.date(2026, 1, 1))
    actor = customer.rm

    def add_a_day(i: int) -> None:
        # A person's read-modify-write: read, change, save with the version read; when someone
        # saved first, read again. Each refusal means another writer committed in between,
        # so no writer can be refused more than THREADS - 1 times.
        for _attempt in range(THREADS):
            copy = Customer.objects.get(pk=customer.pk)
            try:
                customer_update(
                    actor=actor,
                    customer=copy,
                    data={"kyc_date": copy.kyc_date + dt.timedelta(days=1)},
                    version=copy.version,
                )
                return
            except ConcurrentEdit:
                continue
        raise AssertionError(f"writer {i} never got its change in")

    assert run_together(add_a_day) == []
    customer.refresh_from_db()
    assert customer.kyc_date == dt.date(2026, 1, 1) + dt.timedelta(days=THREADS)
    assert customer.version == 1 + THREADS
    events = updates_of(customer)
    assert len(events) == THREADS
    # Each change starts from the value the previous one saved.
    days = [dt.date(2026, 1, 1) + dt.timedelta(days=d) for d in range(THREADS + 1)]
    assert [e.changes["kyc_date"] for e in events] == [
        [a.isoformat(), b.isoformat()] for a, b in pairwise(days)
    ]


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_fifty_writers_without_a_version_queue_on_the_row_lock_and_each_counts():
    customer = CustomerFactory(occupation="")
    actor = customer.rm
    written = {f"职业{i}" for i in range(THREADS)}

    def set_occupation(i: int) -> None:
        copy = Customer.objects.get(pk=customer.pk)
        customer_update(actor=actor, customer=copy, data={"occupation": f"职业{i}"})

    assert run_together(set_occupation) == []
    customer.refresh_from_db()
    assert customer.version == 1 + THREADS
    events = updates_of(customer)
    assert len(events) == THREADS
    # Serialised: every change's "before" is the previous change's "after".
    befores = [e.changes["occupation"][0] for e in events]
    afters = [e.changes["occupation"][1] for e in events]
    assert befores == ["", *afters[:-1]]
    assert set(afters) == written
    assert customer.occupation == afters[-1]


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_fifty_status_changes_of_one_task_are_all_recorded():
    task = TaskFactory()
    actor = task.customer.rm
    statuses = [TaskStatus.IN_PROGRESS, TaskStatus.DONE, TaskStatus.OPEN, TaskStatus.CANCELLED]

    def set_status(i: int) -> None:
        copy = Task.objects.get(pk=task.pk)
        task_set_status(actor=actor, task=copy, status=statuses[i % len(statuses)])

    assert run_together(set_status) == []
    task.refresh_from_db()
    assert task.version == 1 + THREADS
    events = updates_of(task)
    assert len(events) == THREADS
    # Replaying the audited changes in order ends at the stored status.
    status = TaskStatus.OPEN.value
    for e in events:
        if "status" in e.changes:
            assert e.changes["status"][0] == status
            status = e.changes["status"][1]
    assert task.status == status and task.status in statuses
    assert (task.completed_at is not None) == (task.status == TaskStatus.DONE)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_fifty_consent_events_at_once_are_all_recorded_and_the_latest_is_current():
    customer = CustomerFactory()
    actor = customer.rm

    def record(i: int) -> None:
        consent_record(
            actor=actor,
            customer=customer,
            purpose="marketing",
            channel="sms",
            granted=i % 2 == 0,
            source="branch",
        )

    assert run_together(record) == []
    events = list(ConsentEvent.objects.filter(customer=customer).order_by("id"))
    assert len(events) == THREADS
    assert sum(e.granted for e in events) == THREADS // 2
    # Written one at a time: the order of writing is the order of time, without ties.
    stamps = [e.recorded_at for e in events]
    assert all(a < b for a, b in pairwise(stamps))
    latest = events[-1]
    assert consent_granted(customer=customer, purpose="marketing", channel="sms") == latest.granted
    (state,) = [
        s
        for s in consent_states(list(customer.consents.all()))
        if (s.purpose, s.channel) == ("marketing", "sms")
    ]
    assert (state.granted, state.recorded_at) == (latest.granted, latest.recorded_at)
    assert AuditEvent.objects.filter(object_type="customers.consentevent").count() == THREADS


# --- one writer at a time (both databases) -------------------------------------------------


@pytest.mark.django_db
def test_an_edit_from_a_stale_version_is_refused_and_saves_nothing():
    customer = CustomerFactory(name_en="Wang Fang")
    actor = customer.rm
    customer_update(actor=actor, customer=customer, data={"occupation": "教师"}, version=1)
    assert Customer.objects.get(pk=customer.pk).version == 2
    with pytest.raises(ConcurrentEdit) as refused:
        customer_update(actor=actor, customer=customer, data={"name_en": "Fang Wang"}, version=1)
    assert (refused.value.expected, refused.value.current) == (1, 2)
    assert refused.value.message.startswith(CONFLICT)
    stored = Customer.objects.get(pk=customer.pk)
    assert (stored.name_en, stored.occupation, stored.version) == ("Wang Fang", "教师", 2)
    assert len(updates_of(customer)) == 1


@pytest.mark.django_db
def test_an_edit_without_a_version_applies_and_still_counts_and_no_change_does_not():
    customer = CustomerFactory()
    updated = customer_update(actor=customer.rm, customer=customer, data={"occupation": "医生"})
    assert updated.version == 2
    again = customer_update(actor=customer.rm, customer=customer, data={"occupation": "医生"})
    assert again.version == 2 and len(updates_of(customer)) == 1


@pytest.mark.django_db
def test_consents_recorded_in_the_same_instant_are_both_kept_in_order(monkeypatch):
    customer = CustomerFactory()
    instant = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: instant)  # a clock that has not moved on
    for granted in (True, False):
        consent_record(
            actor=customer.rm,
            customer=customer,
            purpose="marketing",
            channel="sms",
            granted=granted,
            source="branch",
        )
    first, second = ConsentEvent.objects.filter(customer=customer).order_by("id")
    assert second.recorded_at == first.recorded_at + dt.timedelta(microseconds=1)
    assert not consent_granted(customer=customer, purpose="marketing", channel="sms")


@pytest.mark.django_db
def test_edit_page_from_a_stale_version_answers_409_keeps_the_input_and_shows_saved_values(
    bank, login
):
    c = bank.mine
    client = login(bank.rm)
    url = reverse("customers:edit", args=[c.pk])
    page = client.get(url).content.decode()
    assert 'name="version" value="1"' in page
    # Someone else saves a new mobile while the page is open.
    customer_update(actor=bank.manager, customer=c, data={"mobile": "13900002222"})
    response = client.post(url, _form_data(c, name_en="Zhang Xiu Ying", version=1))
    assert response.status_code == 409
    html = response.content.decode()
    assert CONFLICT in html
    assert 'value="Zhang Xiu Ying"' in html  # what the person typed is still there
    # The saved mobile is shown masked, as everywhere but the audited reveal.
    assert 'data-testid="saved-mobile"' in html and "139****2222" in html
    assert "13900002222" not in html
    assert 'data-testid="saved-name_en"' in html and "Zhang Xiuying" in html
    assert 'name="version" value="2"' in html
    stored = Customer.objects.get(pk=c.pk)
    assert (stored.name_en, stored.mobile, stored.version) == ("Zhang Xiuying", "13900002222", 2)
    assert len(updates_of(c)) == 1
    # Having reviewed the current values, the person saves again on top of them.
    again = client.post(
        url, _form_data(c, name_en="Zhang Xiu Ying", mobile="13900002222", version=2)
    )
    assert again.status_code == 302
    stored.refresh_from_db()
    assert (stored.name_en, stored.mobile, stored.version) == ("Zhang Xiu Ying", "13900002222", 3)


@pytest.mark.django_db
def test_an_import_that_changes_a_customer_makes_an_open_edit_stale(tmp_path: Path, settings):
    from bankcrm.ingest.services import import_path
    from bankcrm.ingest.specs import KINDS

    settings.BANKCRM_IMPORT_DIR = tmp_path / "imports"
    c = CustomerFactory(customer_no="C7000001", name_zh="王芳")
    branch = c.branch.code
    path = tmp_path / "c.csv"
    path.write_text(
        f"customer_no,name_zh,branch\nC7000001,王芳,{branch}\nC7000002,李娜,{branch}\n",
        encoding="utf-8",
    )
    assert import_path(KINDS["customers"], path).landed
    # Unchanged: not counted. New: version 1 from the model's default.
    assert Customer.objects.get(pk=c.pk).version == 1
    assert Customer.objects.get(customer_no="C7000002").version == 1
    path.write_text(f"customer_no,name_zh,branch\nC7000001,王芳芳,{branch}\n", encoding="utf-8")
    assert import_path(KINDS["customers"], path).updated == 1
    assert Customer.objects.get(pk=c.pk).version == 2
    with pytest.raises(ConcurrentEdit):
        customer_update(actor=c.rm, customer=c, data={"name_en": "Wang Fang"}, version=1)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_stewards_merging_a_pair_in_opposite_directions_do_not_deadlock(bank):
    from bankcrm.customers.merging import MergeRefused, customer_merge

    admin = bank.user("admin")
    pairs = [
        (
            CustomerFactory(name_zh="赵敏", id_number=""),
            CustomerFactory(name_zh="赵敏", id_number=""),
        )
        for _ in range(10)
    ]
    outcomes: list[str] = []
    guard = threading.Lock()

    def work(i: int) -> None:
        a, b = pairs[i // 2]
        survivor, merged = (a, b) if i % 2 == 0 else (b, a)
        try:
            customer_merge(survivor=survivor, merged=merged, actor=admin, reason="duplicate")
            result = "merged"
        except MergeRefused as exc:
            result = str(exc.code)
        with guard:
            outcomes.append(result)

    errors = run_together(work, n=2 * len(pairs))
    assert errors == []  # no deadlock, no other error
    assert sorted(outcomes) == sorted(["merged", "gone"] * len(pairs))
    for a, b in pairs:
        assert Customer.objects.filter(pk__in=[a.pk, b.pk]).count() == 1
