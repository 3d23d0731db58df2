"""Opening an export file: gzip, Parquet or CSV; encoding and delimiter detected and reported.

Files are streamed: a reader yields ``(line, cells)`` and never holds the whole file.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import gzip
import io
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext as _

SAMPLE_BYTES = 1 << 20
PARQUET_BATCH = 20_000
DELIMITERS = (",", "\t", ";", "|")

csv.field_size_limit(1 << 24)


class FileError(Exception):
    """The file as a whole cannot be read (not a row's fault)."""

    def __init__(self, message: str, *, line: int = 0) -> None:
        super().__init__(message)
        self.line = line


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
    ) -> None:
        self.path = path
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
            spool = tempfile.TemporaryFile()  # noqa: SIM115 (closed in __exit__)
            self._closers.append(spool)
            shutil.copyfileobj(stream, spool, 1 << 20)
            spool.seek(0)
            source: Any = spool
        else:
            source = self.path
        try:
            self._parquet = pq.ParquetFile(source)
        except Exception as exc:
            raise FileError(_("The Parquet file cannot be read: %s") % exc) from None
        self.detected.header = [n.replace("\x00", "") for n in self._parquet.schema_arrow.names]

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
            first = self._text.readline()
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
        reader = csv.reader(self._text, delimiter=self.detected.delimiter, strict=False)
        line = 1
        try:
            for cells in reader:
                line = reader.line_num + 1  # the reader started after the header line
                if not cells or (len(cells) == 1 and not cells[0].strip()):
                    continue
                yield line, cells
        except UnicodeDecodeError:
            raise FileError(self._decode_message(self.detected.encoding), line=line + 1) from None
        except csv.Error as exc:
            raise FileError(_("The file is not valid CSV: %s") % exc, line=line + 1) from None

    def _parquet_rows(self) -> Iterator[tuple[int, list[Any]]]:
        line = 1
        try:
            for batch in self._parquet.iter_batches(batch_size=PARQUET_BATCH):
                columns = [col.to_pylist() for col in batch.columns]
                for cells in zip(*columns, strict=True):
                    line += 1
                    yield line, list(cells)
        except FileError:
            raise
        except Exception as exc:
            raise FileError(_("The Parquet file cannot be read: %s") % exc, line=line) from None
