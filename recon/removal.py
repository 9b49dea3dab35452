"""Removing items from a credit invoice, as the platform allows on a manual credit.

Only a credit invoice created by hand (origin ``manual``) can lose items, only while it
has no active links (unlink it first: the links are dated facts that must keep adding
up), and at least one item must remain (otherwise void it). The removal is a dated fact
(``date``, default today): the items move to ``removed_items`` with ``removed_on``, so
the ledger as of an earlier day still has them, and a closed month's report does not
move. The day may not lie before the items were added or the credit's links were ended,
nor in a closed month. The removed items' quantity becomes creditable again on their
debit items; totals and statuses are recomputed.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from .db import Database
from .errors import BadInput
from .history import refuse_overdrawn
from .periods import refuse_if_locked


def remove_items(db: Database, credit_invoice_id: str, item_ids, *,
                 date: dt.date | None = None) -> pd.DataFrame:
    """Take ``item_ids`` off a manual credit invoice on ``date``; returns its items left."""
    wanted = [item_ids] if isinstance(item_ids, str) else [str(i) for i in item_ids]
    wanted = list(dict.fromkeys(wanted))
    if not wanted:
        raise BadInput("name at least one ITEM_ID to remove")
    on = date or dt.date.today()
    with db.transaction():
        row = db.rows(
            "SELECT type, origin, voided_on,"
            " (SELECT count(*) FROM invoice_links WHERE credit_invoice_id = $id AND unlinked_on IS NULL),"
            " (SELECT count(*) FROM invoice_items WHERE invoice_id = $id),"
            " (SELECT max(unlinked_on) FROM invoice_links WHERE credit_invoice_id = $id)"
            " FROM invoices WHERE invoice_id = $id", {"id": credit_invoice_id})
        if not row:
            raise BadInput(f"CREDIT_ID {credit_invoice_id!r}: unknown invoice; check the credit invoice number")
        kind, origin, voided_on, active, n_items, last_unlink = row[0]
        if kind != "credit":
            raise BadInput(f"CREDIT_ID {credit_invoice_id!r}: is a debit invoice; items are removed "
                           "from credit invoices only")
        if voided_on is not None:
            raise BadInput(f"CREDIT_ID {credit_invoice_id!r}: the credit invoice is void (since {voided_on})")
        if origin != "manual":
            raise BadInput(f"CREDIT_ID {credit_invoice_id!r}: a {origin} credit; only manually created "
                           "credits can lose items (void it and credit again instead)")
        if active:
            raise BadInput(f"CREDIT_ID {credit_invoice_id!r}: has {active} active link(s); unlink it first "
                           f"(`recon unlink {credit_invoice_id} DEBIT_ID`)")
        foreign = [r[0] for r in db.rows(
            "SELECT w FROM unnest($items::VARCHAR[]) AS t(w) WHERE w NOT IN"
            " (SELECT item_id FROM invoice_items WHERE invoice_id = $id) ORDER BY w",
            {"items": wanted, "id": credit_invoice_id})]
        if foreign:
            raise BadInput(f"ITEM_ID {foreign[0]!r}: not an item of {credit_invoice_id}; "
                           f"`recon show {credit_invoice_id}` lists its items")
        if len(wanted) >= n_items:
            raise BadInput(f"{credit_invoice_id}: removing {len(wanted)} of its {n_items} item(s) would leave "
                           "none; keep at least one, or void the credit invoice")
        params = {"id": credit_invoice_id, "items": wanted}
        said = f"--date {on}" if date is not None else f"today ({on})"
        added = db.scalar("SELECT max(added_on) FROM invoice_items WHERE invoice_id = $id"
                          " AND item_id IN (SELECT unnest($items::VARCHAR[]))", params)
        latest = max(d for d in (added, last_unlink) if d is not None)
        if on < latest:
            raise BadInput(f"{said}: before the items were added or the credit's links were ended "
                           f"({latest}); date the removal on or after {latest}")
        refuse_if_locked(db, on, f"the removal date {on}")
        db.execute("INSERT INTO removed_items BY NAME SELECT *, $on AS removed_on FROM invoice_items"
                   " WHERE invoice_id = $id AND item_id IN (SELECT unnest($items::VARCHAR[]))",
                   dict(params, on=on))
        db.execute("DELETE FROM invoice_items WHERE invoice_id = $id AND item_id IN (SELECT unnest($items::VARCHAR[]))",
                   params)
        refuse_overdrawn(db, [credit_invoice_id], f"removal dated {on}")
        db.touch("SELECT $id", {"id": credit_invoice_id})
        db.recompute()
        db.audit("remove-items", detail={"credit_invoice_id": credit_invoice_id, "removed": wanted,
                                          "removed_on": on})
        return db.frame(
            "SELECT item_id, line_no, credited_item_id, quantity, net_amount, tax_amount, amount"
            " FROM invoice_items WHERE invoice_id = $id ORDER BY line_no", {"id": credit_invoice_id})
