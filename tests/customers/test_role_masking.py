"""Other personal fields by role (issue 15, finding 10): marketing reads a customer's email,
address, birth date and what staff wrote about them only coarsened, on the 360 page and in the
API; the roles that serve and audit customers read them in full."""

from __future__ import annotations

import datetime as dt

import pytest

from bankcrm.core.pii import ROLE_COARSENED, data_class
from tests.factories import InteractionFactory, TaskFactory

EMAIL = "zhang.xiuying@example.cn"
ADDRESS = "北京市朝阳区建国路88号院3号楼1201"
NOTES = "客户提到下月出国，孩子留学费用约50万"


@pytest.fixture
def detailed(bank):
    c = bank.mine
    c.email, c.address, c.birth_date = EMAIL, ADDRESS, dt.date(1985, 6, 15)
    c.save()
    InteractionFactory(customer=c, subject="电话回访", notes=NOTES)
    TaskFactory(customer=c, title="跟进", notes=NOTES)
    return c


def test_every_coarsened_field_is_in_the_inventory(db):
    for label, name in ROLE_COARSENED:
        assert data_class(label, name) is not None


@pytest.mark.django_db
def test_marketing_sees_contact_details_birth_date_and_notes_only_coarsened(bank, login, detailed):
    c = detailed
    client = login(bank.marketing)
    for url in (f"/api/v1/customers/{c.pk}/360", f"/api/v1/customers/{c.pk}"):
        body = client.get(url).json()
        customer = body.get("customer", body)
        assert customer["email"] == "z***@example.cn"
        assert customer["address"] == "北京市朝阳区…"
        assert customer["birth_date"] is None
        text = str(body)
        assert (
            EMAIL not in text and ADDRESS not in text and NOTES not in text and "1985" not in text
        )
    page = client.get(f"/customers/{c.pk}/").content.decode()
    assert EMAIL not in page and ADDRESS not in page and NOTES not in page
    assert "1985-06-15" not in page
    assert "电话回访" in page  # the timeline itself stays


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["rm", "branch_manager", "service", "compliance", "admin"])
def test_the_roles_that_serve_and_audit_customers_see_them_in_full(bank, login, detailed, role):
    body = login(bank.user(role)).get(f"/api/v1/customers/{detailed.pk}/360").json()
    assert body["customer"]["email"] == EMAIL and body["customer"]["address"] == ADDRESS
    assert body["customer"]["birth_date"] == "1985-06-15"
    assert NOTES in str(body["interactions"]) and NOTES in str(body["tasks"])
