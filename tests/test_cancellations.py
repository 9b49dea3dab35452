"""Cancellation credits (SPEC §3): worked examples with the numbers beside them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pandas as pd
import pytest

from recon.errors import BadInput
from recon.transfer import import_frames
from tests.conftest import _frame, assert_invariants, assert_same
from tests.conftest import ledger_state as state

INVOICES = """
invoice_id,account_id,type,invoice_date,currency
INV-1,ACC-1,debit,2026-10-01,EUR
INV-2,ACC-1,debit,2026-10-05,EUR
INV-3,ACC-1,debit,2026-10-07,EUR
"""
ITEMS = """
item_id,invoice_id,line_no,description,quantity,unit_price,tax_rate,net_amount,tax_amount,amount,period_start,period_end
IT-1,INV-1,1,Licence,10,5,0.24,50.00,12.00,62.00,2026-10-01,2026-10-31
IT-0,INV-1,2,Set-up,1,20,0.24,20.00,4.80,24.80,,
IT-2,INV-2,1,Support,1,10,0.24,10.00,2.40,12.40,2026-10-01,2026-10-31
IT-3,INV-3,1,Storage,1,100,0.24,100.00,24.00,124.00,2026-10-01,2026-10-31
"""
DAY = "2026-11-26"


def rows(text: str) -> pd.DataFrame:
    """A cancellation file as an analyst's DataFrame (text cells)."""
    lines = [ln.strip() for ln in text.strip().splitlines()]
    head = lines[0].split(",")
    return pd.DataFrame([dict(zip(head, ln.split(","), strict=True)) for ln in lines[1:]],
                        dtype="string")


def head(lg, invoice_id):
    return lg.invoice(invoice_id).iloc[0]


@pytest.fixture
def lg(make_ledger):
    return make_ledger(INVOICES, ITEMS)


def test_worked_example_11_of_31_days(lg):
    # net 50.00, quantity 10, 2026-10-01..2026-10-31 (31 days), cancelled on 2026-10-21:
    # unused 2026-10-21..31 = 11 days -> net 50.00 × 11/31 = 17.741… -> 17.74,
    # tax 12.00 × 11/31 = 4.258… -> 4.26 (the item's 24 %), amount 22.00
    res = lg.cancel(rows("item_id,cancelled_on\nIT-1,2026-10-21"), date=DAY)
    it = res.items.iloc[0]
    assert (it.net_amount, it.tax_amount, it.amount) == (D("17.74"), D("4.26"), D("22.00"))
    assert it.quantity == D("3.548387")  # 10 × 11/31, the equivalent quantity (module docstring)
    assert (it.cancelled_on.isoformat(), it.period_start.isoformat(), it.period_end.isoformat()) == (
        "2026-10-21", "2026-10-21", "2026-10-31")
    c = res.credits.iloc[0]
    assert (c.origin, c.reason, c.total, c.available) == ("cancellation", "Cancellation", D("22.00"), D("0"))
    # INV-1 was unpaid: the credit links to it; 86.80 - 22.00 = 64.80 left
    assert res.links[["debit_invoice_id", "amount"]].values.tolist() == [["INV-1", D("22.00")]]
    assert head(lg, "INV-1").unpaid_amount == D("64.80")
    assert_invariants(lg)


def test_partial_quantity_and_later_manual_credits_stay_exact(lg):
    # 4 of 10 licences from 2026-10-21: 50.00 × 4/10 × 11/31 = 7.096… -> 7.10,
    # tax 12.00 × 4/10 × 11/31 = 1.703… -> 1.70; quantity 4 × 11/31 = 1.419355
    res = lg.cancel(rows("item_id,cancelled_on,quantity\nIT-1,2026-10-21,4"), date=DAY)
    it = res.items.iloc[0]
    assert (it.quantity, it.net_amount, it.tax_amount) == (D("1.419355"), D("7.10"), D("1.70"))
    # a manual credit of 2 more: round(50 × 3.419355/10) = 17.10 - 7.10 = 10.00,
    # tax round(12 × 0.3419355) = 4.10 - 1.70 = 2.40
    p = lg.credit("INV-1", {"IT-1": "2"}, date=DAY).items.iloc[0]
    assert (p.net_amount, p.tax_amount) == (D("10.00"), D("2.40"))
    # the rest (10 - 3.419355 = 6.580645) brings the item to exactly 50.00 / 12.00
    lg.credit("INV-1", {"IT-1": None}, date=DAY, allow_paid=True)
    got = lg.creditable_items("INV-1").set_index("item_id").loc["IT-1"]
    assert (got.credited_quantity, got.creditable_net, got.creditable_tax) == (D("10"), D("0"), D("0"))
    assert_invariants(lg)


