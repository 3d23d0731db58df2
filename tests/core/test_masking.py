from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bankcrm.core.masking import mask_mobile, mask_resident_id


def test_masks_match_the_bank_display_convention():
    assert mask_resident_id("11010519491231002X") == "110***********002X"
    assert mask_mobile("13812345678") == "138****5678"


# Generating from a regex is slow on a busy machine; the property is what is checked.
@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.from_regex(r"[1-9]\d{16}[\dX]", fullmatch=True))
def test_a_masked_id_hides_the_birth_date_and_sequence(rid):
    masked = mask_resident_id(rid)
    assert len(masked) == 18
    assert masked[3:14] == "*" * 11
    assert rid[6:14] not in masked


def test_empty_values_mask_to_empty():
    assert mask_resident_id("") == "" and mask_mobile(None) == ""


def test_card_numbers_keep_first_6_and_last_4_and_other_accounts_last_4():
    from bankcrm.core.masking import is_card_number, mask_account_number

    assert mask_account_number("6258001234567890123") == "625800*********0123"
    assert mask_account_number("6222000000000042") == "622200******0042"
    assert mask_account_number("LN0000000001234") == "***********1234"
    assert mask_account_number("123") == "***"
    assert mask_account_number("") == ""
    assert is_card_number("6258001234567890123") and not is_card_number("WM0000000001234")


def test_account_numbers_by_role_cards_masked_for_all(bank):
    from bankcrm.core.pii import account_number_shown

    for user in (bank.rm, bank.manager, bank.admin):
        assert account_number_shown("LN0000000001234", user) == "LN0000000001234"
        assert account_number_shown("6258001234567890123", user) == "625800*********0123"
    for user in (bank.marketing, bank.service, bank.compliance):
        assert account_number_shown("LN0000000001234", user) == "***********1234"
