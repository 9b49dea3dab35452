"""The one Python API that the CLI and the notebooks share.

```python
import recon
lg = recon.Ledger("books.duckdb")
lg.unpaid_debits("ACC-1001")              # the picker
lg.creditable_items("INV-2026-000177")    # items and what is left to credit
res = lg.credit("INV-2026-000177", {"ITM-0000590": "1"}, reason="Goodwill")
lg.show(res.credit_invoice_id)
```
Each method is a few lines over a module that owns the concept.

Sharing the file. A ``Ledger`` holds nothing between calls: each method opens the file
for itself (read-only when it only reads, so readers share it), commits, and closes it,
so a notebook or the credit dialog left open never blocks another analyst's ``recon``
command. A call that finds the file busy waits up to ``wait`` seconds (default: the
CLI's ``--wait``, else ``$RECON_WAIT``, else 10), saying once on stderr for which
process, then raises :class:`recon.LedgerInUse`. What a call returns (frames,
``CreditResult``, ``BulkResult``, ``Report``) stays usable after the file is closed;
the lazily built ``items`` of a large credit run opens the ledger again to read them.

Writing a method: decorate it ``@_reads`` or ``@_writes`` and use ``self.db`` inside;
the decorator holds the file for the call (one connection however many statements).

Holding the file for a block (internal code, tests)::

    with lg.session(write=True) as db:   # a recon.db.Database; released at the end
        credits.credit(db, ...)
        breaches(db)

``lg.db`` outside a session is the same handle, connecting on first use and kept open
(the file held) until the end of the next Ledger call, or ``lg.close()``; calls made
inside ``with lg.db.transaction():`` join that transaction and leave it open. It suits
tests and scripts; notebooks call the methods, which never leave the file held.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from .db import Database, NeedsUpgrade
from .errors import BadInput, ReconError

if TYPE_CHECKING:
    import pandas as pd

    from . import bulk, cancellations, credits, refunds, statement, transfer
    from .files import FileFormat


def resolve_path(path: str | os.PathLike | None) -> Path:
    if path is None:
        path = os.environ.get("RECON_LEDGER")
    if not path:
        raise BadInput("no ledger given: pass --ledger PATH or set RECON_LEDGER")
    return Path(path)


def _day(date: dt.date | str | None) -> dt.date | None:
    """A --date given as text or a date (None: the call's default, today)."""
    if date is None:
        return None
    from .periods import parse_date

    return parse_date(date, "--date")


def _reads(method):
    """A Ledger method that only reads: it holds the file read-only for the call."""

    @functools.wraps(method)
    def call(self, *args, **kwargs):
        with self.session():
            return method(self, *args, **kwargs)

    return call


def _writes(method):
    """A Ledger method that changes the ledger: it holds the file read-write for the call
    (its own transaction keeps the change all or nothing)."""

    @functools.wraps(method)
    def call(self, *args, **kwargs):
        with self.session(write=True):
            return method(self, *args, **kwargs)

    return call


class Ledger:
    """A ledger file, opened for each call (see the module's notes on sharing).

    ``read_only=True`` refuses every change; ``wait``: seconds to wait for a file another
    process holds. Making one checks that the file is a ledger (``create=True`` makes it).
    ``write_first=True`` (the command line's one-step changes: credit, link, void):
    the first call changes the ledger, so the file is opened read-write at once and held
    until that call ends, instead of being checked read-only, let go and attached again
    (two statements and an attach fewer; benchmarks/RESULTS.md, ninth session).
    """

    def __init__(self, path: str | os.PathLike | None = None, *, read_only: bool = False,
                 create: bool = False, wait: float | None = None, write_first: bool = False):
        self.read_only = read_only
        hold = write_first and not read_only
        try:
            db = Database(resolve_path(path), read_only=not (create or hold), create=create, wait=wait)
        except NeedsUpgrade:
            if read_only:
                raise
            # a ledger of an older recon: opening it for writing brings it up to date
            db = Database(resolve_path(path), wait=wait)
        if not hold:
            db.close()
        db.on_demand, db.read_only = True, read_only
        self._db = db
        self._depth = 0  # sessions open now (a call inside a session joins it)

    @classmethod
    def create(cls, path: str | os.PathLike | None = None, *, wait: float | None = None) -> Ledger:
        return cls(path, create=True, wait=wait)

    @property
    def path(self) -> Path:
        return self._db.path

    @property
    def db(self) -> Database:
        """The ledger's :class:`recon.db.Database` (see the module's notes: outside a
        session it holds the file from first use to the end of the next call)."""
        return self._db

    @contextmanager
    def session(self, write: bool = False):
        """Hold the file for a block; yields the Database. Nested sessions and calls
        share it. It connects on first use, so work before the first query (reading a
        file) does not hold the ledger."""
        db = self._db
        if write and self.read_only:
            raise ReconError(f"ledger {self.path} is open read-only; this command changes it")
        if self._depth == 0 and not db.is_open:
            db.read_only = not write
        elif write and db.read_only:
            raise ReconError(f"ledger {self.path}: a read-only session is open; change it outside that block")
        self._depth += 1
        try:
            yield db
        finally:
            self._depth -= 1
            if self._depth == 0 and not db._in_tx:
                self.close()

    def close(self, period: str | None = None, by: str | None = None, *,
              reviewed_by: str | None = None, today: dt.date | None = None) -> dict | None:
        """``lg.close()`` releases the ledger file if anything holds it (later calls open it
        again); ``lg.close("2026-10", by="Maria")`` closes the month of October 2026 (see
        :meth:`close_period`)."""
        if period is not None:
            return self.close_period(period, by, reviewed_by=reviewed_by, today=today)
        self._db.close()
        self._db.read_only = self.read_only
        return None

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<recon.Ledger {self.path}{' (read-only)' if self.read_only else ''}>"

    # -- files ----------------------------------------------------------------------------
    @_writes
    def import_dir(self, directory, mapping: str | Path | FileFormat | None = None, *,
                   date: dt.date | str | None = None, update: bool = False,
                   dry_run: bool = False, rejects: str | Path | None = None) -> transfer.ImportResult:
        """Import a platform export (or, into a new ledger, a whole recon export), all or
        nothing; when refused, every problem is also in ``rejects`` (default
        ``<folder>.rejects.csv`` beside the folder).

        Rows the ledger already holds are skipped (``.skipped``), rows that conflict with
        it refused, each conflict listed; ``update=True`` takes the platform's changes of
        facts it owns (a debit voided, a due date moved, a payment reversed, a link ended)
        as dated facts (``.updates``). ``date``: the import's day (default today), on
        which credits already available are applied to the new debit invoices and a moved
        due date takes effect. ``dry_run``: all of it, nothing saved."""
        from . import transfer
        from .files import FileFormat

        on = _day(date)
        fmt = mapping if isinstance(mapping, FileFormat) else FileFormat.from_toml(mapping)
        return transfer.import_dir(self.db, directory, fmt, date=on, update=update,
                                   dry_run=dry_run, rejects=rejects)

    @_writes
    def add_currency(self, code: str, digits) -> tuple[str, int]:
        """Add a currency that ISO 4217 lacks, with its decimals (0-3): see recon.money."""
        from . import money

        return money.add_currency(self.db, code, digits)

    @_reads
    def export(self, out, fmt: str = "csv") -> list[Path]:
        from . import transfer

        return transfer.export_dir(self.db, out, fmt)

    @_reads
    def match(self, source, *, mapping: str | Path | None = None, allow_paid: bool = False):
        """Propose the debit items that credit lines without a reference reverse (a file
        or DataFrame of credit_number, account_id, product_code, quantity or amount,
        credit_date): a :class:`recon.match.MatchResult` with ``corrections`` ready for
        :meth:`apply` and the ``unmatched`` lines with the reason. Nothing is applied."""
        from . import match
        from .files import FileFormat

        return match.match(self.db, source, fmt=FileFormat.from_toml(mapping), allow_paid=allow_paid)

    @_reads
    def compare(self, directory, mapping: str | Path | None = None):
        """The ledger against the platform's next export (a folder of the import's layout):
        a :class:`recon.compare.Comparison` of what differs, with a likely cause for each;
        ``.write(out)`` writes it as CSV, a workbook and an HTML page."""
        from . import compare
        from .files import FileFormat

        return compare.compare(self.db, directory, FileFormat.from_toml(mapping))

    # -- crediting ---------------------------------------------------------------------------
    @_writes
    def credit(self, debit_invoice_id: str, items=None, *, percent=None, gross: bool = False,
               reason: str | None = None,
               memo: str | None = None, date: dt.date | str | None = None,
               into: str | None = None, allow_paid: bool = False,
               dry_run: bool = False, periods=None,
               rows: bool = False) -> credits.CreditResult | credits.CreditSummary:
        """Credit ``items`` of a debit invoice, or all of it.

        ``items`` maps item ids to a quantity, None (all that is left), ``recon.Amount``
        or ``recon.Percent``; ``percent`` credits that share of each named item's (or
        every item's) original net; ``gross`` reads amounts as tax-inclusive.
        ``periods`` ({item_id: (start, end)}) gives credit items a billing period inside
        the debit item's (default: the debit item's own). ``dry_run`` previews
        (``.preview()``) exactly what a save would write. ``rows=True``: a
        ``CreditSummary`` of named tuples (no pandas; a dry run's with its items)."""
        from . import credits

        return credits.credit(self.db, debit_invoice_id, items, percent=percent, gross=gross,
                              reason=reason, memo=memo,
                              date=date, into=into, allow_paid=allow_paid, dry_run=dry_run,
                              periods=periods, rows=rows)

    def credit_invoice(self, debit_invoice_id: str, **kw) -> credits.CreditResult:
        """Credit the whole debit invoice in one action."""
        return self.credit(debit_invoice_id, None, **kw)

    @_writes
    def apply(self, source, *, mapping=None, dry_run: bool = False, batch_id: str | None = None,
              rejects=None, today: dt.date | None = None, progress=None, allow_paid: bool = False,
              sum_repeats: bool = False) -> bulk.BulkResult:
        """Apply a corrections file (.csv/.parquet/.xlsx) or DataFrame, all or nothing (SPEC §5).

        ``allow_paid``: rows may credit paid debits; ``sum_repeats``: rows of one credit
        that credit the same item become one line with their sum."""
        from . import bulk

        return bulk.apply(self.db, source, mapping=mapping, dry_run=dry_run, batch_id=batch_id,
                          rejects=rejects, today=today, progress=progress, allow_paid=allow_paid,
                          sum_repeats=sum_repeats)

    @_writes
    def void(self, credit_invoice_id: str, *, date: dt.date | str | None = None,
             rows: bool = False) -> pd.DataFrame:
        """Void a credit invoice on ``date`` (default today): its links end that day.
        Returns the credit and its debits, before and after (``rows=True``: named tuples)."""
        from . import credits

        on = _day(date)
        return credits.void(self.db, credit_invoice_id, date=on, rows=rows)

    @_writes
    def cancel(self, source, *, date: dt.date | str | None = None, dry_run: bool = False,
               mapping: str | Path | None = None) -> cancellations.CancelResult:
        """Cancellation credits from a file or DataFrame of item_id, cancelled_on[, quantity]."""
        from . import cancellations
        from .files import FileFormat

        return cancellations.cancel(self.db, source, fmt=FileFormat.from_toml(mapping), date=date,
                                    dry_run=dry_run)

    @_writes
    def remove_items(self, credit_invoice_id: str, item_ids, *,
                     date: dt.date | str | None = None) -> pd.DataFrame:
        """Take items off a manual credit invoice that has no active links, on ``date``."""
        from . import removal

        on = _day(date)
        return removal.remove_items(self.db, credit_invoice_id, item_ids, date=on)

    # -- links --------------------------------------------------------------------------------
    @_writes
    def link(self, credit_invoice_id: str, debit_invoice_id: str, amount=None, *,
             date: dt.date | str | None = None, rows: bool = False) -> pd.DataFrame:
        """Apply an available credit to an unpaid debit (default: as much as both allow).
        Returns each invoice changed, before and after (``rows=True``: named tuples, no pandas)."""
        from . import links

        return links.link(self.db, credit_invoice_id, debit_invoice_id, amount, date=_day(date), rows=rows)

    @_writes
    def unlink(self, credit_invoice_id: str, debit_invoice_id: str, *,
               date: dt.date | str | None = None, rows: bool = False) -> pd.DataFrame:
        from . import links

        return links.unlink(self.db, credit_invoice_id, debit_invoice_id, date=_day(date), rows=rows)

    # -- refunds ------------------------------------------------------------------------------
    @_writes
    def refund(self, credit_invoice_id: str, amount, *, date: dt.date | str | None = None,
               reference: str | None = None, refund_id: str | None = None,
               dry_run: bool = False) -> refunds.RefundResult:
        """Pay ``amount`` back from a credit invoice's available amount on ``date`` (default
        today); ``refund_id`` default: the next RF-<year>-<counter>."""
        from . import refunds

        return refunds.refund(self.db, credit_invoice_id, amount, date=_day(date), reference=reference,
                              refund_id=refund_id, dry_run=dry_run)

    @_writes
    def refund_file(self, source, *, date: dt.date | str | None = None, batch_id: str | None = None,
                    rejects=None, mapping=None, dry_run: bool = False) -> refunds.RefundResult:
        """Refunds from a file (.csv/.parquet/.xlsx) or DataFrame of credit_invoice_id, amount
        [, refunded_on][, reference][, refund_id]: all or nothing; a rerun changes nothing."""
        from . import refunds

        return refunds.refund_file(self.db, source, mapping=mapping, date=_day(date), batch_id=batch_id,
                                   rejects=rejects, dry_run=dry_run)

    # -- looking ----------------------------------------------------------------------------------
    @_reads
    def accounts(self) -> pd.DataFrame:
        from . import views

        return views.accounts(self.db)

    @_reads
    def unpaid_debits(self, account_id: str, currency: str | None = None) -> pd.DataFrame:
        from . import views

        return views.unpaid_debits(self.db, account_id, currency)

    @_reads
    def creditable_items(self, debit_invoice_id: str) -> pd.DataFrame:
        from . import views

        return views.creditable_items(self.db, debit_invoice_id)

    @_reads
    def invoice(self, invoice_id: str) -> pd.DataFrame:
        from . import views

        return views.invoice(self.db, invoice_id)

    @_reads
    def show(self, invoice_id: str, *, rows: bool = False) -> dict[str, pd.DataFrame]:
        """Header, items, links, payments of one invoice; ``rows=True``: named tuples of
        exact values instead of frames (quick to print: pandas is not imported)."""
        from . import views

        return {
            "invoice": views.invoice(self.db, invoice_id, rows=rows),
            "items": views.items(self.db, invoice_id, rows=rows),
            "links": views.links(self.db, invoice_id, rows=rows),
            "payments": views.payments(self.db, invoice_id, rows=rows),
        }

    # -- the customer's side ------------------------------------------------------------------
    @_reads
    def balance(self, account_id: str | None = None, *, currency: str | None = None,
                as_of: dt.date | str | None = None) -> pd.DataFrame:
        """Per account and currency as of the end of ``as_of`` (default today): unpaid
        debits, credit available, overpaid, net receivable, the oldest unpaid due date and
        the aging buckets (recon.balances); every account when none is given."""
        from . import balances
        from .periods import parse_date

        on = parse_date(as_of, "--as-of") if as_of is not None else None
        return balances.balance(self.db, account_id, currency=currency, as_of=on)

    def statement(self, account_id: str, start, end, out=None) -> statement.Statement:
        """The account's statement from ``start`` to ``end`` (both included): per currency
        the opening balance, every dated event with the running balance, the closing
        balance and the aging at ``end`` (recon.statement); files written to ``out``."""
        from . import statement
        from .periods import parse_date

        first = parse_date(start, "--from")
        last = parse_date(end, "--to")
        with self.session():
            st = statement.statement(self.db, account_id, first, last)
        if out is not None:
            st.write(out)  # after the ledger is released
        return st

    # -- month end ---------------------------------------------------------------------------------
    def report(self, period: str, out=None, gl=None):
        """Month-end report for ``period`` (YYYY-MM); files written to ``out`` when given.

        ``gl``: general-ledger receivable balances (file or frame: currency, optional
        account_id, balance). Returns a :class:`recon.report.Report` (tables as DataFrames).
        """
        from . import report

        with self.session():
            rep = report.build(self.db, period, gl)
        if out is not None:
            rep.write(out)  # after the ledger is released: a workbook can take seconds
        return rep

    @_writes
    def close_period(self, period: str, by: str | None, *, reviewed_by: str | None = None,
                     today: dt.date | None = None) -> dict:
        """Close a month (YYYY-MM) after checking that its report ties and has no exception;
        nothing can then be dated in it until it is reopened. ``today`` (default: the
        real day) decides whether the month has ended."""
        from . import periods

        return periods.close(self.db, period, by, reviewed_by=reviewed_by, today=today)

    @_writes
    def review(self, period: str, by: str) -> dict:
        """Record the reviewer of a closed month (another person than the one who closed it)."""
        from . import periods

        return periods.review(self.db, period, by)

    @_writes
    def reopen(self, period: str, by: str, reason: str) -> dict:
        """Reopen the last closed month, with who and why (kept in the audit)."""
        from . import periods

        return periods.reopen(self.db, period, by, reason)

    @_reads
    def periods(self) -> pd.DataFrame:
        """Each month with its state (open/closed), activity, who closed and reviewed it."""
        from . import periods

        return periods.periods(self.db)

    @_reads
    def as_of(self, date) -> pd.DataFrame:
        """Every invoice as it stood at the end of ``date``, rebuilt from dated facts."""
        from . import report

        return report.as_of(self.db, date)

    @_reads
    def table(self, name: str) -> pd.DataFrame:
        from .tables import BY_NAME

        if name not in BY_NAME:
            raise BadInput(f"unknown table {name!r}; one of {', '.join(BY_NAME)}")
        return self.db.frame(f"SELECT * FROM {name}")


def init(path, source_dir=None, mapping=None, *, rejects=None) -> dict[str, int]:
    """Create a ledger; optionally import a folder of files into it.

    A new ledger whose import is refused is not left behind (an existing one, which
    init only completes, stays as it was)."""
    from .files import FileFormat

    target = resolve_path(path)
    new = not target.exists()
    # a bad mapping is refused before anything is created
    fmt = mapping if isinstance(mapping, FileFormat) else FileFormat.from_toml(mapping)
    try:
        with Ledger.create(target) as lg:
            if source_dir is not None:
                return lg.import_dir(source_dir, fmt, rejects=rejects)
    except BaseException:
        if new:
            for leftover in (target, target.with_name(target.name + ".wal")):
                leftover.unlink(missing_ok=True)
        raise
    return {}
