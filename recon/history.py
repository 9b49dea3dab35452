"""The ledger as it stood at the end of a past day, rebuilt from dated facts only.

Every change in recon is a dated fact (an item's ``added_on``, a removed item's
``removed_on``, ``paid_on``, ``refunded_on``, ``linked_on``/``unlinked_on``,
``voided_on``), so the state of any past day can be rebuilt, and a past month's report
reads the same whenever it is produced. :func:`stage` writes that state as temp tables
named like the ledger's (``x_invoices``, ``x_invoice_items``, …) with the derived
columns recomputed, and :func:`on_past` points any ledger query (``derived.sql``,
``integrity.sql``) at them, so the rules checked today are checked on the past with the
same SQL.
"""

from __future__ import annotations

import datetime as dt
import re

from . import sql
from .db import Database
from .errors import BadInput

#: the fact tables a past state is made of (asof_tables.sql gives each an x_ twin)
FACT_TABLES = ("invoices", "invoice_items", "payments", "refunds", "invoice_links")
_NAMES = re.compile(r"\b(" + "|".join(FACT_TABLES) + r")\b")


def on_past(query: str, prefix: str = "x_") -> str:
    """``query`` with every fact table replaced by its as-of twin (x_<table>), or by
    another set of tables of the same shape (``prefix``: a staged export's p_<table>)."""
    return _NAMES.sub(prefix + r"\1", query)


def stage(db: Database, as_of: dt.date) -> None:
    """Write the ledger as of the end of ``as_of`` into the x_ temp tables."""
    for stmt in sql.statements("asof_tables"):
        db.execute(stmt, {"as_of": as_of})
    # the derived columns as they were then, by the one derived.sql
    db.execute(on_past(
        "UPDATE invoices AS i SET total = d.total, unpaid_amount = d.unpaid_amount, status = d.status"
        " FROM ({derived}) AS d WHERE i.invoice_id = d.invoice_id"
    ).replace("{derived}", on_past(sql.load("derived"))))


def refuse_overdrawn(db: Database, credit_ids: list[str] | None, what: str) -> None:
    """Refuse a change after which a credit's links and refunds would exceed its items on
    some day (credit_timeline.sql): the ledger as of that day would be wrong."""
    rows = db.rows(sql.load("credit_timeline"), {"credits": credit_ids})
    if rows:
        credit, day, lowest = rows[0]
        raise BadInput(f"{what}: credit invoice {credit} would be overdrawn on {day} (its links and "
                       f"refunds would exceed its items by {-lowest:f}); date the change on or after "
                       "the items and unlinks it depends on")
