"""Contacts, tasks, consents and relationship groups of one chunk's customers."""

from __future__ import annotations

import numpy as np

from bankcrm.customers.models import ConsentEvent, GroupKind, GroupMembership, RelationshipGroup
from bankcrm.demo.arrays import (
    NAT,
    days_to_dates,
    hours,
    local_seconds,
    seconds_to_datetimes,
    weights,
)
from bankcrm.demo.catalogue import BRAND_CHARS
from bankcrm.demo.codes import (
    CONSENT_GRANT_P,
    CONSENT_SLOTS,
    CONSENT_SOURCES,
    DECLINING,
    DORMANT,
    GROUP_KINDS,
    INTERACTION_KINDS,
    INTERACTION_SUBJECTS,
    INTERACTION_WEIGHTS,
    MEMBER_ROLES,
    ONBOARDING_CHANNELS,
    RETENTION_TITLES,
    TASK_STATUSES,
    TASK_TITLES,
    TS_CANCELLED,
    TS_DONE,
    TS_IN_PROGRESS,
    TS_OPEN,
)
from bankcrm.demo.columns import Batch, Cat, Counters
from bankcrm.demo.generators.customers import Customers
from bankcrm.demo.plan import BankPlan
from bankcrm.interactions.models import Interaction, Task


def _span(*, plan: BankPlan, cust: Customers) -> tuple[np.ndarray, np.ndarray]:
    """First and last day of each customer's relationship inside the window."""
    start = np.maximum(cust.on, plan.window_start)
    end = np.where(cust.gone, cust.left - 1, plan.as_of_day)
    return start, np.maximum(end, start)


def make_interactions(
    *, rng: np.random.Generator, plan: BankPlan, cust: Customers, counters: Counters
) -> Batch:
    start, end = _span(plan=plan, cust=cust)
    months = (end - start + 1) / 30.44
    rate = 0.06 * (1 + 0.5 * (cust.log_wealth > 10.8) + 1.0 * (cust.log_wealth > 13.1))
    rate = np.where(
        cust.path == DECLINING, rate * 1.5, np.where(cust.path == DORMANT, rate * 0.3, rate)
    )
    counts = rng.poisson(rate * months)
    c = np.repeat(np.arange(len(cust.id)), counts)
    k = len(c)
    day = start[c] + (rng.random(k) * (end[c] - start[c] + 1)).astype(np.int64)
    occurred = local_seconds(day, hours(rng, k, 9, 18))
    kind = rng.choice(
        len(INTERACTION_KINDS),
        size=k,
        p=weights([INTERACTION_WEIGHTS[x] for x in INTERACTION_KINDS]),
    )
    subject = rng.integers(0, len(INTERACTION_SUBJECTS) - 1, k)
    retention = (cust.path[c] == DECLINING) & (day >= cust.decline_start[c])
    subject = np.where(retention & (rng.random(k) < 0.6), len(INTERACTION_SUBJECTS) - 1, subject)
    created = occurred + rng.integers(5 * 60, 2 * 3600, k)
    order = np.lexsort((occurred, c))
    ids = counters.take(Interaction, k)
    return Batch(
        Interaction,
        {
            "id": ids,
            "customer_id": cust.id[c[order]],
            "staff_id": cust.rm[c[order]],
            "kind": Cat(kind[order], INTERACTION_KINDS),
            "occurred_at": seconds_to_datetimes(occurred[order]),
            "subject": Cat(subject[order], [s for s, _ in INTERACTION_SUBJECTS]),
            "notes": Cat(subject[order], [t for _, t in INTERACTION_SUBJECTS]),
            "created_at": seconds_to_datetimes(created[order]),
        },
    )


def make_tasks(
    *, rng: np.random.Generator, plan: BankPlan, cust: Customers, counters: Counters
) -> Batch:
    as_of = plan.as_of_day
    n = len(cust.id)
    start, end = _span(plan=plan, cust=cust)
    months = (end - start + 1) / 30.44
    # Past follow-ups, mostly done, and for open relationships some due around as_of.
    past = rng.poisson(0.05 * months)
    current = (~cust.gone & (rng.random(n) < 0.12)).astype(np.int64)
    c = np.concatenate([np.repeat(np.arange(n), past), np.repeat(np.arange(n), current)])
    is_current = np.concatenate(
        [np.zeros(past.sum(), dtype=bool), np.ones(current.sum(), dtype=bool)]
    )
    k = len(c)
    due = np.where(
        is_current,
        as_of + rng.integers(-10, 46, k),
        start[c] + (rng.random(k) * (end[c] - start[c] + 1)).astype(np.int64),
    )
    created_day = np.minimum(
        np.maximum(due - rng.integers(3, 31, k), cust.on[c]), np.minimum(as_of, end[c])
    )
    created = local_seconds(created_day, hours(rng, k, 9, 18))
    u = rng.random(k)
    # Long-past tasks were closed one way or the other; recent ones may still be overdue.
    status = np.select(
        [due < as_of - 90, due < as_of - 7],
        [
            np.where(u < 0.9, TS_DONE, TS_CANCELLED),
            np.where(u < 0.7, TS_DONE, np.where(u < 0.75, TS_CANCELLED, TS_OPEN)),
        ],
        np.where(u < 0.7, TS_OPEN, TS_IN_PROGRESS),
    )
    status = np.where(cust.gone[c] & (status == TS_OPEN), TS_CANCELLED, status)
    done_day = np.minimum(
        np.maximum(due + rng.integers(-5, 4, k), created_day), np.minimum(as_of, end[c])
    )
    completed = local_seconds(done_day, hours(rng, k, 9, 18))
    completed = np.maximum(completed, created + 600)
    completed = np.where(status == TS_DONE, completed, NAT)
    title = rng.integers(0, len(TASK_TITLES), k)
    retention = (cust.path[c] == DECLINING) & (due >= cust.decline_start[c])
    title = np.where(retention, len(TASK_TITLES) + rng.integers(0, len(RETENTION_TITLES), k), title)
    manager = (
        np.array([plan.manager_by_branch[b] for b in cust.branch.tolist()], dtype=np.int64)
        if n
        else np.zeros(0, dtype=np.int64)
    )
    created_by = np.where(rng.random(k) < 0.2, manager[c], cust.rm[c])
    order = np.lexsort((due, c))
    ids = counters.take(Task, k)
    return Batch(
        Task,
        {
            "id": ids,
            "customer_id": cust.id[c[order]],
            "assignee_id": cust.rm[c[order]],
            "created_by_id": created_by[order],
            "title": Cat(title[order], TASK_TITLES + RETENTION_TITLES),
            "notes": [""] * k,
            "due_on": days_to_dates(due[order]),
            "status": Cat(status[order], TASK_STATUSES),
            "created_at": seconds_to_datetimes(created[order]),
            "completed_at": completed[order].astype("datetime64[s]"),
        },
    )