def test_the_rest_after_a_cancellation_completes_the_item(lg):
    lg.cancel(rows("item_id,cancelled_on\nIT-1,2026-10-21"), date=DAY)
    # 10 - 3.548387 = 6.451613 left; net 50.00 - 17.74 = 32.26, tax 12.00 - 4.26 = 7.74
    p = lg.credit("INV-1", {"IT-1": None}, date=DAY).items.iloc[0]
    assert (p.quantity, p.net_amount, p.tax_amount) == (D("6.451613"), D("32.26"), D("7.74"))
    assert_invariants(lg)


def test_jpy_rounds_to_whole_yen(make_ledger):
    lg = make_ledger(
        "invoice_id,account_id,type,invoice_date,currency\nJ,A,debit,2026-11-01,JPY",
        "item_id,invoice_id,line_no,description,quantity,unit_price,tax_rate,net_amount,tax_amount,amount,"
        "period_start,period_end\nI,J,1,Plan,1,10000,0.1,10000,1000,11000,2026-11-01,2026-11-30")
    # 2026-11-20..30 = 11 of 30 days: 10000 × 11/30 = 3666.7 -> 3667; 1000 × 11/30 = 366.7 -> 367
    it = lg.cancel(rows("item_id,cancelled_on\nI,2026-11-20"), date=DAY).items.iloc[0]
    assert (it.net_amount, it.tax_amount, it.amount) == (D("3667"), D("367"), D("4034"))
    assert head(lg, "J").unpaid_amount == D("6966")  # 11000 - 4034
    assert_invariants(lg)


def test_three_decimal_currency(make_ledger):
    lg = make_ledger(
        "invoice_id,account_id,type,invoice_date,currency\nB,A,debit,2026-10-01,BHD",
        "item_id,invoice_id,line_no,description,quantity,unit_price,tax_rate,net_amount,tax_amount,amount,"
        "period_start,period_end\nI,B,1,Plan,3,4.115,0.1,12.345,1.235,13.580,2026-10-01,2026-10-31")
    # 2 of 3 from 2026-10-11 (21 of 31 days): 12.345 × 2/3 × 21/31 = 5.5751… -> 5.575,
    # tax 1.235 × 2/3 × 21/31 = 0.55774… -> 0.558; quantity 2 × 21/31 = 1.354839
    it = lg.cancel(rows("item_id,cancelled_on,quantity\nI,2026-10-11,2"), date=DAY).items.iloc[0]
    assert (it.quantity, it.net_amount, it.tax_amount) == (D("1.354839"), D("5.575"), D("0.558"))
    assert_invariants(lg)


def test_cancelled_on_the_first_day_credits_everything(lg):
    res = lg.cancel(rows("item_id,cancelled_on\nIT-2,2026-10-01"), date=DAY)
    it = res.items.iloc[0]
    assert (it.quantity, it.amount) == (D("1"), D("12.40"))
    assert head(lg, "INV-2").status == "paid"
    assert_invariants(lg)


def test_rerun_changes_nothing_and_says_so(lg, tmp_path):
    f = tmp_path / "cancellations.csv"
    f.write_text("item_id,cancelled_on\nIT-1,2026-10-21\nIT-3,2026-10-30\n")
    first = lg.cancel(f, date=DAY)
    assert len(first.credits) == 2 and first.skipped.empty
    before = state(lg)
    again = lg.cancel(f, date=DAY)
    assert again.credits.empty and again.items.empty
    assert again.skipped[["row", "item_id"]].values.tolist() == [[2, "IT-1"], [3, "IT-3"]]
    assert_same(before, state(lg))
    # a new date for the same item is a new cancellation, of what is still in service:
    # all 10 licences of IT-1 are cancelled already
    with pytest.raises(BadInput, match="exceeds the 0 still in service"):
        lg.cancel(rows("item_id,cancelled_on,quantity\nIT-1,2026-10-25,1"), date=DAY)
    with pytest.raises(BadInput, match="nothing of the item is still in service"):
        lg.cancel(rows("item_id,cancelled_on\nIT-1,2026-10-25"), date=DAY)
    assert_invariants(lg)


