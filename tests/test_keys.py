"""Keys and references without indexes (schema.sql, "Keys and references").

invoices, invoice_items and invoice_links carry no PRIMARY KEY, FOREIGN KEY or secondary
index (they cost most of a 1M-row bulk run, benchmarks/RESULTS.md). Uniqueness of invoice
and item ids is guarded where ids are made, and integrity.sql reports any repeated id or
dangling reference.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from recon.errors import BadInput
from recon.integrity import breaches
from tests.conftest import assert_invariants

INVOICES = """
invoice_id,account_id,type,invoice_date,currency
D1,A1,debit,2026-10-01,EUR
"""
DAY = dt.date(2026, 11, 26)


def state(lg) -> dict[str, pd.DataFrame]:
    return {t: lg.db.frame(f"SELECT * FROM {t} ORDER BY ALL")
            for t in ("invoices", "invoice_items", "invoice_links", "numbering")}


def assert_refused_unchanged(lg, match: str, action) -> None:
    """``action()`` raises BadInput matching ``match`` and the ledger stays as it was."""
    before = state(lg)
    with pytest.raises(BadInput, match=match):
        action()
    after = state(lg)
    for t in before:
        pd.testing.assert_frame_equal(before[t], after[t])
    assert_invariants(lg)


def test_no_index_on_the_big_tables(make_ledger):
    lg = make_ledger()
    assert lg.db.rows("SELECT count(*) FROM duckdb_indexes()") == [(0,)]
    keyed = {t for t, kind in lg.db.rows(
        "SELECT table_name, constraint_type FROM duckdb_constraints()"
        " WHERE constraint_type IN ('PRIMARY KEY', 'FOREIGN KEY', 'UNIQUE')")}
    assert not keyed & {"invoices", "invoice_items", "invoice_links"}


def test_new_credit_number_already_taken_is_refused(make_ledger):
    # The numbering table set back behind the ledger's own credit invoices (outside recon):
    # the next number, CN-2026-000001, is taken; nothing is written.
    lg = make_ledger(INVOICES, """
        item_id,invoice_id,line_no,description,quantity,unit_price,tax_rate,net_amount,tax_amount,amount
        I1,D1,1,Licence,10,5,0.24,50.00,12.00,62.00
    """)
    first = lg.credit("D1", {"I1": "2"}, date=DAY)
    assert first.credit_invoice_id == "CN-2026-000001"
    lg.db.execute("UPDATE numbering SET last_no = 0 WHERE prefix = 'CN'")
    assert_refused_unchanged(lg, "next credit invoice number CN-2026-000001 is already used",
                             lambda: lg.credit("D1", {"I1": "3"}, date=DAY))
    assert lg.db.scalar("SELECT count(*) FROM invoices WHERE invoice_id = 'CN-2026-000001'") == 1


def test_new_credit_item_id_already_taken_is_refused(make_ledger):
    # An imported item happens to carry the id the next credit's first line would get:
    # next credit CN-2026-000001, line 1 -> CN-2026-000001-001.
    lg = make_ledger(INVOICES, """
        item_id,invoice_id,line_no,description,quantity,unit_price,tax_rate,net_amount,tax_amount,amount
        I1,D1,1,Licence,10,5,0.24,50.00,12.00,62.00
        CN-2026-000001-001,D1,2,Support,1,20,0.24,20.00,4.80,24.80
    """)
    assert_refused_unchanged(lg, "CN-2026-000001-001 is already used by an item of D1",
                             lambda: lg.credit("D1", {"I1": "2"}, date=DAY))


def test_a_thousand_lines_keep_distinct_ids(make_ledger):
    # lpad(line, 3) cut line 1000 to "100" (a repeated id); printf('%03d') widens.
    items = ["item_id,invoice_id,line_no,description,quantity,unit_price,tax_rate,net_amount,tax_amount,amount"]
    items += [f"I{n},D1,{n},x,1,1,0,1.00,0.00,1.00" for n in range(1, 1002)]
    lg = make_ledger(INVOICES, "\n".join(items))
    res = lg.credit("D1", date=DAY)  # the whole invoice: 1001 lines on one credit
    ids = res.items["item_id"].tolist()
    assert len(ids) == 1001 == len(set(ids))
    assert ids[99] == "CN-2026-000001-100" and ids[999] == "CN-2026-000001-1000"
    assert lg.db.scalar("SELECT count(DISTINCT item_id) FROM invoice_items") == 2002
    assert_invariants(lg)


def test_integrity_reports_repeated_ids_and_orphans(make_ledger):
    lg = make_ledger(INVOICES, """
        item_id,invoice_id,line_no,description,quantity,unit_price,tax_rate,net_amount,tax_amount,amount
        I1,D1,1,Licence,10,5,0.24,50.00,12.00,62.00
    """)
    assert breaches(lg.db).empty
    con = lg.db.con
    # what a FOREIGN KEY or PRIMARY KEY used to refuse, written behind the code's back
    con.execute("INSERT INTO invoice_items (item_id, invoice_id, line_no, description, quantity,"
                " unit_price, tax_rate, net_amount, tax_amount, amount, added_on) VALUES ('I1', 'D1', 2, 'x', 1, 1, 0, 1, 0, 1, DATE '2026-10-01'),"
                " ('I9', 'NOPE', 1, 'x', 1, 1, 0, 1, 0, 1, DATE '2026-10-01')")
    con.execute("INSERT INTO payments (payment_id, invoice_id, amount, paid_on) VALUES ('P9', 'GONE', 1, DATE '2026-10-02')")
    con.execute("INSERT INTO invoice_links (link_id, credit_invoice_id, debit_invoice_id, amount, linked_on)"
                " VALUES (1, 'CN-X', 'D1', 1, DATE '2026-10-02')")
    con.execute("INSERT INTO invoices (invoice_id, account_id, type, status, invoice_date, currency)"
                " VALUES ('D2', 'A1', 'debit', 'unpaid', DATE '2026-10-01', 'XYZ')")
    found = breaches(lg.db)
    rules = set(found["rule"])
    assert {"duplicate_item_id", "item_orphan", "payment_orphan", "link_orphan",
            "unknown_currency"} <= rules
    dup = found[found["rule"] == "duplicate_item_id"].iloc[0]
    assert (dup["item_id"], dup["detail"]) == ("I1", "item id used 2 times")