def make_consents(
    *, rng: np.random.Generator, plan: BankPlan, cust: Customers, counters: Counters
) -> Batch:
    n = len(cust.id)
    s = len(CONSENT_SLOTS)
    p = np.broadcast_to(CONSENT_GRANT_P, (n, s)).copy()
    p[:, 4] *= cust.has_email
    p[:, 2] *= np.where(cust.age < 45, 1.2, 0.7)
    grant = rng.random((n, s)) < p
    c, slot = np.nonzero(grant)
    k = len(c)
    onboarding_source = np.select(
        [
            cust.channel == ONBOARDING_CHANNELS.index("mobile_app"),
            cust.channel == ONBOARDING_CHANNELS.index("online"),
        ],
        [CONSENT_SOURCES.index("app"), CONSENT_SOURCES.index("online")],
        CONSENT_SOURCES.index("branch"),
    )
    granted_at = local_seconds(cust.on[c], hours(rng, k, 9, 17)) + slot
    # About one grant in ten is later withdrawn (granted = false, a second event).
    last = cust.last_day[c]
    withdraw = (rng.random(k) < 0.10) & (last - cust.on[c] > 45)
    w_day = (
        cust.on[c] + 30 + (rng.random(k) * np.maximum(last - cust.on[c] - 30, 1)).astype(np.int64)
    )
    w_at = local_seconds(w_day, hours(rng, k, 8, 22))
    w_source = rng.choice(
        [CONSENT_SOURCES.index(x) for x in ("app", "call_center", "branch")],
        size=k,
        p=[0.5, 0.3, 0.2],
    )
    wi = np.flatnonzero(withdraw)
    cc = np.concatenate([c, c[wi]])
    ss = np.concatenate([slot, slot[wi]])
    at = np.concatenate([granted_at, w_at[wi]])
    granted = np.concatenate([np.ones(k, dtype=bool), np.zeros(len(wi), dtype=bool)])
    source = np.concatenate([onboarding_source[c], w_source[wi]])
    recorded_by = np.where(source == CONSENT_SOURCES.index("branch"), cust.rm[cc], -1)
    order = np.lexsort((ss, at, cc))
    ids = counters.take(ConsentEvent, len(cc))
    return Batch(
        ConsentEvent,
        {
            "id": ids,
            "customer_id": cust.id[cc[order]],
            "purpose": Cat(ss[order], [str(pu) for pu, _ in CONSENT_SLOTS]),
            "channel": Cat(ss[order], [str(ch) for _, ch in CONSENT_SLOTS]),
            "granted": granted[order],
            "source": Cat(source[order], CONSENT_SOURCES),
            "recorded_at": seconds_to_datetimes(at[order]),
            "recorded_by_id": [None if r < 0 else r for r in recorded_by[order].tolist()],
        },
    )


def make_groups(*, plan: BankPlan, cust: Customers, counters: Counters) -> list[Batch]:
    groups = [(GroupKind.HOUSEHOLD, m) for m in cust.households]
    groups += [(GroupKind.CORPORATE_GROUP, m) for m in cust.corp_groups]
    gids = counters.take(RelationshipGroup, len(groups))
    names, kinds, created = [], [], []
    m_group, m_cust, m_role = [], [], []
    for gid, (kind, members) in zip(gids.tolist(), groups, strict=True):
        head = members[0][0]
        if kind == GroupKind.HOUSEHOLD:
            names.append(f"{cust.name_zh[head]}家庭")
        else:
            b0, b1 = cust.brand[head]
            names.append(f"{BRAND_CHARS[b0][0]}{BRAND_CHARS[b1][0]}集团")
        kinds.append(GROUP_KINDS.index(kind))
        created.append(max(int(cust.on[c]) for c, _ in members))
        for c, role in members:
            m_group.append(gid)
            m_cust.append(int(cust.id[c]))
            m_role.append(MEMBER_ROLES.index(role))
    created_at = local_seconds(np.array(created, dtype=np.int64), np.full(len(created), 10 * 3600))
    mids = counters.take(GroupMembership, len(m_group))
    return [
        Batch(
            RelationshipGroup,
            {
                "id": gids,
                "name": names,
                "kind": Cat(np.array(kinds, dtype=np.int64), GROUP_KINDS),
                "created_at": seconds_to_datetimes(created_at),
            },
        ),
        Batch(
            GroupMembership,
            {
                "id": mids,
                "group_id": np.array(m_group, dtype=np.int64),
                "customer_id": np.array(m_cust, dtype=np.int64),
                "role": Cat(np.array(m_role, dtype=np.int64), MEMBER_ROLES),
            },
        ),
    ]
