"""Reading source files defensively: hashing, encodings, and CSV rows with structural checks.

A structural problem (wrong number of columns, bytes that are not UTF-8, an oversized field, a
line the CSV parser cannot read) quarantines that one row; reading goes on with the next.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from citystat.errors import IngestError

ProgressFn = Callable[[int, int], None]
"""progress(done, total) in bytes or rows; total 0 when unknown."""

CSV_HARD_FIELD_LIMIT = 64 * 1024 * 1024
_SURROGATE = re.compile("[\udc80-\udcff]")


@dataclass(frozen=True)
class FileInfo:
    path: Path
    sha256: str
    size: int


@dataclass(frozen=True)
class RowProblem:
    row_number: int
    line_number: int
    column: str | None
    raw_value: str | None
    reason: str


@dataclass(frozen=True)
class CsvRow:
    row_number: int
    line_number: int
    fields: list[str]


def describe_file(path: Path) -> FileInfo:
    """Hash a file (streaming) so a reload of the same bytes can be recognised."""
    if not path.is_file():
        raise IngestError(f"{path}: no such file")
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return FileInfo(path, digest.hexdigest(), size)


def _sniff_bom(path: Path) -> str:
    with path.open("rb") as handle:
        head = handle.read(4)
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise IngestError(f"{path}: file is UTF-16 encoded; save it as UTF-8")
    return "utf-8"


class _CountingReader(io.RawIOBase):
    """A raw byte stream that remembers how far it has read (for progress bars)."""

    def __init__(self, raw: io.BufferedReader) -> None:
        self._raw = raw
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        n = self._raw.readinto(buffer)
        self.consumed += n or 0
        return n or 0

    def close(self) -> None:
        self._raw.close()
        super().close()


def read_csv(
    path: Path,
    *,
    delimiter: str = ",",
    max_field_chars: int,
    progress: ProgressFn | None = None,
) -> tuple[list[str], Iterator[CsvRow | RowProblem]]:
    """Return the header and an iterator of good rows and row problems, in file order."""
    encoding = _sniff_bom(path)
    csv.field_size_limit(CSV_HARD_FIELD_LIMIT)
    counter = _CountingReader(path.open("rb"))
    text = io.TextIOWrapper(
        io.BufferedReader(counter, 1 << 20), encoding=encoding, errors="surrogateescape", newline=""
    )
    reader = csv.reader(text, delimiter=delimiter, strict=False)
    try:
        header = next(reader)
    except StopIteration:
        text.close()
        raise IngestError(f"{path}: file is empty") from None
    except csv.Error as exc:
        text.close()
        raise IngestError(f"{path}: cannot read the header line as CSV: {exc}") from exc
    if any(_SURROGATE.search(h) for h in header):
        text.close()
        raise IngestError(f"{path}: header line is not valid UTF-8")
    total = path.stat().st_size
    return header, _iterate_rows(reader, text, header, counter, total, max_field_chars, progress)


def _iterate_rows(
    reader: Iterator[list[str]],
    text: io.TextIOWrapper,
    header: list[str],
    counter: _CountingReader,
    total: int,
    max_field_chars: int,
    progress: ProgressFn | None,
) -> Iterator[CsvRow | RowProblem]:
    width = len(header)
    row_number = 0
    line_number = 1
    try:
        while True:
            start_line = line_number + 1
            try:
                fields = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                row_number += 1
                line_number = getattr(reader, "line_num", line_number + 1)
                yield RowProblem(row_number, start_line, None, None, f"unreadable CSV row: {exc}")
                continue
            line_number = getattr(reader, "line_num", line_number + 1)
            if not fields:
                continue  # blank line
            row_number += 1
            if progress is not None and row_number % 50_000 == 0:
                progress(counter.consumed, total)
            problem = check_row(fields, header, width, max_field_chars)
            if problem is None:
                yield CsvRow(row_number, start_line, fields)
            else:
                column, raw, reason = problem
                yield RowProblem(row_number, start_line, column, raw, reason)
    finally:
        if progress is not None:
            progress(total, total)
        text.close()


def check_row(
    fields: list[str], header: list[str], width: int, max_field_chars: int
) -> tuple[str | None, str | None, str] | None:
    """Return (column, raw value, reason) for a structurally bad row, else None (fast path first)."""
    if len(fields) != width:
        return None, ",".join(fields), f"wrong number of columns: {len(fields)} instead of {width}"
    if max(map(len, fields)) > max_field_chars:
        for name, value in zip(header, fields, strict=True):
            if len(value) > max_field_chars:
                return name, value, f"field too long: {len(value):,} characters (limit {max_field_chars:,})"
    if not "".join(fields).isascii():
        for name, value in zip(header, fields, strict=True):
            if _SURROGATE.search(value):
                return name, value, "invalid UTF-8 bytes"
    return None


def printable(value: str | None, limit: int) -> str | None:
    """Make a raw value safe to store: undecodable bytes shown as \\xNN, cut to ``limit`` characters."""
    if value is None:
        return None
    if _SURROGATE.search(value):
        value = value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    if len(value) > limit:
        return value[:limit] + f"… [{len(value):,} characters]"
    return value
