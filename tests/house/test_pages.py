"""Every page of the site, declared once: who opens it, the data it needs, the template it
renders and how many queries it may take.

After NetBox's ``ViewTestCases``: a page is covered by one entry in ``PAGES``, keyed by its URL
name, not by copying tests. For each entry and each role that opens it, one test checks that
the page answers 200 with its template, is served in English and, once the user switches
language as the site does (the language form posts to ``set_language``), in Simplified
Chinese, and stays within its query bound. For list-like pages (those with ``rows``) another
checks that the number of queries is the same with N rows as with 3N, unless the entry
says why it grows.
``test_every_get_page_has_an_entry`` walks the URL resolver and fails when a route that
answers GET has neither an entry here nor a reason in ``NOT_PAGES``; the API is not a page.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter
from django.utils import timezone
from pytest_django.asserts import assertTemplateUsed

from bankcrm.access.services import token_create
from bankcrm.core.audit import audit_record
from bankcrm.core.models import AuditAction, User
from bankcrm.customers.models import Customer
from bankcrm.ingest.models import ImportRun
from bankcrm.insights.models import AnalyticsRun, RunStatus
from tests.conftest import Bank
from tests.factories import (
    AccountFactory,
    ConsentFactory,
    CustomerFactory,
    InteractionFactory,
    ScoreFactory,
    SnapshotFactory,
    TaskFactory,
    TransactionFactory,
    UserFactory,
    resident_id,
)
from tests.house.test_authorization_matrix import a_run, an_import

Given = Callable[[Bank], dict[str, Any]]
Rows = Callable[[Bank, User, int], object]


def nothing(bank: Bank) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Page:
    template: str
    roles: tuple[str, ...]  # who opens it ("anon": not logged in)
    max_queries: int  # for the first visit, in English
    given: Given = nothing  # the data the page needs; returns the URL's arguments
    rows: Rows | None = None  # adds n rows the page lists for the user: a list-like page
    # Why the query count grows with the rows, for a page that does so by design (checked:
    # the test fails once it no longer grows, so the reason stays true).
    grows: str = ""


# --- the data pages need ----------------------------------------------------------------


def mine(bank: Bank) -> dict[str, Any]:
    return {"pk": bank.mine.pk}


def an_import_run(bank: Bank) -> dict[str, Any]:
    return an_import(bank, bank.mine)


def a_job_run(bank: Bank) -> dict[str, Any]:
    from tests.house.test_authorization_matrix import a_job

    return a_job(bank, bank.mine)


def job_runs(bank: Bank, user: User, n: int) -> None:
    from bankcrm.jobs.models import JobRun, JobState

    for i in range(n):
        JobRun.objects.create(
            task_name="bankcrm.ingest.tasks.import_file_task",
            kind="import",
            key=f"import-run:{i}",
            state=JobState.SUCCEEDED,
            created_by=UserFactory(role="admin", branch=bank.head),
        )


def a_model_run(bank: Bank) -> dict[str, Any]:
    return a_run(bank, bank.mine)


def a_scored_run(bank: Bank) -> dict[str, Any]:
    """A finished run that scored the bank's three customers."""
    run = AnalyticsRun.objects.get(pk=a_run(bank, bank.mine)["pk"])
    run.status, run.finished_at = RunStatus.SUCCEEDED, timezone.now()
    run.save()
    for c in (bank.mine, bank.other, bank.far):
        _score(run, c)
    return {}


def _score(run: AnalyticsRun, customer: Any) -> None:
    ScoreFactory(run=run, customer=customer)


# --- the rows list-like pages show (each row with its own related records, so that a
# look-up per row shows up as a growing count) ------------------------------------------


def _rm_for(bank: Bank, user: User) -> User:
    """An RM whose customers ``user`` sees: the user if an RM, else a new Beijing RM."""
    return user if user.role == "rm" else UserFactory(role="rm", branch=bank.beijing)


def customers(bank: Bank, user: User, n: int) -> None:
    for _ in range(n):
        c = CustomerFactory(branch=bank.beijing, rm=_rm_for(bank, user))
        AccountFactory(customer=c)


