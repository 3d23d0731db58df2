"""The customers of one chunk: who they are and the hidden behaviour path each one follows.

Each customer follows a path (new, growing, stable, declining then leaving, dormant) that
drives their balances, transactions and contacts. The steps below draw from the chunk's random
stream in a fixed order: reordering them changes the bank a seed builds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from bankcrm.customers.models import MemberRole
from bankcrm.demo.arrays import NAT, pick, weights
from bankcrm.demo.catalogue import (
    BRAND_CHARS,
    CITIES,
    FEMALE_P,
    GIVEN_FEMALE,
    GIVEN_MALE,
    INCOME_MID,
    INDUSTRIES,
    MALE_P,
    OCCUPATION_WEIGHTS,
    OCCUPATIONS,
    RETIRED,
    SELF_EMPLOYED,
    STUDENT,
    SURNAME_P,
    SURNAMES,
)
from bankcrm.demo.codes import DECLINING, DORMANT, GROWING, NEW, ONBOARDING_CHANNELS, STABLE
from bankcrm.demo.generators.households import Members, place_customers
from bankcrm.demo.plan import BankPlan

ONBOARDING_SPAN_DAYS = 3650
NEW_CUSTOMER_DAYS = 182
# Declining customers leave up to this many days after as_of (so some are still here).
STILL_HERE_DAYS = 180


@dataclass
class Customers:
    """Per-customer arrays of one chunk (index = position in the chunk)."""

    id: np.ndarray
    corp: np.ndarray
    path: np.ndarray
    branch: np.ndarray  # branch index in the plan
    city: np.ndarray
    rm: np.ndarray  # user id
    on: np.ndarray  # onboarding day
    left: np.ndarray  # day a declining customer leaves (may be after as_of), NAT if never
    gone: np.ndarray  # left on or before as_of: closed in the data
    decline_start: np.ndarray
    dormant_start: np.ndarray
    last_day: np.ndarray  # last day with any activity (left_on or as_of)
    male: np.ndarray
    age: np.ndarray  # years at as_of (0 for corporates)
    log_wealth: np.ndarray
    risk: np.ndarray  # 0..4, -1 when never assessed
    income: np.ndarray  # 0..4, -1 for corporates
    salary: np.ndarray  # monthly salary (CNY), 0 when none
    pension: np.ndarray
    channel: np.ndarray  # onboarding channel code
    has_email: np.ndarray
    households: list[Members]
    corp_groups: list[Members]
    name_zh: list[str]
    name_en: list[str]
    given_pinyin: list[str]  # individuals: given name; corporates: brand
    surname: np.ndarray  # index into SURNAMES
    birth: np.ndarray  # birth day (individuals)
    occupation: list[str]
    brand: np.ndarray  # corporates: brand index


@dataclass
class _Paths:
    path: np.ndarray
    left: np.ndarray
    gone: np.ndarray
    decline_start: np.ndarray
    dormant_start: np.ndarray
    last_day: np.ndarray


@dataclass
class _Work:
    occupation: list[str]
    employed: np.ndarray
    log_wealth: np.ndarray
    income: np.ndarray
    salary: np.ndarray
    pension: np.ndarray


@dataclass
class _Names:
    zh: list[str]
    en: list[str]
    given_pinyin: list[str]
    surname: np.ndarray
    brand: np.ndarray


def _onboarding_days_back(rng: np.random.Generator, n: int) -> np.ndarray:
    """Days before as_of each customer joined: a growing bank, so recent years weigh more."""
    uniform_back = rng.random(n) * ONBOARDING_SPAN_DAYS
    recent_back = rng.exponential(2500.0, n) % ONBOARDING_SPAN_DAYS
    return np.where(rng.random(n) < 0.55, uniform_back, recent_back).astype(np.int64)


def _paths(*, rng: np.random.Generator, plan: BankPlan, back: np.ndarray) -> _Paths:
    n = len(back)
    as_of = plan.as_of_day
    on = as_of - back
    # About 5% of customers leave a year, so the share that leaves inside the window grows
    # with its length.
    p_leave = min(0.05 * plan.config.months / 12, 0.25)
    path = np.array([GROWING, STABLE, DECLINING, DORMANT])[
        rng.choice(4, size=n, p=[0.22, 0.64 - p_leave, p_leave, 0.14])
    ]
    path = np.where(back < NEW_CUSTOMER_DAYS, NEW, path)
    dormant_start = as_of - rng.integers(365, 730, n)
    path = np.where((path == DORMANT) & (dormant_start < on + 90), STABLE, path)
    lo = np.maximum(plan.window_start, on + 180)
    # Some declining customers leave only after as_of: at risk, but still here to be saved.
    hi = as_of + STILL_HERE_DAYS
    path = np.where((path == DECLINING) & (lo > hi), STABLE, path)
    left_day = lo + (rng.random(n) * np.maximum(hi - lo + 1, 1)).astype(np.int64)
    declining = path == DECLINING
    left = np.where(declining, left_day, NAT)
    decline_start = np.where(
        declining, np.maximum(on + 60, left_day - rng.integers(120, 450, n)), NAT
    )
    dormant_start = np.where(path == DORMANT, dormant_start, NAT)
    gone = declining & (left_day <= as_of)
    last_day = np.where(gone, left_day, as_of)
    return _Paths(path, left, gone, decline_start, dormant_start, last_day)


def _work_and_wealth(
    *, rng: np.random.Generator, corp: np.ndarray, age: np.ndarray, path: np.ndarray
) -> _Work:
    """Occupation, wealth, income band, salary and pension."""
    n = len(corp)
    ind = ~corp
    occ = rng.choice(len(OCCUPATIONS), size=n, p=weights(OCCUPATION_WEIGHTS))
    occ_shift = np.array([s for _, s in OCCUPATIONS])[occ]
    student = ind & (rng.random(n) < np.where(age < 22, 0.8, np.where(age < 25, 0.2, 0.0)))
    retired = ind & (age >= 60) & (rng.random(n) < 0.75)
    occ_shift = np.where(student, -1.0, np.where(retired, 0.2, occ_shift))
    log_wealth = np.where(
        corp,
        rng.normal(13.2, 1.4, n),
        rng.normal(10.4, 1.5, n) + 0.6 * occ_shift + np.clip(0.05 * (age - 40), -1.2, 0.6),
    )
    z = (log_wealth - 10.4) / 1.5 * 0.6 + 0.5 * occ_shift + rng.normal(0, 0.6, n)
    income = np.digitize(z, [-0.9, -0.1, 0.8, 1.8])
    income = np.where(student, 0, np.where(retired, np.minimum(income, 2), income))
    income = np.where(
        age < 25, np.minimum(income, 1), np.where(age < 30, np.minimum(income, 2), income)
    )
    income = np.where(corp, -1, income)
    occupation = [
        "" if c else STUDENT if s else RETIRED if r else OCCUPATIONS[o][0]
        for c, s, r, o in zip(
            corp.tolist(), student.tolist(), retired.tolist(), occ.tolist(), strict=True
        )
    ]
    employed = (
        ind
        & ~student
        & ~retired
        & ~np.isin(occ, [i for i, (o, _) in enumerate(OCCUPATIONS) if o in SELF_EMPLOYED])
    )
    has_salary = employed & (path != DORMANT) & (rng.random(n) < 0.75)
    salary = np.where(
        has_salary, INCOME_MID[np.maximum(income, 0)] / 12 * rng.lognormal(0, 0.2, n), 0.0
    )
    pension = np.where(
        retired & (path != DORMANT) & (rng.random(n) < 0.8),
        rng.lognormal(math.log(4200), 0.3, n),
        0.0,
    )
    return _Work(occupation, employed, log_wealth, income, salary, pension)


def _onboarding_channel(
    *, rng: np.random.Generator, back: np.ndarray, corp: np.ndarray, employed: np.ndarray
) -> np.ndarray:
    """Apps take over from the counter in recent years; companies open at a branch."""
    n = len(back)
    recency = 1 - back / ONBOARDING_SPAN_DAYS
    p_app = 0.05 + 0.40 * recency
    ch_p = np.column_stack(
        [
            1 - p_app - 0.15 - 0.06 - 0.08 * employed,  # branch
            p_app,  # mobile app
            np.full(n, 0.15),  # online
            np.full(n, 0.06),  # referral
            0.08 * employed,  # payroll
        ]
    )
    channel_order = [
        ONBOARDING_CHANNELS.index(c)
        for c in ("branch", "mobile_app", "online", "referral", "payroll")
    ]
    channel = np.array(channel_order)[pick(rng, ch_p)]
    return np.where(
        corp, np.where(rng.random(n) < 0.9, channel_order[0], channel_order[3]), channel
    )


def _risk_appetite(
    *, rng: np.random.Generator, corp: np.ndarray, age: np.ndarray, path: np.ndarray
) -> np.ndarray:
    """Most customers assessed (-1: never); younger customers take more risk."""
    n = len(corp)
    has_risk = rng.random(n) < np.where(corp, 0.6, np.where(path == NEW, 0.9, 0.85))
    risk = rng.choice(5, size=n, p=[0.10, 0.30, 0.35, 0.18, 0.07])
    risk = risk + ((age < 35) & (rng.random(n) < 0.25)) - ((age > 58) & (rng.random(n) < 0.35))
    risk = np.where(corp, rng.choice([1, 2, 3], size=n, p=[0.3, 0.5, 0.2]), risk)
    return np.where(has_risk, np.clip(risk, 0, 4), -1)


def _family_surnames(sur: np.ndarray, male: np.ndarray, homes: list[Members]) -> None:
    """Children take their father's surname, a head's father the head's, where customary."""
    for members in homes:
        head = members[0][0]
        spouse = next((c for c, r in members if r == MemberRole.SPOUSE), None)
        father = head if male[head] else spouse
        for c, role in members[1:]:
            if role == MemberRole.CHILD and father is not None:
                sur[c] = sur[father]
            elif role == MemberRole.PARENT and male[c] and male[head]:
                sur[c] = sur[head]


