#!/usr/bin/env python3
"""Generate data/next_month/: the platform's export a month after the demo (issue 19).

The demo (``recon demo``) corrects October's invoices in recon; the credits it decides
are then created in the billing platform, and the platform's next export should agree
with the ledger. This is that export, made from the demo's own ledger with a few
changes planted the way the platform makes them, for the demo's ``compare`` step:

- the demo's first credit, CN-2026-000001, created in the platform under its own number
  (PCN-2026-004711): the same credit, matched by content, not a difference;
- the demo's last credit not created in the platform yet;
- an unpaid October debit voided in the platform;
- a payment received in November;
- a debit's due date moved;
- a new November debit, not imported yet.

The platform states no figures of its own here (no total or unpaid amount; status only
for the void): compare works them out from its items, payments and links.

Usage::

    .venv/bin/python scripts/make_next_month.py        # writes <repo>/data/next_month/
    .venv/bin/python scripts/make_next_month.py DIR    # writes DIR/ (tests compare the two)
"""

from __future__ import annotations

import contextlib
import io
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from recon import Ledger  # noqa: E402
from recon.demo import MONTH_END, run_demo  # noqa: E402
from tests.platform_export import PlatformExport  # noqa: E402

OUT = ROOT / "data" / "next_month"
RENUMBERED = ("CN-2026-000001", "PCN-2026-004711")


def main(out: Path = OUT) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        # the demo as it stands at October's close: without this export, it neither
        # compares nor imports next month (what it would find is what is made here)
        data = tmp / "data"
        shutil.copytree(ROOT / "data", data, ignore=shutil.ignore_patterns("next_month"))
        with contextlib.redirect_stdout(io.StringIO()):
            run_demo(tmp / "demo", data)
        lg = Ledger(tmp / "demo" / "ledger.duckdb", read_only=True)
        export = PlatformExport.of(lg, tmp / "platform")
        inv = lg.table("invoices")
        links = lg.table("invoice_links")
        # the demo's October credits; its November goodwill credit is not in this export
        credits = sorted(inv[(inv.type == "credit") & (inv.invoice_date <= MONTH_END)].invoice_id)
        november = sorted(inv[(inv.type == "credit") & (inv.invoice_date > MONTH_END)].invoice_id)
        # October debits nobody touched in the demo: unpaid, unpaid in full, no credit applied
        quiet = inv[(inv.type == "debit") & (inv.status == "unpaid") & (inv.unpaid_amount == inv.total)
                    & ~inv.invoice_id.isin(links.debit_invoice_id)
                    & (inv.invoice_date.astype(str) >= "2026-10-01")].sort_values("invoice_id")
        voided, paid, moved = quiet.iloc[0], quiet.iloc[1], quiet.iloc[2]
        lg.close()

    export.renumber(*RENUMBERED)
    last = credits[-1]
    for credit in (last, *november):
        for table, column in (("invoices", "invoice_id"), ("invoice_items", "invoice_id"),
                              ("invoice_links", "credit_invoice_id")):
            export.drop(table, **{column: credit})
    export.void(voided.invoice_id)
    export.pay("PAY-000901", paid.invoice_id, _text(paid.unpaid_amount, paid.currency), "2026-11-12")
    export.set("invoices", {"invoice_id": moved.invoice_id}, due_date="2026-12-15")
    export.add("invoices", invoice_id="INV-2026-000301", account_id="ACC-1001", type="debit",
               invoice_date="2026-11-01", due_date="2026-11-30", currency="EUR")
    export.add("invoice_items", item_id="ITM-0001028", invoice_id="INV-2026-000301", line_no="1",
               description="Support plan — Business", quantity="1", unit_price="250", tax_rate="0.20",
               net_amount="250.00", tax_amount="50.00", amount="300.00", period_start="2026-11-01",
               period_end="2026-11-30", added_on="2026-11-01")
    # the platform's own tables only, without the ledger's bookkeeping columns
    export.t = {t: f for t, f in export.t.items() if t in ("invoices", "invoice_items", "payments",
                                                         "invoice_links")}
    export.t["invoices"] = export.t["invoices"].drop(columns=["origin", "batch_id", "created_at"])
    shutil.rmtree(out, ignore_errors=True)
    export.folder = out
    export.write()
    print(f"wrote {out}: {RENUMBERED[0]} as {RENUMBERED[1]}, {last} left out, {voided.invoice_id} voided, "
          f"{paid.invoice_id} paid, {moved.invoice_id} due 2026-12-15, INV-2026-000301 new")


def _text(amount, currency: str) -> str:
    return f"{amount:.0f}" if currency == "JPY" else f"{amount:.2f}"


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
