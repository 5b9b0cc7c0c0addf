"""What an import did: counts per file and the rows it could not take."""
from __future__ import annotations

from dataclasses import dataclass, field


class RosterError(Exception):
    """The folder is not a roster at all (missing folder, missing or unreadable required file)."""


@dataclass(frozen=True)
class RowProblem:
    """A rejected row (or link, or whole file when `line` is the header's line 1)."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass
class FileCounts:
    """Rows of one file: inserted, updated, unchanged, deactivated (gone from the export), rejected, skipped."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    rejected: int = 0
    skipped: int = 0

    def describe(self) -> str:
        parts = [f"{self.inserted} inserted", f"{self.updated} updated", f"{self.unchanged} unchanged",
                 f"{self.deactivated} deactivated", f"{self.rejected} rejected"]
        if self.skipped:
            parts.append(f"{self.skipped} skipped")
        return ", ".join(parts)


@dataclass
class ImportReport:
    """The outcome of one `import_roster` run."""

    directory: str
    files: dict[str, FileCounts] = field(default_factory=dict)
    problems: list[RowProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when no row was rejected."""
        return not self.problems and not any(c.rejected for c in self.files.values())

    @property
    def rejected(self) -> int:
        return sum(c.rejected for c in self.files.values())

    def counts(self, name: str) -> FileCounts:
        return self.files.setdefault(name, FileCounts())

    def reject(self, file: str, line: int, message: str, counts_as: str | None = None) -> None:
        """Record a problem and count it as a rejection of `counts_as` (default: the file itself)."""
        self.problems.append(RowProblem(file, line, message))
        self.counts(counts_as or file).rejected += 1

    def summary(self) -> str:
        """Human summary: one line per file, then the problems."""
        lines = [f"Imported roster from {self.directory} in {self.seconds:.1f}s"]
        width = max((len(n) for n in self.files), default=0)
        lines += [f"  {name:<{width}}  {counts.describe()}" for name, counts in self.files.items()]
        lines += [f"  note: {note}" for note in self.notes]
        if self.problems:
            lines.append(f"{len(self.problems)} problem(s):")
            lines += [f"  {problem}" for problem in self.problems]
        return "\n".join(lines)
