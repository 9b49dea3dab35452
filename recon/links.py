"""Relating credits to debits: by hand (link, unlink) and as the platform does (apply).

A link says how much of a credit invoice is applied to a debit invoice. It is a dated
fact: unlinking sets ``unlinked_on`` on the pair's active links and never deletes them,
so the ledger as of an earlier day can be rebuilt. Unpaid amounts and statuses follow
from the links through the one recompute step.

- :func:`link` — apply an available credit to an unpaid debit of the same account and
  currency; by default as much as both allow (the smaller of the debit's unpaid amount
  and the credit still available), or any amount from one minor unit up to that.
- :func:`unlink` — end every active link of a pair.

Every link and unlink is dated (``--date``, default today) and never before the facts it
depends on: a link not before either invoice, an unlink not before its link, and the
credit must cover its links on every day from then on; nothing dated in a closed month.
- :func:`apply_available_credits` — the platform's automatic application: available
  credits to unpaid debits, oldest first on both sides, set-based (``apply_credits.sql``).
  Used when new debit invoices are imported, and by cancellations.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from . import sql
from .db import Database
from .errors import BadInput
from .history import refuse_overdrawn
from .money import parse_decimal, quantum
from .periods import refuse_if_locked

if TYPE_CHECKING:
    import pandas as pd


def _apply(db: Database, on: dt.date, what: str) -> int:
    """apply_credits.sql on the scope in apply_credit_ids / apply_debit_ids: links dated
    ``on`` (the day the application happens: never backdated, SPEC §2 "dated facts")."""
    if not db.scalar("SELECT count(*) FROM apply_credit_ids"):
        # no credit in scope, no link (a first import's 200k debits laid end to end for
        # nothing: 0.09-0.11 s)
        return 0
    for stmt in sql.statements("apply_credits"):
        db.execute(stmt, sql.used(stmt, {"on": on}))
    n = int(db.scalar("SELECT count(*) FROM auto_link"))
    if n:
        first = db.scalar("SELECT min(linked_on) FROM auto_link")
        refuse_if_locked(db, first, f"{what}: the automatic application of available credits, dated {first},")
        db.recompute()
    return n


def apply_scoped(db: Database, scope: str, params: dict | None = None, *, on: dt.date,
                 what: str) -> int:
    """Apply credits in the scope that ``sql/<scope>.sql`` fills (see apply_credits.sql),
    dated ``on``."""
    for stmt in sql.statements(scope):
        db.execute(stmt, sql.used(stmt, params))
    return _apply(db, on, what)


def apply_after_import(db: Database, on: dt.date, what: str = "import") -> int:
    """Credits already available on accounts that received new debits (import_apply.sql),
    applied on ``on``, the import's day."""
    return apply_scoped(db, "import_apply", on=on, what=what)


# -- by hand ------------------------------------------------------------------------------


def _pair(db: Database, credit_id: str, debit_id: str) -> dict:
    cols = ["credit_known", "credit_type", "credit_voided_on", "credit_account", "credit_currency",
            "credit_date", "available", "debit_known", "debit_type", "debit_voided_on",
            "debit_account", "debit_currency", "debit_date", "unpaid", "debit_status", "digits",
            "active_links"]
    f = dict(zip(cols, db.rows(sql.load("link_pair"), {"credit": credit_id, "debit": debit_id})[0],
                 strict=True))
    if not f["credit_known"]:
        raise BadInput(f"CREDIT_ID {credit_id!r}: unknown invoice; check the credit invoice number")
    if f["credit_type"] != "credit":
        raise BadInput(f"CREDIT_ID {credit_id!r}: is a debit invoice; name the credit invoice first, "
                       "then the debit invoice")
    if not f["debit_known"]:
        raise BadInput(f"DEBIT_ID {debit_id!r}: unknown invoice; check the debit invoice number")
    if f["debit_type"] != "debit":
        raise BadInput(f"DEBIT_ID {debit_id!r}: is a credit invoice; a credit links to a debit invoice")
    for who, inv, voided in (("CREDIT_ID", credit_id, f["credit_voided_on"]),
                             ("DEBIT_ID", debit_id, f["debit_voided_on"])):
        if voided is not None:
            raise BadInput(f"{who} {inv!r}: the invoice is void (since {voided}); "
                           "void invoices are not linked or unlinked")
    return f


def _amount(value, currency: str, digits: int) -> Decimal:
    if isinstance(value, float):
        raise BadInput(f"--amount {value!r} is a binary float; pass it as text or Decimal")
    text = f"{value:f}" if isinstance(value, Decimal) and value.is_finite() else str(value).strip()
    d = parse_decimal(text)  # strict: not "1_0" or "١٢", which Decimal() takes
    if d is None:
        raise BadInput(f"--amount {value!r}: not a number; write it like 12.50 (digits 0-9 and '.')")
    if abs(d) >= Decimal(10) ** 15:
        raise BadInput(f"--amount {value!r}: too large for the ledger (amounts below 10^15)")
    if d != d.quantize(quantum(digits)):
        has = f"{digits} decimals" if digits else "no decimals"
        raise BadInput(f"--amount {value!r}: {currency} has {has}; give the amount in whole minor units")
    return d


