"""The personal-information inventory's masks and look-ups (tests/house/test_pii_inventory.py
checks that it covers every field of every model)."""

from __future__ import annotations

import pytest
from django.apps import apps

from bankcrm.core import pii
from bankcrm.core.pii import DataClass
from bankcrm.customers.models import Customer
from bankcrm.customers.services import REVEALABLE


def test_the_masked_fields_of_a_customer_are_the_ones_the_reveal_gives():
    assert pii.masked_fields(Customer) == REVEALABLE
    found = pii.fields_of_class(DataClass.IDENTITY_NUMBER, DataClass.MOBILE)
    # The customer's own identifiers, and any other app's (a lead's, a ticket's contact) beside.
    assert {
        ("customers.customer", "id_number"),
        ("customers.customer", "mobile"),
        ("customers.customeralias", "id_number"),
    } <= set(found)
    assert found == sorted(found)
    for label, field in found:
        apps.get_model(label)._meta.get_field(field)  # each names a real field


def test_data_class_names_the_class_none_for_reviewed_and_refuses_unknown_fields():
    assert pii.data_class(Customer, "birth_date") == DataClass.BIRTH_DATE
    assert pii.data_class("banking.account", "balance") == DataClass.FINANCIAL
    assert pii.data_class(Customer, "customer_no") is None
    with pytest.raises(KeyError, match="customers.customer.nickname"):
        pii.data_class(Customer, "nickname")
    assert ("core.auditevent", "changes") in pii.pii_fields()
    assert ("customers.customer", "version") not in pii.pii_fields()


def test_mask_changes_masks_identifiers_before_and_after_and_nothing_else():
    changes = {
        "mobile": ["13812345678", "13900001111"],
        "id_number": [None, "11010519491231002X"],
        "name_en": ["Zhang Xiuying", "Zhang Xiu Ying"],
    }
    assert pii.mask_changes(Customer, changes) == {
        "mobile": ["138****5678", "139****1111"],
        "id_number": [None, "110***********002X"],
        "name_en": ["Zhang Xiuying", "Zhang Xiu Ying"],
    }
    # A snapshot (field → value) is masked the same way; masking twice changes nothing.
    once = pii.mask_changes(Customer, {"mobile": "13812345678", "id_last4": "002X"})
    assert once == {"mobile": "138****5678", "id_last4": "002X"}
    assert pii.mask_changes(Customer, once) == once
    assert pii.mask_field("customers.customeralias", "id_number", "E12345678") == "E12**5678"
    assert pii.mask_field("banking.product", "code", "P0001") == "P0001"
