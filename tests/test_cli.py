"""The `recon` command, run as an analyst runs it: exit codes, one-line errors, no traceback."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import pytest

import recon
import recon.cli as cli_module
from tests.conftest import DATA


def fingerprint(path) -> str:
    """A hash of every table's rows: equal means the ledger is unchanged."""
    with recon.Ledger(path, read_only=True) as lg:
        h = hashlib.sha256()
        for t in ("invoices", "invoice_items", "payments", "invoice_links", "audit_log", "batches"):
            h.update(lg.table(t).to_csv(index=False).encode())
        return h.hexdigest()


def test_init_credit_show_void_export(cli, tmp_path):
    ledger = tmp_path / "books.duckdb"
    code, out, err = cli("init", "--ledger", ledger, "--from", DATA)
    assert code == 0, err
    assert "imported 300 invoices, 1,027 invoice_items, 168 payments" in out

    code, out, err = cli("credit", "--ledger", ledger, "INV-2026-000177", "--item", "ITM-0000615=1",
                         "--reason", "SLA credit", "--date", "2026-10-30")
    assert (code, out.strip()) == (0, "CN-2026-000001"), err
    # 134.44 + 24% tax
    assert "created credit invoice CN-2026-000001: total 166.71 EUR, 1 item(s), all of it applied" in err
    assert "INV-2026-000177: linked 166.71 EUR; unpaid 29,842.70 EUR -> 29,675.99 EUR, unpaid -> unpaid" in err

    code, out, err = cli("credit", "--ledger", ledger, "INV-2026-000184", "--item", "ITM-0000634",
                         "--into", "CN-2026-000001", "--date", "2026-10-30")
    assert (code, out.strip()) == (0, "CN-2026-000001"), err
    assert "added to credit invoice CN-2026-000001: total 1,164.84 EUR" in err

    code, out, _ = cli("show", "--ledger", ledger, "CN-2026-000001")
    assert code == 0
    assert "credit invoice of ACC-1001, 2026-10-30, EUR" in out
    assert "total     1,164.84 EUR" in out  # 166.71 + 998.13
    assert "available 0.00 EUR" in out and "unpaid  " not in out
    assert "INV-2026-000184" in out and "ITM-0000634" in out

    code, out, err = cli("credit", "--ledger", ledger, "INV-2026-000186", "--date", "2026-10-31")
    assert (code, out.strip()) == (0, "CN-2026-000002")
    assert "INV-2026-000186: linked 5,588.12 EUR; unpaid 5,588.12 EUR -> 0.00 EUR, unpaid -> paid" in err

    code, out, _ = cli("void", "--ledger", ledger, "CN-2026-000002")
    assert code == 0 and "INV-2026-000186: unpaid 0.00 EUR -> 5,588.12 EUR, paid -> unpaid" in out
    code, out, _ = cli("show", "--ledger", ledger, "CN-2026-000002")
    assert "INV-2026-000186" in out and "2026-10-31" in out  # the ended link of the void credit

    code, out, _ = cli("export", "--ledger", ledger, "--out", tmp_path / "out", "--format", "parquet")
    assert code == 0 and (tmp_path / "out" / "invoice_links.parquet").exists()


def test_environment_variable_names_the_ledger(cli, sample_copy):
    code, out, _ = cli("show", "INV-2026-000177", env={"RECON_LEDGER": str(sample_copy)})
    assert code == 0 and "INV-2026-000177" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["credit", "NOPE"], "value 'NOPE': unknown debit invoice"),
        (["credit", "INV-2026-000177", "--item", "ITM-0000615=abc"], "quantity 'abc' is not a number"),
        (["credit", "INV-2026-000177", "--item", "ITM-0000615=0"], "quantity must be greater than 0"),
        (["credit", "INV-2026-000177", "--item", "ITM-0000615=99"], "exceeds the 45 still creditable"),
        (["credit", "INV-2026-000177", "--item", "ITM-0000615=1.0000001"], "more than 6 decimals"),
        (["credit", "INV-2026-000177", "--item", "ITM-0000640"], "belongs to invoice INV-2026-000186"),
        (["credit", "INV-2026-000177", "--date", "2026-10-32"], "--date '2026-10-32' is not a date"),
        (["credit", "INV-2026-000177", "--date", "2026-01-01"], "before debit invoice INV-2026-000177"),
        (["credit", "INV-2026-000177", "--into", "INV-2026-000184"], "is not a credit invoice"),
        (["credit", "INV-2026-000277"], "debit invoice is void"),
        (["void", "INV-2026-000177"], "only credit invoices can be voided"),
        (["void", "CN-2026-999999"], "not found"),
        (["show", "NOPE"], "invoice 'NOPE' not found"),
        (["import", "/nonexistent"], "not a folder"),
        (["import", str(DATA / "data")], "not a folder"),
        (["export", "--out", "x", "--format", "csv"], None),
    ],
)
def test_bad_input_exits_2_with_one_clear_line_and_changes_nothing(cli, sample_copy, args, message):
    before = fingerprint(sample_copy)
    code, out, err = cli(*args[:1], "--ledger", sample_copy, *args[1:])
    if message is None:  # a control: a valid command
        assert code == 0
        return
    assert code == 2, (out, err)
    assert message in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert fingerprint(sample_copy) == before


