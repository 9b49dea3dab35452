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
        if self.column:  # a command's option (--date) is named as it is typed
            where.append(self.column if self.column.startswith("--") else f"column {self.column}")
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
        """The line for stderr, then the problems: whole-file ones (never hidden), then the
        rows', one by one when they are few, else grouped by file, column and reason
        with a count and the first example, so a file with thousands of bad rows still
        reads in a dozen lines (every problem is in the rejects file)."""
        if not self.problems:
            return self.message
        if len(self.problems) == 1 and self.problems[0].describe() in self.message:
            return self.message
        # the first problem, when the message names it already, is not listed again
        first = self.problems[0] if self.problems[0].describe() in self.message else None
        whole = [p for p in self.problems if p.row is None and p is not first]
        rows = [p for p in self.problems if p.row is not None and p is not first]
        lines = [self.message] + [f"  {p.describe()}" for p in whole]
        if len(whole) + len(rows) <= limit:
            return "\n".join(lines + [f"  {p.describe()}" for p in rows])
        groups: dict[tuple, list[Problem]] = {}
        for p in rows:
            groups.setdefault((p.file, p.column, p.code, p.reason), []).append(p)
        ordered = sorted(groups.values(), key=len, reverse=True)
        for group in ordered[:limit]:
            first = group[0]
            where = ", ".join(x for x in (first.file, f"column {first.column}" if first.column else None) if x)
            shown = ", ".join(str(p.row) for p in group[:3]) + (", …" if len(group) > 3 else "")
            example = f"; the first, row {first.row}" + (
                f", value {first.value!r}" if first.value not in (None, "") else "")
            text = f"  {where}: {first.reason} — {len(group)} row(s) ({shown}){example}" if len(group) > 1 \
                else f"  {first.describe()}"
            if len(group) > 1 and first.fix:
                text += f" ({first.fix})"
            lines.append(text)
        if len(ordered) > limit:
            rest = sum(len(g) for g in ordered[limit:])
            lines.append(f"  … and {rest} more problem(s) of {len(ordered) - limit} other kind(s)")
        return "\n".join(lines)


class BadInput(ReconError):
    """Refused input; nothing was changed."""

    @classmethod
    def from_problems(cls, what: str, problems: list[Problem]) -> BadInput:
        n = len(problems)
        if n == 1:
            exc = cls(f"{what} refused, nothing changed: {problems[0].describe()}", problems)
        else:
            exc = cls(f"{what} refused, nothing changed: {n} problems, the first: "
                      f"{problems[0].describe()}", problems)
        exc.what = what
        return exc

    def renamed(self, columns: dict[str, str], *, rows: bool = True) -> BadInput:
        """The same refusal with columns named as the caller knows them (the engine's
        ``credit_date`` is the option ``--date`` of a command); ``rows=False`` also drops
        row numbers that mean nothing to the caller."""
        from dataclasses import replace

        if not any(p.column in columns for p in self.problems):
            return self
        problems = [replace(p, column=columns[p.column], row=p.row if rows else None)
                    if p.column in columns else p for p in self.problems]
        what = getattr(self, "what", None)
        if what is None:
            return type(self)(self.message, problems)
        return type(self).from_problems(what, problems)


class LedgerInUse(ReconError):
    """Another process holds the ledger file's lock."""
