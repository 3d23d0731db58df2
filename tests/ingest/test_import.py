"""The importer on the example files, bad files, other encodings and formats, and mappings."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import translation

from bankcrm.banking.models import Account, BalanceSnapshot, Transaction
from bankcrm.core.masking import mask_mobile
from bankcrm.core.models import AuditEvent, Branch, User
from bankcrm.customers.models import ConsentEvent, Customer, GroupMembership
from bankcrm.ingest.mapping import load_mapping, mapping_from_dict
from bankcrm.ingest.models import ImportRun, ImportStatus
from bankcrm.ingest.outcome import error_report_path
from bankcrm.ingest.plan import make_plan
from bankcrm.ingest.services import import_path
from bankcrm.ingest.specs import KINDS
from bankcrm.interactions.models import Interaction

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ORDER = list(KINDS)


@pytest.fixture(autouse=True)
def _import_dir(settings, tmp_path):
    settings.BANKCRM_IMPORT_DIR = tmp_path / "imports"


def load_examples(upto: str | None = None) -> None:
    for name in ORDER:
        outcome = import_path(KINDS[name], EXAMPLES / f"{name}.csv")
        assert outcome.landed, (name, outcome.message, outcome.errors)
        if name == upto:
            return


def fingerprint() -> dict[str, list[tuple]]:
    """Every imported table's rows (without surrogate ids or timestamps), sorted."""
    return {
        "branches": sorted(Branch.objects.values_list("code", "name_zh", "parent__code")),
        "staff": sorted(User.objects.values_list("username", "role", "branch__code", "is_active")),
        "customers": sorted(
            Customer.objects.values_list(
                "customer_no",
                "name_zh",
                "mobile",
                "id_number",
                "branch__code",
                "rm__username",
                "aum",
                "risk_appetite",
                "birth_date",
            )
        ),
        "accounts": sorted(
            Account.objects.values_list("account_no", "customer__customer_no", "balance", "status")
        ),
        "balances": sorted(
            BalanceSnapshot.objects.values_list("account__account_no", "month", "balance")
        ),
        "transactions": sorted(
            Transaction.objects.values_list(
                "txn_id",
                "account__account_no",
                "customer__customer_no",
                "booked_at",
                "amount",
                "direction",
            )
        ),
        "consents": sorted(
            ConsentEvent.objects.values_list(
                "customer__customer_no", "purpose", "channel", "granted", "recorded_at"
            )
        ),
        "memberships": sorted(
            GroupMembership.objects.values_list("group__code", "customer__customer_no", "role")
        ),
        "interactions": sorted(
            Interaction.objects.values_list("external_id", "customer__customer_no", "subject")
        ),
    }


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


# --- every documented format round-trips --------------------------------------------------


def _stored(obj, col) -> object:
    if col.ref is not None:
        related = getattr(obj, col.ref.outputs and next(iter(col.ref.outputs))[:-3])
        return None if related is None else getattr(related, col.ref.key)
    return getattr(obj, col.attname)


_LOOKUP = {
    "branches": lambda r: Branch.objects.get(code=r["code"]),
    "staff": lambda r: User.objects.get(username=r["username"]),
    "products": lambda r: KINDS["products"].model.objects.get(code=r["code"]),
    "customers": lambda r: Customer.objects.get(customer_no=r["customer_no"]),
    "groups": lambda r: KINDS["groups"].model.objects.get(code=r["code"]),
    "memberships": lambda r: GroupMembership.objects.get(
        group__code=r["group"], customer__customer_no=r["customer_no"]
    ),
    "consents": lambda r: ConsentEvent.objects.get(
        customer__customer_no=r["customer_no"],
        purpose=r["purpose"],
        channel=r["channel"],
        recorded_at=r["recorded_at"],
    ),
    "accounts": lambda r: Account.objects.get(account_no=r["account_no"]),
    "balances": lambda r: BalanceSnapshot.objects.get(
        account__account_no=r["account_no"], month=r["month"]
    ),
    "transactions": lambda r: Transaction.objects.get(txn_id=r["txn_id"]),
    "interactions": lambda r: Interaction.objects.get(external_id=r["interaction_id"]),
}


