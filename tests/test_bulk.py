"""Bulk corrections (SPEC §5, `recon apply`): worked examples, every kind of bad row,
rejects file, dry run, reruns, mappings, file kinds, audit, and the one-by-one equivalence."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pyarrow as pya
import pyarrow.parquet as pq
import pytest
from conftest import assert_invariants
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import recon
from recon.errors import BadInput

TODAY = dt.date(2026, 11, 2)

# A tiny ledger. INV-1: 3 × 33.333333 = 100.00 + 24 % tax, and a 50.00 item; INV-2 of the
# same account; INV-3 of another account in USD; INV-4 of ACC-1 in JPY, partly paid.
INVOICES = """
    invoice_id,account_id,type,invoice_date,currency
    INV-1,ACC-1,debit,2026-10-01,EUR
    INV-2,ACC-1,debit,2026-10-05,EUR
    INV-3,ACC-2,debit,2026-10-01,USD
    INV-4,ACC-1,debit,2026-10-01,JPY
"""
ITEMS = """
    item_id,invoice_id,line_no,description,quantity,unit_price,tax_rate,net_amount,tax_amount,amount
    I1,INV-1,1,Compute,3,33.333333,0.24,100.00,24.00,124.00
    I2,INV-1,2,Support,1,50,0.24,50.00,12.00,62.00
    I3,INV-2,1,Storage,2,10,0.24,20.00,4.80,24.80
    I4,INV-3,1,Licence,10,1,0,10.00,0.00,10.00
    I5,INV-4,1,Usage,7,1000,0.1,7000,700,7700
"""
PAYMENTS = """
    payment_id,invoice_id,amount,paid_on
    P1,INV-4,7000,2026-10-10
"""

HEADER = "debit_invoice_id,item_id,quantity,reason,credit_date,group"


@pytest.fixture
def ledger(make_ledger):
    return make_ledger(INVOICES, ITEMS, PAYMENTS)


def write(path: Path, *rows: str, header: str = HEADER) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def fingerprint(lg: recon.Ledger) -> str:
    """A hash of every table's rows: equal before and after = the ledger is unchanged."""
    h = hashlib.sha256()
    for t in ("invoices", "invoice_items", "payments", "invoice_links", "batches", "audit_log",
              "numbering"):
        h.update(repr(lg.db.rows(f"SELECT * FROM {t} ORDER BY ALL")).encode())
    return h.hexdigest()


def invoice(lg, invoice_id):
    return lg.db.rows("SELECT total, unpaid_amount, status FROM invoices WHERE invoice_id = $i",
                      {"i": invoice_id})[0]


def items_of(lg, credit_id):
    return lg.db.rows("SELECT line_no, credited_item_id, quantity, net_amount, tax_amount, amount"
                      " FROM invoice_items WHERE invoice_id = $i ORDER BY line_no", {"i": credit_id})


D = Decimal


# -- worked example -----------------------------------------------------------------------------


def test_worked_example(ledger, tmp_path):
    f = write(tmp_path / "c.csv",
              "INV-1,I1,1,SLA credit,2026-10-31,G1",    # 1/3 of 100.00 -> 33.33, tax 8.00
              "INV-1,I1,1,SLA credit 2,2026-10-31,G1",  # cumulative 2/3: 66.67 - 33.33 = 33.34
              "INV-2,,,Duplicate,2026-10-31,G1",        # the whole of INV-2: 20.00 + 4.80
              "INV-3,I4,,Goodwill,,")                   # all of I4, own credit, dated today
    res = ledger.apply(f, today=TODAY)
    assert res.rows == 4 and not res.dry_run
    assert list(res.credits["invoice_id"]) == ["CN-2026-000001", "CN-2026-000002"]
    assert items_of(ledger, "CN-2026-000001") == [
        (1, "I1", D("1.000000"), D("33.330"), D("8.000"), D("41.330")),
        (2, "I1", D("1.000000"), D("33.340"), D("8.000"), D("41.340")),
        (3, "I3", D("2.000000"), D("20.000"), D("4.800"), D("24.800")),
    ]
    assert items_of(ledger, "CN-2026-000002") == [(1, "I4", D("10.000000"), D("10.000"), D("0.000"), D("10.000"))]
    # 41.33 + 41.34 + 24.80 = 107.47, all applied: 82.67 to INV-1, 24.80 to INV-2
    assert invoice(ledger, "CN-2026-000001") == (D("107.470"), D("0.000"), "paid")
    assert invoice(ledger, "INV-1") == (D("186.000"), D("103.330"), "unpaid")   # 186.00 - 82.67
    assert invoice(ledger, "INV-2") == (D("24.800"), D("0.000"), "paid")
    assert invoice(ledger, "INV-3") == (D("10.000"), D("0.000"), "paid")
    links = ledger.db.rows("SELECT credit_invoice_id, debit_invoice_id, amount, linked_on FROM invoice_links ORDER BY 1, 2")
    assert links == [("CN-2026-000001", "INV-1", D("82.670"), dt.date(2026, 10, 31)),
                     ("CN-2026-000001", "INV-2", D("24.800"), dt.date(2026, 10, 31)),
                     ("CN-2026-000002", "INV-3", D("10.000"), TODAY)]
    heads = ledger.db.rows("SELECT invoice_id, origin, batch_id, reason, invoice_date FROM invoices"
                           " WHERE type = 'credit' ORDER BY 1")
    assert [h[1] for h in heads] == ["bulk", "bulk"]
    assert heads[0][2] == heads[1][2] == res.batch_id and res.batch_id.startswith("bulk-")
    assert heads[0][3:] == ("SLA credit", dt.date(2026, 10, 31))
    assert res.totals() == {"EUR": "107.47", "USD": "10.00"}
    assert set(res.debits_now_paid["debit_invoice_id"]) == {"INV-2", "INV-3"}
    assert_invariants(ledger)


