"""Resident ID numbers and mobiles at rest: encrypted, found by keyed hash, keys rotated, and a
database dump that holds none of them in plain text."""

from __future__ import annotations

import base64
import csv
import os
import subprocess
from pathlib import Path

import pytest
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.core.management import call_command
from django.db import connection

from bankcrm.core import crypto
from bankcrm.core.crypto import (
    BlindIndexField,
    DecryptionFailed,
    EncryptedCharField,
    blind_index,
    decrypt,
    encrypt,
    key_id,
    new_key,
)
from bankcrm.core.models import AuditEvent
from bankcrm.core.pii import ENCRYPTED_CLASSES, fields_of_class
from bankcrm.customers.encryption import key_census, reseal
from bankcrm.customers.merging import customer_merge, duplicate_candidates
from bankcrm.customers.models import Customer, CustomerAlias
from bankcrm.customers.selectors import CustomerFilters, customer_search_queryset
from bankcrm.ingest.services import import_path
from bankcrm.ingest.specs import KINDS
from tests.factories import CustomerFactory, resident_id

K1, K2 = new_key(), new_key()


def _raw(pk: int) -> tuple[str, str, str, str]:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT id_number, mobile, id_number_hash, mobile_hash FROM customers_customer "
            "WHERE id = %s",
            [pk],
        )
        return cur.fetchone()


# -- the cipher --------------------------------------------------------------------------------


def test_encrypt_round_trips_with_a_fresh_nonce_and_binds_the_purpose():
    number = resident_id(7)
    a, b = encrypt(number, "id_number"), encrypt(number, "id_number")
    assert a != b and number not in a and a.startswith("enc1$")
    assert decrypt(a, "id_number") == decrypt(b, "id_number") == number
    with pytest.raises(DecryptionFailed):
        decrypt(a, "mobile")  # copied into another column, it does not open
    prefix, kid, body = a.split("$")
    flipped = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    with pytest.raises(DecryptionFailed):
        decrypt(f"{prefix}${kid}${flipped}", "id_number")
    assert encrypt("", "mobile") == "" and decrypt("", "mobile") == ""
    for malformed in ("enc1$derived", "enc1$derived$A", "enc1$derived$@@@@", f"{prefix}$x$"):
        with pytest.raises(DecryptionFailed):
            decrypt(malformed, "id_number")


def test_the_keyed_hash_is_stable_case_blind_and_depends_on_the_key(settings):
    number = resident_id(3)[:-1] + "X"
    assert blind_index(number, "id_number") == blind_index(number.lower(), "id_number")
    assert blind_index(number, "id_number") != blind_index(number, "mobile")
    before = blind_index(number, "id_number")
    settings.BANKCRM_PII_INDEX_KEY = "another index key"
    assert blind_index(number, "id_number") != before
    assert blind_index("", "id_number") == ""


def test_a_key_not_configured_is_a_clear_error(settings):
    settings.BANKCRM_PII_KEYS = f"k1:{K1}"
    stored = encrypt("13800001111", "mobile")
    settings.BANKCRM_PII_KEYS = f"k2:{K2}"
    with pytest.raises(DecryptionFailed, match="k1"):
        decrypt(stored, "mobile")
    for bad, why in (
        ("k1", "id:base64key"),
        (f"k1:{K1[:10]}", "32"),
        ("k1:@@@", "base64"),
        (f"k1:{K1},k1:{K2}", "twice"),
    ):
        settings.BANKCRM_PII_KEYS = bad
        with pytest.raises(ImproperlyConfigured, match=why):
            crypto.keyring()


def test_every_identity_number_and_mobile_in_the_inventory_is_encrypted_with_a_purpose():
    from django.apps import apps

    found = fields_of_class(*ENCRYPTED_CLASSES)
    assert ("customers.customer", "id_number") in found and (
        "customers.customer",
        "mobile",
    ) in found
    for label, name in found:
        field = apps.get_model(label)._meta.get_field(name)
        assert isinstance(field, EncryptedCharField), f"{label}.{name} is stored in plain text"