def history(bank: Bank, user: User, n: int) -> None:
    """Accounts, balances, transactions, interactions, tasks and consents of bank.mine."""
    c = bank.mine
    account = AccountFactory(customer=c)
    for i in range(n):
        SnapshotFactory(account=account, month=dt.date(2020 + i // 12, i % 12 + 1, 1))
        TransactionFactory(account=account)
        InteractionFactory(customer=c, staff=UserFactory(branch=bank.beijing))
        TaskFactory(customer=c, assignee=UserFactory(branch=bank.beijing))
        ConsentFactory(customer=c, granted=bool(i % 2))


def duplicate_pairs(bank: Bank, user: User, n: int) -> None:
    """Two records of one person each time: the same resident ID and mobile."""
    start = Customer.objects.count()
    for i in range(start, start + n):
        # Odd sequence numbers: the factory's own ID numbers use the even ones.
        number, mobile = resident_id(2 * i + 1), f"1391234{i:04d}"
        for rm in (bank.rm, bank.rm2):
            CustomerFactory(branch=bank.beijing, rm=rm, id_number=number, mobile=mobile)


def open_tasks(bank: Bank, user: User, n: int) -> None:
    for _ in range(n):
        TaskFactory(customer=CustomerFactory(branch=bank.beijing, rm=user), assignee=user)


def scores(bank: Bank, user: User, n: int) -> None:
    run = AnalyticsRun.objects.filter(status=RunStatus.SUCCEEDED).latest("pk")
    for _ in range(n):
        _score(run, CustomerFactory(branch=bank.beijing, rm=_rm_for(bank, user)))


def runs(bank: Bank, user: User, n: int) -> None:
    for _ in range(n):
        a_run(bank, bank.mine)


def import_runs(bank: Bank, user: User, n: int) -> None:
    for _ in range(n):
        ImportRun.objects.create(
            kind="branches",
            file_name="b.csv",
            status="succeeded",
            created=3,
            created_by=UserFactory(role="admin", branch=bank.head),
        )


def audit_events(bank: Bank, user: User, n: int) -> None:
    for _ in range(n):
        c = CustomerFactory(branch=bank.beijing, rm=bank.rm)
        audit_record(actor=UserFactory(branch=bank.beijing), action=AuditAction.VIEW, obj=c)


def accesses_to_mine(bank: Bank, user: User, n: int) -> None:
    for _ in range(n):
        audit_record(
            actor=UserFactory(branch=bank.beijing),
            action=AuditAction.VIEW,
            obj=bank.mine,
            customer_id=bank.mine.pk,
            purpose="customer 360",
        )


def own_tokens(bank: Bank, user: User, n: int) -> None:
    for i in range(n):
        token_create(user=user, name=f"laptop {i}")


def tokens_and_sessions(bank: Bank, user: User, n: int) -> None:
    for i in range(n):
        staff = UserFactory(branch=bank.beijing)
        token_create(user=staff, name=f"etl {i}")
        Client().force_login(staff)


def staff_accounts(bank: Bank, user: User, n: int) -> None:
    for _ in range(n):
        UserFactory(branch=bank.beijing)


def a_staff_member(bank: Bank) -> dict[str, Any]:
    return {"pk": bank.rm.pk}


# --- sales ---------------------------------------------------------------------------------


def a_lead_of(bank: Bank) -> dict[str, Any]:
    from tests.house.test_authorization_matrix import a_lead

    return a_lead(bank, bank.mine)


def an_opportunity_of(bank: Bank) -> dict[str, Any]:
    from tests.house.test_authorization_matrix import an_opportunity

    return an_opportunity(bank, bank.mine)


def leads(bank: Bank, user: User, n: int) -> None:
    from tests.factories import LeadFactory, ProductFactory

    for _ in range(n):
        LeadFactory(rm=_rm_for(bank, user), branch=bank.beijing, product_interest=ProductFactory())


def opportunities(bank: Bank, user: User, n: int) -> None:
    from tests.factories import OpportunityFactory, ProductFactory

    for i in range(n):
        c = CustomerFactory(branch=bank.beijing, rm=_rm_for(bank, user))
        OpportunityFactory(
            customer=c, product=ProductFactory(), stage=["identified", "proposal"][i % 2]
        )


def agenda_rows(bank: Bank, user: User, n: int) -> None:
    """Of each source: a task due, a birthday today, a maturing deposit, an opportunity and a
    lead to follow up, each on a customer of their own."""
    from tests.factories import LeadFactory, OpportunityFactory, ProductFactory

    today = timezone.localdate()
    term = ProductFactory(code="TD12", category="time_deposit", term_months=12)
    for _ in range(n):
        c = CustomerFactory(branch=bank.beijing, rm=user, birth_date=today.replace(year=1980))
        TaskFactory(customer=c, assignee=user)
        AccountFactory(customer=c, product=term, opened_on=today.replace(year=today.year - 1))
        OpportunityFactory(customer=c, product=ProductFactory())
        LeadFactory(rm=user, branch=bank.beijing, follow_up_on=today)


def targets_rows(bank: Bank, user: User, n: int) -> None:
    from bankcrm.sales.models import RmTarget

    for _ in range(n):
        RmTarget.objects.create(
            rm=UserFactory(role="rm", branch=bank.beijing), month=dt.date(2026, 11, 1)
        )


def branch_rms(bank: Bank, user: User, n: int) -> None:
    for _ in range(n):
        rm = UserFactory(role="rm", branch=bank.beijing)
        CustomerFactory(branch=bank.beijing, rm=rm)


# --- the pages ---------------------------------------------------------------------------

PAGES: dict[str, Page] = {
    "web:dashboard": Page("web/dashboard.html", ("rm", "admin"), 10, rows=customers),
    "web:search": Page("web/search.html", ("rm", "admin"), 3),
    "access:login": Page("access/login.html", ("anon",), 0),
    "access:two_factor": Page("access/two_factor.html", ("rm",), 7),
    "access:security": Page("access/security.html", ("admin",), 8, rows=tokens_and_sessions),
    "access:audit": Page("access/audit.html", ("compliance", "admin"), 6, rows=audit_events),
    "access:customer_access": Page(
        "access/customer_access.html", ("compliance",), 8, mine, rows=accesses_to_mine
    ),
    # The count, saved views and the reassign list, and the branches an RM may assign.
    "customers:list": Page("customers/list.html", ("rm", "admin"), 9, rows=customers),
    "customers:create": Page("customers/form.html", ("rm",), 6),
    # +2: the loyalty card (the member, the catalogue; a member's card reads 7 more, a fixed
    # number: tests/loyalty/test_pages.py).
    "customers:detail": Page("customers/detail.html", ("rm", "admin"), 18, mine, rows=history),
    "customers:edit": Page("customers/form.html", ("rm",), 7, mine),
    "customers:duplicates": Page(
        "customers/duplicates.html",
        ("compliance", "admin"),
        8,
        rows=duplicate_pairs,
        grows="one query per group of customers sharing an identifier, up to 200 pairs "
        "(customers.merging.duplicate_candidates)",
    ),
    "interactions:my_tasks": Page("interactions/my_tasks.html", ("rm",), 4, rows=open_tasks),
    "insights:at_risk": Page("insights/at_risk.html", ("rm", "admin"), 5, a_scored_run, scores),
    "insights:runs": Page("insights/runs.html", ("rm",), 4, rows=runs),
    "insights:run": Page("insights/run_detail.html", ("rm",), 4, a_model_run),
    "imports:list": Page("ingest/list.html", ("compliance", "admin"), 4, rows=import_runs),
    "imports:detail": Page("ingest/detail.html", ("admin",), 4, an_import_run),
    "access:token_list": Page("access/tokens.html", ("rm",), 4, rows=own_tokens),
    "jobs:list": Page("jobs/list.html", ("admin",), 6, rows=job_runs),
    "jobs:detail": Page("jobs/detail.html", ("admin",), 4, a_job_run),
    "access:password_change": Page("access/password_change.html", ("rm", "admin"), 4),
    "access:staff_list": Page("access/staff_list.html", ("admin",), 5, rows=staff_accounts),
    "access:staff_create": Page("access/staff_form.html", ("admin",), 5),
    # +1: whether the member is locked out reads the code failures too (issue 15, finding 2).
    "access:staff_edit": Page("access/staff_form.html", ("admin",), 9, a_staff_member),
    "sales:agenda": Page("sales/agenda.html", ("rm",), 12, rows=agenda_rows),
    "sales:leads": Page("sales/leads.html", ("rm", "branch_manager"), 8, rows=leads),
    "sales:lead_create": Page("sales/lead_form.html", ("rm",), 8),
    "sales:lead_import": Page("sales/import.html", ("rm",), 4),
    "sales:lead": Page("sales/lead_detail.html", ("rm",), 10, a_lead_of),
    "sales:opportunities": Page(
        "sales/opportunities.html", ("rm", "branch_manager"), 10, rows=opportunities
    ),
    "sales:board": Page("sales/board.html", ("rm", "branch_manager"), 10, rows=opportunities),
    "sales:opportunity": Page("sales/opportunity_detail.html", ("rm",), 10, an_opportunity_of),
    "sales:opportunity_create": Page("sales/opportunity_form.html", ("rm",), 6, mine),
    "sales:pipeline": Page("sales/pipeline.html", ("rm", "branch_manager"), 10, rows=opportunities),
    "sales:portfolio": Page("sales/portfolio.html", ("branch_manager",), 7, rows=branch_rms),
    # The RM's own figures only (the rows add RMs of the branch): the manager's page lists them.
    "sales:performance": Page("sales/performance.html", ("branch_manager",), 20, rows=branch_rms),
    "sales:targets": Page("sales/targets.html", ("branch_manager",), 6, rows=targets_rows),
}


# --- loyalty ------------------------------------------------------------------------------


def _points_for(c: Any, points: int, key: str) -> None:
    from bankcrm.loyalty import services

    services.points_award(
        customer=c, points=points, source="campaign", reason="t", idempotency_key=key
    )


def expiring_points(bank: Bank, user: User, n: int) -> None:
    """Customers of the RM whose points expire this year (earned two years ago)."""
    from bankcrm.loyalty import services
    from bankcrm.loyalty.models import EntryKind

    for _ in range(n):
        c = CustomerFactory(branch=bank.beijing, rm=_rm_for(bank, user))
        member = services.member_ensure(customer=c)
        with transaction.atomic():
            services._post(
                member=services._locked(member.pk),
                kind=EntryKind.EARN,
                source="campaign",
                points=100,
                key=f"exp:{c.pk}",
                occurred_at=timezone.now() - dt.timedelta(days=365 * 2),
            )


def pending_adjustments(bank: Bank, user: User, n: int) -> None:
    from bankcrm.loyalty import services

    for _ in range(n):
        c = CustomerFactory(branch=bank.beijing, rm=UserFactory(role="rm", branch=bank.beijing))
        asker = UserFactory(role="rm", branch=bank.beijing)
        services.adjustment_request(actor=asker, customer=c, points=99_999, reason="补偿")


def earning_rules(bank: Bank, user: User, n: int) -> None:
    from bankcrm.loyalty.models import EarnRule, Tier

    tier = Tier.objects.create(
        rank=100 + EarnRule.objects.count(),
        code=f"t{EarnRule.objects.count()}",
        name_zh="金",
        name_en="Gold",
    )
    for i in range(n):
        EarnRule.objects.create(
            code=f"rule-{EarnRule.objects.count()}",
            kind="aum",
            name_zh="规则",
            name_en="Rule",
            effective_from=dt.date(2026, 1, 1),
            tier=tier,
        )


def catalogue(bank: Bank, user: User, n: int) -> None:
    from bankcrm.loyalty.models import Reward, Tier

    tier = Tier.objects.create(
        rank=200 + Reward.objects.count(),
        code=f"r{Reward.objects.count()}",
        name_zh="金",
        name_en="Gold",
    )
    for _ in range(n):
        k = Reward.objects.count()
        Reward.objects.create(
            code=f"gift-{k}",
            name_zh="礼品",
            name_en="Gift",
            kind="gift",
            points_price=10,
            min_tier=tier,
        )


PAGES.update(
    {
        "loyalty:expiring": Page("loyalty/expiring.html", ("rm",), 9, rows=expiring_points),
        "loyalty:adjustments": Page(
            "loyalty/adjustments.html", ("branch_manager", "admin"), 5, rows=pending_adjustments
        ),
        "loyalty:programme": Page("loyalty/programme.html", ("compliance", "admin"), 9),
        "loyalty:rules": Page("loyalty/rules.html", ("admin",), 6, rows=earning_rules),
        "loyalty:rewards": Page("loyalty/rewards.html", ("marketing",), 6, rows=catalogue),
    }
)

# Routes that answer GET but are not pages of the site, and why.
NOT_PAGES: dict[str, str] = {
    "set_language": "the language switch: the site posts to it; a GET only redirects back",
    "access:audit_export": "a CSV download of the audit trail",
    "customers:export": "a CSV or Excel download of the customer list",
    "imports:report": "a CSV download of an import's rejected rows",
    "imports:progress": "an HTMX fragment the import page polls",
    "loyalty:kpis": "an HTMX fragment the dashboard loads (tests/loyalty/test_pages.py)",
}


# --- every GET route has an entry --------------------------------------------------------


def _routes(patterns: list[Any], ns: str | None = None) -> Iterator[tuple[str, URLPattern]]:
    for p in patterns:
        if isinstance(p, URLResolver):
            inner = f"{ns}:{p.namespace}" if ns and p.namespace else (p.namespace or ns)
            yield from _routes(p.url_patterns, inner)
        elif isinstance(p, URLPattern) and p.name:
            yield (f"{ns}:{p.name}" if ns else p.name), p


def _some_url(name: str, pattern: URLPattern) -> str:
    converters = getattr(pattern.pattern, "converters", {})
    kwargs = {k: 0 if isinstance(c, IntConverter) else "x" for k, c in converters.items()}
    return reverse(name, kwargs=kwargs)


def test_every_get_page_has_an_entry(bank):
    """A route answers GET unless it refuses the method (405) to a logged-in administrator."""
    client = Client(raise_request_exception=False)
    client.force_login(bank.admin)
    routes = dict(_routes(get_resolver().url_patterns))
    pages = {name for name in routes if not name.startswith("api:")}
    answers_get = {n for n in pages if client.get(_some_url(n, routes[n])).status_code != 405}
    assert answers_get - set(PAGES) - set(NOT_PAGES) == set(), "GET pages without an entry"
    assert set(PAGES) - answers_get == set(), "entries for routes that do not answer GET"
    assert set(NOT_PAGES) - answers_get == set(), "NOT_PAGES names routes that do not answer GET"
    assert set(PAGES) & set(NOT_PAGES) == set()


# --- each page, as each role that opens it -----------------------------------------------

CASES = [
    pytest.param(name, role, id=f"{name}-{role}") for name, p in PAGES.items() for role in p.roles
]


def _client(bank: Bank, role: str) -> Client:
    client = Client()
    if role != "anon":
        client.force_login(bank.user(role))
    return client


def _title(html: str) -> str:
    found = re.search(r"<title>(.*?)</title>", html, re.S)
    assert found is not None, "the page has no title"
    return found.group(1).strip()


@pytest.mark.parametrize("name,role", CASES)
def test_page_renders_its_template_in_english_and_chinese_within_its_queries(
    bank, name, role, django_assert_max_num_queries
):
    page = PAGES[name]
    url = reverse(name, kwargs=page.given(bank))
    client = _client(bank, role)
    with django_assert_max_num_queries(page.max_queries):
        response = client.get(url)
    assert response.status_code == 200
    assertTemplateUsed(response, page.template)
    english = response.content.decode()
    assert '<html lang="en">' in english

    switched = client.post(reverse("set_language"), {"language": "zh-hans", "next": url})
    assert switched.status_code == 302 and switched.url == url
    chinese = client.get(url)
    assert chinese.status_code == 200
    assertTemplateUsed(chinese, page.template)
    html = chinese.content.decode()
    assert '<html lang="zh-CN">' in html
    assert _title(html) != _title(english) and re.search(r"[\u4e00-\u9fff]", _title(html))


# --- list-like pages: as many queries for 3N rows as for N ---------------------------------

N = 4

GROWTH_CASES = [
    pytest.param(name, role, id=f"{name}-{role}")
    for name, p in PAGES.items()
    if p.rows is not None
    for role in p.roles
]


@pytest.mark.parametrize("name,role", GROWTH_CASES)
def test_list_page_takes_as_many_queries_for_three_times_the_rows(bank, name, role):
    page = PAGES[name]
    assert page.rows is not None
    url = reverse(name, kwargs=page.given(bank))
    client = _client(bank, role)
    user = bank.user(role)
    assert client.get(url).status_code == 200  # the session and anything cached, once

    def visit() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        return len(queries), response.content.decode()

    page.rows(bank, user, N)
    few, few_html = visit()
    page.rows(bank, user, 2 * N)
    many, many_html = visit()
    assert len(many_html) > len(few_html), "the rows added are not on the page"
    if page.grows:
        # Declared: the entry says why. Once it no longer grows, the reason goes.
        assert many > few, f"{name} no longer grows with its rows: drop its `grows`"
    else:
        assert many == few, f"{few} queries for {N} rows, {many} for {3 * N}"
