"""Refunds: money paid back to the customer out of a credit invoice's available amount.

A credit note either stays with the customer as available credit (to be applied to a
later debit invoice) or is paid back: a **refund**, a dated fact of its own
(``refunds``: refund_id, credit_invoice_id, amount, refunded_on, reference). The credit's
available amount is total − active links − refunds (derived.sql), so a credit refunded in
full becomes Paid, and the month-end report shows the refund both in the credit
roll-forward and in the table of refunds.

The rules (SPEC §3), checked for every request of a run at once (refund_checks.sql), so a
file's problems all come back in one refusal:

- from a known credit invoice that is not void (a debit invoice is never refunded here:
  an overpaid debit is credited first, and the credit refunded);
- more than 0, in the currency's minor unit;
- dated (default today) on or after its credit invoice, and not in a closed month;
- never more than the credit has available: today, counting the run's earlier refunds of
  the same credit, and on every day from the refund's date on (credit_timeline.sql), so
  a refund dated in the past cannot take what an item added later or a link then active
  was drawing on.

Refund ids are given (a platform's own) or numbered ``RF-<year>-<counter>`` from the one
refund counter in ``numbering``, as credit invoices are (refund_write.sql). A credit
invoice with refunds cannot be voided (credits.void): the money has left.

- :func:`refund` — one refund (``recon refund CREDIT_ID --amount X``).
- :func:`refund_file` — bulk refunds from a file or DataFrame of
  ``credit_invoice_id, amount[, refunded_on][, reference][, refund_id]``
  (``recon refund --file F``): all or nothing like ``recon apply``, every bad row reported
  and written to a rejects file, and a batch id (default: the file's sha256) so that
  running the same file again changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pya

from . import sql
from .bulk import _content_batch_id, _refuse
from .db import Database
from .errors import BadInput, Problem
from .files import FileFormat, apply_format, check_rows, frame_as_text, read_text
from .money import MONEY
from .periods import lock_params

#: the file contract of a bulk refund run (contract.TABLES)
TABLE = "refund_requests"
REQUEST_TYPES = {
    "req_no": pya.int64(),
    "src_row": pya.int64(),
    "refund_id": pya.string(),
    "credit_invoice_id": pya.string(),
    "amount": MONEY,
    "refunded_on": pya.date32(),
    "reference": pya.string(),
}
# code -> (reason, fix); {a} and {b} come from the check's row (refund_checks.sql)
MESSAGES: dict[str, tuple[str, str | None]] = {
    "unknown_credit": ("unknown credit invoice", "check the credit invoice number"),
    "not_a_credit": ("is a debit invoice; refunds pay back a credit invoice's available amount",
                     "name the credit invoice to refund from; an overpaid debit is credited first"),
    "credit_void": ("the credit invoice is void (since {a}); nothing of it can be refunded", None),
    "amount_not_positive": ("a refund must be more than 0", "give the amount paid back, e.g. 25.00"),
    "too_many_decimals": ("more decimals than {b} has ({a})", "give the amount in whole minor units"),
    "date_before_credit": ("dated before credit invoice {b} ({a})", "date the refund on or after {a}"),
    "period_closed": ("dated inside closed period {a}", "date it in {b} or later, or reopen the month"),
    "refund_id_exists": ("this refund id is already in the ledger",
                         "give a new id, or leave it empty for the next RF number"),
    "duplicate_refund_id": ("refund id repeated (first on row {a})", "give each refund its own id"),
    "over_available": ("more than the {a} still available on credit invoice {b}", "refund at most {a}"),
    "overdrawn": ("credit invoice {b} would be overdrawn on {a}: less was available that day",
                  "date the refund on or after the day the credit had it available, or refund less"),
}
#: a single refund's problems name the argument, not a file's column
FLAGS = {"amount": "--amount", "refunded_on": "--date", "credit_invoice_id": "CREDIT_ID",
         "refund_id": "--id", "reference": "--reference"}


@dataclass
class RefundResult:
    """What a refund run did (or, for a dry run, would do)."""

    refunds: pd.DataFrame
    #: the credit invoices refunded: available and status before and after
    credits: pd.DataFrame
    batch_id: str | None = None
    source: str | None = None
    dry_run: bool = False
    already_applied: bool = False
    applied_at: dt.datetime | None = None
    totals: dict[str, Decimal] = field(default_factory=dict)

    @property
    def refund_ids(self) -> list[str]:
        return self.refunds["refund_id"].tolist() if len(self.refunds) else []

    def summary(self) -> str:
        from .formats import money

        if self.already_applied:
            return (f"batch {self.batch_id} was already applied on {self.applied_at:%Y-%m-%d %H:%M}; "
                    "nothing changed")
        verb = "would refund" if self.dry_run else "refunded"
        totals = ", ".join(money(v, c, code=True) for c, v in sorted(self.totals.items())) or "nothing"
        paid = int((self.credits["status_after"] == "paid").sum()) if len(self.credits) else 0
        used = f"; {paid} {'would be' if self.dry_run else 'now'} paid (nothing left available)" if paid else ""
        batch = f" (batch {self.batch_id})" if self.batch_id else ""
        return (f"{verb} {totals} in {len(self.refunds)} refund(s) from {len(self.credits)} credit "
                f"invoice(s){used}{batch}")


# -- one refund ---------------------------------------------------------------------------------


def refund(db: Database, credit_invoice_id: str, amount, *, date: dt.date | None = None,
           reference: str | None = None, refund_id: str | None = None,
           dry_run: bool = False) -> RefundResult:
    """Pay ``amount`` back from a credit invoice's available amount, dated ``date``
    (default today). Refused with the ledger unchanged when any rule is broken."""
    value = parse_amount(amount)
    on = date or dt.date.today()
    said = {"amount": str(amount), "refunded_on": str(on), "credit_invoice_id": credit_invoice_id,
            "refund_id": refund_id, "reference": reference}
    req = request_frame([{"req_no": 1, "src_row": 1, "refund_id": _text(refund_id),
                          "credit_invoice_id": str(credit_invoice_id).strip(), "amount": value,
                          "refunded_on": on, "reference": _text(reference)}])

    def problem(src_row, col, value, code, a, b) -> Problem:
        reason, fix = _words(code, a, b)
        return Problem(reason=f"{FLAGS.get(col, col)} {said.get(col, value)!r}: {reason}", fix=fix,
                       code=code)

    with db.transaction(keep=not dry_run):
        result = _run(db, req, problem, f"refund from {credit_invoice_id}", dry_run=dry_run,
                      detail={"credit_invoice_id": credit_invoice_id})
    return result


def parse_amount(value, what: str = "--amount") -> Decimal:
    """An amount as given (text, int or Decimal; never a binary float), exactly."""
    if isinstance(value, float):
        raise BadInput(f"{what} {value!r} is a binary float; pass it as text or Decimal")
    try:
        d = Decimal(str(value).strip())
    except InvalidOperation:
        d = None
    if d is None or not d.is_finite():
        raise BadInput(f"{what} {value!r}: not a number; write it like 25.00")
    if abs(d) >= Decimal(10) ** 15:
        raise BadInput(f"{what} {value!r}: too large for the ledger")
    if d.as_tuple().exponent < -3:
        raise BadInput(f"{what} {value!r}: more decimals than any currency has; give the amount in "
                       "whole minor units")
    return d


def _text(value) -> str | None:
    text = None if value is None else str(value).strip()
    return text or None


# -- a file of refunds ----------------------------------------------------------------------------


def refund_file(db: Database, source: str | Path | pd.DataFrame, *,
                mapping: str | Path | FileFormat | None = None, date: dt.date | None = None,
                batch_id: str | None = None, rejects: str | Path | None = None,
                dry_run: bool = False) -> RefundResult:
    """Refunds from a file (.csv/.parquet/.xlsx) or DataFrame, all or nothing.

    Rows without ``refunded_on`` are dated ``date`` (default today). Any bad row: nothing
    is refunded, every bad row is reported (BadInput.problems) and written to ``rejects``
    (default ``<file>.rejects.csv`` beside a file). A batch applied before (same
    ``batch_id``, by default the file's sha256) changes nothing."""
    fmt = mapping if isinstance(mapping, FileFormat) else FileFormat.from_toml(mapping)
    if isinstance(source, pd.DataFrame):
        raw, name = frame_as_text(source), "refunds (DataFrame)"
    else:
        raw, name = read_text(source, fmt), str(source)
    if raw.empty:
        raise BadInput(f"{name} has no refund rows; nothing to refund")
    df, original = apply_format(raw.copy(), TABLE, fmt)
    typed, problems = check_rows(df, TABLE, name, original)
    batch_id = batch_id or _content_batch_id(source, raw, prefix="refunds")
    done = db.scalar("SELECT applied_at FROM batches WHERE batch_id = $b", {"b": batch_id})
    if done is not None:
        return RefundResult(_empty(), _empty(), batch_id=batch_id, source=name,
                            already_applied=True, applied_at=done)
    req = _requests(typed, date or dt.date.today())

    def problem(src_row, col, value, code, a, b) -> Problem:
        reason, fix = _words(code, a, b)
        return Problem(reason=reason, file=name, row=src_row, column=col, value=value, fix=fix,
                       code=code)

    found = list(problems)
    try:
        if problems:  # the good rows' problems too, so one refusal lists them all
            if len(req):
                with db.transaction(keep=False):
                    _run(db, req, problem, name, dry_run=True)
        else:
            with db.transaction(keep=not dry_run):
                result = _run(db, req, problem, name, dry_run=dry_run, batch_id=batch_id,
                              detail={"source": name, "rows": len(req)})
                if not dry_run:
                    db.execute("INSERT INTO batches VALUES ($b, 'refund', $s, $n, current_localtimestamp())",
                               {"b": batch_id, "s": name, "n": len(req)})
    except BadInput as exc:
        found += exc.problems or [Problem(reason=exc.message)]
    if found:
        raise _refuse(source, raw, name, fmt, found, rejects)
    result.source = name
    return result


def _requests(typed: pd.DataFrame | None, default_day: dt.date) -> pd.DataFrame:
    """Typed file rows -> the request frame, column-wise (a missing column: no rows)."""
    if typed is None or typed.empty:
        return request_frame([])
    n = len(typed)

    def col(name: str):
        return pya.array(typed[name].array, type=REQUEST_TYPES[name], from_pandas=True)

    days = col("refunded_on").fill_null(pya.scalar(default_day, pya.date32()))
    table = pya.table({
        "req_no": pya.array(np.arange(1, n + 1, dtype=np.int64)),
        "src_row": pya.array(typed.index.to_numpy(), type=pya.int64()),
        "refund_id": col("refund_id"),
        "credit_invoice_id": col("credit_invoice_id"),
        "amount": col("amount"),
        "refunded_on": days,
        "reference": col("reference"),
    })
    return table.to_pandas(types_mapper=pd.ArrowDtype)


def request_frame(rows: list[dict]) -> pd.DataFrame:
    """Refund requests as an exact frame (REQUEST_TYPES)."""
    table = pya.Table.from_pylist(rows, schema=pya.schema(list(REQUEST_TYPES.items())))
    return table.to_pandas(types_mapper=pd.ArrowDtype)


def _empty() -> pd.DataFrame:
    return pd.DataFrame()


# -- the run --------------------------------------------------------------------------------------


def _words(code: str, a, b) -> tuple[str, str | None]:
    reason, fix = MESSAGES.get(code, (code, None))
    return reason.format(a=a, b=b), fix.format(a=a, b=b) if fix else None


def _run(db: Database, req: pd.DataFrame, problem, what: str, *, dry_run: bool,
         batch_id: str | None = None, detail: dict | None = None) -> RefundResult:
    """Check, write and recompute the refunds of ``req`` inside the caller's transaction;
    ``problem(src_row, column, value, code, a, b)`` words a refused row."""
    db.con.register("rf_req_data", req)
    try:
        db.execute("CREATE OR REPLACE TEMP TABLE rf_req AS SELECT * FROM rf_req_data")
    finally:
        db.con.unregister("rf_req_data")
    lock = lock_params(db)
    found = [problem(*r) for r in db.rows(sql.load("refund_checks"), lock)]
    if found:
        raise BadInput.from_problems(what, found)
    before = db.frame("SELECT invoice_id, status AS status_before, unpaid_amount AS available_before"
                      " FROM invoices WHERE invoice_id IN (SELECT credit_invoice_id FROM rf_req)")
    for stmt in sql.statements("refund_write"):
        db.execute(stmt)
    for (number,) in db.rows("SELECT refund_id FROM rf_clash"):
        raise BadInput(f"{what}: the next refund number {number} is already used in the ledger: the "
                       "numbering table was set back outside recon; nothing was refunded. Set "
                       "numbering.last_no for RF to the highest RF number, then run again")
    # on every day from each refund's date on, the credit must still cover its links and
    # refunds: the first row of each credit that would be overdrawn carries the problem
    overdrawn = db.rows(
        "SELECT r.src_row, 'refunded_on', r.refunded_on::VARCHAR, 'overdrawn', t.first_day::VARCHAR,"
        " t.credit_invoice_id FROM (" + sql.load("credit_timeline") + ") t"
        " JOIN (SELECT credit_invoice_id, arg_min(src_row, req_no) AS src_row, min(refunded_on) AS refunded_on"
        "       FROM rf_req GROUP BY 1) r USING (credit_invoice_id) ORDER BY r.src_row",
        {"credits": sorted(set(req["credit_invoice_id"].dropna().tolist()))})
    if overdrawn:
        raise BadInput.from_problems(what, [problem(*r) for r in overdrawn])
    db.recompute()
    refunds = db.frame(
        "SELECT n.refund_id, n.credit_invoice_id, i.account_id, i.currency, n.amount, n.refunded_on,"
        " n.reference FROM rf_new n JOIN invoices i ON i.invoice_id = n.credit_invoice_id ORDER BY n.req_no")
    db.con.register("rf_before", before)
    try:
        changed = db.frame(
            "SELECT b.invoice_id, i.account_id, i.currency, b.status_before, i.status AS status_after,"
            " b.available_before, i.unpaid_amount AS available_after"
            " FROM rf_before b JOIN invoices i USING (invoice_id) ORDER BY b.invoice_id")
    finally:
        db.con.unregister("rf_before")
    totals = {cur: Decimal(str(v)) for cur, v in db.rows(
        "SELECT i.currency, sum(n.amount) FROM rf_new n JOIN invoices i ON i.invoice_id = n.credit_invoice_id"
        " GROUP BY 1 ORDER BY 1")}
    if not dry_run:
        db.audit("refund", batch_id=batch_id, totals={c: f"{v:f}" for c, v in totals.items()},
                 detail=dict(detail or {}, refunds=len(refunds),
                             refund_ids=refunds["refund_id"].head(20).tolist()))
    return RefundResult(refunds, changed, batch_id=batch_id, dry_run=dry_run, totals=totals)
