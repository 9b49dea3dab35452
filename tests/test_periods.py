"""Closed months stay closed (issue 12): every change a dated fact, period close with
sign-off, a closed month locked, its report as signed off, exceptions as of the period.

A small ledger, October 2026 the month we close. Numbers beside each step.

    D1  ACC-1  2026-10-01  100.00 EUR (I1: 10 licences × 8.00 + 25 % tax)
    D2  ACC-1  2026-10-05   50.00 EUR (I2: 1 × 40.00 + 25 %)
    D3  ACC-2  2026-10-10   20.00 EUR (I3: 2 × 8.00 + 25 %)
"""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal as D

import pandas as pd
import pytest

import recon
from recon.errors import BadInput
from recon.periods import table_digests
from tests.conftest import assert_invariants, assert_same
from tests.conftest import ledger_state as state

INVOICES = """
invoice_id,account_id,type,invoice_date,due_date,currency
D1,ACC-1,debit,2026-10-01,2026-10-31,EUR
D2,ACC-1,debit,2026-10-05,2026-11-04,EUR
D3,ACC-2,debit,2026-10-10,2026-11-09,EUR
"""
ITEMS = """
item_id,invoice_id,line_no,description,quantity,unit_price,tax_rate,net_amount,tax_amount,amount
I1,D1,1,Licence,10,8,0.25,80.00,20.00,100.00
I2,D2,1,Support,1,40,0.25,40.00,10.00,50.00
I3,D3,1,Storage,2,8,0.25,16.00,4.00,20.00
"""
OCT = "2026-10"


def report_tables(lg, period=OCT):
    rep = lg.report(period)
    return {k: v for k, v in rep.tables.items() if k != "gl"}


def assert_tables_equal(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], obj=name)


def unpaid(lg, invoice_id):
    return lg.invoice(invoice_id).iloc[0].unpaid_amount


@pytest.fixture
def lg(make_ledger):
    return make_ledger(INVOICES, ITEMS)


# -- every change is a dated fact: the cases of the issue ------------------------------------------


def test_automatic_application_at_a_later_import_is_dated_that_day(lg, tmp_path):
    # C: 3 licences of D1 credited (30.00 incl. tax) on D1 paid first -> the credit stays available
    lg.db.execute("INSERT INTO payments (payment_id, invoice_id, amount, paid_on) VALUES ('P1', 'D1', 100.00, DATE '2026-10-02')")
    lg.db.touch("SELECT 'D1'")
    lg.db.recompute()
    credit = lg.credit("D1", {"I1": "3"}, allow_paid=True, date="2026-10-20").credit_invoice_id
    assert unpaid(lg, credit) == D("30.00")  # 3/10 of 80.00 net + 25 % = 30.00, available
    before = report_tables(lg)
    # December: a new debit of ACC-1 arrives; the available credit is applied that day
    folder = tmp_path / "dec"
    folder.mkdir()
    (folder / "invoices.csv").write_text("invoice_id,account_id,type,invoice_date,currency\n"
                                         "D9,ACC-1,debit,2026-12-01,EUR\n")
    (folder / "invoice_items.csv").write_text(
        "item_id,invoice_id,line_no,description,quantity,unit_price,tax_rate,net_amount,tax_amount,amount\n"
        "I9,D9,1,Plan,1,40,0.25,40.00,10.00,50.00\n")
    counts = lg.import_dir(folder, date="2026-12-03")
    assert counts["credits_applied"] == 1
    # the platform's rule: the account's oldest unpaid debit first, D2 (50.00)
    link = lg.db.rows("SELECT debit_invoice_id, amount, linked_on FROM invoice_links")
    assert link == [("D2", D("30.000"), dt.date(2026, 12, 3))]  # the import's day, not 10-20
    assert unpaid(lg, "D2") == D("20.00")
    assert_tables_equal(before, report_tables(lg))  # October reads as before
    assert_invariants(lg)


def test_items_added_in_november_to_an_october_credit_count_in_november(lg):
    credit = lg.credit("D1", {"I1": "2"}, date="2026-10-20").credit_invoice_id  # 20.00
    before = report_tables(lg)
    lg.credit("D2", {"I2": None}, into=credit, date="2026-11-05")  # + 50.00 on 11-05
    assert lg.invoice(credit).iloc[0].total == D("70.00")
    added = lg.db.rows("SELECT line_no, added_on FROM invoice_items WHERE invoice_id = $c ORDER BY 1",
                       {"c": credit})
    assert added == [(1, dt.date(2026, 10, 20)), (2, dt.date(2026, 11, 5))]
    after = report_tables(lg)
    assert_tables_equal(before, after)
    assert after["credits_issued"]["total"].tolist() == [D("20.000")]
    # November sees the 50.00 applied to D2
    nov = lg.report("2026-11").tables["rollforward"].iloc[0]
    assert nov.credits_applied == D("-50.000")
    assert_invariants(lg)


