"""Validators for Chinese identity numbers, mobiles and money, shared by forms, API and import."""

from __future__ import annotations

import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# GB 11643-1999: weights 2^(17-i) mod 11 and the check-character table.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^[1-9]\d{5}(\d{4})(\d{2})(\d{2})\d{3}[\dX]$")


def resident_id_check_char(first17: str) -> str:
    """Return the GB 11643 check character for the first 17 digits of a resident ID."""
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def normalize_resident_id(value: str) -> str:
    return value.strip().upper().replace(" ", "")


def validate_resident_id(value: str) -> None:
    """Validate an 18-character resident ID: format, birth date and GB 11643 check digit."""
    v = normalize_resident_id(value)
    m = _ID_RE.match(v)
    if not m:
        raise ValidationError(
            _("A resident ID number has 18 characters: 17 digits then a digit or X."),
            code="id_format",
        )
    try:
        date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise ValidationError(
            _("The birth date inside the resident ID number is not a real date."),
            code="id_birth_date",
        ) from None
    if resident_id_check_char(v[:17]) != v[17]:
        raise ValidationError(
            _("The resident ID number's check digit is wrong (GB 11643); please check it."),
            code="id_check_digit",
        )


def resident_id_birth_date(value: str) -> date:
    v = normalize_resident_id(value)
    return date(int(v[6:10]), int(v[10:12]), int(v[12:14]))


def resident_id_gender(value: str) -> str:
    return "male" if int(normalize_resident_id(value)[16]) % 2 else "female"


# GB 32100-2015 unified social credit code.
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check_char(first17: str) -> str:
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_CHARS[(31 - total % 31) % 31]


def validate_uscc(value: str) -> None:
    """Validate an 18-character unified social credit code (GB 32100 check character)."""
    v = value.strip().upper()
    if len(v) != 18 or any(c not in _USCC_CHARS for c in v):
        raise ValidationError(
            _("A unified social credit code has 18 digits or capital letters (no I, O, S, V, Z)."),
            code="uscc_format",
        )
    if uscc_check_char(v[:17]) != v[17]:
        raise ValidationError(
            _("The unified social credit code's check character is wrong (GB 32100)."),
            code="uscc_check",
        )


def validate_passport(value: str) -> None:
    if not re.fullmatch(r"[A-Z0-9]{5,17}", value.strip().upper()):
        raise ValidationError(
            _("A passport number has 5 to 17 letters or digits."), code="passport_format"
        )


_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


def normalize_mobile(value: str) -> str:
    """Strip separators and the +86 / 0086 / 86 country prefix; return the 11-digit number."""
    v = re.sub(r"[\s\-()（）]", "", value.strip())
    for prefix in ("+86", "0086"):
        if v.startswith(prefix):
            return v[len(prefix) :]
    if len(v) == 13 and v.startswith("86"):
        return v[2:]
    return v


def validate_mobile(value: str) -> None:
    """Accept a mainland China (+86) mobile: 11 digits starting 13–19."""
    v = value.strip()
    if v.startswith("+") and not v.startswith("+86"):
        raise ValidationError(
            _("Only mainland China mobile numbers (+86) are accepted."), code="mobile_country"
        )
    if not _MOBILE_RE.match(normalize_mobile(v)):
        raise ValidationError(
            _("A mainland China mobile number has 11 digits and starts with 13 to 19."),
            code="mobile_format",
        )


CENT = Decimal("0.01")
_FULLWIDTH = str.maketrans("０１２３４５６７８９．，－＋", "0123456789.,-+")


def parse_money(value: str | int | float | Decimal) -> Decimal:
    """Parse an amount in CNY ("¥1,234.56", full-width digits) to a 2-place Decimal."""
    if isinstance(value, Decimal):
        d = value
    elif isinstance(value, int):
        d = Decimal(value)
    elif isinstance(value, float):
        d = Decimal(repr(value))
    else:
        text = value.translate(_FULLWIDTH).strip().replace("¥", "").replace("￥", "")
        text = text.replace(",", "").replace(" ", "")
        if text.upper().startswith("CNY"):
            text = text[3:]
        try:
            d = Decimal(text)
        except InvalidOperation:
            raise ValidationError(
                _("“%(value)s” is not an amount of money."),
                code="money_format",
                params={"value": value},
            ) from None
    if not d.is_finite():
        raise ValidationError(_("An amount of money must be a finite number."), code="money_nan")
    return d.quantize(CENT, rounding=ROUND_HALF_UP)


def format_cny(value: Decimal | int | float | None) -> str:
    """Format an amount as ¥1,234.56 (negative as -¥1,234.56)."""
    if value is None:
        return "—"
    d = parse_money(value) if not isinstance(value, Decimal) else value.quantize(CENT)
    sign = "-" if d < 0 else ""
    return f"{sign}¥{abs(d):,.2f}"


class CharacterClassesValidator:
    """A password uses at least ``classes`` of: lower case, upper case, digits, other signs."""

    def __init__(self, classes: int = 3) -> None:
        self.classes = classes

    def validate(self, password: str, user: object = None) -> None:
        kinds = [
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
        if sum(kinds) < self.classes:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self) -> str:
        return _(
            "Your password must use at least %(n)d of these: lower-case letters, upper-case "
            "letters, digits, other signs."
        ) % {"n": self.classes}