def test_lines_follow_the_file_within_each_credit_invoice(ledger, tmp_path):
    # G1's rows are not consecutive (a G2 row between them), so its lines are numbered by
    # the window; G2 and INV-3's own credit are "dense" (consecutive item rows) and take
    # row order directly (credit_write.sql). Either way: file order within each credit.
    f = write(tmp_path / "c.csv",
              "INV-1,I2,1,r1,2026-10-31,G1",   # 1 of 1: 50.00 + 12.00
              "INV-2,I3,1,r2,2026-10-31,G2",   # 1 of 2: 10.00 + 2.40
              "INV-1,I1,1,r3,2026-10-31,G1",   # 1 of 3: 33.33 + 8.00
              "INV-3,I4,2,r4,,")               # 2 of 10: 2.00, its own credit
    res = ledger.apply(f, today=TODAY)
    assert list(res.credits["invoice_id"]) == ["CN-2026-000001", "CN-2026-000002", "CN-2026-000003"]
    assert items_of(ledger, "CN-2026-000001") == [
        (1, "I2", D("1.000000"), D("50.000"), D("12.000"), D("62.000")),
        (2, "I1", D("1.000000"), D("33.330"), D("8.000"), D("41.330")),
    ]
    assert items_of(ledger, "CN-2026-000002") == [(1, "I3", D("1.000000"), D("10.000"), D("2.400"), D("12.400"))]
    assert items_of(ledger, "CN-2026-000003") == [(1, "I4", D("2.000000"), D("2.000"), D("0.000"), D("2.000"))]
    assert list(res.items["item_id"]) == ["CN-2026-000001-001", "CN-2026-000001-002",
                                          "CN-2026-000002-001", "CN-2026-000003-001"]
    assert res.item_count == 4
    assert_invariants(ledger)


def test_credit_beyond_unpaid_stays_available(ledger, tmp_path):
    # INV-4 owes 700 JPY of 7700; crediting 2 of 7 units (2200 JPY) links 700, 1500 stays available
    res = ledger.apply(write(tmp_path / "c.csv", "INV-4,I5,2,Overbilled,,"), today=TODAY)
    cn = res.credits["invoice_id"].iloc[0]
    assert items_of(ledger, cn) == [(1, "I5", D("2.000000"), D("2000.000"), D("200.000"), D("2200.000"))]
    assert invoice(ledger, cn) == (D("2200.000"), D("1500.000"), "unpaid")
    assert invoice(ledger, "INV-4") == (D("7700.000"), D("0.000"), "paid")
    assert res.totals() == {"JPY": "2200"}   # the currency's own decimals
    assert_invariants(ledger)


def test_ungrouped_rows_of_one_debit_share_a_credit(ledger, tmp_path):
    res = ledger.apply(write(tmp_path / "c.csv", "INV-1,I1,1,a,,", "INV-3,I4,1,b,,", "INV-1,I2,,c,,"),
                       today=TODAY)
    assert list(res.credits["invoice_id"]) == ["CN-2026-000001", "CN-2026-000002"]
    assert [r[1] for r in items_of(ledger, "CN-2026-000001")] == ["I1", "I2"]
    assert_invariants(ledger)


def test_a_group_named_like_a_debit_invoice_is_its_own_credit(ledger, tmp_path):
    # Rows of INV-1 without a group, and a group called "INV-1" holding a row of INV-2:
    # two credit invoices (a group's key can never be a debit invoice's own key).
    res = ledger.apply(write(tmp_path / "c.csv", "INV-1,I1,1,a,,", "INV-2,I3,1,b,, INV-1 ",
                             "INV-1,I2,1,c,,"), today=TODAY)
    assert list(res.credits["invoice_id"]) == ["CN-2026-000001", "CN-2026-000002"]
    assert [r[1] for r in items_of(ledger, "CN-2026-000001")] == ["I1", "I2"]
    assert [r[1] for r in items_of(ledger, "CN-2026-000002")] == ["I3"]
    assert_invariants(ledger)


def test_group_messages_name_the_group_or_the_debit_invoice(ledger, tmp_path):
    # different credit dates within a group, and within one debit invoice's ungrouped rows
    f = write(tmp_path / "c.csv", "INV-1,I1,1,a,2026-10-20,G 1", "INV-2,I3,1,b,2026-10-21,G 1",
              "INV-1,I2,1,c,2026-10-20,", "INV-1,I2,1,d,2026-10-22,")
    with pytest.raises(BadInput) as e:
        ledger.apply(f, today=TODAY)
    dates = sorted((p.row, p.reason) for p in e.value.problems if p.code == "group_dates")
    assert dates == [(3, "different credit dates in group G 1"),
                     (5, "different credit dates in the credit for the rows of INV-1 without a group")]


def test_dataframe_input(ledger):
    df = pd.DataFrame({"debit_invoice_id": ["INV-1", "INV-1"], "item_id": ["I1", "I1"],
                       "quantity": [D("1.5"), D("1.5")], "reason": ["x", "y"]})
    res = ledger.apply(df, today=TODAY)
    # 1.5/3 of 100.00 = 50.00 twice: the whole item, exactly
    assert [r[3] for r in items_of(ledger, res.credits["invoice_id"].iloc[0])] == [D("50.000"), D("50.000")]
    with pytest.raises(BadInput, match="float64"):
        ledger.apply(pd.DataFrame({"debit_invoice_id": ["INV-1"], "item_id": ["I1"], "quantity": [0.5]}))



def test_one_connection_runs_few_and_bulk_requests_in_turn(ledger):
    # a credit of a few items stages its requests as a table, a bulk run as a view
    # (credits._stage): one session, as in a notebook, switches between them both ways
    with ledger.session(write=True):
        first = ledger.credit("INV-1", {"I1": D("1")}, reason="a", date=TODAY)
        bulk = ledger.apply(pd.DataFrame({"debit_invoice_id": ["INV-1"], "item_id": ["I1"],
                                          "quantity": [D("1")], "reason": ["b"]}), today=TODAY)
        again = ledger.credit("INV-1", {"I1": D("1")}, reason="c", date=TODAY)
    # thirds of 3 × 33.333333 = 100.00, cumulative (SPEC §3): net after 33.33, 66.67, 100.00;
    # tax after 8.00, 16.00, 24.00
    assert first.credits["total"].iloc[0] == D("41.33")  # 33.33 + 8.00
    assert bulk.credits["total"].iloc[0] == D("41.34")  # 33.34 + 8.00
    assert again.credits["total"].iloc[0] == D("41.33")  # 33.33 + 8.00
    with pytest.raises(BadInput, match="exceeds"):
        ledger.credit("INV-1", {"I1": D("1")}, reason="d", date=TODAY)

# -- bad rows: every kind refused, nothing applied ----------------------------------------------

