"""The one scope helper and the one role guard that every app uses."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import RequestFactory

from bankcrm.core.models import User
from bankcrm.core.permissions import require_role, role_required, scoped
from bankcrm.core.roles import CAN_MERGE_CUSTOMERS, CAN_REVEAL_PII
from bankcrm.interactions.models import Task
from tests.factories import BranchFactory, CustomerFactory, TaskFactory


def ids(qs):
    return set(qs.values_list("id", flat=True))


@pytest.fixture
def tasks(bank):
    sub = BranchFactory(code="BJ-HD", name_zh="海淀支行", name_en="Haidian", parent=bank.beijing)
    return {
        "mine": TaskFactory(customer=bank.mine),
        "other": TaskFactory(customer=bank.other),
        "far": TaskFactory(customer=bank.far),
        "sub": TaskFactory(customer=CustomerFactory(branch=sub, rm=bank.rm2)),
    }


def test_given_a_path_through_the_customer_an_rm_is_scoped_to_own_customers_tasks(bank, tasks):
    qs = scoped(Task.objects.all(), bank.rm, rm="customer__rm", branch="customer__branch")
    assert ids(qs) == {tasks["mine"].pk}


def test_branch_manager_is_scoped_to_the_branch_and_below_through_any_path(bank, tasks):
    qs = scoped(Task.objects.all(), bank.manager, rm="customer__rm", branch="customer__branch")
    assert ids(qs) == {tasks["mine"].pk, tasks["other"].pk, tasks["sub"].pk}


@pytest.mark.parametrize("role", ["marketing", "service", "compliance", "admin"])
def test_bank_wide_roles_are_not_narrowed(bank, tasks, role):
    qs = scoped(Task.objects.all(), bank.user(role), rm="customer__rm", branch="customer__branch")
    assert ids(qs) == {t.pk for t in tasks.values()}


def test_anonymous_unknown_role_and_a_manager_without_branch_see_nothing(bank, tasks):
    bank.rm.role = "intern"
    bank.manager.branch = None
    for user in (AnonymousUser(), bank.rm, bank.manager, None):
        assert not scoped(Task.objects.all(), user, rm="customer__rm").exists()


def test_staff_model_scoped_by_its_own_key(bank):
    rms = User.objects.filter(role="rm")
    assert ids(scoped(rms, bank.rm, rm="pk")) == {bank.rm.pk}
    assert ids(scoped(rms, bank.manager, rm="pk")) == {bank.rm.pk, bank.rm2.pk}


def test_require_role_raises_with_the_message_for_a_role_without_the_right(bank):
    require_role(bank.rm, CAN_REVEAL_PII)
    with pytest.raises(PermissionDenied, match="not for you"):
        require_role(bank.marketing, CAN_REVEAL_PII, "not for you")
    with pytest.raises(PermissionDenied):
        require_role(AnonymousUser(), CAN_REVEAL_PII)


def test_role_required_guards_a_view_and_passes_the_arguments_on(bank):
    @role_required(CAN_MERGE_CUSTOMERS)
    def view(request, pk):
        return HttpResponse(str(pk))

    request = RequestFactory().get("/")
    request.user = bank.admin
    assert view(request, 7).content == b"7"
    request.user = bank.compliance
    with pytest.raises(PermissionDenied):
        view(request, 7)