def test_items_cannot_be_added_before_the_credit_invoice_date(lg):
    credit = lg.credit("D1", {"I1": "2"}, date="2026-10-20").credit_invoice_id
    before = state(lg)
    with pytest.raises(BadInput, match=r"before the credit invoice itself \(2026-10-20\)"):
        lg.credit("D2", {"I2": None}, into=credit, date="2026-10-19")
    assert_same(before, state(lg))


def test_unlink_and_removal_in_november_leave_october_as_it_was(lg, tmp_path):
    credit = lg.credit("D1", {"I1": "1"}, date="2026-10-20").credit_invoice_id  # 10.00
    lg.credit("D2", {"I2": None}, into=credit, date="2026-10-21")               # + 50.00
    assert unpaid(lg, "D1") == D("90.00")
    gl = tmp_path / "gl.csv"
    gl.write_text("currency,balance\nEUR,110.00\n")  # 90.00 + 0 (D2 paid) + 20.00 (D3)
    before = lg.report(OCT, gl=gl)
    assert before.exit_code == 0
    lg.unlink(credit, "D2", date="2026-11-03")
    lg.unlink(credit, "D1", date="2026-11-03")  # (removal needs no active link)
    lg.remove_items(credit, [f"{credit}-002"], date="2026-11-04")
    assert lg.invoice(credit).iloc[0].total == D("10.00")
    after = lg.report(OCT, gl=gl)
    for name in before.tables:
        pd.testing.assert_frame_equal(before.tables[name], after.tables[name], obj=name)
    assert after.exit_code == 0  # the GL still ties for October
    # the removed item is kept with its day
    assert lg.db.rows("SELECT item_id, removed_on FROM removed_items") == [
        (f"{credit}-002", dt.date(2026, 11, 4))]
    assert_invariants(lg)


def test_unlink_dated_before_its_link_is_refused_not_redated(lg):
    credit = lg.credit("D1", {"I1": "1"}, date="2026-10-20").credit_invoice_id
    before = state(lg)
    with pytest.raises(BadInput, match=r"--date 2026-10-19: before the link's own date 2026-10-20"):
        lg.unlink(credit, "D1", date="2026-10-19")
    assert_same(before, state(lg))


def test_removal_dated_before_the_unlink_is_refused(lg):
    credit = lg.credit("D1", {"I1": "1"}, date="2026-10-20").credit_invoice_id
    lg.credit("D2", {"I2": None}, into=credit, date="2026-10-21")
    lg.unlink(credit, "D1", date="2026-11-03")
    lg.unlink(credit, "D2", date="2026-11-03")
    before = state(lg)
    with pytest.raises(BadInput, match=r"date the removal on or after 2026-11-03"):
        lg.remove_items(credit, [f"{credit}-002"], date="2026-11-02")
    assert_same(before, state(lg))


def test_void_dated_before_its_links_is_refused(lg):
    credit = lg.credit("D1", {"I1": "1"}, date="2026-10-20").credit_invoice_id
    before = state(lg)
    with pytest.raises(BadInput, match=r"date the void on or after 2026-10-20"):
        lg.void(credit, date="2026-10-19")
    assert_same(before, state(lg))
    lg.void(credit, date="2026-11-02")
    assert lg.db.rows("SELECT unlinked_on FROM invoice_links") == [(dt.date(2026, 11, 2),)]


def test_a_link_that_would_overdraw_a_past_day_is_refused(lg):
    # C 20.00 on 10-20 (2 licences) with nothing linked: D1 paid first
    lg.db.execute("INSERT INTO payments (payment_id, invoice_id, amount, paid_on) VALUES ('P1', 'D1', 100.00, DATE '2026-10-02')")
    lg.db.touch("SELECT 'D1'")
    lg.db.recompute()
    credit = lg.credit("D1", {"I1": "2"}, allow_paid=True, date="2026-10-20").credit_invoice_id
    lg.credit("D1", {"I1": "2"}, allow_paid=True, into=credit, date="2026-11-10")  # + 20.00
    assert unpaid(lg, credit) == D("40.00")
    before = state(lg)
    # 40.00 to D2 dated 10-25: on 10-25 the credit held only 20.00
    with pytest.raises(BadInput, match=r"would be overdrawn on 2026-10-25"):
        lg.link(credit, "D2", "40.00", date="2026-10-25")
    assert_same(before, state(lg))
    lg.link(credit, "D2", "40.00", date="2026-11-10")  # from the day the credit has it
    assert_invariants(lg)


