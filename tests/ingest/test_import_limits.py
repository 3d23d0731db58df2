"""Decompression and size bombs (issue 15, finding 4), and nested Parquet values (finding 13):
refused with a message naming the limit, within bounded memory, and every temporary file in the
import directory."""

from __future__ import annotations

import gzip
import io
import tempfile
import tracemalloc
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bankcrm.ingest.models import ImportStatus
from bankcrm.ingest.reading import FileError, Limits, Source
from bankcrm.ingest.services import import_path
from bankcrm.ingest.specs import KINDS

MiB = 1 << 20


def _gzip(path: Path, chunks, *, level: int = 9) -> Path:
    with gzip.open(path, "wb", compresslevel=level) as f:
        for chunk in chunks:
            f.write(chunk)
    return path


def _read_all(path: Path, limits: Limits | None = None) -> int:
    with Source(path, limits=limits) as source:
        return sum(1 for _ in source.rows())


def _peak_mib(fn) -> float:
    tracemalloc.start()
    try:
        fn()
    finally:
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak / MiB


@pytest.mark.django_db
def test_a_gzip_without_newlines_is_refused_after_a_line_not_read_whole(tmp_path):
    # 200 MB of one line, packed into about 200 KB (the tester's took the server to 890 MB).
    bomb = _gzip(tmp_path / "customers.csv.gz", [b"customer_no," + b"a" * (200 * MiB)])
    assert bomb.stat().st_size < 400_000

    def read() -> None:
        with pytest.raises(FileError, match="BANKCRM_IMPORT_MAX_LINE_CHARS"):
            _read_all(bomb)

    assert _peak_mib(read) < 40


@pytest.mark.django_db
def test_a_row_of_millions_of_commas_is_refused_by_the_line_or_the_cell_count(tmp_path):
    commas = _gzip(tmp_path / "c.csv.gz", [b"customer_no,name_zh\n", b"," * (31_000_000), b"\n"])
    assert commas.stat().st_size < 100_000

    def read() -> None:
        with pytest.raises(FileError, match="BANKCRM_IMPORT_MAX_LINE_CHARS"):
            _read_all(commas)

    assert _peak_mib(read) < 40
    # Within the line limit, the cells per row are limited too.
    wide = tmp_path / "wide.csv"
    wide.write_text("customer_no,name_zh\n" + "," * 600 + "\n", encoding="utf-8")
    with pytest.raises(FileError, match="BANKCRM_IMPORT_MAX_FIELDS") as refused:
        _read_all(wide)
    assert refused.value.line == 2


@pytest.mark.django_db
def test_unpacked_bytes_are_capped(tmp_path):
    many_lines = _gzip(
        tmp_path / "b.csv.gz", [b"code,name_zh\n"] + [b"B001,x\n" * 100_000 for _ in range(10)]
    )
    limits = Limits(unpacked_bytes=2 * MiB, line_chars=MiB, fields=500, spool_bytes=MiB)
    with pytest.raises(FileError, match="BANKCRM_IMPORT_MAX_UNPACKED_BYTES"):
        _read_all(many_lines, limits)


def _parquet_bytes(table: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    return buffer.getvalue()


@pytest.mark.django_db
def test_a_gzipped_parquet_is_spooled_in_the_import_directory_and_capped(tmp_path, settings):
    settings.BANKCRM_IMPORT_MAX_SPOOL_BYTES = 4 * MiB
    blob = _parquet_bytes(pa.table({"code": ["B" * 1000] * 20_000, "name_zh": ["x"] * 20_000}))
    packed = _gzip(tmp_path / "branches.parquet.gz", [blob, b"\0" * (8 * MiB)])
    system_tmp = set(Path(tempfile.gettempdir()).iterdir())
    opened: list[str] = []
    real = tempfile.TemporaryFile

    def spy(*args, **kwargs):
        opened.append(str(kwargs.get("dir")))
        return real(*args, **kwargs)

    tempfile.TemporaryFile = spy
    try:
        with pytest.raises(FileError, match="BANKCRM_IMPORT_MAX_SPOOL_BYTES"):
            _read_all(packed)
    finally:
        tempfile.TemporaryFile = real
    assert opened == [str(settings.BANKCRM_IMPORT_DIR)]
    assert set(Path(tempfile.gettempdir()).iterdir()) <= system_tmp
    # Under the limit the same file is read.
    settings.BANKCRM_IMPORT_MAX_SPOOL_BYTES = 64 * MiB
    small = _gzip(tmp_path / "ok.parquet.gz", [_parquet_bytes(pa.table({"code": ["BJ"]}))])
    assert _read_all(small) == 1


@pytest.mark.django_db
def test_parquet_data_that_unpacks_past_the_limit_is_refused(tmp_path):
    path = tmp_path / "b.parquet"
    path.write_bytes(_parquet_bytes(pa.table({"code": ["B" * 1000] * 10_000})))
    limits = Limits(unpacked_bytes=MiB, line_chars=MiB, fields=500, spool_bytes=MiB)
    with pytest.raises(FileError, match="BANKCRM_IMPORT_MAX_UNPACKED_BYTES"):
        _read_all(path, limits)


@pytest.mark.django_db
def test_nested_parquet_values_are_an_import_error_not_a_python_repr(bank, tmp_path):
    path = tmp_path / "branches.parquet"
    table = pa.table({"code": ["GZ"], "name_zh": [["广州", "分行"]]})
    path.write_bytes(_parquet_bytes(table))
    outcome = import_path(KINDS["branches"], path, actor=bank.admin)
    assert outcome.status == ImportStatus.REJECTED
    assert "nested" in outcome.message and "name_zh" in outcome.message
    from bankcrm.core.models import Branch

    assert not Branch.objects.filter(code="GZ").exists()


@pytest.mark.django_db
def test_an_import_refused_for_a_limit_says_so_in_the_run(bank, tmp_path, settings):
    settings.BANKCRM_IMPORT_MAX_LINE_CHARS = 1000
    path = tmp_path / "branches.csv"
    path.write_text("code,name_zh\nGZ," + "广" * 2000 + "\n", encoding="utf-8")
    outcome = import_path(KINDS["branches"], path, actor=bank.admin)
    assert outcome.status == ImportStatus.REJECTED
    assert "BANKCRM_IMPORT_MAX_LINE_CHARS" in outcome.message and "1,000" in outcome.message
