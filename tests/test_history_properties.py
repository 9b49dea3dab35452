"""Properties over random histories of every operation spread over three months
(tests/histories.py):

- a month's report produced at the end of the month equals the one produced after any
  later activity, with and without closing the month (issue 12);
- export → init --from → export gives the same CSV files byte for byte, from a CSV,
  Parquet or XLSX export (issue 13);
- every invariant holds at the end, today and as of every month's end;
- every account's statement of a month closes on its balance as of the month's last day
  and opens on the previous month's close, and the credit roll-forward ties (issue 18).
"""

from __future__ import annotations

import itertools

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import recon
from recon.integrity import breaches
from tests import histories

_counter = itertools.count()
SETTINGS = settings(max_examples=20, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _tables(lg, month):
    return {k: v for k, v in lg.report(month).tables.items() if k != "gl"}


@SETTINGS
@given(history=histories.histories())
def test_a_months_report_never_changes_after_it_ends(tmp_path_factory, history):
    folder = tmp_path_factory.mktemp(f"h{next(_counter)}")
    lg = histories.make(folder / "ledger.duckdb")
    try:
        seen: dict[str, dict] = {}
        for day, kind, args in history:
            for month in histories.MONTHS:  # a month ended before this day: its report now
                if month not in seen and pd.Period(month, "M").end_time.date() < day:
                    seen[month] = _tables(lg, month)
            histories.run(lg, day, kind, args, folder)
        for month, tables in seen.items():
            later = _tables(lg, month)
            for name in tables:
                pd.testing.assert_frame_equal(tables[name], later[name], obj=f"{month} {name}")
        assert breaches(lg.db).empty, breaches(lg.db).to_string()
        for month in histories.MONTHS:
            end = pd.Period(month, "M").end_time.date()
            found = breaches(lg.db, end)
            assert found.empty, found.to_string()
    finally:
        lg.close()


def _csv_files(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.csv"))}


@SETTINGS
@given(history=histories.histories(max_ops=10), fmt=st.sampled_from(["csv", "parquet", "xlsx"]))
def test_export_then_init_from_it_loses_nothing(tmp_path_factory, history, fmt):
    folder = tmp_path_factory.mktemp(f"r{next(_counter)}")
    lg = histories.make(folder / "ledger.duckdb")
    try:
        for day, kind, args in history:
            histories.run(lg, day, kind, args, folder)
        lg.export(folder / "first", "csv")
        lg.export(folder / "out", fmt)
    finally:
        lg.close()
    recon.init(folder / "copy.duckdb", folder / "out")
    with recon.Ledger(folder / "copy.duckdb") as copy:
        copy.export(folder / "again", "csv")
        assert breaches(copy.db).empty
    first, again = _csv_files(folder / "first"), _csv_files(folder / "again")
    assert first.keys() == again.keys()
    for name in first:
        assert first[name] == again[name], name


@settings(SETTINGS, max_examples=6)
@given(history=histories.histories())
def test_statements_close_on_the_balance_and_the_credit_rollforward_ties(tmp_path_factory, history):
    folder = tmp_path_factory.mktemp(f"s{next(_counter)}")
    lg = histories.make(folder / "ledger.duckdb")
    try:
        for day, kind, args in history:
            histories.run(lg, day, kind, args, folder)
        for account in ("ACC-1", "ACC-2"):
            closed_before = None
            for month in histories.MONTHS:
                first, last = pd.Period(month, "M").start_time.date(), pd.Period(month, "M").end_time.date()
                st_ = lg.statement(account, first, last)
                summary = st_.summary.set_index("currency")
                balance = lg.balance(account, as_of=last).set_index("currency")["net_receivable"]
                # closing = opening + every event of the month = the balance as of its last day
                assert st_.ties, st_.summary.to_string()
                assert (summary["closing_balance"] == balance.reindex(summary.index).fillna(0)).all()
                # as Python decimals: two DECIMAL(38, s) columns added in Arrow need 39 digits
                events = st_.events.groupby("currency")["amount"].sum().astype(object)
                assert (summary["closing_balance"].astype(object)
                        == summary["opening_balance"].astype(object)
                        + events.reindex(summary.index).fillna(0)).all()
                if closed_before is not None:  # a month opens where the one before closed
                    assert (summary["opening_balance"]
                            == closed_before.reindex(summary.index).fillna(0)).all()
                closed_before = summary["closing_balance"]
        for month in histories.MONTHS:
            credit = lg.report(month).tables["credit_rollforward"]
            assert (credit["difference"] == 0).all(), credit.to_string()
    finally:
        lg.close()
