"""Errors that an analyst can act on.

Every expected failure is a :class:`ReconError`: it carries the exit code of SPEC §4 and,
for bad input, the list of :class:`Problem` rows (file, row, column, value, reason, fix).
The CLI catches it in one place and prints one clear line; notebooks see the same
exception with ``.problems`` as a DataFrame.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

EXIT_OK = 0
EXIT_DIFFERENCES = 1
EXIT_BAD_INPUT = 2


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, precise enough to fix it."""

    reason: str
    file: str | None = None
    row: int | None = None
    column: str | None = None
    value: object = None
    fix: str | None = None
    code: str = "invalid"

    def describe(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column}")
        if self.value is not None and self.value != "":
            where.append(f"value {self.value!r}")
        head = ", ".join(where)
        text = f"{head}: {self.reason}" if head else self.reason
        if self.fix:
            text += f" ({self.fix})"
        return text


class ReconError(Exception):
    """An expected failure: bad input, a refused rule, a ledger in use."""

    exit_code = EXIT_BAD_INPUT

    def __init__(self, message: str, problems: list[Problem] | None = None):
        super().__init__(message)
        self.message = message
        self.problems = list(problems or [])

    def problems_frame(self):
        import pandas as pd

        cols = ["file", "row", "column", "value", "reason", "fix", "code"]
        return pd.DataFrame([asdict(p) for p in self.problems], columns=cols)

    def summary(self, limit: int = 10) -> str:
        """The one line for stderr, then the first problems, then the count."""
        if not self.problems:
            return self.message
        if len(self.problems) == 1 and self.problems[0].describe() in self.message:
            return self.message
        lines = [self.message]
        lines += [f"  {p.describe()}" for p in self.problems[:limit]]
        if len(self.problems) > limit:
            lines.append(f"  … and {len(self.problems) - limit} more")
        return "\n".join(lines)


class BadInput(ReconError):
    """Refused input; nothing was changed."""

    @classmethod
    def from_problems(cls, what: str, problems: list[Problem]) -> BadInput:
        n = len(problems)
        if n == 1:
            return cls(f"{what} refused, nothing changed: {problems[0].describe()}", problems)
        return cls(f"{what} refused, nothing changed: {n} problems, the first: "
                   f"{problems[0].describe()}", problems)


class LedgerInUse(ReconError):
    """Another process holds the ledger file's lock."""
