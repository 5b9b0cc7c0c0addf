"""Reading roster CSV files: encoding, header lookup by name, physical line numbers, progress bars."""
from __future__ import annotations

import csv
import io
import sys
from pathlib import Path
from typing import Iterator, NamedTuple, Optional, Sequence

from tqdm import tqdm

from portal.roster.report import RosterError

MAX_FIELD_BYTES = 10 * 1024 * 1024


class CsvRow(NamedTuple):
    """One data row: its first physical line, values by column name (None when the row is too short)."""

    line: int
    values: dict[str, Optional[str]]
    extra_values: int = 0

    def missing_columns(self) -> list[str]:
        return [name for name, value in self.values.items() if value is None]


class CsvFile:
    """A roster file opened for reading. `missing` lists required columns absent from the header."""

    def __init__(self, path: Path, required: Sequence[str], optional: Sequence[str] = ()) -> None:
        if csv.field_size_limit() < MAX_FIELD_BYTES:
            csv.field_size_limit(MAX_FIELD_BYTES)  # here, not at import: reading a roster is what needs it
        self.path = path
        self.name = path.name
        self.encoding = "utf-8"
        try:
            data = path.read_bytes()
        except OSError as error:
            raise RosterError(f"{self.name} cannot be read: {error.strerror or type(error).__name__}") from None
        self._text = _decode(data, self)
        # strict: a quote left open stops the import instead of swallowing the rest of the file into one value
        # (the rows after it would look deleted, and their people be deactivated).
        self._reader = csv.reader(io.StringIO(self._text, newline=""), strict=True)
        try:
            header = [h.strip() for h in next(self._reader, [])]
        except csv.Error as error:
            raise _unreadable(self.name, 1, error) from None
        self.header_width = len(header)
        positions = {h.lower(): i for i, h in reversed(list(enumerate(header))) if h}
        self.missing = [c for c in required if c.lower() not in positions]
        self._columns = {c: positions[c.lower()] for c in (*required, *optional) if c.lower() in positions}

    def has_column(self, name: str) -> bool:
        return name in self._columns

    def rows(self, progress: bool = False) -> Iterator[CsvRow]:
        """Data rows with the line each starts on (the header is line 1); blank rows are skipped."""
        bar = tqdm(
            total=max(self._text.count("\n") - 1, 0),
            desc=self.name,
            unit=" rows",
            disable=not (progress and sys.stderr.isatty()),
            leave=False,
        )
        reader, columns, width = self._reader, self._columns, self.header_width
        previous_end = reader.line_num
        with bar:
            while True:
                try:
                    fields = next(reader, None)
                except csv.Error as error:  # a value over the size limit, a stray NUL: the file is not usable
                    raise _unreadable(self.name, previous_end + 1, error) from None
                if fields is None:
                    return
                line, previous_end = previous_end + 1, reader.line_num
                bar.update(1)
                if not any(f.strip() for f in fields):
                    continue
                count = len(fields)
                values = {name: (fields[i].strip() if i < count else None) for name, i in columns.items()}
                yield CsvRow(line, values, max(count - width, 0))


def _unreadable(name: str, line: int, error: csv.Error) -> RosterError:
    reason = str(error)
    if "field limit" in reason:
        reason = f"a value is longer than {MAX_FIELD_BYTES // (1024 * 1024)} MB"
    return RosterError(f"{name}:{line}: not a readable CSV file ({reason}); nothing was imported")


def _decode(data: bytes, target: CsvFile) -> str:
    """UTF-8 (with or without BOM); UTF-16 with a BOM ("Unicode" CSV from Excel); Windows-1252 as a fallback
    for older SIS exports. NUL bytes mean a binary file (or UTF-16 without a BOM): RosterError."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            target.encoding = "utf-16"
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise RosterError(f"{target.name} is not readable text (broken UTF-16); nothing was imported") from None
    if b"\x00" in data:
        raise RosterError(f"{target.name} contains NUL bytes: a binary file, not a CSV export; nothing was imported")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        target.encoding = "cp1252"
        return data.decode("cp1252", errors="replace")