@pytest.mark.django_db
def test_every_example_file_round_trips():
    """Each example imports, and every cell reads back from the database as the file says."""
    load_examples()
    checked = 0
    for name in ORDER:
        kind = KINDS[name]
        with (EXAMPLES / f"{name}.csv").open(encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        plan = make_plan(kind, list(rows[0]), None)
        assert rows, name
        for row in rows:
            parsed = {}
            for col, parse in zip(plan.columns, plan.parsers, strict=True):
                parsed[col.name] = parse(row[col.name]) if row[col.name] else None
            obj = _LOOKUP[name](parsed)
            for col in plan.columns:
                want = parsed[col.name]
                if want is None or (name, col.name) in {
                    ("transactions", "amount"),
                    ("customers", "mobile"),
                    ("customers", "id_type"),
                }:
                    continue
                got = _stored(obj, col)
                assert got == want, (name, col.name, row)
                checked += 1
    assert checked > 150
    # Normalised on the way in: +86 mobiles, the ID's last four, debit amounts stay positive.
    li = Customer.objects.get(customer_no="C0000002")
    assert li.mobile == "13900001234" and li.id_last4 == li.id_number[-4:]
    assert Customer.objects.get(customer_no="C0000003").id_type == "resident_id"
    # AUM comes from the open deposit and wealth accounts just imported.
    assert Customer.objects.get(customer_no="C0000001").aum == Decimal("252310.45")


@pytest.mark.django_db
def test_reimport_changes_nothing_and_says_so():
    load_examples()
    before = fingerprint()
    for name in ORDER:
        outcome = import_path(KINDS[name], EXAMPLES / f"{name}.csv")
        assert outcome.landed
        assert (outcome.created, outcome.updated) == (0, 0), name
        assert outcome.unchanged == outcome.rows_read
        assert "Nothing changed" in outcome.message
    assert fingerprint() == before


@pytest.mark.django_db
def test_changed_row_is_updated_and_only_the_file_columns_change(tmp_path):
    load_examples(upto="customers")
    before = Customer.objects.get(customer_no="C0000001")
    path = write(
        tmp_path, "c.csv", "customer_no,name_zh,branch,mobile\nC0000001,张伟,BJ002,13800000000\n"
    )
    outcome = import_path(KINDS["customers"], path)
    assert (outcome.created, outcome.updated, outcome.unchanged) == (0, 1, 0)
    after = Customer.objects.get(customer_no="C0000001")
    assert after.mobile == "13800000000"
    # Columns the file does not have are left as they were.
    assert (after.email, after.risk_appetite, after.rm_id, after.birth_date) == (
        before.email,
        before.risk_appetite,
        before.rm_id,
        before.birth_date,
    )
    assert after.updated_at > before.updated_at
    # Each customer the imports created or changed has its own audit event.
    events = AuditEvent.objects.filter(
        object_type="customers.customer", purpose__startswith="import run"
    )
    assert events.filter(action="create").count() == 3
    (change,) = events.filter(action="update")
    assert change.customer_id == after.pk
    # Which identifier changed is kept, the numbers masked (PIPL: minimum necessary).
    assert change.changes["mobile"] == [mask_mobile(before.mobile), "138****0000"]
    assert set(change.changes) == {"import_run", "mobile"}


@pytest.mark.django_db
def test_dry_run_reports_and_writes_nothing():
    load_examples(upto="staff")
    before = fingerprint()
    outcome = import_path(KINDS["products"], EXAMPLES / "products.csv", dry_run=True)
    assert outcome.status == ImportStatus.VALIDATED
    assert (outcome.created, outcome.updated, outcome.unchanged) == (5, 0, 0)
    assert fingerprint() == before
    assert not KINDS["products"].model.objects.exists()
    run = ImportRun.objects.get(pk=outcome.run_id)
    assert run.dry_run and run.created == 5 and run.status == ImportStatus.VALIDATED


# --- bad input ----------------------------------------------------------------------------

HEADER = "txn_id,account_no,booked_at,amount,direction,txn_type,counterparty_category,channel"
BAD_TRANSACTIONS = f"""{HEADER}
T1,6222000000000001,2025-11-01 09:00:00,100.00,credit,salary,employer,online
T2,6222000000000001,2025-13-01 09:00:00,100.00,credit,salary,employer,online
T3,6222000000000001,2025-11-01 09:00:00,12.345,debit,purchase,merchant,pos
T4,6222000000000001,2025-11-01 09:00:00,5.00,sideways,purchase,merchant,pos
T1,6222000000000001,2025-11-02 09:00:00,1.00,debit,purchase,merchant,pos
T6,9999,2025-11-01 09:00:00,5.00,debit,purchase,merchant,pos
T7,6222000000000001,2025-11-01 09:00:00,,debit,purchase,merchant,pos
T8,6222000000000001,2025-11-01 09:00:00,5.00,debit,purchase,merchant
T9,6222000000000001,2025-11-01 09:00:00,"1,234.50",debit,bill,utility,alipay
"""


@pytest.mark.django_db
def test_bad_rows_are_reported_with_line_column_value_and_reason(tmp_path):
    load_examples(upto="accounts")
    path = write(tmp_path, "txns.csv", BAD_TRANSACTIONS)
    outcome = import_path(KINDS["transactions"], path)
    assert outcome.status == ImportStatus.REJECTED and not outcome.landed
    assert not Transaction.objects.exists()  # all or nothing
    found = {(e.line, e.column): e for e in outcome.errors}
    assert set(found) == {
        (3, "booked_at"),
        (4, "amount"),
        (5, "direction"),
        (6, "txn_id"),
        (7, "account_no"),
        (8, "amount"),
        (9, ""),
    }
    assert "2025-13-01" in found[(3, "booked_at")].value
    assert "decimal places" in found[(4, "amount")].reason
    assert "sideways" in found[(5, "direction")].reason
    assert "line 2" in found[(6, "txn_id")].reason
    assert "9999" in found[(7, "account_no")].reason
    assert "required" in found[(8, "amount")].reason
    assert "8 fields" in found[(9, "")].reason or "7 fields" in found[(9, "")].reason
    assert outcome.rejected == 7
    # The downloadable report has every rejected row, in line order.
    with error_report_path(outcome.run_id).open(encoding="utf-8-sig") as f:
        report = list(csv.reader(f))
    assert report[0] == ["file", "line", "column", "value", "reason"]
    assert [int(r[1]) for r in report[1:]] == sorted(int(r[1]) for r in report[1:])
    assert {r[0] for r in report[1:]} == {"txns.csv"}
    assert len(report) - 1 == len(outcome.errors)


@pytest.mark.django_db
def test_tolerance_lands_the_valid_rows(tmp_path):
    load_examples(upto="accounts")
    path = write(tmp_path, "txns.csv", BAD_TRANSACTIONS)
    assert not import_path(KINDS["transactions"], path, max_errors=6).landed
    outcome = import_path(KINDS["transactions"], path, max_errors=7)
    assert outcome.landed and outcome.created == 2 and outcome.rejected == 7
    assert sorted(Transaction.objects.values_list("txn_id", "amount")) == [
        ("T1", Decimal("100.00")),
        ("T9", Decimal("1234.50")),
    ]


@pytest.mark.django_db
def test_customer_validators_apply(tmp_path):
    load_examples(upto="staff")
    text = (
        "customer_no,name_zh,branch,id_number,mobile,risk_appetite,email\n"
        "X1,甲,BJ001,110105198503121230,13812345678,,\n"  # wrong check digit
        "X2,乙,BJ001,,1381234567,,\n"  # 10 digits
        "X3,丙,BJ001,,,R3,\n"  # risk level without an assessment date
        "X4,丁,NOPE,,,,\n"  # unknown branch
        "X5,戊,BJ001,,,R9,\n"  # unknown risk level
    )
    outcome = import_path(KINDS["customers"], write(tmp_path, "c.csv", text))
    got = {(e.line, e.column) for e in outcome.errors}
    assert got == {
        (2, "id_number"),
        (3, "mobile"),
        (4, "risk_assessed_on"),
        (5, "branch"),
        (6, "risk_appetite"),
    }
    assert any("check digit" in e.reason for e in outcome.errors)
    assert not Customer.objects.exists()


@pytest.mark.django_db
def test_messages_in_chinese(tmp_path):
    load_examples(upto="accounts")
    with translation.override("zh-hans"):
        outcome = import_path(KINDS["transactions"], write(tmp_path, "t.csv", BAD_TRANSACTIONS))
    reasons = " ".join(e.reason for e in outcome.errors)
    assert "不是" in reasons or "没有" in reasons, reasons
    assert "is not" not in reasons


@pytest.mark.django_db
def test_missing_required_column_rejects_the_file(tmp_path):
    path = write(tmp_path, "b.csv", "code,city\nX,北京\n")
    outcome = import_path(KINDS["branches"], path)
    assert outcome.status == ImportStatus.REJECTED
    assert "name_zh" in outcome.message and outcome.errors[0].line == 1


@pytest.mark.django_db
def test_unknown_columns_are_ignored_and_reported(tmp_path):
    path = write(tmp_path, "b.csv", "code,name_zh,colour\nX,某行,red\n")
    outcome = import_path(KINDS["branches"], path)
    assert outcome.landed and outcome.detected["ignored_columns"] == ["colour"]


# --- encodings, delimiters, compression, Parquet, headers ---------------------------------

BRANCHES_ZH = "机构号\t机构名称\t城市\nGZ001\t广州分行\t广州\nGZ002\t广州天河支行\t广州\n"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("encoding", "bom", "expected"),
    [("utf-8", False, "utf-8"), ("utf-8", True, "utf-8-sig"), ("gb18030", False, "gb18030")],
)
def test_encoding_detected_and_reported(tmp_path, encoding, bom, expected):
    data = BRANCHES_ZH.encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    path = tmp_path / "b.csv"
    path.write_bytes(data)
    outcome = import_path(KINDS["branches"], path)
    assert outcome.landed, outcome.errors
    assert outcome.detected["encoding"] == expected and outcome.detected["encoding_detected"]
    assert outcome.detected["delimiter"] == "\t"
    assert Branch.objects.get(code="GZ002").name_zh == "广州天河支行"