def test_paid_invoice_needs_allow_paid(cli, sample_copy):
    with recon.Ledger(sample_copy, read_only=True) as lg:
        inv = lg.table("invoices")
    paid = inv[(inv.type == "debit") & (inv.status == "paid")].invoice_id.iloc[0]
    before = fingerprint(sample_copy)
    code, _, err = cli("credit", "--ledger", sample_copy, paid)
    assert code == 2 and "already paid" in err and "--allow-paid" in err
    assert fingerprint(sample_copy) == before
    code, out, err = cli("credit", "--ledger", sample_copy, paid, "--allow-paid")
    assert code == 0, err
    with recon.Ledger(sample_copy, read_only=True) as lg:
        c = lg.invoice(out.strip()).iloc[0]
        assert c.unpaid_amount == c.total  # nothing owed: all of it stays available


def test_missing_ledger_and_no_ledger(cli, tmp_path):
    code, _, err = cli("show", "--ledger", tmp_path / "nope.duckdb", "X")
    assert code == 2 and "does not exist: create it with `recon init" in err
    code, _, err = cli("show", "X")
    assert code == 2 and "pass --ledger PATH or set RECON_LEDGER" in err


@pytest.mark.parametrize("tables", [[], ["CREATE TABLE meta (k VARCHAR)"],
                                    ["CREATE TABLE invoices (invoice_id VARCHAR)"]])
def test_a_duckdb_file_that_is_no_ledger_is_refused_and_left_alone(recon_main, tmp_path, tables):
    import duckdb

    path = tmp_path / "other.duckdb"
    with duckdb.connect(str(path)) as con:
        for stmt in tables:
            con.execute(stmt)
    before = path.read_bytes()
    for args in (["show", "X"], ["credit", "INV-1", "--item", "I1=1"]):
        code, _, err = recon_main(args[0], "--ledger", path, *args[1:])
        assert code == 2 and f"{path} is not a recon ledger: create one with `recon init`" in err, err
    assert path.read_bytes() == before  # nothing written into someone else's file


def test_dry_run_prints_and_saves_nothing(cli, sample_copy):
    before = fingerprint(sample_copy)
    code, out, err = cli("credit", "--ledger", sample_copy, "INV-2026-000177", "--dry-run")
    assert code == 0 and "dry run, nothing saved" in err and "ITM-0000614" in err
    assert fingerprint(sample_copy) == before


def test_demo_runs_on_the_bundled_data(cli, tmp_path):
    code, out, err = cli("demo", "--out", tmp_path / "demo")
    assert code == 0, err
    assert "imported 300 invoices" in out
    assert "bulk run:" in out and "cancellations: 15 credit invoice(s)" in out
    assert (tmp_path / "demo" / "export" / "invoice_links.csv").exists()
    # the month-end report for the sample month, tying in every currency
    assert (tmp_path / "demo" / "report" / "recon-report-2026-10.html").exists()
    assert (tmp_path / "demo" / "report" / "recon-report-2026-10.xlsx").exists()
    ties = [line for line in out.splitlines() if "unpaid at period end" in line]
    assert len(ties) == 3 and all("(difference 0" in line for line in ties)
    # next month: the platform's export (data/next_month/) with its planted differences
    assert "differ: 10 difference(s)" in out
    assert "1 credit(s) of recon found in the platform under another number" in out
    for cause in ("credit CN-2026-000053 is not in the platform yet", "debit voided in the platform",
                  "payment PAY-000901 received in the platform, not imported yet",
                  "due date moved in the platform", "new debit in the platform, not imported yet"):
        assert f"→ {cause}" in out, cause
    assert "updated: 1 debit(s) voided, 1 due date(s) moved" in out
    # after import --update only recon's credit not yet created in the platform is left
    assert "compared again: the ledger and the export differ: 3 difference(s)" in out
    assert "→ credit CN-2026-000053 is not in the platform yet\nrefunded" in out
    assert (tmp_path / "demo" / "compare" / "compare.html").exists()
    # last, in November: half of a goodwill credit refunded, the account's statement
    assert "refunded 11,654.00 EUR of goodwill credit" in out
    assert (tmp_path / "demo" / "statement" / "statement-ACC-1001-2026-10-01-2026-11-30.html").exists()
    credit_ties = [line for line in out.splitlines() if "available at period end" in line]
    assert len(credit_ties) == 3 and all("(difference 0" in line for line in credit_ties)


