"""Hostile files for `recon import`: each is refused with a clear line; nothing changes.

The corpus lives in tests/hostile/import/<case>/ (one folder per case, the files an
export would hold, and a mapping.toml where the case is about a mapping). Expected words
of the message are listed here beside each case.
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
    "huge_number": "too large: the ledger holds quantities and unit prices below 10^12",
    "too_many_decimals": "value '124.001': EUR has 2 decimals",
    "zero_quantity": "must be greater than 0",
    "negative_quantity": "must be greater than 0",
    "impossible_date": "value '2026-02-30': not a valid date",
    "text_in_number": "value 'one hundred': not an amount",
    "formula_in_amount": "value '=SUM(A1:A9)': not an amount",
    "formula_currency": "value '=1+1': unknown currency",
    "very_long_string": "text longer than 2000 characters",
    "latin1_bytes": "not UTF-8",
    "ragged_row": "row 3: has 9 fields, the header 7",
    "mixed_currency_link": "differ in account or currency",
    "line_number_twice": "row 3, column line_no, value '1': line number used twice on invoice H1",
    "credit_beyond_its_item": "row 3, column quantity, value '2': credits of item exceed the item (2.000000 of 1.000000)",
    "amount_not_net_plus_tax": "amount is not net_amount + tax_amount",
    "total_not_sum_of_items": "stated total differs from the sum of its items",
    "payment_unknown_invoice": "value 'GHOST': unknown invoice",
    "bad_type": "value 'refund': not an allowed value",
    # an invoice the ledger holds, with another account: a conflict, never an overwrite
    "already_in_ledger": "conflicts with the ledger, where INV-2026-000001 has account id 'ACC-1006'",
    # values the ledger cannot hold
    "quantity_at_ten_to_the_twelve": "value '1000000000000': too large: the ledger holds quantities",
    "tax_rate_too_large": "value '1000': too large for a rate",
    "line_no_too_large": "value '3000000000': too large: at most 9 digits",
    "total_beyond_the_ledger": "the invoice's items add up to 1800000000000000.000, more than the ledger holds",
    # numbers read strictly, decimals worded with the currency
    "arabic_indic_digits": "value '١٠': not a number",
    "underscore_in_number": "value '1_0': not a number",
    "fourth_decimal_on_gbp": "value '12.5001': GBP has 2 decimals",
    "net_not_quantity_times_price": "value '90.00': net amount is more than one minor unit away from quantity × unit price",
    "too_few_fields": "row 2: has 8 fields, the header 10",
    # mappings (mapping.toml in the case's folder)
    "thousands_is_the_decimal_mark": "thousands '.' is also the decimal mark",
    "thousands_not_in_groups_of_three": "value '1,5': does not fit the mapping's number format",
    "dot_in_a_decimal_comma_file": "value '136.40': does not fit the mapping's number format (decimal ',', no '.')",
    "mapping_delimiter_of_two_characters": "delimiter ';;': give one character",
    "mapping_thousands_a_number": "thousands = 5: give it as text in quotes",
    "mapping_columns_a_number": "columns must be a table",
    "mapping_name_already_in_the_file": "the mapping renames column 'description' to 'invoice_id', but the file has",
}


def test_the_corpus_and_the_expectations_match():
    assert sorted(p.name for p in CORPUS.iterdir()) == sorted(EXPECT)


@pytest.mark.parametrize("case", sorted(EXPECT))
def test_hostile_import_is_refused(recon_main, sample_copy, tmp_path, case):
    before = fingerprint(sample_copy)
    rejects = tmp_path / "import.rejects.csv"
    mapping = CORPUS / case / "mapping.toml"
    extra = ["--mapping", mapping] if mapping.exists() else []
    code, out, err = recon_main("import", "--ledger", sample_copy, CORPUS / case, "--rejects", rejects, *extra)
    assert code == 2, (out, err)
    assert EXPECT[case] in err, err
    assert "Traceback" not in err
    assert fingerprint(sample_copy) == before
    if not mapping.exists() or "mapping file" not in err:  # a bad mapping is refused before any file is read
        assert rejects.exists() and f"every problem is in {rejects}" in err


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
