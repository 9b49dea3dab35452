"""Reconciling the ledger with the platform's next export (SPEC §7, ``recon compare``).

The billing platform stays the system of record: the credits decided in recon are
created there, and its next export must then agree with the ledger. ``compare`` reads
that export with the import's own readers (``files.load``: the same contract, the same
refusals), stages it as temp tables ``p_<table>`` and compares it with the ledger in SQL,
exactly (no tolerance on money):

- invoices on one side only, and per invoice its account, currency, type, dates, total,
  unpaid amount and status (the export's stated figures, or where it states none, what
  its own items, payments and links give, by the ledger's derived.sql);
- debit items by item id; credit items by the debit item they credit;
- active links as the amount each credit applies to each debit;
- payments and refunds by id.

A credit made in recon and created in the platform under the platform's own number is
found by its content (account, currency, the debit items it credits and the amount on
each: compare_pairs.sql) and listed in ``matched``, not as two differences; its items
and links are then compared under the pairing. Every difference has a ``kind`` and a
likely ``cause`` in plain words (compare_causes.sql). Nothing in the ledger changes.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import sql
from .db import Database
from .errors import EXIT_DIFFERENCES, EXIT_OK, BadInput, Problem
from .files import FileFormat, find_table_file, load
from .history import on_past

#: the export's tables that are compared, and their staging tables (shaped like the ledger's)
TABLES = ("invoices", "invoice_items", "payments", "invoice_links", "refunds")

MESSAGES = {
    "unknown_invoice": ("the export has no such invoice",
                        "compare needs the platform's whole export: every invoice its items, payments, "
                        "links and refunds name"),
    "credit_item_unlinked": ("a credit item must name a debit item of the export",
                             "fill credited_item_id with the debit item it credits"),
}

#: how each kind reads in the summary
KIND_LABELS = {
    "invoice_only_in_ledger": "invoices only in the ledger",
    "invoice_only_in_platform": "invoices only in the platform",
    "invoice_differs": "invoice figures that differ",
    "item_only_in_ledger": "items only in the ledger",
    "item_only_in_platform": "items only in the platform",
    "item_differs": "items that differ",
    "link_only_in_ledger": "links only in the ledger",
    "link_only_in_platform": "links only in the platform",
    "link_differs": "links that differ",
    "payment_only_in_ledger": "payments only in the ledger",
    "payment_only_in_platform": "payments only in the platform",
    "payment_differs": "payments that differ",
    "refund_only_in_ledger": "refunds only in the ledger",
    "refund_only_in_platform": "refunds only in the platform",
    "refund_differs": "refunds that differ",
}


@dataclass
class Comparison:
    """What differs between the ledger and an export. ``differences``: one row per
    difference (kind, invoice_id, platform_invoice_id, type, id, platform_id, column,
    ledger_value, platform_value, currency, difference, cause); ``matched``: credits found
    under another number (ledger_invoice_id, platform_invoice_id, account_id, currency,
    total, cause); ``summary``: the count of each kind."""

    source: str
    differences: pd.DataFrame
    matched: pd.DataFrame
    paths: dict[str, Path] = field(default_factory=dict)

    @property
    def agree(self) -> bool:
        return self.differences.empty

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.agree else EXIT_DIFFERENCES

    @property
    def summary(self) -> pd.DataFrame:
        counts = self.differences["kind"].value_counts()
        rows = [(k, KIND_LABELS[k], int(counts[k])) for k in KIND_LABELS if k in counts]
        return pd.DataFrame(rows, columns=["kind", "what", "count"])

    def headline(self) -> list[str]:
        """Lines for the analyst: agree or not, the count of each kind, the matched credits."""
        lines = []
        if self.agree:
            lines.append(f"the ledger and {self.source} agree")
        else:
            lines.append(f"the ledger and {self.source} differ: {len(self.differences)} difference(s)")
            lines += [f"  {r.count:>6}  {r.what}" for r in self.summary.itertuples()]
        if len(self.matched):
            lines.append(f"{len(self.matched)} credit(s) of recon found in the platform under another number")
        return lines

    def write(self, out: str | Path) -> dict[str, Path]:
        """differences.csv, matched.csv, summary.csv, compare.xlsx and compare.html in ``out``."""
        from .report.render import write_csv

        out = Path(out)
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BadInput(f"cannot create {out}: {exc.strerror}; choose a folder you can write to") from None
        tables = self.tables()
        for name, df in tables.items():
            self.paths[name] = out / f"{name}.csv"
            write_csv(df, self.paths[name])
        self.paths["xlsx"] = out / "compare.xlsx"
        _write_xlsx(tables, self.paths["xlsx"])
        self.paths["html"] = out / "compare.html"
        self.paths["html"].write_text(self.html(), encoding="utf-8")
        return self.paths

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"summary": self.summary, "differences": self.differences, "matched": self.matched}

    def html(self) -> str:
        """A self-contained page in the month-end report's styles."""
        from .report.render import CSS, _table_html

        e = html.escape
        state = ('<span class="ok">they agree</span>' if self.agree
                 else f'<span class="bad">{len(self.differences):,} difference(s)</span>')
        parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
                 '<meta name="viewport" content="width=device-width, initial-scale=1">',
                 f"<title>recon compare {e(self.source)}</title><style>{CSS}</style></head><body>",
                 "<h1>The ledger against the platform's export</h1>",
                 f'<p class="note">export {e(self.source)}: {state}</p>']
        for name, df in self.tables().items():
            parts += [f'<section class="sect" id="{name}"><h2>{e(TITLES[name])}</h2>',
                      f'<p class="note">{e(NOTES[name])}</p>', _table_html(df, limit=HTML_ROW_LIMIT),
                      "</section>"]
        parts.append("</body></html>")
        return "\n".join(parts)


