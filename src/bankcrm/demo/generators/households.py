"""Who belongs with whom: each customer's branch and RM, households and corporate groups."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bankcrm.customers.models import MemberRole
from bankcrm.demo.plan import BankPlan

# A group as (customer index in the chunk, member role), the head or parent company first.
Members = list[tuple[int, str]]


def assign_branches_and_rms(
    *, rng: np.random.Generator, plan: BankPlan, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Each customer's branch (plan index) and RM (user id, always an RM of that branch)."""
    branch = plan.customer_branches[
        rng.choice(len(plan.customer_branches), size=n, p=plan.customer_branch_p)
    ]
    return branch, rms_for(rng=rng, plan=plan, branch=branch)


def rms_for(*, rng: np.random.Generator, plan: BankPlan, branch: np.ndarray) -> np.ndarray:
    rm = np.zeros(len(branch), dtype=np.int64)
    for b in np.unique(branch).tolist():
        idx = np.flatnonzero(branch == b)
        rms = plan.rms_by_branch[b]
        rm[idx] = rms[rng.choice(len(rms), size=len(idx), p=plan.rm_weights[b])]
    return rm


def households(
    rng: np.random.Generator, individuals: np.ndarray, age: np.ndarray, male: np.ndarray
) -> list[Members]:
    """Households of 2–4 members: head, spouse, and adult children or parents."""
    if len(individuals) < 8:
        return []
    perm = rng.permutation(individuals)
    n_heads = int(len(individuals) * 0.035)
    used = np.zeros(len(age), dtype=bool)
    heads = perm[age[perm] >= 25][:n_heads]
    used[heads] = True
    pool = perm[~used[perm]]
    out = []
    for h in heads.tolist():
        size = int(rng.choice([2, 3, 4], p=[0.5, 0.35, 0.15]))
        wanted = [MemberRole.SPOUSE] + [
            MemberRole.CHILD if rng.random() < 0.7 else MemberRole.PARENT for _ in range(size - 2)
        ]
        members: Members = [(h, MemberRole.HEAD)]
        for role in wanted:
            for c in pool[rng.integers(0, len(pool), 25)].tolist():
                if used[c]:
                    continue
                if role == MemberRole.SPOUSE:
                    fits = male[c] != male[h] and abs(age[c] - age[h]) <= 8
                elif role == MemberRole.CHILD:
                    fits = age[c] <= age[h] - 20
                else:
                    fits = age[c] >= age[h] + 20
                if fits:
                    used[c] = True
                    members.append((c, role))
                    break
        if len(members) > 1:
            out.append(members)
    return out


def corporate_groups(rng: np.random.Generator, corps: np.ndarray) -> list[Members]:
    """Groups of a parent company and 1–3 subsidiaries."""
    if len(corps) < 4:
        return []
    perm = rng.permutation(corps)
    out = []
    k = 0
    n_groups = max(1, int(len(corps) * 0.12))
    for _ in range(n_groups):
        size = int(rng.integers(2, 5))
        if k + size > len(perm):
            break
        members = [(int(perm[k]), str(MemberRole.PARENT_COMPANY))]
        members += [(int(c), str(MemberRole.SUBSIDIARY)) for c in perm[k + 1 : k + size]]
        out.append(members)
        k += size
    return out


@dataclass
class Placement:
    branch: np.ndarray  # branch index in the plan
    rm: np.ndarray  # user id
    city: np.ndarray  # index into CITIES
    households: list[Members]
    corp_groups: list[Members]


def place_customers(
    *, rng: np.random.Generator, plan: BankPlan, corp: np.ndarray, age: np.ndarray, male: np.ndarray
) -> Placement:
    """Branches, RMs and groups; a household banks at its head's branch, with the head's RM."""
    branch, _ = assign_branches_and_rms(rng=rng, plan=plan, n=len(corp))
    homes = households(rng, np.flatnonzero(~corp), age, male)
    groups = corporate_groups(rng, np.flatnonzero(corp))
    for members in homes:
        head = members[0][0]
        for c, _role in members[1:]:
            branch[c] = branch[head]
    rm = rms_for(rng=rng, plan=plan, branch=branch)
    for members in homes:
        for c, _role in members[1:]:
            rm[c] = rm[members[0][0]]
    city = np.array([plan.branches[b].city for b in branch.tolist()], dtype=np.int64)
    return Placement(branch=branch, rm=rm, city=city, households=homes, corp_groups=groups)
