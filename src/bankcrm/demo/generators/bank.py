"""Rows of the bank's own tables, from the plan: branches, staff and products."""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from bankcrm.banking.models import Product
from bankcrm.core.models import Branch, User
from bankcrm.core.roles import Role
from bankcrm.demo.arrays import local_seconds, seconds_to_datetimes
from bankcrm.demo.catalogue import CITIES
from bankcrm.demo.columns import Batch
from bankcrm.demo.plan import BankPlan
from bankcrm.demo.products import PRODUCTS


def bank_batches(*, plan: BankPlan, password_hash: str) -> list[Batch]:
    br = plan.branches
    branches = Batch(
        Branch,
        {
            "id": np.array([b.id for b in br], dtype=np.int64),
            "code": [b.code for b in br],
            "name_zh": [b.zh for b in br],
            "name_en": [b.en for b in br],
            "city": [CITIES[b.city].zh for b in br],
            "parent_id": [None if b.parent is None else br[b.parent].id for b in br],
        },
    )
    st = plan.staff
    joined = local_seconds(np.array([s.joined_day for s in st]), np.full(len(st), 9 * 3600))
    users = Batch(
        User,
        {
            "id": np.array([s.id for s in st], dtype=np.int64),
            "password": [password_hash] * len(st),
            "last_login": [None] * len(st),
            "is_superuser": np.array([s.role == Role.ADMIN for s in st]),
            "username": [s.username for s in st],
            "first_name": [s.first_name for s in st],
            "last_name": [s.last_name for s in st],
            "email": [f"{s.username}@bankcrm.example" for s in st],
            "is_staff": np.array([s.role == Role.ADMIN for s in st]),
            "is_active": np.ones(len(st), dtype=bool),
            "date_joined": seconds_to_datetimes(joined),
            "role": [str(s.role) for s in st],
            "branch_id": np.array([br[s.branch].id for s in st], dtype=np.int64),
            "name_zh": [s.name_zh for s in st],
        },
    )
    products = Batch(
        Product,
        {
            "id": plan.product_ids,
            "code": [p.code for p in PRODUCTS],
            "name_zh": [p.zh for p in PRODUCTS],
            "name_en": [p.en for p in PRODUCTS],
            "category": [p.category for p in PRODUCTS],
            "risk_level": [p.risk for p in PRODUCTS],
            "term_months": [p.term_months for p in PRODUCTS],
            "rate": [None if p.rate is None else Decimal(p.rate) for p in PRODUCTS],
            "min_amount": [Decimal(p.min_amount).quantize(Decimal("0.01")) for p in PRODUCTS],
            "status": [str(p.status) for p in PRODUCTS],
        },
    )
    return [branches, users, products]
