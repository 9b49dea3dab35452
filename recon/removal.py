"""Removing items from a credit invoice, as the platform allows on a manual credit.

Only a credit invoice created by hand (origin ``manual``) can lose items, only while it
has no active links (unlink it first: the links are dated facts that must keep adding
up), and at least one item must remain (otherwise void it). The removed items' quantity
becomes creditable again on their debit items; totals and statuses are recomputed.
"""

from __future__ import annotations

import pandas as pd

from .db import Database
from .errors import BadInput


def remove_items(db: Database, credit_invoice_id: str, item_ids) -> pd.DataFrame:
    """Delete ``item_ids`` from a manual credit invoice; returns its items left."""
    wanted = [item_ids] if isinstance(item_ids, str) else [str(i) for i in item_ids]
    wanted = list(dict.fromkeys(wanted))
    if not wanted:
        raise BadInput("name at least one ITEM_ID to remove")
    with db.transaction():
        row = db.rows(
            "SELECT type, origin, voided_on,"
            " (SELECT count(*) FROM invoice_links WHERE credit_invoice_id = $id AND unlinked_on IS NULL),"
            " (SELECT count(*) FROM invoice_items WHERE invoice_id = $id)"
            " FROM invoices WHERE invoice_id = $id", {"id": credit_invoice_id})
        if not row:
            raise BadInput(f"CREDIT_ID {credit_invoice_id!r}: unknown invoice; check the credit invoice number")
        kind, origin, voided_on, active, n_items = row[0]
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
        db.execute("DELETE FROM invoice_items WHERE invoice_id = $id AND item_id IN (SELECT unnest($items::VARCHAR[]))",
                   {"id": credit_invoice_id, "items": wanted})
        db.touch("SELECT $id", {"id": credit_invoice_id})
        db.recompute()
        db.audit("remove-items", detail={"credit_invoice_id": credit_invoice_id, "removed": wanted})
        return db.frame(
            "SELECT item_id, line_no, credited_item_id, quantity, net_amount, tax_amount, amount"
            " FROM invoice_items WHERE invoice_id = $id ORDER BY line_no", {"id": credit_invoice_id})