# -- the model ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_saved_customer_is_encrypted_in_the_table_and_read_in_plain(settings):
    settings.BANKCRM_PII_KEYS = f"k1:{K1}"
    c = CustomerFactory()
    number, mobile = c.id_number, c.mobile
    stored_id, stored_mobile, id_hash, mobile_hash = _raw(c.pk)
    assert number not in stored_id and mobile not in stored_mobile
    assert key_id(stored_id) == key_id(stored_mobile) == "k1"
    assert id_hash == blind_index(number, "id_number") and mobile_hash == blind_index(
        mobile, "mobile"
    )
    fresh = Customer.objects.get(pk=c.pk)
    assert (fresh.id_number, fresh.mobile) == (number, mobile)
    # A save of the mobile alone also saves its hash.
    fresh.mobile = "13912345678"
    fresh.save(update_fields=["mobile"])
    assert _raw(c.pk)[3] == blind_index("13912345678", "mobile")
    assert Customer.objects.filter(mobile_hash=blind_index("13912345678", "mobile")).get() == c


@pytest.mark.django_db
def test_looking_up_an_encrypted_field_by_value_is_refused():
    CustomerFactory(email="")
    with pytest.raises(FieldError, match="keyed hash"):
        list(Customer.objects.filter(mobile="13800000001"))
    with pytest.raises(FieldError):
        list(Customer.objects.filter(id_number__startswith="110"))
    # Emptiness still can be asked about.
    assert Customer.objects.exclude(mobile="").count() == 1


@pytest.mark.django_db
def test_search_finds_a_whole_mobile_a_whole_id_and_an_id_ending(bank):
    target = bank.mine
    rm = bank.user("rm")
    found = []
    for q in (
        target.mobile,
        "+86 " + target.mobile,
        target.id_number,
        target.id_number[-8:],
        target.id_number[-4:],
    ):
        qs = customer_search_queryset(user=rm, filters=CustomerFilters(q=q))
        found.append(target in qs)
    assert found == [True] * 5
    other = Customer.objects.exclude(pk=target.pk).exclude(id_number="").first()
    assert other is not None
    miss = customer_search_queryset(user=rm, filters=CustomerFilters(q=other.id_number[-8:]))
    assert target not in miss


@pytest.mark.django_db
def test_duplicates_are_found_through_the_hashes_and_a_merge_keeps_the_alias_encrypted(bank):
    number = resident_id(901)
    a = CustomerFactory(branch=bank.beijing, rm=bank.rm, id_number=number, name_zh="李娜")
    b = CustomerFactory(branch=bank.beijing, rm=bank.rm, id_number=number, name_zh="李娜")
    pairs = {(c.first.pk, c.second.pk): c for c in duplicate_candidates()}
    evidence = pairs[(a.pk, b.pk)].evidence
    assert any(e.rule == "resident_id" and e.value == number for e in evidence)
    customer_merge(survivor=a, merged=b, actor=bank.user("admin"), reason="same person")
    with connection.cursor() as cur:
        cur.execute("SELECT id_number FROM customers_customeralias")
        (stored,) = cur.fetchone()
    assert number not in stored and CustomerAlias.objects.get().id_number == number


@pytest.mark.django_db
def test_an_update_that_would_leave_a_hash_stale_is_refused_and_bulk_update_rehashes():
    c = CustomerFactory()
    with pytest.raises(FieldError, match="mobile_hash"):
        Customer.objects.filter(pk=c.pk).update(mobile="13900000009")
    c.mobile = "13900000009"
    Customer.objects.bulk_update([c], ["mobile"])
    assert _raw(c.pk)[3] == blind_index("13900000009", "mobile")
    assert Customer.objects.get(pk=c.pk).mobile == "13900000009"