BAD = [
    # (rows, row, column, reason fragment, code)
    (["INV-9,I1,1,a,,"], 2, "debit_invoice_id", "unknown debit invoice", "unknown_invoice"),
    (["INV-1,I9,1,a,,"], 2, "item_id", "unknown item", "unknown_item"),
    (["INV-1,I3,1,a,,"], 2, "item_id", "the item belongs to invoice INV-2, not INV-1", "item_elsewhere"),
    (["INV-1,I1,1,a,,G", "INV-3,I4,1,b,,G"], 3, "group", "group G mixes accounts (ACC-1 and this row's ACC-2)", "group_account"),
    (["INV-1,I1,1,a,,G", "INV-4,I5,1,b,,G"], 3, "group", "group G mixes currencies (EUR and this row's JPY)", "group_currency"),
    (["INV-1,I1,4,a,,"], 2, "quantity", "quantity exceeds the 3 still creditable on item I1", "over_credit"),
    (["INV-1,I1,2,a,,", "INV-1,I1,2,b,,"], 3, "quantity", "quantity exceeds the 1 still creditable on item I1", "over_credit"),
    (["INV-1,I1,0,a,,"], 2, "quantity", "must be greater than 0", "positive"),
    (["INV-1,I1,-1,a,,"], 2, "quantity", "must be greater than 0", "positive"),
    (["INV-1,I1,one,a,,"], 2, "quantity", "not a number", "number:quantity"),
    (["INV-1,I1,1.0000001,a,,"], 2, "quantity", "more than 6 decimals", "scale:quantity"),
    (["INV-1,I1,1,a,2026-02-30,"], 2, "credit_date", "not a valid date", "date"),
    (["INV-1,I1,1,a,31/10/2026,"], 2, "credit_date", "not a valid date", "date"),
    (["INV-1,I1,1,a,2026-09-01,"], 2, "credit_date", "dated before debit invoice INV-1", "date_before_debit"),
    (["INV-1,I1,1,a,,", "INV-1,I1,1,a,,"], 3, "item_id", "rows 2 and 3 credit item I1 in the same credit",
     "repeat_in_credit"),
    ([",I1,1,a,,"], 2, "debit_invoice_id", "a value is required", "not_nullable"),
    (["INV-1,,2,a,,"], 2, "quantity", "a quantity needs an item", "quantity_without_item"),
]


@pytest.mark.parametrize("rows,row,column,reason,code", BAD, ids=[b[4] + str(i) for i, b in enumerate(BAD)])
def test_bad_row_refused_and_ledger_unchanged(ledger, tmp_path, rows, row, column, reason, code):
    before = fingerprint(ledger)
    f = write(tmp_path / "c.csv", *rows)
    with pytest.raises(BadInput) as e:
        ledger.apply(f, today=TODAY)
    assert fingerprint(ledger) == before
    hits = [p for p in e.value.problems if p.code == code]
    assert hits, e.value.summary()
    p = hits[0]
    assert (p.row, p.column) == (row, column)
    assert reason in p.reason
    assert p.file == str(f) and p.fix
    assert (tmp_path / "c.rejects.csv").exists()


def test_every_row_of_a_repeated_bad_date_is_named(ledger, tmp_path):
    """Dates are checked once per distinct value (schemas._by_distinct), then mapped back:
    each row holding a bad one is still named, the good and empty ones are not."""
    rows = ["INV-1,I1,0.1,a,2026-11-15,", "INV-1,I2,0.1,a,2026-02-30,", "INV-1,I1,0.1,b,,",
            "INV-1,I2,0.1,b,2026-11-15,", "INV-1,I1,0.1,c,2026-02-30,", "INV-1,I2,0.1,c,2026-11-31,"]
    with pytest.raises(BadInput) as e:
        ledger.apply(write(tmp_path / "c.csv", *rows), today=TODAY)
    assert [(p.row, p.value) for p in e.value.problems if p.code == "date"] == [
        (3, "2026-02-30"), (6, "2026-02-30"), (7, "2026-11-31")]


def test_missing_column_named(ledger, tmp_path):
    f = write(tmp_path / "c.csv", "I1,1", header="item_id,quantity")
    with pytest.raises(BadInput) as e:
        ledger.apply(f)
    assert [(p.column, p.reason) for p in e.value.problems] == [("debit_invoice_id", "required column is missing")]


def test_empty_file_refused(ledger, tmp_path):
    with pytest.raises(BadInput, match="has no correction rows"):
        ledger.apply(write(tmp_path / "c.csv"))
    assert ledger.db.scalar("SELECT count(*) FROM batches") == 0


def test_every_bad_row_reported_at_once(ledger, tmp_path):
    """Text problems, ledger problems and over-credit of the remaining rows: one run, all."""
    before = fingerprint(ledger)
    f = write(tmp_path / "c.csv",
              "INV-1,I1,2,ok,,",          # 2  fine on its own
              "INV-1,I1,zwei,bad,,",      # 3  not a number
              "INV-9,I1,1,bad,,",         # 4  unknown invoice
              "INV-1,I1,2,over,,",        # 5  2 + 2 > 3: over-credit counting row 2
              "INV-2,I3,1,ok,2026-13-01,")  # 6  bad date
    with pytest.raises(BadInput) as e:
        ledger.apply(f, today=TODAY)
    got = [(p.row, p.column, p.value, p.code) for p in e.value.problems]
    assert got == [(3, "quantity", "zwei", "number:quantity"),
                   (4, "debit_invoice_id", "INV-9", "unknown_invoice"),
                   (5, "quantity", "2", "over_credit"),
                   (6, "credit_date", "2026-13-01", "date")]
    assert "4 problem(s) in 4 row(s)" in e.value.message
    assert fingerprint(ledger) == before