def test_void_allows_the_cancellation_again(lg):
    res = lg.cancel(rows("item_id,cancelled_on\nIT-1,2026-10-21"), date=DAY)
    lg.void(res.credit_invoice_ids[0], date=dt.date(2026, 11, 26))
    again = lg.cancel(rows("item_id,cancelled_on\nIT-1,2026-10-21"), date=DAY)
    assert again.items.iloc[0].net_amount == D("17.74")
    assert_invariants(lg)


def test_dry_run_saves_nothing(lg):
    before = state(lg)
    res = lg.cancel(rows("item_id,cancelled_on\nIT-1,2026-10-21"), date=DAY, dry_run=True)
    assert res.dry_run and res.items.iloc[0].net_amount == D("17.74")
    assert_same(before, state(lg))


def test_paid_debit_links_to_the_oldest_unpaid_debit(make_ledger):
    lg = make_ledger(INVOICES, ITEMS, payments="payment_id,invoice_id,amount,paid_on\nP1,INV-1,86.80,2026-10-02")
    res = lg.cancel(rows("item_id,cancelled_on\nIT-1,2026-10-21"), date=DAY)
    # INV-1 is paid: the 22.00 go to ACC-1's oldest unpaid EUR debit, INV-2 (12.40 unpaid);
    # only 12.40 fit, the 9.60 left stay available on the credit (not spread to INV-3)
    assert res.links[["debit_invoice_id", "amount"]].values.tolist() == [["INV-2", D("12.40")]]
    c = head(lg, res.credit_invoice_ids[0])
    assert (c.unpaid_amount, c.status) == (D("9.60"), "unpaid")
    assert (head(lg, "INV-2").status, head(lg, "INV-3").unpaid_amount) == ("paid", D("124.00"))
    assert_invariants(lg)


def test_no_unpaid_debit_leaves_the_credit_available(make_ledger):
    lg = make_ledger(
        "invoice_id,account_id,type,invoice_date,currency\nINV-1,ACC-1,debit,2026-10-01,EUR",
        "item_id,invoice_id,line_no,description,quantity,unit_price,tax_rate,net_amount,tax_amount,amount,"
        "period_start,period_end\nIT-1,INV-1,1,Licence,10,5,0.24,50.00,12.00,62.00,2026-10-01,2026-10-31",
        payments="payment_id,invoice_id,amount,paid_on\nP1,INV-1,62.00,2026-10-02")
    res = lg.cancel(rows("item_id,cancelled_on\nIT-1,2026-10-21"), date=DAY)
    assert res.links.empty
    c = head(lg, res.credit_invoice_ids[0])
    assert (c.unpaid_amount, c.status) == (D("22.00"), "unpaid")
    assert_invariants(lg)


def test_one_credit_per_debit_and_day_and_repeated_cancellations_in_date_order(lg):
    res = lg.cancel(rows("""
        item_id,cancelled_on,quantity
        IT-1,2026-10-25,2
        IT-1,2026-10-21,4
        IT-2,2026-10-21,
    """), date=DAY)
    # IT-1 on 10-21 (4 × 11/31 -> 7.10) first, then on 10-25 (2 × 7/31 of 50 on top:
    # round(50 × (1.419355 + 2 × 7/31)/10) = round(9.354838…) = 9.35 - 7.10 = 2.25)
    got = res.items.sort_values("cancelled_on")[["credited_item_id", "cancelled_on", "net_amount"]]
    assert [(r.credited_item_id, r.cancelled_on.isoformat(), r.net_amount) for r in got.itertuples()] == [
        ("IT-1", "2026-10-21", D("7.10")), ("IT-2", "2026-10-21", D("3.55")),
        ("IT-1", "2026-10-25", D("2.25"))]
    assert len(res.credits) == 3  # INV-1 on 10-21, INV-2 on 10-21, INV-1 on 10-25
    assert_invariants(lg)


