"""Bulk parity (issue 14): the corrections file credits amounts, percentages and gross
amounts, credits paid invoices when allowed, keeps the platform's credit numbers, and
says what to do with rows that credit the same item twice in one credit."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import recon
from recon import Amount, Percent
from recon.errors import BadInput
from tests.conftest import assert_invariants
from tests.test_bulk import (  # noqa: F401  (template is a fixture)
    INVOICES,
    ITEMS,
    PAYMENTS,
    TODAY,
    D,
    _state,
    fingerprint,
    items_of,
    template,
    write,
)

HEADER = "debit_invoice_id,item_id,quantity,amount,percent,gross,reason,group"


@pytest.fixture
def ledger(make_ledger):
    return make_ledger(INVOICES, ITEMS, PAYMENTS)


def test_amounts_percentages_and_gross_in_one_file(ledger, tmp_path):
    f = write(tmp_path / "c.csv",
              "INV-1,I1,,20.00,,,Amended,",       # net 20.00, tax 4.80, 0.6 of 3
              "INV-1,I2,,,15,,SLA,",              # 15 % of 50.00 = 7.50, tax 1.80
              "INV-2,I3,,12.40,,yes,Amended,",    # gross 12.40 = net 10.00 + tax 2.40
              "INV-3,,,,10,,SLA,",                # the whole invoice: 10 % of 10.00 = 1.00
              header=HEADER)
    res = ledger.apply(f, today=TODAY)
    assert items_of(ledger, "CN-2026-000001") == [
        (1, "I1", D("0.600000"), D("20.00"), D("4.80"), D("24.80")),
        (2, "I2", D("0.150000"), D("7.50"), D("1.80"), D("9.30"))]
    assert items_of(ledger, "CN-2026-000002") == [(1, "I3", D("1.000000"), D("10.00"), D("2.40"), D("12.40"))]
    assert items_of(ledger, "CN-2026-000003") == [(1, "I4", D("1.000000"), D("1.00"), D("0.00"), D("1.00"))]
    assert res.totals() == {"EUR": "46.50", "USD": "1.00"}
    assert_invariants(ledger)


@pytest.mark.parametrize("row, column, reason", [
    ("INV-1,I1,1,20.00,,,a,", "amount", "a row asks one of quantity, amount and percent; this one also gives a quantity"),
    ("INV-1,I1,,20.00,10,,a,", "percent", "this one also gives an amount"),
    ("INV-1,,,20.00,,,a,", "amount", "an amount needs an item"),
    ("INV-1,I1,2,,,yes,a,", "gross", "gross applies to an amount only"),
    ("INV-1,I1,,100.01,,,a,", "amount", "amount exceeds the net amount 100.00 still creditable on item I1"),
    ("INV-1,I1,,0.005,,,a,", "amount", "more decimals than EUR has (2)"),
    ("INV-4,I5,,0.5,,,a,", "amount", "more decimals than JPY has (0)"),
    ("INV-1,I1,,0,,,a,", "amount", "must be greater than 0"),
    ("INV-1,I1,,,101,,a,", "percent", "percent must be greater than 0 and at most 100"),
    ("INV-1,I1,,,,maybe,a,", "gross", "not an allowed value"),
])
def test_bad_amount_rows_are_refused(ledger, tmp_path, row, column, reason):
    before = fingerprint(ledger)
    f = write(tmp_path / "c.csv", row, header=HEADER)
    with pytest.raises(BadInput) as e:
        ledger.apply(f, today=TODAY)
    hits = [p for p in e.value.problems if p.column == column and reason in p.reason]
    assert hits, e.value.summary()
    assert fingerprint(ledger) == before


def test_allow_paid_credits_a_paid_invoice_and_keeps_it_available(make_ledger, tmp_path, cli):
    lg = make_ledger(INVOICES, ITEMS, PAYMENTS + "P2,INV-1,186.00,2026-10-10\n")
    path = lg.path
    lg.close()
    f = write(tmp_path / "c.csv", "INV-1,I1,1,,,,Cancelled,", header=HEADER)
    code, _, err = cli("apply", "--ledger", path, f)
    assert code == 2 and "already paid" in err
    code, out, err = cli("apply", "--ledger", path, f, "--allow-paid")
    assert code == 0, err
    with recon.Ledger(path) as lg:
        head = lg.invoice("CN-2026-000001").iloc[0]
        assert (head.total, head.unpaid_amount) == (D("41.33"), D("41.33"))   # all available


def test_platform_credit_numbers_are_kept_and_checked(ledger, tmp_path):
    header = "debit_invoice_id,item_id,quantity,reason,group,credit_invoice_id"
    f = write(tmp_path / "c.csv",
              "INV-1,I1,1,a,,CN-2026-000040",
              "INV-1,I2,,a,,CN-2026-000040",      # same credit, same number
              "INV-2,I3,1,a,,",                   # numbered by recon: after the file's CN-2026-000040
              "INV-3,I4,1,a,,PLATFORM-77", header=header)
    res = ledger.apply(f, today=TODAY)
    assert res.credit.credit_invoice_ids == ["CN-2026-000040", "CN-2026-000041", "PLATFORM-77"]
    assert ledger.db.scalar("SELECT last_no FROM numbering") == 41
    bad = write(tmp_path / "bad.csv",
                "INV-1,I1,1,a,,CN-2026-000040",   # already in the ledger
                "INV-2,I3,1,a,,X-1",
                "INV-3,I4,1,a,,X-1",              # the same number for another credit
                "INV-1,I2,,a,G,Y-1",
                "INV-1,I1,1,a,G,Y-2", header=header)  # two numbers for one credit
    before = fingerprint(ledger)
    with pytest.raises(BadInput) as e:
        ledger.apply(bad, today=TODAY)
    found = {(p.row, p.column, p.code) for p in e.value.problems}
    assert {(2, "credit_invoice_id", "credit_id_taken"), (4, "credit_invoice_id", "credit_id_repeated"),
            (6, "credit_invoice_id", "credit_id_mixed")} <= found, found
    mixed = next(p for p in e.value.problems if p.code == "credit_id_mixed")
    assert mixed.reason == "group G is given two credit invoice numbers (Y-1 and this row's Y-2)"
    assert fingerprint(ledger) == before


def test_rows_alike_in_one_credit_are_refused_with_the_sum_advice(ledger, tmp_path):
    f = write(tmp_path / "c.csv", "INV-1,I1,1,,,,Cancelled,", "INV-1,I1,1,,,,Cancelled,", header=HEADER)
    with pytest.raises(BadInput) as e:
        ledger.apply(f, today=TODAY)
    (p,) = e.value.problems
    assert (p.row, p.column) == (3, "item_id")
    assert p.reason == "rows 2 and 3 credit item I1 in the same credit"
    assert p.fix == "put their sum on one row, or pass --sum-repeats"
    # summed, they credit 2 licences on one line
    ledger.apply(f, today=TODAY, sum_repeats=True)
    assert items_of(ledger, "CN-2026-000001") == [(1, "I1", D("2.000000"), D("66.67"), D("16.00"), D("82.67"))]


def test_sum_repeats_sums_amounts_and_refuses_mixed_kinds(ledger, tmp_path):
    f = write(tmp_path / "c.csv", "INV-1,I1,,10.00,,,a,", "INV-1,I1,,5.50,,,b,", "INV-1,I2,1,,,,a,",
              header=HEADER)
    # without the flag, rows that differ are two lines of the credit, as always
    res = ledger.apply(f, today=TODAY, dry_run=True)
    assert len(res.items) == 3
    ledger.apply(f, today=TODAY, sum_repeats=True)
    assert items_of(ledger, "CN-2026-000001") == [
        (1, "I1", D("0.465000"), D("15.50"), D("3.72"), D("19.22")),
        (2, "I2", D("1.000000"), D("50.00"), D("12.00"), D("62.00"))]
    mixed = write(tmp_path / "m.csv", "INV-2,I3,1,,,,a,", "INV-2,I3,,1.00,,,a,", header=HEADER)
    with pytest.raises(BadInput) as e:
        ledger.apply(mixed, today=TODAY, sum_repeats=True)
    (p,) = e.value.problems
    assert p.code == "repeat_unsummable" and p.reason.startswith("rows 2 and 3 credit item I3")


def test_cli_apply_dry_run_prints_the_preview(ledger, tmp_path, cli):
    path = ledger.path
    ledger.close()
    f = write(tmp_path / "c.csv", "INV-4,I5,,,15,,SLA,", header=HEADER)
    code, out, err = cli("apply", "--ledger", path, f, "--dry-run", "--allow-paid")
    assert code == 0, err
    # 15 % of 7000 JPY = 1050 + tax 105, against the 700 still unpaid: 700 linked, 455 left
    line = next(ln for ln in out.splitlines() if "CN-2026-000001" in ln and "Available" not in ln)
    assert line.split() == ["CN-2026-000001", "JPY", "1,050", "105", "1,155", "INV-4", "700", "0", "700", "455"], out


# -- bulk equals one by one, with the new columns -------------------------------------------------

CHOICES = {"INV-1": ["I1", "I2"], "INV-2": ["I3"], "INV-3": ["I4"]}
ask = st.one_of(st.tuples(st.just("quantity"), st.sampled_from([None, "0.5", "1", "1.5"])),
                st.tuples(st.just("amount"), st.sampled_from(["0.01", "5.00", "33.33", "60.00"])),
                st.tuples(st.just("gross"), st.sampled_from(["1.24", "12.40", "24.81"])),
                st.tuples(st.just("percent"), st.sampled_from(["10", "15", "50"])))
row_strategy = st.tuples(st.sampled_from(["INV-1", "INV-1", "INV-2", "INV-3"]), st.integers(0, 3), ask,
                         st.sampled_from([None, None, "A"]))
ACCOUNT = {"INV-1": "ACC-1", "INV-2": "ACC-1", "INV-3": "ACC-2"}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(row_strategy, min_size=1, max_size=6))
def test_bulk_with_amounts_equals_one_by_one(template, tmp_path_factory, rows):  # noqa: F811
    work = tmp_path_factory.mktemp("eqa")
    bulk_path, seq_path = work / "bulk.duckdb", work / "seq.duckdb"
    shutil.copy(template, bulk_path)
    shutil.copy(template, seq_path)
    table = []
    for n, (debit, which, (kind, value), group) in enumerate(rows):
        items = CHOICES[debit]
        item = items[which % len(items)] if which < 3 else None
        if item is None and kind != "percent":
            kind, value = "quantity", None      # the whole invoice: all of it
        table.append({"debit_invoice_id": debit, "item_id": item,
                      "quantity": value if kind == "quantity" else None,
                      "amount": value if kind in ("amount", "gross") else None,
                      "percent": value if kind == "percent" else None,
                      "gross": "yes" if kind == "gross" else None,
                      "reason": f"r{n}", "group": f"{group}-{ACCOUNT[debit]}" if group else None})
    frame = pd.DataFrame(table, columns=HEADER.split(","), dtype="string")

    with recon.Ledger(bulk_path) as lg:
        try:
            lg.apply(frame, today=TODAY)
            bulk_ok = True
        except BadInput as exc:
            bulk_ok = False
            for p in exc.problems:
                event(p.code)
        bulk_state = _state(lg)
        assert_invariants(lg)

    with recon.Ledger(seq_path) as lg:
        credit_of: dict = {}
        seq_ok = True
        try:
            with lg.db.transaction():
                for r in table:
                    key = ("group", r["group"]) if r["group"] else ("debit", r["debit_invoice_id"])
                    kw = {}
                    if r["item_id"] is None:
                        items, kw = None, ({"percent": r["percent"]} if r["percent"] else {})
                    elif r["amount"] is not None:
                        items = {r["item_id"]: Amount(r["amount"], gross=r["gross"] == "yes")}
                    elif r["percent"] is not None:
                        items = {r["item_id"]: Percent(r["percent"])}
                    else:
                        items = {r["item_id"]: r["quantity"]}
                    res = lg.credit(r["debit_invoice_id"], items, reason=r["reason"], date=TODAY,
                                    into=credit_of.get(key), **kw)
                    credit_of.setdefault(key, res.credit_invoice_id)
        except BadInput:
            seq_ok = False
        seq_state = _state(lg)
        assert_invariants(lg)

    event("applied" if bulk_ok else "refused")
    assert bulk_ok == seq_ok, (table, bulk_ok, seq_ok)
    if bulk_ok:
        assert bulk_state == seq_state