def test_rejects_file_content(ledger, tmp_path):
    f = write(tmp_path / "month.csv", "INV-1,I1,1,fine,,", "INV-1,I9,1,typo,,", "INV-1,I1,-2,neg,,")
    with pytest.raises(BadInput) as e:
        ledger.apply(f, today=TODAY)
    path = tmp_path / "month.rejects.csv"
    assert e.value.rejects == path and str(path) in e.value.message
    rej = pd.read_csv(path, dtype=str, keep_default_na=False)
    # the file's own columns (its `reason` renamed, as the rejects have their own), then ours
    assert list(rej.columns) == ["debit_invoice_id", "item_id", "quantity", "reason (file)", "credit_date",
                                 "group", "row", "column", "value", "reason", "fix"]
    assert rej["row"].tolist() == ["3", "4"]
    assert rej["item_id"].tolist() == ["I9", "I1"]
    assert rej["column"].tolist() == ["item_id", "quantity"]
    assert rej["value"].tolist() == ["I9", "-2"]
    assert rej["reason (file)"].tolist() == ["typo", "neg"]
    assert rej["reason"].tolist() == ["unknown item", "must be greater than 0"]
    assert all(rej["fix"] != "")
    # --rejects puts it elsewhere
    other = tmp_path / "out" / "bad.csv"
    with pytest.raises(BadInput):
        ledger.apply(f, today=TODAY, rejects=other)
    assert len(pd.read_csv(other)) == 2


def test_rejects_file_keeps_the_original_reason_column(tmp_path):
    from recon.bulk import rejects_frame
    from recon.errors import Problem

    raw = pd.DataFrame({"debit_invoice_id": ["INV-1"], "reason": ["SLA"]}, index=[2])
    out = rejects_frame(raw, [Problem(reason="unknown debit invoice", row=2, column="debit_invoice_id",
                                      value="INV-1", fix="check it")])
    assert list(out.columns) == ["debit_invoice_id", "reason (file)", "row", "column", "value", "reason", "fix"]
    assert out.iloc[0].tolist() == ["INV-1", "SLA", 2, "debit_invoice_id", "INV-1", "unknown debit invoice", "check it"]


# -- dry run and reruns -------------------------------------------------------------------------


def test_dry_run_writes_nothing(ledger, tmp_path):
    before = fingerprint(ledger)
    res = ledger.apply(write(tmp_path / "c.csv", "INV-2,,,Duplicate,,"), dry_run=True, today=TODAY)
    assert res.dry_run and list(res.items["net_amount"]) == [D("20.000")]
    assert res.debits_now_paid["debit_invoice_id"].tolist() == ["INV-2"]
    assert fingerprint(ledger) == before
    assert "would create 1 credit invoice(s)" in res.summary()


def test_rerun_changes_nothing(ledger, tmp_path):
    f = write(tmp_path / "c.csv", "INV-1,I1,1,SLA,,")
    first = ledger.apply(f, today=TODAY)
    after_first = fingerprint(ledger)
    again = ledger.apply(f, today=TODAY)
    assert again.already_applied and again.batch_id == first.batch_id
    assert "already applied" in again.summary() and "nothing changed" in again.summary()
    assert fingerprint(ledger) == after_first
    # a named batch: the same name again is the same batch, whatever the file holds
    ledger.apply(write(tmp_path / "d.csv", "INV-1,I1,1,x,,"), batch_id="OCT-RUN", today=TODAY)
    snap = fingerprint(ledger)
    assert ledger.apply(write(tmp_path / "e.csv", "INV-1,I1,1,y,,"), batch_id="OCT-RUN").already_applied
    assert fingerprint(ledger) == snap
    assert ledger.db.rows("SELECT batch_id, command, rows_in FROM batches ORDER BY applied_at") == [
        (first.batch_id, "apply", 1), ("OCT-RUN", "apply", 1)]


def test_audit_records_every_apply_and_export_writes_it(ledger, tmp_path):
    res = ledger.apply(write(tmp_path / "c.csv", "INV-1,I1,1,SLA,,", "INV-3,I4,,Goodwill,,"), today=TODAY)
    row = ledger.db.rows("SELECT command, batch_id, os_user, invoices_created, items_created, links_changed,"
                         " totals, detail, logged_at FROM audit_log WHERE command = 'apply'")
    assert len(row) == 1
    command, batch, user, inv, items, links, totals, detail, at = row[0]
    assert (command, batch, inv, items, links) == ("apply", res.batch_id, 2, 2, 2)
    assert user and at is not None
    assert json.loads(totals) == {"EUR": "41.330", "USD": "10.000"}
    assert json.loads(detail)["rows"] == 2
    paths = ledger.export(tmp_path / "out", "csv")
    assert tmp_path / "out" / "audit_log.csv" in paths
    log = pd.read_csv(tmp_path / "out" / "audit_log.csv", dtype=str)
    assert res.batch_id in log["batch_id"].tolist()


# -- file kinds and platform formats ---------------------------------------------------------------

ROWS = [("INV-1", "I1", "1", "SLA", "2026-10-31", "G"), ("INV-2", None, None, "Dup", "2026-10-31", "G")]


def _expected(lg):
    return (items_of(lg, "CN-2026-000001"), invoice(lg, "INV-1"), invoice(lg, "INV-2"))


def test_parquet_and_xlsx_give_the_same_result(make_ledger, tmp_path):
    cols = list(zip(*ROWS, strict=True))
    names = HEADER.split(",")
    results = []
    # csv
    lg = make_ledger(INVOICES, ITEMS, PAYMENTS)
    lg.apply(write(tmp_path / "c.csv", *[",".join(v or "" for v in r) for r in ROWS]), today=TODAY)
    results.append(_expected(lg))
    # parquet with a DECIMAL quantity and DATE credit_date
    lg = make_ledger(INVOICES, ITEMS, PAYMENTS)
    table = pya.table({
        "debit_invoice_id": pya.array(cols[0]), "item_id": pya.array(cols[1], pya.string()),
        "quantity": pya.array([D(q) if q else None for q in cols[2]], pya.decimal128(18, 3)),
        "reason": pya.array(cols[3]), "credit_date": pya.array([dt.date(2026, 10, 31)] * 2),
        "group": pya.array(cols[5])})
    pq.write_table(table, tmp_path / "c.parquet")
    lg.apply(tmp_path / "c.parquet", today=TODAY)
    results.append(_expected(lg))
    # xlsx: a number cell and a date cell, as Excel stores them
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(names)
    ws.append(["INV-1", "I1", 1, "SLA", dt.datetime(2026, 10, 31), "G"])
    ws.append(["INV-2", None, None, "Dup", dt.datetime(2026, 10, 31), "G"])
    wb.save(tmp_path / "c.xlsx")
    lg = make_ledger(INVOICES, ITEMS, PAYMENTS)
    lg.apply(tmp_path / "c.xlsx", today=TODAY)
    results.append(_expected(lg))
    assert results[0] == results[1] == results[2]
    assert results[0][0][0][3:] == (D("33.330"), D("8.000"), D("41.330"))


