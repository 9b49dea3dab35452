"""Importing an export that overlaps what the ledger holds (SPEC §7, issue 19).

The platform exports cumulatively: next month's export holds this month's invoices
again, with whatever changed since. ``recon import`` therefore sorts each staged row
(import_overlap.sql) into

- **new**: the ledger has no such row: imported as before;
- **the same**: the ledger holds the row with the same values in every column the file
  carries (derived figures aside: total, unpaid amount and a status other than void,
  which ``recon compare`` checks): skipped, and counted;
- **in conflict**: the ledger holds the row with another value in some column: the
  import is refused, each conflict listed (id, column, the ledger's value, the file's),
  unless the change is a fact the platform owns and ``--update`` is given: a debit
  voided, a due date moved, a payment reversed, a link ended. Each is then written as a
  dated, audited fact (import_update.sql): the void or reversal on the day the file
  gives (a void given only by its status: the import's day), a due date on the import's
  day with the one before it kept in ``due_date_changes``, so the ledger as of an
  earlier day and a closed month's report stay as they were; nothing dated in a closed
  month, nor before the facts it depends on.

A credit made in recon that the platform created under its own number is the ledger's
credit (same_credit.sql): its header and items are skipped, its links and refunds read
as the ledger credit's. Rows of the ledger's own history (a recon export read again)
are skipped where identical; any other is refused as before (transfer.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from . import sql
from .db import Database
from .errors import BadInput, Problem
from .periods import lock_params

KINDS = {"void": "debit(s) voided", "due": "due date(s) moved", "reverse": "payment(s) reversed",
         "unlink": "link(s) ended"}

MESSAGES: dict[str, tuple[str, str | None]] = {
    "conflict": ("conflicts with the ledger, where {id} has {column} {ledger}",
                 "correct the export, or leave the row out"),
    "conflict_update": ("changed in the platform: the ledger's {id} has {column} {ledger}",
                        "to take the platform's change as a dated fact, import again with --update"),
    "void_before_invoice": ("the void date is before the invoice's date ({a})", "give a void date on or after {a}"),
    "void_before_link": ("the void date is before the debit's latest link ({a})",
                         "give a void date on or after {a}, or end the link in the file first"),
    "change_before_invoice": ("the import's day is before the invoice's date ({a})",
                              "import with --date on or after {a}"),
    "due_before_invoice": ("the new due date is before the invoice's date ({a})", "fix the due date"),
    "change_before_change": ("the due date was already moved on {a}, after the import's day",
                             "import with --date on or after {a}"),
    "reversed_before_paid": ("reversed before it was paid ({a})", "give a reversal date on or after {a}"),
    "unlink_before_link": ("ended before it was linked ({a})", "give an end date on or after {a}"),
    "period_closed": ("dated inside closed period {a}",
                      "date it after the closed month, or reopen the month first (`recon reopen`)"),
}


@dataclass(frozen=True)
class Conflict(Problem):
    """A row of the file that conflicts with the ledger: the ledger's id and value beside
    the file's (``value``), for the rejects file."""

    id: str | None = None
    ledger_value: str | None = None


@dataclass
class Overlap:
    """What an overlapping import found: ``skipped`` ({table: rows the ledger holds the
    same}), ``same_credits`` (file number -> the ledger's, for credits known under another
    number), ``updates`` (the platform's changes taken with --update: kind, id, column,
    before, after, day)."""

    skipped: dict[str, int] = field(default_factory=dict)
    same_credits: dict[str, str] = field(default_factory=dict)
    updates: pd.DataFrame | None = None

    @property
    def updated(self) -> dict[str, int]:
        if self.updates is None or self.updates.empty:
            return {}
        counts = self.updates["kind"].value_counts()
        return {k: int(counts[k]) for k in KINDS if k in counts}