def _brands(rng: np.random.Generator, n: int, groups: list[Members]) -> np.ndarray:
    """Two distinct brand characters per company; subsidiaries share their parent's."""
    brand = rng.choice(len(BRAND_CHARS), size=(n, 2))
    brand[:, 1] = np.where(
        brand[:, 1] == brand[:, 0], (brand[:, 1] + 1) % len(BRAND_CHARS), brand[:, 1]
    )
    for members in groups:
        for c, _role in members[1:]:
            brand[c] = brand[members[0][0]]
    return brand


def _company_name(
    *, city: int, brand: np.ndarray, industry: int, limited: bool
) -> tuple[str, str, str]:
    """(Chinese name, English name, brand in pinyin) of a company."""
    b0, b1 = BRAND_CHARS[brand[0]], BRAND_CHARS[brand[1]]
    ind_zh, ind_en = INDUSTRIES[industry]
    suffix_zh, suffix_en = (
        ("股份有限公司", "Co., Ltd. (Joint Stock)") if limited else ("有限公司", "Co., Ltd.")
    )
    return (
        f"{CITIES[city].zh}{b0[0]}{b1[0]}{ind_zh}{suffix_zh}",
        f"{CITIES[city].en} {b0[1]}{b1[1].lower()} {ind_en} {suffix_en}",
        f"{b0[1]}{b1[1]}".lower(),
    )