def test_parquet_float_quantity_refused(ledger, tmp_path):
    pq.write_table(pya.table({"debit_invoice_id": ["INV-1"], "item_id": ["I1"], "quantity": [0.5]}),
                   tmp_path / "f.parquet")
    with pytest.raises(BadInput, match="binary floating-point"):
        ledger.apply(tmp_path / "f.parquet")


MAPPING = """
delimiter = ";"
decimal = ","
thousands = "."
date_format = "%d.%m.%Y"
[columns]
"Rechnung" = "debit_invoice_id"
"Position" = "item_id"
"Menge" = "quantity"
"Grund" = "reason"
"Datum" = "credit_date"
"""


def test_mapping_decimal_comma_and_day_first_dates(make_ledger, tmp_path):
    # a German export: 1.000,5 units of a 2.000-unit item, dates day first
    lg = make_ledger(INVOICES.replace("INV-3,ACC-2,debit,2026-10-01,USD", "INV-3,ACC-2,debit,2026-10-01,USD"),
                     ITEMS.replace("I4,INV-3,1,Licence,10,1,0,10.00,0.00,10.00",
                                   "I4,INV-3,1,Licence,2000,0.5,0,1000.00,0.00,1000.00"))
    (tmp_path / "fmt.toml").write_text(MAPPING, encoding="utf-8")
    f = tmp_path / "export.csv"
    f.write_text("Rechnung;Position;Menge;Grund;Datum\nINV-3;I4;1.000,5;Kulanz;31.10.2026\n", encoding="utf-8")
    res = lg.apply(f, mapping=tmp_path / "fmt.toml", today=TODAY)
    cn = res.credits["invoice_id"].iloc[0]
    # 1000.5 / 2000 of 1000.00 = 500.25
    assert items_of(lg, cn) == [(1, "I4", D("1000.500000"), D("500.250"), D("0.000"), D("500.250"))]
    assert lg.db.scalar("SELECT invoice_date FROM invoices WHERE invoice_id = $c", {"c": cn}) == dt.date(2026, 10, 31)
    assert_invariants(lg)


def test_a_mapping_for_the_exports_text_leaves_a_parquet_files_typed_columns_alone(make_ledger, tmp_path):
    # the German export's mapping (decimal comma, day-first dates) with the same export as
    # Parquet: its DECIMAL and DATE columns are values, not text in that format (they were
    # refused as "does not fit the mapping's number format"); its text columns still are
    lg = make_ledger(INVOICES, ITEMS.replace("I4,INV-3,1,Licence,10,1,0,10.00,0.00,10.00",
                                             "I4,INV-3,1,Licence,2000,0.5,0,1000.00,0.00,1000.00"))
    (tmp_path / "fmt.toml").write_text(MAPPING, encoding="utf-8")
    pq.write_table(pya.table({
        "Rechnung": ["INV-3", "INV-1"], "Position": ["I4", "I1"],
        "Menge": pya.array([D("1000.5"), D("1")], pya.decimal128(18, 3)),
        "Grund": ["Kulanz", "Kulanz"], "Datum": pya.array([dt.date(2026, 10, 31)] * 2, pya.date32())}),
        tmp_path / "typed.parquet")
    res = lg.apply(tmp_path / "typed.parquet", mapping=tmp_path / "fmt.toml", today=TODAY)
    cn = res.credits.set_index("account_id")["invoice_id"]
    assert items_of(lg, cn["ACC-2"]) == [(1, "I4", D("1000.500000"), D("500.250"), D("0.000"), D("500.250"))]
    assert set(res.credits["invoice_date"]) == {dt.date(2026, 10, 31)}
    # the same columns as text in the export's own format: read by the mapping, as in a CSV
    lg = make_ledger(INVOICES, ITEMS.replace("I4,INV-3,1,Licence,10,1,0,10.00,0.00,10.00",
                                             "I4,INV-3,1,Licence,2000,0.5,0,1000.00,0.00,1000.00"))
    pq.write_table(pya.table({"Rechnung": ["INV-3"], "Position": ["I4"], "Menge": ["1.000,5"],
                              "Grund": ["Kulanz"], "Datum": ["31.10.2026"]}), tmp_path / "text.parquet")
    res = lg.apply(tmp_path / "text.parquet", mapping=tmp_path / "fmt.toml", today=TODAY)
    assert items_of(lg, res.credits["invoice_id"].iloc[0])[0][2:4] == (D("1000.500000"), D("500.250"))
    assert_invariants(lg)


def test_a_mapping_for_the_exports_text_leaves_a_spreadsheets_number_and_date_cells_alone(make_ledger,
                                                                                         tmp_path):
    # Excel keeps a number cell as a number and a date cell as a date, beside text cells
    # written in the export's format: each cell is read for what it is
    from openpyxl import Workbook

    lg = make_ledger(INVOICES, ITEMS.replace("I4,INV-3,1,Licence,10,1,0,10.00,0.00,10.00",
                                             "I4,INV-3,1,Licence,2000,0.5,0,1000.00,0.00,1000.00"))
    (tmp_path / "fmt.toml").write_text(MAPPING, encoding="utf-8")
    wb = Workbook()
    ws = wb.active
    ws.append(["Rechnung", "Position", "Menge", "Grund", "Datum"])
    ws.append(["INV-3", "I4", 1000.5, "Kulanz", dt.datetime(2026, 10, 31)])   # a number, a date
    ws.append(["INV-1", "I1", "1,5", "Kulanz", "31.10.2026"])                # text, German
    wb.save(tmp_path / "mixed.xlsx")
    res = lg.apply(tmp_path / "mixed.xlsx", mapping=tmp_path / "fmt.toml", today=TODAY)
    cn = res.credits.set_index("account_id")["invoice_id"]
    assert items_of(lg, cn["ACC-2"])[0][2:4] == (D("1000.500000"), D("500.250"))
    assert items_of(lg, cn["ACC-1"])[0][2] == D("1.500000")
    assert set(res.credits["invoice_date"]) == {dt.date(2026, 10, 31)}
    # a text cell not in the export's format is still refused, naming the format
    ws.append(["INV-1", "I1", "0.5", "Kulanz", "31.10.2026"])
    wb.save(tmp_path / "bad.xlsx")
    lg = make_ledger(INVOICES, ITEMS.replace("I4,INV-3,1,Licence,10,1,0,10.00,0.00,10.00",
                                             "I4,INV-3,1,Licence,2000,0.5,0,1000.00,0.00,1000.00"))
    with pytest.raises(BadInput) as e:
        lg.apply(tmp_path / "bad.xlsx", mapping=tmp_path / "fmt.toml", today=TODAY)
    assert [(p.row, p.column, p.value, p.code) for p in e.value.problems] == [(4, "Menge", "0.5", "number_format")]


