"""Credits asked as an amount or a percentage (recon/amounts.py): worked examples, the
mixing rules, refusals, preview = save, and a property test over random mixes."""

from __future__ import annotations

from decimal import ROUND_HALF_UP
from decimal import Decimal as D

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recon import Amount, Percent
from recon.errors import BadInput
from tests.conftest import assert_invariants, assert_same
from tests.conftest import ledger_state as state

DAY = "2026-10-15"
INVOICES = """
    invoice_id,account_id,type,status,invoice_date,due_date,currency
    INV-E,ACC-1,debit,unpaid,2026-10-01,2026-10-31,EUR
    INV-B,ACC-2,debit,unpaid,2026-10-01,2026-10-31,BHD
    INV-J,ACC-3,debit,unpaid,2026-10-01,2026-10-31,JPY
    INV-T,ACC-1,debit,unpaid,2026-10-01,2026-10-31,EUR
    INV-0,ACC-1,debit,unpaid,2026-10-01,2026-10-31,EUR
"""
ITEMS = """
    item_id,invoice_id,line_no,description,quantity,unit_price,tax_rate,net_amount,tax_amount,amount,period_start,period_end
    E1,INV-E,1,Licence,3,33.333333,0.24,100.00,24.00,124.00,2026-10-01,2026-10-31
    B1,INV-B,1,Hosting,1,123.457,0.24,123.457,29.630,153.087,,
    B2,INV-B,2,Support,2,40.1,0.24,80.200,19.248,99.448,,
    J1,INV-J,1,Hosting,1,12345,0.10,12345,1235,13580,,
    T1,INV-T,1,Storage,1,100,0.10,100.00,10.00,110.00,,
"""


@pytest.fixture
def lg(make_ledger):
    return make_ledger(INVOICES, ITEMS)


def lines(res):
    return [(r.credited_item_id, r.quantity, r.net_amount, r.tax_amount, r.amount)
            for r in res.items.itertuples()]


def credited(lg, item):
    q, n, t = lg.db.rows(
        "SELECT coalesce(sum(ci.quantity), 0), coalesce(sum(ci.net_amount), 0), coalesce(sum(ci.tax_amount), 0)"
        " FROM invoice_items ci JOIN invoices c USING (invoice_id)"
        " WHERE c.voided_on IS NULL AND ci.credited_item_id = $i", {"i": item})[0]
    return q, n, t


# -- SLA credits: a percentage of the original net ------------------------------------------------


def test_sla_credit_15_percent_on_a_3_decimal_currency(lg):
    res = lg.credit("INV-B", percent="15", reason="SLA credit", date=DAY)
    assert lines(res) == [
        # 15 % of 123.457 = 18.51855 -> 18.519; tax 29.630 × 18.519 / 123.457 = 4.44459 -> 4.445;
        # quantity 1 × 18.519 / 123.457 = 0.1500038 -> 0.150004
        ("B1", D("0.150004"), D("18.519"), D("4.445"), D("22.964")),
        # 15 % of 80.200 = 12.030; tax 19.248 × 0.15 = 2.8872 -> 2.887; 2 × 0.15 = 0.3
        ("B2", D("0.300000"), D("12.030"), D("2.887"), D("14.917")),
    ]
    assert res.credits.iloc[0].origin == "manual"
    assert lg.invoice("INV-B").iloc[0].unpaid_amount == D("214.654")   # 252.535 − 37.881
    assert_invariants(lg)


def test_sla_credit_15_percent_on_a_0_decimal_currency(lg):
    res = lg.credit("INV-J", {"J1": Percent("15")}, date=DAY)
    # 15 % of 12345 = 1851.75 -> 1852; tax 1235 × 1852 / 12345 = 185.275 -> 185
    assert lines(res) == [("J1", D("0.150020"), D("1852"), D("185"), D("2037"))]
    assert_invariants(lg)


def test_percent_is_of_the_original_net_and_capped_at_what_is_left(lg):
    lg.credit("INV-E", {"E1": "2"}, date=DAY)                  # 66.67 + 16.00
    res = lg.credit("INV-E", {"E1": Percent("40")}, date=DAY)   # 40 % of 100.00 = 40.00 > 33.33 left
    assert lines(res) == [("E1", D("1.000000"), D("33.33"), D("8.00"), D("41.33"))]
    assert credited(lg, "E1") == (D("3"), D("100.00"), D("24.00"))
    assert lg.invoice("INV-E").iloc[0].status == "paid"


# -- amounts ---------------------------------------------------------------------------------------


