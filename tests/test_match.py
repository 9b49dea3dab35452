"""recon match: credit lines without a reference, matched to the debits they reverse (issue 19).

A small retailer: SHOP-1 bought product SKU-A twice (10 on D1 in September, 4 on D2 in
October), SKU-B once, SKU-C on D3, which is paid; SHOP-2 bought 3 of SKU-A on D4. Its
cancellation lines name only the account, the product, a quantity (or a net amount)
and a date; match proposes the debit items, oldest first, up to what is still
creditable, and lists what it cannot match with the reason.
"""

from __future__ import annotations

import csv
from decimal import Decimal as D

import pandas as pd
import pytest

import recon
from tests.conftest import _frame, assert_invariants, assert_same, ledger_state

INVOICES = """
    invoice_id,account_id,type,invoice_date,due_date,currency
    D1,SHOP-1,debit,2026-09-01,2026-09-30,EUR
    D2,SHOP-1,debit,2026-10-01,2026-10-31,EUR
    D3,SHOP-1,debit,2026-10-02,2026-11-01,EUR
    D4,SHOP-2,debit,2026-10-01,2026-10-31,EUR
"""
ITEMS = """
    item_id,invoice_id,line_no,description,product_code,quantity,unit_price,tax_rate,net_amount,tax_amount,amount
    I1,D1,1,Mug,SKU-A,10,5,0.2,50.00,10.00,60.00
    I2,D1,2,Teapot,SKU-B,2,20,0.2,40.00,8.00,48.00
    I3,D2,1,Mug,SKU-A,4,5,0.2,20.00,4.00,24.00
    I4,D3,1,Kettle,SKU-C,1,100,0.2,100.00,20.00,120.00
    I5,D4,1,Mug,SKU-A,3,5,0.2,15.00,3.00,18.00
"""
PAYMENTS = """
    payment_id,invoice_id,amount,paid_on
    P1,D3,120.00,2026-10-20
"""
# the retailer's cancellations: R-2 takes what R-1 left of D1 and goes on into D2
LINES = """
    credit_number,account_id,product_code,quantity,amount,credit_date,reason
    R-1,SHOP-1,SKU-A,6,,2026-10-10,Returned
    R-1,SHOP-1,SKU-B,1,,2026-10-10,Returned
    R-2,SHOP-1,SKU-A,6,,2026-10-20,Returned
    R-3,SHOP-1,SKU-A,5,,2026-10-25,Returned
    R-3,SHOP-1,SKU-Z,1,,2026-10-25,Returned
    R-4,SHOP-1,SKU-C,1,,2026-10-25,Returned
    R-5,SHOP-2,SKU-A,,10.00,2026-10-05,Damaged
    R-6,SHOP-2,SKU-A,1,,2026-09-15,Returned
"""


@pytest.fixture
def shop(make_ledger):
    return make_ledger(INVOICES, ITEMS, PAYMENTS)


@pytest.fixture
def lines(tmp_path):
    path = tmp_path / "cancellations.csv"
    path.write_text("\n".join(x.strip() for x in LINES.strip().splitlines()) + "\n")
    return path


def rows(df: pd.DataFrame, columns) -> list[list]:
    return [[None if pd.isna(v) else (str(v) if isinstance(v, (pd.Timestamp,)) else v) for v in r]
            for r in df[columns].astype(object).itertuples(index=False)]


def test_credit_lines_are_matched_oldest_first_up_to_what_is_creditable(shop, lines):
    before = ledger_state(shop)
    res = shop.match(lines)
    got = res.corrections.assign(credit_date=res.corrections["credit_date"].astype(str))
    assert rows(got, ["credit_invoice_id", "debit_invoice_id", "item_id", "quantity", "amount", "credit_date"]) == [
        ["R-1", "D1", "I1", D("6"), None, "2026-10-10"],       # 6 of D1's 10 mugs
        ["R-1", "D1", "I2", D("1"), None, "2026-10-10"],
        ["R-2", "D1", "I1", D("4"), None, "2026-10-20"],       # the 4 left on D1 ...
        ["R-2", "D2", "I3", D("2"), None, "2026-10-20"],       # ... then D2's
        ["R-3", "D2", "I3", D("2"), None, "2026-10-25"],       # the last 2 mugs: 3 more asked
        ["R-5", "D4", "I5", None, D("10.000"), "2026-10-05"],  # a net amount, not a quantity
    ]
    assert (res.corrections["group"] == res.corrections["credit_invoice_id"]).all()
    assert set(res.corrections["reason"]) == {"Returned", "Damaged"}
    assert rows(res.unmatched, ["credit_number", "product_code", "unmatched_quantity", "code"]) == [
        ["R-3", "SKU-A", D("3"), "beyond_invoiced"],
        ["R-3", "SKU-Z", D("1"), "no_earlier_debit"],
        ["R-4", "SKU-C", D("1"), "paid_debits"],
        ["R-6", "SKU-A", D("1"), "no_earlier_debit"],  # D4 is dated after the line
    ]
    assert res.unmatched["problem"].iloc[2] == "what is left of the product is on paid debit invoices"
    assert res.summary() == ("8 credit line(s): 4 matched in full, 4 not (or not in full); 6 correction row(s) "
                             "for 4 credit invoice(s); not matched: 2 no earlier debit, 1 beyond invoiced, "
                             "1 paid debits")
    assert_same(before, ledger_state(shop))  # nothing applied


