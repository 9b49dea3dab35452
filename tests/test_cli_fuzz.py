"""The command line under random input: every run ends in 0, 1 or 2, never a traceback,
and a refusal (2) leaves the ledger exactly as it was.

Random commands with random arguments and options (ids, numbers written every way,
odd dates and periods, paths that are files, folders or nothing), random small files
(csv with any delimiter, xlsx, parquet with typed columns, garbage bytes, huge numbers)
and random mappings. In-process through ``main()`` (fast); a few real processes whose
stdout or stderr is closed under them, as ``recon show X | head`` does. Examples are
drawn from a fixed seed (``derandomize``), so CI runs the same cases every time.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from decimal import Decimal as D

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import recon
from recon.cli import COMMANDS, build_parser
from tests.conftest import recon_command
from tests.test_cli import fingerprint


def fuzz(examples: int) -> settings:
    """Bounded, and the same examples every run (a fixed derandomised seed, no database)."""
    return settings(max_examples=examples, derandomize=True, database=None, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

INVOICES = """invoice_id,account_id,type,invoice_date,due_date,currency
D1,A1,debit,2026-10-01,2026-10-31,EUR
D2,A1,debit,2026-10-02,2026-11-01,JPY
D3,A2,debit,2026-10-03,2026-11-02,EUR
"""
ITEMS = """item_id,invoice_id,line_no,description,quantity,unit_price,tax_rate,net_amount,tax_amount,amount,period_start,period_end
I1,D1,1,Licence,10,5,0.24,50.00,12.00,62.00,2026-10-01,2026-10-31
I2,D1,2,Support,1,100,0.24,100.00,24.00,124.00,,
I3,D2,1,Plan,3,1000,0.1,3000,300,3300,2026-10-01,2026-10-31
I4,D3,1,Licence,2,50,0.24,100.00,24.00,124.00,,
"""
PAYMENTS = """payment_id,invoice_id,amount,paid_on
P1,D3,124.00,2026-10-10
"""


@pytest.fixture(scope="module")
def tiny_ledger(tmp_path_factory):
    """Three debits (EUR, JPY, one paid), items with and without periods, one credit."""
    folder = tmp_path_factory.mktemp("tiny")
    for name, text in (("invoices.csv", INVOICES), ("invoice_items.csv", ITEMS), ("payments.csv", PAYMENTS)):
        (folder / name).write_text(text)
    path = folder / "tiny.duckdb"
    recon.init(path, folder)
    with recon.Ledger(path) as lg:
        lg.credit("D1", {"I2": "1"}, reason="SLA", date="2026-10-05")
    return path


# -- what the arguments are made of --------------------------------------------------------------

IDS = ["D1", "D2", "D3", "I1", "I2", "I3", "CN-2026-000001", "NOPE", "", " D1 ", "D1;--", "'"]
NUMBERS = ["1", "0", "-1", "0.5", "2.50", "12.5000", "1_0", "\u0661", "\uff11", "1e3", "NaN", "inf",
           "99999999999999999999", "1000000000000", "0.0000001", "1,5", "+1", ".5", "1."]
DATES = ["2026-10-15", "2026-10-01", "2026-13-01", "2026-02-30", "20261015", "1900-01-01",
         "9999-12-31", "0001-01-01", "15.10.2026", "\u0662\u0660\u0662\u0666-10-15"]
PERIODS = ["2026-10", "9999-12", "0001-01", "1899-12", "10000-01", "2026-00", "2026-1", "x"]
ITEMS_ARG = ["I1", "I1=1", "I1=0.5", "I1=1_0", "I1=\u0661", "I1=x", "=", "I9=1", "I3=1", "I1=99"]
PERIOD_ARG = ["I1=2026-10-05..2026-10-31", "I1=..", "I1=2026-09-01..2026-10-31", "x", "I1=a..b"]
CELLS = NUMBERS + DATES + IDS + ["EUR", "JPY", "XXX", "debit", "credit", "paid", "=1+1", "é€", "a\"b",
                                 "x" * 30, "1;2", "\t", "-"]
# A good file of each kind (new ids for the tiny ledger); an example mutates it a little,
# so most runs get past the first check and reach the deeper ones.
GOOD = {
    "invoices": ("invoice_id,account_id,type,invoice_date,due_date,currency,total",
                 ["N1,A1,debit,2026-10-05,2026-11-05,EUR,", "N2,A1,debit,2026-10-06,,JPY,"]),
    "invoice_items": ("item_id,invoice_id,line_no,description,quantity,unit_price,tax_rate,net_amount,"
                      "tax_amount,amount,period_start,period_end",
                      ["NI1,N1,1,Licence,2,25,0.24,50.00,12.00,62.00,2026-10-01,2026-10-31",
                       "NI2,N2,1,Plan,1,500,0,500,0,500,,"]),
    "payments": ("payment_id,invoice_id,amount,paid_on", ["NP1,N1,10.00,2026-10-06"]),
    "invoice_links": ("credit_invoice_id,debit_invoice_id,amount,linked_on", ["CN-2026-000001,D1,1.00,2026-10-20"]),
    "corrections": ("debit_invoice_id,item_id,quantity,reason,credit_date,group",
                    ["D1,I1,1,Goodwill,2026-10-20,", "D2,,,Whole,2026-10-20,G1"]),
    "cancellations": ("item_id,cancelled_on,quantity,reason", ["I1,2026-10-21,1,Cancelled", "I3,2026-10-11,,"]),
    "gl": ("currency,account_id,balance", ["EUR,,100.00", "JPY,,3300"]),
}


@st.composite
def table_files(draw, folder, stem: str, table: str):
    """A small file of ``table``: a good one mutated a little, in a random format."""
    head, good = GOOD[table]
    cols = head.split(",")
    rows = [r.split(",") for r in good]
    for _ in range(draw(st.integers(0, 3))):
        what = draw(st.sampled_from(["cell", "cell", "cell", "drop column", "rename column", "add column",
                                     "drop row", "repeat row"]))
        if what == "cell" and rows:
            r, c = draw(st.integers(0, len(rows) - 1)), draw(st.integers(0, len(cols) - 1))
            rows[r][c] = draw(st.sampled_from(CELLS))
        elif what == "drop column" and len(cols) > 1:
            c = draw(st.integers(0, len(cols) - 1))
            cols.pop(c)
            rows = [r[:c] + r[c + 1:] for r in rows]
        elif what == "rename column":
            cols[draw(st.integers(0, len(cols) - 1))] = draw(st.sampled_from(["Quantity", "extra", "amount", ""]))
        elif what == "add column":
            cols.append(draw(st.sampled_from(["notes", "Quantity", cols[0]])))
            rows = [r + [draw(st.sampled_from(CELLS))] for r in rows]
        elif what == "drop row" and rows:
            rows.pop()
        elif what == "repeat row" and rows:
            rows.append(list(rows[0]))
    kind = draw(st.sampled_from(["csv", "csv", "csv", "xlsx", "parquet", "garbage"]))
    path = folder / f"{stem}.{'csv' if kind == 'garbage' else kind}"
    if kind == "csv":
        sep = draw(st.sampled_from([",", ",", ";", "\t", "|"]))
        lines = [sep.join(cols)] + [sep.join(r) for r in rows]
        if draw(st.integers(0, 4)) == 0:
            lines.insert(draw(st.integers(1, len(lines))), draw(st.sampled_from(["", "x", sep * 20])))
        data = "\n".join(lines).encode("utf-8")
        path.write_bytes(data if draw(st.integers(0, 9)) else data.replace(b"\xc3\xa9", b"\xe9"))  # latin-1 é
    elif kind == "xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        wb.active.append(cols)
        for r in rows:
            wb.active.append([_excel_value(v) for v in r])
        wb.save(path)
    elif kind == "parquet":
        names = [c if c not in cols[:i] else f"{c}_{i}" for i, c in enumerate(cols)]
        arrays = [pa.array([r[i] or None for r in rows], pa.string()) for i in range(len(cols))]
        typed = draw(st.sampled_from(["text", "text", "decimal", "float", "int", "date"]))
        c = draw(st.integers(0, len(cols) - 1))
        n = len(rows)
        if typed == "decimal":  # DECIMAL(38,10): 12.50 is 12.5000000000, 10^20 is too large
            value = draw(st.sampled_from([D("12.50"), D("1E+20"), D("0.1234567"), D("-3"), D("2")]))
            arrays[c] = pa.array([value] * n, pa.decimal128(38, 10))
        elif typed == "float":
            arrays[c] = pa.array([0.1] * n, pa.float64())
        elif typed == "int":
            arrays[c] = pa.array([draw(st.sampled_from([1, 2**40, -1]))] * n, pa.int64())
        elif typed == "date":
            arrays[c] = pa.array([dt.date(2026, 10, 20)] * n, pa.date32())
        pq.write_table(pa.Table.from_arrays(arrays, names=names), path)
    else:
        path.write_bytes(draw(st.binary(max_size=40)))
    return path


def _excel_value(v):
    if v is None:
        return None
    try:
        return float(v) if v.replace(".", "", 1).isdigit() and len(v) < 12 else v
    except ValueError:
        return v


MAPPINGS = [
    "", 'delimiter = ";"\ndecimal = ","\n', 'thousands = "."\n', 'thousands = ","\n', 'delimiter = ";;"\n',
    "thousands = 5\n", "columns = 5\n", '[columns]\n"Quantity" = "quantity"\n', '[columns]\n"extra" = "item_id"\n',
    'date_format = "%d.%m.%Y"\n', 'date_format = "x"\n', "net_may_differ = true\n", "net_may_differ = 1\n",
    "nonsense = 1\n", "this is = not [toml\n", '[columns]\n"a" = "x"\n"b" = "x"\n',
]


@st.composite
def inputs(draw, work):
    """The files an example may name: an import folder, a corrections, cancellations and GL
    file, a mapping; and the paths around them."""
    folder = work / "export"
    folder.mkdir()
    # nearly always invoices, often their items and payments, now and then links
    for table, tenths in (("invoices", 9), ("invoice_items", 7), ("payments", 5), ("invoice_links", 2)):
        if draw(st.integers(0, 9)) >= tenths:
            continue
        draw(table_files(folder, table.capitalize() if draw(st.integers(0, 9)) == 9 else table, table))
    files = {
        "folder": folder,
        "corrections": draw(table_files(work, "corrections", "corrections")),
        "cancellations": draw(table_files(work, "cancellations", "cancellations")),
        "gl": draw(table_files(work, "gl", "gl")),
        "mapping": work / "m.toml",
    }
    files["mapping"].write_text(draw(st.sampled_from(MAPPINGS)))
    return files


def value_for(draw, dest: str, files: dict, work) -> str:
    """A value for an option or positional named ``dest``: mostly of its kind, sometimes anything."""
    paths = [str(files["folder"]), str(files["corrections"]), str(files["cancellations"]), str(files["gl"]),
             str(work), str(work / "missing" / "x.csv"), str(work / "out"), "."]
    pools = {
        "directory": [str(files["folder"])] + paths, "source": [str(files["folder"])] + paths,
        "file": [str(files["corrections"]), str(files["cancellations"])] + paths,
        "mapping": [str(files["mapping"])] * 3 + paths, "gl": [str(files["gl"])] + paths,
        "rejects": [str(work / "r.csv"), str(work), str(work / "missing" / "deep" / "r.csv")],
        "out": [str(work / "out"), str(files["corrections"]), str(work)],
        "item": ITEMS_ARG, "items": IDS, "period": PERIODS + PERIOD_ARG, "date": DATES,
        "amount": NUMBERS, "digits": NUMBERS, "code": ["XBT", "EUR", "xbt", "X1Y", ""],
        "format": ["csv", "parquet", "xlsx", "json"], "data": paths, "batch_id": IDS,
    }
    pool = pools.get(dest, IDS)
    return draw(st.one_of(st.sampled_from(pool), st.sampled_from(NUMBERS + DATES + PERIODS),
                          st.text(max_size=5)) if draw(st.integers(0, 9)) == 0 else st.sampled_from(pool))


def _subparsers():
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return action.choices


SUBPARSERS = _subparsers()
# `demo` builds a ledger from data/ (seconds a run): left to its own tests
FUZZED = sorted(c for c in COMMANDS if c != "demo")


@st.composite
def command_lines(draw, cmd, files, work, ledger):
    args = [cmd]
    if draw(st.integers(0, 19)):
        args += ["--ledger", str(ledger)]
    for action in SUBPARSERS[cmd]._actions:
        if action.dest in ("help", "ledger"):
            continue
        if not action.option_strings:  # a positional: nearly always given
            n = 1 if action.nargs is None else draw(st.integers(1, 2))
            if draw(st.integers(0, 15)):
                args += [value_for(draw, action.dest, files, work) for _ in range(n)]
        elif draw(st.booleans()) or action.required:
            if action.nargs == 0:
                args.append(action.option_strings[0])
            else:
                for _ in range(draw(st.integers(1, 2)) if action.default == [] else 1):
                    args += [action.option_strings[0], value_for(draw, action.dest, files, work)]
    if draw(st.integers(0, 14)) == 0:
        args.insert(draw(st.integers(1, len(args))), draw(st.sampled_from(["--bogus", "-x", "--", "--ledger"])))
    return args


def _check(recon_main, ledger, args):
    before = fingerprint(ledger)
    code, out, err = recon_main(*args)
    event(f"{args[0]} -> {code}")  # --hypothesis-show-statistics: what the examples reached
    assert code in (0, 1, 2), (args, code, err)
    assert "Traceback" not in err and "internal error" not in err, (args, err)
    if code == 2:
        assert err.startswith("recon"), (args, err)
        assert fingerprint(ledger) == before, (args, err)


@pytest.mark.parametrize("cmd", FUZZED)
@fuzz(5)  # 18 commands × 5 cases; the whole file takes ~50 s of CPU (CI runs it with everything else)
@given(data=st.data())
def test_random_command_lines_end_in_0_1_or_2_and_a_refusal_changes_nothing(
        recon_main, tiny_ledger, tmp_path_factory, cmd, data):
    work = tmp_path_factory.mktemp("fuzz")
    ledger = work / "books.duckdb"
    shutil.copy(tiny_ledger, ledger)
    files = data.draw(inputs(work))
    args = data.draw(command_lines(cmd, files, work, ledger))
    cwd = os.getcwd()
    os.chdir(work)  # a relative path in the arguments lands here, never in the checkout
    try:
        _check(recon_main, ledger, args)
    finally:
        os.chdir(cwd)


@pytest.mark.parametrize("cmd", ["import", "init", "apply", "cancel", "report"])
@fuzz(6)
@given(data=st.data())
def test_random_files_and_mappings_end_in_0_1_or_2(recon_main, tiny_ledger, tmp_path_factory, cmd, data):
    # the file-reading commands, each always given its file and often a mapping
    work = tmp_path_factory.mktemp("files")
    ledger = work / "books.duckdb"
    shutil.copy(tiny_ledger, ledger)
    files = data.draw(inputs(work))
    mapping = ["--mapping", str(files["mapping"])] if cmd != "report" and data.draw(st.integers(0, 2)) == 0 else []
    args = {
        "import": ["import", "--ledger", ledger, files["folder"], "--rejects", work / "r.csv"],
        "init": ["init", "--ledger", work / "new.duckdb", "--from", files["folder"], "--rejects", work / "r.csv"],
        "apply": ["apply", "--ledger", ledger, files["corrections"], "--rejects", work / "r.csv"]
        + (["--dry-run"] if data.draw(st.booleans()) else []),
        "cancel": ["cancel", "--ledger", ledger, files["cancellations"], "--date", data.draw(st.sampled_from(DATES))],
        "report": ["report", "--ledger", ledger, "--period", data.draw(st.sampled_from(PERIODS)),
                   "--out", work / "rep", "--gl", files["gl"]],
    }[cmd] + mapping
    _check(recon_main, ledger, [str(a) for a in args])
    if cmd == "init" and (work / "new.duckdb").exists():
        with recon.Ledger(work / "new.duckdb", read_only=True) as lg:  # what init kept is a ledger
            assert lg.table("invoices") is not None


# -- a reader that goes away: `recon show X | head` ------------------------------------------------

PIPED = [  # (arguments, the stream whose reader is gone)
    (["show", "D1"], "stdout"), (["--help"], "stdout"), (["credit", "D1", "--item", "I1=1", "--dry-run"], "stdout"),
    (["report", "--period", "2026-10", "--out", "{work}/r"], "stdout"),
    (["show", "NOPE"], "stderr"), (["export", "--out", "{work}/x"], "stderr"),
]


@pytest.mark.parametrize("args, closed", PIPED, ids=lambda a: " ".join(a[:2]) if isinstance(a, list) else a)
def test_a_closed_pipe_is_no_error(tiny_ledger, tmp_path, args, closed):
    ledger = tmp_path / "books.duckdb"
    shutil.copy(tiny_ledger, ledger)
    argv = [a.replace("{work}", str(tmp_path)) for a in args]
    if argv[0] != "--help":
        argv[1:1] = ["--ledger", str(ledger)]
    before = fingerprint(ledger)
    p = subprocess.Popen(recon_command() + argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
    getattr(p, closed).close()  # the reader is gone before the first line
    other = (p.stderr if closed == "stdout" else p.stdout).read().decode()
    code = p.wait(timeout=120)
    # the command's own exit code, as if the output had been read
    assert code in ((2,) if argv[-1] == "NOPE" else (0, 1)), (code, other)
    assert "Traceback" not in other and "BrokenPipeError" not in other and "Exception ignored" not in other, other
    if code == 2:
        assert fingerprint(ledger) == before
