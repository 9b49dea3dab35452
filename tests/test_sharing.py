"""Several analysts on one ledger: a Ledger holds nothing between calls.

A notebook with the credit dialog open, another analyst's bulk run, the controller's
report: each call opens the file for itself and closes it, so none blocks the others,
and what a call returned stays usable after it.
"""

from __future__ import annotations

import json
import shutil
from decimal import Decimal as D
from pathlib import Path

import pandas as pd
import pytest

import recon
from recon import bulk, credits
from recon import db as dbmod
from recon.dialog import CreditDialog
from tests.conftest import assert_invariants

ROOT = Path(__file__).resolve().parent.parent

INVOICES = """
invoice_id,account_id,type,invoice_date,currency
D1,A1,debit,2026-10-01,EUR
D2,A1,debit,2026-10-02,EUR
"""
ITEMS = """
item_id,invoice_id,line_no,description,quantity,unit_price,tax_rate,net_amount,tax_amount,amount
I1,D1,1,Licence,10,5,0.24,50.00,12.00,62.00
J1,D2,1,Storage,4,2.50,0.24,10.00,2.40,12.40
"""


def test_nothing_is_held_between_calls(make_ledger):
    lg = make_ledger(INVOICES, ITEMS)
    lg.close()
    calls = [
        lambda: lg.accounts(),
        lambda: lg.unpaid_debits("A1"),
        lambda: lg.creditable_items("D1"),
        lambda: lg.credit("D1", {"I1": "2"}, date="2026-10-30", dry_run=True),
        lambda: lg.credit("D1", {"I1": "2"}, date="2026-10-30"),
        lambda: lg.show("D1"),
        lambda: lg.report("2026-10"),
        lambda: lg.table("invoices"),
    ]
    for call in calls:
        call()
        assert dbmod.held() == {}, call


def test_a_ledger_opened_to_write_first_holds_the_file_until_its_first_call_ends(make_ledger):
    # the command line's one-step changes (credit, link, void) open read-write at once
    path = make_ledger(INVOICES, ITEMS).path
    recon.Ledger(path).close()
    lg = recon.Ledger(path, write_first=True)
    assert dbmod.held() == {str(path.resolve()): "read-write"}
    res = lg.credit("D1", {"I1": "2"}, reason="Goodwill", date="2026-10-30")
    assert dbmod.held() == {}  # let go with the call, as any other
    # 2 of 10 licences: 10.00 net + 2.40 tax = 12.40 off D1's 62.00
    assert res.totals == {"EUR": "12.400"} and list(res.debits["unpaid_after"]) == [D("49.600")]
    assert recon.Ledger(path, read_only=True).show("D1")["invoice"].iloc[0].unpaid_amount == D("49.600")
    # a read-only ledger never takes the file for writing, whatever it is asked
    ro = recon.Ledger(path, read_only=True, write_first=True)
    assert dbmod.held() == {}
    with pytest.raises(recon.ReconError, match="read-only"):
        ro.void(res.credit_invoice_id, date="2026-10-31")


def test_results_stay_usable_after_the_ledger_closes(make_ledger, tmp_path):
    lg = make_ledger(INVOICES, ITEMS)
    # 2 of 10 licences: 10.00 net + 2.40 tax = 12.40 off D1's 62.00
    res = lg.credit("D1", {"I1": "2"}, reason="Goodwill", date="2026-10-30")
    page = lg.show("D1")
    rep = lg.report("2026-10")
    lg.close()
    assert dbmod.held() == {}
    assert res.credit_invoice_id == "CN-2026-000001" and res.totals == {"EUR": "12.400"}
    assert list(res.items["amount"]) == [D("12.400")]
    assert list(res.debits["unpaid_after"]) == [D("49.600")]
    assert page["invoice"].iloc[0].unpaid_amount == D("49.600")
    assert list(page["links"].credit_invoice_id) == ["CN-2026-000001"]
    # the report's tables, headline and files need no ledger
    assert rep.ties and list(rep.tables["credits_issued"].credit_invoice_id) == ["CN-2026-000001"]
    assert rep.headline()
    paths = rep.write(tmp_path / "report")
    assert paths["html"].exists() and paths["xlsx"].exists()
    assert dbmod.held() == {}


def test_a_large_bulk_run_reads_its_items_again_after_closing(make_ledger, monkeypatch, tmp_path):
    rows = pd.DataFrame({"debit_invoice_id": ["D1", "D2"], "item_id": ["I1", "J1"],
                         "quantity": ["1", "1"], "reason": ["Price correction"] * 2})
    eager = make_ledger(INVOICES, ITEMS).apply(rows).items
    monkeypatch.setattr(credits, "EAGER_ITEMS", 0)
    lg = make_ledger(INVOICES, ITEMS)
    res = lg.apply(rows)
    lg.close()
    assert isinstance(res, bulk.BulkResult) and res.item_count == 2
    assert res.credit._items is None  # not built yet
    pd.testing.assert_frame_equal(res.items, eager)
    assert dbmod.held() == {}