@pytest.mark.parametrize(("text", "column", "value", "reason"), [
    ("item_id,cancelled_on\nNOPE,2026-10-21", "item_id", "NOPE", "unknown item"),
    ("item_id,cancelled_on\nIT-0,2026-10-21", "item_id", "IT-0", "has no billing period"),
    ("item_id,cancelled_on\nIT-1,2026-11-01", "cancelled_on", "2026-11-01",
     "must lie within the item's billing period 2026-10-01..2026-10-31"),
    ("item_id,cancelled_on\nIT-1,2026-09-30", "cancelled_on", "2026-09-30", "billing period"),
    ("item_id,cancelled_on,quantity\nIT-1,2026-10-21,11", "quantity", "11", "exceeds the 10 still in service"),
    ("item_id,cancelled_on\nIT-1,2026-10-32", "cancelled_on", "2026-10-32", "not a valid date"),
    ("item_id,cancelled_on\nIT-1,21.10.2026", "cancelled_on", "21.10.2026", "not a valid date"),
    ("item_id,cancelled_on,quantity\nIT-1,2026-10-21,0", "quantity", "0", "greater than 0"),
    ("item_id,cancelled_on\nIT-1,2026-10-21\nIT-1,2026-10-21", "cancelled_on", "2026-10-21",
     "cancels the same item on the same day as row 2"),
])
def test_bad_rows_are_refused_naming_row_column_value(lg, text, column, value, reason):
    before = state(lg)
    with pytest.raises(BadInput) as exc:
        lg.cancel(rows(text), date=DAY)
    p = exc.value.problems[-1]
    assert (p.column, str(p.value), p.row) == (column, value, len(text.splitlines()))
    assert reason in p.reason
    assert_same(before, state(lg))


def test_every_bad_row_is_reported_at_once(lg):
    with pytest.raises(BadInput) as exc:
        lg.cancel(rows("item_id,cancelled_on\nNOPE,2026-10-21\nIT-1,2026-10-21\nIT-0,2026-10-21"), date=DAY)
    assert [(p.row, p.column) for p in exc.value.problems] == [(2, "item_id"), (4, "item_id")]


def test_void_debit_is_refused(make_ledger):
    lg = make_ledger("invoice_id,account_id,type,invoice_date,currency,voided_on\n"
                     "INV-3,ACC-1,debit,2026-10-07,EUR,2026-10-08", ITEMS.split("IT-0")[0].split("IT-1")[0]
                     + "IT-3,INV-3,1,Storage,1,100,0.24,100.00,24.00,124.00,2026-10-01,2026-10-31")
    before = state(lg)
    with pytest.raises(BadInput, match="the item's invoice INV-3 is void") as exc:
        lg.cancel(rows("item_id,cancelled_on\nIT-3,2026-10-21"), date=DAY)
    assert (exc.value.problems[0].row, exc.value.problems[0].column) == (2, "item_id")
    assert_same(before, state(lg))


def test_a_whole_invoice_credit_still_sees_what_the_cancellation_took(lg):
    lg.cancel(rows("item_id,cancelled_on\nIT-1,2026-10-21"), date=DAY)
    res = lg.credit("INV-1", date=DAY)  # everything still creditable
    got = res.items.set_index("credited_item_id")
    assert (got.loc["IT-1", "net_amount"], got.loc["IT-0", "net_amount"]) == (D("32.26"), D("20.00"))
    assert head(lg, "INV-1").status == "paid"
    assert_invariants(lg)


# -- credits applied when new debit invoices arrive ------------------------------------------


