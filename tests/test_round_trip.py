"""Lossless round trips and an import that refuses what breaks the rules (issue 13, items
1–2). The property over random histories is in tests/test_history_properties.py; here,
the cases of the issue one by one, with the numbers beside them.
"""

from __future__ import annotations

import shutil
from decimal import Decimal as D

import pytest

import recon
from recon.cli import main
from recon.demo import MONTH_END
from recon.errors import BadInput
from recon.tables import CATALOGUE
from tests.conftest import DATA, assert_invariants, assert_same
from tests.conftest import ledger_state as state

INVOICES = """invoice_id,account_id,type,invoice_date,currency
D1,ACC-1,debit,2026-10-01,EUR
D2,ACC-1,debit,2026-10-05,EUR
C1,ACC-1,credit,2026-10-10,EUR
"""
ITEMS = """item_id,invoice_id,line_no,description,quantity,unit_price,tax_rate,net_amount,tax_amount,amount,credited_item_id
I1,D1,1,Licence,10,8,0.25,80.00,20.00,100.00,
I2,D2,1,Support,1,40,0.25,40.00,10.00,50.00,
C1-1,C1,1,Licence,4,8,0.25,32.00,8.00,40.00,I1
"""


def folder(tmp_path, name="in", **files):
    d = tmp_path / name
    d.mkdir()
    for table, text in files.items():
        (d / f"{table}.csv").write_text(text)
    return d


def csv_export(lg, out):
    lg.export(out, "csv")
    return {p.name: p.read_bytes() for p in sorted(out.glob("*.csv"))}


# -- round trips ----------------------------------------------------------------------------------


def test_the_demo_ledgers_own_export_imports_again_byte_for_byte(tmp_path):
    assert main(["demo", "--out", str(tmp_path / "demo")]) in (0, 1)
    with recon.Ledger(tmp_path / "demo" / "ledger.duckdb") as lg:
        # the demo links credits several times over; a credit with two links or more used
        # to be refused on re-import ("links of credit invoice exceed its total")
        assert lg.db.scalar("SELECT max(n) FROM (SELECT count(*) AS n FROM invoice_links"
                            " GROUP BY credit_invoice_id)") >= 2
        first = csv_export(lg, tmp_path / "first")
    assert set(first) == {f"{t.name}.csv" for t in CATALOGUE}
    recon.init(tmp_path / "copy.duckdb", tmp_path / "first")
    with recon.Ledger(tmp_path / "copy.duckdb") as copy:
        assert csv_export(copy, tmp_path / "again") == first
        assert_invariants(copy)


def test_a_batch_applied_before_the_migration_is_not_applied_again(tmp_path, sample_copy):
    corrections = tmp_path / "fix.csv"
    shutil.copy(DATA / "corrections.csv", corrections)
    with recon.Ledger(sample_copy) as lg:
        first = lg.apply(corrections, today=MONTH_END)
        lg.export(tmp_path / "out", "parquet")
    recon.init(tmp_path / "moved.duckdb", tmp_path / "out")
    with recon.Ledger(tmp_path / "moved.duckdb") as moved:
        before = state(moved)
        again = moved.apply(corrections, today=MONTH_END)
        assert again.already_applied and again.batch_id == first.batch_id
        assert_same(before, state(moved))
        # the numbering, the audit log and the creation times came along
        assert moved.table("audit_log")["command"].tolist()[-1] == "apply"
        nxt = moved.credit("INV-2026-000189", date="2026-10-30").credit_invoice_id
    assert nxt == f"CN-2026-{len(first.credits) + 1:06d}"


def test_xlsx_export_keeps_quantities_a_double_cannot_hold(make_ledger, tmp_path):
    lg = make_ledger("invoice_id,account_id,type,invoice_date,currency\nD1,A,debit,2026-10-01,EUR\n",
                     "item_id,invoice_id,line_no,description,quantity,unit_price,tax_rate,net_amount,"
                     "tax_amount,amount\nI1,D1,1,x,123456789012.123456,0,0,0.00,0.00,0.00\n")
    first = csv_export(lg, tmp_path / "first")
    lg.export(tmp_path / "x", "xlsx")
    recon.init(tmp_path / "copy.duckdb", tmp_path / "x")
    with recon.Ledger(tmp_path / "copy.duckdb") as copy:
        assert copy.table("invoice_items")["quantity"].tolist() == lg.table("invoice_items")["quantity"].tolist()
        assert csv_export(copy, tmp_path / "again") == first