def test_lg_db_is_released_at_the_end_of_the_next_call(make_ledger):
    lg = make_ledger(INVOICES, ITEMS)
    lg.close()
    assert lg.db.scalar("SELECT count(*) FROM invoices") == 2  # opened on first use
    assert list(dbmod.held().values()) == ["read-write"]
    lg.invoice("D1")  # joins the open connection, then releases it
    assert dbmod.held() == {}
    db = lg.db
    db.execute("INSERT INTO touched VALUES ('D1')")
    lg.close()
    assert db.scalar("SELECT count(*) FROM touched") == 0  # a stale handle reconnects
    lg.close()
    assert dbmod.held() == {}


def test_calls_inside_a_transaction_of_lg_db_join_it(make_ledger):
    lg = make_ledger(INVOICES, ITEMS)
    with pytest.raises(RuntimeError), lg.db.transaction():
        lg.credit("D1", {"I1": "1"}, date="2026-10-30")
        lg.credit("D2", {"J1": "1"}, date="2026-10-30")
        assert len(lg.table("invoices")) == 4  # both credits, not yet committed
        raise RuntimeError("a later step fails")
    assert len(lg.table("invoices")) == 2  # all of it rolled back
    assert dbmod.held() == {}


def test_a_session_holds_the_file_for_its_block(make_ledger):
    lg = make_ledger(INVOICES, ITEMS)
    lg.close()
    with lg.session(write=True) as db:
        lg.credit("D1", {"I1": "1"}, date="2026-10-30")
        assert list(dbmod.held().values()) == ["read-write"]  # still held inside the block
        assert db.scalar("SELECT count(*) FROM invoices WHERE type = 'credit'") == 1
    assert dbmod.held() == {}
    with lg.session() as db, pytest.raises(recon.ReconError, match="read-only session"):
        lg.credit("D2", {"J1": "1"}, date="2026-10-30")
    read_only = recon.Ledger(lg.path, read_only=True)
    with pytest.raises(recon.ReconError, match="open read-only"):
        read_only.credit("D2", {"J1": "1"}, date="2026-10-30")
    assert len(read_only.table("invoices")) == 3
    assert_invariants(lg)


def test_a_notebook_with_the_dialog_open_blocks_no_one(sample_copy, cli, tmp_path):
    """The analyst's notebook: a Ledger kept, the dialog on screen, an invoice chosen."""
    lg = recon.Ledger(sample_copy)
    dlg = CreditDialog(lg, date="2026-10-30")
    dlg.account.value = "ACC-1001"
    dlg.debit.value = "INV-2026-000177"
    assert dbmod.held() == {}
    # meanwhile, other terminals (--wait 0: refused at once if the notebook held it)
    code, out, err = cli("show", "--ledger", sample_copy, "--wait", "0", "INV-2026-000177")
    assert code == 0 and "INV-2026-000177" in out, err
    code, out, err = cli("report", "--ledger", sample_copy, "--wait", "0", "--period", "2026-10",
                         "--out", tmp_path / "report")
    assert code == 0, err
    corrections = tmp_path / "corrections.csv"
    corrections.write_text("debit_invoice_id,item_id,quantity,reason\n"
                           "INV-2026-000184,ITM-0000634,1,Price correction\n")
    code, out, err = cli("apply", "--ledger", sample_copy, "--wait", "0", corrections)
    assert code == 0, err
    # back in the notebook: the dialog saves, and sees the other analyst's credit
    dlg.rows[1].tick.value = True
    dlg.rows[1].quantity.value = "1"
    dlg.show_preview()  # Save saves what was previewed
    res = dlg.save()
    assert res.credit_invoice_id == "CN-2026-000002"  # CN-2026-000001 is the bulk run's
    assert list(lg.show("INV-2026-000184")["links"].credit_invoice_id) == ["CN-2026-000001"]
    assert dbmod.held() == {}
    assert_invariants(lg)
    lg.close()


def _code_cells(notebook: Path) -> list[str]:
    cells = json.loads(notebook.read_text())["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]


@pytest.mark.parametrize("name", ["01_credit_items", "03_bulk_corrections"])
def test_the_notebooks_hold_nothing_between_cells(name, tmp_path, monkeypatch):
    # each cell run by IPython, as the kernel runs it; after every cell the file must be free
    from IPython.core.interactiveshell import InteractiveShell

    monkeypatch.chdir(tmp_path)
    shell = InteractiveShell.instance()
    try:
        for n, source in enumerate(_code_cells(ROOT / "notebooks" / f"{name}.ipynb"), start=1):
            shell.run_cell(source, silent=True).raise_error()
            assert dbmod.held() == {}, f"{name} cell {n} left the ledger held"
        shutil.rmtree(Path(shell.user_ns["path"]).parent, ignore_errors=True)
    finally:
        InteractiveShell.clear_instance()


def test_a_path_with_quotes_is_just_a_path(sample_ledger, tmp_path):
    # the path is a parameter of ATTACH, never SQL text
    target = tmp_path / "it's; DETACH" / "bo'oks.duckdb"
    target.parent.mkdir()
    shutil.copy(sample_ledger, target)
    assert len(recon.Ledger(target).table("invoices")) == 300
