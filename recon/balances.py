"""An account's balance: what the customer owes us, and what we owe the customer.

Per account and currency, as of the end of a day (default today), from the ledger as it
stood then: the same as-of state the month-end report reads (``report_asof.sql``, dated
facts only), so a balance as of a past day never changes.

- ``unpaid_debits``     the debit invoices' unpaid amounts (never below 0 each)
- ``credit_available``  credit notes neither applied to a debit nor refunded
- ``overpaid``          what payments and credits exceed debit invoices' totals by: money
                        the customer paid that no invoice asks for
- ``net_receivable``    unpaid_debits − credit_available − overpaid: what the customer owes
                        us; negative when we owe the customer (available credit or an
                        overpayment larger than what is unpaid). Summed over a currency's
                        accounts it is the subledger balance of the GL tie-out
                        (report_gl.sql).
- ``unpaid_invoices``, ``credits_available``: how many invoices are behind the figures
- ``oldest_due_date``, ``days_past_due``: the oldest unpaid debit (an invoice without a
  due date is due on its invoice date) and how late it is
- ``current``, ``days_1_30``, ``days_31_60``, ``days_61_90``, ``days_over_90``: the unpaid
  debits by days past due, the report's aging buckets (``report_aging.sql``); they sum to
  unpaid_debits.

The whole ledger comes sorted by currency, then net receivable (who owes most first).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from . import sql
from .db import Database
from .errors import BadInput


def stage(db: Database, as_of: dt.date) -> None:
    """The ledger as of ``as_of`` (asof_close) and its unpaid debits by age (bal_aging)."""
    db.execute(f"CREATE OR REPLACE TEMP TABLE asof_close AS {sql.load('report_asof')}", {"as_of": as_of})
    aging = sql.load("report_aging")
    db.execute(f"CREATE OR REPLACE TEMP TABLE bal_aging AS {aging}", sql.used(aging, {"closing": as_of}))


def balance(db: Database, account_id: str | None = None, *, currency: str | None = None,
            as_of: dt.date | None = None) -> pd.DataFrame:
    """One row per account and currency (see the module's notes), as of the end of
    ``as_of`` (default today); ``account_id`` / ``currency`` narrow it."""
    day = as_of or dt.date.today()
    account = _text(account_id)
    cur = _text(currency)
    cur = cur.upper() if cur else None
    if account is not None and not db.scalar(
            "SELECT count(*) FROM invoices WHERE account_id = $a", {"a": account}):
        raise BadInput(f"account {account!r}: no invoices in the ledger; check the account id "
                       f"(the closest: {', '.join(closest_accounts(db, account)) or 'none'})")
    if cur is not None and not db.scalar("SELECT count(*) FROM currencies WHERE currency = $c", {"c": cur}):
        raise BadInput(f"--currency {currency!r}: not a currency the ledger knows; use an ISO 4217 "
                       "code such as EUR")
    stage(db, day)
    return db.frame(sql.load("balance"), {"account": account, "currency": cur})


def closest_accounts(db: Database, account_id: str, n: int = 3) -> list[str]:
    """The ``n`` account ids nearest to a mistyped one."""
    return [r[0] for r in db.rows(
        "SELECT DISTINCT account_id FROM invoices"
        " ORDER BY levenshtein(upper(account_id), upper($a)), account_id LIMIT $n",
        {"a": account_id, "n": n})]


def _text(value) -> str | None:
    text = None if value is None else str(value).strip()
    return text or None


def write(df: pd.DataFrame, path: str | Path) -> Path:
    """The balances as a .csv (machine text) or .xlsx (labels, money formats) file."""
    from .excel import Book, write_sheet
    from .formats import label
    from .report.render import write_csv

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise BadInput(f"--out {path}: give a .csv or .xlsx file name")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if suffix == ".csv":
            write_csv(df, path)
        else:
            book = Book(path)
            money = tuple(c for c in df.columns if _is_money(df[c]))
            write_sheet(book, "Balances", df, df["currency"], money,
                        headers=[label(c) for c in df.columns])
            book.close()
    except OSError as exc:
        raise BadInput(f"cannot write {path}: {exc.strerror or exc}; choose a folder you can write to") from None
    return path


def _is_money(s: pd.Series) -> bool:
    import pyarrow as pa

    return isinstance(s.dtype, pd.ArrowDtype) and pa.types.is_decimal(s.dtype.pyarrow_dtype)