def test_a_mapping_for_the_exports_text_leaves_a_frames_decimal_and_date_values_alone(make_ledger, tmp_path):
    # an analyst's frame of Decimal and date values with the German export's mapping: the
    # values are recon's own text ("1000.5"), not text in the mapping's format (they were
    # refused as "does not fit the mapping's number format"); text cells beside them are
    # read by the mapping
    lg = make_ledger(INVOICES, ITEMS.replace("I4,INV-3,1,Licence,10,1,0,10.00,0.00,10.00",
                                             "I4,INV-3,1,Licence,2000,0.5,0,1000.00,0.00,1000.00"))
    (tmp_path / "fmt.toml").write_text(MAPPING, encoding="utf-8")
    frame = pd.DataFrame({"Rechnung": ["INV-3", "INV-1"], "Position": ["I4", "I1"],
                          "Menge": [D("1000.5"), "1,5"], "Grund": ["Kulanz", "Kulanz"],
                          "Datum": [dt.date(2026, 10, 31), "31.10.2026"]})
    res = lg.apply(frame, mapping=tmp_path / "fmt.toml", today=TODAY)
    cn = res.credits.set_index("account_id")["invoice_id"]
    assert items_of(lg, cn["ACC-2"])[0][2:4] == (D("1000.500000"), D("500.250"))
    assert items_of(lg, cn["ACC-1"])[0][2] == D("1.500000")
    assert set(res.credits["invoice_date"]) == {dt.date(2026, 10, 31)}
    # a text cell not in the export's format is still refused, naming the format
    lg = make_ledger(INVOICES, ITEMS)
    with pytest.raises(BadInput) as e:
        lg.apply(frame.assign(Menge=[D("1"), "0.5"]), mapping=tmp_path / "fmt.toml", today=TODAY)
    assert [(p.row, p.column, p.value, p.code) for p in e.value.problems] == [(3, "Menge", "0.5", "number_format")]


def test_mapping_errors_name_the_original_column(ledger, tmp_path):
    (tmp_path / "fmt.toml").write_text(MAPPING, encoding="utf-8")
    f = tmp_path / "export.csv"
    f.write_text("Rechnung;Position;Menge;Grund;Datum\n"
                 "INV-1;I1;eins;x;31.10.2026\n"        # 2 not a number
                 "INV-1;I1;1;y;31.02.2026\n"           # 3 no such day
                 "INV-1;I9;1;z;31.10.2026\n"           # 4 unknown item
                 "INV-1;I1;1,5;w;31.10.2026\n"         # 5 fine
                 "INV-1;I1;2;v;31.10.2026\n", encoding="utf-8")  # 6 1.5 + 2 > 3
    before = fingerprint(ledger)
    with pytest.raises(BadInput) as e:
        ledger.apply(f, mapping=tmp_path / "fmt.toml", today=TODAY)
    got = [(p.row, p.column, p.value, p.code) for p in e.value.problems]
    assert got == [(2, "Menge", "eins", "number:quantity"), (3, "Datum", "31.02.2026", "date"),
                   (4, "Position", "I9", "unknown_item"), (6, "Menge", "2", "over_credit")]
    assert fingerprint(ledger) == before
    rej = pd.read_csv(tmp_path / "export.rejects.csv", dtype=str)
    assert list(rej.columns[:5]) == ["Rechnung", "Position", "Menge", "Grund", "Datum"]
    assert rej["Menge"].tolist() == ["eins", "1", "1", "2"]


def test_import_with_mapping(tmp_path, cli):
    (tmp_path / "fmt.toml").write_text(
        'delimiter = ";"\ndecimal = ","\nthousands = "."\ndate_format = "%d.%m.%Y"\n'
        '[columns]\n"Rechnungsnr" = "invoice_id"\n"Kunde" = "account_id"\n"Datum" = "invoice_date"\n'
        '"Betrag" = "amount"\n"Netto" = "net_amount"\n"Steuer" = "tax_amount"\n', encoding="utf-8")
    src = tmp_path / "export"
    src.mkdir()
    (src / "invoices.csv").write_text("Rechnungsnr;Kunde;type;Datum;currency\nR-1;K-1;debit;15.10.2026;EUR\n",
                                      encoding="utf-8")
    (src / "invoice_items.csv").write_text(
        "item_id;invoice_id;line_no;description;quantity;unit_price;tax_rate;Netto;Steuer;Betrag\n"
        "P-1;R-1;1;Server;1;1.234,56;0,19;1.234,56;234,57;1.469,13\n", encoding="utf-8")
    code, out, err = cli("init", "--ledger", "l.duckdb")
    assert code == 0, err
    code, out, err = cli("import", "--ledger", "l.duckdb", src, "--mapping", tmp_path / "fmt.toml")
    assert code == 0, err
    with recon.Ledger(tmp_path / "l.duckdb", read_only=True) as lg:
        assert invoice(lg, "R-1") == (D("1469.130"), D("1469.130"), "unpaid")
        assert lg.db.scalar("SELECT invoice_date FROM invoices") == dt.date(2026, 10, 15)
    # a bad amount is named by the export's column
    (src / "invoice_items.csv").write_text(
        "item_id;invoice_id;line_no;description;quantity;unit_price;tax_rate;Netto;Steuer;Betrag\n"
        "P-2;R-1;2;Server;1;1;0,19;1,2,3;0;1\n", encoding="utf-8")
    (src / "invoices.csv").unlink()
    code, out, err = cli("import", "--ledger", "l.duckdb", src, "--mapping", tmp_path / "fmt.toml")
    assert code == 2 and "column Netto" in err and "row 2" in err


# -- the command line -----------------------------------------------------------------------------


