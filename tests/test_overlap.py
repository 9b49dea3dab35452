"""Re-importing the platform's next export, which overlaps the ledger (issue 19).

The same tiny ledger as tests/test_compare.py: D1 = 120.00 + 36.00 EUR and D2 = 48.00
EUR of ACC-1 with P1 = 10.00 paid on D2, and recon's credit CN-2026-000001 (36.00) of
D1's second item. The platform's export is the ledger's export with its changes
(tests/platform_export.py); rows the ledger holds are skipped, new ones added, conflicts
refused unless --update takes them as dated facts.
"""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal as D

import pandas as pd
import pytest

import recon
from recon.db import NeedsUpgrade
from tests.conftest import assert_invariants, assert_same, ledger_state
from tests.platform_export import PlatformExport
from tests.test_compare import CN, INVOICES, ITEMS, PAYMENTS


@pytest.fixture
def books(make_ledger):
    lg = make_ledger(INVOICES, ITEMS, PAYMENTS)
    lg.credit("D1", {"I2": None}, reason="Outage", date="2026-10-20")
    return lg


@pytest.fixture
def export(books, tmp_path):
    return PlatformExport.of(books, tmp_path / "platform")


def invoice(lg, invoice_id):
    return lg.table("invoices").set_index("invoice_id").loc[invoice_id]


def test_reimporting_an_identical_export_is_a_no_op(books, export):
    before = ledger_state(books)
    counts = books.import_dir(export.write(), date="2026-11-05")
    assert counts.added == 0
    # the credit's header, item and link are the ledger's own rows too
    assert counts.skipped == {"invoices": 3, "invoice_items": 4, "payments": 1, "invoice_links": 1}
    assert list(counts.skipped) == ["invoices", "invoice_items", "payments", "invoice_links"]
    assert counts.summary() == ("imported nothing new; skipped 9 row(s) the ledger already holds "
                                "(3 invoices, 4 invoice_items, 1 payments, 1 invoice_links)")
    assert_same(before, ledger_state(books))  # not even an audit row


def test_new_rows_are_added_beside_the_skipped_ones(books, export):
    export.add("invoices", invoice_id="D3", account_id="ACC-1", type="debit", invoice_date="2026-11-01",
               currency="EUR")
    export.add("invoice_items", item_id="I4", invoice_id="D3", line_no="1", description="Storage", quantity="1",
               unit_price="10", tax_rate="0.2", net_amount="10.00", tax_amount="2.00", amount="12.00")
    export.pay("P2", "D2", "38.00", "2026-11-02")
    counts = books.import_dir(export.write(), date="2026-11-05")
    assert (counts["invoices"], counts["invoice_items"], counts["payments"]) == (1, 1, 1)
    assert counts.skipped["invoices"] == 3 and counts.skipped["payments"] == 1
    assert invoice(books, "D2").status == "paid"
    assert invoice(books, "D3").unpaid_amount == D("12.00")
    assert_invariants(books)


def test_a_conflict_is_refused_with_the_ledgers_value_and_the_files(books, export):
    export.set("invoices", {"invoice_id": "D1"}, due_date="2026-11-30")
    export.set("invoice_items", {"item_id": "I3"}, description="Storage (TB)")
    before = ledger_state(books)
    with pytest.raises(recon.BadInput) as err:
        books.import_dir(export.write(), date="2026-11-05")
    got = {(p.file.rsplit("/", 1)[-1], p.row, p.column, p.value, p.code) for p in err.value.problems}
    assert got == {("invoices.csv", 3, "due_date", "2026-11-30", "conflict_update"),
                   ("invoice_items.csv", 5, "description", "Storage (TB)", "conflict")}
    reasons = {p.code: p.reason for p in err.value.problems}
    assert reasons["conflict_update"] == "changed in the platform: the ledger's D1 has due date '2026-10-31'"
    assert reasons["conflict"] == "conflicts with the ledger, where I3 has description 'Storage'"
    assert_same(before, ledger_state(books))
    # --update takes the due date, never an item's description
    with pytest.raises(recon.BadInput) as err:
        books.import_dir(export.folder, date="2026-11-05", update=True)
    assert [p.code for p in err.value.problems] == ["conflict"]
    assert_same(before, ledger_state(books))


