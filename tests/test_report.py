"""Month-end report (SPEC §6): worked examples on a tiny ledger, golden snapshots of every
table, a hypothesis property that the roll-forward ties on random ledgers, as-of
stability, exceptions, safe output files and the command's exit codes.

Regenerate the snapshots under tests/golden/report/ with RECON_REGENERATE_GOLDEN=1.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from conftest import assert_invariants
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import recon
from recon.report import parse_period
from recon.report.render import csv_safe

GOLDEN = Path(__file__).parent / "golden" / "report"
REGENERATE = os.environ.get("RECON_REGENERATE_GOLDEN") == "1"

# Two accounts in EUR, one in JPY. October 2026 is the month we close.
#   D1  Sep, 124.00; paid 50.00 in Sep; credit C1 31.00 linked 10-10     -> unpaid 43.00
#   D2  Oct,  62.00; C3 12.40 linked 10-12, C3 voided 10-15 (unlinked)   -> unpaid 62.00
#                    (a payment of 20.00 on 11-05 belongs to November)
#   D3  Oct, 200.00, no due date; C2 200.00 linked 10-21, unlinked 10-25 -> unpaid 200.00
#   D4  Jul,  30.00; paid 35.00 on 10-08 (overpaid by 5.00)               -> unpaid 0.00
#   D5  Oct JPY 1100; C4 110 linked 10-15; paid 300 on 10-31             -> unpaid 690
#   D6  Sep JPY  500; voided 10-05                                       -> void
INVOICES = """
invoice_id,account_id,type,invoice_date,due_date,currency,reason,memo,origin,batch_id,voided_on
D1,ACC-1,debit,2026-09-05,2026-09-19,EUR,,,,,
D2,ACC-1,debit,2026-10-03,2026-10-17,EUR,,,,,
D3,ACC-2,debit,2026-10-20,,EUR,,,,,
D4,ACC-2,debit,2026-07-01,2026-07-15,EUR,,,,,
D5,ACC-3,debit,2026-10-10,2026-11-09,JPY,,,,,
D6,ACC-3,debit,2026-09-01,2026-10-01,JPY,,,,,2026-10-05
C1,ACC-1,credit,2026-10-10,,EUR,Goodwill,@risk +1,manual,,
C2,ACC-2,credit,2026-10-21,,EUR,=SUM(A1),<b>bold</b>,full,,
C3,ACC-1,credit,2026-10-12,,EUR,Goodwill,,manual,,2026-10-15
C4,ACC-3,credit,2026-10-15,,JPY,Price correction,,bulk,B-1,
"""
ITEMS = """
item_id,invoice_id,line_no,description,quantity,unit_price,tax_rate,net_amount,tax_amount,amount,credited_item_id
I1,D1,1,Compute,1,100,0.24,100.00,24.00,124.00,
I2,D2,1,Storage,1,50,0.24,50.00,12.00,62.00,
I3,D3,1,Support,1,200,0,200.00,0.00,200.00,
I4,D4,1,Licence,1,30,0,30.00,0.00,30.00,
I5,D5,1,Usage,10,100,0.10,1000,100,1100,
I6,D6,1,Usage,5,100,0,500,0,500,
CI1,C1,1,Compute,0.25,100,0.24,25.00,6.00,31.00,I1
CI2,C2,1,Support,1,200,0,200.00,0.00,200.00,I3
CI3,C3,1,Storage,0.2,50,0.24,10.00,2.40,12.40,I2
CI4,C4,1,Usage,1,100,0.10,100,10,110,I5
"""
PAYMENTS = """
payment_id,invoice_id,amount,paid_on
P1,D1,50.00,2026-09-30
P2,D4,35.00,2026-10-08
P3,D2,20.00,2026-11-05
P4,D5,300,2026-10-31
"""
LINKS = """
credit_invoice_id,debit_invoice_id,amount,linked_on,unlinked_on
C1,D1,31.00,2026-10-10,
C2,D3,200.00,2026-10-21,2026-10-25
C3,D2,12.40,2026-10-12,2026-10-15
C4,D5,110,2026-10-15,
"""


@pytest.fixture
def small(make_ledger):
    lg = make_ledger(INVOICES, ITEMS, PAYMENTS, LINKS)
    assert_invariants(lg)
    return lg


def _row(df: pd.DataFrame, **match) -> pd.Series:
    m = pd.Series(True, index=df.index)
    for k, v in match.items():
        m &= df[k] == v
    assert m.sum() == 1, (match, df)
    return df[m].iloc[0]


def D(x: str) -> Decimal:
    return Decimal(x)


# -- worked example -----------------------------------------------------------------------


def test_rollforward_worked_example(small):
    rep = small.report("2026-10")
    eur = _row(rep.rollforward, currency="EUR")
    assert eur.opening_unpaid == D("104.00")        # D1 124 − 50 paid in Sep, + D4 30
    assert eur.debits_issued == D("262.00")         # D2 62 + D3 200
    assert eur.credits_applied == D("-243.40")      # C1 31 + C3 12.40 + C2 200 linked
    assert eur.credits_unlinked == D("212.40")      # C3 12.40 (void) + C2 200 undone
    assert eur.payments == D("-35.00")              # P2 on D4 (P3 is November's)
    assert eur.debits_voided == D("0.00")
    assert eur.overpayment_floor == D("5.00")       # D4 paid 35 on 30: unpaid stops at 0
    assert eur.closing_unpaid == D("305.00")        # D1 43 + D2 62 + D3 200
    assert eur.unpaid_at_period_end == D("305.00")
    assert eur.difference == 0
    jpy = _row(rep.rollforward, currency="JPY")
    # 500 (D6) + 1100 (D5) − 110 (C4) − 300 (P4) − 500 (D6 voided) = 690
    assert (jpy.opening_unpaid, jpy.debits_issued, jpy.credits_applied, jpy.payments,
            jpy.debits_voided, jpy.closing_unpaid) == (500, 1100, -110, -300, -500, 690)
    assert rep.ties and rep.exit_code == 0
    # money stays exact in every table
    for name, df in rep.tables.items():
        for c in df.columns:
            assert not pd.api.types.is_float_dtype(df[c].dtype), (name, c)


def test_aging_unapplied_credits_and_links(small):
    rep = small.report("2026-10")
    aging = rep.aging.set_index(["currency", "bucket"])["unpaid_amount"]
    assert aging["EUR", "current"] == 0
    assert aging["EUR", "1-30"] == D("262.00")      # D2 62 (14 days) + D3 200 (no due date: 10-20, 11 days)
    assert aging["EUR", "31-60"] == D("43.00")      # D1 (due 09-19: 42 days)
    assert aging["EUR", "total"] == D("305.00") == _row(rep.rollforward, currency="EUR").closing_unpaid
    assert aging["JPY", "current"] == 690          # due 11-09
    detail = rep.aging_detail.set_index("invoice_id")
    assert detail.loc["D1", "days_past_due"] == 42 and detail.loc["D2", "days_past_due"] == 14
    assert "D4" not in detail.index                # overpaid: nothing unpaid
    un = rep.unapplied_credits.set_index("credit_invoice_id")
    assert list(un.index) == ["C2"]                 # unlinked on 10-25: available again
    assert un.loc["C2", "available"] == D("200.00") and un.loc["C2", "age_days"] == 10
    ev = rep.links.set_index("credit_invoice_id")["event"]
    assert ev.to_dict() == {"C1": "linked", "C4": "linked", "C2": "linked and unlinked",
                            "C3": "linked and unlinked"}
    by_reason = rep.credits_by_reason.set_index(["currency", "reason"])
    assert by_reason.loc[("EUR", "Goodwill"), "credits"] == 2
    assert by_reason.loc[("EUR", "Goodwill"), "voided"] == D("12.40")   # C3
    assert by_reason.loc[("EUR", "Goodwill"), "net"] == D("31.00")      # C1
    assert set(rep.credits_by_origin["origin"]) == {"manual", "full", "bulk"}
    assert rep.exceptions.empty


def test_aging_buckets_edges(make_ledger):
    # closing 2026-10-31: due 10-31 current, 10-30 1 day, 10-01 30, 09-30 31, 08-01 91
    rows = [("E0", "2026-10-31"), ("E1", "2026-10-30"), ("E30", "2026-10-01"),
            ("E31", "2026-09-30"), ("E60", "2026-09-01"), ("E61", "2026-08-31"),
            ("E90", "2026-08-02"), ("E91", "2026-08-01")]
    inv = "invoice_id,account_id,type,invoice_date,due_date,currency\n" + "\n".join(
        f"{i},A,debit,2026-07-01,{due},EUR" for i, due in rows)
    items = "item_id,invoice_id,line_no,description,quantity,unit_price,tax_rate,net_amount,tax_amount,amount\n" + "\n".join(
        f"X{i},{i},1,Fee,1,1,0,1.00,0.00,1.00" for i, _ in rows)
    lg = make_ledger(inv, items)
    detail = lg.report("2026-10").aging_detail.set_index("invoice_id")
    assert detail["bucket"].to_dict() == {
        "E0": "current", "E1": "1-30", "E30": "1-30", "E31": "31-60", "E60": "31-60",
        "E61": "61-90", "E90": "61-90", "E91": "90+"}


# -- golden snapshots ----------------------------------------------------------------------


def test_golden_tables(small):
    rep = small.report("2026-10")
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for name, df in rep.tables.items():
        text = csv_safe(df).to_csv(index=False, lineterminator="\n")
        path = GOLDEN / f"{name}.csv"
        if REGENERATE:
            path.write_text(text, encoding="utf-8")
        assert path.exists(), f"{path} missing: run with RECON_REGENERATE_GOLDEN=1"
        assert text == path.read_text(encoding="utf-8"), f"{name} differs from {path}"


# -- as-of stability -----------------------------------------------------------------------


def _comparable(rep) -> dict[str, pd.DataFrame]:
    # exceptions describe today's ledger, not the month: everything else must stay put
    return {k: v for k, v in rep.tables.items() if k != "exceptions"}


def test_october_unchanged_after_november_activity(small):
    before = _comparable(small.report("2026-10"))
    small.credit("D2", {"I2": "0.5"}, reason="Late fix", date="2026-11-10")
    small.void("C1", date=dt.date(2026, 11, 12))
    small.db.execute("INSERT INTO payments (payment_id, invoice_id, amount, paid_on) VALUES ('P9', 'D3', 80.00, DATE '2026-11-15')")
    small.db.execute("INSERT INTO touched VALUES ('D3')")
    small.db.recompute()
    assert_invariants(small)
    after = _comparable(small.report("2026-10"))
    for name in before:
        pd.testing.assert_frame_equal(before[name], after[name], obj=name)
    nov = small.report("2026-11")
    eur = _row(nov.rollforward, currency="EUR")
    assert eur.opening_unpaid == D("305.00")        # October's closing
    # + C1's 31.00 given back by its void, − new credit 31.00 (D2 half), − 20 − 80 paid
    assert eur.credits_unlinked == D("31.00") and eur.credits_applied == D("-31.00")
    assert eur.payments == D("-100.00") and eur.closing_unpaid == D("205.00") and nov.ties


# -- the roll-forward ties on random ledgers ------------------------------------------------

BASE = dt.date(2026, 8, 1)
MONTHS = ["2026-08", "2026-09", "2026-10", "2026-11", "2026-12"]
day = st.integers(0, 150)


@st.composite
def ledgers(draw):
    n = draw(st.integers(1, 6))
    debits = [dict(cur=draw(st.sampled_from(["EUR", "JPY"])), amount=draw(st.integers(1, 5000)),
                   day=draw(day), due=draw(st.none() | st.integers(0, 40)),
                   void=draw(st.none() | st.integers(0, 60))) for _ in range(n)]
    payments = [dict(d=draw(st.integers(0, n - 1)), amount=draw(st.integers(1, 3000)), day=draw(day))
                for _ in range(draw(st.integers(0, 8)))]
    credits = []
    for _ in range(draw(st.integers(0, 5))):
        d = draw(st.integers(0, n - 1))
        amount = draw(st.integers(1, debits[d]["amount"]))
        link = draw(st.none() | st.integers(0, 40))
        credits.append(dict(d=d, amount=amount, after=draw(st.integers(0, 40)),
                            void=draw(st.none() | st.integers(0, 40)),
                            link=link, link_amount=draw(st.integers(1, amount)),
                            unlink=draw(st.none() | st.integers(0, 40))))
    return debits, payments, credits


def _fill(db, debits, payments, credits) -> None:
    """Write a random ledger straight into the tables (rules may be broken: it must tie anyway)."""
    step = {"EUR": Decimal("0.01"), "JPY": Decimal(1)}
    inv, items, pays, links = [], [], [], []
    for i, d in enumerate(debits):
        date = BASE + dt.timedelta(d["day"])
        amt = d["amount"] * step[d["cur"]]
        inv.append((f"D{i}", "A", "debit", date, date + dt.timedelta(d["due"]) if d["due"] is not None else None,
                    d["cur"], date + dt.timedelta(d["void"]) if d["void"] is not None else None))
        items.append((f"I{i}", f"D{i}", amt, None))
    for k, p in enumerate(payments):
        d = debits[p["d"]]
        pays.append((f"P{k}", f"D{p['d']}", p["amount"] * step[d["cur"]], BASE + dt.timedelta(p["day"])))
    for k, c in enumerate(credits):
        d = debits[c["d"]]
        date = BASE + dt.timedelta(d["day"] + c["after"])
        inv.append((f"C{k}", "A", "credit", date, None, d["cur"],
                    date + dt.timedelta(c["void"]) if c["void"] is not None else None))
        items.append((f"CI{k}", f"C{k}", c["amount"] * step[d["cur"]], f"I{c['d']}"))
        if c["link"] is not None:
            on = date + dt.timedelta(c["link"])
            off = on + dt.timedelta(c["unlink"]) if c["unlink"] is not None else None
            links.append((f"C{k}", f"D{c['d']}", c["link_amount"] * step[d["cur"]], on, off))
    con = db.con
    con.executemany("INSERT INTO invoices (invoice_id, account_id, type, status, invoice_date, due_date,"
                    " currency, voided_on) VALUES (?, ?, ?, 'unpaid', ?, ?, ?, ?)",
                    [(a, b, c, d, e, f, g) for a, b, c, d, e, f, g in inv])
    con.executemany("INSERT INTO invoice_items (item_id, invoice_id, line_no, quantity, unit_price,"
                    " tax_rate, net_amount, tax_amount, amount, credited_item_id, added_on)"
                    " SELECT ?, ?, 1, 1, ?, 0, ?, 0, ?, ?, (SELECT invoice_date FROM invoices WHERE invoice_id = ?)",
                    [(a, b, amt, amt, amt, c, b) for a, b, amt, c in items])
    if pays:
        con.executemany("INSERT INTO payments (payment_id, invoice_id, amount, paid_on) VALUES (?, ?, ?, ?)", pays)
    if links:
        con.executemany("INSERT INTO invoice_links (link_id, credit_invoice_id, debit_invoice_id, amount,"
                        " linked_on, unlinked_on) VALUES (?, ?, ?, ?, ?, ?)",
                        [(n, *link) for n, link in enumerate(links, start=1)])
    db.recompute(everything=True)


def _truncate(db, closing: dt.date) -> None:
    """The ledger as it was on `closing`: every later fact undone."""
    p = {"d": closing}
    db.execute("DELETE FROM invoice_links WHERE linked_on > $d", p)
    db.execute("UPDATE invoice_links SET unlinked_on = NULL WHERE unlinked_on > $d", p)
    db.execute("DELETE FROM payments WHERE paid_on > $d", p)
    db.execute("UPDATE invoices SET voided_on = NULL WHERE voided_on > $d", p)
    later = "SELECT invoice_id FROM invoices WHERE invoice_date > $d"
    db.execute(f"DELETE FROM invoice_links WHERE credit_invoice_id IN ({later}) OR debit_invoice_id IN ({later})", p)
    db.execute(f"DELETE FROM payments WHERE invoice_id IN ({later})", p)
    db.execute(f"DELETE FROM invoice_items WHERE invoice_id IN ({later})", p)
    db.execute(f"DELETE FROM invoices WHERE invoice_id IN ({later})", p)


@pytest.fixture(scope="module")
def scratch():
    with tempfile.TemporaryDirectory() as d:
        lg = recon.Ledger.create(Path(d) / "random.duckdb")
        yield lg
        lg.close()


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=ledgers(), cut=st.sampled_from(MONTHS))
def test_rollforward_ties_on_random_ledgers(scratch, data, cut):
    db = scratch.db
    for t in ("invoice_links", "payments", "invoice_items", "invoices"):
        db.execute(f"DELETE FROM {t}")
    _fill(db, *data)
    closing_before = {}
    reports = {}
    for m in MONTHS:
        rep = scratch.report(m)
        reports[m] = rep
        rf = rep.rollforward.set_index("currency")
        assert (rf["difference"] == 0).all(), rf.to_string()
        # the summary's movements add up to its closing balance too
        sm = rep.summary
        moved = (sm.opening_unpaid + sm.debits_issued + sm.credits_applied + sm.credits_unlinked
                 + sm.payments + sm.debits_voided + sm.overpayment_floor)
        assert (moved == sm.closing_unpaid).all(), sm.to_string()
        total = rep.aging[rep.aging["bucket"] == "total"].set_index("currency")["unpaid_amount"]
        assert (total.reindex(rf.index) == rf["unpaid_at_period_end"]).all()
        for cur, opening in rf["opening_unpaid"].items():
            assert opening == closing_before.get(cur, 0), (m, cur)
        closing_before = rf["closing_unpaid"].to_dict()
    # and a month's report is what it was on its last day, whatever came later
    kept = _comparable(reports[cut])
    _truncate(db, parse_period(cut)[1])
    again = _comparable(scratch.report(cut))
    for name in kept:
        pd.testing.assert_frame_equal(kept[name], again[name], obj=name)


# -- exceptions -----------------------------------------------------------------------------

BREAKS = {
    "over_credited": (["UPDATE invoice_items SET quantity = 5 WHERE item_id = 'CI1'"], ("D1", "I1")),
    "cent_residue": (["UPDATE invoice_items SET quantity = 1 WHERE item_id = 'CI1'"], ("D1", "I1")),
    "stored_total": (["UPDATE invoices SET total = 1 WHERE invoice_id = 'D2'"], ("D2", None)),
    "stored_unpaid": (["UPDATE invoices SET unpaid_amount = 1 WHERE invoice_id = 'D2'"], ("D2", None)),
    "stored_status": (["UPDATE invoices SET status = 'paid' WHERE invoice_id = 'D2'"], ("D2", None)),
    "credit_item_mismatch": (["UPDATE invoices SET account_id = 'ACC-9' WHERE invoice_id = 'C1'"], ("C1", "CI1")),
    "credit_item_orphan": (["UPDATE invoice_items SET credited_item_id = 'NOPE' WHERE item_id = 'CI1'"], ("C1", "CI1")),
    "credit_before_debit": (["UPDATE invoices SET invoice_date = DATE '2026-09-01' WHERE invoice_id = 'C1'"], ("C1", "CI1")),
    "link_mismatch": (["UPDATE invoice_links SET debit_invoice_id = 'D3' WHERE credit_invoice_id = 'C1'"], ("C1", None)),
    "link_before_invoice": (["UPDATE invoice_links SET linked_on = DATE '2026-09-01' WHERE credit_invoice_id = 'C1'"], ("C1", None)),
    "link_on_void": (["UPDATE invoices SET voided_on = DATE '2026-10-20' WHERE invoice_id = 'C1'"], ("C1", None)),
    "links_exceed_credit": (["UPDATE invoice_links SET amount = 40 WHERE credit_invoice_id = 'C1'"], ("C1", None)),
    "over_applied": (["INSERT INTO payments (payment_id, invoice_id, amount, paid_on) VALUES ('PX', 'D1', 100.00, DATE '2026-10-20')"], ("D1", None)),
    "precision": (["UPDATE invoice_items SET net_amount = 100.005, amount = 124.005 WHERE item_id = 'I1'"], ("D1", "I1")),
    "credit_of_void_debit": (["UPDATE invoices SET voided_on = DATE '2026-10-30' WHERE invoice_id = 'D1'"], ("C1", "CI1")),
    "duplicate_cancellation": ([
        "INSERT INTO invoice_items (item_id, invoice_id, line_no, quantity, unit_price, tax_rate, net_amount,"
        " tax_amount, amount, credited_item_id, cancelled_on, added_on)"
        " VALUES ('CI1B', 'C1', 2, 0.25, 100, 0.24, 25.00, 6.00, 31.00, 'I1', DATE '2026-10-09', DATE '2026-10-10')",
        "UPDATE invoice_items SET cancelled_on = DATE '2026-10-09' WHERE item_id = 'CI1'"], ("C1", "CI1")),
    # what PRIMARY / FOREIGN KEYs refused before they were dropped for speed (schema.sql)
    "duplicate_invoice_id": (["INSERT INTO invoices (invoice_id, account_id, type, status, invoice_date, currency)"
                              " VALUES ('D2', 'ACC-1', 'debit', 'unpaid', DATE '2026-10-05', 'EUR')"], ("D2", None)),
    "duplicate_item_id": (["INSERT INTO invoice_items (item_id, invoice_id, line_no, quantity, unit_price, tax_rate,"
                           " net_amount, tax_amount, amount, added_on)"
                           " VALUES ('I1', 'D1', 9, 1, 0, 0, 0, 0, 0, DATE '2026-10-01')"], ("D1", "I1")),
    "item_orphan": (["INSERT INTO invoice_items (item_id, invoice_id, line_no, quantity, unit_price, tax_rate,"
                     " net_amount, tax_amount, amount, added_on)"
                     " VALUES ('IX', 'NOPE', 1, 1, 0, 0, 0, 0, 0, DATE '2026-10-01')"], ("NOPE", "IX")),
    "payment_orphan": (["INSERT INTO payments (payment_id, invoice_id, amount, paid_on) VALUES ('PX', 'NOPE', 1.00, DATE '2026-10-20')"], ("NOPE", None)),
    "link_orphan": (["INSERT INTO invoice_links (link_id, credit_invoice_id, debit_invoice_id, amount, linked_on)"
                     " VALUES (90, 'NOPE', 'D2', 1.00, DATE '2026-10-20')"], ("NOPE", None)),
    "duplicate_link_id": (["INSERT INTO invoice_links SELECT * FROM invoice_links WHERE credit_invoice_id = 'C1'"],
                          ("C1", None)),
    "unknown_currency": (["INSERT INTO invoices (invoice_id, account_id, type, status, invoice_date, currency)"
                          " VALUES ('DX', 'ACC-1', 'debit', 'unpaid', DATE '2026-10-05', 'XYZ')"], ("DX", None)),
    # a refund paid out of a debit invoice, and one of an invoice the ledger does not have
    "refund_mismatch": (["INSERT INTO refunds VALUES ('RX', 'D2', 1.00, DATE '2026-10-20', NULL)"], ("D2", None)),
    "refund_orphan": (["INSERT INTO refunds VALUES ('RX', 'NOPE', 1.00, DATE '2026-10-20', NULL)"], ("NOPE", None)),
    # applied beyond its items on a past day (an item added later cannot cover an older link)
    "credit_overdrawn": (["UPDATE invoice_links SET amount = amount + 1 WHERE credit_invoice_id = 'C1'",
                          "INSERT INTO invoice_items (item_id, invoice_id, line_no, quantity, unit_price, tax_rate,"
                          " net_amount, tax_amount, amount, credited_item_id, added_on) VALUES ('CI1C', 'C1', 3,"
                          " 0.01, 100, 0, 1.00, 0, 1.00, 'I1', DATE '2026-10-30')"], ("C1", None)),
}


@pytest.mark.parametrize("rule", sorted(BREAKS))
def test_broken_ledger_lists_each_exception(small, rule):
    statements, (invoice_id, item_id) = BREAKS[rule]
    for s in statements:
        small.db.execute(s)
    rep = small.report("2026-10")
    exc = rep.exceptions
    hit = exc[(exc["rule"] == rule) & (exc["invoice_id"] == invoice_id)
              & (exc["item_id"].isna() if item_id is None else exc["item_id"] == item_id)]
    assert len(hit) >= 1, exc.to_string()
    assert hit["meaning"].iloc[0] and hit["detail"].iloc[0]
    assert rep.exit_code == 1


def test_every_rule_has_a_meaning_and_a_break():
    from recon import sql

    rules = set(re.findall(r"SELECT '([a-z_]+)'", sql.load("integrity")))
    from recon.report import RULES

    # credit_overdrawn comes from credit_timeline.sql, closed_report_changed from a close
    # (tests/test_periods.py)
    assert rules | {"credit_overdrawn", "closed_report_changed"} == set(RULES)
    assert set(RULES) - {"closed_report_changed"} == set(BREAKS)


# -- files: safe, self-contained --------------------------------------------------------------


def test_files_are_safe_and_self_contained(small, tmp_path):
    rep = small.report("2026-10", out=tmp_path / "out")
    paths = rep.paths
    page = paths["html"].read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert "<script" not in page.lower() and "<link" not in page.lower()
    assert "@import" not in page and "url(" not in page
    assert page.count("<svg") >= 5                          # waterfall + aging per currency, reasons
    assert "&lt;b&gt;bold&lt;/b&gt;" in page and "<b>bold" not in page
    # CSV: formula-like text quoted, amounts (also negative ones) left as numbers
    credits = (paths["credits_issued"]).read_text(encoding="utf-8")
    assert ",'=SUM(A1)," in credits and ",'@risk +1," in credits
    rf = paths["rollforward"].read_text(encoding="utf-8")
    assert "EUR,104.00,262.00,-243.40,212.40,-35.00,0.00,5.00,305.00,305.00,0.00" in rf
    assert "JPY,500,1100,-110,0,-300,-500,0,690,690,0" in rf
    # xlsx: text stays text, money is a number with the currency's decimals, headers are labels
    from openpyxl import load_workbook

    wb = load_workbook(paths["xlsx"])
    ws = wb["Credits issued"]
    header = [c.value for c in ws[1]]
    reasons = [row[header.index("Reason")] for row in ws.iter_rows(min_row=2)]
    cell = next(c for c in reasons if c.value == "=SUM(A1)")
    assert cell.data_type == "s"
    ws = wb["Roll-forward"]
    header = [c.value for c in ws[1]]
    eur = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "EUR")
    jpy = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "JPY")
    assert eur[header.index("Credits applied")].value == -243.4
    assert eur[header.index("Credits applied")].number_format == "#,##0.00"
    assert jpy[header.index("Payments")].number_format == "#,##0"
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:K3"
    assert wb.sheetnames == ["Report", "Summary", "Roll-forward", "Credits issued", "Credits by reason",
                             "Credits by origin", "Credits by account", "Links", "Aging",
                             "Aging detail", "Unapplied credits", "Credit roll-forward", "Refunds",
                             "Exceptions"]


def test_workbook_totals_apart_from_the_filtered_rows_and_empty_sheets_say_so(small, tmp_path):
    from openpyxl import load_workbook

    rep = small.report("2026-10", out=tmp_path / "out")
    wb = load_workbook(rep.paths["xlsx"])
    ws = wb["Aging"]
    rows = list(ws.iter_rows(values_only=True))
    # 10 bucket rows under the filter (EUR and JPY, 5 buckets each), a blank row, 2 totals
    assert ws.auto_filter.ref == "A1:D11"
    assert rows[11] == (None, None, None, None)
    assert rows[12] == ("EUR", "total", 3, 305.0) and rows[13] == ("JPY", "total", 1, 690)
    assert ws.cell(13, 4).font.b and ws.cell(13, 4).number_format == "#,##0.00"
    # summing the filtered rows gives the totals once, not twice
    assert sum(r[3] for r in rows[1:11] if r[0] == "EUR") == 305.0
    ws = wb["Exceptions"]
    assert [c.value for c in ws[2]][0] == "nothing in this period" and not ws.auto_filter.ref
    # the summary on its side: a column per currency, a row per figure
    ws = wb["Summary"]
    assert [c.value for c in ws[1]] == ["Figure", "EUR", "JPY"]
    assert [c.value for c in ws[2]] == ["Opening unpaid", 104.0, 500]
    assert [c.value for c in ws[16]] == ["GL difference", "no GL file", "no GL file"]
    cover = [r for r in wb["Report"].iter_rows(values_only=True) if any(r)]
    text = "\n".join(" ".join(str(v) for v in r if v is not None) for r in cover)
    for shown in ("Month-end reconciliation 2026-10", "Ledger", "Generated at", "recon version 0.1.0",
                  "no GL file given", "Close state open — not closed", "Prepared by", "Reviewed by"):
        assert shown in text, shown


def test_a_table_longer_than_a_sheet_continues_on_the_next(monkeypatch, tmp_path):
    """Excel holds 1,048,576 rows a sheet; with a 4-row sheet, 7 rows take three sheets."""
    from openpyxl import load_workbook

    from recon import excel

    monkeypatch.setattr(excel, "SHEET_ROWS", 4)
    df = pd.DataFrame({"n": pd.array(range(7), dtype="int64[pyarrow]")})
    book = excel.Book(tmp_path / "x.xlsx")
    sheets = excel.write_sheet(book, "Aging detail", df)
    book.close()
    wb = load_workbook(tmp_path / "x.xlsx")
    assert [ws.name for ws in sheets] == wb.sheetnames == ["Aging detail", "Aging detail (2)",
                                                            "Aging detail (3)"]
    assert [[c.value for c in col] for col in wb.worksheets[1].iter_cols()] == [["n", 3, 4, 5]]
    assert [r[0] for r in wb.worksheets[2].iter_rows(values_only=True)] == ["n", 6]


# -- GL reconciliation -------------------------------------------------------------------------


def test_gl_per_currency_and_per_account(small, tmp_path):
    # subledger receivable = unpaid debits − credit still available − overpaid:
    # EUR 305.00 − 200.00 (C2) − 5.00 (D4 paid 35.00 for 30.00) = 100.00; JPY 690 − 0
    gl = tmp_path / "gl.csv"
    gl.write_text("currency,balance\nEUR,100.00\nJPY,690\n")
    rep = small.report("2026-10", gl=gl)
    assert (rep.gl["difference"] == 0).all() and rep.exit_code == 0
    gl.write_text("currency,account_id,balance\nEUR,ACC-1,105.00\nEUR,ACC-2,-10.00\nJPY,ACC-3,690\n")
    rep = small.report("2026-10", gl=gl)
    g = rep.gl.set_index(["currency", "account_id"])
    assert g.loc[("EUR", "ACC-1"), "difference"] == D("-0.00")  # 105.00 = 43 + 62
    assert g.loc[("EUR", "ACC-2"), "overpaid"] == D("5.00")    # D4
    assert g.loc[("EUR", "ACC-2"), "subledger_balance"] == D("-5.00")  # D3 200 − C2 200 − 5
    assert g.loc[("EUR", "ACC-2"), "difference"] == D("-5.00")
    assert g.loc[("EUR", "ACC-2"), "status"] == "differs"
    assert rep.gl_differs and rep.exit_code == 1


def test_gl_file_refused(small, tmp_path):
    gl = tmp_path / "gl.csv"
    gl.write_text("currency,balance\nEUR,105.00\nEUR,1.00\n")
    with pytest.raises(recon.errors.BadInput) as exc:
        small.report("2026-10", gl=gl)
    text = exc.value.summary()
    assert "row 2, column currency, value 'EUR': the same currency (and account) appears more than once" in text
    assert "row 3" in text
    gl.write_text("currency,balance\nEUR,1O5.00\n")
    with pytest.raises(recon.errors.BadInput) as exc:
        small.report("2026-10", gl=gl)
    assert "row 2, column balance, value '1O5.00'" in exc.value.summary()


@pytest.mark.parametrize("bad", ["2026-13", "2026-1", "October", "2026-00"])
def test_period_refused(bad):
    with pytest.raises(recon.errors.BadInput, match="YYYY-MM"):
        parse_period(bad)


def test_period_bounds():
    assert parse_period("2026-02") == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert parse_period("2026-12") == (dt.date(2026, 12, 1), dt.date(2026, 12, 31))


# -- the command -------------------------------------------------------------------------------


def test_cli_exit_codes(small, cli, tmp_path):
    path = small.path
    small.close()
    code, out, err = cli("report", "--ledger", path, "--period", "2026-10", "--out", tmp_path / "r")
    assert code == 0, err
    assert "EUR: opening 104.00" in out and "closing 305.00" in out
    assert (tmp_path / "r" / "recon-report-2026-10.html").exists()
    gl = tmp_path / "gl.csv"
    gl.write_text("currency,balance\nEUR,105.00\nJPY,690\n")  # forgets D4's overpayment of 5.00
    code, out, err = cli("report", "--ledger", path, "--period", "2026-10", "--out", tmp_path / "r",
                         "--gl", gl)
    assert code == 1 and "GL" in out
    code, out, err = cli("report", "--ledger", path, "--period", "2026-13", "--out", tmp_path / "r")
    assert code == 2 and "YYYY-MM" in err and len(err.strip().splitlines()) == 1
    code, out, err = cli("report", "--ledger", tmp_path / "none.duckdb", "--period", "2026-10",
                         "--out", tmp_path / "r")
    assert code == 2 and "does not exist" in err
    with recon.Ledger(path) as lg:
        lg.db.execute("UPDATE invoices SET total = 1 WHERE invoice_id = 'D2'")
    code, out, err = cli("report", "--ledger", path, "--period", "2026-10", "--out", tmp_path / "r")
    assert code == 1 and "stored_total 1" in out


def test_report_on_sample_ledger(sample_copy, tmp_path):
    with recon.Ledger(sample_copy, read_only=True) as lg:
        rep = lg.report("2026-10", out=tmp_path / "r")
        assert rep.ties and rep.exceptions.empty and rep.exit_code == 0
        stored = lg.db.frame("SELECT currency, sum(unpaid_amount) AS u FROM invoices"
                             " WHERE type = 'debit' GROUP BY 1")
        nov = lg.report("2026-12")  # after the last payment (2026-11-20): today's ledger
    closing = nov.rollforward.set_index("currency")["closing_unpaid"]
    assert closing.to_dict() == stored.set_index("currency")["u"].to_dict()


def test_empty_ledger_and_unwritable_folder(make_ledger, tmp_path):
    lg = make_ledger()
    rep = lg.report("2026-10", out=tmp_path / "r")
    assert rep.rollforward.empty and rep.ties and rep.exit_code == 0
    assert rep.paths["html"].exists() and rep.paths["xlsx"].exists()
    (tmp_path / "file").write_text("")
    with pytest.raises(recon.errors.BadInput, match="cannot write the report"):
        lg.report("2026-10", out=tmp_path / "file" / "r")


def test_page_and_workbook_layout(small, tmp_path):
    rep = small.report("2026-10", out=tmp_path / "out")
    page = rep.paths["html"].read_text(encoding="utf-8")
    # every table in a box that scrolls sideways; amounts' headers right-aligned over them
    assert page.count('<div class="tbl') == page.count("<table>") == len(rep.tables)
    assert '<th class="num">Opening unpaid</th>' in page and "opening_unpaid" not in page
    assert '<tr class="total"><td>EUR</td><td>total</td><td class="num">3</td>' \
           '<td class="num">305.00</td></tr>' in page     # aging subtotal, bold
    assert page.count('<div class="charts">') == 2            # one row of charts per currency
    # printed: A4 landscape, a section a page, the header of a table on every page
    assert "@page{size:A4 landscape" in page and "section.sect{break-before:page}" in page
    assert "thead{display:table-header-group}" in page
    # the header block and the sign-off
    for shown in ("Generated at", "recon version", "0.1.0", "no GL file given", "open — not closed",
                  "Prepared by", "Reviewed by", str(small.path)):
        assert shown in page, shown
    from openpyxl import load_workbook

    ws = load_workbook(rep.paths["xlsx"])["Roll-forward"]
    header = {c.value: c for c in ws[1]}
    assert header["Currency"].alignment.horizontal is None
    assert header["Payments"].alignment.horizontal == "right"
    assert ws.page_setup.orientation == "landscape" and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.paperSize == 9                        # A4
    assert ws.page_setup.fitToHeight == 0                     # one page wide, as long as needed
    assert ws.print_title_rows == "$1:$1"                    # the header on every printed page


def test_sign_off_from_the_close(small):
    from recon.report.render import close_state, header_html, signoff

    rep = small.report("2026-10")
    assert rep.meta["gl_given"] is False and rep.meta["version"] == recon.__version__
    assert close_state(rep.meta) == "open — not closed"
    rep.meta["close"] = {"state": "closed", "closed_by": "ana", "closed_at": "2026-11-03T09:15:00",
                         "reviewed_by": None, "digest_matches": True, "changed_tables": []}
    assert close_state(rep.meta) == "closed; by ana on 2026-11-03 09:15; not yet reviewed; figures as signed off"
    assert signoff(rep.meta) == [("Prepared by", "ana", "2026-11-03 09:15"), ("Reviewed by", "", "")]
    rep.meta["close"].update(reviewed_by="bo", reviewed_at="2026-11-04T10:00:00", digest_matches=False,
                             changed_tables=["links"])
    assert "reviewed by bo on 2026-11-04 10:00; FIGURES DIFFER from those signed off (links)" \
        in close_state(rep.meta)
    assert "bo" in header_html(rep)
    rep.meta["close"] = {"state": "closed"}               # keys missing: still readable
    assert close_state(rep.meta) == "closed; not yet reviewed"


def test_big_tables_show_their_first_rows_on_the_page(small, monkeypatch):
    from recon.report import render

    monkeypatch.setattr(render, "HTML_ROW_LIMIT", 2)
    page = render.html_page(small.report("2026-10"))
    assert "The first 2 of 4 rows; the workbook and the CSV file have all of them." in page


def test_bar_chart_negative_values_read_as_negative():
    from recon.report.charts import DOWN, UP, bars

    svg = bars(["a", "b"], [Decimal("-50.00"), Decimal("150.00")], "EUR")
    assert f'fill="{DOWN}"' in svg and f'fill="{UP}"' in svg and "<line" in svg
    assert ">-50.00<" in svg and ">150.00<" in svg
    assert "<line" not in bars(["a"], [Decimal("7")], "JPY")     # no zero line when none is negative


def test_workbook_text_round_trips_exactly(tmp_path):
    """Text that XML or Excel would read otherwise comes back as written."""
    from openpyxl import load_workbook

    from recon import excel

    tricky = ["a & b", "<b>bold</b>", "x > y", "tab\there", "bell\x07", "_x0041_ stays", "  spaces  ",
              "=SUM(A1)", "Ünïcødé ✓", None]
    df = pd.DataFrame({"text": pd.array(tricky, dtype="string[pyarrow]"),
                       "n": pd.array(range(len(tricky)), dtype="int64[pyarrow]")})
    book = excel.Book(tmp_path / "t.xlsx")
    excel.write_sheet(book, "t", df)
    book.close()
    ws = load_workbook(tmp_path / "t.xlsx").active
    got = [r[0] for r in ws.iter_rows(min_row=2, values_only=True)]
    assert got[:4] == tricky[:4] and got[6:9] == tricky[6:9]
    # escaped as xlsxwriter escapes them (Excel shows "bell", "_x0041_ stays"; openpyxl
    # reads the escapes as they are)
    assert got[4] == "bell_x0007_" and got[5] == "_x005F_x0041_ stays"
    assert got[9] is None and ws.max_row == len(tricky) + 1
