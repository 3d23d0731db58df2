"""Duplicate candidates with their evidence, and merges (including the refusal)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from bankcrm.banking.models import Account, BalanceSnapshot, Transaction
from bankcrm.core.models import AuditEvent
from bankcrm.customers.merging import MergeRefused, customer_merge, duplicate_candidates
from bankcrm.customers.models import (
    ConsentEvent,
    Customer,
    CustomerAlias,
    GroupMembership,
    RelationshipGroup,
)
from bankcrm.interactions.models import Interaction
from tests.factories import (
    AccountFactory,
    ConsentFactory,
    CustomerFactory,
    InteractionFactory,
    SnapshotFactory,
    TransactionFactory,
    resident_id,
)


def person(name: str, **kw) -> Customer:
    defaults = {
        "name_zh": name,
        "mobile": "",
        "birth_date": None,
        "id_number": "",
        "id_last4": "",
        "email": "",
    }
    return CustomerFactory(**{**defaults, **kw})


def pairs(cands) -> dict[tuple[str, str], set[str]]:
    return {
        (c.first.customer_no, c.second.customer_no): {e.rule for e in c.evidence} for c in cands
    }


@pytest.mark.django_db
def test_each_rule_finds_its_pair_and_nothing_else():
    rid = resident_id(7)
    a = person("王芳", customer_no="A1", id_number=rid, id_last4=rid[-4:])
    b = person("王芳", customer_no="A2", id_number=rid, id_last4=rid[-4:], mobile="13900000001")
    c = person("李伟", customer_no="B1", mobile="13900000002")
    d = person("李伟", customer_no="B2", mobile="13900000002")
    e = person("张秀英", customer_no="C1", birth_date=dt.date(1970, 1, 2))
    f = person("张秀英", customer_no="C2", birth_date=dt.date(1970, 1, 2))
    g = person("陈静", customer_no="D1", mobile="13900000003")
    h = person("陈晶", customer_no="D2", mobile="13900000003")  # one character apart
    person("刘洋", customer_no="E1", mobile="13900000004")
    person("赵强", customer_no="E2", mobile="13900000005", birth_date=dt.date(1970, 1, 2))
    found = pairs(duplicate_candidates())
    assert found == {
        (a.customer_no, b.customer_no): {"resident_id"},
        (c.customer_no, d.customer_no): {"name_mobile"},
        (e.customer_no, f.customer_no): {"name_birth"},
        (g.customer_no, h.customer_no): {"similar_name_mobile"},
    }
    ranked = duplicate_candidates()
    assert ranked[0].evidence[0].rule == "resident_id" and ranked[0].strength >= 100
    assert all(not c.blocked for c in ranked)


@pytest.mark.django_db
def test_same_name_and_mobile_with_different_resident_ids_is_listed_but_blocked():
    a = person("王芳", customer_no="X1", mobile="13900000009", id_number=resident_id(1))
    b = person("王芳", customer_no="X2", mobile="13900000009", id_number=resident_id(3))
    (cand,) = duplicate_candidates()
    assert (cand.first, cand.second) == (a, b)
    assert "different resident ID" in cand.blocked


@pytest.mark.django_db
def test_merge_moves_everything_keeps_the_alias_and_is_audited(bank):
    survivor = person("王芳", customer_no="S1", mobile="13900000001", branch=bank.beijing)
    rid = resident_id(11)
    merged = person(
        "王芳",
        customer_no="M1",
        mobile="13900000001",
        email="wang@example.cn",
        id_number=rid,
        id_last4=rid[-4:],
        branch=bank.beijing,
    )
    acc = AccountFactory(customer=merged, balance=Decimal("5000.00"))
    SnapshotFactory(account=acc)
    TransactionFactory(account=acc)
    InteractionFactory(customer=merged)
    at = timezone.now()
    ConsentFactory(customer=merged, recorded_at=at)
    ConsentFactory(customer=survivor, recorded_at=at)  # the same event on both: kept once
    ConsentFactory(customer=merged, channel="email", recorded_at=at)
    group = RelationshipGroup.objects.create(name="王家", kind="household")
    GroupMembership.objects.create(group=group, customer=merged, role="head")
    GroupMembership.objects.create(group=group, customer=survivor, role="spouse")
    other = RelationshipGroup.objects.create(name="另一家", kind="household")
    GroupMembership.objects.create(group=other, customer=merged, role="child")

    result = customer_merge(
        survivor=survivor, merged=merged, actor=bank.admin, reason="同一客户两次开户"
    )

    assert not Customer.objects.filter(customer_no="M1").exists()
    assert Account.objects.get(pk=acc.pk).customer_id == survivor.pk
    assert Transaction.objects.filter(customer=survivor).count() == 1
    assert BalanceSnapshot.objects.filter(customer=survivor).count() == 1
    assert Interaction.objects.filter(customer=survivor).count() == 1
    assert ConsentEvent.objects.filter(customer=survivor).count() == 2
    assert sorted(
        GroupMembership.objects.filter(customer=survivor).values_list("group__name", "role")
    ) == [("另一家", "child"), ("王家", "spouse")]
    survivor.refresh_from_db()
    assert survivor.email == "wang@example.cn" and survivor.id_number == rid
    assert survivor.aum == Decimal("5000.00")
    alias = CustomerAlias.objects.get(customer_no="M1")
    assert alias.customer == survivor and alias.id_number == rid and alias.merged_at
    assert result.moved["banking.account"] == 1 and result.dropped["customers.consentevent"] == 1
    events = AuditEvent.objects.filter(purpose__in=["merge", "同一客户两次开户"])
    assert {e.action for e in events} == {"update", "delete"}
    update = events.get(action="update")
    assert update.changes["merged"] == "M1" and update.customer_id == survivor.pk
    assert update.actor == bank.admin


@pytest.mark.django_db
def test_merge_across_different_resident_ids_is_refused_and_changes_nothing(bank):
    a = person("王芳", customer_no="R1", id_number=resident_id(21))
    b = person("王芳", customer_no="R2", id_number=resident_id(23))
    AccountFactory(customer=b)
    with pytest.raises(MergeRefused, match="different resident ID"):
        customer_merge(survivor=a, merged=b, actor=bank.admin, reason="?")
    assert Customer.objects.filter(customer_no__in=["R1", "R2"]).count() == 2
    assert Account.objects.get().customer == b
    assert not CustomerAlias.objects.exists()
    with pytest.raises(MergeRefused):
        customer_merge(survivor=a, merged=a, actor=bank.admin, reason="x")
    corp = person("某公司", customer_no="R3", kind="corporate", id_type="uscc")
    with pytest.raises(MergeRefused):
        customer_merge(survivor=a, merged=corp, actor=bank.admin, reason="x")
    with pytest.raises(MergeRefused):
        customer_merge(survivor=a, merged=b, actor=bank.admin, reason=" ")


@pytest.mark.django_db
def test_the_steward_page_lists_masked_evidence_and_merges(bank):
    from django.test import Client
    from django.urls import reverse

    rid = resident_id(31)
    a = person("周强", customer_no="P1", id_number=rid, id_last4=rid[-4:], branch=bank.beijing)
    b = person("周强", customer_no="P2", id_number=rid, id_last4=rid[-4:], branch=bank.beijing)
    compliance = Client()
    compliance.force_login(bank.compliance)
    page = compliance.get(reverse("customers:duplicates")).content.decode()
    assert "P1" in page and "P2" in page and "Same resident ID number" in page
    assert rid not in page and rid[-4:] in page  # masked
    assert 'data-testid="merge-form"' not in page
    assert (
        compliance.post(reverse("customers:merge"), {"survivor": a.pk, "merged": b.pk}).status_code
        == 403
    )

    admin = Client()
    admin.force_login(bank.admin)
    assert 'data-testid="merge-form"' in admin.get(reverse("customers:duplicates")).content.decode()
    response = admin.post(
        reverse("customers:merge"), {"survivor": a.pk, "merged": b.pk, "reason": "重复开户"}
    )
    assert response.status_code == 302 and response.url == a.get_absolute_url()
    assert CustomerAlias.objects.get(customer_no="P2").customer == a
    assert AuditEvent.objects.filter(object_type="customers.duplicates", action="view").count() == 2


@pytest.mark.django_db
def test_a_pair_judged_different_people_is_no_longer_proposed(bank):
    from django.test import Client
    from django.urls import reverse

    a = person("王芳", customer_no="W1", mobile="13900000011")
    b = person("王芳", customer_no="W2", mobile="13900000011")
    assert len(duplicate_candidates()) == 1
    admin = Client()
    admin.force_login(bank.admin)
    response = admin.post(
        reverse("customers:dismiss"), {"first": b.pk, "second": a.pk, "reason": "母女同名同号"}
    )
    assert response.status_code == 302
    assert duplicate_candidates() == []
    event = AuditEvent.objects.get(object_type="customers.duplicatedismissal")
    assert event.changes["not_duplicates"] == ["W1", "W2"] and event.actor == bank.admin
    # A later merge of one of them drops the decision with the merged record.
    c = person("王芳", customer_no="W3", mobile="13900000011")
    customer_merge(survivor=c, merged=b, actor=bank.admin, reason="重复")
    assert [(x.first, x.second) for x in duplicate_candidates()] == [(a, c)]
