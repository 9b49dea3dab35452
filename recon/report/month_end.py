"""Month-end reconciliation report (SPEC §6): what closing a month needs, per currency.

The report is computed from the ledger *as of* dates (``report_asof.sql``): the state
at the end of the previous month (opening) and at the end of the period (closing) are
rebuilt from the dated facts, so a report for October reads the same after November's
activity. Tables (exact Arrow-decimal DataFrames, all built in SQL):

- ``summary``            headline figures per currency
- ``rollforward``        opening unpaid + movements = closing unpaid, tied to the unpaid
                         debits at period end (``difference`` must be 0)
- ``credits_issued``     credit invoices issued in the period, and their sums
  ``credits_by_reason``, ``credits_by_origin``, ``credits_by_account``
- ``links``              credit ↔ debit links made or undone in the period
- ``aging``              unpaid debits at period end by days past due (total = closing)
- ``aging_detail``       the invoices behind it
- ``unapplied_credits``  credit still available at period end, with its age
- ``credit_rollforward`` opening available credit + issued − applied + unapplied −
                         refunded − voided = closing available, tied to the credit
                         available at period end (``difference`` must be 0)
- ``refunds``            money paid back from credit invoices in the period
- ``exceptions``         every rule of SPEC §2–3 the data breaks (today's ledger)
- ``gl``                 subledger vs general ledger, when a GL file is given

``write(out)`` renders them (``render.py``): an Excel workbook, one CSV per table and a
self-contained HTML page with charts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import sql
from ..db import Database
from ..errors import EXIT_DIFFERENCES, EXIT_OK, BadInput, Problem
from ..integrity import breaches
from ..periods import close_state, parse_period

#: What each integrity rule (integrity.sql) means, in the words of SPEC §2–3.
RULES = {
    "over_credited": "credited quantity or amount of a debit item exceeds the original",
    "cent_residue": "a fully credited item's credits do not sum to its net and tax",
    "stored_total": "stored total differs from the sum of the items",
    "stored_unpaid": "stored unpaid amount differs from total − payments − links",
    "stored_status": "stored status differs from the facts",
    "credit_item_mismatch": "credit item credits an item of another account, currency or type",
    "credit_item_orphan": "credit item credits an item that does not exist",
    "credit_before_debit": "credit invoice dated before the debit invoice it credits",
    "link_mismatch": "link between invoices of another account, currency or type",
    "link_before_invoice": "link dated before one of its invoices",
    "link_on_void": "active link from or to a void invoice",
    "links_exceed_credit": "links given exceed the credit invoice's total",
    "over_applied": "links received exceed what payments left unpaid",
    "precision": "amount has more decimals than its currency's minor unit",
    "credit_of_void_debit": "credit item credits an item of a void debit invoice",
    "duplicate_cancellation": "the same cancellation of an item credited more than once",
    # keys and references the schema leaves to the code (schema.sql)
    "duplicate_invoice_id": "two invoices share one invoice id",
    "duplicate_item_id": "two items share one item id",
    "item_orphan": "item of an invoice that does not exist",
    "payment_orphan": "payment of an invoice that does not exist",
    "link_orphan": "link from or to an invoice that does not exist",
    "duplicate_link_id": "two links share one link id",
    "unknown_currency": "invoice in a currency the ledger does not know",
    "credit_overdrawn": "on some day a credit's links and refunds exceeded its items",
    "refund_mismatch": "refund of a debit or void invoice, or dated before its credit invoice",
    "refund_orphan": "refund of an invoice that does not exist",
    "closed_report_changed": "a table of this closed month's report differs from the one signed off",
}

#: The tables in the order they are written (gl only when a GL file is given).
TABLE_ORDER = (
    "summary", "rollforward", "credits_issued", "credits_by_reason", "credits_by_origin",
    "credits_by_account", "links", "aging", "aging_detail", "unapplied_credits",
    "credit_rollforward", "refunds", "exceptions", "gl",
)
#: the roll-forwards that must tie (difference 0 in every currency)
ROLLFORWARDS = ("rollforward", "credit_rollforward")


def as_of(db: Database, date: dt.date | str) -> pd.DataFrame:
    """Every invoice issued by the end of ``date``, as it stood then (report_asof.sql)."""
    date = dt.date.fromisoformat(date) if isinstance(date, str) else date
    return db.frame(sql.load("report_asof") + " ORDER BY invoice_id", {"as_of": date})


@dataclass
class Report:
    """A month-end report: its tables (exact DataFrames) and, once written, its files."""

    period: str
    start: dt.date
    closing: dt.date
    tables: dict[str, pd.DataFrame]
    paths: dict[str, Path] = field(default_factory=dict)
    #: the report's header: ledger, generated_at, version, gl_given (and gl_file), and
    #: ``close`` (None for an open month; periods.close_state for a closed one)
    meta: dict = field(default_factory=dict)
    #: the exceptions of the ledger as it is today (``tables["exceptions"]`` are those of
    #: the period's end); not part of the report's signed-off tables
    current_exceptions: pd.DataFrame | None = None

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(name)

    @property
    def opening(self) -> dt.date:
        return self.start - dt.timedelta(days=1)

    @property
    def ties(self) -> bool:
        """Every currency's roll-forwards tie: the unpaid debits and the credit available
        at period end (a report built before the credit roll-forward has only the first)."""
        return all(bool((self.tables[t]["difference"] == 0).all()) for t in ROLLFORWARDS
                   if t in self.tables)

    @property
    def gl_differs(self) -> bool:
        gl = self.tables.get("gl")
        return gl is not None and bool((gl["difference"] != 0).any())

    @property
    def exit_code(self) -> int:
        """0 when everything ties; 1 (SPEC §4) for any difference or exception."""
        clean = self.ties and not self.gl_differs and self.tables["exceptions"].empty
        return EXIT_OK if clean else EXIT_DIFFERENCES

    def write(self, out: str | Path, progress=None) -> dict[str, Path]:
        """Write the workbook, the CSV files and the HTML page to ``out``; ``progress``
        (``recon.progress.on_screen()``) is told as each is done."""
        from .render import write_all

        try:
            self.paths = write_all(self, Path(out), progress)
        except OSError as exc:
            raise BadInput(f"cannot write the report to {out}: {exc.strerror or exc}; "
                           "choose a folder you can write to with --out") from None
        return self.paths

    def charts(self):
        """The report's charts for a notebook cell (inline SVG, no network)."""
        from IPython.display import HTML

        from .render import CSS, charts_html

        return HTML(f"<style>{CSS}</style>" + charts_html(self))

    def overview(self):
        """The header, sign-off block and summary for a notebook cell."""
        from IPython.display import HTML

        from .render import CSS, overview_html

        return HTML(f"<style>{CSS}</style>" + overview_html(self))

    def headline(self) -> list[str]:
        """One line per currency and one per problem found, for the command's output."""
        from .render import headline

        return headline(self)