def _individual_name(
    *, surname: int, male: bool, picks: np.ndarray, two: bool
) -> tuple[str, str, str]:
    """(Chinese name, English name, given name in pinyin) of a person."""
    pool = GIVEN_MALE if male else GIVEN_FEMALE
    a, b = int(picks[0]), int(picks[1])
    if b == a:
        b = (b + 1) % len(pool)
    chars = [pool[a], pool[b]] if two else [pool[a]]
    given_zh = "".join(ch for ch, _ in chars)
    given_py = "".join(py for _, py in chars)
    return (
        SURNAMES[surname][0] + given_zh,
        f"{SURNAMES[surname][1]} {given_py.capitalize()}",
        given_py,
    )


def _names(
    *,
    rng: np.random.Generator,
    corp: np.ndarray,
    male: np.ndarray,
    city: np.ndarray,
    homes: list[Members],
    groups: list[Members],
) -> _Names:
    """Surnames by frequency, households sharing them where customary; company names."""
    n = len(corp)
    sur = rng.choice(len(SURNAMES), size=n, p=SURNAME_P)
    gm = rng.choice(len(GIVEN_MALE), size=(n, 2), p=MALE_P)
    gf = rng.choice(len(GIVEN_FEMALE), size=(n, 2), p=FEMALE_P)
    two = rng.random(n) < 0.7
    _family_surnames(sur, male, homes)
    brand = _brands(rng, n, groups)
    industry = rng.choice(len(INDUSTRIES), size=n)
    limited = rng.random(n) < 0.15
    name_zh: list[str] = []
    name_en: list[str] = []
    given_pinyin: list[str] = []
    for i, (c, s, m, t, ci) in enumerate(
        zip(corp.tolist(), sur.tolist(), male.tolist(), two.tolist(), city.tolist(), strict=True)
    ):
        if c:
            zh, en, py = _company_name(
                city=ci, brand=brand[i], industry=industry[i], limited=limited[i]
            )
        else:
            zh, en, py = _individual_name(surname=s, male=m, picks=gm[i] if m else gf[i], two=t)
        name_zh.append(zh)
        name_en.append(en)
        given_pinyin.append(py)
    return _Names(name_zh, name_en, given_pinyin, sur, brand)


