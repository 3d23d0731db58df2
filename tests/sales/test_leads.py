"""Leads: the duplicate check before creation, qualification, conversion keeping the history,
and the CSV import's row/field/why errors."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from bankcrm.core.models import AuditEvent
from bankcrm.customers.models import Customer, RmAssignment
from bankcrm.interactions.models import Interaction
from bankcrm.sales import imports, services
from bankcrm.sales.models import Lead, LeadStatus, Opportunity
from bankcrm.sales.selectors import lead_duplicates
from tests.factories import CustomerFactory, ProductFactory, resident_id

pytestmark = pytest.mark.django_db


def _data(bank, **extra):
    return {"name": "赵敏", "mobile": "13900001111", "source": "walk_in", **extra}


def test_a_lead_with_a_customers_resident_id_is_refused_and_names_the_customer(bank):
    number = resident_id(777)
    c = CustomerFactory(branch=bank.beijing, rm=bank.rm, id_number=number)
    with pytest.raises(services.DuplicateLead) as refused:
        services.lead_create(actor=bank.rm, data=_data(bank, id_number=number))
    assert [(x.pk, fields) for x, fields in refused.value.check.customers] == [
        (c.pk, ["id_number"])
    ]
    assert not Lead.objects.exists()


def test_the_mobile_and_the_name_with_birth_date_find_the_customer_too(bank):
    CustomerFactory(branch=bank.beijing, rm=bank.rm, mobile="13911112222")
    CustomerFactory(branch=bank.beijing, rm=bank.rm, name_zh="钱进", birth_date=dt.date(1980, 1, 2))
    by_mobile = lead_duplicates(user=bank.rm, mobile="139 1111 2222")
    assert [f for _c, f in by_mobile.customers] == [["mobile"]]
    by_name = lead_duplicates(user=bank.rm, name="钱进", birth_date=dt.date(1980, 1, 2))
    assert [f for _c, f in by_name.customers] == [["name_birth_date"]]
    assert not lead_duplicates(user=bank.rm, name="钱进", birth_date=dt.date(1981, 1, 2)).found


def test_a_match_outside_the_rms_scope_is_counted_not_named(bank):
    CustomerFactory(branch=bank.shanghai, rm=bank.rm_sh, mobile="13922223333")
    check = lead_duplicates(user=bank.rm, mobile="13922223333")
    assert check.customers == [] and check.elsewhere == 1


def test_confirming_someone_else_creates_the_lead_for_the_rm_with_the_id_encrypted(bank):
    number = resident_id(778)
    CustomerFactory(branch=bank.beijing, rm=bank.rm, id_number=number)
    lead = services.lead_create(
        actor=bank.rm, data=_data(bank, id_number=number), allow_duplicate=True
    )
    assert (lead.rm, lead.branch, lead.id_last4) == (bank.rm, bank.beijing, number[-4:])
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT id_number, mobile FROM sales_lead WHERE id = %s", [lead.pk])
        stored = cur.fetchone()
    assert number not in stored[0] and "13900001111" not in stored[1]
    event = AuditEvent.objects.get(object_type="sales.lead", action="create")
    assert number not in str(event.changes)


def test_a_referral_keeps_its_referrer_and_requires_one(bank):
    with pytest.raises(ValidationError) as missing:
        services.lead_create(actor=bank.rm, data=_data(bank, source="customer_referral"))
    assert "referrer_customer" in missing.value.message_dict
    lead = services.lead_create(
        actor=bank.rm, data=_data(bank, source="customer_referral", referrer_customer=bank.mine)
    )
    assert bank.mine.referred_leads.get() == lead
    staff = services.lead_create(
        actor=bank.rm,
        data=_data(bank, mobile="13900001112", source="staff_referral", referrer_staff=bank.rm2),
    )
    assert staff.referrer_staff == bank.rm2


def test_a_campaign_response_stores_its_campaign_reference(bank):
    lead = services.lead_create(
        actor=bank.rm, data=_data(bank, source="campaign", campaign_ref="2026-双十二理财")
    )
    assert lead.campaign_ref == "2026-双十二理财"


def test_conversion_makes_a_customer_with_the_first_product_and_moves_the_history(bank):
    product = ProductFactory(code="TD1Y", category="time_deposit", risk_level="R1")
    lead = services.lead_create(actor=bank.rm, data=_data(bank, birth_date=dt.date(1990, 5, 5)))
    services.lead_log_activity(actor=bank.rm, lead=lead, kind="call", subject="首次来电")
    services.lead_qualify(
        actor=bank.rm, lead=lead, need="定期存款", product_interest=product, expected_aum=None
    )
    done = services.lead_convert(actor=bank.rm, lead=lead, product=product, amount=Decimal("50000"))
    customer = Customer.objects.get(pk=done.customer.pk)
    assert (customer.name_zh, customer.mobile, customer.rm) == ("赵敏", "13900001111", bank.rm)
    assert customer.aum == Decimal("50000.00")
    subjects = set(Interaction.objects.filter(customer=customer).values_list("subject", flat=True))
    assert "首次来电" in subjects and len(subjects) == 2
    assert RmAssignment.objects.filter(customer=customer, reason="onboarding").exists()
    assert Opportunity.objects.get(customer=customer).stage == "won"
    lead.refresh_from_db()
    assert (lead.status, lead.customer) == (LeadStatus.CONVERTED, customer)
    with pytest.raises(ValidationError):
        services.lead_convert(actor=bank.rm, lead=lead, product=product, amount=Decimal("1"))


def test_the_import_reports_each_refused_row_and_saves_nothing(bank):
    CustomerFactory(branch=bank.beijing, rm=bank.rm, mobile="13933334444")
    csv = (
        "name,mobile,birth_date,source,rm,expected_aum\n"
        "孙丽,13933330001,1985-01-01,web_form,rm_a,200000\n"
        "周杰,13933334444,,,,\n"
        "吴昊,12345,,,,\n"
        "郑爽,13933330002,not-a-date,,,\n"
        "王五,13933330003,,,nobody,\n"
    ).encode()
    result = imports.leads_import(actor=bank.manager, data=csv)
    assert result.saved == 0 and not Lead.objects.exists()
    got = [(e.line, e.column) for e in result.errors]
    assert got == [(3, "mobile"), (4, "mobile"), (5, "birth_date"), (6, "rm")]
    assert result.errors[0].value == "139****4444"  # masked in the report
    ok = imports.leads_import(
        actor=bank.manager, data="name,mobile,rm\n孙丽,13933330001,rm_a\n".encode("gb18030")
    )
    assert ok.saved == 1 and Lead.objects.get().rm == bank.rm
