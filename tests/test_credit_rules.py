"""Worked examples of SPEC §3, one rule at a time, the expected numbers beside them."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from recon.errors import BadInput
from tests.conftest import assert_invariants

INVOICES = """
invoice_id,account_id,type,invoice_date,due_date,currency
D1,A1,debit,2026-10-01,2026-10-31,EUR
D2,A1,debit,2026-10-05,2026-11-04,EUR
D3,A2,debit,2026-10-05,2026-11-04,EUR
D4,A1,debit,2026-10-06,2026-11-05,USD
"""
ITEMS = """
item_id,invoice_id,line_no,description,quantity,unit_price,tax_rate,net_amount,tax_amount,amount
I1,D1,1,Licence (thirds),3,33.333333,0.24,100.00,24.00,124.00
I2,D1,2,Support,1,50.00,0.24,50.00,12.00,62.00
I3,D2,1,Storage,10,2.50,0.20,25.00,5.00,30.00
I4,D3,1,Other account,1,10.00,0,10.00,0.00,10.00
I5,D4,1,Other currency,1,10.00,0,10.00,0.00,10.00
"""


@pytest.fixture
def lg(make_ledger):
    return make_ledger(INVOICES, ITEMS)


def pieces(res):
    return [(str(r.net_amount), str(r.tax_amount), str(r.amount)) for r in res.items.itertuples()]


def header(lg, invoice_id):
    return lg.invoice(invoice_id).iloc[0]


def test_partial_pieces_of_thirds_sum_to_the_original(lg):
    # net 100.00, tax 24.00, quantity 3, credited one unit at a time:
    #   c=1: round(33.333) = 33.33           tax round(8.00) = 8.00
    #   c=2: round(66.667) = 66.67 − 33.33 = 33.34
    #   c=3: 100.00 − 66.67 = 33.33
    got = [pieces(lg.credit("D1", {"I1": "1"}))[0] for _ in range(3)]
    assert got == [("33.330", "8.000", "41.330"), ("33.340", "8.000", "41.340"),
                   ("33.330", "8.000", "41.330")]
    assert lg.creditable_items("D1").set_index("item_id").loc["I1", "creditable_amount"] == D("0")
    d1 = header(lg, "D1")
    assert (d1.unpaid_amount, d1.status) == (D("62.000"), "unpaid")  # I2 still owed
    assert_invariants(lg)


def test_half_cent_tie_rounds_up(make_ledger):
    lg = make_ledger(
        "invoice_id,account_id,type,invoice_date,currency\nD,A,debit,2026-10-01,EUR",
        "item_id,invoice_id,line_no,description,quantity,unit_price,tax_rate,net_amount,tax_amount,amount\n"
        "I,D,1,Tiny,2,0.025,0.2,0.05,0.01,0.06",
    )
    # net 0.05 / 2 = 0.025 -> 0.03 (half-up, not to even); tax 0.01 / 2 = 0.005 -> 0.01
    assert pieces(lg.credit("D", {"I": "1"})) == [("0.030", "0.010", "0.040")]
    # the second half takes what is left: 0.02 and 0.00
    assert pieces(lg.credit("D", {"I": "1"})) == [("0.020", "0.000", "0.020")]
    assert header(lg, "D").status == "paid"
    assert_invariants(lg)


def test_jpy_has_no_decimals(make_ledger):
    lg = make_ledger(
        "invoice_id,account_id,type,invoice_date,currency\nJ,A,debit,2026-10-01,JPY",
        "item_id,invoice_id,line_no,description,quantity,unit_price,tax_rate,net_amount,tax_amount,amount\n"
        "I,J,1,Licence,3,333.333333,0.1,1000,100,1100",
    )
    # 1000/3 = 333.3 -> 333; 2000/3 = 666.7 -> 667 − 333 = 334; the rest 333
    got = [pieces(lg.credit("J", {"I": "1"}))[0] for _ in range(3)]
    assert [g[0] for g in got] == ["333.000", "334.000", "333.000"]
    assert [g[1] for g in got] == ["33.000", "34.000", "33.000"]  # 100/3 by the same rule
    assert_invariants(lg)


def test_three_decimal_currency(make_ledger):
    lg = make_ledger(
        "invoice_id,account_id,type,invoice_date,currency\nB,A,debit,2026-10-01,BHD",
        "item_id,invoice_id,line_no,description,quantity,unit_price,tax_rate,net_amount,tax_amount,amount\n"
        "I,B,1,Licence,3,3.333333,0.1,10.000,1.000,11.000\n"
        "T,B,2,Tie,2,0.0025,0,0.005,0.000,0.005",
    )
    assert [pieces(lg.credit("B", {"I": "1"}))[0][0] for _ in range(3)] == ["3.333", "3.334", "3.333"]
    assert pieces(lg.credit("B", {"T": "1"}))[0][0] == "0.003"  # 0.0025 -> 0.003
    assert_invariants(lg)


def test_large_amounts_stay_exact(make_ledger):
    lg = make_ledger(
        "invoice_id,account_id,type,invoice_date,currency\nL,A,debit,2026-10-01,EUR",
        "item_id,invoice_id,line_no,description,quantity,unit_price,tax_rate,net_amount,tax_amount,amount\n"
        "I,L,1,Datacentre,3,333333333333.33,0.24,999999999999.99,240000000000.00,1239999999999.99",
    )
    got = [pieces(lg.credit("L", {"I": "1"}))[0] for _ in range(3)]
    assert [g[0] for g in got] == ["333333333333.330", "333333333333.330", "333333333333.330"]
    assert sum(D(g[2]) for g in got) == D("1239999999999.99")
    assert header(lg, "L").status == "paid"
    assert_invariants(lg)


def test_tax_follows_the_same_rule(lg):
    # I3: net 25.00, tax 5.00, quantity 10; credit 3 then 3 then 4
    a = pieces(lg.credit("D2", {"I3": "3"}))[0]
    b = pieces(lg.credit("D2", {"I3": "3"}))[0]
    c = pieces(lg.credit("D2", {"I3": "4"}))[0]
    assert (a, b, c) == (("7.500", "1.500", "9.000"), ("7.500", "1.500", "9.000"),
                         ("10.000", "2.000", "12.000"))


def test_fractional_quantity(lg):
    # half of the support plan: 25.00 net, 6.00 tax
    res = lg.credit("D1", {"I2": "0.5"}, reason="Outage")
    assert pieces(res) == [("25.000", "6.000", "31.000")]
    d1 = header(lg, "D1")
    assert (d1.unpaid_amount, d1.status) == (D("155.000"), "unpaid")  # 186.00 − 31.00


def test_whole_invoice_mirrors_the_debit_and_pays_it(lg):
    res = lg.credit("D1", reason="Duplicate invoice")
    items = res.items
    assert list(items.credited_item_id) == ["I1", "I2"]
    assert [str(q) for q in items.quantity] == ["3.000000", "1.000000"]
    assert [str(a) for a in items.amount] == ["124.000", "62.000"]
    c = res.credits.iloc[0]
    assert (c.total, c.origin, c.status) == (D("186.000"), "full", "paid")
    assert (header(lg, "D1").status, header(lg, "D1").unpaid_amount) == ("paid", D("0"))
    assert [str(x) for x in res.links.amount] == ["186.000"]


def test_whole_invoice_after_a_partial_credit_takes_the_rest(lg):
    lg.credit("D1", {"I1": "1"})
    res = lg.credit("D1")
    assert [(r.credited_item_id, str(r.quantity), str(r.net_amount)) for r in res.items.itertuples()] == [
        ("I1", "2.000000", "66.670"), ("I2", "1.000000", "50.000")]
    assert header(lg, "D1").status == "paid"
    with pytest.raises(BadInput, match="every item is already fully credited"):
        lg.credit("D1", allow_paid=True)


def test_link_is_capped_at_unpaid_and_the_excess_stays_available(make_ledger):
    lg = make_ledger(
        INVOICES, ITEMS,
        payments="payment_id,invoice_id,amount,paid_on\nP1,D1,150.00,2026-10-10",
    )
    assert header(lg, "D1").unpaid_amount == D("36.000")  # 186.00 − 150.00
    res = lg.credit("D1", {"I2": None})  # the whole support item: 62.00
    assert [str(a) for a in res.links.amount] == ["36.000"]  # capped at unpaid
    c = res.credits.iloc[0]
    assert (c.total, c.available, c.status) == (D("62.000"), D("26.000"), "unpaid")
    assert header(lg, "D1").status == "paid"
    assert_invariants(lg)


def test_paid_debit_is_refused_unless_allowed(make_ledger):
    lg = make_ledger(INVOICES, ITEMS,
                     payments="payment_id,invoice_id,amount,paid_on\nP1,D2,30.00,2026-10-10")
    with pytest.raises(BadInput, match="already paid") as err:
        lg.credit("D2", {"I3": "1"})
    assert err.value.problems[0].column == "debit_invoice_id"
    res = lg.credit("D2", {"I3": "1"}, allow_paid=True)
    assert res.links.empty  # nothing owed: the whole credit stays available
    assert res.credits.iloc[0].available == D("3.000")
    assert_invariants(lg)


def test_void_restores_the_debit(lg):
    res = lg.credit("D1")
    assert header(lg, "D1").status == "paid"
    lg.void(res.credit_invoice_id)
    d1 = header(lg, "D1")
    assert (d1.status, d1.unpaid_amount) == ("unpaid", D("186.000"))
    assert header(lg, res.credit_invoice_id).status == "void"
    links = lg.show("D1")["links"]
    assert links.empty  # the link ended (kept, dated, in invoice_links)
    assert lg.table("invoice_links").unlinked_on.notna().all()
    # the items are creditable again, in full
    assert lg.creditable_items("D1").creditable_quantity.tolist() == [D("3"), D("1")]
    with pytest.raises(BadInput, match="already void"):
        lg.void(res.credit_invoice_id)
    assert_invariants(lg)


def test_void_between_partial_credits_keeps_cumulative_rounding_exact(lg):
    a = lg.credit("D1", {"I1": "1"})  # 33.33
    lg.credit("D1", {"I1": "1"})  # 33.34
    lg.void(a.credit_invoice_id)  # credited: 1 unit, 33.34
    b = lg.credit("D1", {"I1": "1"})  # c=2: 66.67 − 33.34 = 33.33
    c = lg.credit("D1", {"I1": "1"})  # c=3: 100.00 − 66.67 = 33.33
    assert [pieces(x)[0][0] for x in (b, c)] == ["33.330", "33.330"]
    assert_invariants(lg)  # no cent residue: 33.34 + 33.33 + 33.33 = 100.00


def test_into_gathers_items_of_several_debits_of_one_account(lg):
    first = lg.credit("D1", {"I2": "1"}, reason="Goodwill")
    cid = first.credit_invoice_id
    second = lg.credit("D2", {"I3": "2"}, into=cid)
    assert second.credit_invoice_id == cid
    items = lg.show(cid)["items"]
    assert list(items.line_no) == [1, 2]
    assert header(lg, cid).total == D("68.000")  # 62.00 + 6.00
    assert sorted(lg.show(cid)["links"].debit_invoice_id) == ["D1", "D2"]
    with pytest.raises(BadInput, match="credit invoice is for A1 EUR, the debit invoice for A2 EUR"):
        lg.credit("D3", {"I4": "1"}, into=cid)
    with pytest.raises(BadInput, match="for A1 EUR, the debit invoice for A1 USD"):
        lg.credit("D4", {"I5": "1"}, into=cid)
    assert_invariants(lg)


@pytest.mark.parametrize(
    "debit, items, kw, message, column",
    [
        ("NOPE", None, {}, "unknown debit invoice", "debit_invoice_id"),
        ("D1", {"I9": "1"}, {}, "unknown item", "item_id"),
        ("D1", {"I3": "1"}, {}, "belongs to invoice D2, not D1", "item_id"),
        ("D1", {"I1": "4"}, {}, "exceeds the 3 still creditable", "quantity"),
        ("D1", {"I1": "0"}, {}, "greater than 0", "quantity"),
        ("D1", {"I1": "-1"}, {}, "greater than 0", "quantity"),
        ("D1", {"I1": "1"}, {"date": "2026-09-30"}, "before debit invoice D1", "--date"),
        ("D1", {"I1": "1"}, {"into": "D2"}, "is not a credit invoice", "into"),
        ("D1", {"I1": "1"}, {"into": "CN-X"}, "unknown credit invoice", "into"),
    ],
)
def test_bad_requests_are_refused_and_change_nothing(lg, debit, items, kw, message, column):
    before = lg.table("invoices"), lg.table("invoice_items"), lg.table("invoice_links")
    with pytest.raises(BadInput, match=message) as err:
        lg.credit(debit, items, **kw)
    assert err.value.problems[0].column == column
    after = lg.table("invoices"), lg.table("invoice_items"), lg.table("invoice_links")
    for b, a in zip(before, after, strict=True):
        assert b.equals(a)


def test_over_credit_counts_earlier_credits(lg):
    lg.credit("D1", {"I1": "2"})
    with pytest.raises(BadInput, match="exceeds the 1 still creditable on item I1"):
        lg.credit("D1", {"I1": "1.5"})


def test_float_quantity_is_refused(lg):
    with pytest.raises(BadInput, match="binary float"):
        lg.credit("D1", {"I1": 0.1})


def test_dry_run_computes_everything_and_saves_nothing(lg):
    res = lg.credit("D1", {"I1": "1"}, dry_run=True)
    assert res.dry_run and res.credit_invoice_id == "CN-2026-000001"
    assert pieces(res) == [("33.330", "8.000", "41.330")]
    assert res.debits.iloc[0].unpaid_after == D("144.670")
    assert lg.table("invoice_items").credited_item_id.isna().all()
    # the number was not used up
    assert lg.credit("D1", {"I1": "1"}).credit_invoice_id == "CN-2026-000001"


def test_credit_numbers_are_never_reused(lg):
    a = lg.credit("D1", {"I1": "1"}, date="2026-10-20")
    lg.void(a.credit_invoice_id)
    b = lg.credit("D1", {"I1": "1"}, date="2026-10-21")
    assert (a.credit_invoice_id, b.credit_invoice_id) == ("CN-2026-000001", "CN-2026-000002")


def test_numbers_continue_after_imported_credit_numbers(make_ledger):
    lg = make_ledger(
        INVOICES + "CN-2026-000041,A1,credit,2026-10-02,,EUR\n",
        "\n".join(line + "," if line.strip() else line for line in ITEMS.splitlines())
        .replace("amount,\n", "amount,credited_item_id\n", 1)
        + "\nC1,CN-2026-000041,1,Old credit,1,50.00,0.24,50.00,12.00,62.00,I2\n",
        links="credit_invoice_id,debit_invoice_id,amount,linked_on\nCN-2026-000041,D1,62.00,2026-10-02",
    )
    assert header(lg, "D1").unpaid_amount == D("124.000")
    with pytest.raises(BadInput, match="exceeds the 0 still creditable"):
        lg.credit("D1", {"I2": "1"})
    assert lg.credit("D1", {"I1": "1"}).credit_invoice_id == "CN-2026-000042"
    assert_invariants(lg)


# -- the checks a run's empty columns leave out (sql.pruned) ------------------------------------


def _codes(stmt: str) -> set[str]:
    """The problem codes a checks statement can give (the quoted words credits.py words)."""
    import re

    from recon.credits import MESSAGES

    return set(re.findall(r"'(\w+)'", stmt)) & set(MESSAGES)


@pytest.mark.parametrize("name", ["credit_checks", "credit_piece_checks"])
def test_checks_are_left_out_only_for_columns_the_run_leaves_empty(name):
    from recon import credits, sql

    full = sql.load(name)
    # nothing empty: the statement as written
    assert sql.pruned(name, frozenset()) == full.rstrip()
    # every mark names an optional request column: one a run can leave empty
    marks = {c.strip() for m in sql._ONLY_WITH.findall(full) for c in m.split(",")}
    assert marks and marks <= set(credits.OPTIONAL)
    # a one-item credit (every optional column empty) keeps the checks that need none
    pruned = sql.pruned(name, frozenset(credits.OPTIONAL))
    assert pruned.rstrip().endswith("ORDER BY 1, 2")
    dropped = _codes(full) - _codes(pruned)
    assert dropped == {
        "credit_checks": {"into_unknown", "into_not_credit", "into_void", "into_mismatch",
                          "into_before_credit", "group_dates", "period_reversed", "period_without_item",
                          "period_outside", "proration_invalid", "prorated_not_alone", "several_asks",
                          "amount_without_item", "gross_without_amount", "amount_not_positive",
                          "amount_decimals", "percent_invalid", "credit_id_mixed", "credit_id_repeated",
                          "credit_id_taken"},
        "credit_piece_checks": {"amount_over_credit", "gross_over_credit", "gross_no_split",
                                "amount_needs_rest", "percent_too_small", "prorate_too_small"},
    }[name]
    # a run that gives amounts keeps the amount checks
    assert {"amount_not_positive", "amount_decimals", "amount_over_credit"} & _codes(
        sql.pruned(name, frozenset(credits.OPTIONAL) - {"amount"}))


def test_the_slot_branches_are_left_out_only_for_kinds_the_run_has_none_of():
    from recon import sql

    full = sql.load("credit_slot")
    assert sql.pruned("credit_slot", frozenset()) == full
    marks = {c.strip() for m in sql._ONLY_WITH.findall(full) for c in m.split(",")}
    assert marks == {"whole_invoice", "walked"}
    # a one-item credit: the item requests' branch alone, still a whole statement
    one = sql.pruned("credit_slot", frozenset(marks))
    assert "UNION" not in one and "walk_slot" not in one and "JOIN invoice_items" not in one
    assert one.rstrip().endswith("(SELECT debit_invoice_id FROM walk_invoice)")
    both = sql.pruned("credit_slot", frozenset({"walked"}))
    assert both.count("UNION ALL BY NAME") == 1 and "a.whole_invoice AND" in both


def test_one_connection_runs_single_credits_and_a_file_in_turn(lg):
    import pandas as pd

    # a single credit stages its requests as a table, a bulk run as a view (credits._stage);
    # one session (one connection) runs them in turn, a refused one among them
    with lg.session(write=True):
        lg.credit("D1", {"I2": "1"}, reason="Goodwill")  # 62.00
        with pytest.raises(BadInput, match="NOPE"):
            lg.credit("D1", {"NOPE": "1"})
        lg.apply(pd.DataFrame({"debit_invoice_id": ["D2"], "item_id": ["I3"], "quantity": ["2"],
                               "reason": ["Bulk fix"]}))  # 2 of 10: 5.00 + 1.00
        with pytest.raises(BadInput, match="refused, nothing applied"):  # by the ledger's checks
            lg.apply(pd.DataFrame({"debit_invoice_id": ["D2"], "item_id": ["NOPE"], "quantity": ["1"]}))
        lg.credit("D1", {"I1": "1"})  # 1 of 3: 33.33 + 8.00
        # a refused run (and a preview) puts back the kind of `req` the one before left
        with pytest.raises(BadInput, match="refused, nothing applied"):
            lg.apply(pd.DataFrame({"debit_invoice_id": ["D2"], "item_id": ["NOPE"], "quantity": ["1"]}))
        lg.apply(pd.DataFrame({"debit_invoice_id": ["D1"], "item_id": ["I1"], "quantity": ["1"]}),
                 dry_run=True)
        lg.credit("D2")  # the rest of D2, a whole-invoice request
    assert (header(lg, "D1").unpaid_amount, header(lg, "D2").unpaid_amount) == (D("82.670"), D("0.000"))
    assert header(lg, "D2").status == "paid"
    assert_invariants(lg)


def test_an_amount_with_too_many_decimals_is_refused_with_other_columns_empty(lg):
    from recon import Amount

    # the amount's checks stay in the statement when only the amount is given
    with pytest.raises(BadInput, match="decimals"):
        lg.credit("D1", {"I1": Amount("1.005")}, date="2026-10-15")