def test_import_applies_available_credits_oldest_first(make_ledger):
    lg = make_ledger(
        "invoice_id,account_id,type,invoice_date,currency\nINV-1,ACC-1,debit,2026-10-01,EUR\n"
        "INV-9,ACC-2,debit,2026-10-01,EUR",
        "item_id,invoice_id,line_no,description,quantity,unit_price,tax_rate,net_amount,tax_amount,amount,"
        "period_start,period_end\nIT-1,INV-1,1,Licence,10,5,0.24,50.00,12.00,62.00,2026-10-01,2026-10-31\n"
        "IT-9,INV-9,1,Licence,1,5,0,5.00,0,5.00,,",
        payments="payment_id,invoice_id,amount,paid_on\nP1,INV-1,62.00,2026-10-02")
    a = lg.cancel(rows("item_id,cancelled_on\nIT-1,2026-10-21"), date="2026-11-01").credit_invoice_ids[0]
    b = lg.credit("INV-1", {"IT-1": "2"}, allow_paid=True, date="2026-11-02").credit_invoice_id
    # available: a 22.00 (older), b 12.40; new debits N1 30.00 (11-03), N2 10.00 (11-04)
    counts = import_frames(lg.db, {
        "invoices": _frame("invoice_id,account_id,type,invoice_date,currency\n"
                           "N1,ACC-1,debit,2026-11-03,EUR\nN2,ACC-1,debit,2026-11-04,EUR\n"
                           "N3,ACC-2,debit,2026-11-04,USD", "invoices"),
        "invoice_items": _frame(
            "item_id,invoice_id,line_no,description,quantity,unit_price,tax_rate,net_amount,tax_amount,amount\n"
            "N1-1,N1,1,Plan,1,30,0,30.00,0,30.00\nN2-1,N2,1,Plan,1,10,0,10.00,0,10.00\n"
            "N3-1,N3,1,Plan,1,10,0,10.00,0,10.00", "invoice_items"),
    }, date=dt.date(2026, 11, 5))
    # a fills N1 with 22.00; b gives N1 its last 8.00 and N2 4.40 of 10.00, all dated the
    # import's day 11-05 (an application is a fact of the day it happens, never backdated)
    got = lg.db.rows("SELECT credit_invoice_id, debit_invoice_id, amount, linked_on::VARCHAR FROM invoice_links"
                     " ORDER BY link_id")
    assert got == [(a, "N1", D("22.000"), "2026-11-05"), (b, "N1", D("8.000"), "2026-11-05"),
                   (b, "N2", D("4.400"), "2026-11-05")]
    assert counts["credits_applied"] == 3
    assert (head(lg, "N1").status, head(lg, "N2").unpaid_amount, head(lg, b).status) == ("paid", D("5.60"), "paid")
    assert head(lg, "INV-9").unpaid_amount == D("5.00")  # another account: untouched
    assert_invariants(lg)


def test_import_without_new_debits_links_nothing(make_ledger):
    lg = make_ledger(INVOICES, ITEMS, payments="payment_id,invoice_id,amount,paid_on\nP1,INV-1,86.80,2026-10-02")
    lg.credit("INV-1", {"IT-1": "2"}, allow_paid=True, date=DAY)
    lg.db.execute("DELETE FROM invoice_links")  # leave INV-2 and INV-3 unpaid, the credit available
    lg.db.recompute(everything=True)
    counts = import_frames(lg.db, {"payments": _frame(
        "payment_id,invoice_id,amount,paid_on\nP2,INV-2,1.00,2026-11-01", "payments")})
    assert "credits_applied" not in counts
    assert lg.db.scalar("SELECT count(*) FROM invoice_links") == 0


# -- billing periods on credit items ---------------------------------------------------------------


def test_credit_item_period_defaults_to_the_debit_items(lg):
    it = lg.credit("INV-1", {"IT-1": "1"}, date=DAY)
    row = lg.db.rows("SELECT period_start::VARCHAR, period_end::VARCHAR FROM invoice_items WHERE invoice_id = $c",
                     {"c": it.credit_invoice_id})
    assert row == [("2026-10-01", "2026-10-31")]


def test_credit_item_period_inside_the_items(lg):
    res = lg.credit("INV-1", {"IT-1": "1"}, periods={"IT-1": ("2026-10-10", "2026-10-20")}, date=DAY)
    row = lg.db.rows("SELECT period_start::VARCHAR, period_end::VARCHAR FROM invoice_items WHERE invoice_id = $c",
                     {"c": res.credit_invoice_id})
    assert row == [("2026-10-10", "2026-10-20")]
    assert_invariants(lg)


