"""Hostile files for `recon import`: each is refused with a clear line; nothing changes.

The corpus lives in tests/hostile/import/<case>/ (one folder per case, the files an
export would hold). Expected words of the message are listed here beside each case.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import recon
from tests.test_cli import fingerprint

CORPUS = Path(__file__).parent / "hostile" / "import"

EXPECT = {
    "wrong_columns": "required column is missing",
    "missing_column": "column currency",
    "empty_file": "the file is empty",
    "header_only": "unknown invoice",
    "utf16_bom": "not UTF-8",
    "semicolon_decimal_comma": "value '124,00': not an amount",
    "duplicated_ids": "duplicate value",
    "unknown_invoice_on_item": "value 'NOPE': unknown invoice",
    "nan_amount": "value 'NaN': not an amount",
    "inf_amount": "value 'inf': not an amount",
    "huge_number": "not a number with at most 6 decimals",
    "too_many_decimals": "more decimals than the currency has (2)",
    "zero_quantity": "must be greater than 0",
    "negative_quantity": "must be greater than 0",
    "impossible_date": "value '2026-02-30': not a valid date",
    "text_in_number": "value 'one hundred': not an amount",
    "formula_in_amount": "value '=SUM(A1:A9)': not an amount",
    "formula_currency": "value '=1+1': unknown currency",
    "very_long_string": "text longer than 2000 characters",
    "latin1_bytes": "not UTF-8",
    "ragged_row": "cannot read it as CSV",
    "mixed_currency_link": "differ in account or currency",
    "amount_not_net_plus_tax": "amount is not net_amount + tax_amount",
    "total_not_sum_of_items": "stated total differs from the sum of its items",
    "payment_unknown_invoice": "value 'GHOST': unknown invoice",
    "bad_type": "value 'refund': not an allowed value",
    # an invoice the ledger holds, with another account: a conflict, never an overwrite
    "already_in_ledger": "conflicts with the ledger, where INV-2026-000001 has account id 'ACC-1006'",
}


def test_the_corpus_and_the_expectations_match():
    assert sorted(p.name for p in CORPUS.iterdir()) == sorted(EXPECT)


@pytest.mark.parametrize("case", sorted(EXPECT))
def test_hostile_import_is_refused(recon_main, sample_copy, case, tmp_path):
    before = fingerprint(sample_copy)
    code, out, err = recon_main("import", "--ledger", sample_copy, CORPUS / case, "--rejects",
                                tmp_path / "rejects.csv")
    assert code == 2, (out, err)
    assert EXPECT[case] in err, err
    assert "Traceback" not in err
    assert fingerprint(sample_copy) == before


def test_ids_with_quotes_and_formula_text_are_just_data(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "invoices.csv").write_text(
        "invoice_id,account_id,type,invoice_date,currency\n"
        "\"O'Brien; DROP TABLE invoices; --\",\"=HYPERLINK(\"\"x\"\")\",debit,2026-10-01,EUR\n")
    (folder / "invoice_items.csv").write_text(
        "item_id,invoice_id,line_no,description,quantity,unit_price,tax_rate,net_amount,tax_amount,amount\n"
        "I'1,\"O'Brien; DROP TABLE invoices; --\",1,+cmd|' /C calc'!A0,1,1,0,1.00,0.00,1.00\n")
    with recon.Ledger.create(tmp_path / "l.duckdb") as lg:
        lg.import_dir(folder)
        inv_id = "O'Brien; DROP TABLE invoices; --"
        assert lg.invoice(inv_id).iloc[0].account_id == '=HYPERLINK("x")'
        res = lg.credit(inv_id, {"I'1": "1"}, reason="'; DELETE FROM payments; --", date="2026-10-02")
        assert lg.invoice(inv_id).iloc[0].status == "paid"
        assert lg.show(res.credit_invoice_id)["items"].description[0] == "+cmd|' /C calc'!A0"
        lg.export(tmp_path / "x", "xlsx")
    from openpyxl import load_workbook

    ws = load_workbook(tmp_path / "x" / "invoices.xlsx").active
    cells = [c.value for row in ws.iter_rows() for c in row]
    assert '=HYPERLINK("x")' in cells  # stored as text, not a formula
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