def test_amount_then_quantity_then_the_rest_sum_to_the_item(lg):
    # E1: 3 licences, net 100.00, tax 24.00
    a = lg.credit("INV-E", {"E1": Amount("20.00")}, date=DAY)
    # net 20.00 exactly; tax round(24.00 × 20.00 / 100.00) = 4.80; quantity 3 × 20/100 = 0.6
    assert lines(a) == [("E1", D("0.600000"), D("20.00"), D("4.80"), D("24.80"))]
    q = lg.credit("INV-E", {"E1": "1"}, date=DAY)
    # c = 0.6 + 1 = 1.6: net round(100.00 × 1.6 / 3) − 20.00 = 53.33 − 20.00 = 33.33,
    # tax round(24.00 × 1.6 / 3) − 4.80 = 12.80 − 4.80 = 8.00
    assert lines(q) == [("E1", D("1.000000"), D("33.33"), D("8.00"), D("41.33"))]
    left = lg.creditable_items("INV-E").iloc[0]
    assert (left.creditable_quantity, left.creditable_net, left.creditable_tax) == (D("1.4"), D("46.67"), D("11.20"))
    rest = lg.credit("INV-E", ["E1"], date=DAY)
    assert lines(rest) == [("E1", D("1.400000"), D("46.67"), D("11.20"), D("57.87"))]
    assert credited(lg, "E1") == (D("3"), D("100.00"), D("24.00"))
    assert_invariants(lg)


def test_amount_equal_to_the_net_left_completes_the_quantity(lg):
    lg.credit("INV-E", {"E1": "1"}, date=DAY)                   # 33.33, c = 1
    res = lg.credit("INV-E", {"E1": Amount("66.67")}, date=DAY)  # all the net left
    assert lines(res) == [("E1", D("2.000000"), D("66.67"), D("16.00"), D("82.67"))]
    assert credited(lg, "E1") == (D("3"), D("100.00"), D("24.00"))


def test_gross_amount_split_by_the_half_up_rule(lg):
    # T1: net 100.00, tax 10.00 (10 %). Gross 11.06 = net 10.05 + tax 1.01, because the
    # tax of net 10.05 is 10.00 × 10.05 / 100.00 = 1.005, half-up 1.01 (half-even: 1.00)
    res = lg.credit("INV-T", {"T1": Amount("11.06", gross=True)}, date=DAY, dry_run=True)
    assert lines(res) == [("T1", D("0.100500"), D("10.05"), D("1.01"), D("11.06"))]
    # 11.05 has no split: net 10.04 costs 11.04 (tax 1.004 -> 1.00), net 10.05 costs 11.06
    with pytest.raises(BadInput, match="the nearest that do are 11.04 and 11.06"):
        lg.credit("INV-T", {"T1": Amount("11.05", gross=True)}, date=DAY)
    # the same with --gross for every amount
    res = lg.credit("INV-E", {"E1": Amount("1.29")}, gross=True, date=DAY)
    # E1 at 24 %: net 1.04, tax 24.00 × 1.04 / 100.00 = 0.2496 -> 0.25
    assert lines(res) == [("E1", D("0.031200"), D("1.04"), D("0.25"), D("1.29"))]


def test_gross_amount_of_everything_left_completes_the_item(lg):
    lg.credit("INV-E", {"E1": Amount("20.00")}, date=DAY)
    res = lg.credit("INV-E", {"E1": Amount("99.20", gross=True)}, date=DAY)
    assert lines(res) == [("E1", D("2.400000"), D("80.00"), D("19.20"), D("99.20"))]


@pytest.mark.parametrize("ask, message", [
    (Amount("100.01"), "amount exceeds the net amount 100.00 still creditable on item E1 (lower the amount to at most 100.00)"),
    (Amount("124.01", gross=True), "amount (tax included) exceeds the 124.00 still creditable on item E1"),
    (Amount("1.005"), "the amount has more decimals than EUR has (2) (round it to 2 decimals)"),
])
def test_amount_refusals_name_the_net_and_the_fix(lg, ask, message):
    before = state(lg)
    with pytest.raises(BadInput) as e:
        lg.credit("INV-E", {"E1": ask}, date=DAY)
    assert message in e.value.summary()
    assert_same(before, state(lg))


def test_amount_refusals_on_a_0_decimal_currency_and_bad_values(lg):
    with pytest.raises(BadInput, match="more decimals than JPY has"):
        lg.credit("INV-J", {"J1": Amount("0.5")}, date=DAY)
    with pytest.raises(BadInput, match="must be greater than 0"):
        lg.credit("INV-E", {"E1": Amount("0")})
    with pytest.raises(BadInput, match="must be greater than 0"):
        lg.credit("INV-E", {"E1": Amount("-5")})
    with pytest.raises(BadInput, match="binary float"):
        Amount(20.0)
    with pytest.raises(BadInput, match="at most 100"):
        lg.credit("INV-E", percent="101")
    with pytest.raises(BadInput, match="--gross applies to amounts"):
        lg.credit("INV-E", {"E1": "1"}, gross=True)
    with pytest.raises(BadInput, match="give the items without quantities"):
        lg.credit("INV-E", {"E1": "1"}, percent="10")