def test_exceptions_describe_the_ledger_as_of_the_period(lg):
    lg.credit("D1", {"I1": "1"}, date="2026-10-20")
    # a breach made in November: D1 voided behind recon's back while the credit is linked
    lg.db.execute("UPDATE invoices SET voided_on = DATE '2026-11-15' WHERE invoice_id = 'D1'")
    lg.db.recompute(everything=True)
    oct_rep = lg.report(OCT)
    assert oct_rep.tables["exceptions"].empty  # October's ledger broke no rule
    assert "link_on_void" in set(oct_rep.current_exceptions["rule"])  # today's does, shown apart
    assert "link_on_void" in set(lg.report("2026-11").tables["exceptions"]["rule"])


# -- close, the lock, reopen --------------------------------------------------------------------------


def closed_ledger(lg):
    lg.credit("D1", {"I1": "1"}, date="2026-10-20")
    lg.close(OCT, by="Maria Rossi")
    return lg


def test_close_stores_who_when_and_a_digest_of_the_report(lg):
    closed_ledger(lg)
    months = lg.periods()
    row = months[months["period"] == OCT].iloc[0]
    assert (row.state, row.closed_by) == ("closed", "Maria Rossi")
    stored = lg.db.rows("SELECT table_digests FROM period_closes")[0][0]
    import json

    assert json.loads(stored) == table_digests(lg.report(OCT).tables)
    events = lg.db.rows("SELECT period, action, by_name FROM period_events")
    assert events == [(OCT, "close", "Maria Rossi")]


def test_report_of_a_closed_month_reads_as_signed_off(lg):
    closed_ledger(lg)
    lg.credit("D2", {"I2": None}, date="2026-11-02")  # November activity
    rep = lg.report(OCT)
    close = rep.meta["close"]
    assert close["state"] == "closed" and close["closed_by"] == "Maria Rossi"
    assert close["digest_matches"] and close["changed_tables"] == []
    assert rep.exit_code == 0


def test_report_of_a_closed_month_that_changed_names_the_table(lg):
    closed_ledger(lg)
    # a change behind recon's back: a payment dated in October
    lg.db.execute("INSERT INTO payments (payment_id, invoice_id, amount, paid_on) VALUES ('PX', 'D2', 5.00, DATE '2026-10-06')")
    rep = lg.report(OCT)
    assert rep.exit_code == 1
    assert not rep.meta["close"]["digest_matches"]
    changed = rep.tables["exceptions"]
    changed = changed[changed["rule"] == "closed_report_changed"]
    assert "table rollforward differs from the one signed off" in " ".join(changed["detail"])


def test_a_closed_month_refuses_every_change_dated_in_it(lg, tmp_path):
    closed_ledger(lg)
    credit = "CN-2026-000001"
    before = state(lg)
    why = r"closed period 2026-10 \(closed on \d{4}-\d\d-\d\d by Maria Rossi\)"
    with pytest.raises(BadInput, match="dated inside closed period 2026-10"):
        lg.credit("D2", {"I2": "1"}, date="2026-10-25")
    with pytest.raises(BadInput, match=why):
        lg.void(credit, date="2026-10-30")
    with pytest.raises(BadInput, match="the unlink date 2026-10-31 falls in " + why
                       + "; date it in 2026-11 or later, or reopen 2026-10"):
        lg.unlink(credit, "D1", date="2026-10-31")
    corrections = tmp_path / "fix.csv"
    corrections.write_text("debit_invoice_id,item_id,quantity,reason,credit_date\n"
                           "D2,I2,1,ok,2026-11-02\nD3,I3,1,late,2026-10-30\n")
    with pytest.raises(BadInput) as exc:
        lg.apply(corrections)
    assert [(p.row, p.column, p.code) for p in exc.value.problems] == [(3, "credit_date", "period_closed")]
    assert "reopen" in exc.value.problems[0].fix
    folder = tmp_path / "late"
    folder.mkdir()
    (folder / "payments.csv").write_text("payment_id,invoice_id,amount,paid_on\nP7,D2,5.00,2026-10-30\n")
    with pytest.raises(BadInput) as exc:
        lg.import_dir(folder)
    assert [(p.row, p.column, p.code) for p in exc.value.problems] == [(2, "paid_on", "period_closed")]
    assert_same(before, state(lg))
    # dated in November, the same changes go through
    lg.unlink(credit, "D1", date="2026-11-01")
    lg.void(credit, date="2026-11-02")
    assert lg.report(OCT).meta["close"]["digest_matches"]


