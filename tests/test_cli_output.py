"""What the `recon` command prints, as snapshots: an analyst's session on the sample data.

Each command's exit code, stdout and stderr are kept in tests/golden/cli/ (the ledger's
folder shown as <tmp>, timings as [t]). After a deliberate change of the output,
regenerate them with RECON_REGENERATE=1 and read the diff before committing.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import DATA

GOLDEN = Path(__file__).parent / "golden" / "cli"
REGENERATE = os.environ.get("RECON_REGENERATE") == "1"

SESSION = [
    ("help", ["--help"]),
    ("version", ["--version"]),
    ("credit-help", ["credit", "--help"]),
    ("show-debit", ["show", "{L}", "INV-2026-000177"]),
    ("credit-dry-run", ["credit", "{L}", "INV-2026-000177", "--item", "ITM-0000615=1", "--reason",
                        "SLA credit", "--date", "2026-10-30", "--dry-run"]),
    ("credit", ["credit", "{L}", "INV-2026-000177", "--item", "ITM-0000615=1", "--reason", "SLA credit",
                "--date", "2026-10-30"]),
    ("credit-paid-stays-available", ["credit", "{L}", "INV-2026-000190", "--allow-paid", "--reason",
                                     "Goodwill", "--date", "2026-10-31"]),
    ("show-credit", ["show", "{L}", "CN-2026-000001"]),
    ("credit-unknown-debit", ["credit", "{L}", "INV-2026-999999"]),
    ("show-unknown", ["show", "{L}", "INV-2026-00017"]),
    ("void", ["void", "{L}", "CN-2026-000001"]),
    ("show-void-credit", ["show", "{L}", "CN-2026-000001"]),
    ("apply-dry-run", ["apply", "{L}", str(DATA / "corrections.csv"), "--dry-run"]),
    ("cancel-dry-run", ["cancel", "{L}", str(DATA / "cancellations.csv"), "--dry-run", "--date",
                        "2026-10-31"]),
    ("report-headline", ["report", "{L}", "--period", "2026-10"]),
    # the platform's export again: every row is the ledger's; the ledger's own credits differ
    ("import-again-dry-run", ["import", "{L}", str(DATA), "--dry-run", "--date", "2026-10-31"]),
    ("compare", ["compare", "{L}", str(DATA)]),
    ("match-help", ["match", "--help"]),
    # the customer's side: part of the goodwill credit on INV-2026-000003 (ACC-1008) paid back
    ("refund-dry-run", ["refund", "{L}", "CN-2026-000002", "--amount", "1000.00", "--date", "2026-10-31",
                        "--reference", "SEPA 0815", "--dry-run"]),
    ("refund", ["refund", "{L}", "CN-2026-000002", "--amount", "1000.00", "--date", "2026-10-31",
                "--reference", "SEPA 0815"]),
    ("refund-above-available", ["refund", "{L}", "CN-2026-000002", "--amount", "30000.00"]),
    ("void-refunded-credit", ["void", "{L}", "CN-2026-000002"]),
    ("balance", ["balance", "{L}", "ACC-1008", "--as-of", "2026-10-31"]),
    ("balance-every-account", ["balance", "{L}", "--as-of", "2026-10-31", "--currency", "USD"]),
    ("statement", ["statement", "{L}", "ACC-1008", "--from", "2026-10-01", "--to", "2026-10-31"]),
]


def _normalise(text: str, tmp: Path) -> str:
    """Paths, timings and today's date (the default date of a void or a credit) as placeholders."""
    import datetime as dt

    text = text.replace(str(tmp), "<tmp>").replace(str(DATA), "<data>")
    text = text.replace(dt.date.today().isoformat(), "<today>")
    return re.sub(r"\[\s*\d+\.\d+s\]", "[t]", text)


def _paid_debit(ledger: Path) -> str:
    import recon

    with recon.Ledger(ledger, read_only=True) as lg:
        inv = lg.table("invoices")
    return sorted(inv[(inv.type == "debit") & (inv.status == "paid")].invoice_id)[0]