def link(db: Database, credit_invoice_id: str, debit_invoice_id: str, amount=None, *,
         date: dt.date | None = None, rows: bool = False) -> pd.DataFrame:
    """Apply (part of) an available credit to an unpaid debit; returns the invoices' changes
    (``rows``: as records, see :meth:`recon.db.Database.records`)."""
    with db.transaction():
        f = _pair(db, credit_invoice_id, debit_invoice_id)
        if (f["credit_account"], f["credit_currency"]) != (f["debit_account"], f["debit_currency"]):
            raise BadInput(
                f"DEBIT_ID {debit_invoice_id!r}: belongs to {f['debit_account']} {f['debit_currency']}, "
                f"the credit to {f['credit_account']} {f['credit_currency']}; "
                "link invoices of one account and currency")
        cur, digits = f["credit_currency"], int(f["digits"])
        if f["debit_status"] != "unpaid" or f["unpaid"] <= 0:
            raise BadInput(f"DEBIT_ID {debit_invoice_id!r}: the debit invoice is {f['debit_status']}, "
                           "nothing left to apply a credit to; pick an unpaid debit invoice")
        if f["available"] <= 0:
            raise BadInput(f"CREDIT_ID {credit_invoice_id!r}: nothing of the credit is available "
                           "(all of it is linked); unlink it from another debit first")
        most = min(f["unpaid"], f["available"])
        shown_most = f"{most.quantize(quantum(digits)):f}"
        value = most if amount is None else _amount(amount, cur, digits)
        if value <= 0:
            raise BadInput(f"--amount {amount!r}: must be at least one minor unit "
                           f"({quantum(digits):f} {cur})")
        if value > most:
            raise BadInput(f"--amount {amount!r}: more than the {shown_most} {cur} that can be applied "
                           f"(debit unpaid {f['unpaid'].quantize(quantum(digits)):f}, credit available "
                           f"{f['available'].quantize(quantum(digits)):f}); give at most {shown_most}")
        earliest = max(f["credit_date"], f["debit_date"])
        on = date or dt.date.today()
        if on < earliest:
            said = f"--date {on}" if date is not None else f"today ({on})"
            raise BadInput(f"{said}: before the invoices it joins ({earliest}); "
                           f"date the link on or after {earliest}")
        refuse_if_locked(db, on, f"the link date {on}")
        db.touch("SELECT unnest([$c, $d])", {"c": credit_invoice_id, "d": debit_invoice_id})
        note_before(db)
        db.execute("INSERT INTO invoice_links (link_id, credit_invoice_id, debit_invoice_id, amount, linked_on)"
                   " SELECT coalesce(max(link_id), 0) + 1, $c, $d, $a, $on FROM invoice_links",
                   {"c": credit_invoice_id, "d": debit_invoice_id, "a": value, "on": on})
        # the credit must cover the link on every day from its date on (an item removed
        # or a refund made later could otherwise leave a past day overdrawn)
        refuse_overdrawn(db, [credit_invoice_id], f"link dated {on}")
        db.recompute()
        db.audit("link", links=1, totals={cur: f"{value:f}"},
                 detail={"credit_invoice_id": credit_invoice_id, "debit_invoice_id": debit_invoice_id,
                         "amount": f"{value:f}", "linked_on": on})
        return changes(db, rows)


def unlink(db: Database, credit_invoice_id: str, debit_invoice_id: str, *,
           date: dt.date | None = None, rows: bool = False) -> pd.DataFrame:
    """End every active link between a credit and a debit; returns the invoices' changes
    (``rows``: as records)."""
    on = date or dt.date.today()
    with db.transaction():
        f = _pair(db, credit_invoice_id, debit_invoice_id)
        if f["active_links"] == 0:
            raise BadInput(f"{credit_invoice_id} and {debit_invoice_id} are not linked; "
                           f"`recon show {credit_invoice_id}` lists the credit's links")
        params = {"c": credit_invoice_id, "d": debit_invoice_id}
        linked_on = db.scalar("SELECT max(linked_on) FROM invoice_links WHERE credit_invoice_id = $c"
                              " AND debit_invoice_id = $d AND unlinked_on IS NULL", params)
        if on < linked_on:
            said = f"--date {on}" if date is not None else f"today ({on})"
            raise BadInput(f"{said}: before the link's own date {linked_on}; "
                           f"date the unlink on or after {linked_on}")
        refuse_if_locked(db, on, f"the unlink date {on}")
        db.touch("SELECT unnest([$c, $d])", params)
        note_before(db)
        db.execute("UPDATE invoice_links SET unlinked_on = $on"
                   " WHERE credit_invoice_id = $c AND debit_invoice_id = $d AND unlinked_on IS NULL",
                   dict(params, on=on))
        db.recompute()
        db.audit("unlink", links=int(f["active_links"]),
                 detail={"credit_invoice_id": credit_invoice_id, "debit_invoice_id": debit_invoice_id,
                         "unlinked_on": on})
        return changes(db, rows)


def note_before(db: Database) -> None:
    """The touched invoices' status and unpaid amount before the change (a temp table: no
    frame, so that `recon link`, `unlink` and `void` need not import pandas)."""
    db.execute("CREATE OR REPLACE TEMP TABLE link_before AS"
               " SELECT invoice_id, status AS status_before, unpaid_amount AS unpaid_before"
               " FROM invoices WHERE invoice_id IN (SELECT invoice_id FROM touched)")


def changes(db: Database, rows: bool) -> pd.DataFrame:
    """Each invoice touched since :func:`note_before`, before and after: invoice_id, type,
    status and unpaid amount before and after, currency (``rows``: records, not a frame)."""
    try:
        return (db.records if rows else db.frame)(
            "SELECT b.invoice_id, i.type, b.status_before, i.status AS status_after, b.unpaid_before,"
            " i.unpaid_amount AS unpaid_after, i.currency"
            " FROM temp.link_before b JOIN invoices i USING (invoice_id) ORDER BY i.type, b.invoice_id")
    finally:
        db.execute("DROP TABLE IF EXISTS temp.link_before")
