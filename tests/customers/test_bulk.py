"""Bulk actions and exports on the customer list: scope, masking, formula cells, the rules."""

from __future__ import annotations

import csv
import io

import pytest

from bankcrm.core.tables import safe_cell, table_bytes
from bankcrm.customers.models import Customer


def test_a_cell_a_spreadsheet_would_run_is_neutralised():
    assert safe_cell('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert (
        safe_cell("+86 138") == "'+86 138" and safe_cell("张三") == "张三" and safe_cell(-5) == -5
    )
    text = table_bytes(["a"], [["@SUM(A1)"]], "csv").decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text))) == [["a"], ["'@SUM(A1)"]]


@pytest.mark.django_db
def test_an_rms_export_holds_only_their_customers_even_when_others_are_named(bank, login):
    client = login(bank.rm)
    ids = f"ids={bank.mine.pk}&ids={bank.other.pk}&ids={bank.far.pk}"
    text = client.get(f"/customers/export/?format=csv&{ids}").content.decode("utf-8-sig")
    names = {r["Name"] for r in csv.DictReader(io.StringIO(text))}
    assert names == {"张秀英"}


@pytest.mark.django_db
def test_the_service_agent_may_not_export_and_an_rm_may_not_reassign(bank, login):
    assert login(bank.service).get("/customers/export/").status_code == 403
    response = login(bank.rm).post(
        "/customers/bulk/reassign/", {"rm": bank.rm.pk, "ids": bank.mine.pk}
    )
    assert response.status_code == 403


@pytest.mark.django_db
def test_a_manager_cannot_hand_customers_to_an_rm_of_another_branch(bank, login):
    client = login(bank.manager)
    response = client.post("/customers/bulk/reassign/", {"rm": bank.rm_sh.pk, "ids": bank.mine.pk})
    assert response.status_code == 403
    assert Customer.objects.get(pk=bank.mine.pk).rm_id == bank.rm.pk