def make_customers(*, rng: np.random.Generator, plan: BankPlan, ids: np.ndarray) -> Customers:
    n = len(ids)
    as_of = plan.as_of_day
    corp = rng.random(n) < 0.03
    back = _onboarding_days_back(rng, n)
    on = as_of - back
    paths = _paths(rng=rng, plan=plan, back=back)

    male = rng.random(n) < 0.5
    age_on = np.clip(rng.normal(35, 12, n), 18.05, 80)
    birth = on - (age_on * 365.25).astype(np.int64)
    age = (as_of - birth) / 365.25
    age = np.where(corp, 0.0, age)

    placed = place_customers(rng=rng, plan=plan, corp=corp, age=age, male=male)
    work = _work_and_wealth(rng=rng, corp=corp, age=age, path=paths.path)
    channel = _onboarding_channel(rng=rng, back=back, corp=corp, employed=work.employed)
    risk = _risk_appetite(rng=rng, corp=corp, age=age, path=paths.path)
    names = _names(
        rng=rng,
        corp=corp,
        male=male,
        city=placed.city,
        homes=placed.households,
        groups=placed.corp_groups,
    )
    has_email = rng.random(n) < np.where(
        corp, 0.9, np.where(age < 35, 0.6, np.where(age < 55, 0.4, 0.15))
    )
    return Customers(
        id=ids,
        corp=corp,
        path=paths.path,
        branch=placed.branch,
        city=placed.city,
        rm=placed.rm,
        on=on,
        left=paths.left,
        gone=paths.gone,
        decline_start=paths.decline_start,
        dormant_start=paths.dormant_start,
        last_day=paths.last_day,
        male=male,
        age=age,
        log_wealth=work.log_wealth,
        risk=risk,
        income=work.income,
        salary=work.salary,
        pension=work.pension,
        channel=channel,
        has_email=has_email,
        households=placed.households,
        corp_groups=placed.corp_groups,
        name_zh=names.zh,
        name_en=names.en,
        given_pinyin=names.given_pinyin,
        surname=names.surname,
        birth=birth,
        occupation=work.occupation,
        brand=names.brand,
    )