@pytest.mark.parametrize(("item", "span", "column"), [
    ("IT-1", ("2026-09-30", "2026-10-20"), "period_start"),
    ("IT-1", ("2026-10-10", "2026-11-01"), "period_start"),
    ("IT-1", (None, "2026-11-01"), "period_end"),
    ("IT-0", ("2026-10-10", "2026-10-20"), "period_start"),  # the item has no period
])
def test_credit_item_period_outside_is_invalid(lg, item, span, column):
    before = state(lg)
    with pytest.raises(BadInput, match="Invalid billing period") as exc:
        lg.credit("INV-1", {item: "1"}, periods={item: span}, date=DAY)
    assert exc.value.problems[0].column == column
    assert_same(before, state(lg))


def test_credit_item_period_reversed_is_invalid(lg):
    with pytest.raises(BadInput, match="Invalid billing period: starts after its end"):
        lg.credit("INV-1", {"IT-1": "1"}, periods={"IT-1": ("2026-10-20", "2026-10-10")}, date=DAY)


# -- property: any sequence of the credit lifecycle keeps every invariant ------------------------

PROP_INVOICES = """
invoice_id,account_id,type,invoice_date,currency
D1,A1,debit,2026-10-01,EUR
D2,A1,debit,2026-10-05,EUR
B1,A2,debit,2026-10-02,BHD
"""
PROP_ITEMS = """
item_id,invoice_id,line_no,description,quantity,unit_price,tax_rate,net_amount,tax_amount,amount,period_start,period_end
I1,D1,1,Licence,10,5,0.24,50.00,12.00,62.00,2026-10-01,2026-10-31
I2,D1,2,Thirds,3,33.333333,0.24,100.00,24.00,124.00,2026-10-01,2026-10-31
I3,D2,1,Support,1,10,0.24,10.00,2.40,12.40,2026-10-01,2026-10-31
I4,D2,2,Usage,2.5,3.108,0,7.77,0.00,7.77,,
B,B1,1,Plan,3,4.115,0.1,12.345,1.235,13.580,2026-10-01,2026-10-31
"""
ITEM_IDS = ["I1", "I2", "I3", "I4", "B"]
DEBIT_OF = {"I1": "D1", "I2": "D1", "I3": "D2", "I4": "D2", "B": "B1"}


@pytest.fixture(scope="module")
def prop_template(tmp_path_factory):
    import recon

    path = tmp_path_factory.mktemp("prop") / "template.duckdb"
    lg = recon.Ledger.create(path)
    import_frames(lg.db, {"invoices": _frame(PROP_INVOICES, "invoices"),
                          "invoice_items": _frame(PROP_ITEMS, "invoice_items")})
    lg.close()
    return path


def _step_strategy():
    from hypothesis import strategies as st

    ix = st.integers(0, 9)
    item = st.sampled_from(ITEM_IDS)
    qty = st.sampled_from([None, "1", "0.5", "2", "0.000001"])
    return st.one_of(
        st.tuples(st.just("credit"), item, qty, st.booleans()),
        st.tuples(st.just("credit_all"), st.sampled_from(["D1", "D2", "B1"]), st.booleans()),
        st.tuples(st.just("cancel"), item, st.integers(1, 31), qty),
        st.tuples(st.just("void"), ix),
        st.tuples(st.just("link"), ix, st.integers(0, 3), st.sampled_from([None, None, "0.01", "1.00", "0.001", "5"])),
        st.tuples(st.just("unlink"), ix, st.integers(0, 3)),
        st.tuples(st.just("pay"), st.sampled_from(["D1", "D2", "B1", "N1", "N2"]), st.sampled_from(["1", "0.5", "0.3"])),
        st.tuples(st.just("new_debit"), st.sampled_from(["A1", "A2"])),
        st.tuples(st.just("remove"), ix),
        st.tuples(st.just("apply"), st.lists(st.tuples(item, qty, st.sampled_from([None, "G1"])),
                                             min_size=1, max_size=3)),
    )


