"""Every route × every role × method → the status the policy declares.

The table below is the declared policy. `test_every_route_is_in_the_policy_table` fails when a
new URL pattern appears without an entry, so no page or API operation can ship unreviewed.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.factories import TaskFactory

ROLES = ["anon", "rm", "branch_manager", "marketing", "service", "compliance", "admin"]
STAFF = ROLES[1:]
EDITORS = {"rm", "branch_manager", "admin"}
LOGGERS = {"rm", "branch_manager", "service", "admin"}
REVEALERS = {"rm", "branch_manager", "compliance", "admin"}
AUDITORS = {"compliance", "admin"}
IMPORTERS = {"admin"}
ADMINS = {"admin"}
IMPORT_VIEWERS = {"compliance", "admin"}
EXPORTERS = {"rm", "branch_manager", "marketing", "compliance", "admin"}
REASSIGNERS = {"branch_manager", "admin"}
# Roles whose scope excludes a customer of another city's branch.
NARROW = {"rm", "branch_manager"}


def page(allowed: set[str] | None = None, *, denied: int = 403, ok: int = 200) -> dict[str, int]:
    """A logged-in page: anonymous users are sent to log in (302)."""
    allowed = set(STAFF) if allowed is None else allowed
    return {"anon": 302, **{r: ok if r in allowed else denied for r in STAFF}}


def api(allowed: set[str] | None = None, *, ok: int = 200) -> dict[str, int]:
    """An API operation: anonymous gets 401."""
    allowed = set(STAFF) if allowed is None else allowed
    return {"anon": 401, **{r: ok if r in allowed else 403 for r in STAFF}}


def scoped(expect: dict[str, int]) -> dict[str, int]:
    """The same operation on an out-of-scope customer: 404 for narrow roles, never 403."""
    return {r: (404 if r in NARROW else s) for r, s in expect.items()}


@dataclass
class Check:
    method: str
    expect: dict[str, int]
    data: dict[str, Any] | None = None
    target: str = "mine"  # which customer the URL points at
    as_json: bool = False
    # Query parameters of a GET, from the bank and the target customer.
    query: Callable[[Any, Any], dict[str, str]] | None = None


@dataclass
class Route:
    kwargs: Callable[[Any, Any], dict[str, Any]] = lambda bank, c: {}
    checks: list[Check] = field(default_factory=list)


def cust(bank: Any, c: Any) -> dict[str, Any]:
    return {"pk": c.pk}


def api_cust(bank: Any, c: Any) -> dict[str, Any]:
    return {"customer_id": c.pk}


def task_of(bank: Any, c: Any) -> dict[str, Any]:
    return {"pk": TaskFactory(customer=c).pk}


def cust_account(bank: Any, c: Any) -> dict[str, Any]:
    from tests.factories import AccountFactory

    return {"pk": c.pk, "account_id": AccountFactory(customer=c).pk}


def api_cust_account(bank: Any, c: Any) -> dict[str, Any]:
    from tests.factories import AccountFactory

    return {"customer_id": c.pk, "account_id": AccountFactory(customer=c).pk}


def an_admins_view(bank: Any, c: Any) -> dict[str, Any]:
    from bankcrm.core.models import SavedView

    view = SavedView.objects.create(owner=bank.admin, list_name="customers", name="mine")
    return {"pk": view.pk}


def a_staff_member(bank: Any, c: Any) -> dict[str, Any]:
    return {"pk": bank.rm2.pk}


def a_run_id(bank: Any, c: Any) -> dict[str, Any]:
    return {"run_id": a_run(bank, c)["pk"]}


def a_run(bank: Any, c: Any) -> dict[str, Any]:
    from django.utils import timezone

    from bankcrm.insights.models import AnalyticsRun

    run = AnalyticsRun.objects.create(
        started_at=timezone.now(),
        as_of=dt.date(2026, 1, 31),
        model_version="test",
        metrics={
            "churn": {
                "auc": 0.8,
                "brier": 0.1,
                "calibration": [
                    {"bin": 1, "mean_predicted": 0.1, "observed_rate": 0.12, "count": 5}
                ],
                "lift": [{"decile": 1, "cumulative_gain": 0.4}],
                "top_features": [{"feature": "aum_change_6m", "importance": 3.0}],
            },
            "segments": {"champions": 3},
            "clv_by_segment": {"champions": 1000.0},
        },
    )
    return {"pk": run.pk}


def an_import(bank: Any, c: Any) -> dict[str, Any]:
    from bankcrm.ingest.models import ImportRun
    from bankcrm.ingest.outcome import RowError, error_report_write

    error = RowError(2, "code", "X", "bad")
    run = ImportRun.objects.create(
        kind="branches", file_name="b.csv", status="rejected", rejected=1, errors=[error.as_dict()]
    )
    error_report_write(run.pk, run.file_name, [error])
    return {"pk": run.pk}


def an_import_id(bank: Any, c: Any) -> dict[str, Any]:
    return {"run_id": an_import(bank, c)["pk"]}


def a_job(bank: Any, c: Any) -> dict[str, Any]:
    from bankcrm.jobs.models import JobRun, JobState

    job = JobRun.objects.create(
        task_name="bankcrm.jobs.tasks.heartbeat_task",
        kind="heartbeat",
        key="heartbeat:m",
        arguments={"tag": "m"},
        state=JobState.FAILED,
        error="lost",
    )
    return {"pk": job.pk}


def a_job_id(bank: Any, c: Any) -> dict[str, Any]:
    return {"job_id": a_job(bank, c)["pk"]}


def branch_file() -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("b.csv", "code,name_zh\nGZ,广州分行\n".encode())


def own_token(bank: Any, c: Any, user: Any = None) -> dict[str, Any]:
    from bankcrm.access.services import token_create

    return {"pk": token_create(user=user or bank.admin, name="t")[0].pk}


def others_token(bank: Any, c: Any, user: Any = None) -> dict[str, Any]:
    from tests.factories import UserFactory

    return own_token(bank, c, UserFactory(username="stranger"))


def a_lead(bank: Any, c: Any) -> dict[str, Any]:
    from tests.factories import LeadFactory

    return {"pk": LeadFactory(rm=c.rm, branch=c.branch).pk}


def an_opportunity(bank: Any, c: Any) -> dict[str, Any]:
    from tests.factories import OpportunityFactory

    return {"pk": OpportunityFactory(customer=c).pk}


def api_opportunity(bank: Any, c: Any) -> dict[str, Any]:
    return {"opportunity_id": an_opportunity(bank, c)["pk"]}


SALES_WORKERS = {"rm", "branch_manager", "admin"}
SALES_VIEWERS = SALES_WORKERS | {"compliance"}
TARGET_SETTERS = {"branch_manager", "admin"}


today = dt.date.today().isoformat()
not_allowed = {r: 405 for r in ROLES}
not_allowed_anon_login = {"anon": 302, **{r: 405 for r in STAFF}}

CONSENT = {"purpose": "marketing", "channel": "sms", "granted": "0", "source": "call_center"}
GRANT = {**CONSENT, "granted": "1", "source": "branch"}
# A withdrawal ("stop sending me SMS") may be recorded by the call centre too; a grant may not.
WITHDRAWERS = EDITORS | {"service"}

POLICY: dict[str, Route] = {
    "web:dashboard": Route(checks=[Check("get", page())]),
    "web:search": Route(checks=[Check("get", page())]),
    "web:saved_view_create": Route(
        checks=[
            Check("get", not_allowed_anon_login),
            Check("post", page(ok=302), data={"list": "customers", "name": "大客户", "query": ""}),
        ]
    ),
    # The administrator's own view: theirs to delete; to everyone else it is no view (404).
    "web:saved_view_delete": Route(
        an_admins_view,
        [Check("get", not_allowed_anon_login), Check("post", page({"admin"}, denied=404, ok=302))],
    ),
    "access:login": Route(
        checks=[
            Check("get", {"anon": 200, **{r: 302 for r in STAFF}}),
        ]
    ),
    "access:logout": Route(
        checks=[
            Check("get", not_allowed),
            Check("post", {r: 302 for r in ROLES}),
        ]
    ),
    # Any logged-in user may set up or give a second factor (required only for some roles).
    "access:two_factor": Route(checks=[Check("get", page())]),
    "access:security": Route(checks=[Check("get", page(ADMINS))]),
    "access:session_end": Route(
        lambda bank, c: {"ref": "0" * 20},
        [
            Check("get", not_allowed_anon_login),
            Check("post", page(ADMINS, ok=404)),  # no such session
        ],
    ),
    "access:token_revoke_any": Route(
        others_token,
        [
            Check("get", not_allowed_anon_login),
            Check("post", page(ADMINS, ok=302)),
        ],
    ),
    "access:audit": Route(checks=[Check("get", page(AUDITORS))]),
    "access:audit_verify": Route(
        checks=[
            Check("get", not_allowed_anon_login),
            Check("post", page(AUDITORS, ok=302)),
        ]
    ),
    "access:audit_export": Route(checks=[Check("get", page(AUDITORS))]),
    "access:customer_access": Route(
        cust,
        [
            Check("get", page(AUDITORS)),
            Check("get", page(AUDITORS), target="far"),
            Check("post", not_allowed_anon_login),
        ],
    ),
    "customers:list": Route(
        checks=[
            Check("get", page()),
            # Identifier searches: every role gets the page; only revealers get results (the
            # others a notice, the same whether or not the customer exists: test_pii_sweep).
            Check("get", page(), query=lambda bank, c: {"q": c.mobile}),
            Check("get", page(), query=lambda bank, c: {"q": c.id_number[-8:]}),
        ]
    ),
    "customers:create": Route(
        checks=[
            Check("get", page(EDITORS)),
            Check("post", page(EDITORS), data={}),  # invalid form re-rendered with errors: 200
        ]
    ),
    "customers:export": Route(
        checks=[
            Check("get", page(EXPORTERS)),
            Check("post", page(EXPORTERS), data={"format": "xlsx", "query": "q=张"}),
        ]
    ),
    # No customer selected: the list again with a message (302) for the roles that may.
    "customers:bulk_task": Route(
        checks=[
            Check("get", not_allowed_anon_login),
            Check("post", page(LOGGERS, ok=302), data={"title": "回访", "due_on": today}),
        ]
    ),
    # An RM the user may not pick (none here) is refused, to every role.
    "customers:bulk_reassign": Route(
        checks=[
            Check("get", not_allowed_anon_login),
            Check("post", page(set()), data={"rm": "0", "ids": "1"}),
        ]
    ),
    "customers:detail": Route(
        cust,
        [
            Check("get", page()),
            Check("get", scoped(page()), target="far"),
            Check("post", not_allowed_anon_login),
        ],
    ),
    "customers:edit": Route(
        cust,
        [
            Check("get", page(EDITORS)),
            Check("get", scoped(page(EDITORS)), target="far"),
        ],
    ),
    "customers:reveal": Route(
        cust,
        [
            Check("get", not_allowed_anon_login),
            Check("post", page(REVEALERS), data={"field": "mobile", "reason": "客户来电核实身份"}),
            Check(
                "post",
                scoped(page(REVEALERS)),
                target="far",
                data={"field": "mobile", "reason": "客户来电核实身份"},
            ),
        ],
    ),
    "customers:account_reveal": Route(
        cust_account,
        [
            Check("get", not_allowed_anon_login),
            Check("post", page(REVEALERS), data={"reason": "客户来电核实账户"}),
            Check(
                "post", scoped(page(REVEALERS)), target="far", data={"reason": "客户来电核实账户"}
            ),
        ],
    ),
    "customers:consent": Route(
        cust,
        [
            Check("get", not_allowed_anon_login),
            Check("post", page(WITHDRAWERS), data=CONSENT),
            Check("post", scoped(page(WITHDRAWERS)), target="far", data=CONSENT),
            Check("post", page(EDITORS), data=GRANT),
            Check("post", scoped(page(EDITORS)), target="far", data=GRANT),
        ],
    ),
    "interactions:create": Route(
        cust,
        [
            Check("get", not_allowed_anon_login),
            Check("post", page(LOGGERS), data={"kind": "call", "subject": "回访", "notes": ""}),
            Check(
                "post",
                scoped(page(LOGGERS)),
                target="far",
                data={"kind": "call", "subject": "回访", "notes": ""},
            ),
        ],
    ),
    "interactions:task_create": Route(
        cust,
        [
            Check("post", page(LOGGERS), data={"title": "跟进", "due_on": today, "notes": ""}),
            Check(
                "post",
                scoped(page(LOGGERS)),
                target="far",
                data={"title": "跟进", "due_on": today, "notes": ""},
            ),
        ],
    ),
    "interactions:task_status": Route(
        task_of,
        [
            Check("post", page(LOGGERS), data={"status": "done"}),
            Check("post", scoped(page(LOGGERS)), target="far", data={"status": "done"}),
        ],
    ),
    "interactions:my_tasks": Route(checks=[Check("get", page())]),
    "set_language": Route(
        checks=[
            Check("post", {r: 302 for r in ROLES}, data={"language": "zh-hans", "next": "/"}),
        ]
    ),
    "access:password_change": Route(
        checks=[
            Check("get", page()),
            # The old password is wrong: the form is shown again with its errors.
            Check("post", page(), data={"old_password": "x", "new_password1": "y"}),
        ]
    ),
    "access:staff_list": Route(checks=[Check("get", page(ADMINS))]),
    "access:staff_create": Route(
        checks=[Check("get", page(ADMINS)), Check("post", page(ADMINS), data={})]
    ),
    "access:staff_edit": Route(
        a_staff_member,
        [Check("get", page(ADMINS)), Check("post", page(ADMINS), data={})],
    ),
    "access:staff_password": Route(
        a_staff_member,
        [
            Check("get", not_allowed_anon_login),
            Check("post", page(ADMINS, ok=302), data={"password": "Longer-pass-2026"}),
        ],
    ),
    "access:staff_unlock": Route(
        a_staff_member,
        [Check("get", not_allowed_anon_login), Check("post", page(ADMINS, ok=302))],
    ),
    "access:token_list": Route(
        checks=[
            Check("get", page()),
            Check("post", page(), data={"name": "laptop", "days": "30"}),
        ]
    ),
    "access:token_revoke": Route(
        own_token,
        [
            Check("get", not_allowed_anon_login),
            Check("post", {"anon": 302, **{r: 302 for r in STAFF}}),
        ],
    ),
    "access:token_revoke#other": Route(
        others_token,
        [
            Check("post", {"anon": 302, **{r: 404 for r in STAFF}}),
        ],
    ),
    "insights:at_risk": Route(checks=[Check("get", page())]),
    "insights:runs": Route(checks=[Check("get", page())]),
    "insights:run": Route(a_run, [Check("get", page()), Check("post", not_allowed_anon_login)]),
    "insights:retention_task": Route(
        cust,
        [
            Check("get", not_allowed_anon_login),
            Check("post", page(LOGGERS)),
            Check("post", scoped(page(LOGGERS)), target="far"),
        ],
    ),
    "customers:duplicates": Route(checks=[Check("get", page(IMPORT_VIEWERS))]),
    "customers:merge": Route(
        checks=[
            Check("get", not_allowed_anon_login),
            # Unknown customers: 404 for the one role that may merge, 403 for the rest.
            Check("post", page(IMPORTERS, ok=404), data={"survivor": "0", "merged": "0"}),
        ]
    ),
    "customers:dismiss": Route(
        checks=[
            Check("get", not_allowed_anon_login),
            Check("post", page(IMPORTERS, ok=404), data={"first": "0", "second": "0"}),
        ]
    ),
    "imports:list": Route(
        checks=[
            Check("get", page(IMPORT_VIEWERS)),
            # An empty upload form is re-rendered with its errors: 200 for admins only.
            Check("post", page(IMPORTERS), data={}),
        ]
    ),
    "imports:detail": Route(an_import, [Check("get", page(IMPORT_VIEWERS))]),
    "imports:progress": Route(an_import, [Check("get", page(IMPORT_VIEWERS))]),
    "imports:report": Route(an_import, [Check("get", page(IMPORT_VIEWERS))]),
    "api:create_import": Route(
        checks=[
            Check("post", api(IMPORTERS, ok=202), data={"kind": "branches", "file": branch_file}),
        ]
    ),
    "api:list_imports": Route(checks=[Check("get", api(IMPORT_VIEWERS))]),
    "api:get_import": Route(an_import_id, [Check("get", api(IMPORT_VIEWERS))]),
    "jobs:list": Route(checks=[Check("get", page(ADMINS))]),
    "jobs:detail": Route(a_job, [Check("get", page(ADMINS))]),
    "jobs:run_again": Route(a_job, [Check("post", page(ADMINS, ok=302))]),
    # An empty bank: the run is queued and fails at once (no customers); 202 for admins.
    "api:start_run": Route(checks=[Check("post", api(ADMINS, ok=202), data={}, as_json=True)]),
    "api:list_jobs": Route(checks=[Check("get", api(ADMINS))]),
    "api:get_job": Route(a_job_id, [Check("get", api(ADMINS))]),
    "api:run_job_again": Route(a_job_id, [Check("post", api(ADMINS, ok=202))]),
    "api:openapi-json": Route(checks=[Check("get", page())]),
    "api:openapi-view": Route(checks=[Check("get", page())]),
    "api:api-root": Route(checks=[Check("get", {r: 404 for r in ROLES})]),
    "api:list_customers": Route(
        checks=[
            Check("get", api()),
            Check("get", api(), query=lambda bank, c: {"q": c.id_number[-4:]}),
            # A whole identifier, or more of an ID than its last 4: revealers only.
            Check("get", api(REVEALERS), query=lambda bank, c: {"q": c.mobile}),
            Check("get", api(REVEALERS), query=lambda bank, c: {"q": c.id_number}),
            Check("get", api(REVEALERS), query=lambda bank, c: {"q": c.id_number[-6:]}),
            Check("get", api(REVEALERS), target="far", query=lambda bank, c: {"q": c.mobile}),
        ]
    ),
    "api:get_customer": Route(
        api_cust,
        [
            Check("get", api()),
            Check("get", scoped(api()), target="far"),
        ],
    ),
    "api:get_customer_360": Route(
        api_cust,
        [
            Check("get", api()),
            Check("get", scoped(api()), target="far"),
        ],
    ),
    "api:get_scores": Route(
        api_cust,
        [
            # No run has scored anyone in this bank: in scope → 404 with a message, too.
            Check("get", api(ok=404)),
            Check("get", scoped(api(ok=404)), target="far"),
        ],
    ),
    "api:reveal": Route(
        api_cust,
        [
            Check(
                "post",
                api(REVEALERS),
                data={"field": "id_number", "reason": "监管检查"},
                as_json=True,
            ),
            Check(
                "post",
                scoped(api(REVEALERS)),
                target="far",
                data={"field": "id_number", "reason": "监管检查"},
                as_json=True,
            ),
        ],
    ),
    "api:reveal_account": Route(
        api_cust_account,
        [
            Check("post", api(REVEALERS), data={"reason": "监管检查"}, as_json=True),
            Check(
                "post",
                scoped(api(REVEALERS)),
                target="far",
                data={"reason": "监管检查"},
                as_json=True,
            ),
        ],
    ),
    "api:create_interaction": Route(
        api_cust,
        [
            Check(
                "post", api(LOGGERS, ok=201), data={"kind": "call", "subject": "回访"}, as_json=True
            ),
            Check(
                "post",
                scoped(api(LOGGERS, ok=201)),
                target="far",
                data={"kind": "call", "subject": "回访"},
                as_json=True,
            ),
        ],
    ),
    "api:create_task": Route(
        api_cust,
        [
            Check(
                "post", api(LOGGERS, ok=201), data={"title": "跟进", "due_on": today}, as_json=True
            ),
            Check(
                "post",
                scoped(api(LOGGERS, ok=201)),
                target="far",
                data={"title": "跟进", "due_on": today},
                as_json=True,
            ),
        ],
    ),
    "api:kpis": Route(checks=[Check("get", api())]),
    "api:kpis_by_segment": Route(checks=[Check("get", api())]),
    "api:list_runs": Route(checks=[Check("get", api())]),
    "api:get_run": Route(a_run_id, [Check("get", api())]),
    "api:at_risk": Route(checks=[Check("get", api())]),
    # --- sales -----------------------------------------------------------------------------
    "sales:agenda": Route(checks=[Check("get", page(SALES_WORKERS))]),
    # An empty form: 400 with the reason for the roles that work the pipeline.
    "sales:agenda_log": Route(
        checks=[Check("get", not_allowed_anon_login), Check("post", page(SALES_WORKERS, ok=400))]
    ),
    "sales:agenda_snooze": Route(
        checks=[Check("get", not_allowed_anon_login), Check("post", page(SALES_WORKERS, ok=400))]
    ),
    "sales:leads": Route(checks=[Check("get", page(SALES_VIEWERS))]),
    "sales:lead_create": Route(
        checks=[Check("get", page(SALES_WORKERS)), Check("post", page(SALES_WORKERS), data={})]
    ),
    "sales:lead_import": Route(
        checks=[Check("get", page(SALES_WORKERS)), Check("post", page(SALES_WORKERS), data={})]
    ),
    "sales:lead": Route(
        a_lead,
        [
            Check("get", page(SALES_VIEWERS)),
            Check("get", scoped(page(SALES_VIEWERS)), target="far"),
        ],
    ),
    "sales:lead_qualify": Route(
        a_lead,
        [
            Check("get", not_allowed_anon_login),
            Check("post", page(SALES_WORKERS, ok=302), data={"need": "理财"}),
            Check("post", scoped(page(SALES_WORKERS, ok=302)), target="far", data={"need": "理财"}),
        ],
    ),
    "sales:lead_disqualify": Route(
        a_lead,
        [
            Check("post", page(SALES_WORKERS, ok=302), data={"reason": "无意向"}),
            Check("post", scoped(page(SALES_WORKERS, ok=302)), target="far", data={"reason": "x"}),
        ],
    ),
    # No product chosen: back to the lead with the message.
    "sales:lead_convert": Route(
        a_lead,
        [
            Check("post", page(SALES_WORKERS, ok=302), data={}),
            Check("post", scoped(page(SALES_WORKERS, ok=302)), target="far", data={}),
        ],
    ),
    "sales:lead_activity": Route(
        a_lead,
        [
            Check("post", page(SALES_WORKERS, ok=302), data={"kind": "call", "subject": "回访"}),
            Check(
                "post",
                scoped(page(SALES_WORKERS, ok=302)),
                target="far",
                data={"kind": "call", "subject": "回访"},
            ),
        ],
    ),
    "sales:opportunities": Route(checks=[Check("get", page(SALES_VIEWERS))]),
    "sales:board": Route(checks=[Check("get", page(SALES_VIEWERS))]),
    "sales:opportunity": Route(
        an_opportunity,
        [
            Check("get", page(SALES_VIEWERS)),
            Check("get", scoped(page(SALES_VIEWERS)), target="far"),
            Check("post", page(SALES_WORKERS), data={}),
            Check("post", scoped(page(SALES_WORKERS)), target="far", data={}),
        ],
    ),
    "sales:opportunity_move": Route(
        an_opportunity,
        [
            Check("get", not_allowed_anon_login),
            Check("post", page(SALES_WORKERS, ok=302), data={"stage": "contacted"}),
            Check(
                "post",
                scoped(page(SALES_WORKERS, ok=302)),
                target="far",
                data={"stage": "contacted"},
            ),
        ],
    ),
    "sales:opportunity_create": Route(
        cust,
        [
            Check("get", page(SALES_WORKERS)),
            Check("get", scoped(page(SALES_WORKERS)), target="far"),
        ],
    ),
    # Not a product the newest run recommends to this customer (no run here): 404.
    "sales:opportunity_from_recommendation": Route(
        cust,
        [
            Check("get", not_allowed_anon_login),
            Check("post", page(SALES_WORKERS, ok=404), data={"product": "P0001"}),
        ],
    ),
    "sales:pipeline": Route(checks=[Check("get", page(SALES_VIEWERS))]),
    "sales:portfolio": Route(
        checks=[
            Check("get", page(REASSIGNERS)),
            Check("post", page(REASSIGNERS, ok=302), data={"to_rm": "0"}),
        ]
    ),
    "sales:performance": Route(checks=[Check("get", page(SALES_VIEWERS))]),
    "sales:targets": Route(
        checks=[Check("get", page(TARGET_SETTERS)), Check("post", page(TARGET_SETTERS), data={})]
    ),
    "api:list_leads": Route(checks=[Check("get", api(SALES_VIEWERS))]),
    "api:create_lead": Route(
        checks=[
            Check(
                "post",
                api(SALES_WORKERS, ok=201),
                data={"name": "赵敏", "mobile": "13700009876", "source": "walk_in"},
                as_json=True,
            )
        ]
    ),
    "api:list_opportunities": Route(checks=[Check("get", api(SALES_VIEWERS))]),
    # No such customer: 404 for the roles that may open one.
    "api:create_opportunity": Route(
        checks=[
            Check(
                "post",
                api(SALES_WORKERS, ok=404),
                data={"customer_id": 0, "product": "P0001", "expected_amount": "1000"},
                as_json=True,
            )
        ]
    ),
    "api:move_opportunity": Route(
        api_opportunity,
        [
            Check("post", api(SALES_WORKERS), data={"stage": "contacted"}, as_json=True),
            Check(
                "post",
                scoped(api(SALES_WORKERS)),
                target="far",
                data={"stage": "contacted"},
                as_json=True,
            ),
        ],
    ),
    "api:rm_performance": Route(checks=[Check("get", api(SALES_VIEWERS))]),
}


# --- loyalty ------------------------------------------------------------------------------

REDEEMERS = {"rm", "branch_manager", "service", "admin"}
ADJUSTERS = {"rm", "branch_manager", "admin"}
APPROVERS = {"branch_manager", "admin"}
PROGRAMME_VIEWERS = {"marketing", "compliance", "admin"}
PROGRAMME_MANAGERS = {"marketing", "admin"}
A_REWARD = 990001


def _loyal(c: Any) -> None:
    """``c`` gets 1,000 more points and reward A_REWARD (100 points) is in the catalogue."""
    from bankcrm.loyalty import services
    from bankcrm.loyalty.models import Entry, Reward

    Reward.objects.get_or_create(
        pk=A_REWARD,
        defaults={
            "code": "mx",
            "name_zh": "礼品",
            "name_en": "Gift",
            "kind": "gift",
            "points_price": 100,
        },
    )
    services.points_award(
        customer=c,
        points=1000,
        source="campaign",
        reason="matrix",
        idempotency_key=f"mx:{c.pk}:{Entry.objects.count()}",
    )


def loyal_cust(bank: Any, c: Any) -> dict[str, Any]:
    _loyal(c)
    return {"pk": c.pk}


def loyal_api_cust(bank: Any, c: Any) -> dict[str, Any]:
    _loyal(c)
    return {"customer_id": c.pk}


def _redemption(bank: Any, c: Any) -> Any:
    from bankcrm.loyalty import services
    from bankcrm.loyalty.models import Reward

    _loyal(c)
    return services.redemption_create(
        actor=bank.admin, customer=c, reward=Reward.objects.get(pk=A_REWARD)
    )


def a_redemption(bank: Any, c: Any) -> dict[str, Any]:
    return {"pk": _redemption(bank, c).pk}


def api_redemption(bank: Any, c: Any) -> dict[str, Any]:
    return {"customer_id": c.pk, "redemption_id": _redemption(bank, c).pk}


def a_pending_adjustment(bank: Any, c: Any) -> dict[str, Any]:
    from bankcrm.core.models import User
    from bankcrm.loyalty import services
    from tests.factories import UserFactory

    asker = User.objects.filter(username="asker").first() or UserFactory(
        username="asker", role="admin", branch=bank.head
    )
    adjustment = services.adjustment_request(
        actor=asker, customer=c, points=50_000, reason="投诉补偿"
    )
    return {"pk": adjustment.pk}


def a_tier(bank: Any, c: Any) -> dict[str, Any]:
    from bankcrm.loyalty.models import Tier

    tier, _new = Tier.objects.get_or_create(
        code="t", defaults={"name_zh": "普卡", "name_en": "Classic", "rank": 0}
    )
    return {"pk": tier.pk}


def a_stocked_reward(bank: Any, c: Any) -> dict[str, Any]:
    from bankcrm.loyalty.models import Reward

    reward, _new = Reward.objects.get_or_create(
        code="st",
        defaults={
            "name_zh": "雨伞",
            "name_en": "Umbrella",
            "kind": "gift",
            "points_price": 10,
            "stock": 1,
        },
    )
    return {"pk": reward.pk}


REDEEM = {"reward": str(A_REWARD), "quantity": "1"}
ADJUST = {"points": "10", "reason": "补录积分"}

POLICY.update(
    {
        "loyalty:redeem": Route(
            loyal_cust,
            [
                Check("get", not_allowed_anon_login),
                Check("post", page(REDEEMERS), data=REDEEM),
                Check("post", scoped(page(REDEEMERS)), target="far", data=REDEEM),
            ],
        ),
        "loyalty:adjust": Route(
            cust,
            [
                Check("post", page(ADJUSTERS), data=ADJUST),
                Check("post", scoped(page(ADJUSTERS)), target="far", data=ADJUST),
            ],
        ),
        "loyalty:cancel": Route(
            a_redemption,
            [
                Check("post", page(REDEEMERS)),
                Check("post", scoped(page(REDEEMERS)), target="far"),
            ],
        ),
        "loyalty:decide": Route(
            a_pending_adjustment,
            [
                Check("post", page(APPROVERS), data={"approve": "1"}),
                # An RM may not approve at all (403 before any scope is asked).
                Check(
                    "post",
                    {**scoped(page(APPROVERS)), "rm": 403},
                    target="far",
                    data={"approve": "0"},
                ),
            ],
        ),
        "loyalty:adjustments": Route(checks=[Check("get", page(APPROVERS))]),
        "loyalty:expiring": Route(checks=[Check("get", page())]),
        "loyalty:programme": Route(
            checks=[
                Check("get", page(PROGRAMME_VIEWERS)),
                Check("post", page(PROGRAMME_MANAGERS, ok=400), data={}),
            ]
        ),
        "loyalty:setup": Route(
            checks=[
                Check("get", not_allowed_anon_login),
                Check("post", page(PROGRAMME_MANAGERS, ok=302)),
            ]
        ),
        "loyalty:tier_edit": Route(
            a_tier, [Check("post", page(PROGRAMME_MANAGERS, ok=302), data={})]
        ),
        "loyalty:rules": Route(
            checks=[
                Check("get", page(PROGRAMME_VIEWERS)),
                Check("post", page(PROGRAMME_MANAGERS, ok=400), data={}),
            ]
        ),
        "loyalty:rewards": Route(
            checks=[
                Check("get", page(PROGRAMME_VIEWERS)),
                Check("post", page(PROGRAMME_MANAGERS, ok=400), data={}),
            ]
        ),
        "loyalty:restock": Route(
            a_stocked_reward, [Check("post", page(PROGRAMME_MANAGERS, ok=302), data={"add": "5"})]
        ),
        "loyalty:kpis": Route(checks=[Check("get", page())]),
        "api:get_loyalty": Route(
            api_cust, [Check("get", api()), Check("get", scoped(api()), target="far")]
        ),
        "api:redeem_points": Route(
            loyal_api_cust,
            [
                Check("post", api(REDEEMERS, ok=201), data={"reward_id": A_REWARD}, as_json=True),
                Check(
                    "post",
                    scoped(api(REDEEMERS, ok=201)),
                    target="far",
                    data={"reward_id": A_REWARD},
                    as_json=True,
                ),
            ],
        ),
        "api:cancel_redemption": Route(
            api_redemption,
            [
                Check("post", api(REDEEMERS), data={}, as_json=True),
                Check("post", scoped(api(REDEEMERS)), target="far", data={}, as_json=True),
            ],
        ),
    }
)


def _walk(patterns: list[Any], ns: str | None = None) -> Iterator[str]:
    for p in patterns:
        if isinstance(p, URLResolver):
            inner = f"{ns}:{p.namespace}" if ns and p.namespace else (p.namespace or ns)
            yield from _walk(p.url_patterns, inner)
        elif isinstance(p, URLPattern):
            yield f"{ns}:{p.name}" if ns else str(p.name)


def test_every_route_is_in_the_policy_table():
    routes = set(_walk(get_resolver().url_patterns))
    assert routes - {n.split("#")[0] for n in POLICY} == set(), "routes without a policy"
    declared = {name.split("#")[0] for name in POLICY}
    assert declared - routes == set(), "policy entries for routes that no longer exist"


CASES = [
    pytest.param(name, i, role, id=f"{name}-{c.method}-{c.target}-{role}")
    for name, route in POLICY.items()
    for i, c in enumerate(route.checks)
    for role in ROLES
]


@pytest.mark.parametrize("name,index,role", CASES)
def test_route_answers_each_role_as_declared(bank, name, index, role):
    route = POLICY[name]
    check = route.checks[index]
    customer = getattr(bank, check.target)
    client = Client()
    if role != "anon":
        client.force_login(bank.user(role))
    kwargs = route.kwargs(bank, customer)
    if route.kwargs is own_token and role != "anon":
        kwargs = own_token(bank, customer, bank.user(role))
    url = reverse(name.split("#")[0], kwargs=kwargs)
    if check.method == "get":
        response = client.get(url, check.query(bank, customer) if check.query else None)
    elif check.as_json:
        response = client.post(url, json.dumps(check.data), content_type="application/json")
    else:
        data = {k: v() if callable(v) else v for k, v in (check.data or {}).items()}
        response = client.post(url, data)
    assert response.status_code == check.expect[role], response.content[:300]