def test_paid_debits_when_allowed(shop, lines):
    res = shop.match(lines, allow_paid=True)
    assert ["R-4", "D3", "I4", D("1")] in rows(res.corrections, ["credit_invoice_id", "debit_invoice_id", "item_id",
                                                                 "quantity"])
    assert "paid_debits" not in set(res.unmatched["code"])


def test_what_is_already_credited_is_not_offered_again(shop, lines):
    shop.credit("D1", {"I1": "9"}, date="2026-10-01")  # 9 of D1's 10 mugs credited by hand
    res = shop.match(_frame(LINES, "credit_lines").head(1))  # R-1's 6 mugs
    assert rows(res.corrections, ["debit_invoice_id", "item_id", "quantity"]) == [
        ["D1", "I1", D("1")], ["D2", "I3", D("4")]]
    assert rows(res.unmatched, ["unmatched_quantity", "code"]) == [[D("1"), "beyond_invoiced"]]


def test_the_corrections_apply_as_one_credit_invoice_per_credit_number(shop, lines, tmp_path):
    res = shop.match(lines)
    paths = res.write(tmp_path / "corrections.csv")
    assert paths["unmatched"] == tmp_path / "corrections.unmatched.csv"
    shop.apply(paths["corrections"])
    credits = shop.table("invoices").query("type == 'credit'").set_index("invoice_id")
    assert sorted(credits.index) == ["R-1", "R-2", "R-3", "R-5"]
    # 6 mugs at 6.00 gross and a teapot at 24.00
    assert credits.loc["R-1", "total"] == D("60.00")
    # R-5: 10.00 net of SHOP-2's mugs, 12.00 with the tax
    assert credits.loc["R-5", "total"] == D("12.00")
    assert (credits.loc["R-2", "total"], credits.loc["R-3", "total"]) == (D("36.00"), D("12.00"))
    debits = shop.table("invoices").set_index("invoice_id")
    # D1 = 60.00 + 48.00, less R-1's 60.00 and R-2's 4 mugs (24.00); D2's 4 mugs all credited
    assert (debits.loc["D1", "unpaid_amount"], debits.loc["D2", "unpaid_amount"]) == (D("24.00"), D("0.00"))
    assert_invariants(shop)
    # the credits carry their debit item's product code
    credit_items = shop.table("invoice_items").query("invoice_id == 'R-2'")
    assert set(credit_items["product_code"]) == {"SKU-A"}
    # matched again after applying: the ledger has those numbers already
    again = shop.match(lines)
    assert set(again.unmatched.loc[again.unmatched["credit_number"].isin(["R-1", "R-2"]), "code"]) == {
        "already_in_ledger"}


def test_a_line_must_ask_for_a_quantity_or_an_amount(shop, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("credit_number,account_id,product_code,quantity,amount,credit_date\n"
                   "R-1,SHOP-1,SKU-A,,,2026-10-10\nR-2,SHOP-1,SKU-A,1,5.00,2026-10-10\n")
    with pytest.raises(recon.BadInput) as err:
        shop.match(bad)
    assert [(p.row, p.code) for p in err.value.problems] == [(2, "nothing_asked"), (3, "two_asked")]


def test_the_command_line_writes_the_proposal_and_apply_takes_it(shop, lines, tmp_path, cli):
    out = tmp_path / "corrections.csv"
    code, stdout, err = cli("match", "--ledger", shop.path, lines, "--out", out)
    assert code == 0, err
    assert "6 correction row(s) for 4 credit invoice(s)" in stdout
    assert f"not matched: {tmp_path / 'corrections.unmatched.csv'}" in stdout
    with out.open(newline="") as f:
        first = list(csv.reader(f))[:2]
    assert first == [
        ["debit_invoice_id", "item_id", "quantity", "amount", "reason", "credit_date", "group", "credit_invoice_id",
         "memo"],
        ["D1", "I1", "6", "", "Returned", "2026-10-10", "R-1", "R-1", ""]]
    unmatched = (tmp_path / "corrections.unmatched.csv").read_text()
    assert "SKU-Z" in unmatched and "no debit item of this product" in unmatched
    assert shop.table("invoices").query("type == 'credit'").empty  # match applies nothing
    code, stdout, err = cli("apply", "--ledger", shop.path, out)
    assert code == 0, err
    assert sorted(shop.table("invoices").query("type == 'credit'")["invoice_id"]) == ["R-1", "R-2", "R-3", "R-5"]