@pytest.mark.django_db
def test_the_merge_trail_keeps_no_keyed_hash(bank):
    a = CustomerFactory(branch=bank.beijing, rm=bank.rm, name_zh="周杰")
    b = CustomerFactory(branch=bank.beijing, rm=bank.rm, name_zh="周杰", id_number="")
    customer_merge(survivor=a, merged=b, actor=bank.user("admin"), reason="same person")
    trail = [str(e.changes) for e in AuditEvent.objects.all()]
    assert any("record" in t for t in trail)  # the merged record's snapshot
    assert not [t for t in trail if "_hash" in t or b.mobile in t]


# -- rotation ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_bank_that_started_without_keys_moves_to_configured_ones(settings):
    settings.BANKCRM_PII_KEYS = ""
    c = CustomerFactory()
    number = c.id_number
    assert key_id(_raw(c.pk)[0]) == "derived"
    settings.BANKCRM_PII_KEYS = f"k1:{K1}"
    settings.BANKCRM_PII_INDEX_KEY = "a configured index key"
    assert Customer.objects.get(pk=c.pk).id_number == number  # the derived key still opens
    assert reseal(reindex=True) == 1
    assert key_id(_raw(c.pk)[0]) == "k1"
    assert Customer.objects.get(id_number_hash=blind_index(number, "id_number")).pk == c.pk