TITLES = {"summary": "Differences by kind", "differences": "Differences",
          "matched": "Credits of recon under the platform's number"}
NOTES = {
    "summary": "How many differences of each kind; the ledger and the export agree when there are none.",
    "differences": "One row per difference: the ledger's value, the platform's, and the likely cause.",
    "matched": "Credits made in recon that the platform holds under its own number (same account, "
               "currency, credited items and amounts): the same credit, not a difference.",
}
SHEETS = {"summary": "Summary", "differences": "Differences", "matched": "Matched credits"}
HTML_ROW_LIMIT = 2000


def _write_xlsx(tables: dict[str, pd.DataFrame], path: Path) -> None:
    from . import formats
    from .excel import Book, write_sheet
    from .report.render import _is_money

    book = Book(path)
    for name, df in tables.items():
        money = tuple(c for c in df.columns if _is_money(df[c].dtype))
        write_sheet(book, SHEETS[name], df, df["currency"] if "currency" in df.columns else None, money,
                    headers=[formats.label(c) for c in df.columns], empty_note="none")
    book.close()


def read_export(directory: str | Path, fmt: FileFormat | None = None) -> dict[str, pd.DataFrame]:
    """The export's platform tables, read and checked as an import reads them."""
    directory = Path(directory)
    if not directory.is_dir():
        raise BadInput(f"{directory}: not a folder; give the folder of the platform's export "
                       "(invoices.csv, invoice_items.csv, …)")
    frames: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    for table in TABLES:
        path = find_table_file(directory, table)
        if path is None:
            continue
        try:
            frames[table] = load(path, table, fmt)
        except BadInput as exc:
            problems += exc.problems or [Problem(reason=exc.message, file=str(path))]
    if problems:
        raise BadInput.from_problems(f"compare with {directory}", problems)
    if "invoices" not in frames:
        raise BadInput(f"{directory}: no invoices file (.csv, .parquet or .xlsx); compare needs the "
                       "platform's whole export")
    return frames


def same_credit(theirs: str, their_items: str, into: str) -> str:
    """same_credit.sql between the ledger and staged tables ``theirs`` / ``their_items``
    (names of recon's own temp tables, never input), its pairs into temp table ``into``."""
    return (sql.load("same_credit").replace("{theirs}", theirs).replace("{their_items}", their_items)
            .replace("{into}", into))


def compare(db: Database, directory: str | Path, fmt: FileFormat | None = None) -> Comparison:
    """The ledger against the export in ``directory``; nothing in the ledger changes."""
    from .transfer import stage_frame

    frames = read_export(directory, fmt)
    what = f"compare with {directory}"
    for table in TABLES:
        stage_frame(db, f"p_{table}", table, frames.get(table))
    # a void the export states by its status alone takes effect on the invoice's day for
    # the platform's own figures; the stated void date is kept apart for the comparison
    db.execute("ALTER TABLE p_invoices ADD COLUMN voided_given DATE")
    db.execute("UPDATE p_invoices SET voided_given = voided_on,"
               " voided_on = coalesce(voided_on, CASE WHEN status = 'void' THEN invoice_date END)")
    problems = [Problem(reason=MESSAGES[code][0], file=file, row=row, column=col, value=value,
                        fix=MESSAGES[code][1], code=code)
                for file, row, col, value, code, _ in db.rows(sql.load("compare_checks"))]
    if problems:
        raise BadInput.from_problems(what, problems)
    db.execute(same_credit("p_invoices", "p_invoice_items", "cmp_same_credit"))
    derived = on_past(sql.load("derived"), "p_")
    for stmt in sql.statements("compare_pairs"):
        db.execute(stmt.replace("{p_derived}", derived))
    columns = {t: frames[t].attrs.get("columns", list(frames[t].columns)) if t in frames else []
               for t in TABLES}
    db.execute(sql.load("compare_diff"), {
        "invoice_columns": columns["invoices"] + ["total", "unpaid_amount", "status"],
        "item_columns": columns["invoice_items"],
        "payment_columns": columns["payments"],
    })
    differences = db.frame(sql.load("compare_causes"))
    matched = db.frame(
        "SELECT m.ledger_id AS ledger_invoice_id, m.platform_id AS platform_invoice_id, i.account_id,"
        " i.currency, i.total, 'credit ' || m.ledger_id || ' created in the platform as ' || m.platform_id"
        " AS cause FROM cmp_same_credit m JOIN invoices i ON i.invoice_id = m.ledger_id"
        " ORDER BY m.ledger_id")
    for t in TABLES:
        db.execute(f"DROP TABLE IF EXISTS p_{t}")
    return Comparison(str(directory), differences, matched)