def test_nothing_left_and_a_percentage_too_small(lg):
    lg.credit("INV-E", date=DAY)
    with pytest.raises(BadInput, match="nothing left to credit"):
        lg.credit("INV-E", {"E1": Percent("10")}, date=DAY, allow_paid=True)
    with pytest.raises(BadInput, match="amount exceeds the net amount 0.00 still creditable"):
        lg.credit("INV-E", {"E1": Amount("1")}, date=DAY, allow_paid=True)
    with pytest.raises(BadInput, match="less than one minor unit"):
        lg.credit("INV-T", {"T1": Percent("0.001")}, date=DAY)   # 0.001 % of 100.00 = 0.001


def test_whole_invoice_credit_of_a_debit_without_items_is_refused(lg):
    before = state(lg)
    with pytest.raises(BadInput, match="has no items, so there is nothing to credit"):
        lg.credit("INV-0", date=DAY)
    with pytest.raises(BadInput, match="has no items"):
        lg.credit("INV-0", percent="10", date=DAY)
    assert_same(before, state(lg))
    assert lg.db.scalar("SELECT last_no FROM numbering") == 0   # no credit number spent


# -- preview = save -----------------------------------------------------------------------------


def test_preview_is_what_a_save_writes(lg):
    asks = {"E1": Amount("20.00")}
    preview = lg.credit("INV-E", asks, date=DAY, dry_run=True).preview()
    assert preview.to_dict("records") == [{
        "credit_invoice_id": "CN-2026-000001", "currency": "EUR", "net": D("20.00"), "tax": D("4.80"),
        "total": D("24.80"), "debit_invoice_id": "INV-E", "unpaid_before": D("124.00"),
        "unpaid_after": D("99.20"), "linked": D("24.80"), "available": D("0.00")}]
    saved = lg.credit("INV-E", asks, date=DAY)
    pd.testing.assert_frame_equal(saved.preview(), preview)
    assert lg.invoice("CN-2026-000001").iloc[0].total == D("24.80")


def test_preview_of_a_paid_debit_keeps_the_credit_available(make_ledger):
    lg = make_ledger(INVOICES.replace("INV-E,ACC-1,debit,unpaid", "INV-E,ACC-1,debit,paid"), ITEMS, """
        payment_id,invoice_id,amount,paid_on
        P1,INV-E,124.00,2026-10-10
    """)
    with pytest.raises(BadInput, match="already paid"):
        lg.credit("INV-E", {"E1": Percent("10")}, date=DAY)
    p = lg.credit("INV-E", {"E1": Percent("10")}, allow_paid=True, date=DAY, dry_run=True).preview()
    row = p.iloc[0]
    # 10 % of 100.00 and its tax, nothing linked to the paid debit: all stays available
    assert (row.net, row.tax, row.total, row.linked, row.available) == (
        D("10.00"), D("2.40"), D("12.40"), D("0.00"), D("12.40"))
    assert (row.unpaid_before, row.unpaid_after) == (D("0.00"), D("0.00"))


# -- cancellations mixed with amounts ---------------------------------------------------------


def test_second_cancellation_defaults_to_the_licences_still_in_service(lg):
    # E1: 3 licences at 100.00 / 3 for October (31 days)
    first = lg.cancel(pd.DataFrame({"item_id": ["E1"], "cancelled_on": ["2026-10-21"], "quantity": ["1"]}),
                      date="2026-10-21")
    # 1 licence × 11/31 days: equivalent 0.354839, net round(100.00 × 11 / 93) = 11.83
    assert first.items.iloc[0][["quantity", "net_amount"]].tolist() == [D("0.354839"), D("11.83")]
    second = lg.cancel(pd.DataFrame({"item_id": ["E1"], "cancelled_on": ["2026-10-25"]}), date="2026-10-25")
    # the 2 licences still running, 7 of 31 days: 2 × 7/31 × 100.00/3 = 15.05 (not 19.91,
    # which "all still creditable" = 3 − 0.354839 would give)
    it = second.items.iloc[0]
    assert (it.quantity, it.net_amount) == (D("0.451613"), D("15.05"))
    assert lg.db.scalar("SELECT cancelled_quantity FROM invoice_items WHERE item_id = $i",
                        {"i": it.item_id}) == D("2")
    assert_invariants(lg)