def classify(db: Database, frames: dict[str, pd.DataFrame], *, update: bool, on: dt.date,
             what: str) -> Overlap:
    """Sort the staged rows (transfer.py's s_ tables) into new, the same, and in conflict;
    leave only the new ones staged. Refuses (BadInput, every conflict listed) a conflict
    that --update does not take; the changes it takes are returned, for :func:`apply`."""
    from .compare import same_credit

    db.execute(same_credit("s_invoices", "s_items", "ov_same_credit"))
    params = {f"{key}_cols": _columns(frames.get(table)) for key, table in (
        ("invoice", "invoices"), ("item", "invoice_items"), ("removed", "removed_items"),
        ("payment", "payments"), ("refund", "refunds"), ("link", "invoice_links"))}
    if "status" in params["invoice_cols"]:  # a void is given by its status, or its date
        params["invoice_cols"].append("voided_on")
    params["on"] = on
    for stmt in sql.statements("import_overlap"):
        db.execute(stmt, sql.used(stmt, params))
    conflicts = db.rows(
        "SELECT _file, _row, col, file_value, tbl, id, ledger_value, updatable FROM ov_diff"
        " WHERE NOT ($update AND updatable) ORDER BY _file, _row, col", {"update": update})
    if conflicts:
        # a void the file gives by its status alone is named so
        by_status = "voided_on" not in _columns(frames.get("invoices"))
        raise BadInput.from_problems(what, [_conflict(*c, by_status=by_status) for c in conflicts])
    for stmt in sql.statements("import_overlap_skip"):
        db.execute(stmt)
    counts = dict(db.rows(
        "SELECT tbl, count(*) FROM ov_twinned t WHERE NOT EXISTS"
        " (SELECT 1 FROM ov_diff d WHERE d.tbl = t.tbl AND d._row = t._row) GROUP BY tbl"))
    same = dict(db.rows("SELECT platform_id, ledger_id FROM ov_same_credit ORDER BY platform_id"))
    # in the files' order (invoices first), as the import's own counts
    return Overlap(skipped={t: int(counts[t]) for t in frames if t in counts}, same_credits=same)


def apply(db: Database, overlap: Overlap, *, update: bool, what: str) -> None:
    """Write the platform's changes that --update takes (import_update.sql), each as a
    dated fact; refused (BadInput) when one would be dated before what it depends on or in
    a closed month. Inside the import's transaction, after its new rows are written."""
    if not update or not db.scalar("SELECT count(*) FROM ov_diff WHERE updatable"):
        overlap.updates = pd.DataFrame(columns=["kind", "id", "column", "before", "after", "day"])
        return
    statements = sql.statements("import_update")
    lock = lock_params(db)
    db.execute(statements[0])
    db.execute(statements[1], sql.used(statements[1], lock))
    problems = [_problem(*r) for r in db.rows("SELECT * FROM ov_update_problems ORDER BY 1, 2, 3")]
    if problems:
        raise BadInput.from_problems(what, problems)
    overlap.updates = db.frame("SELECT kind, coalesce(id, '') AS id, col AS \"column\", before, after, day"
                               " FROM ov_update ORDER BY kind, id")
    for stmt in statements[2:]:
        db.execute(stmt)


def _columns(frame: pd.DataFrame | None) -> list[str]:
    if frame is None:
        return []
    return list(frame.attrs.get("columns", frame.columns))


def _conflict(file, row, column, value, table, ident, ledger, updatable, *, by_status: bool) -> Problem:
    """One conflict: the file's row, column and value; the ledger's id and value."""
    code = "conflict_update" if updatable else "conflict"
    reason, fix = MESSAGES[code]
    if table == "invoices" and column == "voided_on" and by_status:
        column, value = "status", "void" if value is not None else value
    held = "none" if ledger is None else repr(ledger)
    if column == "status":
        held = "void" if ledger is not None else "not void"
    return Conflict(reason=reason.format(id=ident, column=column.replace("_", " ") if column != "status" else "status",
                                         ledger=held),
                    file=file, row=row, column=column, value=value if value is not None else "", fix=fix, code=code,
                    id=ident, ledger_value=held if column == "status" else None if ledger is None else str(ledger))


def _problem(file, row, column, value, code, a) -> Problem:
    reason, fix = MESSAGES[code]
    return Problem(reason=reason.format(a=a), file=file, row=row, column=column, value=value,
                   fix=fix.format(a=a) if fix else None, code=code)