def test_cli_apply_dry_run_rerun_and_refusal(sample_copy, cli, tmp_path):
    corrections = Path(__file__).resolve().parent.parent / "data" / "corrections.csv"
    f = tmp_path / "corrections.csv"
    shutil.copy(corrections, f)
    with recon.Ledger(sample_copy, read_only=True) as lg:
        before = fingerprint(lg)
    code, out, err = cli("apply", "--ledger", sample_copy, f, "--dry-run")
    assert code == 0, err
    assert "dry run, nothing saved" in out and "CN-2026-000001" in out
    assert "debit invoices whose status changes" in out
    with recon.Ledger(sample_copy, read_only=True) as lg:
        assert fingerprint(lg) == before
    code, out, err = cli("apply", "--ledger", sample_copy, f)
    assert code == 0, err
    batch = out.strip()
    assert batch.startswith("bulk-")
    # progress phases with elapsed time, then the summary
    assert "read" in err and "committed" in err and "s]" in err
    assert "115 rows created 36 credit invoice(s) with 127 item(s)" in err
    assert "credited 104,155.24 EUR, 744,410 JPY, 28,075.65 USD" in err and "now paid" in err
    code, out, err = cli("apply", "--ledger", sample_copy, f)
    assert code == 0 and "already applied" in err and "nothing changed" in err
    with recon.Ledger(sample_copy, read_only=True) as lg:
        assert_invariants(lg)
        assert lg.db.scalar("SELECT count(*) FROM invoices WHERE batch_id = $b", {"b": batch}) == 36
        snap = fingerprint(lg)
    bad = write(tmp_path / "bad.csv", "INV-2026-000002,ITM-0000005,1,x,,",
                "INV-2026-999999,,,x,,", "INV-2026-000002,ITM-0000005,abc,x,,")
    code, out, err = cli("apply", "--ledger", sample_copy, bad)
    assert code == 2
    assert "refused, nothing applied: 2 problem(s) in 2 row(s)" in err
    assert "row 3, column debit_invoice_id, value 'INV-2026-999999': unknown debit invoice" in err
    assert "row 4, column quantity, value 'abc'" in err
    assert str(tmp_path / "bad.rejects.csv") in err
    with recon.Ledger(sample_copy, read_only=True) as lg:
        assert fingerprint(lg) == snap


def test_cli_20000_rows(tmp_path, cli):
    """A 20,000-row corrections file through the real command, on a synthetic ledger."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "bench_apply", Path(__file__).resolve().parent.parent / "benchmarks" / "bench_apply.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    ledger, parquet, csv = bench.build(20_000, tmp_path)
    code, out, err = cli("apply", "--ledger", ledger, csv)
    assert code == 0, err
    assert "20000 rows created 4000 credit invoice(s) with 20000 item(s)" in err
    with recon.Ledger(ledger, read_only=True) as lg:
        assert lg.db.scalar("SELECT count(*) FROM invoice_items WHERE credited_item_id IS NOT NULL") == 20_000
        assert_invariants(lg)


# -- equivalence with crediting one row at a time ----------------------------------------------------

CHOICES = {"INV-1": ["I1", "I2"], "INV-2": ["I3"], "INV-3": ["I4"], "INV-4": ["I5"]}
row_strategy = st.tuples(
    st.sampled_from(["INV-1", "INV-1", "INV-2", "INV-3", "INV-4"]),
    st.integers(0, 4),                                   # which item; 4 = the whole invoice
    st.sampled_from([None, "0.5", "1", "0.333333", "0.25", "1.5"]),
    # mostly groups within one account and currency; "mixed" may span accounts (refused)
    st.sampled_from([None, None, "A", "B", "mixed"]),
)
ACCOUNT = {"INV-1": "ACC-1-EUR", "INV-2": "ACC-1-EUR", "INV-3": "ACC-2-USD", "INV-4": "ACC-1-JPY"}


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    import conftest

    path = tmp_path_factory.mktemp("tpl") / "tpl.duckdb"
    with recon.Ledger.create(path) as lg:
        from recon.transfer import import_frames

        import_frames(lg.db, {"invoices": conftest._frame(INVOICES, "invoices"),
                              "invoice_items": conftest._frame(ITEMS, "invoice_items"),
                              "payments": conftest._frame(PAYMENTS, "payments")})
    return path


def _state(lg):
    items = lg.db.rows("SELECT invoice_id, line_no, credited_item_id, quantity, net_amount, tax_amount, amount"
                       " FROM invoice_items WHERE credited_item_id IS NOT NULL ORDER BY ALL")
    links = lg.db.rows("SELECT credit_invoice_id, debit_invoice_id, sum(amount) FROM invoice_links"
                       " WHERE unlinked_on IS NULL GROUP BY ALL ORDER BY ALL")
    invs = lg.db.rows("SELECT invoice_id, total, unpaid_amount, status FROM invoices ORDER BY ALL")
    return items, links, invs


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(row_strategy, min_size=1, max_size=7))
def test_bulk_equals_one_by_one(template, tmp_path_factory, rows):
    work = tmp_path_factory.mktemp("eq")
    bulk_path, seq_path = work / "bulk.duckdb", work / "seq.duckdb"
    shutil.copy(template, bulk_path)
    shutil.copy(template, seq_path)
    table = []
    for n, (debit, which, qty, group) in enumerate(rows):
        items = CHOICES[debit]
        item = items[which % len(items)] if which < 4 else None
        if group in ("A", "B"):
            group = f"{group}-{ACCOUNT[debit]}"
        table.append({"debit_invoice_id": debit, "item_id": item, "quantity": qty if item else None,
                      "reason": f"r{n}", "credit_date": "2026-11-01", "group": group})
    frame = pd.DataFrame(table, columns=HEADER.split(","), dtype="string")

    with recon.Ledger(bulk_path) as lg:
        try:
            lg.apply(frame, today=TODAY)
            bulk_ok = True
        except BadInput as exc:
            bulk_ok = False
            for p in exc.problems:
                event(p.code)
        bulk_state = _state(lg)
        assert_invariants(lg)

    with recon.Ledger(seq_path) as lg:
        credit_of: dict = {}
        seq_ok = True
        try:
            with lg.db.transaction():   # all or nothing, like the file
                for r in table:
                    key = ("group", r["group"]) if r["group"] else ("debit", r["debit_invoice_id"])
                    items = None if r["item_id"] is None else {r["item_id"]: r["quantity"]}
                    res = lg.credit(r["debit_invoice_id"], items, reason=r["reason"],
                                    date=r["credit_date"], into=credit_of.get(key))
                    credit_of.setdefault(key, res.credit_invoice_id)
        except BadInput:
            seq_ok = False
        seq_state = _state(lg)
        assert_invariants(lg)

    event("applied" if bulk_ok else "refused")
    assert bulk_ok == seq_ok, (table, bulk_ok, seq_ok)
    if bulk_ok:
        assert bulk_state == seq_state


@pytest.mark.parametrize("value", ["0", "0.001", "123.456", "999999999999.999", "1000000000000.000",
                                   "999999999999999.999"])
def test_milli_is_exact_on_both_sides_of_its_fast_path(ledger, value):
    # amounts below 10^12 take BIGINT arithmetic, the rest HUGEINT (macros.sql)
    assert ledger.db.scalar(f"SELECT milli({value}::DECIMAL(18,3))") == int(D(value) * 1000)


@pytest.mark.parametrize("value", ["0.000001", "2.5", "999999.999999", "1000000.000000", "999999999999.999999"])
def test_micro_is_exact_on_both_sides_of_its_fast_path(ledger, value):
    assert ledger.db.scalar(f"SELECT micro({value}::DECIMAL(18,6))") == int(D(value) * 1000000)


def _limits_while_items_are_written(monkeypatch) -> list[str]:
    """DuckDB's memory limit at each insert of credit items from now on (as DuckDB prints it)."""
    from recon.db import Database

    seen: list[str] = []
    real = Database.execute

    def execute(self, query, params=None):
        if "INSERT INTO invoice_items" in query:
            seen.append(self.scalar("SELECT current_setting('memory_limit')"))
        return real(self, query, params)

    monkeypatch.setattr(Database, "execute", execute)
    return seen


