"""Hostile files for `recon apply` and `recon cancel`: refused with a clear message
naming row, column and value; the ledger is unchanged. Corpus: tests/hostile/{apply,cancel}/."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_cli import fingerprint

HOSTILE = Path(__file__).parent / "hostile"

APPLY = {
    "wrong_columns.csv": "column debit_invoice_id: required column is missing",
    "empty.csv": "the file is empty",
    "header_only.csv": "has no correction rows",
    "unknown_invoice.csv": "row 2, column debit_invoice_id, value 'INV-2099-000001': unknown debit invoice",
    "item_on_other_invoice.csv": "value 'ITM-0000031': the item belongs to invoice INV-2026-000009",
    "over_credit_across_rows.csv": "row 3, column quantity, value '999999': quantity exceeds the 1923.789",
    "zero_quantity.csv": "value '0': must be greater than 0",
    "negative_quantity.csv": "value '-1': must be greater than 0",
    "nan_quantity.csv": "value 'NaN': not a number",
    "inf_quantity.csv": "value 'inf': not a number",
    "seven_decimals.csv": "value '1.0000001': more than 6 decimals",
    "impossible_date.csv": "value '2026-02-30': not a valid date",
    "text_quantity.csv": "value 'one': not a number",
    "duplicate_rows.csv": "credit item ITM-0000005 in the same credit (put their sum on one row, or pass --sum-repeats)",
    "mixed_currency_group.csv": "mixes currencies",
    "formula_quantity.csv": "value '=1+1': not a number",
    "paid_invoice.csv": "already paid",
    "latin1.csv": "not UTF-8",
    "underscore_quantity.csv": "value '1_0': not a number",
    "arabic_indic_quantity.csv": "value '١': not a number",
    "quantity_at_ten_to_the_twelve.csv": "value '1000000000000': too large: the ledger holds quantities",
}
CANCEL = {
    "unknown_item.csv": "value 'ITM-9999999': unknown item",
    "no_billing_period.csv": "has no billing period",
    "cancelled_outside_period.csv": "value '2026-09-15': cancelled_on must lie within the item's billing period",
    "quantity_above_creditable.csv": "value '9': quantity exceeds the 8 still in service",
    "malformed_date.csv": "value '07/08/2026': not a valid date",
    "missing_column.csv": "column cancelled_on: required column is missing",
    "negative_quantity.csv": "value '-1': must be greater than 0",
    "underscore_quantity.csv": "value '1_0': not a number",
}


def test_the_corpus_and_the_expectations_match():
    assert sorted(p.name for p in (HOSTILE / "apply").iterdir()) == sorted(APPLY)
    assert sorted(p.name for p in (HOSTILE / "cancel").iterdir()) == sorted(CANCEL)
    n_import = len(list((HOSTILE / "import").iterdir()))
    assert n_import + len(APPLY) + len(CANCEL) >= 30


@pytest.mark.parametrize("command, name", [("apply", n) for n in sorted(APPLY)]
                         + [("cancel", n) for n in sorted(CANCEL)])
def test_hostile_file_is_refused(recon_main, sample_copy, tmp_path, command, name):
    expect = (APPLY if command == "apply" else CANCEL)[name]
    before = fingerprint(sample_copy)
    extra = ["--rejects", tmp_path / "rejects.csv"] if command == "apply" else []
    code, out, err = recon_main(command, "--ledger", sample_copy, HOSTILE / command / name, *extra)
    assert code == 2, (out, err)
    assert expect in err, err
    assert "Traceback" not in err
    assert fingerprint(sample_copy) == before