@pytest.mark.django_db
def test_wrong_encoding_given_is_a_clear_error(tmp_path):
    path = tmp_path / "b.csv"
    path.write_bytes(BRANCHES_ZH.encode("gb18030"))
    outcome = import_path(KINDS["branches"], path, encoding="utf-8")
    assert outcome.status == ImportStatus.REJECTED
    assert "--encoding" in outcome.message
    assert not Branch.objects.exists()


@pytest.mark.django_db
def test_gzip_and_parquet(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    gz = tmp_path / "b.csv.gz"
    gz.write_bytes(gzip.compress(BRANCHES_ZH.encode("gb18030")))
    outcome = import_path(KINDS["branches"], gz)
    assert outcome.landed and outcome.detected["compression"] == "gzip"
    assert outcome.detected["encoding"] == "gb18030"

    table = pa.table(
        {
            "account_no": ["6222000000000001", "6222000000000003"],
            "month": [dt.date(2025, 12, 31), dt.date(2025, 12, 1)],
            "balance": [Decimal("1.50"), Decimal("2.00")],
        }
    )
    load_examples(upto="accounts")
    for name, compress in (("b.parquet", False), ("b.parquet.gz", True)):
        buf = io.BytesIO()
        pq.write_table(table, buf)
        data = gzip.compress(buf.getvalue()) if compress else buf.getvalue()
        (tmp_path / name).write_bytes(data)
        outcome = import_path(KINDS["balances"], tmp_path / name)
        assert outcome.landed, outcome.errors
        assert outcome.detected["format"] == "parquet"
    snap = BalanceSnapshot.objects.get(account__account_no="6222000000000001", month="2025-12-01")
    assert snap.balance == Decimal("1.50")


def test_date_and_amount_spellings():
    from bankcrm.ingest.parsing import decimal_parser, parse_date, parse_datetime, parse_month

    for text in (
        "2024-03-05",
        "20240305",
        "2024/3/5",
        "2024.3.5",
        "2024年3月5日",
        "２０２４-０３-０５",
    ):
        assert parse_date(text) == dt.date(2024, 3, 5), text
    money = decimal_parser(places=2, max_digits=18)
    for text in ("1,234.50", "１，２３４．５０", "¥1234.5", "1234.50元"):
        assert money(text) == Decimal("1234.50"), text
    assert parse_date("05/03/2024", "%d/%m/%Y") == parse_date("2024-03-05", "%d/%m/%Y")
    assert parse_month("202403") == parse_month("2024-03-31") == dt.date(2024, 3, 1)
    moment = parse_datetime("20240305 141500")
    assert moment is not None and (moment.hour, moment.minute) == (14, 15)
    assert moment.utcoffset() == dt.timedelta(hours=8)


# --- mappings ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_mapping_example_imports_a_file_from_another_system():
    load_examples(upto="staff")
    mapping = load_mapping(EXAMPLES / "mappings" / "legacy_customers.toml")
    outcome = import_path(KINDS["customers"], EXAMPLES / "legacy_customers.csv", mapping=mapping)
    assert outcome.landed, outcome.errors
    assert outcome.detected["encoding"] == "gb18030" and outcome.detected["delimiter"] == ";"
    sun = Customer.objects.get(customer_no="L-00017")
    assert (sun.name_zh, sun.gender, sun.birth_date, sun.branch.code, sun.occupation) == (
        "孙丽",
        "female",
        dt.date(1978, 3, 5),
        "BJ001",
        "教师",
    )
    assert sun.onboarded_on == dt.date.today() or sun.onboarded_on is not None


@pytest.mark.django_db
def test_mapping_to_an_unknown_column_is_refused(tmp_path):
    mapping = mapping_from_dict({"columns": {"A": "no_such_column"}})
    outcome = import_path(
        KINDS["branches"], write(tmp_path, "b.csv", "A,code,name_zh\n1,X,Y\n"), mapping=mapping
    )
    assert outcome.status == ImportStatus.REJECTED and "no_such_column" in outcome.message


# --- the command, the run record and the audit trail --------------------------------------


@pytest.mark.django_db
def test_command_json_and_exit_status(tmp_path, capsys):
    load_examples(upto="accounts")
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command(
            "import",
            "transactions",
            str(write(tmp_path, "t.csv", BAD_TRANSACTIONS)),
            "--json",
            stdout=out,
        )
    assert exit_info.value.code == 1
    payload = json.loads(out.getvalue())
    assert payload["status"] == "rejected" and payload["counts"]["rejected"] == 7
    assert {"line", "column", "value", "reason"} <= set(payload["errors"][0])
    assert payload["detected"]["encoding"] == "utf-8"

    out = io.StringIO()
    call_command("import", "transactions", str(EXAMPLES / "transactions.csv"), "--json", stdout=out)
    payload = json.loads(out.getvalue())
    assert payload["landed"] and payload["counts"]["created"] == 4


@pytest.mark.django_db
def test_every_run_is_recorded_and_audited():
    load_examples(upto="branches")
    run = ImportRun.objects.get()
    assert run.status == ImportStatus.SUCCEEDED and run.created == 4
    assert len(run.file_sha256) == 64 and run.file_size > 0 and run.finished_at
    event = AuditEvent.objects.get(object_type="ingest.importrun", object_id=str(run.pk))
    assert event.changes["sha256"] == run.file_sha256 and event.changes["created"] == 4


@pytest.mark.django_db
def test_transactions_are_written_in_the_order_of_their_account_index(tmp_path):
    load_examples(upto="accounts")
    # File order alternates between accounts and goes back in time.
    accounts = ["6222000000000003", "6222000000000001", "6222000000000002"]
    rows = [
        f"W{i},{accounts[i % 3]},2025-11-{28 - i:02d} 09:00:00,1.00,debit,purchase,merchant,pos"
        for i in range(12)
    ]
    path = write(tmp_path, "t.csv", "\n".join([HEADER, *rows]) + "\n")
    assert import_path(KINDS["transactions"], path).created == 12
    written = list(
        Transaction.objects.filter(txn_id__startswith="W")
        .order_by("pk")
        .values_list("account_id", "booked_at")
    )
    assert written == sorted(written)  # ids follow (account, booked_at), not the file


@pytest.mark.django_db
def test_staging_table_is_gone_after_the_import():
    load_examples(upto="branches")
    tables = connection.introspection.table_names()
    assert "ingest_stage" not in tables


def test_docs_describe_every_kind_and_column():
    text = (EXAMPLES.parent / "docs" / "import-formats.md").read_text(encoding="utf-8")
    for name, kind in KINDS.items():
        assert f"### `{name}`" in text, name
        assert (EXAMPLES / f"{name}.csv").exists(), name
        for col in kind.columns:
            assert f"| `{col.name}` |" in text, (name, col.name)
            for alias in col.zh:
                assert alias in text, (name, alias)


@pytest.mark.django_db
def test_rows_for_a_merged_customer_number_attach_to_the_survivor(tmp_path):
    from bankcrm.customers.models import CustomerAlias

    load_examples(upto="customers")
    survivor = Customer.objects.get(customer_no="C0000001")
    CustomerAlias.objects.create(customer=survivor, customer_no="C0000009", source="merge")
    customers = write(tmp_path, "c.csv", "customer_no,name_zh,branch\nC0000009,张伟,BJ002\n")
    outcome = import_path(KINDS["customers"], customers)
    assert outcome.landed and outcome.created == 0 and outcome.unchanged == 1
    assert "merged" in outcome.message
    assert not Customer.objects.filter(customer_no="C0000009").exists()
    load_examples(upto="products")
    accounts = write(
        tmp_path,
        "a.csv",
        "account_no,customer_no,product,branch,opened_on\n6222000000000099,C0000009,DEP-CUR,BJ002,2024-01-01\n",
    )
    assert import_path(KINDS["accounts"], accounts).landed
    assert Account.objects.get(account_no="6222000000000099").customer == survivor


@pytest.mark.django_db
def test_nul_characters_are_rejected_cleanly(tmp_path):
    path = tmp_path / "b.csv"
    path.write_bytes(b"code,name_zh,no\x00te\nX\x001,name,\nX2,ok,\n")
    outcome = import_path(KINDS["branches"], path)
    assert outcome.status == ImportStatus.REJECTED
    assert [(e.line, e.column) for e in outcome.errors] == [(2, "code")]
    assert "NUL" in outcome.errors[0].reason and "\x00" not in outcome.errors[0].value
    assert ImportRun.objects.get(pk=outcome.run_id).detected["ignored_columns"] == ["note"]


@pytest.mark.django_db
def test_rm_changes_from_a_file_keep_the_assignment_history(tmp_path):
    from bankcrm.customers.models import RmAssignment

    load_examples(upto="customers")
    zhang = Customer.objects.get(customer_no="C0000001")
    (first,) = RmAssignment.objects.filter(customer=zhang)
    assert (first.rm.username, first.started_on, first.ended_on) == (
        "wang.li",
        zhang.onboarded_on,
        None,
    )
    path = write(tmp_path, "c.csv", "customer_no,name_zh,branch,rm\nC0000001,张伟,SH001,chen.jie\n")
    assert import_path(KINDS["customers"], path).updated == 1
    history = list(RmAssignment.objects.filter(customer=zhang).order_by("started_on", "id"))
    assert [(h.rm.username, h.branch.code, h.ended_on is None) for h in history] == [
        ("wang.li", "BJ002", False),
        ("chen.jie", "SH001", True),
    ]
    assert history[1].reason.startswith("import run")
    # The same file again changes nothing, history included.
    assert import_path(KINDS["customers"], path).updated == 0
    assert RmAssignment.objects.filter(customer=zhang).count() == 2