def build(db: Database, period: str, gl=None) -> Report:
    """Compute the report for ``period`` (YYYY-MM). ``gl``: a GL balances file or frame."""
    start, closing = parse_period(period)
    opening = start - dt.timedelta(days=1)
    dates = {"start": start, "closing": closing, "opening": opening}
    asof = sql.load("report_asof")
    db.execute(f"CREATE OR REPLACE TEMP TABLE asof_open AS {asof}", {"as_of": opening})
    db.execute(f"CREATE OR REPLACE TEMP TABLE asof_close AS {asof}", {"as_of": closing})
    tables: dict[str, pd.DataFrame] = {}

    def temp(name: str, query: str, params: dict | None = None) -> None:
        text = sql.load(query)
        db.execute(f"CREATE OR REPLACE TEMP TABLE rpt_{name} AS {text}", sql.used(text, params))

    temp("rollforward", "report_rollforward", dates)
    temp("credits", "report_credits", dates)
    temp("links", "report_links", dates)
    temp("aging", "report_aging", dates)
    temp("unapplied", "report_unapplied", dates)
    temp("credit_rollforward", "report_credit_rollforward", dates)
    temp("refunds", "report_refunds", dates)
    temp("aging_summary", "report_aging_summary")
    temp("credits_by", "report_credits_by")
    has_gl = gl is not None
    _stage_gl(db, gl)
    temp("gl", "report_gl", {"by_account": _gl_by_account(db)})
    temp("summary", "report_summary", {"has_gl": has_gl})

    def frame(name: str, where: str = "") -> pd.DataFrame:
        return db.frame(f"SELECT * FROM rpt_{name} {where}")

    tables["summary"] = frame("summary")
    tables["rollforward"] = frame("rollforward")
    tables["credits_issued"] = frame("credits")
    for dim, col in (("reason", "reason"), ("origin", "origin"), ("account_id", "account")):
        f = db.frame(f"SELECT * EXCLUDE (dimension) RENAME (value AS {_ident(dim)}) FROM rpt_credits_by"
                     " WHERE dimension = $d", {"d": dim})
        tables[f"credits_by_{col}"] = f
    tables["links"] = frame("links")
    tables["aging"] = frame("aging_summary")
    tables["aging_detail"] = frame("aging")
    tables["unapplied_credits"] = frame("unapplied")
    tables["credit_rollforward"] = frame("credit_rollforward")
    tables["refunds"] = frame("refunds")
    # today's breaches once: shown beside the period's, and the rules judged today in both
    now = breaches(db)
    tables["exceptions"] = _with_meaning(breaches(db, closing, now=now))
    if has_gl:
        tables["gl"] = frame("gl")
    period = f"{start:%Y-%m}"
    # a closed month: do its tables still read as signed off? (periods.py)
    close = close_state(db, period, tables)
    if close is not None and close["changed_tables"]:
        changed = pd.DataFrame({
            "rule": "closed_report_changed", "invoice_id": None, "item_id": None,
            "detail": [f"table {t} differs from the one signed off on {close['closed_at']:%Y-%m-%d}"
                       f" by {close['closed_by']}" for t in close["changed_tables"]]})
        tables["exceptions"] = _with_meaning(pd.concat(
            [tables["exceptions"].drop(columns="meaning"),
             changed.astype(tables["exceptions"].drop(columns="meaning").dtypes)], ignore_index=True))
    return Report(period=period, start=start, closing=closing, tables=tables,
                  meta=dict(_meta(db, gl), close=close), current_exceptions=_with_meaning(now.copy()))