def test_a_bulk_run_bounds_duckdbs_memory_and_sets_it_back(ledger, tmp_path, monkeypatch):
    # DuckDB works within APPLY_DUCKDB_MEMORY while a run is checked and written (a 1M-row
    # run stays under 1.5 GB), and has its default again after, refused or not
    from recon import bulk

    default = ledger.db.scalar("SELECT current_setting('memory_limit')")
    seen = _limits_while_items_are_written(monkeypatch)
    ledger.apply(write(tmp_path / "ok.csv", "INV-1,I1,1,Fix,2026-10-20,"))
    assert seen and set(seen) == {"762.9 MiB"} != {default}  # 800MB as DuckDB prints it
    assert ledger.db.scalar("SELECT current_setting('memory_limit')") == default
    with pytest.raises(BadInput):
        ledger.apply(write(tmp_path / "bad.csv", "INV-1,NO-SUCH-ITEM,1,Fix,2026-10-20,"))
    assert ledger.db.scalar("SELECT current_setting('memory_limit')") == default
    assert bulk.APPLY_DUCKDB_MEMORY == "800MB"


@pytest.mark.parametrize("own, during", [("500MB", "476.8 MiB"), ("4GB", "762.9 MiB")])
def test_a_bulk_run_keeps_a_tighter_bound_of_the_analysts_and_sets_theirs_back(ledger, tmp_path,
                                                                             monkeypatch, own, during):
    # a notebook that bounded DuckDB itself: a tighter bound than the run's stays while the
    # run works, and the analyst's own bound (not DuckDB's default) is there again after
    with ledger.session(write=True) as db:
        db.execute(f"SET memory_limit = '{own}'")
        theirs = db.scalar("SELECT current_setting('memory_limit')")
        seen = _limits_while_items_are_written(monkeypatch)
        ledger.apply(write(tmp_path / "ok.csv", "INV-1,I1,1,Fix,2026-10-20,"))
        assert seen == [during]
        assert db.scalar("SELECT current_setting('memory_limit')") == theirs
        # DuckDB prints a size cut to a tenth of its unit: set back as printed, it would
        # shrink at every run (476.8 -> 476.7 MiB)
        ledger.apply(write(tmp_path / "again.csv", "INV-1,I1,0.5,Fix,2026-10-20,"))
        assert seen == [during, during]
        assert db.scalar("SELECT current_setting('memory_limit')") == theirs
        db.execute("RESET memory_limit")


def test_what_duckdb_spills_goes_to_a_folder_of_the_process_never_the_current_one(tmp_path):
    # DuckDB's default spill folder is ".tmp" in the current folder: a large run started
    # from a folder that cannot be written failed there (exit 3), and one that could be
    # written filled it with temp files. The engine and the scratch connection spill into
    # folders of their own under $TMPDIR, which the command line's quick exit removes.
    import subprocess
    import sys

    spill_root, cwd = tmp_path / "tmp", tmp_path / "here"
    spill_root.mkdir()
    cwd.mkdir()
    script = """
import os, sys
from recon import db
eng = db._engine()
con = eng.con.cursor()
con.execute("SET memory_limit = '40MB'")
con.execute("CREATE TEMP TABLE big AS SELECT range AS i, repeat('x', 40) || range::VARCHAR AS s FROM range(3000000)")
assert con.execute("SELECT count(*) FROM duckdb_temporary_files()").fetchall()[0][0] > 0, "nothing spilled"
scratch = db.scratch()
folders = sorted(os.listdir(os.environ["TMPDIR"]))
print(" ".join(folders))
print(con.execute("SELECT current_setting('temp_directory')").fetchall()[0][0])
print(scratch.execute("SELECT current_setting('temp_directory')").fetchall()[0][0])
con.close(); scratch.close()
db.before_exit()
print(" ".join(sorted(os.listdir(os.environ["TMPDIR"]))) or "-")
sys.stdout.flush()
os._exit(0)
"""
    out = subprocess.run([sys.executable, "-c", script], cwd=cwd, capture_output=True, text=True,
                         env={**os.environ, "TMPDIR": str(spill_root)}, timeout=120)
    assert out.returncode == 0, out.stderr
    folders, engine_dir, scratch_dir, left = out.stdout.split("\n")[:4]
    assert folders.startswith("recon-spill-") and "-engine-" in folders  # it spilled there
    assert Path(engine_dir).parent == spill_root and "-engine-" in engine_dir
    assert Path(scratch_dir).parent == spill_root and "-scratch-" in scratch_dir
    assert left == "-"  # the quick exit removed what was spilled, folder and all
    assert list(cwd.iterdir()) == []  # nothing in the folder the command ran in
