"""Random histories of every operation over three months, for property tests.

A history is a list of operations, each dated (the day the analyst or the platform does
it), in date order across October, November and December 2026: credits of items, of a
whole invoice and into an existing credit, links, unlinks, voids, item removals,
cancellations, bulk runs, imports of payments and of new debit invoices (which apply
available credits), refunds, and closing a month. :func:`run` plays one operation on a
ledger; an operation the rules refuse changes nothing, which the tests rely on too.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from hypothesis import strategies as st

import recon
from recon.errors import BadInput

MONTHS = ("2026-10", "2026-11", "2026-12")
BASE_INVOICES = """invoice_id,account_id,type,invoice_date,due_date,currency
D1,ACC-1,debit,2026-10-01,2026-10-31,EUR
D2,ACC-1,debit,2026-10-03,2026-11-02,EUR
D3,ACC-2,debit,2026-10-04,,EUR
D4,ACC-2,debit,2026-10-05,2026-11-04,JPY
"""
BASE_ITEMS = """item_id,invoice_id,line_no,description,quantity,unit_price,tax_rate,net_amount,tax_amount,amount,period_start,period_end
I1,D1,1,Licence,10,8,0.24,80.00,19.20,99.20,2026-10-01,2026-10-31
I2,D1,2,Support,3,10,0.24,30.00,7.20,37.20,,
I3,D2,1,Storage,7,3,0.2,21.00,4.20,25.20,2026-10-01,2026-12-31
I4,D3,1,Plan,1,100,0.24,100.00,24.00,124.00,,
I5,D4,1,Plan,3,1000,0.1,3000,300,3300,2026-10-01,2026-10-31
"""
ITEM_INVOICE = {"I1": "D1", "I2": "D1", "I3": "D2", "I4": "D3", "I5": "D4"}
QUANTITIES = ("1", "0.5", "2", "0.333333")


@st.composite
def histories(draw, max_ops: int = 12):
    """A list of (day, operation, args) in date order over MONTHS."""
    days = sorted(draw(st.lists(st.integers(0, 88), min_size=3, max_size=max_ops)))
    ops = []
    for n, offset in enumerate(days):
        day = dt.date(2026, 10, 6) + dt.timedelta(days=offset)
        kind = draw(st.sampled_from(
            ("credit", "credit", "whole", "into", "link", "unlink", "void", "remove", "cancel",
             "apply", "payment", "debit", "refund", "close")))
        item = draw(st.sampled_from(sorted(ITEM_INVOICE)))
        args = {"item": item, "debit": ITEM_INVOICE[item], "quantity": draw(st.sampled_from(QUANTITIES)),
                "pick": draw(st.integers(0, 5)), "amount": draw(st.sampled_from(("1.00", "5.00", "12.40"))),
                "n": n}
        ops.append((day, kind, args))
    return ops


def _credits(lg) -> list[str]:
    return [r[0] for r in lg.db.rows(
        "SELECT invoice_id FROM invoices WHERE type = 'credit' AND voided_on IS NULL ORDER BY invoice_id")]


def _pick(seq: list, k: int):
    return seq[k % len(seq)] if seq else None


def run(lg: recon.Ledger, day: dt.date, kind: str, a: dict, folder: Path) -> bool:
    """Play one operation dated ``day``; False when the rules refused it (nothing changed)."""
    try:
        if kind == "credit":
            lg.credit(a["debit"], {a["item"]: a["quantity"]}, date=day, allow_paid=True, reason="Fix")
        elif kind == "whole":
            lg.credit(a["debit"], date=day, reason="Duplicate")
        elif kind == "into":
            manual = [r[0] for r in lg.db.rows(
                "SELECT c.invoice_id FROM invoices c JOIN invoices d ON d.invoice_id = $d"
                " WHERE c.type = 'credit' AND c.voided_on IS NULL AND c.origin = 'manual'"
                " AND c.account_id = d.account_id AND c.currency = d.currency ORDER BY 1", {"d": a["debit"]})]
            target = _pick(manual, a["pick"])
            if target is None:
                return False
            lg.credit(a["debit"], {a["item"]: a["quantity"]}, into=target, date=day, allow_paid=True)
        elif kind == "link":
            pairs = lg.db.rows(
                "SELECT c.invoice_id, d.invoice_id FROM invoices c JOIN invoices d"
                " ON d.account_id = c.account_id AND d.currency = c.currency AND d.type = 'debit'"
                " AND d.status = 'unpaid' WHERE c.type = 'credit' AND c.voided_on IS NULL"
                " AND c.unpaid_amount > 0 ORDER BY 1, 2")
            pair = _pick(pairs, a["pick"])
            if pair is None:
                return False
            lg.link(*pair, date=day)
        elif kind == "unlink":
            rows = lg.db.rows("SELECT DISTINCT credit_invoice_id, debit_invoice_id FROM invoice_links"
                              " WHERE unlinked_on IS NULL ORDER BY 1, 2")
            pair = _pick(rows, a["pick"])
            if pair is None:
                return False
            lg.unlink(*pair, date=day)
        elif kind == "void":
            credit = _pick(_credits(lg), a["pick"])
            if credit is None:
                return False
            lg.void(credit, date=day)
        elif kind == "remove":
            credit = _pick([r[0] for r in lg.db.rows(
                "SELECT invoice_id FROM invoice_items WHERE invoice_id IN (SELECT invoice_id FROM invoices"
                " WHERE type = 'credit' AND origin = 'manual' AND voided_on IS NULL)"
                " GROUP BY 1 HAVING count(*) > 1 ORDER BY 1")], a["pick"])
            if credit is None:
                return False
            lines = [r[0] for r in lg.db.rows("SELECT item_id FROM invoice_items WHERE invoice_id = $c"
                                              " ORDER BY line_no", {"c": credit})]
            for pair in lg.db.rows("SELECT DISTINCT credit_invoice_id, debit_invoice_id FROM invoice_links"
                                   " WHERE unlinked_on IS NULL AND credit_invoice_id = $c", {"c": credit}):
                lg.unlink(*pair, date=day)
            lg.remove_items(credit, lines[-1:], date=day)
        elif kind == "cancel":
            item = _pick(["I1", "I3", "I5"], a["pick"])  # the items billed for a period
            start, end = lg.db.rows("SELECT period_start, period_end FROM invoice_items WHERE item_id = $i",
                                    {"i": item})[0]
            first_unused = min(max(day, start), end) - dt.timedelta(days=a["n"] % 5)
            lg.cancel(pd.DataFrame({"item_id": [item], "cancelled_on": [str(max(first_unused, start))]}),
                      date=day)
        elif kind == "apply":
            lg.apply(pd.DataFrame({"debit_invoice_id": [a["debit"]], "item_id": [a["item"]],
                                   "quantity": [a["quantity"]], "reason": ["Bulk fix"],
                                   "credit_date": [str(day)]}), today=day, batch_id=f"b{a['n']}")
        elif kind == "payment":
            sub = folder / f"pay{a['n']}"
            sub.mkdir()
            (sub / "payments.csv").write_text("payment_id,invoice_id,amount,paid_on\n"
                                              f"P{a['n']},{a['debit']},{a['amount'] if a['debit'] != 'D4' else '10'},{day}\n")
            lg.import_dir(sub, date=day)
        elif kind == "debit":
            sub = folder / f"inv{a['n']}"
            sub.mkdir()
            account = "ACC-1" if a["pick"] % 2 else "ACC-2"
            (sub / "invoices.csv").write_text("invoice_id,account_id,type,invoice_date,currency\n"
                                              f"N{a['n']},{account},debit,{day},EUR\n")
            (sub / "invoice_items.csv").write_text(
                "item_id,invoice_id,line_no,description,quantity,unit_price,tax_rate,net_amount,tax_amount,amount\n"
                f"NI{a['n']},N{a['n']},1,New plan,2,6,0.24,12.00,2.88,14.88\n")
            lg.import_dir(sub, date=day)
        elif kind == "refund":
            if not hasattr(lg, "refund"):
                return False
            credit = _pick(_credits(lg), a["pick"])
            if credit is None:
                return False
            lg.refund(credit, a["amount"], date=day)
        elif kind == "close":
            # close every month that has ended by this day, in order
            for month in MONTHS:
                end = (pd.Period(month, "M").end_time.date())
                if end < day and month not in set(lg.periods().query("state == 'closed'")["period"]):
                    lg.close(month, by="Controller", today=day)
        return True
    except BadInput:
        return False


def make(path: Path) -> recon.Ledger:
    folder = path.parent / (path.stem + "-base")
    folder.mkdir(exist_ok=True)
    (folder / "invoices.csv").write_text(BASE_INVOICES)
    (folder / "invoice_items.csv").write_text(BASE_ITEMS)
    recon.init(path, folder)
    return recon.Ledger(path)
