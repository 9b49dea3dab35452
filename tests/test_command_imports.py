"""The everyday commands print records, not frames: `recon --help`, `show`, `credit`, `link`,
`unlink` and `void` never import pandas or pyarrow (~0.4 s a command, issue 15), and the
records say exactly what the frames say."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal as D

import pytest

from tests.test_links import INVOICES, ITEMS, PAID

# run the real entry point in a fresh interpreter, then list the heavy modules it loaded
PROBE = """
import sys
from recon.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
import json
print(json.dumps({"code": code, "heavy": sorted(m for m in ("pandas", "pyarrow", "pandera", "numpy")
                                                 if m in sys.modules)}), file=sys.stderr)
"""


def probe(*args) -> dict:
    p = subprocess.run([sys.executable, "-c", PROBE, *map(str, args)], capture_output=True,
                       text=True, timeout=120)
    return json.loads(p.stderr.strip().splitlines()[-1]) | {"stdout": p.stdout}


@pytest.fixture
def books(make_ledger):
    lg = make_ledger(INVOICES, ITEMS, PAID)
    return lg.path


def test_everyday_commands_import_neither_pandas_nor_pyarrow(books):
    lg = ["--ledger", books]
    assert probe("--help")["heavy"] == []
    # the preview an analyst runs before saving: its items' table from records too
    preview = probe("credit", *lg, "D2", "--item", "I3=0.5", "--date", "2026-11-20", "--dry-run")
    assert (preview["code"], preview["heavy"]) == (0, [])
    made = probe("credit", *lg, "D2", "--item", "I3=0.5", "--reason", "Goodwill", "--date", "2026-11-20")
    assert (made["code"], made["heavy"]) == (0, [])
    credit = made["stdout"].strip()
    assert credit == "CN-2026-000001"
    for args in (["show", *lg, "D2"], ["show", *lg, credit],
                 ["unlink", *lg, credit, "D2", "--date", "2026-11-20"],
                 ["link", *lg, credit, "D2", "--date", "2026-11-21"],
                 ["void", *lg, credit, "--date", "2026-11-22"]):
        got = probe(*args)
        assert (args[0], got["code"], got["heavy"]) == (args[0], 0, [])


def test_credit_summary_says_what_the_frames_say(make_ledger):
    """Two copies of one ledger, the same credit: records on one, frames on the other."""
    a, b = make_ledger(INVOICES, ITEMS, PAID), make_ledger(INVOICES, ITEMS, PAID)
    kw = {"reason": "Goodwill", "date": "2026-11-20", "allow_paid": True}
    framed = a.credit("D1", {"I1": "3", "I2": None}, **kw)
    summary = b.credit("D1", {"I1": "3", "I2": None}, rows=True, **kw)
    assert summary.credit_invoice_id == framed.credit_invoice_id == "CN-2026-000001"
    assert summary.credit._asdict() == framed.credits.iloc[0].to_dict()
    # D1 is paid (86.80): the credit stays available, linked to nothing
    assert [d._asdict() for d in summary.debits] == [
        dict(r, linked=None) for r in framed.debits.to_dict("records")]
    assert (summary.item_count, summary.links, summary.totals) == (2, 0, {"EUR": "43.400"})
    assert summary.credit.total == D("43.40") and summary.credit.available == D("43.40")
    unpaid = b.credit("D2", {"I3": "0.5"}, rows=True, **kw)
    # half of D2's 12.40 is linked to it: 6.20 left to pay
    assert [(d.debit_invoice_id, d.linked, d.unpaid_before, d.unpaid_after, d.status_after)
            for d in unpaid.debits] == [("D2", D("6.20"), D("12.40"), D("6.20"), "unpaid")]
    assert unpaid.links == 1
    assert summary.items is None  # a saved credit's items are the ledger's


def test_a_dry_run_summary_says_what_the_dry_run_frames_say(make_ledger):
    lg = make_ledger(INVOICES, ITEMS, PAID)
    kw = {"reason": "Goodwill", "date": "2026-11-20", "dry_run": True}
    framed = lg.credit("D2", {"I3": "0.5"}, **kw)
    summary = lg.credit("D2", {"I3": "0.5"}, rows=True, **kw)
    assert summary.credit._asdict() == {k: v for k, v in framed.credits.iloc[0].to_dict().items()}
    assert [r._asdict() for r in summary.items] == framed.items.to_dict("records")
    assert summary.item_count == len(framed.items) == 1
    linked = framed.links.groupby("debit_invoice_id")["amount"].sum().to_dict()
    assert [d._asdict() for d in summary.debits] == [
        dict(r, linked=linked.get(r["debit_invoice_id"])) for r in framed.debits.to_dict("records")]
    assert lg.table("invoices").query("type == 'credit'").empty  # neither saved anything


def test_void_records_match_the_frame(make_ledger):
    a, b = make_ledger(INVOICES, ITEMS, PAID), make_ledger(INVOICES, ITEMS, PAID)
    for lg in (a, b):
        lg.credit("D2", {"I3": None}, date="2026-11-20")
    framed = a.void("CN-2026-000001", date="2026-11-21")
    rows = b.void("CN-2026-000001", date="2026-11-21", rows=True)
    assert [r._asdict() for r in rows] == framed.to_dict("records")
    # the credit first (it becomes void), then its debit, unpaid again in full
    assert [(r.invoice_id, r.type, r.status_after, r.unpaid_after) for r in rows] == [
        ("CN-2026-000001", "credit", "void", D("0")), ("D2", "debit", "unpaid", D("12.40"))]
