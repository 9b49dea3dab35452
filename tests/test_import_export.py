"""Import and export: round trips in every format, and all-or-nothing refusals."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal as D

import pandas as pd
import pytest

import recon
from recon.errors import BadInput
from tests.conftest import DATA, assert_invariants


def snapshot(lg: recon.Ledger) -> dict[str, pd.DataFrame]:
    return {t: lg.table(t) for t in ("invoices", "invoice_items", "payments", "invoice_links")}


def same(a: dict, b: dict) -> bool:
    return all(a[t].equals(b[t]) for t in a)


def test_sample_data_imports_with_exact_amounts(sample_copy):
    with recon.Ledger(sample_copy) as lg:
        inv = lg.table("invoices")
        assert len(inv) == 300
        assert str(inv.total.dtype) == "decimal128(18, 3)[pyarrow]"  # never float64
        jpy = inv[inv.currency == "JPY"]
        assert (jpy.total == jpy.total.map(lambda v: D(int(v)))).all()  # whole yen
        assert set(inv.status) == {"paid", "unpaid", "void"}
        assert_invariants(lg)


def test_items_are_stored_in_the_files_order_with_their_days(tmp_path):
    # the import fills each item's day on the staged rows and inserts them by a plain
    # scan: the ledger holds them in the file's order (no sort), the day as before
    folder = tmp_path / "exp"
    shutil.copytree(DATA, folder, ignore=shutil.ignore_patterns("next_month", "*.txt", "*.md",
                                                                "corrections.csv", "cancellations.csv"))
    items = pd.read_csv(folder / "invoice_items.csv", dtype=str)
    items = items.iloc[::-1]  # the file in another order than its ids
    items.to_csv(folder / "invoice_items.csv", index=False)
    recon.init(tmp_path / "l.duckdb", folder)
    with recon.Ledger(tmp_path / "l.duckdb", read_only=True) as lg:
        stored = lg.db.rows("SELECT i.item_id, i.added_on = v.invoice_date FROM invoice_items i"
                            " JOIN invoices v USING (invoice_id) ORDER BY i.rowid")
    assert [r[0] for r in stored] == items["item_id"].tolist()
    assert all(r[1] for r in stored)  # the sample gives no added_on: each item on its invoice's day

    # an item the next export adds to an invoice the ledger already has: the import's day
    later = tmp_path / "later"
    later.mkdir()
    first = items[items.invoice_id == items.invoice_id.iloc[0]].iloc[0].copy()
    first["item_id"], first["line_no"] = "ITM-9999999", "99"
    pd.DataFrame([first]).to_csv(later / "invoice_items.csv", index=False)
    with recon.Ledger(tmp_path / "l.duckdb") as lg:
        lg.import_dir(later, date="2026-11-20")
        day = lg.db.rows("SELECT i.added_on, v.invoice_date FROM invoice_items i JOIN invoices v"
                         " USING (invoice_id) WHERE i.item_id = 'ITM-9999999'")
        last = lg.db.rows("SELECT item_id FROM invoice_items ORDER BY rowid DESC LIMIT 1")
    assert day[0][0] == dt.date(2026, 11, 20) and day[0][1] < day[0][0]
    assert last == [("ITM-9999999",)]


def test_an_import_is_refused_when_its_credit_items_and_the_ledgers_exceed_an_item(tmp_path):
    # the check looks at the debit items a credit item of the import credits, with every
    # credit item of them the ledger holds already (import_after.sql)
    def export(folder, credit, qty, net, tax, day):
        folder.mkdir()
        total = net + tax
        (folder / "invoices.csv").write_text(
            "invoice_id,account_id,type,invoice_date,due_date,currency,total\n"
            + ("H1,ACC-9,debit,2026-10-01,2026-10-31,EUR,124.00\n" if credit == "HC1" else "")
            + f"{credit},ACC-9,credit,{day},,EUR,{total:.2f}\n")
        (folder / "invoice_items.csv").write_text(
            "item_id,invoice_id,line_no,description,quantity,unit_price,tax_rate,net_amount,tax_amount,"
            "amount,credited_item_id\n"
            + ("HI1,H1,1,Licence,1,100,0.24,100.00,24.00,124.00,\n" if credit == "HC1" else "")
            + f"{credit}-1,{credit},1,Licence,{qty},100,0.24,{net:.2f},{tax:.2f},{total:.2f},HI1\n")

    # (each of another amount: a credit of the same content would be taken for HC1 under
    # the platform's number, same_credit.sql)
    export(tmp_path / "a", "HC1", "0.6", D("60.00"), D("14.40"), "2026-10-02")
    recon.init(tmp_path / "l.duckdb", tmp_path / "a")
    export(tmp_path / "b", "HC2", "0.5", D("50.00"), D("12.00"), "2026-10-03")  # 1.1 of 1 with HC1's
    export(tmp_path / "c", "HC3", "0.4", D("40.00"), D("9.60"), "2026-10-04")  # exactly what is left
    with recon.Ledger(tmp_path / "l.duckdb") as lg:
        with pytest.raises(BadInput) as err:
            lg.import_dir(tmp_path / "b")
        assert "credits of item exceed the item (1.100000 of 1.000000)" in str(err.value)
        assert "invoice_items.csv, row 2, column quantity" in str(err.value)
        assert lg.db.scalar("SELECT count(*) FROM invoices WHERE invoice_id = 'HC2'") == 0
        lg.import_dir(tmp_path / "c")
        held = lg.db.rows("SELECT invoice_id, quantity FROM invoice_items WHERE credited_item_id = 'HI1'"
                          " ORDER BY 1")
    assert held == [("HC1", D("0.6")), ("HC3", D("0.4"))]


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
def test_export_then_import_gives_the_same_ledger(sample_copy, tmp_path, fmt):
    with recon.Ledger(sample_copy) as lg:
        lg.credit("INV-2026-000177", {"ITM-0000614": "1"}, date="2026-10-30")
        lg.credit("INV-2026-000184", date="2026-10-30")
        before = snapshot(lg)
        lg.export(tmp_path / "out", fmt)
    from recon.tables import CATALOGUE

    # everything the ledger holds, a file per table (issue 13: an export round-trips)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        f"{t.name}.{fmt}" for t in CATALOGUE)
    for t in CATALOGUE:  # the platform's tables alone import like a platform export
        if t.name not in ("invoices", "invoice_items", "payments", "invoice_links"):
            (tmp_path / "out" / f"{t.name}.{fmt}").unlink()
    again = recon.init(tmp_path / "again.duckdb", tmp_path / "out")
    assert again["invoices"] == 302
    with recon.Ledger(tmp_path / "again.duckdb") as lg2:
        after = snapshot(lg2)
        for t in before:
            cols = [c for c in before[t].columns if c not in ("created_at", "link_id")]
            b = before[t][cols].sort_values(cols[0]).reset_index(drop=True)
            a = after[t][cols].sort_values(cols[0]).reset_index(drop=True)
            pd.testing.assert_frame_equal(a, b, check_dtype=False)
        # numbering continues after the imported credits
        assert lg2.credit("INV-2026-000189", date="2026-10-30").credit_invoice_id == "CN-2026-000003"
        assert_invariants(lg2)


def test_csv_export_writes_each_currencys_decimals(sample_copy, tmp_path):
    with recon.Ledger(sample_copy, read_only=True) as lg:
        lg.export(tmp_path, "csv")
    import csv

    text = (tmp_path / "invoices.csv").read_text()
    assert ".000" not in text
    rows = list(csv.DictReader(text.splitlines()))
    jpy = next(r for r in rows if r["currency"] == "JPY")
    eur = next(r for r in rows if r["currency"] == "EUR")
    assert jpy["total"].isdigit()  # whole yen, no decimal point
    assert len(eur["total"].split(".")[1]) == 2


def write(folder, name, text):
    folder.mkdir(exist_ok=True)
    (folder / name).write_text("\n".join(line.strip() for line in text.strip().splitlines()) + "\n")


GOOD_INVOICES = """
invoice_id,account_id,type,status,invoice_date,due_date,currency,total,unpaid_amount
X1,A,debit,unpaid,2026-10-01,2026-10-31,EUR,124.00,124.00
X2,A,debit,paid,2026-10-01,2026-10-31,JPY,1100,0
"""
GOOD_ITEMS = """
item_id,invoice_id,line_no,description,quantity,unit_price,tax_rate,net_amount,tax_amount,amount
XI1,X1,1,Licence,1,100,0.24,100.00,24.00,124.00
XI2,X2,1,Licence,1,1000,0.1,1000,100,1100
"""
GOOD_PAYMENTS = """
payment_id,invoice_id,amount,paid_on
XP1,X2,1100,2026-10-05
"""


@pytest.mark.parametrize(
    "table, text, row, column, value, reason",
    [
        ("invoices.csv", GOOD_INVOICES.replace("124.00,124.00", "124.00,124.001"), 2,
         "unpaid_amount", "124.001", "EUR has 2 decimals"),
        ("invoices.csv", GOOD_INVOICES.replace("EUR", "EUX"), 2, "currency", "EUX", "unknown currency"),
        ("invoices.csv", GOOD_INVOICES.replace("2026-10-01,2026-10-31,EUR", "2026-13-01,2026-10-31,EUR"), 2,
         "invoice_date", "2026-13-01", "not a valid date"),
        ("invoices.csv", GOOD_INVOICES.replace("X2,A", "X1,A"), 3, "invoice_id", "X1", "duplicate"),
        ("invoices.csv", GOOD_INVOICES.replace(",debit,unpaid", ",debet,unpaid"), 2, "type", "debet",
         "not an allowed value"),
        ("invoices.csv", GOOD_INVOICES.replace("124.00,124.00", "120.00,124.00"), 2, "total", "120.00",
         "differs from the sum of its items"),
        ("invoices.csv", GOOD_INVOICES.replace("X2,A,debit,paid", "X2,A,debit,unpaid"), 3, "status", "unpaid",
         "stated status differs"),
        ("invoice_items.csv", GOOD_ITEMS.replace("100.00,24.00,124.00", "100.00,24.00,125.00"), 2,
         "amount", "125.00", "not net_amount + tax_amount"),
        ("invoice_items.csv", GOOD_ITEMS.replace("XI1,X1,1,Licence,1", "XI1,X9,1,Licence,1"), 2,
         "invoice_id", "X9", "unknown invoice"),
        ("invoice_items.csv", GOOD_ITEMS.replace("XI1,X1,1,Licence,1,", "XI1,X1,1,Licence,abc,"), 2,
         "quantity", "abc", "not a number"),
        ("invoice_items.csv", GOOD_ITEMS.replace("XI1,X1,1,Licence,1,", "XI1,X1,1,Licence,0,"), 2,
         "quantity", "0", "greater than 0"),
        ("invoice_items.csv", GOOD_ITEMS.replace("1000,100,1100", "1000.5,100,1100.5"), 3,
         "net_amount", "1000.5", "JPY has no decimals"),
        ("payments.csv", GOOD_PAYMENTS.replace("XP1,X2", "XP1,X7"), 2, "invoice_id", "X7", "unknown invoice"),
        ("payments.csv", GOOD_PAYMENTS.replace(",1100,", ",-5,"), 2, "amount", "-5", "greater than 0"),
    ],
)
def test_bad_rows_are_refused_with_file_row_column_value(tmp_path, table, text, row, column, value, reason):
    folder = tmp_path / "in"
    write(folder, "invoices.csv", GOOD_INVOICES)
    write(folder, "invoice_items.csv", GOOD_ITEMS)
    write(folder, "payments.csv", GOOD_PAYMENTS)
    write(folder, table, text)
    lg = recon.Ledger.create(tmp_path / "l.duckdb")
    before = snapshot(lg)
    with pytest.raises(BadInput) as err:
        lg.import_dir(folder)
    hits = [p for p in err.value.problems if p.column == column]
    assert hits, err.value.summary()
    assert any((p.row, str(p.value), p.file.endswith(table)) == (row, value, True)
               and reason in p.reason for p in hits), err.value.summary()
    assert same(before, snapshot(lg))
    lg.close()


def test_every_bad_row_is_reported_at_once(tmp_path):
    folder = tmp_path / "in"
    write(folder, "invoices.csv", GOOD_INVOICES.replace("EUR", "EUX").replace("2026-10-01,2026-10-31,JPY",
                                                                              "2026-02-30,2026-10-31,JPY"))
    write(folder, "payments.csv", GOOD_PAYMENTS.replace("1100", "x"))
    lg = recon.Ledger.create(tmp_path / "l.duckdb")
    with pytest.raises(BadInput) as err:
        lg.import_dir(folder)
    assert {(p.column, p.row) for p in err.value.problems} >= {("invoice_date", 3), ("amount", 2)}
    lg.close()


def test_importing_the_same_files_again_changes_nothing(sample_copy):
    # a cumulative re-export: every row is already in the ledger, so each is skipped
    with recon.Ledger(sample_copy) as lg:
        before = snapshot(lg)
        counts = lg.import_dir(DATA)
        assert counts.added == 0
        assert counts.skipped == {"invoices": 300, "invoice_items": 1027, "payments": 168}
        assert same(before, snapshot(lg))


def test_later_payments_import_updates_statuses(sample_copy, tmp_path):
    folder = tmp_path / "nov"
    write(folder, "payments.csv", """
        payment_id,invoice_id,amount,paid_on
        NOV-1,INV-2026-000189,100.00,2026-11-25
    """)
    with recon.Ledger(sample_copy) as lg:
        before = lg.invoice("INV-2026-000189").iloc[0].unpaid_amount
        lg.import_dir(folder)
        assert lg.invoice("INV-2026-000189").iloc[0].unpaid_amount == before - D("100")
        assert_invariants(lg)


def test_empty_and_header_only_and_missing_columns(tmp_path):
    lg = recon.Ledger.create(tmp_path / "l.duckdb")
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "invoices.csv").write_text("")
    with pytest.raises(BadInput, match="the file is empty"):
        lg.import_dir(folder)
    (folder / "invoices.csv").write_text("invoice_id,account_id\nX,A\n")
    with pytest.raises(BadInput) as err:
        lg.import_dir(folder)
    assert {p.column for p in err.value.problems} >= {"type", "invoice_date", "currency"}
    assert all(p.reason == "required column is missing" for p in err.value.problems)
    shutil.rmtree(folder)
    folder.mkdir()
    with pytest.raises(BadInput, match="no invoices, invoice_items, payments or invoice_links file"):
        lg.import_dir(folder)
    lg.close()


def test_non_utf8_and_float_parquet_are_refused(tmp_path):
    lg = recon.Ledger.create(tmp_path / "l.duckdb")
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "invoices.csv").write_bytes(b"invoice_id,account_id\n\xff\xfe,A\n")
    with pytest.raises(BadInput, match="not UTF-8"):
        lg.import_dir(folder)
    (folder / "invoices.csv").unlink()
    pd.DataFrame({"payment_id": ["P"], "invoice_id": ["X"], "amount": [1.1], "paid_on": ["2026-10-01"]}
                 ).to_parquet(folder / "payments.parquet")
    with pytest.raises(BadInput, match="binary floating-point"):
        lg.import_dir(folder)
    lg.close()


def test_an_import_bounds_duckdbs_memory_and_sets_it_back(tmp_path, monkeypatch):
    """DuckDB works within IMPORT_DUCKDB_MEMORY during an import (a 10M-item export stays
    under 6 GB), and has its default again after, refused or not."""
    from recon import transfer
    from recon.db import Database

    seen = []
    real = Database.execute

    def execute(self, query, params=None):
        if "invoice_items" in query and "INSERT" in query:
            seen.append(self.scalar("SELECT current_setting('memory_limit')"))
        return real(self, query, params)

    lg = recon.Ledger.create(tmp_path / "books.duckdb")
    default = lg.db.scalar("SELECT current_setting('memory_limit')")
    monkeypatch.setattr(Database, "execute", execute)
    lg.import_dir(DATA)
    assert seen and set(seen) == {"1.8 GiB"} != {default}  # 2GB as DuckDB prints it
    assert lg.db.scalar("SELECT current_setting('memory_limit')") == default
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "invoices.csv").write_text("invoice_id,account_id,type,invoice_date,currency\nX,A,debit,2026-02-30,EUR\n")
    with pytest.raises(BadInput):
        lg.import_dir(bad)
    assert lg.db.scalar("SELECT current_setting('memory_limit')") == default
    assert transfer.IMPORT_DUCKDB_MEMORY == "2GB"
    lg.close()
