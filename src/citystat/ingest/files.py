"""Reading source files defensively: hashing, encodings, and CSV rows with structural checks.

A structural problem (wrong number of columns, bytes that are not UTF-8, an oversized field, a
line the CSV parser cannot read) quarantines that one row; reading goes on with the next. A quote
that never closes would make the parser read the following lines as one field: that row is
quarantined ("unbalanced quote") and the lines after it are read again as rows of their own.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import deque
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


class PhysicalLines:
    """A file's physical lines as the CSV parser takes them, remembering which lines each record used.

    Lines can be put back to be parsed again: when a quote that never closes makes one record run
    on over the following lines, those lines are read again as rows of their own.
    """

    def __init__(self, text: Iterator[str]) -> None:
        self._text = text
        self._pending: deque[str] = deque()
        self.taken: list[str] = []
        self.first_line = 1  # the physical line where the current record starts

    def lines(self) -> Iterator[str]:
        pending, taken, text = self._pending, self.taken, self._text
        while True:
            line = pending.popleft() if pending else next(text, None)
            if line is None:
                return
            taken.append(line)
            yield line

    def start_record(self) -> None:
        """The lines taken so far are done with; the next record starts after them."""
        self.first_line += len(self.taken)
        self.taken.clear()

    def put_back_all_but_first(self) -> None:
        """Keep the current record's first line; its other lines will be read again."""
        self._pending.extendleft(reversed(self.taken[1:]))
        del self.taken[1:]


def read_csv(
    path: Path,
    *,
    delimiter: str = ",",
    max_field_chars: int,
    is_ignored: Callable[[str], bool] | None = None,
    progress: ProgressFn | None = None,
) -> tuple[list[str], Iterator[CsvRow | RowProblem]]:
    """Return the header and an iterator of good rows and row problems, in file order.

    Values of columns for which ``is_ignored(name)`` holds are not checked (nobody reads them).
    """
    encoding = _sniff_bom(path)
    csv.field_size_limit(CSV_HARD_FIELD_LIMIT)
    counter = _CountingReader(path.open("rb"))
    text = io.TextIOWrapper(
        io.BufferedReader(counter, 1 << 20), encoding=encoding, errors="surrogateescape", newline=""
    )
    source = PhysicalLines(text)
    reader = csv.reader(source.lines(), delimiter=delimiter, strict=False)
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
    unchecked = frozenset(i for i, name in enumerate(header) if is_ignored is not None and is_ignored(name))
    rows = _CsvRows(source, reader, header, delimiter, max_field_chars, unchecked)
    total = path.stat().st_size
    return header, _iterate_rows(rows, text, counter, total, progress)


@dataclass
class _CsvRows:
    """What reading the data rows needs: the lines, the parser, the header and the limits."""

    source: PhysicalLines
    reader: Iterator[list[str]]
    header: list[str]
    delimiter: str
    max_field_chars: int
    unchecked: frozenset[int]  # positions of ignored columns

    def restart_after_first_line(self) -> None:
        """Read the current record's lines again, but its first, with a fresh parser."""
        self.source.put_back_all_but_first()
        self.reader = csv.reader(self.source.lines(), delimiter=self.delimiter, strict=False)


def _iterate_rows(
    rows: _CsvRows,
    text: io.TextIOWrapper,
    counter: _CountingReader,
    total: int,
    progress: ProgressFn | None,
) -> Iterator[CsvRow | RowProblem]:
    width = len(rows.header)
    source = rows.source
    row_number = 0
    try:
        while True:
            source.start_record()
            start_line = source.first_line
            try:
                fields = next(rows.reader)
            except StopIteration:
                break
            except csv.Error as exc:
                row_number += 1
                if len(source.taken) > 1:  # e.g. an open quote ran on until the field grew too large
                    yield report_unbalanced_quote(row_number, start_line, source.taken[0], rows)
                    rows.restart_after_first_line()
                else:
                    yield RowProblem(row_number, start_line, None, None, f"unreadable CSV row: {exc}")
                continue
            if not fields:
                continue  # blank line
            row_number += 1
            if progress is not None and row_number % 50_000 == 0:
                progress(counter.consumed, total)
            if len(source.taken) > 1 and is_run_on(source.taken, fields, width, rows.delimiter):
                yield report_unbalanced_quote(row_number, start_line, source.taken[0], rows)
                rows.restart_after_first_line()
                continue
            problem = check_row(fields, rows.header, width, rows.max_field_chars, rows.unchecked)
            if problem is None:
                yield CsvRow(row_number, start_line, fields)
            else:
                column, raw, reason = problem
                yield RowProblem(row_number, start_line, column, raw, reason)
    finally:
        if progress is not None:
            progress(total, total)
        text.close()


def is_run_on(lines: list[str], fields: list[str], width: int, delimiter: str) -> bool:
    """True when a record spread over several lines is not a well-formed quoted multi-line field.

    A quoted field may hold line breaks; but when the record has the wrong number of columns, or a
    strict parser finds a quote in the wrong place, a quote that never closed has swallowed lines.
    """
    if len(fields) != width:
        return True
    try:
        for _ in csv.reader(lines, delimiter=delimiter, strict=True):
            pass
    except csv.Error:
        return True
    return False


def report_unbalanced_quote(row_number: int, line_number: int, line: str, rows: _CsvRows) -> RowProblem:
    """The problem row for a line whose quoted field does not close on it (the field it opened is named)."""
    opened = next(csv.reader([line], delimiter=rows.delimiter, strict=False), [])
    position = len(opened) - 1
    column = rows.header[position] if 0 <= position < len(rows.header) else None
    return RowProblem(
        row_number,
        line_number,
        column,
        line.rstrip("\r\n"),
        "unbalanced quote: a quoted field is not closed on its line",
    )


def check_unique_header(
    header: list[str], path: Path, *, fold_case: bool, is_ignored: Callable[[str], bool] | None = None
) -> None:
    """Refuse a header that names a column twice (unnamed and ignored columns aside): which is read?"""
    positions: dict[str, list[int]] = {}
    for position, name in enumerate(header, start=1):
        key = name.strip().lower() if fold_case else name
        if key.strip() and not (is_ignored is not None and is_ignored(name)):
            positions.setdefault(key, []).append(position)
    repeated = [
        f"{'/'.join(dict.fromkeys(header[i - 1] for i in found))}"
        f" (columns {', '.join(map(str, found[:-1]))} and {found[-1]})"
        for found in positions.values()
        if len(found) > 1
    ]
    if repeated:
        raise IngestError(f"{path}: duplicate column names in the header: {', '.join(repeated)}")


def check_row(
    fields: list[str],
    header: list[str],
    width: int,
    max_field_chars: int,
    unchecked: frozenset[int] = frozenset(),
) -> tuple[str | None, str | None, str] | None:
    """Return (column, raw value, reason) for a structurally bad row, else None (fast path first).

    Values at the ``unchecked`` positions (ignored columns) may be too long or not UTF-8.
    """
    if len(fields) != width:
        return None, ",".join(fields), f"wrong number of columns: {len(fields)} instead of {width}"
    if max(map(len, fields)) > max_field_chars:
        for position, (name, value) in enumerate(zip(header, fields, strict=True)):
            if len(value) > max_field_chars and position not in unchecked:
                return name, value, f"field too long: {len(value):,} characters (limit {max_field_chars:,})"
    if not "".join(fields).isascii():
        for position, (name, value) in enumerate(zip(header, fields, strict=True)):
            if _SURROGATE.search(value) and position not in unchecked:
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
