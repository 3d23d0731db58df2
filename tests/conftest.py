"""Shared fixtures: a small bank with two branches, staff in every role, and their customers."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest
from django.db.backends.signals import connection_created
from django.dispatch import receiver
from django.test import Client

from bankcrm.core.models import Branch, User
from bankcrm.customers.models import Customer
from tests.factories import BranchFactory, CustomerFactory, UserFactory

PASSWORD = "correct-horse-42"


@receiver(connection_created)
def _allow_test_truncate(sender, connection, **kwargs):
    """The audit table refuses TRUNCATE; the harness resets its test database with one."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SET bankcrm.allow_truncate = 'on'")


@pytest.fixture(autouse=True)
def _one_factor(settings):
    """Tests log in with force_login; tests/core/test_two_factor.py turns the second factor on."""
    settings.BANKCRM_2FA_REQUIRED_ROLES = frozenset()


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit counters live in the process's cache: each test starts with none."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _job_folders(settings, tmp_path_factory):
    """Uploads, error reports and job locks of each test in a temp folder. Without a broker
    (the tests' default) jobs run eagerly, once the transaction that enqueued them commits."""
    settings.BANKCRM_IMPORT_DIR = tmp_path_factory.mktemp("imports")


@dataclass
class Bank:
    head: Branch
    beijing: Branch
    shanghai: Branch
    rm: User
    rm2: User
    rm_sh: User
    manager: User
    marketing: User
    service: User
    compliance: User
    admin: User
    mine: Customer  # rm's customer in Beijing
    other: Customer  # rm2's customer in Beijing
    far: Customer  # rm_sh's customer in Shanghai

    def user(self, role: str) -> User:
        return {
            "rm": self.rm,
            "branch_manager": self.manager,
            "marketing": self.marketing,
            "service": self.service,
            "compliance": self.compliance,
            "admin": self.admin,
        }[role]


@pytest.fixture
def bank(db) -> Bank:
    head = BranchFactory(code="HQ", name_zh="总行", name_en="Head Office", city="北京")
    bj = BranchFactory(code="BJ", name_zh="北京分行", name_en="Beijing Branch", parent=head)
    sh = BranchFactory(
        code="SH", name_zh="上海分行", name_en="Shanghai Branch", city="上海", parent=head
    )
    rm = UserFactory(username="rm_a", role="rm", branch=bj, name_zh="王经理")
    rm2 = UserFactory(username="rm_b", role="rm", branch=bj)
    rm_sh = UserFactory(username="rm_sh", role="rm", branch=sh)
    manager = UserFactory(username="mgr_bj", role="branch_manager", branch=bj)
    return Bank(
        head=head,
        beijing=bj,
        shanghai=sh,
        rm=rm,
        rm2=rm2,
        rm_sh=rm_sh,
        manager=manager,
        marketing=UserFactory(username="mkt", role="marketing", branch=head),
        service=UserFactory(username="svc", role="service", branch=head),
        compliance=UserFactory(username="audit", role="compliance", branch=head),
        admin=UserFactory(username="root", role="admin", branch=head, is_staff=True),
        mine=CustomerFactory(branch=bj, rm=rm, name_zh="张秀英", name_en="Zhang Xiuying"),
        other=CustomerFactory(branch=bj, rm=rm2, name_zh="李伟", name_en="Li Wei"),
        far=CustomerFactory(branch=sh, rm=rm_sh, name_zh="陈静", name_en="Chen Jing"),
    )


@pytest.fixture
def login(client):
    def _login(user: User) -> Client:
        client.force_login(user)
        return client

    return _login


def on_postgres() -> bool:
    return os.environ.get("BANKCRM_DATABASE_URL", "").startswith("postgres")