def _run_step(lg, step, n: int) -> None:
    import datetime as dt_

    from recon.money import round_money

    day = dt_.date(2026, 11, 26)
    live = [r[0] for r in lg.db.rows(
        "SELECT invoice_id FROM invoices WHERE type = 'credit' AND voided_on IS NULL ORDER BY 1")]
    removable = [r[0] for r in lg.db.rows(
        "SELECT invoice_id FROM invoices WHERE type = 'credit' AND voided_on IS NULL AND origin = 'manual'"
        " AND invoice_id NOT IN (SELECT credit_invoice_id FROM invoice_links WHERE unlinked_on IS NULL)"
        " ORDER BY 1")] or live
    kind = step[0]
    if kind == "credit":
        _, item, q, allow = step
        lg.credit(DEBIT_OF[item], {item: q}, allow_paid=allow, date=day)
    elif kind == "credit_all":
        lg.credit(step[1], allow_paid=step[2], date=day)
    elif kind == "cancel":
        _, item, d, q = step
        text = f"item_id,cancelled_on,quantity\n{item},2026-10-{d:02d},{q or ''}"
        lg.cancel(rows(text), date=day)
    elif kind == "void" and live:
        lg.void(live[step[1] % len(live)], date=day)
    elif kind == "remove" and removable:
        credit = removable[step[1] % len(removable)]
        first = lg.db.scalar("SELECT min(item_id) FROM invoice_items WHERE invoice_id = $c", {"c": credit})
        lg.remove_items(credit, [first])
    elif kind in ("link", "unlink") and live:
        credit = live[step[1] % len(live)]
        # debits of the credit's account and currency first (index past them: any debit)
        debits = [r[0] for r in lg.db.rows(
            "SELECT d.invoice_id FROM invoices d, invoices c WHERE c.invoice_id = $c AND d.type = 'debit'"
            " ORDER BY (d.account_id = c.account_id AND d.currency = c.currency) DESC, d.status DESC, 1",
            {"c": credit})]
        debit = debits[step[2] % len(debits)]
        if kind == "link":
            lg.link(credit, debit, step[3], date=day)
        else:
            lg.unlink(credit, debit, date=day)
    elif kind == "pay":
        got = lg.db.rows("SELECT unpaid_amount, currency FROM invoices WHERE invoice_id = $d", {"d": step[1]})
        if got and got[0][0] > 0:
            amount = round_money(got[0][0] * D(step[2]), got[0][1])
            if amount > 0:
                import_frames(lg.db, {"payments": _frame(
                    f"payment_id,invoice_id,amount,paid_on\nP{n},{step[1]},{amount},2026-11-26", "payments")})
    elif kind == "apply":
        # a small bulk correction file (as a DataFrame): the same engine, set-based
        frame = pd.DataFrame({
            "debit_invoice_id": [DEBIT_OF[i] for i, _, _ in step[1]],
            "item_id": [i for i, _, _ in step[1]],
            "quantity": [q for _, q, _ in step[1]],
            "group": [g for _, _, g in step[1]],
            "reason": ["Bulk"] * len(step[1]),
        }, dtype=object)
        lg.apply(frame, today=day)
    elif kind == "new_debit":
        inv = "N1" if lg.db.scalar("SELECT count(*) FROM invoices WHERE invoice_id = 'N1'") == 0 else f"N{n + 2}"
        cur, amount = ("EUR", "20.00") if step[1] == "A1" else ("BHD", "2.500")
        import_frames(lg.db, {
            "invoices": _frame(f"invoice_id,account_id,type,invoice_date,currency\n{inv},{step[1]},debit,2026-11-20,{cur}",
                               "invoices"),
            "invoice_items": _frame(
                "item_id,invoice_id,line_no,description,quantity,unit_price,tax_rate,net_amount,tax_amount,amount\n"
                f"{inv}-1,{inv},1,Plan,1,{amount},0,{amount},0,{amount}", "invoice_items")})


def test_property_any_lifecycle_keeps_the_invariants(prop_template, tmp_path):
    import shutil

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    import recon
    from recon.errors import ReconError

    counter = iter(range(10**9))

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(_step_strategy(), min_size=1, max_size=25))
    def run(steps):
        path = tmp_path / f"p{next(counter)}.duckdb"
        shutil.copy(prop_template, path)
        with recon.Ledger(path) as lg:
            for n, step in enumerate(steps):
                before = state(lg)
                try:
                    _run_step(lg, step, n)
                except ReconError:
                    assert_same(before, state(lg))  # refused: nothing changed
                assert_invariants(lg)

    run()


