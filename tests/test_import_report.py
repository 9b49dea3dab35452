"""`recon import` reports as `recon apply` does: a rejects file, whole-file problems first,
problems grouped in the summary, the files and columns it found and left out; row
numbers as the file's own; free text as the export wrote it; net against quantity × price."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pandas as pd
import pytest

import recon
from recon.errors import BadInput
from tests.conftest import DATA
from tests.test_cli import fingerprint

INVOICES = """invoice_id,account_id,type,invoice_date,currency
X1,A,debit,2026-10-01,EUR
X2,A,debit,2026-10-02,EUR
"""
ITEMS = """item_id,invoice_id,line_no,description,quantity,unit_price,tax_rate,net_amount,tax_amount,amount
XI1,X1,1,Licence,1,100,0.24,100.00,24.00,124.00
XI2,X2,1,Support,3,33.333333,0,100.00,0,100.00
"""


def folder_with(tmp_path, **files) -> Path:
    folder = tmp_path / "export"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        path = folder / name.replace("__", ".")
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def ledger(tmp_path):
    path = tmp_path / "books.duckdb"
    recon.init(path)
    return path


# -- the rejects file -----------------------------------------------------------------------------


def test_a_refused_import_writes_its_rejects_beside_the_folder(recon_main, ledger, tmp_path):
    folder = folder_with(tmp_path, invoices__csv=INVOICES, invoice_items__csv=ITEMS.replace(",3,33.333333,", ",0,33.333333,"))
    before = fingerprint(ledger)
    code, out, err = recon_main("import", "--ledger", ledger, folder)
    assert code == 2
    rejects = tmp_path / "export.rejects.csv"                  # beside, not inside, the folder
    assert f"every problem is in {rejects}" in err
    rows = pd.read_csv(rejects, dtype=str, keep_default_na=False)
    assert list(rows.columns) == ["file", "row", "id", "column", "ledger_value", "value", "reason", "fix"]
    assert rows[["row", "column", "value", "reason"]].values.tolist() == [
        ["3", "quantity", "0", "must be greater than 0"]]
    assert rows.file[0].endswith("invoice_items.csv")
    assert fingerprint(ledger) == before


def test_rejects_goes_where_asked_and_a_folder_is_not_a_rejects_file(recon_main, ledger, tmp_path):
    folder = folder_with(tmp_path, invoices__csv=INVOICES.replace("EUR", "EUX"))
    code, out, err = recon_main("import", "--ledger", ledger, folder, "--rejects", tmp_path / "r" / "bad.csv")
    assert code == 2 and (tmp_path / "r" / "bad.csv").exists()
    code, out, err = recon_main("import", "--ledger", ledger, folder, "--rejects", tmp_path)
    assert code == 2 and "could not be written" in err and "Traceback" not in err, err


def test_apply_with_a_folder_for_rejects_is_bad_input(recon_main, sample_copy, tmp_path):
    corrections = tmp_path / "c.csv"
    corrections.write_text("debit_invoice_id,item_id,quantity\nINV-2026-000177,ITM-0000614,0\n")
    before = fingerprint(sample_copy)
    code, out, err = recon_main("apply", "--ledger", sample_copy, corrections, "--rejects", tmp_path)
    assert code == 2 and "the rejects file" in err and "could not be written" in err, err
    assert "value '0': must be greater than 0" in err and "Traceback" not in err
    assert fingerprint(sample_copy) == before


# -- whole-file problems first, and a summary grouped by column and reason -------------------------------------


def test_whole_file_problems_come_first_and_are_never_hidden(recon_main, ledger, tmp_path):
    # 40 bad item rows, and a payments file that is not UTF-8
    bad_items = ITEMS.splitlines()[0] + "\n" + "".join(
        f"B{n},X1,{n},Licence,0,100,0.24,100.00,24.00,124.00\n" for n in range(1, 41))
    folder = folder_with(tmp_path, invoices__csv=INVOICES, invoice_items__csv=bad_items,
                         payments__csv="payment_id,invoice_id,amount,paid_on\nP1,X1,10.00,2026-10-05,caf\xe9\n"
                         .encode("latin-1"))
    code, out, err = recon_main("import", "--ledger", ledger, folder)
    assert code == 2
    lines = err.splitlines()
    assert "not UTF-8" in lines[0] or "not UTF-8" in lines[1]              # first, whatever the count
    grouped = [line for line in lines if "column quantity: must be greater than 0" in line]
    assert grouped == [f"  {folder / 'invoice_items.csv'}, column quantity: must be greater than 0 — 40 row(s) "
                       "(2, 3, 4, …); the first, row 2, value '0' (use a positive number)"], err
    assert "… and" not in err and len(lines) <= 4


def test_a_few_problems_are_listed_one_by_one(make_ledger, tmp_path):
    folder = folder_with(tmp_path, invoices__csv=INVOICES.replace("2026-10-02", "2026-10-32"),
                         invoice_items__csv=ITEMS.replace("Licence,1,", "Licence,x,"))
    with recon.Ledger.create(tmp_path / "l.duckdb") as lg, pytest.raises(BadInput) as err:
        lg.import_dir(folder)
    text = err.value.summary()
    assert "invoices.csv, row 3, column invoice_date, value '2026-10-32': not a valid date" in text
    assert "invoice_items.csv, row 2, column quantity, value 'x': not a number" in text


# -- what the folder holds: files found and ignored, columns ignored ---------------------------------


def test_the_summary_lists_files_found_and_ignored_with_the_expected_names(recon_main, ledger, tmp_path):
    folder = folder_with(tmp_path, invoices__csv=INVOICES.replace("currency\n", "currency,notes\n")
                         .replace("EUR\n", "EUR,call back\n"),
                         invoice_item__csv=ITEMS, Payments__CSV="payment_id,invoice_id,amount,paid_on\n",
                         README__md="about this export\n")
    code, out, err = recon_main("import", "--ledger", ledger, folder)
    assert code == 0, err
    assert out.splitlines() == [
        "imported 2 invoices",
        "  files: invoices.csv",
        "  ignored files: Payments.CSV (expected payments.csv?), README.md, "
        "invoice_item.csv (expected invoice_items.csv?)",
        "  ignored columns of invoices.csv (not in the contract): notes",
    ]


def test_a_folder_without_any_table_file_names_what_it_holds(recon_main, ledger, tmp_path):
    folder = folder_with(tmp_path, Invoices__CSV=INVOICES)
    code, out, err = recon_main("import", "--ledger", ledger, folder)
    assert code == 2 and "it holds Invoices.CSV (expected invoices.csv?)" in err, err


def test_a_refused_init_leaves_no_ledger_behind(recon_main, tmp_path):
    folder = folder_with(tmp_path, invoices__csv=INVOICES.replace("EUR", "EUX"))
    code, out, err = recon_main("init", "--ledger", tmp_path / "new.duckdb", "--from", folder)
    assert code == 2 and "unknown currency" in err
    assert not (tmp_path / "new.duckdb").exists() and not (tmp_path / "new.duckdb.wal").exists()


def test_a_refused_init_of_an_existing_ledger_keeps_it(recon_main, ledger, tmp_path):
    folder = folder_with(tmp_path, invoices__csv=INVOICES.replace("EUR", "EUX"))
    before = fingerprint(ledger)
    assert recon_main("init", "--ledger", ledger, "--from", folder)[0] == 2
    assert fingerprint(ledger) == before


# -- rows: too few fields, blank lines ----------------------------------------------------------------


def test_a_row_with_too_few_fields_is_one_clear_problem(tmp_path):
    folder = folder_with(tmp_path, invoices__csv=INVOICES + "X3,A,debit\n")
    with recon.Ledger.create(tmp_path / "l.duckdb") as lg, pytest.raises(BadInput) as err:
        lg.import_dir(folder)
    assert [(p.row, p.reason) for p in err.value.problems] == [(4, "has 3 fields, the header 5")]


@pytest.mark.parametrize("blank", ["\n", "\r\n"])
def test_row_numbers_are_the_files_lines_after_a_blank_line(tmp_path, blank):
    text = INVOICES.replace("\n", blank).replace(f"EUR{blank}X2", f"EUR{blank}{blank}X2").replace("2026-10-02", "2026-02-30")
    folder = folder_with(tmp_path, invoices__csv=text.encode())
    with recon.Ledger.create(tmp_path / "l.duckdb") as lg, pytest.raises(BadInput) as err:
        lg.import_dir(folder)
    assert [(p.row, p.column) for p in err.value.problems] == [(4, "invoice_date")]   # line 4, not 3


def test_row_numbers_after_a_blank_line_of_a_quoted_csv_and_an_xlsx(tmp_path):
    quoted = 'invoice_id,account_id,type,invoice_date,currency\n"X1","A, B",debit,2026-10-01,EUR\n\n"X2",A,debit,2026-02-30,EUR\n'
    folder = folder_with(tmp_path, invoices__csv=quoted)
    with recon.Ledger.create(tmp_path / "l.duckdb") as lg, pytest.raises(BadInput) as err:
        lg.import_dir(folder)
    assert [(p.row, p.column) for p in err.value.problems] == [(4, "invoice_date")]

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["invoice_id", "account_id", "type", "invoice_date", "currency"])
    ws.append(["X1", "A", "debit", "2026-10-01", "EUR"])
    ws.append([])
    ws.append(["X2", "A", "debit", "2026-02-30", "EUR"])
    xl = tmp_path / "xl"
    xl.mkdir()
    wb.save(xl / "invoices.xlsx")
    with recon.Ledger.create(tmp_path / "l2.duckdb") as lg, pytest.raises(BadInput) as err:
        lg.import_dir(xl)
    assert [(p.row, p.column) for p in err.value.problems] == [(4, "invoice_date")]


# -- free text keeps its spaces, ids are trimmed -----------------------------------------------------


def test_spaces_around_free_text_survive_import_and_ids_are_trimmed(tmp_path):
    folder = folder_with(
        tmp_path,
        invoices__csv="invoice_id,account_id,type,invoice_date,currency,reason,memo\n"
                      " X1 , A ,debit,2026-10-01,EUR,  two spaces first,trailing space \n"
                      "X2,A,debit,2026-10-02,EUR,   ,\n",
        invoice_items__csv=ITEMS.replace(",Licence,", ",  Licence (annual) ,"))
    with recon.Ledger.create(tmp_path / "l.duckdb") as lg:
        lg.import_dir(folder)
        inv = lg.table("invoices").set_index("invoice_id")
        assert (inv.at["X1", "account_id"], inv.at["X1", "reason"], inv.at["X1", "memo"]) == \
            ("A", "  two spaces first", "trailing space ")
        assert pd.isna(inv.at["X2", "reason"])                              # only spaces: empty
        items = lg.table("invoice_items").set_index("item_id")
        assert items.at["XI1", "description"] == "  Licence (annual) "


# -- net amount against quantity × unit price -----------------------------------------------------------


@pytest.mark.parametrize("net, ok", [("100.00", True), ("100.01", True), ("99.99", True),
                                     ("100.02", False), ("99.98", False)])
def test_a_net_more_than_one_minor_unit_off_is_refused(tmp_path, net, ok):
    # 3 × 33.333333 = 99.999999 -> 100.00; one cent either way is rounding, two are not
    amount = D(net)
    folder = folder_with(tmp_path, invoices__csv=INVOICES,
                         invoice_items__csv=ITEMS.replace(",3,33.333333,0,100.00,0,100.00", f",3,33.333333,0,{net},0,{amount}"))
    with recon.Ledger.create(tmp_path / "l.duckdb") as lg:
        if ok:
            assert lg.import_dir(folder)["invoice_items"] == 2
            return
        with pytest.raises(BadInput) as err:
            lg.import_dir(folder, rejects=tmp_path / "r.csv")
    p = err.value.problems[0]
    assert (p.row, p.column, p.value, p.code) == (3, "net_amount", net, "net_differs")
    assert "rounded (100.000)" in p.reason and "net_may_differ = true" in p.fix


def test_the_mapping_may_allow_a_net_that_differs_and_the_summary_counts_them(recon_main, ledger, tmp_path):
    folder = folder_with(tmp_path, invoices__csv=INVOICES,
                         invoice_items__csv=ITEMS.replace(",3,33.333333,0,100.00,0,100.00", ",3,33.333333,0,90.00,0,90.00"))
    (tmp_path / "m.toml").write_text("net_may_differ = true  # a 10 % discount\n")
    code, out, err = recon_main("import", "--ledger", ledger, folder, "--mapping", tmp_path / "m.toml")
    assert code == 0, err
    assert "  1 item(s) with a net amount other than quantity × unit price (allowed by the mapping: net_may_differ)" in out


def test_the_bundled_sample_data_has_every_net_as_quantity_times_unit_price(sample_copy):
    with recon.Ledger(sample_copy, read_only=True) as lg:
        assert lg.db.scalar("SELECT count(*) FROM invoice_items JOIN invoices USING (invoice_id)"
                            " JOIN currencies USING (currency)"
                            " WHERE net_off(quantity, unit_price, net_amount, step_milli)") == 0
    assert (DATA / "invoice_items.csv").exists()


# -- --date of cancel and credit ----------------------------------------------------------------------


def test_a_refused_cancel_date_names_the_option(recon_main, sample_copy, tmp_path):
    cancellations = tmp_path / "c.csv"
    cancellations.write_text((DATA / "cancellations.csv").read_text().splitlines()[0] + "\n"
                             + (DATA / "cancellations.csv").read_text().splitlines()[1] + "\n")
    before = fingerprint(sample_copy)
    code, out, err = recon_main("cancel", "--ledger", sample_copy, cancellations, "--date", "1900-01-01")
    assert code == 2 and "--date, value '1900-01-01': the credit would be dated before debit invoice" in err, err
    assert "credit_date" not in err
    code, out, err = recon_main("cancel", "--ledger", sample_copy, cancellations, "--date", "2026-13-01")
    assert code == 2 and "--date '2026-13-01' is not a date" in err
    assert fingerprint(sample_copy) == before


@pytest.mark.parametrize("date", ["20261001", "2026-W40-1", "2026-10-01T00:00", "\u0662\u0660\u0662\u0666-10-01"])
def test_dates_of_options_are_yyyy_mm_dd_only(recon_main, sample_copy, date):
    code, out, err = recon_main("credit", "--ledger", sample_copy, "INV-2026-000177", "--date", date, "--dry-run")
    assert code == 2 and "is not a date; write it as YYYY-MM-DD" in err, err