def test_update_takes_a_void_as_a_dated_audited_fact(books, export):
    export.void("D2", "2026-11-03")
    counts = books.import_dir(export.write(), date="2026-11-05", update=True)
    assert counts.updated == {"void": 1}
    assert counts.updates[["kind", "id", "column", "after"]].values.tolist() == [
        ["void", "D2", "voided_on", "2026-11-03"]]
    d2 = invoice(books, "D2")
    assert (d2.status, d2.unpaid_amount) == ("void", D("0.00"))
    # the ledger as of the day before still owes 38.00 on D2
    before = books.as_of("2026-11-02").set_index("invoice_id").loc["D2"]
    assert (before.status, before.unpaid_amount) == ("unpaid", D("38.00"))
    audit = books.table("audit_log").sort_values("audit_id")
    assert audit["command"].iloc[-1] == "import --update"
    assert_invariants(books)


def test_a_void_given_by_its_status_alone_takes_the_imports_day(books, export):
    export.void("D2")
    books.import_dir(export.write(), date="2026-11-05", update=True)
    assert str(invoice(books, "D2").voided_on)[:10] == "2026-11-05"


def test_update_moves_a_due_date_and_keeps_the_one_before(books, export):
    export.set("invoices", {"invoice_id": "D1"}, due_date="2026-11-30")
    counts = books.import_dir(export.write(), date="2026-11-05", update=True)
    assert counts.updated == {"due": 1}
    assert str(invoice(books, "D1").due_date)[:10] == "2026-11-30"
    changes = books.table("due_date_changes").astype(str).values.tolist()
    assert changes == [["D1", "2026-11-05", "2026-10-31", "2026-11-30"]]


def test_update_reverses_a_payment_from_its_day(books, export):
    export.set("payments", {"payment_id": "P1"}, reversed_on="2026-11-04")
    counts = books.import_dir(export.write(), date="2026-11-05", update=True)
    assert counts.updated == {"reverse": 1}
    assert invoice(books, "D2").unpaid_amount == D("48.00")  # the 10.00 no longer counts
    assert books.as_of("2026-11-03").set_index("invoice_id").loc["D2"].unpaid_amount == D("38.00")
    assert len(books.table("payments")) == 1  # kept, dated, never deleted
    assert_invariants(books)


def test_a_reversal_before_the_payment_is_refused(books, export):
    export.set("payments", {"payment_id": "P1"}, reversed_on="2026-10-01")
    with pytest.raises(recon.BadInput) as err:
        books.import_dir(export.write(), date="2026-11-05", update=True)
    (p,) = err.value.problems
    assert (p.code, p.column, p.value) == ("reversed_before_paid", "reversed_on", "2026-10-01")
    assert "2026-10-05" in p.reason and p.row == 2


def test_the_dry_run_shows_the_changes_and_saves_nothing(books, export):
    export.void("D2", "2026-11-03")
    export.pay("P2", "D1", "120.00", "2026-11-02")
    before = ledger_state(books)
    counts = books.import_dir(export.write(), date="2026-11-05", update=True, dry_run=True)
    # D2 is not skipped: it changes
    assert counts.summary() == ("would import 1 payments; skipped 8 row(s) the ledger already holds "
                                "(2 invoices, 4 invoice_items, 1 payments, 1 invoice_links); "
                                "would update: 1 debit(s) voided")
    assert_same(before, ledger_state(books))


def test_a_change_dated_in_a_closed_month_is_refused(books, export):
    books.close_period("2026-10", "ana", today=dt.date(2026, 11, 2))
    export.void("D2", "2026-10-30")
    with pytest.raises(recon.BadInput) as err:
        books.import_dir(export.write(), date="2026-11-05", update=True)
    (p,) = err.value.problems
    assert p.code == "period_closed" and "2026-10" in p.reason
    assert invoice(books, "D2").status == "unpaid"


def test_a_credit_the_platform_renumbered_is_the_ledgers(books, export):
    export.renumber(CN, "PCN-77")
    counts = books.import_dir(export.write(), date="2026-11-05")
    assert counts.added == 0 and counts.same_credits == {"PCN-77": CN}
    assert "PCN-77" not in set(books.table("invoices")["invoice_id"])