def _meta(db: Database, gl) -> dict:
    """What the report's header says about how it was made."""
    from .. import __version__

    gl_file = None if gl is None else (str(gl) if isinstance(gl, (str, Path)) else "a GL frame")
    return {"ledger": str(db.path), "generated_at": dt.datetime.now().astimezone().replace(microsecond=0),
            "version": __version__, "gl_given": gl is not None, "gl_file": gl_file}


def exceptions(db: Database, as_of: dt.date | None = None) -> pd.DataFrame:
    """integrity.breaches with what each rule means: the ledger as it stood at the end of
    ``as_of`` (the report's period end), or as it is now."""
    return _with_meaning(breaches(db, as_of))


def _with_meaning(found: pd.DataFrame) -> pd.DataFrame:
    meaning = found["rule"].map(RULES).fillna("")
    found.insert(1, "meaning", meaning.astype(found["rule"].dtype))
    return found


def _ident(name: str) -> str:
    # an identifier we choose ourselves (reason, origin, account_id), quoted anyway
    return '"' + name.replace('"', '""') + '"'


def _stage_gl(db: Database, gl) -> None:
    """The GL balances (file or frame) as temp table gl_in; refused rows name file and row."""
    db.execute("CREATE OR REPLACE TEMP TABLE gl_in (currency VARCHAR, account_id VARCHAR,"
               " balance DECIMAL(18,3))")
    if gl is None:
        return
    from ..files import load

    frame = load(gl, "gl_balances", what="GL balances (DataFrame)")
    name = frame.attrs.get("source", "GL balances")
    by_account = frame["account_id"].notna()
    problems = []
    if by_account.any() and not by_account.all():
        problems += [
            Problem(reason="account_id is empty while other rows give one", file=name, row=int(r),
                    column="account_id", fix="give every row an account_id, or none (per currency only)",
                    code="gl_mixed_levels")
            for r in frame.index[~by_account]
        ]
    key = frame[["currency", "account_id"]].astype(str)
    dup = key.duplicated(keep=False)
    problems += [
        Problem(reason="the same currency (and account) appears more than once", file=name,
                row=int(r), column="currency", value=frame.at[r, "currency"],
                fix="keep one balance per currency (and account)", code="gl_duplicate")
        for r in frame.index[dup]
    ]
    if problems:
        raise BadInput.from_problems(f"GL balances {name}", problems)
    db.con.register("gl_frame", frame[["currency", "account_id", "balance"]])
    try:
        db.execute("INSERT INTO gl_in BY NAME SELECT upper(currency) AS currency, account_id, balance"
                   " FROM gl_frame")
    finally:
        db.con.unregister("gl_frame")


def _gl_by_account(db: Database) -> bool:
    return bool(db.scalar("SELECT count(*) FROM gl_in WHERE account_id IS NOT NULL"))


def report(db: Database, period: str, out: str | Path | None = None, gl=None) -> Report:
    """Build the report; write its files to ``out`` when given."""
    rep = build(db, period, gl)
    if out is not None:
        rep.write(out)
    return rep