@pytest.fixture
def session(sample_ledger, tmp_path, capsys, monkeypatch):
    """Runs SESSION through the CLI's main() in this process: {name: what it printed}."""
    from recon.cli import main

    monkeypatch.delenv("RECON_LEDGER", raising=False)
    monkeypatch.setenv("COLUMNS", "100")  # argparse wraps help to the terminal's width
    ledger = tmp_path / "books.duckdb"
    shutil.copy(sample_ledger, ledger)
    paid = _paid_debit(ledger)
    outputs = {}
    for name, args in SESSION:
        argv = []
        for a in args:
            argv += ["--ledger", str(ledger)] if a == "{L}" else [paid if a == "INV-2026-000190" else a]
        capsys.readouterr()
        try:
            code = main(argv)
        except SystemExit as exc:  # --help and --version end the parser
            code = exc.code
        out, err = capsys.readouterr()
        shown = " ".join("<ledger>" if a == str(ledger) else a for a in argv)
        outputs[name] = _normalise(f"$ recon {shown}\n[exit {code}]\n--- stdout\n{out}--- stderr\n{err}",
                                   tmp_path)
    return outputs


def test_cli_output_snapshots(session):
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for i, (name, _) in enumerate(SESSION, start=1):
        path = GOLDEN / f"{i:02d}-{name}.txt"
        if REGENERATE:
            path.write_text(session[name], encoding="utf-8")
        assert path.exists(), f"{path} missing: run with RECON_REGENERATE=1"
        assert session[name] == path.read_text(encoding="utf-8"), \
            f"the output of `{name}` differs from {path} (RECON_REGENERATE=1 rewrites it)"


def test_what_a_person_reads(session):
    # every line of the invoice pages fits 100 columns
    for name in ("show-debit", "show-credit", "show-void-credit", "credit", "report-headline", "compare"):
        wide = [line for line in session[name].splitlines()[1:] if len(line) > 100]
        assert not wide, (name, wide)
    # money with thousands separators and the currency's decimals
    assert "total     29,842.70 EUR" in session["show-debit"]
    assert "created credit invoice CN-2026-000001: total 166.71 EUR" in session["credit"]
    assert "INV-2026-000177: linked 166.71 EUR; unpaid 29,842.70 EUR -> 29,675.99 EUR" in session["credit"]
    # a credit's unpaid amount is what it still has available; a paid debit's credit stays so
    assert "available 0.00 EUR" in session["show-credit"]
    assert "stays available (not applied)" in session["credit-paid-stays-available"]
    assert " paid" not in session["credit-paid-stays-available"].split("--- stderr")[1].split("\n")[1]
    # a void credit shows its links, ended
    assert "INV-2026-000177" in session["show-void-credit"] and "status    void" in session["show-void-credit"]
    # an unknown number: the closest existing ones, no nested brackets, no pointer to a command
    unknown = session["credit-unknown-debit"]
    assert "unknown debit invoice (the closest debit invoice numbers: INV-2026-" in unknown
    assert "))" not in unknown and "recon show" not in unknown
    assert "closest invoice numbers: INV-2026-000017" in session["show-unknown"]
    # the dry runs print money with decimals
    assert re.search(r"\d,\d{3}\.\d\d", session["apply-dry-run"])
    assert re.search(r"\d\.\d\d  EUR", session["cancel-dry-run"])
    assert "[exit 0]" in session["report-headline"] and "unpaid at period end" in session["report-headline"]
    assert "recon 0.1.0" in session["version"]
    # the sample export read again: nothing new; compare names the credits recon made (exit 1)
    assert "would import nothing new; skipped 1,495 row(s)" in session["import-again-dry-run"]
    assert "[exit 1]" in session["compare"] and "→ credit CN-2026-000002 is not in the platform yet" in session["compare"]
    # the customer's side: the refund leaves the credit's available amount, and shows up in
    # the balance (26,996.91 − 1,000.00 available) and, as the last event, on the statement
    assert "available 26,996.91 EUR -> 25,996.91 EUR" in session["refund"]
    assert "[exit 2]" in session["refund-above-available"] and "refund at most 25996.91 EUR" in \
        session["refund-above-available"]
    assert "[exit 2]" in session["void-refunded-credit"] and "cannot be voided" in session["void-refunded-credit"]
    assert "credit available 25,996.91 EUR" in session["balance"]
    assert "net receivable 76,043.85 EUR" in session["balance"]  # 102,040.76 − 25,996.91
    assert "refund           CN-2026-000002   RF-2026-000001    1,000.00" in session["statement"]
    assert "= balance as of 2026-10-31 76,043.85 EUR (difference 0.00 EUR)" in session["statement"]
    usd = [line.split()[0] for line in session["balance-every-account"].splitlines() if "  USD  " in line]
    assert usd == ["ACC-1003", "ACC-1004", "ACC-1009"]  # who owes most first
    help_text = session["credit-help"]
    for shown in ("DEBIT_ID", "the unpaid debit invoice to credit", "--reason TEXT", "why the credit"):
        assert shown in help_text, shown