def test_the_command_line_dry_run_and_update(books, export, cli):
    export.void("D2", "2026-11-03")
    folder = export.write()
    code, out, err = cli("import", "--ledger", books.path, folder, "--date", "2026-11-05")
    assert code == 2 and "--update" in err and "D2" in err
    # each conflict in the rejects file beside the folder: the ledger's value and the file's
    rejects = folder.with_name("platform.rejects.csv")
    assert f"every problem is in {rejects}" in err
    got = pd.read_csv(rejects, dtype=str, keep_default_na=False)
    assert got[["file", "row", "id", "column", "ledger_value", "value"]].values.tolist() == [
        [str(folder / "invoices.csv"), "4", "D2", "voided_on", "", "2026-11-03"]]
    assert got["fix"].iloc[0] == "to take the platform's change as a dated fact, import again with --update"
    code, out, err = cli("import", "--ledger", books.path, folder, "--date", "2026-11-05", "--update", "--dry-run")
    assert code == 0, err
    assert "would update: 1 debit(s) voided" in out and "2026-11-03" in out
    assert invoice(books, "D2").status == "unpaid"
    code, out, err = cli("import", "--ledger", books.path, folder, "--date", "2026-11-05", "--update")
    assert code == 0 and "updated: 1 debit(s) voided" in out, err
    assert invoice(books, "D2").status == "void"


# -- schema 3: payments.reversed_on and due_date_changes -------------------------------------------

def test_a_schema_2_ledger_is_upgraded_keeping_its_facts(books, tmp_path):
    old = tmp_path / "v2.duckdb"
    shutil.copy(books.path, old)
    import duckdb

    con = duckdb.connect(str(old))  # the layout recon wrote before schema 3
    con.execute("DROP TABLE due_date_changes")
    con.execute("CREATE TABLE old_payments AS SELECT payment_id, invoice_id, amount, paid_on FROM payments")
    con.execute("DROP TABLE payments")
    con.execute("CREATE TABLE payments (payment_id VARCHAR PRIMARY KEY, invoice_id VARCHAR NOT NULL,"
                " amount DECIMAL(18,3) NOT NULL CHECK (amount > 0), paid_on DATE NOT NULL)")
    con.execute("INSERT INTO payments SELECT * FROM old_payments")
    con.execute("DROP TABLE old_payments")
    con.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(NeedsUpgrade, match="schema 2"):
        recon.Ledger(old, read_only=True)
    lg = recon.Ledger(old)
    payments = lg.table("payments")
    assert payments[["payment_id", "amount"]].values.tolist() == [["P1", D("10.000")]]
    assert payments["reversed_on"].isna().all()
    assert lg.table("due_date_changes").empty
    with lg.session() as db:
        assert db.scalar("SELECT value FROM meta WHERE key = 'schema_version'") == "3"
    assert_same(ledger_state(books), ledger_state(lg))


def test_export_and_init_round_trip_the_platforms_changes(books, export, tmp_path):
    export.set("invoices", {"invoice_id": "D1"}, due_date="2026-11-30")
    export.set("payments", {"payment_id": "P1"}, reversed_on="2026-11-04")
    books.import_dir(export.write(), date="2026-11-05", update=True)
    books.export(tmp_path / "out", "csv")
    copy = tmp_path / "copy.duckdb"
    recon.init(copy, tmp_path / "out")
    again = recon.Ledger(copy)
    for table in ("due_date_changes", "payments", "invoices", "invoice_links"):
        a = books.table(table).drop(columns=["created_at"], errors="ignore")
        b = again.table(table).drop(columns=["created_at"], errors="ignore")
        assert sorted(a.astype(str).values.tolist()) == sorted(b.astype(str).values.tolist()), table
    assert again.table("due_date_changes").astype(str).values.tolist() == [
        ["D1", "2026-11-05", "2026-10-31", "2026-11-30"]]
    assert again.as_of("2026-11-03").set_index("invoice_id").loc["D2"].unpaid_amount == D("38.00")
