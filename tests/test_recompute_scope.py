"""Recompute narrows its aggregates to the touched invoices while they are few.

Both ways must write the same derived facts: spoil total/unpaid/status of a few
invoices, touch them, recompute (scoped: 3 of the sample's invoices), and compare with
a recompute of everything on an untouched copy.
"""

from __future__ import annotations

import shutil

import pandas as pd

import recon
from recon import db as dbmod
from tests.conftest import assert_invariants

DERIVED = "SELECT invoice_id, total, unpaid_amount, status FROM invoices ORDER BY invoice_id"


def test_scoped_recompute_equals_full(sample_copy, tmp_path, monkeypatch):
    full_path = tmp_path / "full.duckdb"
    shutil.copy(sample_copy, full_path)
    with recon.Ledger(full_path) as full:
        with full.db.transaction():
            full.db.recompute(everything=True)
        expected = full.db.frame(DERIVED)
    lg = recon.Ledger(sample_copy)
    # the first two invoices, one with payments and one paid
    some = sorted({r[0] for r in lg.db.rows(
        "(SELECT invoice_id FROM invoices ORDER BY 1 LIMIT 2)"
        " UNION ALL (SELECT min(invoice_id) FROM payments)"
        " UNION ALL (SELECT min(invoice_id) FROM invoices WHERE status = 'paid')") if r[0]})
    assert 3 <= len(some) and 4 * len(some) <= lg.db.scalar("SELECT count(*) FROM invoices")
    scoped_calls = []
    real = dbmod._recompute_sql
    monkeypatch.setattr(dbmod, "_recompute_sql", lambda scoped: scoped_calls.append(scoped) or real(scoped))
    with lg.db.transaction():
        lg.db.execute("UPDATE invoices SET total = total + 1, unpaid_amount = 0, status = 'void'"
                      " WHERE invoice_id IN (SELECT unnest($ids::VARCHAR[]))", {"ids": some})
        lg.db.touch("SELECT unnest($ids::VARCHAR[])", {"ids": some})
        assert lg.db.recompute() == len(some)  # every spoiled invoice rewritten
    assert scoped_calls == [True]
    pd.testing.assert_frame_equal(lg.db.frame(DERIVED), expected)
    assert_invariants(lg)
    lg.close()
