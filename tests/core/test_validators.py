"""Resident ID (GB 11643), USCC (GB 32100), +86 mobile and money: examples and properties."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from bankcrm.core.validators import (
    format_cny,
    normalize_mobile,
    parse_money,
    resident_id_birth_date,
    resident_id_check_char,
    resident_id_gender,
    uscc_check_char,
    validate_mobile,
    validate_resident_id,
    validate_uscc,
)


def test_published_resident_id_example_passes():
    # The worked example from GB 11643-1999, Appendix: 11010519491231002X.
    validate_resident_id("11010519491231002X")
    assert resident_id_check_char("11010519491231002") == "X"
    assert resident_id_birth_date("11010519491231002X") == dt.date(1949, 12, 31)
    assert resident_id_gender("11010519491231002X") == "female"


def test_wrong_check_digit_is_rejected_with_a_clear_code():
    with pytest.raises(ValidationError) as exc:
        validate_resident_id("110105194912310021")
    assert exc.value.code == "id_check_digit"


def test_impossible_birth_date_is_rejected():
    first17 = "11010519490231002"
    with pytest.raises(ValidationError) as exc:
        validate_resident_id(first17 + resident_id_check_char(first17))
    assert exc.value.code == "id_birth_date"


birth_dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2025, 12, 31))
areas = st.sampled_from(["110101", "310101", "440103", "440304", "330106", "510104"])


@given(area=areas, birth=birth_dates, seq=st.integers(0, 999))
def test_any_id_with_its_computed_check_char_validates(area, birth, seq):
    first17 = f"{area}{birth:%Y%m%d}{seq:03d}"
    rid = first17 + resident_id_check_char(first17)
    validate_resident_id(rid)
    assert resident_id_birth_date(rid) == birth
    assert resident_id_gender(rid) == ("male" if seq % 2 else "female")


@given(
    area=areas,
    birth=birth_dates,
    seq=st.integers(0, 999),
    pos=st.integers(0, 16),
    delta=st.integers(1, 9),
)
def test_changing_any_single_digit_breaks_the_check(area, birth, seq, pos, delta):
    first17 = f"{area}{birth:%Y%m%d}{seq:03d}"
    rid = first17 + resident_id_check_char(first17)
    mutated = rid[:pos] + str((int(rid[pos]) + delta) % 10) + rid[pos + 1 :]
    # GB 11643 detects every single-digit error: the weights are non-zero mod 11.
    with pytest.raises(ValidationError):
        validate_resident_id(mutated)


def test_published_uscc_example_passes():
    validate_uscc("91350100M000100Y43")
    assert uscc_check_char("91350100M000100Y4") == "3"
    with pytest.raises(ValidationError):
        validate_uscc("91350100M000100Y44")


@given(
    st.from_regex(r"1[3-9]\d{9}", fullmatch=True),
    st.sampled_from(["", "+86", "+86 ", "0086", "86"]),
)
def test_mainland_mobiles_validate_with_any_prefix(number, prefix):
    validate_mobile(prefix + number)
    assert normalize_mobile(prefix + number) == number


@pytest.mark.parametrize(
    "bad", ["+85261234567", "12812345678", "1381234567", "138123456789", "+1 4155550100", "abc"]
)
def test_non_mainland_or_malformed_mobiles_are_rejected(bad):
    with pytest.raises(ValidationError):
        validate_mobile(bad)


@given(
    st.decimals(
        min_value=Decimal("-1e12"),
        max_value=Decimal("1e12"),
        places=2,
        allow_nan=False,
        allow_infinity=False,
    )
)
def test_money_round_trips_through_cny_formatting(amount):
    text = format_cny(amount)
    assert text.startswith("-¥" if amount < 0 else "¥")
    assert parse_money(text.replace("-¥", "-").replace("¥", "")) == amount


@pytest.mark.parametrize(
    "text,expected",
    [
        ("¥1,234.56", Decimal("1234.56")),
        ("１２３４．５", Decimal("1234.50")),
        ("CNY 10", Decimal("10.00")),
        ("0.005", Decimal("0.01")),
    ],
)
def test_money_parses_common_bank_spellings(text, expected):
    assert parse_money(text) == expected


@pytest.mark.parametrize("bad", ["12a", "", "NaN", "1.2.3"])
def test_money_rejects_non_amounts(bad):
    with pytest.raises(ValidationError):
        parse_money(bad)
