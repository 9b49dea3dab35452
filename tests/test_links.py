"""Manual links, unlinks and item removal (SPEC §4), with the numbers beside them."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal as D

import pandas as pd
import pytest

from recon.errors import BadInput
from tests.conftest import assert_invariants, assert_same
from tests.conftest import ledger_state as state

INVOICES = """
invoice_id,account_id,type,invoice_date,currency
D1,A1,debit,2026-10-01,EUR
D2,A1,debit,2026-10-05,EUR
D3,A2,debit,2026-10-05,EUR
D4,A1,debit,2026-10-06,USD
J1,A1,debit,2026-10-06,JPY
B1,A1,debit,2026-10-06,BHD
"""
ITEMS = """
item_id,invoice_id,line_no,description,quantity,unit_price,tax_rate,net_amount,tax_amount,amount
I1,D1,1,Licence,10,5,0.24,50.00,12.00,62.00
I2,D1,2,Support,1,20,0.24,20.00,4.80,24.80
I3,D2,1,Storage,1,10,0.24,10.00,2.40,12.40
I4,D3,1,Other account,1,10,0,10.00,0.00,10.00
I5,D4,1,Other currency,1,10,0,10.00,0.00,10.00
J,J1,1,Plan,1,1000,0.1,1000,100,1100
B,B1,1,Plan,1,10.000,0.1,10.000,1.000,11.000
"""
PAID = "payment_id,invoice_id,amount,paid_on\nP1,D1,86.80,2026-10-02\nPJ,J1,1100,2026-10-07\nPB,B1,11.000,2026-10-07"
DAY = dt.date(2026, 11, 26)


def head(lg, invoice_id):
    return lg.invoice(invoice_id).iloc[0]


@pytest.fixture
def lg(make_ledger):
    """D1 paid; credit C (62.00: 10 licences of D1) available; D2 unpaid 12.40."""
    lg = make_ledger(INVOICES, ITEMS, PAID)
    lg.credit("D1", {"I1": None}, allow_paid=True, date="2026-11-01")
    return lg


CREDIT = "CN-2026-000001"


def test_default_amount_is_the_smaller_of_unpaid_and_available(lg):
    assert head(lg, CREDIT).unpaid_amount == D("62.00")  # available, nothing linked
    changed = lg.link(CREDIT, "D2", date=DAY)
    # min(D2 unpaid 12.40, available 62.00) = 12.40: D2 paid, 49.60 left on the credit
    assert changed[["invoice_id", "status_after", "unpaid_after"]].values.tolist() == [
        [CREDIT, "unpaid", D("49.60")], ["D2", "paid", D("0")]]
    link = lg.db.rows("SELECT amount, linked_on FROM invoice_links")
    assert link == [(D("12.400"), DAY)]
    assert_invariants(lg)


@pytest.mark.parametrize(("amount", "unpaid_after"), [
    ("0.01", D("12.39")),   # one minor unit
    ("12.40", D("0")),      # the most
    ("5.5", D("6.90")),
    (D("7.00"), D("5.40")),
])
def test_any_amount_from_one_minor_unit_to_the_most(lg, amount, unpaid_after):
    lg.link(CREDIT, "D2", amount, date=DAY)
    assert head(lg, "D2").unpaid_amount == unpaid_after
    assert_invariants(lg)


@pytest.mark.parametrize(("amount", "message"), [
    ("12.41", "more than the 12.40 EUR that can be applied"),
    ("0.001", "EUR has 2 decimals"),
    ("0", "at least one minor unit (0.01 EUR)"),
    ("-1", "at least one minor unit"),
    ("abc", "not a number"),
    (0.5, "binary float"),
])
def test_amounts_out_of_range_are_refused(lg, amount, message):
    before = state(lg)
    with pytest.raises(BadInput, match=re.escape(message)):
        lg.link(CREDIT, "D2", amount, date=DAY)
    assert_same(before, state(lg))


def test_jpy_and_three_decimal_minor_units(make_ledger):
    lg = make_ledger(INVOICES, ITEMS + "J2,D2,2,x,1,1,0,1.00,0,1.00\n", PAID)
    lg.db.execute("INSERT INTO invoices (invoice_id, account_id, type, status, invoice_date, currency)"
                  " VALUES ('J2', 'A1', 'debit', 'unpaid', DATE '2026-10-08', 'JPY'),"
                  " ('B2', 'A1', 'debit', 'unpaid', DATE '2026-10-08', 'BHD')")
    lg.db.execute("INSERT INTO invoice_items (item_id, invoice_id, line_no, description, quantity, unit_price, tax_rate, net_amount, tax_amount, amount, added_on)"
                  " VALUES ('J2-1', 'J2', 1, 'Plan', 1, 500, 0, 500, 0, 500, DATE '2026-10-08'),"
                  " ('B2-1', 'B2', 1, 'Plan', 1, 5, 0, 5.005, 0, 5.005, DATE '2026-10-08')")
    lg.db.recompute(everything=True)
    cj = lg.credit("J1", allow_paid=True, date="2026-11-01").credit_invoice_id   # 1100 JPY available
    cb = lg.credit("B1", allow_paid=True, date="2026-11-01").credit_invoice_id   # 11.000 BHD available
    with pytest.raises(BadInput, match="JPY has no decimals"):
        lg.link(cj, "J2", "0.5", date=DAY)
    lg.link(cj, "J2", "1", date=DAY)                # one yen
    assert head(lg, "J2").unpaid_amount == D("499")
    with pytest.raises(BadInput, match="more than the 499 JPY"):
        lg.link(cj, "J2", "500", date=DAY)
    lg.link(cb, "B2", "0.001", date=DAY)            # one fils
    lg.link(cb, "B2", date=DAY)                     # the rest: 5.004
    assert lg.db.rows("SELECT amount FROM invoice_links WHERE debit_invoice_id = 'B2' ORDER BY link_id") == [
        (D("0.001"),), (D("5.004"),)]
    assert head(lg, "B2").status == "paid"
    assert_invariants(lg)


@pytest.mark.parametrize(("credit", "debit", "message"), [
    ("NOPE", "D2", "CREDIT_ID 'NOPE': unknown invoice"),
    (CREDIT, "NOPE", "DEBIT_ID 'NOPE': unknown invoice"),
    ("D2", CREDIT, "is a debit invoice"),
    (CREDIT, "D3", "belongs to A2 EUR, the credit to A1 EUR"),
    (CREDIT, "D4", "belongs to A1 USD"),
    (CREDIT, "D1", "the debit invoice is paid"),
])
def test_link_refuses_the_wrong_pair(lg, credit, debit, message):
    before = state(lg)
    with pytest.raises(BadInput, match=message):
        lg.link(credit, debit, date=DAY)
    assert_same(before, state(lg))


def test_link_refuses_void_invoices_and_a_spent_credit(lg):
    with pytest.raises(BadInput, match="before the invoices it joins"):
        lg.link(CREDIT, "D2", date=dt.date(2026, 10, 31))  # the credit is of 2026-11-01
    lg.link(CREDIT, "D2", date=DAY)
    other = lg.credit("D2", {"I3": None}, allow_paid=True, date=DAY).credit_invoice_id
    with pytest.raises(BadInput, match="the debit invoice is paid"):
        lg.link(other, "D2", date=DAY)
    lg.void(other, date=DAY)
    with pytest.raises(BadInput, match="is void"):
        lg.link(other, "D2", date=DAY)


def test_unlink_ends_the_links_and_keeps_them(lg):
    lg.link(CREDIT, "D2", "2.40", date=DAY)
    lg.link(CREDIT, "D2", "10.00", date=DAY)
    assert head(lg, "D2").status == "paid"
    later = DAY + dt.timedelta(days=3)
    changed = lg.unlink(CREDIT, "D2", date=later)
    assert changed.set_index("invoice_id").loc["D2", "unpaid_after"] == D("12.40")
    assert head(lg, CREDIT).unpaid_amount == D("62.00")
    # never deleted: both links are still there, ended on the unlink day
    assert lg.db.rows("SELECT amount, unlinked_on FROM invoice_links ORDER BY link_id") == [
        (D("2.400"), later), (D("10.000"), later)]
    with pytest.raises(BadInput, match="are not linked"):
        lg.unlink(CREDIT, "D2", date=later)
    assert lg.db.scalar("SELECT count(*) FROM audit_log WHERE command IN ('link', 'unlink')") == 3
    assert_invariants(lg)


def test_unlink_of_a_void_credit_is_refused(lg):
    lg.link(CREDIT, "D2", date=DAY)
    lg.void(CREDIT, date=DAY)
    with pytest.raises(BadInput, match="is void"):
        lg.unlink(CREDIT, "D2", date=DAY)


# -- removing items from a credit invoice --------------------------------------------------------


@pytest.fixture
def manual(make_ledger):
    """An unlinked manual credit of two items (2 licences 10.00 + support 20.00 net)."""
    lg = make_ledger(INVOICES, ITEMS)
    res = lg.credit("D1", {"I1": "2", "I2": None}, date="2026-11-01")
    lg.unlink(res.credit_invoice_id, "D1", date=DAY)
    return lg, res.credit_invoice_id, list(res.items["item_id"])


def test_remove_items_recomputes_the_credit(manual):
    lg, credit, (first, second) = manual
    assert head(lg, credit).total == D("37.20")  # 12.40 + 24.80
    left = lg.remove_items(credit, [second])
    assert list(left["item_id"]) == [first]
    c = head(lg, credit)
    assert (c.total, c.unpaid_amount, c.status) == (D("12.40"), D("12.40"), "unpaid")
    # the support item is creditable again
    assert lg.creditable_items("D1").set_index("item_id").loc["I2", "creditable_amount"] == D("24.80")
    assert_invariants(lg)


def test_remove_items_rules(manual, lg):
    mlg, credit, (first, second) = manual
    before = state(mlg)
    with pytest.raises(BadInput, match="would leave none"):
        mlg.remove_items(credit, [first, second])
    with pytest.raises(BadInput, match="not an item of"):
        mlg.remove_items(credit, ["I1"])
    with pytest.raises(BadInput, match="is a debit invoice"):
        mlg.remove_items("D1", ["I1"])
    assert_same(before, state(mlg))
    mlg.link(credit, "D1", date=DAY)
    with pytest.raises(BadInput, match="active link"):
        mlg.remove_items(credit, [second])
    # a whole-invoice credit is not manual
    full = mlg.credit("D2", date=DAY).credit_invoice_id
    mlg.unlink(full, "D2", date=DAY)
    with pytest.raises(BadInput, match="a full credit; only manually created"):
        mlg.remove_items(full, [f"{full}-001"])
    # the fixture's credit of 10 licences was linked to nothing (D1 paid) but has one item
    with pytest.raises(BadInput, match="would leave none"):
        lg.remove_items(CREDIT, [f"{CREDIT}-001"])


def test_a_spent_credit_cannot_be_linked(make_ledger):
    lg = make_ledger(INVOICES, ITEMS)
    credit = lg.credit("D1", {"I1": "2"}, date="2026-11-01").credit_invoice_id  # 12.40, all on D1
    with pytest.raises(BadInput, match="nothing of the credit is available"):
        lg.link(credit, "D2", date=DAY)


# -- the command line -------------------------------------------------------------------------------


@pytest.fixture
def book(make_ledger):
    """A ledger file (closed, so the command can open it) with credit CN-2026-000001 available."""
    lg = make_ledger(INVOICES, ITEMS, PAID)
    lg.credit("D1", {"I1": None}, allow_paid=True, date="2026-11-01")
    path = lg.path
    lg.close()
    return path


def snapshot(path) -> dict[str, pd.DataFrame]:
    import recon

    with recon.Ledger(path, read_only=True) as lg:
        return state(lg)


def test_cli_link_and_unlink(cli, book):
    code, out, err = cli("link", "--ledger", book, CREDIT, "D2", "--amount", "2.40", "--date", "2026-11-26")
    assert code == 0, err
    assert "D2: unpaid 12.40 EUR -> 10.00 EUR, unpaid -> unpaid" in out
    assert f"{CREDIT}: available 62.00 EUR -> 59.60 EUR, unpaid -> unpaid" in out
    code, out, err = cli("link", "--ledger", book, CREDIT, "D2")  # the rest: 10.00
    assert code == 0 and "10.00 EUR -> 0.00 EUR" in out
    code, out, err = cli("unlink", "--ledger", book, CREDIT, "D2")
    assert code == 0, err
    assert "D2: unpaid 0.00 EUR -> 12.40 EUR, paid -> unpaid" in out


@pytest.mark.parametrize(("args", "message"), [
    ((CREDIT, "D2", "--amount", "12.41"), "--amount '12.41': more than the 12.40 EUR that can be applied"),
    ((CREDIT, "D2", "--amount", "1.001"), "EUR has 2 decimals"),
    ((CREDIT, "D3"), "DEBIT_ID 'D3': belongs to A2 EUR"),
    (("NOPE", "D2"), "CREDIT_ID 'NOPE': unknown invoice"),
    ((CREDIT, "D2", "--date", "2026-13-01"), "--date '2026-13-01' is not a date"),
])
def test_cli_link_bad_input(cli, book, args, message):
    before = snapshot(book)
    code, out, err = cli("link", "--ledger", book, *args)
    assert code == 2 and out == ""
    assert err.startswith("recon link: ") and message in err
    assert len(err.strip().splitlines()) == 1
    assert_same(before, snapshot(book))


def test_cli_unlink_bad_input(cli, book):
    before = snapshot(book)
    code, _, err = cli("unlink", "--ledger", book, CREDIT, "D2")
    assert code == 2 and f"{CREDIT} and D2 are not linked" in err
    assert_same(before, snapshot(book))


def test_cli_remove_items(cli, book, make_ledger):
    lg = make_ledger(INVOICES, ITEMS)
    credit = lg.credit("D1", {"I1": "2", "I2": None}, date="2026-11-01").credit_invoice_id
    path = lg.path
    lg.close()
    before = snapshot(path)
    code, _, err = cli("remove-items", "--ledger", path, credit, f"{credit}-002")
    assert code == 2 and "has 1 active link(s); unlink it first" in err
    assert_same(before, snapshot(path))
    assert cli("unlink", "--ledger", path, credit, "D1")[0] == 0
    code, out, err = cli("remove-items", "--ledger", path, credit, f"{credit}-002")
    assert code == 0, err
    assert out.strip() == f"{credit}: 1 item(s) left, total 12.40 EUR, available 12.40 EUR, unpaid"
    code, _, err = cli("remove-items", "--ledger", path, credit, "NOPE")
    assert code == 2 and f"ITEM_ID 'NOPE': not an item of {credit}" in err
