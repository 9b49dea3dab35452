"""Property tests: random ledgers, random sequences of credits, voids and payments.

After every step the invariants of SPEC §2–3 hold (integrity.breaches is empty), a
refused step leaves the ledger exactly as it was, and an independent Decimal oracle
agrees with the SQL engine on every credited item.
"""

from __future__ import annotations

import itertools
from decimal import ROUND_HALF_UP
from decimal import Decimal as D

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import recon
from recon.errors import BadInput
from recon.files import load
from recon.money import prorate, round_money
from recon.transfer import import_frames
from tests.conftest import assert_invariants

CURRENCIES = {"EUR": 2, "JPY": 0, "BHD": 3}
QUANTITIES = ["1", "2", "3", "0.5", "7", "10.5", "0.333333"]
ASKS = [None, "1", "0.5", "2", "0.333333", "3"]


@st.composite
def ledgers(draw):
    inv_rows, item_rows = [], []
    n_item = itertools.count(1)
    for a in range(draw(st.integers(1, 2))):
        for k in range(draw(st.integers(1, 3))):
            cur = draw(st.sampled_from(sorted(CURRENCIES)))
            inv = f"D{a}{k}"
            inv_rows.append(f"{inv},A{a},debit,2026-10-0{k + 1},{cur}")
            for line in range(1, draw(st.integers(1, 3)) + 1):
                qty = draw(st.sampled_from(QUANTITIES))
                minor = draw(st.one_of(st.integers(0, 100), st.integers(0, 10**9)))
                net = D(minor).scaleb(-CURRENCIES[cur])
                rate = draw(st.sampled_from(["0", "0.24", "0.2", "0.13"]))
                tax = round_money(net * D(rate), cur)
                # the unit price that the net is quantity × unit price of (import checks it)
                price = (net / D(qty)).quantize(D("0.000001"), rounding=ROUND_HALF_UP)
                item_rows.append(f"I{next(n_item)},{inv},{line},x,{qty},{price},{rate},{net},{tax},{net + tax}")
    return (
        "invoice_id,account_id,type,invoice_date,currency\n" + "\n".join(inv_rows),
        "item_id,invoice_id,line_no,description,quantity,unit_price,tax_rate,net_amount,tax_amount,amount\n"
        + "\n".join(item_rows),
    )


def snapshot(lg):
    return [lg.table(t) for t in ("invoices", "invoice_items", "payments", "invoice_links")]


def check_oracle(lg, voided_items: set[str]):
    """Recompute what the engine must have done, in Decimal, from the stored facts."""
    items = lg.table("invoice_items")
    inv = lg.table("invoices").set_index("invoice_id")
    debit_items = items[items.credited_item_id.isna()].set_index("item_id")
    credit_items = items[items.credited_item_id.notna()]
    live = credit_items[credit_items.invoice_id.map(inv.voided_on).isna()]
    for item_id, grp in live.groupby("credited_item_id"):
        d = debit_items.loc[item_id]
        cur = inv.loc[d.invoice_id, "currency"]
        c = sum(grp.quantity, D(0))
        assert c <= d.quantity
        net, tax = sum(grp.net_amount, D(0)), sum(grp.tax_amount, D(0))
        if item_id not in voided_items:
            # with no void in between, the cumulative credit is exactly the rounded share
            assert net == prorate(d.net_amount, c, d.quantity, cur), (item_id, net)
            assert tax == prorate(d.tax_amount, c, d.quantity, cur), (item_id, tax)
        step = D(1).scaleb(-CURRENCIES[cur])
        for piece in grp.itertuples():
            share = d.net_amount * piece.quantity / d.quantity
            assert abs(piece.net_amount - share) <= step * (2 if item_id in voided_items else 1)
    # unpaid = total − payments − links, never below 0
    pays = lg.table("payments").groupby("invoice_id").amount.sum()
    links = lg.table("invoice_links")
    links = links[links.unlinked_on.isna()]
    got = links.groupby("debit_invoice_id").amount.sum()
    given_ = links.groupby("credit_invoice_id").amount.sum()
    for inv_id, row in inv.iterrows():
        if row.voided_on is not None and not pd.isna(row.voided_on):
            continue
        if row.type == "debit":
            expect = max(row.total - pays.get(inv_id, D(0)) - got.get(inv_id, D(0)), D(0))
        else:
            expect = row.total - given_.get(inv_id, D(0))
        assert row.unpaid_amount == expect >= 0
        assert row.status == ("paid" if expect == 0 else "unpaid")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=ledgers(), data=st.data())
def test_random_histories_keep_every_invariant(tmp_path_factory, spec, data):
    invoices, items = spec
    path = tmp_path_factory.mktemp("prop") / "l.duckdb"
    with recon.Ledger.create(path) as lg:
        import_frames(lg.db, {"invoices": _typed(invoices, "invoices"),
                              "invoice_items": _typed(items, "invoice_items")})
        debits = list(lg.table("invoices").invoice_id)
        voided_items: set[str] = set()
        pay_no = itertools.count(1)
        for _ in range(data.draw(st.integers(1, 8), label="steps")):
            op = data.draw(st.sampled_from(["items", "whole", "into", "void", "pay"]), label="op")
            before = snapshot(lg)
            try:
                if op in ("items", "into"):
                    debit = data.draw(st.sampled_from(debits), label="debit")
                    its = list(lg.creditable_items(debit).item_id)
                    pick = data.draw(st.lists(st.sampled_from(its), min_size=1, max_size=len(its),
                                              unique=True), label="items")
                    asks = {i: data.draw(st.sampled_from(ASKS), label="qty") for i in pick}
                    into = None
                    credits = lg.table("invoices").query("type == 'credit' and voided_on.isna()")
                    if op == "into" and len(credits):
                        into = data.draw(st.sampled_from(list(credits.invoice_id)), label="into")
                    lg.credit(debit, asks, into=into,
                              allow_paid=data.draw(st.booleans(), label="allow_paid"))
                elif op == "whole":
                    lg.credit(data.draw(st.sampled_from(debits), label="debit"),
                              allow_paid=data.draw(st.booleans(), label="allow_paid"))
                elif op == "void":
                    credits = lg.table("invoices").query("type == 'credit' and voided_on.isna()")
                    if len(credits):
                        cid = data.draw(st.sampled_from(list(credits.invoice_id)), label="void")
                        its = lg.table("invoice_items").query("invoice_id == @cid")
                        voided_items |= set(its.credited_item_id)
                        lg.void(cid)
                else:
                    inv = lg.table("invoices").query("type == 'debit' and unpaid_amount > 0")
                    if len(inv):
                        row = inv.iloc[data.draw(st.integers(0, len(inv) - 1), label="pay")]
                        amount = row.unpaid_amount if data.draw(st.booleans()) else \
                            round_money(row.unpaid_amount / 2, row.currency)
                        if amount > 0:
                            text = (f"payment_id,invoice_id,amount,paid_on\n"
                                    f"P{next(pay_no)},{row.invoice_id},{amount},2026-10-20")
                            import_frames(lg.db, {"payments": _typed(text, "payments")})
            except BadInput:
                for b, a in zip(before, snapshot(lg), strict=True):
                    assert b.equals(a), "a refused step changed the ledger"
            assert_invariants(lg)
            check_oracle(lg, voided_items)


def _typed(text: str, table: str):
    import os
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
        f.write(text + "\n")
    try:
        return load(f.name, table)
    finally:
        os.unlink(f.name)