def test_an_sla_credit_leaves_every_licence_in_service(lg):
    lg.credit("INV-E", percent="50", date=DAY)        # net 50.00: money, not licences
    res = lg.cancel(pd.DataFrame({"item_id": ["E1"], "cancelled_on": ["2026-10-25"]}), date="2026-10-25")
    # all 3 licences cancelled for 7 of 31 days: 3 × 7/31 × 100.00/3 = 22.58
    # (cumulative: round(100.00 × (1.5 × 31 + 3 × 7) / 93) − 50.00 = 72.58 − 50.00)
    assert res.items.iloc[0].net_amount == D("22.58")
    assert_invariants(lg)


# -- the month-end report counts them like any credit ------------------------------------------


def test_report_counts_amount_and_percent_credits(lg, tmp_path):
    lg.credit("INV-E", {"E1": Amount("20.00")}, reason="Amended amount", date=DAY)
    lg.credit("INV-B", percent="15", reason="SLA credit", date=DAY)
    lg.apply(pd.DataFrame({"debit_invoice_id": ["INV-J"], "item_id": ["J1"], "percent": ["15"],
                           "reason": ["SLA credit"]}), today=pd.Timestamp(DAY).date())
    rep = lg.report("2026-10")
    by_reason = rep.credits_by_reason.set_index(["currency", "reason"])
    assert by_reason.loc[("EUR", "Amended amount"), "total"] == D("24.80")
    assert by_reason.loc[("BHD", "SLA credit"), "total"] == D("37.881")
    assert by_reason.loc[("JPY", "SLA credit"), "total"] == D("2037")
    by_origin = rep.credits_by_origin.set_index(["currency", "origin"])
    assert by_origin.loc[("JPY", "bulk"), "credits"] == 1
    assert by_origin.loc[("EUR", "manual"), "credits"] == 1
    assert set(rep.credits_by_account["account_id"]) == {"ACC-1", "ACC-2", "ACC-3"}


# -- property: any mix never over-credits and sums exactly once complete -------------------------

piece = st.one_of(
    st.tuples(st.just("quantity"), st.sampled_from(["0.1", "0.5", "1", "0.333333", "1.25"])),
    st.tuples(st.just("amount"), st.sampled_from(["0.01", "1", "7.77", "20", "33.34"])),
    st.tuples(st.just("gross"), st.sampled_from(["0.01", "1.29", "12.40", "24.81"])),
    st.tuples(st.just("percent"), st.sampled_from(["0.5", "10", "15", "33.333", "60"])),
    st.tuples(st.just("cancel"), st.sampled_from([None, "1", "0.5"])),
)
item = st.tuples(st.sampled_from(["1", "3", "7", "2.5"]),           # quantity
                 st.sampled_from(["0.01", "1.00", "100.00", "123.45", "9999.99"]),  # net
                 st.sampled_from(["0", "0.1", "0.24"]))             # tax rate


def _half_up(x: D, unit: str = "0.01") -> D:
    return x.quantize(D(unit), rounding=ROUND_HALF_UP)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=item, pieces=st.lists(piece, min_size=1, max_size=6), day=st.integers(1, 31))
def test_random_mixes_never_over_credit_and_sum_exactly(make_ledger, spec, pieces, day):
    qty, net, rate = (D(v) for v in spec)
    tax = _half_up(net * rate)
    price = (net / qty).quantize(D("0.000001"), rounding=ROUND_HALF_UP)  # its net, to a cent
    lg = make_ledger(
        "invoice_id,account_id,type,status,invoice_date,due_date,currency\n"
        "INV-1,ACC-1,debit,unpaid,2026-10-01,2026-10-31,EUR",
        "item_id,invoice_id,line_no,description,quantity,unit_price,tax_rate,net_amount,tax_amount,amount,"
        "period_start,period_end\n"
        f"I1,INV-1,1,x,{qty},{price},{rate},{net},{tax},{net + tax},2026-10-01,2026-10-31")
    for kind, value in pieces:
        try:
            if kind == "cancel":
                lg.cancel(pd.DataFrame({"item_id": ["I1"], "cancelled_on": [f"2026-10-{day:02d}"],
                                        "quantity": [value]}), date="2026-10-31")
            else:
                ask = {"quantity": value, "amount": Amount(value), "gross": Amount(value, gross=True),
                       "percent": Percent(value)}[kind]
                lg.credit("INV-1", {"I1": ask}, date=DAY, allow_paid=True)
        except BadInput:
            pass   # refused (over-credit, nothing left, no split...): nothing changed
        q, n, t = credited(lg, "I1")
        assert q <= qty and n <= net and t <= tax
        assert_invariants(lg)
    left = lg.creditable_items("INV-1").iloc[0]
    if left.creditable_quantity > 0:
        lg.credit("INV-1", ["I1"], date=DAY, allow_paid=True)   # the rest
    assert credited(lg, "I1") == (qty, net, tax)
    assert_invariants(lg)
