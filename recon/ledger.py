"""The one Python API that the CLI and the notebooks share.

```python
import recon
with recon.Ledger("books.duckdb") as lg:
    lg.unpaid_debits("ACC-1001")              # the picker
    lg.creditable_items("INV-2026-000177")    # items and what is left to credit
    res = lg.credit("INV-2026-000177", {"ITM-0000590": "1"}, reason="Goodwill")
    lg.show(res.credit_invoice_id)
```
Each method is a few lines over a module that owns the concept.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pandas as pd

from . import bulk, cancellations, credits, links, periods, removal, transfer, views
from .db import Database
from .errors import BadInput
from .files import FileFormat


def resolve_path(path: str | os.PathLike | None) -> Path:
    if path is None:
        path = os.environ.get("RECON_LEDGER")
    if not path:
        raise BadInput("no ledger given: pass --ledger PATH or set RECON_LEDGER")
    return Path(path)


class Ledger:
    """An open ledger. ``read_only=True`` lets several readers share the file."""

    def __init__(self, path: str | os.PathLike | None = None, *, read_only: bool = False,
                 create: bool = False):
        self.db = Database(resolve_path(path), read_only=read_only, create=create)

    @classmethod
    def create(cls, path: str | os.PathLike | None = None) -> Ledger:
        return cls(path, create=True)

    @property
    def path(self) -> Path:
        return self.db.path

    def close(self, period: str | None = None, by: str | None = None, *,
              reviewed_by: str | None = None, today: dt.date | None = None) -> dict | None:
        """``lg.close()`` closes the ledger file; ``lg.close("2026-10", by="Maria")`` closes
        the month of October 2026 (see :meth:`close_period`)."""
        if period is None:
            self.db.close()
            return None
        return self.close_period(period, by, reviewed_by=reviewed_by, today=today)

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<recon.Ledger {self.path}{' (read-only)' if self.db.read_only else ''}>"

    # -- files ----------------------------------------------------------------------------
    def import_dir(self, directory, mapping: str | Path | None = None, *,
                   date: dt.date | str | None = None) -> dict[str, int]:
        """Import a platform export (or, into a new ledger, a whole recon export).

        ``date``: the import's day (default today), on which credits already available are
        applied to the new debit invoices."""
        on = credits.parse_date(date, "--date") if date is not None else None
        return transfer.import_dir(self.db, directory, FileFormat.from_toml(mapping), date=on)

    def export(self, out, fmt: str = "csv") -> list[Path]:
        return transfer.export_dir(self.db, out, fmt)

    # -- crediting ---------------------------------------------------------------------------
    def credit(self, debit_invoice_id: str, items=None, *, reason: str | None = None,
               memo: str | None = None, date: dt.date | str | None = None,
               into: str | None = None, allow_paid: bool = False,
               dry_run: bool = False, periods=None) -> credits.CreditResult:
        """Credit ``items`` ({item_id: quantity or None}) of a debit invoice, or all of it.

        ``periods`` ({item_id: (start, end)}) gives credit items a billing period inside
        the debit item's (default: the debit item's own)."""
        return credits.credit(self.db, debit_invoice_id, items, reason=reason, memo=memo,
                              date=date, into=into, allow_paid=allow_paid, dry_run=dry_run,
                              periods=periods)

    def credit_invoice(self, debit_invoice_id: str, **kw) -> credits.CreditResult:
        """Credit the whole debit invoice in one action."""
        return self.credit(debit_invoice_id, None, **kw)

    def apply(self, source, *, mapping=None, dry_run: bool = False, batch_id: str | None = None,
              rejects=None, today: dt.date | None = None, progress=None) -> bulk.BulkResult:
        """Apply a corrections file (.csv/.parquet/.xlsx) or DataFrame, all or nothing (SPEC §5)."""
        return bulk.apply(self.db, source, mapping=mapping, dry_run=dry_run, batch_id=batch_id,
                          rejects=rejects, today=today, progress=progress)

    def void(self, credit_invoice_id: str, *, date: dt.date | str | None = None) -> pd.DataFrame:
        """Void a credit invoice on ``date`` (default today): its links end that day."""
        on = credits.parse_date(date, "--date") if date is not None else None
        return credits.void(self.db, credit_invoice_id, date=on)

    def cancel(self, source, *, date: dt.date | str | None = None, dry_run: bool = False,
               mapping: str | Path | None = None) -> cancellations.CancelResult:
        """Cancellation credits from a file or DataFrame of item_id, cancelled_on[, quantity]."""
        return cancellations.cancel(self.db, source, fmt=FileFormat.from_toml(mapping), date=date,
                                    dry_run=dry_run)

    def remove_items(self, credit_invoice_id: str, item_ids, *,
                     date: dt.date | str | None = None) -> pd.DataFrame:
        """Take items off a manual credit invoice that has no active links, on ``date``."""
        on = credits.parse_date(date, "--date") if date is not None else None
        return removal.remove_items(self.db, credit_invoice_id, item_ids, date=on)

    # -- links --------------------------------------------------------------------------------
    def link(self, credit_invoice_id: str, debit_invoice_id: str, amount=None, *,
             date: dt.date | str | None = None) -> pd.DataFrame:
        """Apply an available credit to an unpaid debit (default: as much as both allow)."""
        on = credits.parse_date(date, "--date") if date is not None else None
        return links.link(self.db, credit_invoice_id, debit_invoice_id, amount, date=on)

    def unlink(self, credit_invoice_id: str, debit_invoice_id: str, *,
               date: dt.date | str | None = None) -> pd.DataFrame:
        on = credits.parse_date(date, "--date") if date is not None else None
        return links.unlink(self.db, credit_invoice_id, debit_invoice_id, date=on)

    # -- looking ----------------------------------------------------------------------------------
    def accounts(self) -> pd.DataFrame:
        return views.accounts(self.db)

    def unpaid_debits(self, account_id: str, currency: str | None = None) -> pd.DataFrame:
        return views.unpaid_debits(self.db, account_id, currency)

    def creditable_items(self, debit_invoice_id: str) -> pd.DataFrame:
        return views.creditable_items(self.db, debit_invoice_id)

    def invoice(self, invoice_id: str) -> pd.DataFrame:
        return views.invoice(self.db, invoice_id)

    def show(self, invoice_id: str) -> dict[str, pd.DataFrame]:
        """Header, items, links, payments of one invoice."""
        return {
            "invoice": views.invoice(self.db, invoice_id),
            "items": views.items(self.db, invoice_id),
            "links": views.links(self.db, invoice_id),
            "payments": views.payments(self.db, invoice_id),
        }

    # -- month end ---------------------------------------------------------------------------------
    def report(self, period: str, out=None, gl=None):
        """Month-end report for ``period`` (YYYY-MM); files written to ``out`` when given.

        ``gl``: general-ledger receivable balances (file or frame: currency, optional
        account_id, balance). Returns a :class:`recon.report.Report` (tables as DataFrames).
        """
        from . import report

        return report.report(self.db, period, out, gl)

    def close_period(self, period: str, by: str | None, *, reviewed_by: str | None = None,
                     today: dt.date | None = None) -> dict:
        """Close a month (YYYY-MM) after checking that its report ties and has no exception;
        nothing can then be dated in it until it is reopened. ``today`` (default: the
        real day) decides whether the month has ended."""
        return periods.close(self.db, period, by, reviewed_by=reviewed_by, today=today)

    def review(self, period: str, by: str) -> dict:
        """Record the reviewer of a closed month (another person than the one who closed it)."""
        return periods.review(self.db, period, by)

    def reopen(self, period: str, by: str, reason: str) -> dict:
        """Reopen the last closed month, with who and why (kept in the audit)."""
        return periods.reopen(self.db, period, by, reason)

    def periods(self) -> pd.DataFrame:
        """Each month with its state (open/closed), activity, who closed and reviewed it."""
        return periods.periods(self.db)

    def as_of(self, date) -> pd.DataFrame:
        """Every invoice as it stood at the end of ``date``, rebuilt from dated facts."""
        from . import report

        return report.as_of(self.db, date)

    def table(self, name: str) -> pd.DataFrame:
        from .tables import BY_NAME

        if name not in BY_NAME:
            raise BadInput(f"unknown table {name!r}; one of {', '.join(BY_NAME)}")
        return self.db.frame(f"SELECT * FROM {name}")


def init(path, source_dir=None, mapping=None) -> dict[str, int]:
    """Create a ledger; optionally import a folder of files into it."""
    with Ledger.create(path) as lg:
        if source_dir is not None:
            return lg.import_dir(source_dir, mapping)
    return {}
