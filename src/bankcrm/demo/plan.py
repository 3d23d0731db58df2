"""What the demo bank is: its configuration, and the plan of everything not per customer.

The same (seed, customers, months, as_of) always plans the same bank. Randomness comes from
numpy streams seeded by the configuration: ``[seed, 0]`` plans the branches and staff here,
``[seed, 1 + i]`` generates customer chunk ``i`` (see :func:`chunk_rng`), and the card
system's file of the import path draws from ``[seed, 2024]``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from django.db import models

from bankcrm.banking.models import Product
from bankcrm.core.models import Branch, User
from bankcrm.core.roles import Role
from bankcrm.demo.arrays import day_number
from bankcrm.demo.catalogue import (
    CITIES,
    FEMALE_P,
    GIVEN_FEMALE,
    GIVEN_MALE,
    MALE_P,
    SUB_BRANCHES,
    SURNAME_P,
    SURNAMES,
)
from bankcrm.demo.products import PRODUCTS

DEFAULT_PASSWORD = "demo-pass-2026"
PASSWORD_SALT = "bankcrmdemo"
# Customers per chunk. Part of the seed's meaning: changing it changes the data.
CHUNK_SIZE = 5_000
# Customers per relationship manager.
PORTFOLIO_SIZE = 300

DEMO_USERNAMES = (
    "rm_demo",
    "rm_demo2",
    "manager_demo",
    "marketing_demo",
    "service_demo",
    "compliance_demo",
    "admin_demo",
)


@dataclass(frozen=True)
class DemoConfig:
    """What to build. The same values always build the same bank."""

    customers: int
    seed: int
    as_of: dt.date
    months: int = 36
    password: str = DEFAULT_PASSWORD


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    branch: str


@dataclass
class BuildResult:
    counts: dict[str, int]
    logins: list[DemoLogin]
    seconds: float


class DemoBankError(Exception):
    """The demo bank cannot be built on this database as it is."""


def default_as_of(*, today: dt.date) -> dt.date:
    """The last day of the month before `today`: the latest complete month."""
    return today.replace(day=1) - dt.timedelta(days=1)


def chunk_rng(*, config: DemoConfig, index: int) -> np.random.Generator:
    """The random stream of customer chunk `index` (0-based)."""
    return np.random.default_rng([config.seed, 1 + index])


@dataclass(frozen=True)
class BranchPlan:
    id: int
    code: str
    zh: str
    en: str
    city: int  # index into CITIES, -1 for head office
    parent: int | None  # index into the plan's branches
    district: str | None  # the sub-branch's district
    weight: float  # share of the bank's customers


@dataclass(frozen=True)
class StaffPlan:
    id: int
    username: str
    role: str
    branch: int  # index into the plan's branches
    name_zh: str
    first_name: str
    last_name: str
    joined_day: int


@dataclass
class BankPlan:
    config: DemoConfig
    bases: dict[type[models.Model], int]
    branches: list[BranchPlan]
    customer_branches: np.ndarray  # indices of branches that hold customers
    customer_branch_p: np.ndarray
    staff: list[StaffPlan]
    rms_by_branch: dict[int, np.ndarray]  # branch index → RM user ids
    rm_weights: dict[int, np.ndarray]
    manager_by_branch: dict[int, int]  # branch index → the city branch manager's user id
    product_ids: np.ndarray
    as_of_day: int
    month_start: np.ndarray  # first day of each month in the window (day numbers)
    month_end: np.ndarray  # last day of each month, capped at as_of
    month_of_year: np.ndarray  # 1..12

    @property
    def window_start(self) -> int:
        return int(self.month_start[0])


def allocate_rms(
    *, customers: int, weights: Sequence[float], portfolio: int = PORTFOLIO_SIZE
) -> list[int]:
    """RMs per branch for `customers` spread by `weights`: about one per `portfolio` customers.

    Every branch with customers gets at least one RM (a customer's RM works in the
    customer's branch) and the bank at least two; the rest go by largest remainder.
    """
    w = np.asarray(weights, dtype=float)
    w = w / w.sum()
    expected = customers * w / portfolio
    total = max(2, round(customers / portfolio), int((w > 0).sum()))
    counts = np.maximum(np.floor(expected).astype(int), (w > 0).astype(int))
    while counts.sum() < total:
        gap = expected - counts
        gap[w <= 0] = -np.inf
        counts[int(np.argmax(gap))] += 1
    return [int(c) for c in counts]


def _person_name(rng: np.random.Generator, *, male: bool) -> tuple[str, str, str]:
    """(Chinese name, given name in pinyin, surname in pinyin) of one staff member."""
    s = int(rng.choice(len(SURNAMES), p=SURNAME_P))
    pool, p = (GIVEN_MALE, MALE_P) if male else (GIVEN_FEMALE, FEMALE_P)
    a, b = (int(x) for x in rng.choice(len(pool), size=2, replace=False, p=p))
    chars = [pool[a]] if rng.random() < 0.3 else [pool[a], pool[b]]
    given_zh = "".join(c for c, _ in chars)
    given_py = "".join(py for _, py in chars).capitalize()
    return SURNAMES[s][0] + given_zh, given_py, SURNAMES[s][1]


def _plan_branches(*, first_id: int) -> tuple[list[BranchPlan], dict[int, int]]:
    """The head office (first), a branch per city and its sub-branches.

    Returns the branches and, per city index, the index of its city branch.
    """
    branches: list[BranchPlan] = []

    def add(
        code: str,
        zh: str,
        en: str,
        city: int,
        parent: int | None,
        district: str | None,
        weight: float,
    ) -> int:
        bid = first_id + len(branches) + 1
        branches.append(BranchPlan(bid, code, zh, en, city, parent, district, weight))
        return len(branches) - 1

    head = add("HQ", "总行", "Head Office", 0, None, None, 0.0)
    city_branch: dict[int, int] = {}
    for ci, city in enumerate(CITIES):
        subs = SUB_BRANCHES[city.code]
        cb = add(
            city.code, f"{city.zh}分行", f"{city.en} Branch", ci, head, None, city.weight * 0.4
        )
        city_branch[ci] = cb
        for sb in subs:
            add(sb.code, sb.zh, sb.en, ci, cb, sb.district, city.weight * 0.6 / len(subs))
    return branches, city_branch


@dataclass
class _Calendar:
    as_of_day: int
    month_start: np.ndarray
    month_end: np.ndarray
    month_of_year: np.ndarray


def _calendar(config: DemoConfig) -> _Calendar:
    """The months of the history window, the last one ending at as_of."""
    as_of_day = day_number(config.as_of)
    last_month = np.datetime64(config.as_of, "M")
    months = last_month - np.arange(config.months - 1, -1, -1)
    month_start = months.astype("datetime64[D]").astype(np.int64)
    month_end = np.minimum((months + 1).astype("datetime64[D]").astype(np.int64) - 1, as_of_day)
    month_of_year = (months.astype(np.int64) % 12) + 1
    return _Calendar(as_of_day, month_start, month_end, month_of_year)


@dataclass
class _Staffing:
    """The staff hired so far, each with a name and joining day drawn from `rng`."""

    rng: np.random.Generator
    as_of_day: int
    last_id: int
    staff: list[StaffPlan] = field(default_factory=list)
    rms_by_branch: dict[int, np.ndarray] = field(default_factory=dict)
    rm_weights: dict[int, np.ndarray] = field(default_factory=dict)
    manager_by_branch: dict[int, int] = field(default_factory=dict)

    def hire(self, username: str, role: str, branch: int) -> int:
        self.last_id += 1
        name_zh, first, last = _person_name(self.rng, male=bool(self.rng.random() < 0.5))
        joined = self.as_of_day - int(self.rng.integers(180, 12 * 365))
        self.staff.append(
            StaffPlan(self.last_id, username, role, branch, name_zh, first, last, joined)
        )
        return self.last_id

    def hire_rms(self, *, holding: np.ndarray, counts: list[int], demo_rm: dict[int, str]) -> None:
        """`counts` RMs in each customer-holding branch, with their shares of its customers."""
        n_rm = 0
        for b, count in zip(holding.tolist(), counts, strict=True):
            ids = []
            for k in range(count):
                if k == 0 and b in demo_rm:
                    name = demo_rm[b]
                else:
                    n_rm += 1
                    name = f"rm{n_rm:04d}"
                ids.append(self.hire(name, Role.RM, b))
            self.rms_by_branch[b] = np.array(ids, dtype=np.int64)
            w = self.rng.uniform(0.75, 1.25, count)
            self.rm_weights[b] = w / w.sum()

    def hire_managers(self, *, branches: list[BranchPlan], city_branch: dict[int, int]) -> None:
        """A manager per city branch, over it and its sub-branches."""
        for ci, cb in city_branch.items():
            name = "manager_demo" if ci == 0 else f"manager_{CITIES[ci].code.lower()}"
            mid = self.hire(name, Role.BRANCH_MANAGER, cb)
            for bi, br in enumerate(branches):
                if bi == cb or br.parent == cb:
                    self.manager_by_branch[bi] = mid

    def hire_head_office(self, *, customers: int, head: int) -> None:
        extra = max(1, customers // 20_000)
        for role, stem, count in (
            (Role.MARKETING, "marketing", 1 + extra),
            (Role.SERVICE, "service", 1 + 2 * extra),
            (Role.COMPLIANCE, "compliance", 1),
            (Role.ADMIN, "admin", 1),
        ):
            for k in range(count):
                self.hire(f"{stem}_demo" if k == 0 else f"{stem}{k + 1:02d}", role, head)


def plan_bank(
    *, config: DemoConfig, bases: dict[type[models.Model], int] | None = None
) -> BankPlan:
    """Branches, staff, products and calendar of the bank; pure (reads no database)."""
    if config.customers < 1:
        raise DemoBankError("A demo bank needs at least one customer.")
    if not 1 <= config.months <= 240:
        raise DemoBankError("The history covers 1 to 240 months.")
    bases = dict(bases or {})
    rng = np.random.default_rng([config.seed, 0])
    branches, city_branch = _plan_branches(first_id=bases.get(Branch, 0))
    weights = np.array([b.weight for b in branches])
    holding = np.flatnonzero(weights > 0)
    p = weights[holding] / weights[holding].sum()
    calendar = _calendar(config)

    hiring = _Staffing(rng=rng, as_of_day=calendar.as_of_day, last_id=bases.get(User, 0))
    hiring.hire_rms(
        holding=holding,
        counts=allocate_rms(customers=config.customers, weights=p),
        demo_rm={city_branch[0]: "rm_demo", city_branch[1]: "rm_demo2"},
    )
    hiring.hire_managers(branches=branches, city_branch=city_branch)
    hiring.hire_head_office(customers=config.customers, head=0)  # the head office is first

    pid = bases.get(Product, 0)
    product_ids = np.arange(pid + 1, pid + 1 + len(PRODUCTS), dtype=np.int64)
    return BankPlan(
        config=config,
        bases=bases,
        branches=branches,
        customer_branches=holding,
        customer_branch_p=p,
        staff=hiring.staff,
        rms_by_branch=hiring.rms_by_branch,
        rm_weights=hiring.rm_weights,
        manager_by_branch=hiring.manager_by_branch,
        product_ids=product_ids,
        as_of_day=calendar.as_of_day,
        month_start=calendar.month_start,
        month_end=calendar.month_end,
        month_of_year=calendar.month_of_year,
    )


def demo_logins(*, plan: BankPlan) -> list[DemoLogin]:
    by_name = {s.username: s for s in plan.staff}
    out = []
    for name in DEMO_USERNAMES:
        s = by_name[name]
        out.append(DemoLogin(name, str(Role(s.role).label), plan.branches[s.branch].zh))
    return out
