"""A large credit run builds ``CreditResult.items`` only when it is read, from the ledger
(opening it again when the call that made it is over).

The lazy frame must be exactly the frame the run would have built (same rows, order,
columns and types), including lines added to an existing credit invoice.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from recon import credits
from recon import db as dbmod
from tests.conftest import assert_invariants

INVOICES = """
invoice_id,account_id,type,invoice_date,currency
D1,A1,debit,2026-10-01,EUR
D2,A1,debit,2026-10-02,EUR
"""
ITEMS = """
item_id,invoice_id,line_no,description,quantity,unit_price,tax_rate,net_amount,tax_amount,amount
I1,D1,1,Licence,10,5,0.24,50.00,12.00,62.00
I2,D1,2,Support,3,1.10,0.24,3.30,0.79,4.09
J1,D2,1,Storage,7,0.333,0.24,2.33,0.56,2.89
J2,D2,2,Backup,2,4,0.24,8.00,1.92,9.92
"""
DAY = dt.date(2026, 11, 26)


def run(lg):
    # a new credit (2 lines: I1 one third = 16.67 net, I2 all = 3.30 net), then D2's
    # items into that same credit (lines 3 and 4 of CN-2026-000001)
    first = lg.credit("D1", {"I1": "3.333333", "I2": None}, date=DAY)
    second = lg.credit("D2", into=first.credit_invoice_id, date=DAY)
    return first, second


def test_lazy_items_equal_the_eager_frame(make_ledger, monkeypatch):
    eager = run(make_ledger(INVOICES, ITEMS))
    assert all(r._load_items is None for r in eager)
    lg = make_ledger(INVOICES, ITEMS)
    monkeypatch.setattr(credits, "EAGER_ITEMS", 0)
    lazy = run(lg)
    assert all(r._items is None and r._load_items is not None for r in lazy)
    assert [r.item_count for r in lazy] == [2, 2]
    for e, z in zip(eager, lazy, strict=True):
        pd.testing.assert_frame_equal(e.items, z.items)
    assert list(lazy[1].items["line_no"]) == [3, 4]
    # 50.00 × 3.333333 / 10 = 16.666665 -> 16.67 (EUR, half-up); I2 is all of its 3.30
    assert list(lazy[0].items["net_amount"].astype(str)) == ["16.670", "3.300"]
    assert_invariants(lg)


def test_lazy_items_reload_after_the_ledger_closes(make_ledger, monkeypatch):
    eager = make_ledger(INVOICES, ITEMS).credit("D1", date=DAY).items
    lg = make_ledger(INVOICES, ITEMS)
    monkeypatch.setattr(credits, "EAGER_ITEMS", 0)
    res = lg.credit("D1", date=DAY)
    lg.close()
    assert res.item_count == 2 and "2 item(s)" in repr(res)
    assert dbmod.held() == {}
    # read now, the items open the ledger again (read-only) and release it after
    pd.testing.assert_frame_equal(res.items, eager)
    assert dbmod.held() == {}


def test_a_dry_run_builds_its_items_at_once(make_ledger, monkeypatch):
    lg = make_ledger(INVOICES, ITEMS)
    monkeypatch.setattr(credits, "EAGER_ITEMS", 0)
    res = lg.credit("D1", {"I2": None}, date=DAY, dry_run=True)
    assert res._load_items is None
    assert list(res.items["net_amount"].astype(str)) == ["3.300"]
