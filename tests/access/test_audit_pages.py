"""The compliance pages: chain state and verification, the CSV export, the access report."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection

from bankcrm.core import chain
from bankcrm.core.models import AuditAction, AuditEvent, AuditVerification, ChainStatus
from bankcrm.customers import services


@pytest.mark.django_db
def test_compliance_verifies_the_chain_from_the_audit_page(bank, login):
    services.customer_viewed(actor=bank.rm, customer=bank.mine)
    client = login(bank.compliance)
    assert "never checked" in client.get("/audit/").content.decode()
    response = client.post("/audit/verify/", follow=True)
    html = response.content.decode()
    assert "The audit chain is intact" in html
    check = AuditVerification.objects.get()
    assert check.status == ChainStatus.INTACT
    assert check.actor_username == "audit"
    assert check.checked >= 1
    assert AuditEvent.objects.filter(action=AuditAction.VERIFY, actor=bank.compliance).exists()


@pytest.mark.django_db
def test_a_broken_chain_is_shown_with_the_first_broken_event(bank, login):
    services.customer_viewed(actor=bank.rm, customer=bank.mine)
    services.customer_viewed(actor=bank.rm, customer=bank.other)
    chain.chain_seal()
    victim = AuditEvent.objects.get(seq=2)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SET session_replication_role = replica")
        cur.execute("UPDATE core_auditevent SET purpose = 'x' WHERE id = %s", [victim.pk])
        if connection.vendor == "postgresql":
            cur.execute("SET session_replication_role = origin")
    client = login(bank.compliance)
    html = client.post("/audit/verify/", follow=True).content.decode()
    assert "broken at position 2" in html
    assert f"(event {victim.pk})" in html


@pytest.mark.django_db
def test_the_export_is_a_csv_of_the_filtered_events_and_is_audited(bank, login):
    services.customer_viewed(actor=bank.rm, customer=bank.mine)
    services.customer_viewed(actor=bank.rm2, customer=bank.other)
    client = login(bank.admin)
    response = client.get("/audit/export.csv", {"actor": "rm_b"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["actor_username"] for r in rows] == ["rm_b"]
    assert rows[0]["customer_id"] == str(bank.other.pk)
    export = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert export.actor == bank.admin
    assert export.changes["by"] == "rm_b" and export.changes["events"] == 1


@pytest.mark.django_db
def test_access_report_answers_who_looked_at_a_customer_when_and_why(bank, login):
    services.customer_viewed(actor=bank.rm, customer=bank.mine)
    services.customer_reveal(
        actor=bank.rm, customer=bank.mine, field="mobile", reason="客户来电核实身份"
    )
    services.customer_viewed(actor=bank.rm2, customer=bank.other)  # another customer
    client = login(bank.compliance)
    html = client.get(f"/audit/customers/{bank.mine.pk}/").content.decode()
    assert "客户来电核实身份" in html
    assert "rm_a" in html and "rm_b" not in html
    response = client.get(f"/audit/customers/{bank.mine.pk}/", {"format": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    purposes = [r[3] for r in rows[1:]]
    # Newest first: the report's own first view, the reveal, the RM's 360 view.
    assert purposes == [
        "personal information access report",
        "personal information access report",
        "客户来电核实身份",
        "customer 360",
    ]
    assert client.get("/audit/customers/999999/").status_code == 404


@pytest.mark.django_db
def test_auditors_see_the_access_report_link_on_the_360_page(bank, login):
    assert (
        "access-report"
        in login(bank.compliance).get(f"/customers/{bank.mine.pk}/").content.decode()
    )
    assert "access-report" not in login(bank.rm).get(f"/customers/{bank.mine.pk}/").content.decode()


@pytest.mark.django_db
def test_the_audit_filter_and_export_take_a_merged_customer_number_and_refuse_an_unknown_one(
    bank, login
):
    from bankcrm.customers.models import CustomerAlias

    CustomerAlias.objects.create(customer=bank.mine, customer_no="OLD0001")
    services.customer_viewed(actor=bank.rm, customer=bank.mine)
    services.customer_viewed(actor=bank.rm, customer=bank.other)
    client = login(bank.compliance)
    page = client.get("/audit/", {"customer": "old0001"})
    assert {e.customer_id for e in page.context["page"]} == {bank.mine.pk}
    export = client.get("/audit/export.csv", {"customer": bank.mine.customer_no})
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows and {r["customer_id"] for r in rows} == {str(bank.mine.pk)}
    nobody = client.get("/audit/", {"customer": "C0000000283"})
    assert list(nobody.context["page"]) == []
    assert "No customer has the number or id" in nobody.content.decode()