def test_history_goes_only_into_a_new_ledger(make_ledger, tmp_path):
    lg = make_ledger(INVOICES.splitlines()[0] + "\nD1,ACC-1,debit,2026-10-01,EUR\n",
                     "\n".join(ITEMS.splitlines()[:2]) + "\n")
    lg.export(tmp_path / "out", "csv")
    other = make_ledger("invoice_id,account_id,type,invoice_date,currency\nX1,ACC-9,debit,2026-10-01,EUR\n")
    before = state(other)
    with pytest.raises(BadInput, match="restored only into a new ledger"):
        other.import_dir(tmp_path / "out")
    assert_same(before, state(other))


# -- the import refuses what breaks SPEC §2–3 ---------------------------------------------------------


def refused(lg, path, code):
    before = state(lg)
    with pytest.raises(BadInput) as exc:
        lg.import_dir(path)
    assert code in {p.code for p in exc.value.problems}, exc.value.summary()
    assert_same(before, state(lg))
    return exc.value.problems


def test_a_void_credit_with_an_active_link_is_refused(make_ledger, tmp_path):
    lg = make_ledger()
    void_c1 = INVOICES.replace("currency\n", "currency,voided_on\n").replace("EUR\n", "EUR,\n").replace(
        "C1,ACC-1,credit,2026-10-10,EUR,", "C1,ACC-1,credit,2026-10-10,EUR,2026-10-12")
    d = folder(tmp_path, invoices=void_c1, invoice_items=ITEMS,
               invoice_links="credit_invoice_id,debit_invoice_id,amount,linked_on\nC1,D1,40.00,2026-10-10\n")
    problems = refused(lg, d, "link_on_void")
    assert problems[0].row == 2 and "invoice_links.csv" in problems[0].file


def test_links_beyond_what_a_debit_owes_are_refused(make_ledger, tmp_path):
    lg = make_ledger()
    d = folder(tmp_path, invoices=INVOICES, invoice_items=ITEMS,
               payments="payment_id,invoice_id,amount,paid_on\nP1,D1,80.00,2026-10-02\n",
               # D1 owes 100.00 − 80.00 = 20.00; the link gives it 40.00
               invoice_links="credit_invoice_id,debit_invoice_id,amount,linked_on\nC1,D1,40.00,2026-10-10\n")
    problems = refused(lg, d, "links_exceed_debit")
    assert "(20.000)" in problems[0].reason


def test_links_beyond_a_credits_total_are_refused_each_link_counted_once(make_ledger, tmp_path):
    lg = make_ledger()
    links = "credit_invoice_id,debit_invoice_id,amount,linked_on\nC1,D1,20.00,2026-10-10\nC1,D2,30.00,2026-10-11\n"
    d = folder(tmp_path, invoices=INVOICES, invoice_items=ITEMS, invoice_links=links)
    refused(lg, d, "links_exceed_credit")  # 20.00 + 30.00 > 40.00
    # named on the credit's first link (what draws on it), even when the credit's item
    # (row 2 of invoice_items.csv) comes before it (row 3 of invoice_links.csv)
    head, *lines = ITEMS.splitlines(keepends=True)
    c2 = "C2,ACC-1,credit,2026-10-10,EUR\n", "C2-1,C2,1,Support,1,8,0.25,8.00,2.00,10.00,I2\n"
    credit_first = folder(tmp_path, "credit_first", invoices=INVOICES + c2[0],
                          invoice_items=head + lines[2] + lines[0] + lines[1] + c2[1],
                          invoice_links=links.replace("\n", "\nC2,D2,10.00,2026-10-10\n", 1))
    problems = refused(lg, credit_first, "links_exceed_credit")
    assert "invoice_links.csv" in problems[0].file and problems[0].row == 3
    ok = folder(tmp_path, "ok", invoices=INVOICES, invoice_items=ITEMS,
                invoice_links=links.replace("30.00", "20.00"))  # 20.00 + 20.00 = 40.00: fine
    lg.import_dir(ok)
    assert lg.invoice("C1").iloc[0].status == "paid"
    assert_invariants(lg)