def test_months_close_in_order_and_reopen_in_reverse(lg):
    lg.credit("D1", {"I1": "1"}, date="2026-10-20")
    lg.credit("D2", {"I2": "1"}, date="2026-11-20")
    before = state(lg)
    with pytest.raises(BadInput, match="earlier months with activity are open: 2026-10"):
        lg.close("2026-11", by="Maria")
    assert_same(before, state(lg))
    lg.close(OCT, by="Maria")
    lg.close("2026-11", by="Maria")
    with pytest.raises(BadInput, match="while the later month 2026-11 is closed; reopen 2026-11 first"):
        lg.reopen(OCT, by="Maria", reason="late invoice")
    with pytest.raises(BadInput, match="--reason"):
        lg.reopen("2026-11", by="Maria", reason=" ")
    lg.reopen("2026-11", by="Paul", reason="late invoice from the platform")
    lg.reopen(OCT, by="Paul", reason="late invoice from the platform")
    assert lg.periods()["state"].tolist() == ["open", "open"]
    assert [r[1] for r in lg.db.rows("SELECT period, action FROM period_events ORDER BY event_id")] == [
        "close", "close", "reopen", "reopen"]


def test_a_month_that_does_not_tie_or_has_exceptions_cannot_be_closed(lg):
    lg.credit("D1", {"I1": "1"}, date="2026-10-20")
    lg.db.execute("UPDATE invoices SET total = 1 WHERE invoice_id = 'D3'")  # a stored total gone wrong
    before = state(lg)
    with pytest.raises(BadInput, match=r"2026-10 cannot be closed: 1 exception\(s\) as of 2026-10-31: "
                       r"stored_total 1; see `recon report --period 2026-10`"):
        lg.close(OCT, by="Maria")
    assert_same(before, state(lg))


def test_a_month_not_yet_ended_cannot_be_closed(lg):
    month = dt.date.today().strftime("%Y-%m")
    with pytest.raises(BadInput, match="has not ended yet"):
        lg.close(month, by="Maria")


def test_review_needs_another_person(lg):
    closed_ledger(lg)
    with pytest.raises(BadInput, match="needs another person"):
        lg.review(OCT, by="maria rossi")
    lg.review(OCT, by="Paul Weber")
    rep = lg.report(OCT)
    assert rep.meta["close"]["reviewed_by"] == "Paul Weber"
    with pytest.raises(BadInput, match="another person than the one who closes"):
        lg.close("2026-11", by="A", reviewed_by="a")


# -- the command line ---------------------------------------------------------------------------------


def test_close_reopen_and_refusals_through_the_command(cli, sample_copy):
    code, out, err = cli("periods", "--ledger", sample_copy)
    assert code == 0 and "2026-10  open" in out
    for line in out.splitlines():  # the sample has activity before October: closed in order
        month = line.split()[0]
        if month < "2026-10":
            assert cli("close", "--ledger", sample_copy, "--period", month, "--by", "Maria Rossi")[0] == 0
    code, out, err = cli("close", "--ledger", sample_copy, "--period", "2026-10", "--by", "Maria Rossi")
    assert code == 0, err
    assert out.startswith("2026-10 closed by Maria Rossi on ")
    debit = _unpaid_debit(sample_copy)
    code, out, err = cli("credit", "--ledger", sample_copy, debit, "--date", "2026-10-31")
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "dated inside closed period 2026-10 (closed on" in lines[0]
    assert "by Maria Rossi)" in lines[0] and "date it in 2026-11 or later, or reopen the month" in lines[0]
    code, out, err = cli("reopen", "--ledger", sample_copy, "--period", "2026-10", "--by", "Paul")
    assert code == 2 and "--reason" in err
    code, out, err = cli("reopen", "--ledger", sample_copy, "--period", "2026-10", "--by", "Paul",
                         "--reason", "late platform export")
    assert code == 0 and out.strip() == "2026-10 reopened by Paul: late platform export"
    code, out, err = cli("report", "--ledger", sample_copy, "--period", "9999-12", "--out", "r")
    assert code in (0, 1, 2) and "Traceback" not in err


def _unpaid_debit(path) -> str:
    with recon.Ledger(path, read_only=True) as lg:
        rows = lg.db.rows("SELECT invoice_id FROM invoices WHERE type = 'debit' AND status = 'unpaid'"
                          " ORDER BY invoice_id LIMIT 1")
    return rows[0][0]


def test_removed_items_has_the_columns_of_invoice_items(lg):
    cols = lambda t: [r[0] for r in lg.db.rows(  # noqa: E731
        "SELECT column_name FROM information_schema.columns WHERE table_name = $t ORDER BY ordinal_position",
        {"t": t})]
    assert cols("removed_items") == cols("invoice_items") + ["removed_on"]


def test_copy_of_a_closed_ledger_keeps_its_close(lg, tmp_path):
    closed_ledger(lg)
    lg.close()
    copy = tmp_path / "copy.duckdb"
    shutil.copy(lg.path, copy)
    with recon.Ledger(copy) as other:
        assert other.report(OCT).meta["close"]["digest_matches"]
