"""Generated files: any encoding, delimiter, quoting, column order, header language and mix
of good and bad values. The importer never crashes, rejects exactly the bad lines, never lands
part of a file, and what lands reads back as written."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import os
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bankcrm.banking.models import Transaction
from bankcrm.core.models import Branch
from bankcrm.ingest.models import ImportStatus
from bankcrm.ingest.services import import_path
from bankcrm.ingest.specs import KINDS
from tests.ingest.test_import import load_examples

ACCOUNTS = ["6222000000000001", "6222000000000002", "6222000000000003"]
ZH = {
    "txn_id": "交易流水号",
    "account_no": "账号",
    "booked_at": "交易时间",
    "amount": "交易金额",
    "direction": "借贷方向",
    "txn_type": "交易类型",
    "counterparty_category": "对手方类型",
    "channel": "交易渠道",
    "description": "摘要",
}
FULLWIDTH = str.maketrans("0123456789.,", "０１２３４５６７８９．，")
_serial = itertools.count()

FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def examples_loaded(db, settings, tmp_path):
    settings.BANKCRM_IMPORT_DIR = tmp_path / "imports"
    load_examples(upto="accounts")


def _moment_text(moment: dt.datetime, style: int) -> str:
    return [
        moment.strftime("%Y-%m-%d %H:%M:%S"),
        moment.strftime("%Y%m%d %H%M%S"),
        f"{moment.year}/{moment.month}/{moment.day} {moment:%H:%M:%S}",
        moment.strftime("%Y-%m-%dT%H:%M:%S+08:00"),
    ][style]


def _amount_text(cents: int, style: int) -> str:
    plain = f"{cents // 100}.{cents % 100:02d}"
    grouped = f"{cents // 100:,}.{cents % 100:02d}"
    return [plain, grouped, grouped.translate(FULLWIDTH), f"¥{grouped}"][style]


BAD_CELLS = {
    "booked_at": ["2025-13-01 10:00:00", "yesterday", "2025-02-30"],
    "amount": ["12.345", "abc", "1e999", "-"],
    "direction": ["sideways", "贷方向"],
    "txn_type": ["gift"],
    "channel": ["pigeon"],
    "account_no": ["9999"],
    "txn_id": [""],
}

row_strategy = st.fixed_dictionaries(
    {
        "account": st.sampled_from(ACCOUNTS),
        "moment": st.datetimes(
            min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2026, 1, 1)
        ).map(lambda m: m.replace(microsecond=0)),
        "moment_style": st.integers(0, 3),
        "cents": st.integers(1, 10**12),
        "amount_style": st.integers(0, 3),
        "direction": st.sampled_from(["credit", "debit", "Credit (in)"]),
        "type": st.sampled_from(["purchase", "salary", "bill", "transfer"]),
        "channel": st.sampled_from(["pos", "online", "mobile", "wechat_pay"]),
        "description": st.text(
            alphabet=st.characters(codec="gb18030", exclude_categories=("Cs", "Cc")),
            max_size=12,
        ),
        # None: a good row; otherwise (column, index into BAD_CELLS[column]).
        "bad": st.one_of(
            st.none(),
            st.none(),
            st.sampled_from(sorted(BAD_CELLS)).flatmap(
                lambda c: st.tuples(st.just(c), st.integers(0, len(BAD_CELLS[c]) - 1))
            ),
        ),
    }
)

file_strategy = st.fixed_dictionaries(
    {
        "rows": st.lists(row_strategy, min_size=1, max_size=25),
        "encoding": st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]),
        "delimiter": st.sampled_from([",", ";", "\t", "|"]),
        "quoting": st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
        "chinese": st.booleans(),
        "order": st.permutations(list(ZH)),
        "extra_column": st.booleans(),
        "duplicate_at": st.one_of(st.none(), st.integers(0, 24)),
    }
)


def _render(spec: dict, prefix: str) -> tuple[bytes, dict[int, str], dict[str, tuple]]:
    """The file, the bad lines (line → column) and the good rows by txn_id."""
    order = list(spec["order"])
    header = [ZH[c] if spec["chinese"] else c for c in order]
    if spec["extra_column"]:
        header.append("branch_note")
    out = io.StringIO()
    writer = csv.writer(out, delimiter=spec["delimiter"], quoting=spec["quoting"])
    writer.writerow(header)
    bad_lines: dict[int, str] = {}
    good: dict[str, tuple] = {}
    rows = spec["rows"]
    for i, r in enumerate(rows):
        line = i + 2
        cells = {
            "txn_id": f"{prefix}{i}",
            "account_no": r["account"],
            "booked_at": _moment_text(r["moment"], r["moment_style"]),
            "amount": _amount_text(r["cents"], r["amount_style"]),
            "direction": r["direction"],
            "txn_type": r["type"],
            "counterparty_category": "merchant",
            "channel": r["channel"],
            "description": r["description"].strip()[:100],
        }
        if spec["duplicate_at"] is not None and i == spec["duplicate_at"] % len(rows) and i > 0:
            cells["txn_id"] = f"{prefix}0"
            # The first occurrence is staged unless a cell of it failed to parse; then this
            # line is the duplicate (an unknown account is only found after staging).
            if rows[0]["bad"] is None or rows[0]["bad"][0] == "account_no":
                bad_lines[line] = "txn_id"
        if r["bad"] is not None:
            column, k = r["bad"]
            cells[column] = BAD_CELLS[column][k]
            bad_lines[line] = column
        elif line not in bad_lines:
            good[cells["txn_id"]] = (
                r["account"],
                r["moment"],
                Decimal(r["cents"]) / 100,
                "credit" if r["direction"] != "debit" else "debit",
            )
        row = [cells[c] for c in order]
        if spec["extra_column"]:
            row.append("x")
        writer.writerow(row)
    return out.getvalue().encode(spec["encoding"]), bad_lines, good


def _table() -> list[tuple]:
    return sorted(Transaction.objects.values_list("txn_id", "amount", "booked_at"))


@FUZZ
@given(spec=file_strategy, tolerate=st.booleans())
def test_generated_files_land_whole_or_not_at_all(
    examples_loaded, tmp_path_factory, spec, tolerate
):
    prefix = f"H{next(_serial)}-"
    data, bad_lines, good = _render(spec, prefix)
    path = tmp_path_factory.mktemp("fuzz") / "t.csv"
    path.write_bytes(data)
    before = _table()
    outcome = import_path(KINDS["transactions"], path, max_errors=25 if tolerate else 0)

    assert outcome.status in {ImportStatus.SUCCEEDED, ImportStatus.REJECTED}
    assert all(e.reason and e.line >= 0 for e in outcome.errors)
    event(f"{outcome.status}, {'some' if bad_lines else 'no'} bad lines")
    # Exactly the bad lines are rejected, each for the column made bad.
    rejected: dict[int, set[str]] = {}
    for e in outcome.errors:
        rejected.setdefault(e.line, set()).add(e.column)
    assert set(rejected) == set(bad_lines), (rejected, bad_lines)
    for line, column in bad_lines.items():
        assert column in rejected[line], (line, rejected[line], column)
    assert outcome.rejected == len(bad_lines)
    if bad_lines and not tolerate:
        assert not outcome.landed and _table() == before  # nothing of the file
        return
    assert outcome.landed and outcome.created == len(good)
    stored = {
        t.txn_id: (t.account.account_no, t.booked_at, t.amount, t.direction)
        for t in Transaction.objects.filter(txn_id__startswith=prefix).select_related("account")
    }
    assert set(stored) == set(good)
    for txn_id, (account, moment, amount, direction) in good.items():
        got = stored[txn_id]
        assert got[0] == account and got[2] == amount and got[3] == direction
        assert got[1].astimezone(dt.UTC).replace(tzinfo=None) == moment - dt.timedelta(hours=8)
    again = import_path(KINDS["transactions"], path, max_errors=25)
    assert (again.created, again.updated) == (0, 0) and again.unchanged == len(good)


garbage = st.one_of(
    st.binary(max_size=300),
    st.just(b""),
    st.just(b"code,name_zh\n"),
    st.just(b"\x1f\x8b\x08\x00broken"),
    st.just(b"PAR1 not really parquet"),
    st.text(max_size=200).map(lambda t: t.encode("utf-8")),
    st.lists(st.text(max_size=8), max_size=6).map(
        lambda cells: ("code,name_zh,parent\n" + ",".join(cells) + "\n").encode(
            "gb18030", "replace"
        )
    ),
)


@FUZZ
@given(data=garbage)
def test_garbage_never_crashes_and_never_lands_half(db, settings, tmp_path_factory, data):
    settings.BANKCRM_IMPORT_DIR = tmp_path_factory.mktemp("imports")
    path = tmp_path_factory.mktemp("junk") / "junk.csv"
    path.write_bytes(data)
    before = sorted(Branch.objects.values_list("code", "name_zh", "parent_id"))
    outcome = import_path(KINDS["branches"], path)
    assert outcome.status in {ImportStatus.SUCCEEDED, ImportStatus.REJECTED}
    if not outcome.landed:
        assert sorted(Branch.objects.values_list("code", "name_zh", "parent_id")) == before
        assert outcome.message
    else:
        assert outcome.rejected == 0
        assert Branch.objects.count() == len(before) + outcome.created


def test_rendered_file_is_read_back_by_the_csv_module():
    """The generator itself: a sanity check that its files are what it claims."""
    spec = {
        "rows": [
            {
                "account": ACCOUNTS[0],
                "moment": dt.datetime(2024, 3, 5, 10, 0, 0),
                "moment_style": 1,
                "cents": 123456,
                "amount_style": 2,
                "direction": "debit",
                "type": "bill",
                "channel": "pos",
                "description": "电费",
                "bad": None,
            }
        ],
        "encoding": "gb18030",
        "delimiter": "|",
        "quoting": csv.QUOTE_ALL,
        "chinese": True,
        "order": list(ZH),
        "extra_column": True,
        "duplicate_at": None,
    }
    data, bad, good = _render(spec, "Z")
    rows = list(csv.reader(io.StringIO(data.decode("gb18030")), delimiter="|"))
    assert rows[0][0] == "交易流水号" and rows[1][3] == "１，２３４．５６" and not bad
    assert good["Z0"][2] == Decimal("1234.56")