def test_a_credit_dated_before_the_debit_it_credits_is_refused(make_ledger, tmp_path):
    lg = make_ledger()
    d = folder(tmp_path, invoices=INVOICES.replace("C1,ACC-1,credit,2026-10-10", "C1,ACC-1,credit,2026-09-30"),
               invoice_items=ITEMS)
    problems = refused(lg, d, "credit_before_debit")
    assert problems[0].column == "credited_item_id" and problems[0].value == "I1"


def test_a_link_dated_before_an_invoice_it_joins_is_refused(make_ledger, tmp_path):
    lg = make_ledger()
    d = folder(tmp_path, invoices=INVOICES, invoice_items=ITEMS,
               invoice_links="credit_invoice_id,debit_invoice_id,amount,linked_on\nC1,D2,10.00,2026-10-09\n")
    refused(lg, d, "link_too_early")


def test_a_credit_overdrawn_on_a_past_day_is_refused(make_ledger, tmp_path):
    # C1 holds 40.00 from 10-10 and 10.00 more from 10-20: a link of 50.00 on 10-15 would
    # have applied it beyond its items on 10-15..10-19
    items = ITEMS.replace("amount,credited_item_id\n", "amount,credited_item_id,added_on\n").replace(
        ",\n", ",,\n").replace(",I1\n", ",I1,\n") + "C1-2,C1,2,Support,0.2,40,0.25,8.00,2.00,10.00,I2,2026-10-20\n"
    links = "credit_invoice_id,debit_invoice_id,amount,linked_on\nC1,D1,50.00,{}\n"
    lg = make_ledger()
    refused(lg, folder(tmp_path, invoices=INVOICES, invoice_items=items,
                       invoice_links=links.format("2026-10-15")), "credit_overdrawn")
    lg.import_dir(folder(tmp_path, "ok", invoices=INVOICES, invoice_items=items,
                         invoice_links=links.format("2026-10-20")))
    assert lg.invoice("C1").iloc[0].status == "paid"
    assert_invariants(lg)


def test_stated_status_and_unpaid_must_be_what_the_facts_give(make_ledger, tmp_path):
    lg = make_ledger()
    d = folder(tmp_path, invoices=INVOICES.replace("currency\n", "currency,status\n").replace(
        "D1,ACC-1,debit,2026-10-01,EUR", "D1,ACC-1,debit,2026-10-01,EUR,paid").replace(
        "D2,ACC-1,debit,2026-10-05,EUR", "D2,ACC-1,debit,2026-10-05,EUR,").replace(
        "C1,ACC-1,credit,2026-10-10,EUR", "C1,ACC-1,credit,2026-10-10,EUR,"), invoice_items=ITEMS)
    refused(lg, d, "status_mismatch")  # D1 owes 100.00: unpaid, not paid


@pytest.mark.parametrize("stated, code", [
    ("D1,ACC-1,debit,2026-10-01,EUR,100.00,100.00", None),      # as the facts give them
    ("D1,ACC-1,debit,2026-10-01,EUR,99.99,", "total_mismatch"),  # the items add up to 100.00
    ("D1,ACC-1,debit,2026-10-01,EUR,,60.00", "unpaid_mismatch"),  # no payment, no link: 100.00
])
def test_stated_totals_and_unpaid_amounts_must_be_what_the_facts_give(make_ledger, tmp_path, stated, code):
    lg = make_ledger()
    invoices = INVOICES.replace("currency\n", "currency,total,unpaid_amount\n").replace(
        "D1,ACC-1,debit,2026-10-01,EUR", stated).replace(
        "D2,ACC-1,debit,2026-10-05,EUR", "D2,ACC-1,debit,2026-10-05,EUR,,").replace(
        "C1,ACC-1,credit,2026-10-10,EUR", "C1,ACC-1,credit,2026-10-10,EUR,,")
    d = folder(tmp_path, invoices=invoices, invoice_items=ITEMS.replace(",I1\n", ",\n").replace(
        "C1-1,C1,1,Licence,4,8,0.25,32.00,8.00,40.00,\n", ""))
    if code is None:
        lg.import_dir(d)
        assert (lg.invoice("D1").iloc[0].total, lg.invoice("D1").iloc[0].unpaid_amount) == (D("100"), D("100"))
    else:
        (problem,) = [p for p in refused(lg, d, code) if p.code == code]
        assert problem.row == 2 and problem.column in ("total", "unpaid_amount")
