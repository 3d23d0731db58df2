"""Opening an export file: gzip, Parquet or CSV; encoding and delimiter detected and reported.

Files are streamed: a reader yields ``(line, cells)`` and never holds the whole file.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import gzip
import io
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext as _

SAMPLE_BYTES = 1 << 20
PARQUET_BATCH = 20_000
DELIMITERS = (",", "\t", ";", "|")


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
        if magic == b"PAR1":
            self._open_parquet(stream)
        else:
            self._open_csv(stream)
        return self

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
