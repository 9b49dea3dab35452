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

from . import bulk, cancellations, credits, links, removal, transfer, views
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

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<recon.Ledger {self.path}{' (read-only)' if self.db.read_only else ''}>"

    # -- files ----------------------------------------------------------------------------
    def import_dir(self, directory, mapping: str | Path | None = None) -> dict[str, int]:
        return transfer.import_dir(self.db, directory, FileFormat.from_toml(mapping))

    def export(self, out, fmt: str = "csv") -> list[Path]:
        return transfer.export_dir(self.db, out, fmt)

    # -- crediting ---------------------------------------------------------------------------
    def credit(self, debit_invoice_id: str, items=None, *, percent=None, gross: bool = False,
               reason: str | None = None,
               memo: str | None = None, date: dt.date | str | None = None,
               into: str | None = None, allow_paid: bool = False,
               dry_run: bool = False, periods=None) -> credits.CreditResult:
        """Credit ``items`` of a debit invoice, or all of it.

        ``items`` maps item ids to a quantity, None (all that is left), ``recon.Amount``
        or ``recon.Percent``; ``percent`` credits that share of each named item's (or
        every item's) original net; ``gross`` reads amounts as tax-inclusive.
        ``periods`` ({item_id: (start, end)}) gives credit items a billing period inside
        the debit item's (default: the debit item's own). ``dry_run`` previews
        (``.preview()``) exactly what a save would write."""
        return credits.credit(self.db, debit_invoice_id, items, percent=percent, gross=gross,
                              reason=reason, memo=memo,
                              date=date, into=into, allow_paid=allow_paid, dry_run=dry_run,
                              periods=periods)

    def credit_invoice(self, debit_invoice_id: str, **kw) -> credits.CreditResult:
        """Credit the whole debit invoice in one action."""
        return self.credit(debit_invoice_id, None, **kw)

    def apply(self, source, *, mapping=None, dry_run: bool = False, batch_id: str | None = None,
              rejects=None, today: dt.date | None = None, progress=None, allow_paid: bool = False,
              sum_repeats: bool = False) -> bulk.BulkResult:
        """Apply a corrections file (.csv/.parquet/.xlsx) or DataFrame, all or nothing (SPEC §5).

        ``allow_paid``: rows may credit paid debits; ``sum_repeats``: rows of one credit
        that credit the same item become one line with their sum."""
        return bulk.apply(self.db, source, mapping=mapping, dry_run=dry_run, batch_id=batch_id,
                          rejects=rejects, today=today, progress=progress, allow_paid=allow_paid,
                          sum_repeats=sum_repeats)

    def void(self, credit_invoice_id: str, *, date: dt.date | None = None) -> pd.DataFrame:
        return credits.void(self.db, credit_invoice_id, date=date)

    def cancel(self, source, *, date: dt.date | str | None = None, dry_run: bool = False,
               mapping: str | Path | None = None) -> cancellations.CancelResult:
        """Cancellation credits from a file or DataFrame of item_id, cancelled_on[, quantity]."""
        return cancellations.cancel(self.db, source, fmt=FileFormat.from_toml(mapping), date=date,
                                    dry_run=dry_run)

    def remove_items(self, credit_invoice_id: str, item_ids) -> pd.DataFrame:
        """Take items off a manual credit invoice that has no active links."""
        return removal.remove_items(self.db, credit_invoice_id, item_ids)

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

    def as_of(self, date) -> pd.DataFrame:
        """Every invoice as it stood at the end of ``date``, rebuilt from dated facts."""
        from . import report

        return report.as_of(self.db, date)

    def table(self, name: str) -> pd.DataFrame:
        if name not in ("invoices", "invoice_items", "payments", "invoice_links", "audit_log", "batches"):
            raise BadInput(f"unknown table {name!r}")
        return self.db.frame(f"SELECT * FROM {name}")


def init(path, source_dir=None, mapping=None) -> dict[str, int]:
    """Create a ledger; optionally import a folder of files into it."""
    with Ledger.create(path) as lg:
        if source_dir is not None:
            return lg.import_dir(source_dir, mapping)
    return {}