@pytest.mark.django_db
def test_rotation_re_encrypts_everything_under_the_new_key(settings):
    settings.BANKCRM_PII_KEYS = f"k1:{K1}"
    people = [CustomerFactory() for _ in range(5)]
    plain = {c.pk: (c.id_number, c.mobile) for c in people}
    assert key_census()["customers_customer"] == {"k1": 10}
    settings.BANKCRM_PII_KEYS = f"k2:{K2},k1:{K1}"  # the new key first, the old one kept
    call_command("pii", "rotate", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert key_census()["customers_customer"] == {"k2": 10}
    settings.BANKCRM_PII_KEYS = f"k2:{K2}"  # the old key can go now
    assert {c.pk: (c.id_number, c.mobile) for c in Customer.objects.all()} == plain
    assert reseal() == 0  # nothing left to do: a second run changes nothing


@pytest.mark.django_db
def test_values_stored_in_plain_text_are_encrypted_by_the_migration_step():
    c = CustomerFactory()
    number = c.id_number
    reseal(decrypt_only=True)  # as a database from before the encryption was
    assert _raw(c.pk)[0] == number and _raw(c.pk)[2] == ""
    assert key_census()["customers_customer"] == {"plaintext": 2}
    reseal(reindex=True)  # migration 0008
    stored_id, _m, id_hash, _h = _raw(c.pk)
    assert number not in stored_id and id_hash == blind_index(number, "id_number")
    assert Customer.objects.get(pk=c.pk).id_number == number


# -- the import path and the dump --------------------------------------------------------------


def _customers_file(path: Path, bank, rows: int, *, mobile_base: int = 13700000000) -> Path:
    header = ["customer_no", "name_zh", "gender", "id_number", "mobile", "branch", "rm"]
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for i in range(rows):
            w.writerow(
                [
                    f"E{i:06d}",
                    "测试客户",
                    "female",
                    resident_id(5000 + i),
                    str(mobile_base + i),
                    bank.beijing.code,
                    bank.rm.username,
                ]
            )
    return path


@pytest.mark.django_db
def test_an_imported_file_lands_encrypted_and_a_re_import_changes_nothing(bank, tmp_path, settings):
    settings.BANKCRM_IMPORT_DIR = tmp_path / "imports"
    path = _customers_file(tmp_path / "customers.csv", bank, 20)
    assert import_path(KINDS["customers"], path).created == 20
    c = Customer.objects.get(customer_no="E000003")
    stored_id, stored_mobile, id_hash, mobile_hash = _raw(c.pk)
    assert c.id_number == resident_id(5003) and c.mobile == "13700000003"
    assert stored_id.startswith("enc1$") and stored_mobile.startswith("enc1$")
    assert (id_hash, mobile_hash) == (
        blind_index(c.id_number, "id_number"),
        blind_index(c.mobile, "mobile"),
    )
    again = import_path(KINDS["customers"], path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 20)
    assert _raw(c.pk)[0] == stored_id  # unchanged rows are not rewritten
    # One mobile changes: one row updated, the trail shows the change masked.
    changed = _customers_file(tmp_path / "changed.csv", bank, 20)
    text = changed.read_text().replace("13700000003", "13900000003")
    changed.write_text(text)
    outcome = import_path(KINDS["customers"], changed)
    assert (outcome.updated, outcome.unchanged) == (1, 19)
    event = AuditEvent.objects.filter(object_id=str(c.pk), action="update").latest("id")
    assert event.changes["mobile"] == ["137****0003", "139****0003"]
    assert "id_number" not in event.changes and "mobile_hash" not in event.changes
    assert Customer.objects.get(pk=c.pk).mobile == "13900000003"


def _dump() -> str:
    if connection.vendor == "postgresql":
        s = connection.settings_dict
        command = ["pg_dump", "--data-only", "-d", s["NAME"], "-h", s["HOST"] or "127.0.0.1"]
        command += ["-U", s["USER"] or "postgres", "-p", str(s["PORT"] or 5432)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=True)
        return done.stdout
    connection.ensure_connection()
    return "\n".join(connection.connection.iterdump())


@pytest.mark.django_db(transaction=True)
def test_a_database_dump_holds_no_resident_id_or_mobile_in_plain_text(bank, tmp_path, settings):
    settings.BANKCRM_IMPORT_DIR = tmp_path / "imports"
    path = _customers_file(tmp_path / "customers.csv", bank, 30)
    # One rejected row too: its ID number (a wrong check digit) is kept with the run's errors.
    rejected = resident_id(777)[:-1] + ("0" if resident_id(777)[-1] != "0" else "1")
    # And one too long: the reason ("… is longer than 32 characters") quotes the cell.
    too_long = f"{resident_id(778)}/{resident_id(779)}"
    with path.open("a", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["E999999", "错号", "male", rejected, "13600000000", "", ""])
        w.writerow(["E999998", "长号", "male", too_long, "13600000001 / 13600000002", "", ""])
    outcome = import_path(KINDS["customers"], path, max_errors=5)
    assert outcome.landed and outcome.rejected == 2
    survivor, merged = (
        Customer.objects.get(customer_no="E000001"),
        Customer.objects.get(customer_no="E000002"),
    )
    survivor.id_number = ""  # the merge fills it from the merged record, kept as an alias
    survivor.save()
    customer_merge(survivor=survivor, merged=merged, actor=bank.user("admin"), reason="dup")
    assert CustomerAlias.objects.get().id_number == resident_id(5002)
    identifiers = {rejected, resident_id(778), resident_id(779), "13600000001", "13600000002"}
    for number, mobile in Customer.objects.values_list("id_number", "mobile"):
        identifiers |= {number, mobile} - {""}
    identifiers |= {resident_id(5000 + i) for i in range(30)}
    dump = _dump()
    assert "customers_customer" in dump  # the dump has the table's rows
    assert len(identifiers) > 60
    leaked = sorted(s for s in identifiers if s in dump)
    assert leaked == [], f"{len(leaked)} identifiers in plain text in the dump"
    # A run's error report on disk keeps the rejected ID masked as well.
    from bankcrm.ingest.outcome import error_report_path

    report = error_report_path(outcome.run_id).read_text(encoding="utf-8")
    assert not [s for s in identifiers if s in report]


def test_the_blind_index_field_derives_from_a_named_source():
    fields = {f.name: f for f in Customer._meta.concrete_fields}
    assert isinstance(fields["id_number_hash"], BlindIndexField)
    assert fields["id_number_hash"].source == "id_number"
    assert fields["mobile_hash"].source == "mobile"
    assert len(base64.urlsafe_b64decode(new_key() + "=")) == 32
