"""Opening an export file: gzip, Parquet or CSV; encoding and delimiter detected and reported.

Files are streamed: a reader yields ``(line, cells)`` and never holds the whole file.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import functools
import gzip
import io
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext as _

SAMPLE_BYTES = 1 << 20
PARQUET_BATCH = 20_000
DELIMITERS = (",", "\t", ";", "|")
# Bytes of a CSV file the columnar reader parses at once (cut at a line end). Memory: a few
# times this, whatever the size of the file.
BLOCK_BYTES = 4 << 20
# Encodings the columnar reader reads (their line ends are single bytes no character holds).
COLUMNAR_ENCODINGS = frozenset({"utf-8", "utf-8-sig", "gb18030"})


@dataclass(frozen=True)
class Limits:
    """What one import may unpack and hold: decompression and size bombs are refused with a
    message naming the limit (settings ``BANKCRM_IMPORT_MAX_*``)."""

    unpacked_bytes: int  # bytes out of gzip (and a Parquet file's data, unpacked)
    line_chars: int  # one physical line of a CSV file
    fields: int  # cells in one row
    spool_bytes: int  # a gzipped Parquet file unpacked to disk (in the import directory)

    @classmethod
    def from_settings(cls) -> Limits:
        from django.conf import settings

        return cls(
            unpacked_bytes=settings.BANKCRM_IMPORT_MAX_UNPACKED_BYTES,
            line_chars=settings.BANKCRM_IMPORT_MAX_LINE_CHARS,
            fields=settings.BANKCRM_IMPORT_MAX_FIELDS,
            spool_bytes=settings.BANKCRM_IMPORT_MAX_SPOOL_BYTES,
        )


def _too_big(what: str, setting: str, limit: int, *, line: int = 0) -> FileError:
    return FileError(
        _("The file is refused: %(what)s is over the limit of %(limit)s (%(setting)s).")
        % {"what": what, "limit": f"{limit:,}", "setting": setting},
        line=line,
    )


@dataclass
class Batch:
    """Rows of a file, one of two ways: columns read by a compiled reader (``lines`` and
    ``table``: raw cells, strings for CSV), or ``rows`` of ``(line, cells)`` read by Python's
    csv module where the compiled reader would not read the rows exactly as it does."""

    lines: Any = None  # numpy int64 array: the line of each row of ``table``
    table: Any = None  # pyarrow Table, one column per header column
    rows: Any = None  # an iterator of (line, cells)
    consumed: int = 0  # physical lines of the file the batch covers (CSV)


class FileError(Exception):
    """The file as a whole cannot be read (not a row's fault)."""

    def __init__(self, message: str, *, line: int = 0) -> None:
        super().__init__(message)
        self.line = line


class _Capped(io.RawIOBase):
    """A byte stream that refuses to give more than ``limit`` bytes (a decompression bomb)."""

    def __init__(self, raw: IO[bytes], limit: int) -> None:
        self.raw, self.limit, self.count = raw, limit, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        n = len(data)
        self.count += n
        if self.count > self.limit:
            raise _too_big(_("the unpacked file"), "BANKCRM_IMPORT_MAX_UNPACKED_BYTES", self.limit)
        buffer[:n] = data
        return n


class _Counting(io.RawIOBase):
    """A read-only byte stream that counts what was read from the file underneath."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.count += n
        return n


@dataclass
class Detected:
    format: str = "csv"  # csv | parquet
    compression: str = ""  # "" | gzip
    encoding: str = ""
    encoding_detected: bool = False
    delimiter: str = ","
    header: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "compression": self.compression,
            "encoding": self.encoding,
            "encoding_detected": self.encoding_detected,
            "delimiter": self.delimiter,
            "header": self.header,
        }

    def describe(self) -> str:
        parts = [self.format.upper()]
        if self.compression:
            parts.append(self.compression)
        if self.format == "csv":
            how = _("detected") if self.encoding_detected else _("as given")
            parts.append(f"{self.encoding} ({how})")
            parts.append({"\t": "tab"}.get(self.delimiter, repr(self.delimiter)))
        return ", ".join(parts)


def detect_encoding(sample: bytes, *, complete: bool) -> str:
    """utf-8-sig when there is a BOM, utf-8 when the sample decodes, else gb18030."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=complete)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


def sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


class Source:
    """An opened export file. Use as a context manager; iterate :meth:`rows`."""

    def __init__(
        self,
        path: Path,
        *,
        encoding: str = "auto",
        delimiter: str = "",
        display_name: str = "",
        limits: Limits | None = None,
    ) -> None:
        self.path = path
        self.limits = limits or Limits.from_settings()
        self.name = display_name or path.name
        self.detected = Detected()
        self._encoding = encoding
        self._delimiter = delimiter
        self._closers: list[Any] = []
        self._counter: _Counting | None = None
        self.total_bytes = path.stat().st_size
        self._parquet: Any = None
        self._text: IO[str] | None = None

    # -- opening ------------------------------------------------------------------------
    def __enter__(self) -> Source:
        stream, magic = self._open_bytes()
        if magic == b"PAR1":
            self._open_parquet(stream)
        else:
            self._open_csv(stream)
        return self

    def _open_bytes(self) -> tuple[Any, bytes]:
        """The file's bytes (unpacked if gzipped), counted as read; and its first four."""
        raw = self.path.open("rb")
        self._closers.append(raw)
        self._counter = _Counting(raw)
        stream: Any = io.BufferedReader(self._counter, buffer_size=SAMPLE_BYTES)
        magic = stream.peek(4)[:4]
        if magic[:2] == b"\x1f\x8b":
            self.detected.compression = "gzip"
            stream = gzip.GzipFile(fileobj=stream, mode="rb")
            self._closers.append(stream)
            stream = _Capped(stream, self.limits.unpacked_bytes)
            stream = io.BufferedReader(stream, buffer_size=SAMPLE_BYTES)
            try:
                magic = stream.peek(4)[:4]
            except (OSError, EOFError) as exc:
                raise FileError(
                    _("The file looks like gzip but cannot be unpacked: %s") % exc
                ) from None
        return stream, magic

    def __exit__(self, *exc: object) -> None:
        for closer in reversed(self._closers):
            with contextlib.suppress(Exception):  # closing after an error must not mask it
                closer.close()

    def _open_parquet(self, stream: Any) -> None:
        import pyarrow.parquet as pq

        self.detected.format = "parquet"
        if self.detected.compression:  # Parquet needs random access: unpack to a spool file
            source: Any = self._spool(stream)
        else:
            source = self.path
        try:
            self._parquet = pq.ParquetFile(source)
        except Exception as exc:
            raise FileError(_("The Parquet file cannot be read: %s") % exc) from None
        self._check_parquet()
        self.detected.header = [n.replace("\x00", "") for n in self._parquet.schema_arrow.names]

    def _spool(self, stream: Any) -> IO[bytes]:
        """The unpacked file on disk, in the import directory (never the system's temporary
        directory), at most ``spool_bytes``."""
        from bankcrm.ingest.outcome import import_dir

        spool = tempfile.TemporaryFile(dir=import_dir(), prefix="spool-")  # noqa: SIM115
        self._closers.append(spool)
        limit, written = self.limits.spool_bytes, 0
        while chunk := stream.read(1 << 20):
            written += len(chunk)
            if written > limit:
                raise _too_big(_("the unpacked file"), "BANKCRM_IMPORT_MAX_SPOOL_BYTES", limit)
            spool.write(chunk)
        spool.seek(0)
        return spool

    def _check_parquet(self) -> None:
        """Refuse what cannot be imported before any row is read: nested columns (a list or a
        struct is not a cell), too many columns, data that unpacks past the limit."""
        import pyarrow as pa

        schema = self._parquet.schema_arrow
        nested = [f.name for f in schema if pa.types.is_nested(f.type)]
        if nested:
            raise FileError(
                _("The Parquet file has nested columns, which cannot be imported: %s.")
                % ", ".join(nested[:10])
            )
        if len(schema) > self.limits.fields:
            raise _too_big(
                _("the number of columns"), "BANKCRM_IMPORT_MAX_FIELDS", self.limits.fields
            )
        meta = self._parquet.metadata
        unpacked = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        if unpacked > self.limits.unpacked_bytes:
            raise _too_big(
                _("the unpacked data"),
                "BANKCRM_IMPORT_MAX_UNPACKED_BYTES",
                self.limits.unpacked_bytes,
            )

    def _open_csv(self, stream: Any) -> None:
        sample = stream.peek(SAMPLE_BYTES)[:SAMPLE_BYTES]
        if self._encoding in ("", "auto"):
            complete = not self.detected.compression and len(sample) >= self.total_bytes
            encoding = detect_encoding(sample, complete=complete)
            self.detected.encoding_detected = True
        else:
            encoding = {"utf8": "utf-8", "gbk": "gb18030", "gb2312": "gb18030"}.get(
                self._encoding.lower(), self._encoding.lower()
            )
            if encoding == "utf-8" and sample.startswith(codecs.BOM_UTF8):
                encoding = "utf-8-sig"
            try:
                codecs.lookup(encoding)
            except LookupError:
                raise FileError(_("Unknown encoding: %s") % self._encoding) from None
        self.detected.encoding = encoding
        self._text = io.TextIOWrapper(stream, encoding=encoding, newline="")
        self._closers.append(self._text)
        first = ""
        try:
            first = self._readline(1)
        except UnicodeDecodeError:
            raise FileError(self._decode_message(encoding), line=1) from None
        if not first.strip():
            raise FileError(_("The file is empty: it needs a header row."), line=1)
        delimiter = self._delimiter or sniff_delimiter(first)
        self.detected.delimiter = delimiter
        self._first = first
        header = next(csv.reader([first], delimiter=delimiter))
        self.detected.header = [h.replace("\x00", "").strip().lstrip("\ufeff") for h in header]

    def _decode_message(self, encoding: str) -> str:
        return _(
            "The file is not valid %(encoding)s text. Give its encoding with --encoding "
            "(utf-8 or gb18030)."
        ) % {"encoding": encoding}

    def _readline(self, line: int) -> str:
        """One physical line, at most ``line_chars`` long: a file without newlines is refused
        after that much, not read into memory whole."""
        assert self._text is not None
        limit = self.limits.line_chars
        text = self._text.readline(limit + 1)
        if len(text) > limit and not text.endswith(("\n", "\r")):
            raise _too_big(_("a line"), "BANKCRM_IMPORT_MAX_LINE_CHARS", limit, line=line)
        return text

    def _lines(self) -> Iterator[str]:
        line = 1
        while text := self._readline(line + 1):
            line += 1
            yield text

    # -- reading ------------------------------------------------------------------------
    @property
    def bytes_read(self) -> int:
        return self._counter.count if self._counter else 0

    def rows(self) -> Iterator[tuple[int, list[Any]]]:
        """``(line, cells)`` for each data row; line numbers count the header as line 1."""
        if self._parquet is not None:
            yield from self._parquet_rows()
            return
        assert self._text is not None
        # A quoted cell may span lines: no cell is longer than a line may be.
        csv.field_size_limit(self.limits.line_chars)
        reader = csv.reader(self._lines(), delimiter=self.detected.delimiter, strict=False)
        line, fields = 1, self.limits.fields
        try:
            for cells in reader:
                line = reader.line_num + 1  # the reader started after the header line
                if len(cells) > fields:
                    raise _too_big(
                        _("the number of cells in a row"),
                        "BANKCRM_IMPORT_MAX_FIELDS",
                        fields,
                        line=line,
                    )
                if not cells or (len(cells) == 1 and not cells[0].strip()):
                    continue
                yield line, cells
        except UnicodeDecodeError:
            raise FileError(self._decode_message(self.detected.encoding), line=line + 1) from None
        except csv.Error as exc:
            raise FileError(_("The file is not valid CSV: %s") % exc, line=line + 1) from None

    # -- reading in blocks ----------------------------------------------------------------
    def batches(self) -> Iterator[Batch]:
        """The file's rows in blocks of columns (:class:`Batch`); where the compiled reader
        could read a block differently from Python's csv module (a quoted line break, a stray
        quote, a lone carriage return, an undecodable byte, a line over the limit), that block
        or the rest of the file is read row by row as :meth:`rows` reads it, so that every row
        and line number is what it would have been."""
        if self._parquet is not None:
            yield from self._parquet_batches()
        elif self._columnar_csv():
            yield from self._csv_batches()
        else:
            yield Batch(rows=self.rows())

    def _columnar_csv(self) -> bool:
        d = self.detected
        return (
            d.encoding in COLUMNAR_ENCODINGS
            and 1 < len(d.header) <= self.limits.fields
            and self._first.endswith("\n")
            and len(d.delimiter) == 1
        )

    def _csv_batches(self) -> Iterator[Batch]:
        stream, _magic = self._open_bytes()  # a second pass over the bytes, counted from 0
        limit = self.limits.line_chars
        head = stream.readline(4 * limit + 4)
        try:
            same = head.decode(self.detected.encoding) == self._first
        except UnicodeDecodeError:
            same = False
        if not same:
            yield Batch(rows=self._replay(0))
            return
        base, last, pending = 1, 1, b""  # lines consumed; the last row's line; a part line
        while True:
            chunk = stream.read(BLOCK_BYTES)
            data = pending + chunk if pending else chunk
            if not data:
                return
            if chunk:
                cut = data.rfind(b"\n") + 1
                if not cut:
                    if len(data) > 4 * limit + 4:  # a line over the limit: the rows say so
                        yield Batch(rows=self._replay(last))
                        return
                    pending = data
                    continue
                block, pending = data[:cut], data[cut:]
            else:
                block, pending = data, b""
            batch = self._csv_block(block, base)
            if batch is None:
                yield Batch(rows=self._replay(last))
                return
            if batch.rows is not None:
                rows = list(batch.rows)
                if rows:
                    last = rows[-1][0]
                batch.rows = iter(rows)
            elif len(batch.lines):
                last = int(batch.lines[-1])
            yield batch
            base += batch.consumed

    def _csv_block(self, block: bytes, base: int) -> Batch | None:
        """One block of whole lines after line ``base``: columns, or rows read by the csv
        module when the compiled reader cannot be trusted with it, or None when the rest of
        the file must be read row by row from the start (see :meth:`batches`)."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.csv as pacsv

        encoding = self.detected.encoding
        text: str | None = None
        if encoding == "gb18030":
            try:
                text = block.decode("gb18030")
            except UnicodeDecodeError:
                return None
            data = text.encode("utf-8")
        else:
            data = block  # the compiled reader checks it is UTF-8
        if b"\r" in data and data.count(b"\r") != data.count(b"\r\n"):
            return None  # a lone CR ends a line for the csv module
        if b'"' in data and b'"' in _quoted_fields(self.detected.delimiter).sub(b"", data):
            return None  # a quote the compiled reader may read otherwise; a quoted line break
        codes = np.frombuffer(data, np.uint8)
        ends = np.flatnonzero(codes == 10)
        if not data.endswith(b"\n"):
            ends = np.append(ends, len(data))
        starts = np.concatenate(([0], ends[:-1] + 1))
        lengths = ends - starts
        if int(lengths.max()) + 1 > self.limits.line_chars:
            return None  # maybe over the limit (counted in bytes): the rows tell
        if b"\r" in data:
            lengths = lengths - ((lengths > 0) & (codes[np.maximum(ends - 1, 0)] == 13))
        lines = base + 1 + np.flatnonzero(lengths > 0)
        if b"\x00" not in data:
            names = [f"c{i}" for i in range(len(self.detected.header))]
            try:
                table = pacsv.read_csv(
                    io.BytesIO(data),
                    read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 22),
                    parse_options=pacsv.ParseOptions(
                        delimiter=self.detected.delimiter,
                        quote_char='"',
                        double_quote=True,
                        escape_char=False,
                        newlines_in_values=False,
                        ignore_empty_lines=True,
                    ),
                    convert_options=pacsv.ConvertOptions(
                        column_types=dict.fromkeys(names, pa.string()),
                        strings_can_be_null=False,
                        quoted_strings_can_be_null=False,
                    ),
                )
            except (pa.ArrowInvalid, ValueError):
                table = None  # a row of another width, say: the csv module reads the block
            if table is not None and table.num_rows == len(lines):
                return Batch(lines=lines, table=table.combine_chunks(), consumed=len(ends))
        if text is None:
            try:
                text = block.decode("utf-8")
            except UnicodeDecodeError:
                return None
        return Batch(rows=self._csv_rows(io.StringIO(text, newline=""), base), consumed=len(ends))

    def _replay(self, after: int) -> Iterator[tuple[int, list[Any]]]:
        """:meth:`rows` from the file's start, giving the rows after line ``after``."""
        stream, _magic = self._open_bytes()
        self._text = io.TextIOWrapper(stream, encoding=self.detected.encoding, newline="")
        self._closers.append(self._text)
        self._readline(1)
        for line, cells in self.rows():
            if line > after:
                yield line, cells

    def _csv_rows(self, text: IO[str], base: int) -> Iterator[tuple[int, list[Any]]]:
        """The rows of whole lines after line ``base`` (already decoded), as :meth:`rows`."""
        limit, fields = self.limits.line_chars, self.limits.fields
        csv.field_size_limit(limit)
        reader = csv.reader(text, delimiter=self.detected.delimiter, strict=False)
        for cells in reader:
            line = reader.line_num + base
            if len(cells) > fields:
                raise _too_big(
                    _("the number of cells in a row"),
                    "BANKCRM_IMPORT_MAX_FIELDS",
                    fields,
                    line=line,
                )
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue
            yield line, cells

    def _parquet_batches(self) -> Iterator[Batch]:
        import numpy as np
        import pyarrow as pa

        line, unpacked, limit = 1, 0, self.limits.unpacked_bytes
        try:
            for batch in self._parquet.iter_batches(batch_size=PARQUET_BATCH):
                unpacked += batch.nbytes  # dictionary-encoded values count as read
                if unpacked > limit:
                    raise _too_big(
                        _("the unpacked data"),
                        "BANKCRM_IMPORT_MAX_UNPACKED_BYTES",
                        limit,
                        line=line,
                    )
                n = batch.num_rows
                lines = np.arange(line + 1, line + 1 + n, dtype=np.int64)
                line += n
                yield Batch(lines=lines, table=pa.Table.from_batches([batch]))
        except FileError:
            raise
        except Exception as exc:
            raise FileError(_("The Parquet file cannot be read: %s") % exc, line=line) from None

    def _parquet_rows(self) -> Iterator[tuple[int, list[Any]]]:
        line, unpacked, limit = 1, 0, self.limits.unpacked_bytes
        try:
            for batch in self._parquet.iter_batches(batch_size=PARQUET_BATCH):
                unpacked += batch.nbytes  # dictionary-encoded values count as read
                if unpacked > limit:
                    raise _too_big(
                        _("the unpacked data"),
                        "BANKCRM_IMPORT_MAX_UNPACKED_BYTES",
                        limit,
                        line=line,
                    )
                columns = [col.to_pylist() for col in batch.columns]
                for cells in zip(*columns, strict=True):
                    line += 1
                    yield line, list(cells)
        except FileError:
            raise
        except Exception as exc:
            raise FileError(_("The Parquet file cannot be read: %s") % exc, line=line) from None


@functools.cache
def _quoted_fields(delimiter: str) -> re.Pattern[bytes]:
    """A well-formed quoted cell: a whole field, quotes inside doubled, no line break."""
    d = re.escape(delimiter.encode())
    return re.compile(rb"(?:^|(?<=" + d + rb'))"(?:[^"\r\n]|"")*"(?=' + d + rb"|\r?$)", re.M)
