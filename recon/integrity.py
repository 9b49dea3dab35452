"""The ledger's invariants (SPEC §2–3), checked from the stored data in one query.

An empty result means every rule holds. The month-end report lists what it finds as
exceptions, as the ledger stood at the period's end; the tests assert it is empty after
every step.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from . import history, sql
from .db import Database

#: Rules about what is stored rather than what happened: stored derived figures, ids,
#: references. As of a past day the derived figures are rebuilt from the facts and the
#: facts of unknown invoices wait for them, so these are judged on today's ledger; they
#: break only when the ledger was written behind recon's back, never by later activity.
JUDGED_TODAY = ("stored_total", "stored_unpaid", "stored_status", "duplicate_invoice_id",
                "duplicate_item_id", "duplicate_link_id", "item_orphan", "payment_orphan",
                "link_orphan", "refund_orphan")


def breaches(db: Database, as_of: dt.date | None = None, *, now: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per broken rule: rule, invoice_id, item_id, detail.

    ``as_of``: the rules checked on the ledger as it stood at the end of that day
    (history.py), with the same SQL, plus the rules judged on today's ledger
    (JUDGED_TODAY); default: the ledger as it is now. Both include credits overdrawn on
    some past day (by ``as_of``), from credit_timeline.sql.
    ``now``: today's breaches (``breaches(db)``) when the caller has them already: the
    rules judged today are taken from it instead of a second pass over the whole ledger.
    """
    query = sql.load("integrity").replace("{derived}", sql.load("derived"))
    overdrawn = ("SELECT 'credit_overdrawn' AS rule, credit_invoice_id AS invoice_id, NULL::VARCHAR AS item_id,"
                 " 'on ' || first_day::VARCHAR || ' its links and refunds exceeded its items by '"
                 " || (-lowest)::VARCHAR AS detail FROM (" + sql.load("credit_timeline") + ")"
                 " WHERE $as_of IS NULL OR first_day <= $as_of")
    params = {"credits": None, "as_of": as_of}
    if as_of is None:
        return db.frame(f"SELECT * FROM ({query}) UNION ALL ({overdrawn}) ORDER BY 1, 2, 3", params)
    judged = ", ".join(f"'{r}'" for r in JUDGED_TODAY)
    today = (now[now["rule"].isin(JUDGED_TODAY)] if now is not None
             else db.frame(f"SELECT * FROM ({query}) WHERE rule IN ({judged})"))
    history.stage(db, as_of)
    past = db.frame(f"SELECT * FROM ({history.on_past(query)}) WHERE rule NOT IN ({judged})"
                    f" UNION ALL ({overdrawn}) ORDER BY 1, 2, 3", params)
    return pd.concat([past, today], ignore_index=True).sort_values(
        ["rule", "invoice_id", "item_id"], na_position="first", ignore_index=True)
