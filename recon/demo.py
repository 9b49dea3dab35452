"""``recon demo``: the main job on the bundled sample data, start to finish.

Builds a fresh ledger from data/, credits specific items (partial quantities, the
platform's "Insert from Invoice"), credits a whole invoice, runs the bulk correction file
and the cancellation file of data/, exports the linked results and writes the month-end
report for the sample month, and closes the books through that month when the report
ties. Then the monthly cycle's last step: the platform's next export (data/next_month/,
with a few differences planted: scripts/make_next_month.py) is compared with the
ledger, its changes imported with --update, and compared again; last, half of a goodwill
credit is refunded in November and that account's statement written. Prints where everything
is and the headline figures; the exit code is the report's (0: everything ties).
"""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

from .errors import BadInput
from .formats import money
from .ledger import Ledger

DATA = Path(__file__).resolve().parent.parent / "data"
#: the sample data's month; the demo's credits are dated within it
PERIOD = "2026-10"
MONTH_END = dt.date(2026, 10, 31)


def sample_data_dir(data: str | Path | None = None) -> Path:
    path = Path(data) if data else DATA
    if not (path / "invoices.csv").exists():
        raise BadInput(f"sample data not found in {path}; pass --data DIR (the repo's data/ folder)")
    return path


def demo_invoices(data: Path) -> list[str]:
    return [line.strip() for line in (data / "demo_invoices.txt").read_text().splitlines() if line.strip()]


def run_demo(out: str | Path, data: str | Path | None = None) -> int:
    data = sample_data_dir(data)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ledger_path = out / "ledger.duckdb"
    for stale in (ledger_path, ledger_path.with_suffix(".duckdb.wal")):
        stale.unlink(missing_ok=True)
    first, second, third, *_ = demo_invoices(data)
    with Ledger.create(ledger_path) as lg:
        counts = lg.import_dir(data)
        print(f"ledger {ledger_path}: imported {counts['invoices']} invoices, "
              f"{counts['invoice_items']} items, {counts['payments']} payments")

        # 1. Credit specific items with edited quantities ("Insert from Invoice").
        items = lg.creditable_items(first)
        picks = {}
        for _, it in items.head(2).iterrows():
            q = it.creditable_quantity
            picks[it.item_id] = str(q / 2 if q > 1 else q)
        res = lg.credit(first, picks, reason="Service outage SLA credit", date="2026-10-30")
        credit_id = res.credit_invoice_id
        _report(lg, "credited items of", first, credit_id)
        # ... and items of another debit invoice into the same credit invoice.
        other = lg.creditable_items(second).iloc[0]
        lg.credit(second, {other.item_id: None}, into=credit_id, date="2026-10-30")
        _report(lg, "added to the same credit an item of", second, credit_id)

        # 2. Credit a whole debit invoice in one action.
        res = lg.credit(third, reason="Duplicate invoice", date="2026-10-31")
        _report(lg, "credited the whole of", third, res.credit_invoice_id)

        # 3. A bulk correction run from the platform's export (SPEC §5), dated at month end.
        bulk = lg.apply(data / "corrections.csv", today=MONTH_END)
        print(f"  bulk run: {bulk.summary()}")

        # 4. Services cancelled mid-period: the unused days are credited automatically.
        cancelled = lg.cancel(data / "cancellations.csv", date=MONTH_END)
        totals = ", ".join(money(Decimal(v), c, code=True) for c, v in sorted(cancelled.totals.items()))
        print(f"  cancellations: {len(cancelled.credits)} credit invoice(s) for the unused days"
              f" ({totals}), {len(cancelled.links)} linked to debit invoices")

        export = out / "export"
        shutil.rmtree(export, ignore_errors=True)
        lg.export(export, "csv")
        print(f"exported the ledger's tables to {export}/")

        # 5. Close the month: the reconciliation report for the sample month; when it ties
        #    with no exception, the books are closed through October, in order, signed off
        #    by a preparer and a reviewer, and the report is written with its sign-off.
        rep = lg.report(PERIOD)
        if rep.exit_code == 0:
            for month in lg.periods().query("period <= @PERIOD and state == 'open'")["period"]:
                lg.close(month, by="Demo Preparer", reviewed_by="Demo Reviewer")
            print(f"closed the books through {PERIOD} (nothing can be dated in it now; "
                  f"`recon periods --ledger {ledger_path}` lists the months)")
        rep = lg.report(PERIOD, out=out / "report")
        print(f"month-end report {PERIOD}: {rep.paths['html']}")
        for line in rep.headline():
            print(f"  {line}")

        # 6. Next month: the platform's export, after the credits were created there,
        #    against the ledger; its changes are taken with --update, and compared again.
        if (data / "next_month").is_dir():
            _next_month(lg, data / "next_month", out / "compare")

        # 7. The customer's side, in November: a goodwill credit on a debit the customer
        #    has paid stays available; half of it is paid back as a refund, and the
        #    account's statement for October and November shows both, closing on the
        #    account's balance at the end of November.
        nov_end = dt.date(2026, 11, 30)
        refund_account = lg.invoice(first).iloc[0].account_id
        paid = lg.as_of(nov_end).query(
            "account_id == @refund_account and type == 'debit' and status == 'paid'")
        goodwill = lg.credit(sorted(paid.invoice_id)[0], allow_paid=True, reason="Goodwill",
                             date=nov_end).credit_invoice_id
        c = lg.invoice(goodwill).iloc[0]
        back = c.total // 2  # whole units: exact in any currency
        refund = lg.refund(goodwill, back, date=nov_end, reference="Demo bank transfer")
        st = lg.statement(refund_account, f"{PERIOD}-01", nov_end, out=out / "statement")
        print(f"refunded {money(back, c.currency, code=True)} of goodwill credit {goodwill} "
              f"({money(c.total, c.currency, code=True)}) as {refund.refund_ids[0]}; statement of "
              f"{refund_account}, {PERIOD}-01 to {nov_end}: {st.paths['html']}")
    return rep.exit_code


def _next_month(lg: Ledger, export: Path, out: Path) -> None:
    from .cli import differences_table

    cmp = lg.compare(export)
    cmp.write(out)
    print(f"compared with the platform's next export {export}/ ({cmp.paths['html']}):")
    for line in cmp.headline():
        print(f"  {line}")
    if not cmp.agree:
        print(differences_table(cmp.differences))
    counts = lg.import_dir(export, date="2026-11-30", update=True)
    print(f"  recon import --update: {counts.summary()}")
    again = lg.compare(export)
    print(f"  compared again: {again.headline()[0].replace(str(export), 'the export')}")
    for cause in sorted(set(again.differences["cause"])):
        print(f"    → {cause}")


def _report(lg: Ledger, verb: str, debit: str, credit_id: str) -> None:
    d = lg.invoice(debit).iloc[0]
    c = lg.invoice(credit_id).iloc[0]
    print(f"  {verb} {debit} -> {credit_id} (total {money(c.total, c.currency, code=True)}); "
          f"{debit} now {d.status}, unpaid {money(d.unpaid_amount, d.currency, code=True)}")
