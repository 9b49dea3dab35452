"""Matching credit lines to the debit items they reverse (``recon match``).

Real exports carry credit lines that do not say which debit item they reverse: a
retailer's cancellation lines name only the customer, the product code, a quantity (or
a net amount) and a date. ``match`` proposes, for each line, the account's earlier debit
items of that product, oldest first, up to what is still creditable (set-based:
match.sql lays items and lines end to end and takes their overlaps), and returns

- ``corrections``: a corrections file ready for ``recon apply`` (SPEC §5), one credit
  invoice per source credit number (``group`` and ``credit_invoice_id`` are the number,
  ``credit_date`` its latest line's date), a row per debit item and credit number;
- ``unmatched``: what it could not match, each line's own cells with the part left and
  why: no earlier debit of that product, a quantity beyond what was invoiced, only paid
  debits left (``allow_paid=False``), a credit number already in the ledger.

Nothing is applied by ``match`` itself: the analyst reads the proposal, then applies it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import sql
from .db import Database
from .errors import BadInput, Problem
from .files import FileFormat, load

MESSAGES: dict[str, tuple[str, str]] = {
    "no_earlier_debit": ("no debit item of this product invoiced to the account on or before the line's date",
                         "check the account, product code and date, or credit it by hand"),
    "beyond_invoiced": ("more than was invoiced on or before the line's date and is still creditable",
                        "check the quantity or amount; what could be matched is in the corrections"),
    "paid_debits": ("what is left of the product is on paid debit invoices",
                    "match again with --allow-paid to credit paid debits (the credit then stays available)"),
    "several_currencies": ("the account is billed for this product in several currencies",
                           "give the line's currency"),
    "mixed_credit_number": ("the credit number has lines of several accounts or currencies",
                            "one credit invoice is one account's in one currency: number the credits apart"),
    "already_in_ledger": ("the ledger has a credit invoice of this number already",
                          "leave out the lines of credits applied before"),
}
CORRECTION_COLUMNS = ["debit_invoice_id", "item_id", "quantity", "amount", "reason", "credit_date", "group",
                      "credit_invoice_id", "memo"]


@dataclass
class MatchResult:
    """The proposal: ``corrections`` (for ``recon apply``) and ``unmatched`` (the lines,
    or the part of a line, not matched: the line's cells, row, unmatched_quantity,
    unmatched_amount, problem, fix)."""

    lines: int
    corrections: pd.DataFrame
    unmatched: pd.DataFrame
    paths: dict[str, Path] = field(default_factory=dict)

    @property
    def credit_numbers(self) -> int:
        return int(self.corrections["credit_invoice_id"].nunique())

    def summary(self) -> str:
        fully = self.lines - len(self.unmatched)
        text = (f"{self.lines:,} credit line(s): {fully:,} matched in full, {len(self.unmatched):,} not "
                f"(or not in full); {len(self.corrections):,} correction row(s) for "
                f"{self.credit_numbers:,} credit invoice(s)")
        if len(self.unmatched):
            counts = self.unmatched["code"].value_counts()
            text += "; not matched: " + ", ".join(f"{int(n):,} {code.replace('_', ' ')}" for code, n in counts.items())
        return text

    def write(self, out: str | Path, unmatched: str | Path | None = None) -> dict[str, Path]:
        """The corrections file (csv, parquet or xlsx by its suffix) and the unmatched lines
        beside it (``<out>.unmatched.csv`` unless given)."""
        from .report.render import write_csv

        out = Path(out)
        if out.suffix.lower() not in (".csv", ".parquet", ".xlsx"):
            raise BadInput(f"--out {out}: name a .csv, .parquet or .xlsx file for the corrections")
        rest = Path(unmatched) if unmatched else out.with_name(out.stem + ".unmatched.csv")
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            rest.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BadInput(f"cannot create {out.parent}: {exc.strerror}; choose a folder you can write to") from None
        if out.suffix.lower() == ".csv":
            import pyarrow.csv as pacsv

            # machine text, exact: recon apply reads it back as it is
            pacsv.write_csv(_exact_text(self.corrections), out, pacsv.WriteOptions(quoting_style="needed"))
        elif out.suffix.lower() == ".parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            pq.write_table(pa.Table.from_pandas(self.corrections, preserve_index=False), out)
        else:
            from .excel import Book, write_sheet

            book = Book(out)
            write_sheet(book, "corrections", self.corrections, None, ("amount",))
            book.close()
        # for people: exact numbers, and no cell a spreadsheet would run as a formula
        text = _exact_text(self.unmatched.drop(columns=["code"])).to_pandas(types_mapper=pd.ArrowDtype)
        write_csv(text, rest)
        self.paths = {"corrections": out, "unmatched": rest}
        return self.paths


def match(db: Database, source, *, fmt: FileFormat | None = None, allow_paid: bool = False) -> MatchResult:
    """Propose the debit items that the credit lines of ``source`` (a file or DataFrame of
    credit_number, account_id, product_code, quantity or amount, credit_date[, currency,
    reason, memo]) reverse. Reads the ledger only."""
    name = str(source) if not isinstance(source, pd.DataFrame) else "credit lines (DataFrame)"
    lines = load(source, "credit_lines", fmt, what=name if isinstance(source, pd.DataFrame) else None)
    _check_lines(lines, name)
    frame = lines.copy()
    frame["_row"] = pd.array(lines.index.to_numpy(), dtype="int64[pyarrow]")
    db.con.register("m_lines_in", frame)
    try:
        db.execute("CREATE OR REPLACE TEMP TABLE m_lines AS SELECT * FROM m_lines_in")
    finally:
        db.con.unregister("m_lines_in")
    for stmt in sql.statements("match"):
        db.execute(stmt, sql.used(stmt, {"allow_paid": allow_paid}))
    corrections = db.frame(
        "SELECT p.invoice_id AS debit_invoice_id, p.item_id, sum(p.quantity)::DECIMAL(18,6) AS quantity,"
        " sum(p.amount)::DECIMAL(18,3) AS amount, any_value(l.reason) AS reason, n.credit_date,"
        " l.credit_number AS \"group\", l.credit_number AS credit_invoice_id, any_value(l.memo) AS memo"
        " FROM m_piece p JOIN m_line l USING (_row)"
        # the credit invoice is dated its latest line's day: on or after every debit it credits
        " JOIN (SELECT credit_number, max(credit_date) AS credit_date FROM m_line GROUP BY ALL) n USING (credit_number)"
        " GROUP BY p.invoice_id, p.item_id, p.invoice_date, p.line_no, l.credit_number, n.credit_date,"
        " p.quantity IS NULL"
        " ORDER BY l.credit_number, min(l._row), p.invoice_date, p.invoice_id, p.line_no")
    unmatched = db.frame(
        "SELECT l.* EXCLUDE (_row, cur, refused), u._row AS row, u.unmatched_quantity, u.unmatched_amount, u.code"
        " FROM m_unmatched u JOIN m_line l USING (_row) ORDER BY u._row")
    reasons = unmatched["code"].map(lambda c: MESSAGES[c][0])
    fixes = unmatched["code"].map(lambda c: MESSAGES[c][1])
    unmatched["problem"] = pd.array(reasons.tolist(), dtype="string[pyarrow]")
    unmatched["fix"] = pd.array(fixes.tolist(), dtype="string[pyarrow]")
    for t in ("m_lines", "m_item", "m_line", "m_cand", "m_take", "m_piece", "m_cand_net", "m_take_net",
              "m_unmatched"):
        db.execute(f"DROP TABLE IF EXISTS {t}")
    return MatchResult(len(lines), corrections[CORRECTION_COLUMNS], unmatched)


def _exact_text(df: pd.DataFrame):
    """The frame as an Arrow table of text: decimals exact, without trailing zeros (2,
    0.333333, 12.5), dates ISO."""
    import pyarrow as pa
    import pyarrow.compute as pc

    cols = {}
    for c in df.columns:
        arr = pa.array(df[c].array) if isinstance(df[c].dtype, pd.ArrowDtype) else pa.array(df[c].astype(object))
        text = pc.cast(arr, pa.string())
        if pa.types.is_decimal(arr.type) and arr.type.scale > 0:
            text = pc.replace_substring_regex(pc.replace_substring_regex(text, r"0+$", ""), r"\.$", "")
        cols[str(c)] = text
    return pa.table(cols)


def _check_lines(lines: pd.DataFrame, name: str) -> None:
    """Each line asks for a quantity or a net amount: one of them."""
    q, a = lines["quantity"].notna(), lines["amount"].notna()
    problems = [Problem(reason="give the quantity or the net amount to credit", file=name, row=int(r),
                        column="quantity", fix="fill quantity (or amount)", code="nothing_asked")
                for r in lines.index[~q & ~a]]
    problems += [Problem(reason="both a quantity and an amount", file=name, row=int(r), column="amount",
                         fix="give one of them", code="two_asked")
                 for r in lines.index[q & a]]
    if problems:
        raise BadInput.from_problems(f"match {name}", sorted(problems, key=lambda p: p.row))
