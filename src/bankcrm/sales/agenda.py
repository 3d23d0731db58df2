"""The RM's agenda: what to do today, gathered from every source that offers items.

Each :class:`AgendaSource` in ``SOURCES`` gives the items of one kind for the user (within
their scope, on their own portfolio); the agenda drops the items the user snoozed and orders
the rest by urgency, then value. An app that adds work for an RM (the service app's tickets,
marketing's campaign call lists) appends its own source here, as the global search does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bankcrm.banking.models import Account, AccountStatus
from bankcrm.core.models import User
from bankcrm.customers.models import Customer, CustomerStatus
from bankcrm.customers.selectors import customers_visible_to
from bankcrm.interactions.models import Task, TaskStatus
from bankcrm.sales.models import OPEN_STAGES, AgendaSnooze, Lead, LeadStatus
from bankcrm.sales.selectors import leads_visible_to, opportunities_visible_to

HORIZON_DAYS = 7  # tasks, next steps and follow-ups due within a week
MATURITY_DAYS = 30
PER_SOURCE = 25  # the most urgent of each source; the page shows the first LIMIT of all
LIMIT = 60


@dataclass
class AgendaItem:
    source: str  # the source's key
    ref: str  # "<source>:<id>": what a snooze names
    title: str
    detail: str
    due: dt.date | None
    value: Decimal
    url: str = ""
    customer_id: int | None = None
    opportunity_url: str = ""
    bucket: int = 3  # 0 overdue, 1 today, 2 this week, 3 later or undated
    heading: str = ""  # the source's heading, set by agenda()

    @property
    def overdue(self) -> bool:
        return self.bucket == 0


@dataclass(frozen=True)
class AgendaSource:
    key: str
    heading: str | Promise
    collect: Callable[[User, dt.date], list[AgendaItem]]


def _bucket(due: dt.date | None, today: dt.date) -> int:
    if due is None:
        return 3
    if due < today:
        return 0
    if due == today:
        return 1
    return 2 if due <= today + dt.timedelta(days=HORIZON_DAYS) else 3


def _mine(user: User) -> Q:
    """The user's own portfolio within their scope: the agenda is personal, also for a
    branch manager (who sees their branch everywhere else)."""
    return Q(pk__in=customers_visible_to(user).filter(rm_id=user.pk).values("pk"))


def _my_ids(user: User) -> list[int]:
    """The ids of the user's own customers, read once per agenda (kept on the user object of
    the request): the sources that join other tables to the portfolio start from them, so the
    database walks a few thousand index entries instead of a bank-wide index."""
    cached: list[int] | None = getattr(user, "_agenda_customer_ids", None)
    if cached is not None:
        return cached
    ids = list(customers_visible_to(user).filter(rm_id=user.pk).values_list("pk", flat=True))
    if hasattr(user, "_agenda_customer_ids"):  # inside agenda(): kept for its other sources
        user._agenda_customer_ids = ids
    return ids


def _tasks(user: User, today: dt.date) -> list[AgendaItem]:
    rows = (
        Task.objects.filter(
            assignee_id=user.pk,
            status__in=[TaskStatus.OPEN, TaskStatus.IN_PROGRESS],
            customer__in=customers_visible_to(user),
        )
        .filter(Q(due_on__lte=today + dt.timedelta(days=HORIZON_DAYS)) | Q(remind_on__lte=today))
        .select_related("customer")
        .order_by("due_on", "id")[:PER_SOURCE]
    )
    return [
        AgendaItem(
            source="task",
            ref=f"task:{t.pk}",
            title=t.title,
            detail=t.customer.display_name,
            due=t.due_on,
            value=t.customer.aum,
            url=t.customer.get_absolute_url(),
            customer_id=t.customer_id,
        )
        for t in rows
    ]


def _at_risk(user: User, today: dt.date) -> list[AgendaItem]:
    from bankcrm.insights.models import CustomerScore
    from bankcrm.insights.selectors import latest_run

    run = latest_run()
    if run is None:
        return []
    # Top value at risk among the user's customers: their scores (at most one per customer)
    # are ranked here, then the first ones read with their customers.
    ranked = sorted(
        CustomerScore.objects.filter(
            run=run, customer_id__in=_my_ids(user), churn_probability__gte=0.5
        )
        .exclude(value_at_risk=None)
        .values_list("value_at_risk", "customer_id", "pk"),
        key=lambda r: (-(r[0] or 0), r[1]),
    )[:PER_SOURCE]
    by_pk = {
        sc.pk: sc
        for sc in CustomerScore.objects.filter(pk__in=[r[2] for r in ranked]).select_related(
            "customer"
        )
    }
    rows = [by_pk[r[2]] for r in ranked]
    return [
        AgendaItem(
            source="at_risk",
            ref=f"at_risk:{s.customer_id}",
            title=_("At risk of leaving: call %(name)s") % {"name": s.customer.display_name},
            detail=_("churn %(p)d%% · value at risk ¥%(v)s")
            % {"p": round((s.churn_probability or 0) * 100), "v": f"{s.value_at_risk:,.0f}"},
            due=today,
            value=s.value_at_risk or Decimal(0),
            url=s.customer.get_absolute_url(),
            customer_id=s.customer_id,
        )
        for s in rows
    ]


def _add_months(d: dt.date, months: int) -> dt.date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    for day in (d.day, 30, 29, 28):
        try:
            return dt.date(year, month, day)
        except ValueError:
            continue
    return dt.date(year, month, 28)


def _maturing(user: User, today: dt.date) -> list[AgendaItem]:
    """Open term products whose term ends in the next 30 days: opened between ``term`` months
    before today and ``term`` months before today + 30, one range per term (indexable)."""
    from bankcrm.banking.models import Product

    terms: dict[int, list[int]] = {}
    for pk, t in Product.objects.filter(term_months__isnull=False).values_list("pk", "term_months"):
        if t:
            terms.setdefault(t, []).append(pk)
    if not terms:
        return []
    end = today + dt.timedelta(days=MATURITY_DAYS)
    q = Q()
    for t, product_ids in sorted(terms.items()):
        q |= Q(
            product_id__in=product_ids,
            opened_on__gt=_add_months(today, -t) - dt.timedelta(days=1),
            opened_on__lte=_add_months(end, -t),
        )
    rows = (
        Account.objects.filter(q, customer_id__in=_my_ids(user))
        .exclude(status=AccountStatus.CLOSED)
        .select_related("customer", "product")
        .order_by("-balance", "id")[:PER_SOURCE]
    )
    items = []
    for a in rows:
        due = _add_months(a.opened_on, a.product.term_months or 0)
        items.append(
            AgendaItem(
                source="maturing",
                ref=f"maturing:{a.pk}",
                title=_("%(product)s matures: offer the next product")
                % {"product": a.product.name_zh if _zh() else a.product.name_en},
                detail=_("%(name)s · ¥%(v)s on %(date)s")
                % {
                    "name": a.customer.display_name,
                    "v": f"{a.balance:,.0f}",
                    "date": due.isoformat(),
                },
                due=due,
                value=a.balance,
                url=a.customer.get_absolute_url(),
                customer_id=a.customer_id,
            )
        )
    return items


def _zh() -> bool:
    from django.utils.translation import get_language

    return (get_language() or "").startswith("zh")


def _birthdays(user: User, today: dt.date) -> list[AgendaItem]:
    days = [today + dt.timedelta(days=i) for i in range(HORIZON_DAYS + 1)]
    q = Q()
    for d in days:
        q |= Q(birth_date__month=d.month, birth_date__day=d.day)
    rows = (
        Customer.objects.filter(_mine(user), q, status=CustomerStatus.ACTIVE)
        .only("pk", "name_zh", "name_en", "birth_date", "aum")
        .order_by("-aum", "pk")[:PER_SOURCE]
    )
    items = []
    for c in rows:
        assert c.birth_date is not None
        day = next(d for d in days if (d.month, d.day) == (c.birth_date.month, c.birth_date.day))
        items.append(
            AgendaItem(
                source="birthday",
                ref=f"birthday:{c.pk}:{day.year}",
                title=_("Birthday: %(name)s") % {"name": c.display_name},
                detail=_("turns %(age)d on %(date)s")
                % {"age": day.year - c.birth_date.year, "date": day.strftime("%m-%d")},
                due=day,
                value=c.aum,
                url=c.get_absolute_url(),
                customer_id=c.pk,
            )
        )
    return items


def _opportunities(user: User, today: dt.date) -> list[AgendaItem]:
    rows = (
        opportunities_visible_to(user)
        .filter(rm_id=user.pk, stage__in=OPEN_STAGES)
        .filter(Q(next_step_on__lte=today + dt.timedelta(days=HORIZON_DAYS)) | Q(next_step_on=None))
        .select_related("customer", "product")
        .order_by("next_step_on", "-expected_amount")[:PER_SOURCE]
    )
    return [
        AgendaItem(
            source="opportunity",
            ref=f"opportunity:{o.pk}",
            title=o.next_step or _("Set the next step"),
            detail=f"{o.customer.display_name} · {o.product.code} · {o.get_stage_display()}",
            due=o.next_step_on,
            value=o.weighted_amount,
            url=o.get_absolute_url(),
            customer_id=o.customer_id,
            opportunity_url=o.get_absolute_url(),
        )
        for o in rows
    ]


def _leads(user: User, today: dt.date) -> list[AgendaItem]:
    rows = (
        leads_visible_to(user)
        .filter(rm_id=user.pk, status__in=[LeadStatus.NEW, LeadStatus.QUALIFIED])
        .filter(Q(follow_up_on__lte=today + dt.timedelta(days=HORIZON_DAYS)) | Q(follow_up_on=None))
        .order_by("follow_up_on", "-expected_aum")[:PER_SOURCE]
    )
    return [
        AgendaItem(
            source="lead",
            ref=f"lead:{lead.pk}",
            title=_("Follow up lead %(name)s") % {"name": lead.name},
            detail=lead.get_source_display(),
            due=lead.follow_up_on or today,
            value=lead.expected_aum or Decimal(0),
            url=reverse("sales:lead", args=[lead.pk]),
        )
        for lead in rows
    ]


SOURCES: list[AgendaSource] = [
    AgendaSource("task", gettext_lazy("Tasks"), _tasks),
    AgendaSource("at_risk", gettext_lazy("At-risk customers"), _at_risk),
    AgendaSource("maturing", gettext_lazy("Maturing products"), _maturing),
    AgendaSource("birthday", gettext_lazy("Birthdays"), _birthdays),
    AgendaSource("opportunity", gettext_lazy("Opportunities"), _opportunities),
    AgendaSource("lead", gettext_lazy("Leads"), _leads),
]


@dataclass
class Agenda:
    items: list[AgendaItem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    snoozed: int = 0
    more: int = 0  # items past the limit: on the page once the first ones are done or snoozed


def agenda(*, user: User, today: dt.date, limit: int = LIMIT) -> Agenda:
    """The user's agenda: every source's items less the snoozed ones, overdue first, then
    due today, this week and later; within each, the larger value first."""
    snoozed = set(
        AgendaSnooze.objects.filter(user_id=user.pk, until__gt=today).values_list("item", flat=True)
    )
    out = Agenda()
    user._agenda_customer_ids = None  # type: ignore[attr-defined]
    try:
        for source in SOURCES:
            items = source.collect(user, today)
            kept = [i for i in items if i.ref not in snoozed]
            out.snoozed += len(items) - len(kept)
            out.counts[source.key] = len(kept)
            out.items.extend(kept)
    finally:
        del user._agenda_customer_ids  # type: ignore[attr-defined]
    headings = {source.key: str(source.heading) for source in SOURCES}
    for i in out.items:
        i.bucket = _bucket(i.due, today)
        i.heading = headings.get(i.source, "")
    out.items.sort(key=lambda i: (i.bucket, -i.value, i.due or dt.date.max, i.ref))
    out.more = max(0, len(out.items) - limit)
    out.items = out.items[:limit]
    return out


__all__ = ["SOURCES", "Agenda", "AgendaItem", "AgendaSource", "Lead", "agenda"]
