"""An account's statement: what happened between two days and what is owed at the end.

Per currency: the opening balance (as of the day before ``start``), every dated event of
the account's invoices in the period, in order, each with what it moves the balance by
and the running balance after it, the closing balance, and the aging of what is unpaid
at ``end``. Built from the dated facts only (``statement_events.sql``; the opening and
the closing balance come from the as-of state of ``balances.py``), so a statement of a
past period reads the same whenever it is produced.

**The balance is what the customer owes us**, in that currency: the unpaid debit
invoices, less the credit still available to them, less what they overpaid
(``balances.net_receivable``). It is negative when we owe the customer: an unapplied
credit note or an overpayment larger than what is unpaid. The events move it so:

- invoice issued, item added to an invoice: + its amount
- credit issued, item added to a credit: − its amount; item removed from a credit: +
- payment: − (an overpayment takes the balance below what is unpaid: the ``overpaid``
  figure of the balance, money the customer paid that no invoice asks for)
- refund: + (money paid back from a credit: less of it left to owe the customer)
- invoice voided: − what it still asked for; credit voided: + what was still available
  or applied on it (its applications end that day, shown as "credit unapplied")
- credit applied to a debit, or unapplied: 0; the ``credit_applied`` column shows the amount,
  which moves from "credit available" to "debit paid" (or back) within the balance.

So ``closing_balance`` = ``opening_balance`` + the period's amounts, and it must equal
``balance_at_end``, the balance as of ``end`` computed from the as-of state (the
``difference`` column, 0). Files: :func:`recon.report.statement_page.write` (a printable
A4 HTML page, a workbook and CSV files).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import balances, sql
from .db import Database
from .errors import BadInput

#: the columns of the statement's lines (events, between an opening and a closing row)
LINE_COLUMNS = ["currency", "event_date", "event", "invoice_id", "reference", "detail", "amount",
                "credit_applied", "balance"]
#: the aging columns of the balance, shown at the end of the statement
AGING_COLUMNS = ["currency", "unpaid_debits", "oldest_due_date", "days_past_due", "current",
                 "days_1_30", "days_31_60", "days_61_90", "days_over_90"]


@dataclass
class Statement:
    """An account's statement for ``start`` .. ``end`` (exact DataFrames)."""

    account_id: str
    account_name: str | None
    start: dt.date
    end: dt.date
    #: per currency: opening, movements by kind, closing, balance as of end, difference
    summary: pd.DataFrame
    #: every event of the period, in order, with its amount and the running balance
    events: pd.DataFrame
    #: the account's balance as of end (balances.balance), aging included
    balance: pd.DataFrame
    meta: dict = field(default_factory=dict)
    paths: dict[str, Path] = field(default_factory=dict)

    @property
    def ties(self) -> bool:
        """Every currency's closing balance equals the balance as of ``end``."""
        return bool((self.summary["difference"] == 0).all())

    @property
    def aging(self) -> pd.DataFrame:
        """What is unpaid at ``end`` by days past due, per currency."""
        return self.balance[AGING_COLUMNS].reset_index(drop=True)

    def lines(self, currency: str | None = None) -> pd.DataFrame:
        """The statement as printed: per currency an opening row, the events, a closing row."""
        parts = []
        for s in self.summary.itertuples():
            if currency is not None and s.currency != currency:
                continue
            ev = self.events[self.events["currency"] == s.currency][LINE_COLUMNS]
            parts += [_edge(s.currency, self.start, "opening balance", s.opening_balance, ev), ev,
                      _edge(s.currency, self.end, "closing balance", s.closing_balance, ev)]
        if not parts:
            return self.events[LINE_COLUMNS].iloc[0:0]
        return pd.concat(parts, ignore_index=True)

    def write(self, out: str | Path) -> dict[str, Path]:
        """The printable HTML page, the workbook and the CSV files, in folder ``out``."""
        from .report.statement_page import write

        self.paths = write(self, Path(out))
        return self.paths


def _edge(currency: str, day: dt.date, what: str, balance, like: pd.DataFrame) -> pd.DataFrame:
    """An opening or closing row, typed like the events (so the lines concatenate exactly)."""
    row = pd.DataFrame({c: pd.Series([None], dtype=like[c].dtype) for c in LINE_COLUMNS})
    row.loc[0, "currency"] = currency
    row.loc[0, "event_date"] = day
    row.loc[0, "event"] = what
    row.loc[0, "balance"] = balance
    return row.astype(like.dtypes.to_dict())


def statement(db: Database, account_id: str, start: dt.date, end: dt.date) -> Statement:
    """The statement of ``account_id`` from ``start`` to ``end``, both included."""
    account = str(account_id or "").strip()
    if not account:
        raise BadInput("ACCOUNT: give the account id whose statement to produce")
    if end < start:
        raise BadInput(f"--to {end} is before --from {start}; give the period's first day, then its last")
    closing = balances.balance(db, account, as_of=end)
    opening = balances.balance(db, account, as_of=start - dt.timedelta(days=1))
    _temp(db, "st_open", opening[["currency", "net_receivable"]].rename(
        columns={"net_receivable": "opening_balance"}))
    _temp(db, "st_close", closing[["currency", "net_receivable"]])
    for stmt in sql.statements("statement_events"):
        db.execute(stmt, sql.used(stmt, {"account": account, "start": start, "end": end}))
    events = db.frame("SELECT * EXCLUDE (seq, type) FROM st_events"
                      " ORDER BY currency, event_date, seq, invoice_id, reference")
    summary = db.frame("SELECT * FROM st_summary ORDER BY currency")
    from . import __version__

    name = closing["account_name"].dropna()
    return Statement(
        account_id=account, account_name=str(name.iloc[0]) if len(name) else None, start=start,
        end=end, summary=summary, events=events,
        balance=closing[closing["currency"].isin(summary["currency"])].reset_index(drop=True),
        meta={"ledger": str(db.path), "generated_at": dt.datetime.now().replace(microsecond=0),
              "version": __version__})


def _temp(db: Database, name: str, frame: pd.DataFrame) -> None:
    db.con.register(f"{name}_data", frame)
    try:
        db.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_data")
    finally:
        db.con.unregister(f"{name}_data")