WARM_UP = """
import sys, threading, duckdb
import recon.db as db
made, real = [], duckdb.connect
def connect(*a, **k):
    made.append(threading.current_thread().name)
    if sys.argv[1] == "fails" and len(made) == 1:
        raise duckdb.IOException("no memory")
    return real(*a, **k)
duckdb.connect = connect
db.warm_up(files=True)
[t.join() for t in threading.enumerate() if t.name == "recon-engine-start"]
eng = db._engine()
db.scratch().close()
print(made, eng is db._engine(), eng.con.execute("SELECT share_milli(100, 1, 3, 10)").fetchall())
"""


@pytest.mark.parametrize("case, made", [
    ("works", "['recon-engine-start', 'recon-engine-start']"),
    # the background start failed quietly; the first real use made the engine itself
    ("fails", "['recon-engine-start', 'MainThread', 'MainThread']"),
])
def test_the_engine_warms_up_in_the_background(case, made):
    # cli.run starts DuckDB (engine, and the scratch connection of a command that reads
    # files) in a thread while the command loads; the command then finds both made
    p = subprocess.run([sys.executable, "-c", WARM_UP, case], capture_output=True, text=True, timeout=120)
    assert (p.returncode, p.stderr) == (0, "")
    assert p.stdout.strip() == f"{made} True [(30,)]"


def test_a_command_leaves_quickly_with_its_ledger_closed_and_its_output_out(cli, tmp_path):
    # cli.run leaves by os._exit once the command is done: the ledger must still be one
    # checkpointed file (no WAL beside it), every line printed, and the exit code kept
    ledger = tmp_path / "books.duckdb"
    code, out, _ = cli("init", "--ledger", ledger, "--from", DATA)
    assert code == 0 and out.startswith(f"ledger {ledger} ready")
    code, out, err = cli("credit", "--ledger", ledger, "INV-2026-000186", "--date", "2026-10-31")
    assert (code, out.strip()) == (0, "CN-2026-000001"), err
    assert err.rstrip().endswith("unpaid 5,588.12 EUR -> 0.00 EUR, unpaid -> paid")
    assert not (tmp_path / "books.duckdb.wal").exists()
    code, _, err = cli("void", "--ledger", ledger, "CN-2026-999999")
    assert code == 2 and err.count("\n") == 1
    import duckdb

    con = duckdb.connect(str(ledger), read_only=True)  # no lock left behind, and the credit kept
    assert con.execute("SELECT status FROM invoices WHERE invoice_id = 'INV-2026-000186'").fetchall() == [("paid",)]
    con.close()


def _subcommands(parser) -> dict:
    return next(a for a in parser._actions if a.dest == "command").choices


@pytest.mark.parametrize("command", sorted(cli_module.COMMANDS))
def test_a_command_line_parses_alike_with_only_its_own_parser_built(command):
    # a command line naming its command builds only that subparser (issue 15): the same
    # help and the same parse as the whole parser's
    whole, one = cli_module.build_parser(), cli_module.build_parser(command)
    assert list(_subcommands(one)) == [command]
    assert _subcommands(one)[command].format_help() == _subcommands(whole)[command].format_help()
    args = [command]  # each required argument given once
    for action in _subcommands(whole)[command]._actions:
        if not action.option_strings and action.nargs in (None, "+"):
            args.append("A")
        elif action.required:
            args += [action.option_strings[0], "2026-11"]
    assert vars(one.parse_args(args)) == vars(whole.parse_args(args))


def test_a_mistyped_command_is_told_every_command(capsys):
    assert cli_module.main(["crdit"]) == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'crdit'" in err and "'credit'" in err and "'void'" in err
