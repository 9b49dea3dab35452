"""Refunds of available credit (issue 18): worked examples with the numbers beside them,
every refusal leaving the ledger as it was, bulk refunds from a file, and platform
exports that carry refunds as payments on credit invoices.

The ledger (EUR, account ACC-1):

    D0  2026-09-10  due 09-30   50.00  (unpaid: last month's invoice)
    D1  2026-10-01  due 10-31  136.40  I1 10 licences × 8.00 + 24 % = 99.20
                                       I2  3 × support 10.00 + 24 % = 37.20
    P1  2026-10-03  100.00 paid on D1                        -> D1 unpaid 36.40
    CN-2026-000001  2026-10-05: 5 of the 10 licences of I1  = 49.60
                    applied to D1 up to its unpaid 36.40     -> D1 paid, 13.20 available
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pandas as pd
import pytest

from recon.errors import BadInput
from tests.conftest import assert_invariants, assert_same
from tests.conftest import ledger_state as state

INVOICES = """
invoice_id,account_id,type,invoice_date,due_date,currency
D0,ACC-1,debit,2026-09-10,2026-09-30,EUR
D1,ACC-1,debit,2026-10-01,2026-10-31,EUR
J1,ACC-2,debit,2026-10-01,2026-10-31,JPY
"""
ITEMS = """
item_id,invoice_id,line_no,description,quantity,unit_price,tax_rate,net_amount,tax_amount,amount
I0,D0,1,Setup,1,50,0,50.00,0.00,50.00
I1,D1,1,Licence,10,8,0.24,80.00,19.20,99.20
I2,D1,2,Support,3,10,0.24,30.00,7.20,37.20
IJ,J1,1,Plan,3,1000,0.1,3000,300,3300
"""
PAYMENTS = """
payment_id,invoice_id,amount,paid_on
P1,D1,100.00,2026-10-03
"""
CN = "CN-2026-000001"


@pytest.fixture
def lg(make_ledger):
    lg = make_ledger(INVOICES, ITEMS, PAYMENTS)
    res = lg.credit("D1", {"I1": "5"}, reason="Licences returned", date="2026-10-05", allow_paid=True)
    assert res.credit_invoice_id == CN
    return lg


def head(lg, invoice_id):
    return lg.invoice(invoice_id).iloc[0]


def test_a_partly_applied_credit_refunded(lg):
    c = head(lg, CN)
    assert (c.total, c.unpaid_amount, c.status) == (D("49.60"), D("13.20"), "unpaid")   # 49.60 − 36.40
    assert head(lg, "D1").status == "paid"
    res = lg.refund(CN, "10.00", date="2026-10-12", reference="SEPA 4711")
    r = res.refunds.iloc[0]
    assert (r.refund_id, r.amount, r.refunded_on, r.reference) == ("RF-2026-000001", D("10.00"),
                                                                   dt.date(2026, 10, 12), "SEPA 4711")
    ch = res.credits.iloc[0]
    assert (ch.available_before, ch.available_after) == (D("13.20"), D("3.20"))
    assert (ch.status_before, ch.status_after) == ("unpaid", "unpaid")
    # the rest: nothing left available, so the credit is paid (used up)
    res = lg.refund(CN, "3.20", date="2026-10-20")
    assert res.refund_ids == ["RF-2026-000002"]
    assert res.credits.iloc[0].status_after == "paid"
    c = head(lg, CN)
    assert (c.unpaid_amount, c.status) == (D("0.00"), "paid")
    refunds = lg.table("refunds")
    assert refunds["amount"].sum() == D("13.20")
    assert_invariants(lg)
    # the audit says who refunded what
    audit = lg.table("audit_log")
    assert (audit["command"] == "refund").sum() == 2
    # a credit with refunds cannot be voided: the money has left
    with pytest.raises(BadInput, match="has 2 refund"):
        lg.void(CN, date="2026-10-25")


def test_refund_ids_continue_after_imported_ones(lg, tmp_path):
    folder = tmp_path / "more"
    folder.mkdir()
    (folder / "refunds.csv").write_text("refund_id,credit_invoice_id,amount,refunded_on\n"
                                        f"RF-2026-000007,{CN},1.00,2026-10-06\n")
    lg.import_dir(folder, date="2026-10-06")
    assert lg.refund(CN, "1.00", date="2026-10-07").refund_ids == ["RF-2026-000008"]
    # an id of the caller's own is kept; the same id twice is refused
    assert lg.refund(CN, "1.00", date="2026-10-07", refund_id="BANK-1").refund_ids == ["BANK-1"]
    with pytest.raises(BadInput, match="already in the ledger"):
        lg.refund(CN, "1.00", date="2026-10-07", refund_id="BANK-1")


def test_a_dry_run_saves_nothing(lg):
    before = state(lg)
    res = lg.refund(CN, "13.20", date="2026-10-12", dry_run=True)
    assert res.dry_run and res.credits.iloc[0].status_after == "paid"
    assert_same(before, state(lg))


# -- refused, the ledger unchanged -----------------------------------------------------------------


@pytest.mark.parametrize(("credit", "amount", "date", "says"), [
    (CN, "13.21", "2026-10-12", "more than the 13.20 EUR still available on credit invoice " + CN),
    ("D1", "1.00", "2026-10-12", "is a debit invoice"),
    ("NOPE", "1.00", "2026-10-12", "unknown credit invoice"),
    (CN, "-5.00", "2026-10-12", "a refund must be more than 0"),
    (CN, "0", "2026-10-12", "a refund must be more than 0"),
    (CN, "1.005", "2026-10-12", "more decimals than EUR has (2)"),
    (CN, "1.0005", "2026-10-12", "more decimals than any currency has"),
    (CN, "ten", "2026-10-12", "not a number"),
    (CN, "1.00", "2026-10-04", f"dated before credit invoice {CN} (2026-10-05)"),
])
def test_bad_refunds_are_refused_and_change_nothing(lg, credit, amount, date, says):
    before = state(lg)
    with pytest.raises(BadInput) as exc:
        lg.refund(credit, amount, date=date)
    assert says in exc.value.summary()
    assert_same(before, state(lg))


def test_a_float_amount_is_refused(lg):
    with pytest.raises(BadInput, match="binary float"):
        lg.refund(CN, 1.5, date="2026-10-12")


def test_a_refund_in_a_closed_month_is_refused(lg):
    lg.close("2026-09", by="Controller", today=dt.date(2026, 11, 5))
    lg.close("2026-10", by="Controller", today=dt.date(2026, 11, 5))
    before = state(lg)
    with pytest.raises(BadInput, match=r"--date '2026-10-20': dated inside closed period 2026-10 .*"
                                       r"date it in 2026-11 or later"):
        lg.refund(CN, "1.00", date="2026-10-20")
    assert_same(before, state(lg))
    lg.refund(CN, "1.00", date="2026-11-01")   # the first open day
    assert head(lg, CN).unpaid_amount == D("12.20")


def test_never_more_than_was_available_on_the_refund_day(lg):
    # unapplied on 10-25, the credit has all its 49.60 available today; on 10-12 only 13.20
    lg.unlink(CN, "D1", date="2026-10-25")
    assert head(lg, CN).unpaid_amount == D("49.60")
    before = state(lg)
    with pytest.raises(BadInput) as exc:
        lg.refund(CN, "40.00", date="2026-10-12")
    assert f"credit invoice {CN} would be overdrawn on 2026-10-12" in exc.value.summary()
    assert_same(before, state(lg))
    lg.refund(CN, "40.00", date="2026-10-25")   # the day it came back
    assert head(lg, CN).unpaid_amount == D("9.60")
    assert_invariants(lg)


def test_a_void_credit_has_nothing_to_refund(lg):
    lg.void(CN, date="2026-10-06")
    before = state(lg)
    with pytest.raises(BadInput, match=r"the credit invoice is void \(since 2026-10-06\)"):
        lg.refund(CN, "1.00", date="2026-10-07")
    assert_same(before, state(lg))


def test_minor_units_of_other_currencies(lg):
    res = lg.credit("J1", {"IJ": "1"}, date="2026-10-02", allow_paid=True)  # 1100 JPY applied to J1
    lg.unlink(res.credit_invoice_id, "J1", date="2026-10-03")
    with pytest.raises(BadInput, match=r"more decimals than JPY has \(0\)"):
        lg.refund(res.credit_invoice_id, "0.50", date="2026-10-04")
    assert lg.refund(res.credit_invoice_id, "1100", date="2026-10-04").credits.iloc[0].status_after == "paid"


# -- a file of refunds ----------------------------------------------------------------------------


def test_bulk_refunds_all_or_nothing_with_rejects_and_a_batch(lg, tmp_path):
    lg.unlink(CN, "D1", date="2026-10-06")   # 49.60 available
    good = tmp_path / "refunds.csv"
    good.write_text("credit_invoice_id,amount,refunded_on,reference\n"
                    f"{CN},20.00,2026-10-07,first\n"
                    f"{CN},29.60,,rest\n")           # no date: the run's --date
    res = lg.refund_file(good, date="2026-10-08")
    assert res.refund_ids == ["RF-2026-000001", "RF-2026-000002"]
    assert res.refunds["refunded_on"].tolist() == [dt.date(2026, 10, 7), dt.date(2026, 10, 8)]
    assert res.totals == {"EUR": D("49.60")} and res.credits.iloc[0].status_after == "paid"
    assert res.batch_id.startswith("refunds-")
    # the same file again: nothing changes
    before = state(lg)
    again = lg.refund_file(good, date="2026-10-08")
    assert again.already_applied and "already applied" in again.summary()
    assert_same(before, state(lg))


def test_a_bad_row_refuses_the_whole_file(lg, tmp_path):
    lg.unlink(CN, "D1", date="2026-10-06")   # 49.60 available
    bad = tmp_path / "refunds.csv"
    bad.write_text("credit_invoice_id,amount,refunded_on\n"
                   f"{CN},30.00,2026-10-07\n"       # row 2: good alone
                   f"{CN},30.00,2026-10-07\n"       # row 3: 19.60 left after row 2
                   "D1,1.00,2026-10-07\n"           # row 4: a debit
                   f"{CN},abc,2026-10-07\n")        # row 5: not a number
    before = state(lg)
    with pytest.raises(BadInput) as exc:
        lg.refund_file(bad)
    assert_same(before, state(lg))
    by_row = {p.row: p for p in exc.value.problems}
    assert sorted(by_row) == [3, 4, 5]
    assert by_row[3].reason == f"more than the 19.60 EUR still available on credit invoice {CN}"
    assert by_row[4].column == "credit_invoice_id" and "debit invoice" in by_row[4].reason
    assert by_row[5].column == "amount" and by_row[5].value == "abc"
    rejects = pd.read_csv(tmp_path / "refunds.rejects.csv", dtype=str)
    assert rejects["row"].tolist() == ["3", "4", "5"]
    assert rejects["credit_invoice_id"].tolist() == [CN, "D1", CN]


def test_bulk_refunds_from_a_dataframe(lg):
    frame = pd.DataFrame({"credit_invoice_id": [CN], "amount": [D("13.20")], "reference": ["x"]})
    res = lg.refund_file(frame, date="2026-10-09", batch_id="B-1")
    assert res.batch_id == "B-1" and res.credits.iloc[0].status_after == "paid"
    assert lg.refund_file(frame, date="2026-10-09", batch_id="B-1").already_applied


# -- platform exports with refunds as payments on credit invoices ----------------------------------


def credit_export(tmp_path, payments: str):
    """A platform export of credit invoice PC1 (12.40 EUR, crediting I2 of ACC-1) with these
    payments rows."""
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "invoices.csv").write_text("invoice_id,account_id,type,invoice_date,currency\n"
                                         "PC1,ACC-1,credit,2026-10-06,EUR\n")
    (folder / "invoice_items.csv").write_text(
        "item_id,invoice_id,line_no,description,quantity,unit_price,tax_rate,net_amount,tax_amount,amount,"
        "credited_item_id\nPC1-1,PC1,1,Support,1,10,0.24,10.00,2.40,12.40,I2\n")
    (folder / "payments.csv").write_text("payment_id,invoice_id,amount,paid_on\n" + payments)
    return folder


def test_a_payment_on_a_credit_invoice_is_imported_as_a_refund(make_ledger, tmp_path):
    lg = make_ledger(INVOICES, ITEMS, PAYMENTS)
    folder = credit_export(tmp_path, "P2,D1,5.00,2026-10-07\n"
                                     "PAY-9,PC1,12.40,2026-10-08\n")    # money back to ACC-1
    counts = lg.import_dir(folder, date="2026-10-08")
    assert (counts["payments"], counts["refunds"], counts["payments_as_refunds"]) == (1, 1, 1)
    r = lg.table("refunds").iloc[0]
    assert (r.refund_id, r.credit_invoice_id, r.amount, r.refunded_on) == (
        "PAY-9", "PC1", D("12.40"), dt.date(2026, 10, 8))
    assert head(lg, "PC1").status == "paid" and head(lg, "PC1").unpaid_amount == 0
    assert lg.table("payments")["payment_id"].tolist() == ["P1", "P2"]
    assert_invariants(lg)


def test_a_refund_payment_beyond_the_credit_is_refused_naming_the_payments_file(make_ledger, tmp_path):
    lg = make_ledger(INVOICES, ITEMS, PAYMENTS)
    folder = credit_export(tmp_path, "PAY-9,PC1,20.00,2026-10-07\n")
    before = state(lg)
    with pytest.raises(BadInput) as exc:
        lg.import_dir(folder, date="2026-10-08")
    assert_same(before, state(lg))
    assert ("payments.csv, row 2, column amount, value '20.00': links and refunds of credit invoice exceed "
            "its total (12.400)") in exc.value.summary(), exc.value.summary()
    # dated before its credit: named by the payments file's own column
    (folder / "payments.csv").write_text("payment_id,invoice_id,amount,paid_on\n"
                                         "PAY-9,PC1,2.00,2026-10-05\n")
    with pytest.raises(BadInput) as exc:
        lg.import_dir(folder, date="2026-10-08")
    assert ("payments.csv, row 2, column paid_on, value '2026-10-05': refund dated before its credit "
            "invoice (2026-10-06)") in exc.value.summary()
    assert_same(before, state(lg))
