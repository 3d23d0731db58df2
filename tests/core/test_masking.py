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
