"""The customer's side (issue 18): balances, statements and the month-end report's credit
roll-forward, on the worked example of tests/test_refunds.py, numbers beside them.

    D0  2026-09-10  due 09-30   50.00  unpaid: the opening balance of October
    D1  2026-10-01  due 10-31  136.40
    P1  2026-10-03  100.00 paid on D1                          -> D1 unpaid 36.40
    CN  2026-10-05  credit of 5 licences, 49.60, 36.40 applied -> D1 paid, 13.20 available
    RF-2026-000001  2026-10-12  10.00 refunded                 -> 3.20 available
    RF-2026-000002  2026-10-20   3.20 refunded                 -> CN paid, nothing available
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pandas as pd
import pytest

from recon.errors import BadInput
from tests.test_refunds import CN, INVOICES, ITEMS, PAYMENTS


@pytest.fixture
def lg(make_ledger):
    lg = make_ledger(INVOICES, ITEMS, PAYMENTS)
    lg.credit("D1", {"I1": "5"}, reason="Licences returned", date="2026-10-05", allow_paid=True)
    lg.refund(CN, "10.00", date="2026-10-12", reference="SEPA 4711")
    lg.refund(CN, "3.20", date="2026-10-20")
    return lg


def values(df: pd.DataFrame) -> list[list]:
    """Rows as lists, an empty cell as None."""
    return [[None if pd.isna(v) else v for v in r] for r in df.astype(object).values.tolist()]


def row(df: pd.DataFrame, **match) -> pd.Series:
    m = pd.Series(True, index=df.index)
    for k, v in match.items():
        m &= df[k] == v
    assert m.sum() == 1, (match, df)
    return df[m].iloc[0]


# -- balances ---------------------------------------------------------------------------------------


def test_balance_in_the_middle_of_the_month(lg):
    b = row(lg.balance("ACC-1", as_of="2026-10-15"), currency="EUR")
    assert b.unpaid_debits == D("50.00")          # D0; D1 is paid
    assert b.credit_available == D("3.20")        # 49.60 − 36.40 applied − 10.00 refunded
    assert b.overpaid == 0
    assert b.net_receivable == D("46.80")         # 50.00 − 3.20
    assert (b.unpaid_invoices, b.credits_available) == (1, 1)
    assert b.oldest_due_date == dt.date(2026, 9, 30) and b.days_past_due == 15
    assert (b.current, b.days_1_30, b.days_31_60, b.days_61_90, b.days_over_90) == (0, D("50.00"), 0, 0, 0)


def test_balance_of_the_whole_ledger_who_owes_most_first(lg):
    whole = lg.balance(as_of="2026-10-31")
    assert whole[["account_id", "currency", "net_receivable"]].values.tolist() == [
        ["ACC-1", "EUR", D("50.00")],             # D0 only: CN was refunded in full
        ["ACC-2", "JPY", D("3300")]]              # J1
    assert row(whole, account_id="ACC-1").days_31_60 == D("50.00")   # due 09-30: 31 days
    # before anything happened: nothing; the JPY account alone
    assert lg.balance(as_of="2026-09-01").empty
    assert lg.balance(currency="jpy", as_of="2026-10-31")["account_id"].tolist() == ["ACC-2"]


def test_an_overpayment_lowers_what_the_customer_owes(make_ledger):
    lg = make_ledger(INVOICES, ITEMS, PAYMENTS + "P2,D1,40.00,2026-10-04\n")  # 140.00 paid on 136.40
    b = row(lg.balance("ACC-1", as_of="2026-10-31"), currency="EUR")
    assert (b.unpaid_debits, b.overpaid, b.net_receivable) == (D("50.00"), D("3.60"), D("46.40"))


def test_balance_refuses_an_unknown_account_or_currency(lg):
    with pytest.raises(BadInput, match=r"account 'ACC-9': no invoices .*the closest: ACC-1, ACC-2"):
        lg.balance("ACC-9")
    with pytest.raises(BadInput, match="--currency 'EURO'"):
        lg.balance("ACC-1", currency="EURO")


def test_balances_written_as_csv_and_xlsx(lg, tmp_path):
    from openpyxl import load_workbook

    from recon.balances import write

    df = lg.balance(as_of="2026-10-31")
    text = write(df, tmp_path / "b.csv").read_text()
    assert text.splitlines()[1].startswith("ACC-1,,EUR,50.00,0.00,0.00,50.00,1,0,2026-09-30,31,")
    ws = load_workbook(write(df, tmp_path / "b.xlsx"))["Balances"]
    header = [c.value for c in ws[1]]
    assert header[header.index("Net receivable")] and "1–30 days" in header
    with pytest.raises(BadInput, match="a .csv or .xlsx"):
        write(df, tmp_path / "b.txt")


# -- the statement ----------------------------------------------------------------------------------


def test_statement_of_october(lg):
    st = lg.statement("ACC-1", "2026-10-01", "2026-10-31")
    lines = st.lines("EUR")
    assert values(lines[["event", "invoice_id", "reference", "amount", "credit_applied", "balance"]]) == [
        ["opening balance", None, None, None, None, D("50.00")],               # D0
        ["invoice issued", "D1", None, D("136.40"), None, D("186.40")],
        ["payment", "D1", "P1", D("-100.00"), None, D("86.40")],
        ["credit issued", CN, None, D("-49.60"), None, D("36.80")],
        ["credit applied", CN, "D1", D("0.00"), D("36.40"), D("36.80")],        # moves no money
        ["refund", CN, "RF-2026-000001", D("10.00"), None, D("46.80")],
        ["refund", CN, "RF-2026-000002", D("3.20"), None, D("50.00")],
        ["closing balance", None, None, None, None, D("50.00")],
    ]
    assert lines["event_date"].tolist()[1:-1] == [dt.date(2026, 10, d) for d in (1, 3, 5, 5, 12, 20)]
    s = row(st.summary, currency="EUR")
    assert (s.opening_balance, s.invoiced, s.credited, s.payments, s.refunds, s.voids) == (
        D("50.00"), D("136.40"), D("-49.60"), D("-100.00"), D("13.20"), 0)
    assert s.closing_balance == s.balance_at_end == D("50.00") and s.difference == 0 and st.ties
    assert row(st.aging, currency="EUR").days_31_60 == D("50.00")
    assert st.account_id == "ACC-1" and list(st.summary["currency"]) == ["EUR"]   # ACC-1 has no JPY


def test_a_statement_closes_on_the_balance_of_its_last_day(lg):
    st = lg.statement("ACC-1", "2026-10-01", "2026-10-15")
    s = row(st.summary, currency="EUR")
    assert s.closing_balance == D("46.80") == row(lg.balance("ACC-1", as_of="2026-10-15"),
                                                  currency="EUR").net_receivable
    nov = lg.statement("ACC-1", "2026-10-16", "2026-11-30")
    assert row(nov.summary, currency="EUR").opening_balance == D("46.80")


def test_a_past_statement_never_changes(lg):
    before = lg.statement("ACC-1", "2026-10-01", "2026-10-31")
    lg.credit("D0", reason="Setup waived", date="2026-11-03")
    lg.void("CN-2026-000002", date="2026-11-04")
    after = lg.statement("ACC-1", "2026-10-01", "2026-10-31")
    for name in ("summary", "events"):
        pd.testing.assert_frame_equal(getattr(before, name), getattr(after, name), obj=name)
    nov = lg.statement("ACC-1", "2026-11-01", "2026-11-30")
    assert nov.events["event"].tolist() == ["credit issued", "credit applied", "credit unapplied",
                                            "credit voided"]
    # the void gives back what the credit held: D0 is owed again
    s = row(nov.summary, currency="EUR")
    assert (s.opening_balance, s.credited, s.voids, s.closing_balance) == (
        D("50.00"), D("-50.00"), D("50.00"), D("50.00"))
    assert nov.ties


def test_statement_refusals(lg):
    with pytest.raises(BadInput, match="--to 2026-09-30 is before --from 2026-10-01"):
        lg.statement("ACC-1", "2026-10-01", "2026-09-30")
    with pytest.raises(BadInput, match="no invoices"):
        lg.statement("NOBODY", "2026-10-01", "2026-10-31")
    with pytest.raises(BadInput, match="--from 'October' is not a date"):
        lg.statement("ACC-1", "October", "2026-10-31")


def test_statement_files_printable_workbook_csv(lg, tmp_path):
    from openpyxl import load_workbook

    st = lg.statement("ACC-1", "2026-10-01", "2026-10-31", out=tmp_path / "st")
    page = st.paths["html"].read_text(encoding="utf-8")
    assert st.paths["html"].name == "statement-ACC-1-2026-10-01-2026-10-31.html"
    assert "Statement of account ACC-1" in page and "2026-10-01 to 2026-10-31" in page
    assert "size:A4 portrait" in page and "<script" not in page
    assert "50.00 EUR owed by the customer" in page
    csv = st.paths["lines"].read_text().splitlines()
    assert csv[0] == "currency,event_date,event,invoice_id,reference,detail,amount,credit_applied,balance"
    assert "EUR,2026-10-12,refund,CN-2026-000001,RF-2026-000001,SEPA 4711,10.00,,46.80" in csv
    wb = load_workbook(st.paths["xlsx"])
    assert wb.sheetnames == ["Statement", "Lines", "Summary", "Aging"]
    lines = list(wb["Lines"].iter_rows(values_only=True))
    assert lines[0][-1] == "Balance" and lines[-1][2] == "closing balance" and lines[-1][-1] == 50.0


# -- the month-end report ---------------------------------------------------------------------------


def test_report_credit_rollforward_and_refunds(lg):
    rep = lg.report("2026-10")
    cr = row(rep.credit_rollforward, currency="EUR")
    assert cr.opening_available == 0
    assert cr.issued == D("49.60")                 # CN's items, 10-05
    assert cr.applied == D("-36.40")               # to D1
    assert cr.refunded == D("-13.20")              # 10.00 + 3.20
    assert (cr.unapplied, cr.voided) == (0, 0)
    assert cr.closing_available == cr.available_at_period_end == 0 and cr.difference == 0
    assert values(rep.refunds[["refund_id", "amount", "reference"]]) == [
        ["RF-2026-000001", D("10.00"), "SEPA 4711"], ["RF-2026-000002", D("3.20"), None]]
    assert rep.ties and rep.exit_code == 0


def test_items_added_later_to_an_older_credit_count_in_the_month_they_were_added(lg):
    # November: 2 support lines of D1 added to October's CN (D1 is paid: they stay
    # available), CN taken off D1, then the added item removed again
    lg.credit("D1", {"I2": "2"}, into=CN, date="2026-11-10", allow_paid=True)   # 2 × 12.40
    item = lg.table("invoice_items").query("invoice_id == @CN")["item_id"].max()
    oct_, mid = lg.report("2026-10"), lg.report("2026-11")
    assert row(oct_.credit_rollforward, currency="EUR").issued == D("49.60")
    assert row(mid.credit_rollforward, currency="EUR").issued == D("24.80")   # in November
    lg.unlink(CN, "D1", date="2026-11-15")
    lg.remove_items(CN, [item], date="2026-11-20")
    n = row(lg.report("2026-11").credit_rollforward, currency="EUR")
    assert n.issued == 0                            # 24.80 added − 24.80 removed
    assert n.unapplied == D("36.40")                # CN off D1
    assert n.closing_available == n.available_at_period_end == D("36.40") and n.difference == 0
    pd.testing.assert_frame_equal(oct_.credit_rollforward, lg.report("2026-10").credit_rollforward)


def test_the_gl_tie_out_counts_refunds(lg, tmp_path):
    # at October's end the subledger is D0's 50.00: the refunds took CN's last 13.20
    # available back out; a GL that forgot them differs by exactly their sum
    gl = tmp_path / "gl.csv"
    gl.write_text("currency,balance\nEUR,50.00\nJPY,3300\n")
    assert (lg.report("2026-10", gl=gl).gl["difference"] == 0).all()
    gl.write_text("currency,balance\nEUR,36.80\nJPY,3300\n")
    g = row(lg.report("2026-10", gl=gl).gl, currency="EUR")
    assert g.difference == D("-13.20")
    # the subledger balance is the sum of the accounts' net receivable
    total = lg.balance(currency="EUR", as_of="2026-10-31")["net_receivable"].sum()
    assert g.subledger_balance == total


def test_a_refund_dated_before_its_credit_is_an_exception(lg):
    lg.db.execute("UPDATE refunds SET refunded_on = DATE '2026-09-20' WHERE refund_id = 'RF-2026-000002'")
    rep = lg.report("2026-10")
    # it counts from CN's own date, as the as-of state sees it: the roll-forward still ties
    assert rep.ties and row(rep.credit_rollforward, currency="EUR").refunded == D("-13.20")
    # ... and the ledger says what is wrong: a refund before its credit, which on 09-20
    # had nothing to refund
    assert set(rep.exceptions["rule"]) == {"refund_mismatch", "credit_overdrawn"}
    assert rep.exit_code == 1


def test_a_reversed_payment_is_owed_again_and_a_later_due_date_change_leaves_october_alone(make_ledger):
    # D1 136.40, P1 100.00 paid on 10-03 and given back by the bank on 10-09: 136.40 owed again
    lg = make_ledger(INVOICES, ITEMS, PAYMENTS.replace("paid_on\n", "paid_on,reversed_on\n")
                     .replace("2026-10-03\n", "2026-10-03,2026-10-09\n"))
    st = lg.statement("ACC-1", "2026-10-01", "2026-10-31")
    assert values(st.events[["event_date", "event", "reference", "amount", "balance"]]) == [
        [dt.date(2026, 10, 1), "invoice issued", None, D("136.40"), D("186.40")],   # 50.00 + 136.40
        [dt.date(2026, 10, 3), "payment", "P1", D("-100.00"), D("86.40")],
        [dt.date(2026, 10, 9), "payment reversed", "P1", D("100.00"), D("186.40")],
    ]
    assert st.ties and row(st.summary, currency="EUR").payments == D("0.00")
    assert row(lg.balance("ACC-1", as_of="2026-10-31"), currency="EUR").net_receivable == D("186.40")
    # the platform moves D1's due date in November: October's statement says 'due 2026-10-31' still
    with lg.db.transaction():  # as `recon import --update` writes it (overlap.py)
        lg.db.execute("INSERT INTO due_date_changes VALUES ('D1', DATE '2026-11-02', DATE '2026-10-31',"
                      " DATE '2026-11-30')")
        lg.db.execute("UPDATE invoices SET due_date = DATE '2026-11-30' WHERE invoice_id = 'D1'")
    after = lg.statement("ACC-1", "2026-10-01", "2026-10-31")
    pd.testing.assert_frame_equal(st.events, after.events)
    assert row(after.events, event="invoice issued").detail == "due 2026-10-31"
