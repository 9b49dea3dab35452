"""The ledger's invariants (SPEC §2–3), checked from the stored data in one query.

An empty result means every rule holds. The month-end report lists what it finds as
exceptions; the tests assert it is empty after every step.
"""

from __future__ import annotations

import pandas as pd

from . import sql
from .db import Database


def breaches(db: Database) -> pd.DataFrame:
    """One row per broken rule: rule, invoice_id, item_id, detail."""
    return db.frame(sql.load("integrity").replace("{derived}", sql.load("derived")))
