"""Turning one cell of an export file into a typed value, or a reason why not.

Every parser takes the cell as read (a string from CSV; a string, number, date or None from
Parquet) and returns the value to store, or raises :class:`CellError` with a message in the
user's language. An empty cell is ``None``: the caller decides whether that is allowed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _


class CellError(ValueError):
    """A cell that cannot be read; ``args[0]`` is the reason, already translated."""


Parser = Callable[[Any], Any]

_FULLWIDTH = str.maketrans(
    "０１２３４５６７８９．，－＋：／　", "0123456789.,-+:/ "
)  # full-width digits and punctuation (and the ideographic space)
_YMD = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
_DMY = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?$")
_YM = re.compile(r"^(\d{4})[-/.年]?(\d{1,2})月?$")


def local_zone() -> dt.tzinfo:
    return ZoneInfo(settings.TIME_ZONE)


def clean_text(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        value = str(value)
    return value.strip()


def _ascii(text: str) -> str:
    return text if text.isascii() else text.translate(_FULLWIDTH).strip()


def _date_from_parts(y: str, m: str, d: str, raw: str) -> dt.date:
    try:
        return dt.date(int(y), int(m), int(d))
    except ValueError:
        raise CellError(_("“%(value)s” is not a real date.") % {"value": raw}) from None


def parse_date_text(text: str, fmt: str | None = None) -> dt.date:
    """2024-03-05, 20240305, 2024/3/5, 2024.3.5, 2024年3月5日 (and ``fmt`` when given)."""
    raw = text
    if fmt:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            try:  # the standard, unambiguous spellings are still accepted
                return parse_date_text(text)
            except CellError:
                raise CellError(
                    _("“%(value)s” does not match the date format %(format)s.")
                    % {"value": raw, "format": fmt}
                ) from None
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
    text = _ascii(text)
    if len(text) == 8 and text.isdigit():
        return _date_from_parts(text[:4], text[4:6], text[6:], raw)
    m = _YMD.match(text) or None
    if m:
        return _date_from_parts(m.group(1), m.group(2), m.group(3), raw)
    m = _DMY.match(text)
    if m and "/" not in text:  # 05.03.2024 (day first); 3/5/2024 is ambiguous and refused
        return _date_from_parts(m.group(3), m.group(2), m.group(1), raw)
    raise CellError(
        _("“%(value)s” is not a date (write it as 2024-03-05, 20240305 or 2024/3/5).")
        % {"value": raw}
    )


def parse_date(value: Any, fmt: str | None = None) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = clean_text(value)
    return parse_date_text(text, fmt) if text else None


def parse_datetime(
    value: Any, fmt: str | None = None, zone: dt.tzinfo | None = None
) -> dt.datetime | None:
    """A moment; without an offset it is in ``zone`` (default: TIME_ZONE). A bare date is
    midnight. An importer passes ``zone``, looked up once rather than for every row."""
    if zone is None:
        zone = local_zone()
    if isinstance(value, str):
        text = value.strip()
    elif value is None:
        return None
    elif isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=zone)
    elif isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(), tzinfo=zone)
    else:
        text = clean_text(value)
    if not text:
        return None
    if fmt:
        return _datetime_in_format(text, fmt, zone)
    if len(text) >= 16 and text[4] == "-" and text[10] in " T":
        try:
            parsed = dt.datetime.fromisoformat(text)
        except ValueError:
            pass
        else:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)
    return _datetime_spelled(text, zone)


def _datetime_in_format(text: str, fmt: str, zone: dt.tzinfo) -> dt.datetime:
    try:
        parsed = dt.datetime.strptime(text, fmt)
    except ValueError:
        raise CellError(
            _("“%(value)s” does not match the date format %(format)s.")
            % {"value": text, "format": fmt}
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)


def _datetime_spelled(text: str, zone: dt.tzinfo) -> dt.datetime:
    """A date as :func:`parse_date_text` reads it, then maybe a time of day (20240305101112,
    2024/3/5 10:11, 2024年3月5日 101112)."""
    ascii_text = _ascii(text)
    day_part, _sep, time_part = ascii_text.replace("T", " ").partition(" ")
    time_part = time_part.strip()
    if not time_part and len(day_part) == 14 and day_part.isdigit():  # 20240305101112
        day_part, time_part = day_part[:8], f"{day_part[8:10]}:{day_part[10:12]}:{day_part[12:]}"
    try:
        day = parse_date_text(day_part)
    except CellError:
        raise CellError(
            _("“%(value)s” is not a date and time (write it as 2024-03-05 14:30:00).")
            % {"value": text}
        ) from None
    if not time_part:
        return dt.datetime.combine(day, dt.time(), tzinfo=zone)
    return dt.datetime.combine(day, _time_of_day(time_part, text), tzinfo=zone)


def _time_of_day(time_part: str, text: str) -> dt.time:
    """10:11, 10:11:12, 10:11:12.5 or 101112; ``text`` is the whole cell, for the message."""
    if len(time_part) == 6 and time_part.isdigit():
        time_part = f"{time_part[:2]}:{time_part[2:4]}:{time_part[4:]}"
    m = _TIME.match(time_part)
    if not m:
        raise CellError(
            _("“%(value)s” is not a date and time (write it as 2024-03-05 14:30:00).")
            % {"value": text}
        )
    try:
        return dt.time(
            int(m.group(1)),
            int(m.group(2)),
            int(m.group(3) or 0),
            int((m.group(4) or "0").ljust(6, "0")),
        )
    except ValueError:
        raise CellError(_("“%(value)s” is not a real time of day.") % {"value": text}) from None


def parse_month(value: Any, fmt: str | None = None) -> dt.date | None:
    """2024-03, 202403, 2024年3月, or any day of the month: the first day of that month."""
    if value is None:
        return None
    if isinstance(value, dt.date):
        return dt.date(value.year, value.month, 1)
    text = clean_text(value)
    if not text:
        return None
    m = _YM.match(_ascii(text))
    if m and 1 <= int(m.group(2)) <= 12:
        return dt.date(int(m.group(1)), int(m.group(2)), 1)
    try:
        day = parse_date_text(text, fmt)
    except CellError:
        raise CellError(
            _("“%(value)s” is not a month (write it as 2024-03 or 202403).") % {"value": text}
        ) from None
    return dt.date(day.year, day.month, 1)


def decimal_parser(*, places: int, max_digits: int, signed: bool = False) -> Parser:
    """Amounts: thousands separators, full-width digits, ¥ / CNY; at most ``places`` decimals."""
    limit = Decimal(10) ** (max_digits - places)
    quantum = Decimal(1).scaleb(-places)

    def parse(value: Any) -> Decimal | None:
        if value is None:
            return None
        if isinstance(value, bool):
            raise CellError(_("“%(value)s” is not a number.") % {"value": value})
        if isinstance(value, int):
            d = Decimal(value)
        elif isinstance(value, float):
            d = Decimal(repr(value))
        elif isinstance(value, Decimal):
            d = value
        else:
            raw = value.strip()
            if not raw:
                return None
            whole, dot, cents = raw.partition(".")
            if whole.isdigit() and len(cents) == places and cents.isdigit() and raw.isascii():
                d = Decimal(raw)  # the common case: 1234.50 (isdigit also means no sign)
                if d >= limit:
                    raise CellError(_("“%(value)s” is too large.") % {"value": value})
                return d
            text = _ascii(raw)
            if not (text[0].isdigit() and text.replace(".", "", 1).isdigit()):
                text = text.replace(",", "").replace(" ", "").replace("_", "")
                for mark in ("¥", "￥", "CNY", "RMB", "元"):
                    text = text.replace(mark, "")
                if text.startswith("(") and text.endswith(")"):
                    text = "-" + text[1:-1]
            try:
                d = Decimal(text)
            except InvalidOperation:
                raise CellError(_("“%(value)s” is not a number.") % {"value": raw}) from None
        if not d.is_finite():
            raise CellError(_("“%(value)s” is not a number.") % {"value": value})
        if abs(d) >= limit:
            raise CellError(_("“%(value)s” is too large.") % {"value": value})
        exponent = d.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -places and d != d.quantize(quantum):
            raise CellError(
                _("“%(value)s” has more than %(places)d decimal places.")
                % {"value": value, "places": places}
            )
        if d < 0 and not signed:
            raise CellError(_("“%(value)s” must not be negative.") % {"value": value})
        return d.quantize(quantum)

    return parse


def parse_int(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise CellError(_("“%(value)s” is not a whole number.") % {"value": value})
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = clean_text(value)
    if not text:
        return None
    text = _ascii(text).replace(",", "")
    try:
        number = int(text)
    except ValueError:
        raise CellError(_("“%(value)s” is not a whole number.") % {"value": value}) from None
    if number < 0:
        raise CellError(_("“%(value)s” must not be negative.") % {"value": value})
    return number


_TRUE = {"1", "true", "t", "yes", "y", "是", "有", "对", "√"}
_FALSE = {"0", "false", "f", "no", "n", "否", "无", "不", "×"}


def parse_bool(value: Any) -> bool | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    text = clean_text(value).lower()
    if not text:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellError(
        _("“%(value)s” is not yes or no (write 1/0, yes/no or 是/否).") % {"value": value}
    )


def choice_lookup(choices: Iterable[tuple[str, Any]]) -> dict[str, str]:
    """Every accepted spelling of each choice: its code and its label in English and Chinese."""
    table: dict[str, str] = {}
    pairs = list(choices)
    for code, label in pairs:
        table[code.lower()] = code
        for lang in ("en", "zh-hans"):
            with translation.override(lang):
                table[str(label).strip().lower()] = code
    return table


def choice_parser(
    choices: Iterable[tuple[str, Any]], extra: dict[str, str] | None = None
) -> Parser:
    table = choice_lookup(choices)
    codes = sorted(set(table.values()))
    for source, target in (extra or {}).items():
        table[source.strip().lower()] = target

    def parse(value: Any) -> str | None:
        exact = table.get(value) if isinstance(value, str) else None
        if exact is not None:  # the common case: the file uses our codes
            return exact
        text = clean_text(value)
        if not text:
            return None
        code = table.get(text) or table.get(text.lower()) or table.get(_ascii(text).lower())
        if code is None:
            raise CellError(
                _("“%(value)s” is not one of: %(choices)s.")
                % {"value": text, "choices": ", ".join(codes)}
            )
        return code

    return parse