# -- the command line ---------------------------------------------------------------------------


def _snapshot(path) -> dict[str, pd.DataFrame]:
    import recon

    with recon.Ledger(path, read_only=True) as lg:
        return state(lg)


def test_cli_cancel_the_sample_file_then_rerun(cli, sample_copy):
    from tests.conftest import DATA

    before = _snapshot(sample_copy)
    code, out, err = cli("cancel", "--ledger", sample_copy, DATA / "cancellations.csv", "--dry-run")
    assert code == 0, err
    assert "dry run, nothing saved" in err and "would create 15 cancellation credit invoice(s)" in err
    assert_same(before, _snapshot(sample_copy))
    code, out, err = cli("cancel", "--ledger", sample_copy, DATA / "cancellations.csv", "--date", "2026-11-26")
    assert code == 0, err
    assert len(out.split()) == 15 and "created 15 cancellation credit invoice(s)" in err
    # ITM-0000771 (EUR), cancelled 2026-10-21 of a 31-day October: 11 days
    assert "ITM-0000771   2026-10-21     1.419355     33.98    6.80     40.78  EUR" in err
    after = _snapshot(sample_copy)
    code, out, err = cli("cancel", "--ledger", sample_copy, DATA / "cancellations.csv")
    assert code == 0 and out == ""
    assert "created 0 cancellation credit invoice(s); 15 row(s) already credited, skipped (nothing changed)" in err
    assert_same(after, _snapshot(sample_copy))
    import recon

    with recon.Ledger(sample_copy, read_only=True) as lg:
        assert_invariants(lg)


@pytest.mark.parametrize(("text", "message"), [
    ("item_id,cancelled_on\nITM-0000771,2026-11-01\n",
     "row 2, column cancelled_on, value '2026-11-01': cancelled_on must lie within the item's billing period "
     "2026-10-01..2026-10-31"),
    ("item_id,cancelled_on\nITM-9,2026-10-21\n", "row 2, column item_id, value 'ITM-9': unknown item"),
    ("item_id,cancelled_on\nITM-0000771,21/10/2026\n",
     "row 2, column cancelled_on, value '21/10/2026': not a valid date"),
    ("item_id,cancelled_on,quantity\nITM-0000771,2026-10-21,999\n",
     "row 2, column quantity, value '999': quantity exceeds the 4 still in service on the item"),
    ("item_id,cancelled_on\nITM-0000003,2026-10-21\n", "has no billing period"),
    ("item,cancelled_on\nITM-0000771,2026-10-21\n", "column item_id: required column is missing"),
])
def test_cli_cancel_bad_input(cli, sample_copy, tmp_path, text, message):
    f = tmp_path / "bad.csv"
    f.write_text(text)
    before = _snapshot(sample_copy)
    code, out, err = cli("cancel", "--ledger", sample_copy, f)
    assert code == 2 and out == ""
    assert err.startswith("recon cancel: ") and message in err, err
    assert_same(before, _snapshot(sample_copy))


def test_cli_credit_with_a_billing_period(cli, sample_copy):
    code, out, err = cli("credit", "--ledger", sample_copy, "INV-2026-000222", "--item", "ITM-0000771=1",
                         "--period", "ITM-0000771=2026-10-15..2026-10-20", "--date", "2026-11-26")
    assert code == 0, err
    import recon

    with recon.Ledger(sample_copy, read_only=True) as lg:
        got = lg.db.rows("SELECT period_start::VARCHAR, period_end::VARCHAR FROM invoice_items"
                         " WHERE invoice_id = $c", {"c": out.strip()})
    assert got == [("2026-10-15", "2026-10-20")]
    before = _snapshot(sample_copy)
    code, out, err = cli("credit", "--ledger", sample_copy, "INV-2026-000222", "--item", "ITM-0000771=1",
                         "--period", "ITM-0000771=2026-10-15..2026-11-20")
    assert code == 2 and "Invalid billing period: must lie within the item's period 2026-10-01..2026-10-31" in err
    assert_same(before, _snapshot(sample_copy))
