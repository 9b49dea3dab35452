"""One money formatter for every screen: worked examples and the column-wise version
agreeing with the one-amount version on random amounts."""

from __future__ import annotations

from decimal import Decimal as D

import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from recon.formats import label, money, money_column, quantity


def test_money_as_a_person_reads_it():
    assert money(D("29842.7"), "EUR") == "29,842.70"
    assert money(D("-56715.3"), "EUR", code=True) == "-56,715.30 EUR"
    assert money(D("2306018"), "JPY") == "2,306,018"
    assert money(D("1.0005"), "BHD") == "1.001"            # half-up at the minor unit
    assert money(D("0.125"), "EUR") == "0.13"              # never half-to-even
    assert money(D("-0.00"), "EUR") == money(D("-0.004"), "EUR") == "0.00"   # no "-0.00"
    assert money(None, "EUR") == "" and money(D("12"), "XYZ") == "12.000"   # unknown: 3 decimals


def test_quantities_and_labels():
    assert quantity(D("2.500000")) == "2.5" and quantity(D("0E-6")) == "0"
    assert quantity(D("12212.28"), grouped=True) == "12,212.28" and quantity(D("12212.28")) == "12212.28"
    assert label("opening_unpaid") == "Opening unpaid" and label("credit_invoice_id") == "Credit invoice"
    assert label("unpaid_at_period_end") == "Unpaid at period end" and label("gl_difference") == "GL difference"


amounts = st.decimals(min_value=D("-999999999999999.999"), max_value=D("999999999999999.999"),
                      places=3, allow_nan=False, allow_infinity=False)


@given(st.lists(st.tuples(amounts | st.none(), st.sampled_from(["EUR", "JPY", "BHD", "USD", None])),
                min_size=1, max_size=40))
def test_column_wise_formatting_agrees_with_one_at_a_time(rows):
    values = pa.array([v for v, _ in rows], type=pa.decimal128(18, 3))
    currencies = pa.array([c for _, c in rows], type=pa.string())
    got = money_column(values, currencies).to_pylist()
    want = [None if v is None else money(v, c if c else "XYZ") for v, c in rows]
    assert got == want
