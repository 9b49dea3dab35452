"""Cancellation credits: the unused days of a service invoiced upfront (SPEC §3).

A file (or DataFrame) of ``item_id, cancelled_on[, quantity][, reason]`` names debit
items with a billing period and the first day the service is no longer used. Each row
becomes one prorated credit request for the credit engine (:mod:`recon.credits`), so a
cancellation obeys every rule an ordinary credit does (checks, cumulative rounding, caps,
links, one transaction):

- unused days = period_end − cancelled_on + 1, period days = period_end − period_start + 1
  (both ends inclusive);
- the cancelled quantity defaults to the quantity **still in service**: the item's
  quantity less the units earlier non-void credits took out of service (cancellations
  their cancelled quantity, quantity credits their quantity; amount and percentage
  credits none: they credit money, not units). The credit item stores the units it takes
  out (``cancelled_quantity``), because its own quantity is the equivalent share (below)
  and cannot give them back exactly. Example (tests): 3 licences at 100.00 for a 31-day
  month; 1 cancelled with 11 days unused is credited 0.354839 (equivalent) for 11.83; a
  second cancellation with 7 days unused and no quantity cancels the 2 licences still
  running, 2 × 7/31 × 100.00/3 = 15.05, not "all still creditable" (3 − 0.354839). An
  explicit quantity above what is in service is refused;
- net = round_half_up(N × (c + cancelled × unused / period) / Q) − net already credited,
  where c is the item's credited quantity so far (c = 0 on a fresh item gives exactly
  round_half_up(N × cancelled / Q × unused / period)); tax the same on the item's tax
  amount, so at the item's own rate. Integer arithmetic in ``credit_pieces.sql``.
- origin ``cancellation``; one credit invoice per debit invoice and cancellation day,
  dated ``date`` (default today), its items covering cancelled_on .. period_end;
- at most once per (item, cancelled_on): a row that a non-void credit already covers is
  skipped, so a rerun changes nothing (and says so). Voiding that credit allows it again.
- linking: to the credited debit invoice if it is unpaid (capped at its unpaid amount,
  any excess stays available); otherwise to the account's oldest unpaid debit invoice in
  that currency (capped likewise); with none, the credit stays available, and is applied
  when the account's next debit invoices are imported.

**The quantity on a cancellation credit item** is the *equivalent* quantity that the
credited days amount to: cancelled quantity × unused days / period days, rounded half-up
to the ledger's 6 quantity decimals (at least 0.000001). In the example of the tests, 10
licences cancelled on day 21 of a 31-day month carry 3.548387 (= 10 × 11 / 31) with net
17.74 of 50.00. Why this and not the cancelled quantity (10):
- "cumulative credited quantity ≤ original" holds: the equivalent never exceeds the
  cancelled quantity, and the credit is capped at what is still creditable (SPEC §3:
  c + cancelled × unused / period ≤ Q, exactly);
- "fully credited ⇒ credits sum to the original" holds: a cancellation crediting 10 of
  10 licences for 11 of 31 days must not mark the item fully credited while 20/31 of its
  amount is still billed. If rounding would complete the quantity without completing net
  and tax, the piece keeps one millionth back (and a remainder of one millionth is
  refused as too small to prorate);
- later manual credits stay exact: the item still has 6.451613 creditable; crediting it
  all brings net and tax exactly to the original (the last piece is original − credited),
  and any partial credit k gets round_half_up(N × (c + k) / Q) − credited, the same
  cumulative rule as always, with c the stored quantities;
- the item reads like any credit item: 3.548387 × unit price 5.00 ≈ 17.74.
The net itself comes from the exact fraction, not from the rounded quantity, so the
amounts match the formula above to the minor unit even for large unit prices.

An item cancelled several times in one file is credited in date order, one engine run
per turn (each turn set-based over all items), so a file gives the same result as its
rows run one by one in date order.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pyarrow as pya

from . import sql
from .credits import REQUEST_TYPES, CreditResult, run_requests
from .db import Database
from .errors import BadInput, Problem
from .files import FileFormat, check_file
from .links import apply_scoped
from .money import plain_decimal
from .periods import parse_date

MESSAGES: dict[str, tuple[str, str | None]] = {
    "unknown_item": ("unknown item", "check the item id against the debit invoice's items"),
    "credit_item": ("is an item of credit invoice {a}; only debit items can be cancelled",
                    "name the debit invoice's item"),
    "debit_void": ("the item's invoice {a} is void", "drop the row"),
    "no_period": ("the item (of {a}) has no billing period, so there are no days to prorate",
                  "credit it with `recon credit` instead"),
    "outside_period": ("cancelled_on must lie within the item's billing period {a}",
                       "give the first unused day inside {a}"),
    "over_service": ("quantity exceeds the {a} still in service on the item (not yet cancelled or credited)",
                     "lower the quantity to at most {a}"),
    "nothing_in_service": ("nothing of the item is still in service: it is all cancelled or credited",
                           "drop the row"),
    "duplicate_row": ("cancels the same item on the same day as row {a}",
                      "put the quantities cancelled that day on one row, as their sum"),
}


@dataclass
class CancelResult:
    """What a cancellation run created (or, for a dry run, would create), and what it skipped."""

    credits: pd.DataFrame
    items: pd.DataFrame
    links: pd.DataFrame
    skipped: pd.DataFrame
    dry_run: bool = False
    totals: dict = field(default_factory=dict)

    @property
    def credit_invoice_ids(self) -> list[str]:
        return list(self.credits["invoice_id"])

    def __repr__(self) -> str:
        verb = "would create" if self.dry_run else "created"
        return (f"<CancelResult {verb} {len(self.credits)} credit invoice(s), {len(self.items)} item(s),"
                f" {len(self.links)} link(s); {len(self.skipped)} row(s) already credited; totals {self.totals}>")


def _problems(rows, source: str) -> list[Problem]:
    out = []
    for src_row, col, value, code, a in rows:
        reason, fix = MESSAGES[code]
        fa = plain_decimal(a) if code == "over_service" else a
        shown = plain_decimal(value) if col == "quantity" else value
        out.append(Problem(reason=reason.format(a=fa), file=source, row=int(src_row), column=col,
                           value=shown, fix=fix.format(a=fa) if fix else None, code=code))
    return out


def cancel(db: Database, source: str | Path | pd.DataFrame, *, fmt: FileFormat | None = None,
           date: dt.date | str | None = None, dry_run: bool = False) -> CancelResult:
    """Create the cancellation credits of a file or DataFrame, all or nothing."""
    checked = check_file(source, "cancellations", fmt, what="cancellations (DataFrame)")
    if checked.problems:
        raise BadInput.from_problems(checked.name, checked.problems)
    rows, name = checked.typed, checked.name
    credit_date = parse_date(date, "--date") if date is not None else None
    cancel_in = pd.DataFrame({
        "src_row": pd.array(rows.index.to_numpy(), dtype=pd.ArrowDtype(pya.int64())),
        "item_id": rows["item_id"].array, "cancelled_on": rows["cancelled_on"].array,
        "quantity": rows["quantity"].array, "reason": rows["reason"].array,
    }) if len(rows) else None
    if cancel_in is None:
        raise BadInput(f"{name}: no cancellation rows; add rows of item_id, cancelled_on[, quantity]")
    with db.transaction(keep=not dry_run):
        db.con.register("cancel_in", cancel_in)
        try:
            db.execute(sql.load("cancel_stage"))
        finally:
            db.con.unregister("cancel_in")
        # values quoted as the file has them ('1.50', not '1.5')
        problems = [checked.in_file_terms(p) for p in _problems(db.rows(sql.load("cancel_checks")), name)]
        if problems:
            raise BadInput.from_problems(name, problems)
        results: list[CreditResult] = []
        turns = [t for (t,) in db.rows("SELECT DISTINCT turn FROM cancel_req WHERE done_by IS NULL ORDER BY 1")]
        for turn in turns:
            db.execute(sql.load("cancel_turn"), {"turn": turn})
            problems = _problems(db.rows(sql.load("cancel_turn_checks")), name)
            if problems:
                raise BadInput.from_problems(name, problems)
            req = db.frame(sql.load("cancel_requests"), {"credit_date": credit_date})
            req = req[list(REQUEST_TYPES)]
            try:
                results.append(run_requests(
                    db, req, command="cancel", origin="cancellation", source=name, allow_paid=True,
                    dry_run=dry_run,
                    audit_detail={"source": name, "turn": turn}))
            except BadInput as exc:  # the credit date is the --date option, not a column
                raise exc.renamed({"credit_date": "--date"}) from None
        ids = [i for r in results for i in r.credit_invoice_ids]
        # the fallback links are made with the credits, so they carry the credits' day
        fallback = apply_scoped(db, "cancel_fallback", {"ids": ids}, on=credit_date or dt.date.today(),
                                what=name) if ids else 0
        if fallback and not dry_run:
            db.audit("cancel", links=fallback, detail={"source": name, "fallback_links": fallback})
        return _result(db, results, ids, dry_run)


def _result(db: Database, results: list[CreditResult], ids: list[str], dry_run: bool) -> CancelResult:
    params = {"ids": ids}
    credits = db.frame(
        "SELECT invoice_id, account_id, currency, invoice_date, origin, reason, memo, total,"
        " unpaid_amount AS available, status FROM invoices"
        " WHERE invoice_id IN (SELECT unnest($ids::VARCHAR[])) ORDER BY invoice_id", params)
    items = db.frame(
        "SELECT ci.invoice_id AS credit_invoice_id, ci.item_id, d.invoice_id AS debit_invoice_id,"
        " ci.credited_item_id, ci.cancelled_on, ci.period_start, ci.period_end, ci.quantity,"
        " ci.net_amount, ci.tax_amount, ci.amount, c.currency"
        " FROM invoice_items ci JOIN invoices c ON c.invoice_id = ci.invoice_id"
        " JOIN invoice_items d ON d.item_id = ci.credited_item_id"
        " WHERE ci.invoice_id IN (SELECT unnest($ids::VARCHAR[])) ORDER BY ci.invoice_id, ci.line_no",
        params)
    links = db.frame(
        "SELECT l.credit_invoice_id, l.debit_invoice_id, l.amount, l.linked_on, i.currency"
        " FROM invoice_links l JOIN invoices i ON i.invoice_id = l.credit_invoice_id"
        " WHERE l.unlinked_on IS NULL AND l.credit_invoice_id IN (SELECT unnest($ids::VARCHAR[]))"
        " ORDER BY l.credit_invoice_id, l.link_id", params)
    skipped = db.frame(
        "SELECT src_row AS row, item_id, cancelled_on, done_by AS credit_invoice_id FROM cancel_req"
        " WHERE done_by IS NOT NULL ORDER BY src_row")
    totals: dict[str, str] = {}
    for r in results:
        for cur, v in r.totals.items():
            totals[cur] = f"{Decimal(totals.get(cur, '0')) + Decimal(v):f}"
    return CancelResult(credits, items, links, skipped, dry_run=dry_run, totals=totals)
