"""Benchmark of ``recon apply`` (bulk corrections) against a naive row-at-a-time baseline.

    python benchmarks/bench_apply.py [--items 1000000] [--runs 3] [--naive-rows 10000] [--amounts]

(`make bench` runs it in .venv-bench, recon's runtime dependencies only.)

1. Builds a ledger of ``--items`` debit items (5 per invoice) set-based in DuckDB SQL,
   directly in a ledger made by ``Database(create=True)``, then ``recompute(everything=True)``.
2. Writes a corrections file with one partial-quantity row per item (Parquet and CSV);
   with ``--amounts``, every other row credits a net amount (a third of the item's net).
3. Times ``Ledger.apply`` end to end (read, validate, apply, commit) in a fresh
   subprocess per run, on a fresh copy of the ledger; peak memory is that subprocess's
   ``ru_maxrss``.
4. Times the whole `recon apply` command (a fresh process: Python start, imports, the
   run, closing the ledger), for what an analyst waits for at the prompt.
5. Times a naive pandas implementation (iterrows, per-row queries and inserts computing
   the same pieces) on the first ``--naive-rows`` rows, and checks it gives the same
   credit items as the bulk run on that slice.

Work files go to benchmarks/work/ (git-ignored). Prints a table of medians.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / "work"
sys.path.insert(0, str(ROOT))

# -- the ledger, generated set-based ---------------------------------------------------------

GENERATE = """
INSERT INTO invoices BY NAME
SELECT 'INV-' || lpad(i::VARCHAR, 7, '0') AS invoice_id,
       'ACC-' || lpad((i % 20000)::VARCHAR, 5, '0') AS account_id,
       'debit' AS type, 'unpaid' AS status,
       DATE '2026-01-01' + (i % 300)::INTEGER AS invoice_date,
       DATE '2026-01-31' + (i % 300)::INTEGER AS due_date,
       CASE i % 10 WHEN 0 THEN 'JPY' WHEN 1 THEN 'USD' ELSE 'EUR' END AS currency,
       current_localtimestamp() AS created_at
FROM range($invoices) t(i);
INSERT INTO invoice_items BY NAME
WITH raw AS (
    SELECT k, k // 5 AS i, k % 5 + 1 AS line_no,
           ((k % 40) + 1)::DECIMAL(18,6) + (k % 1000)::DECIMAL(18,6) / 1000 AS quantity,
           ((k * 7919) % 100000 + 1)::DECIMAL(18,6) / 1000 AS unit_price,
           CASE k % 3 WHEN 0 THEN 0.24 WHEN 1 THEN 0.19 ELSE 0.10 END::DECIMAL(9,6) AS tax_rate
    FROM range($items) t(k)
), priced AS (
    SELECT *, CASE i % 10 WHEN 0 THEN 0 ELSE 2 END AS digits FROM raw
), net AS (
    SELECT *, (CASE digits WHEN 0 THEN round(quantity * unit_price, 0) ELSE round(quantity * unit_price, 2) END)::DECIMAL(18,3) AS net_amount FROM priced
), tax AS (
    SELECT *, (CASE digits WHEN 0 THEN round(net_amount * tax_rate, 0) ELSE round(net_amount * tax_rate, 2) END)::DECIMAL(18,3) AS tax_amount FROM net
)
SELECT 'ITM-' || lpad(k::VARCHAR, 8, '0') AS item_id, 'INV-' || lpad(i::VARCHAR, 7, '0') AS invoice_id,
       line_no, 'Cloud service ' || line_no AS description, quantity, unit_price, tax_rate,
       net_amount, tax_amount, net_amount + tax_amount AS amount,
       DATE '2026-01-01' + (i % 300)::INTEGER AS added_on
FROM tax;
"""

CORRECTIONS = """
COPY (
    SELECT invoice_id AS debit_invoice_id, item_id,
           -- a third of the quantity, rounded down to 3 decimals: always partial
           (floor(quantity * 1000 / 3) / 1000)::DECIMAL(18,3)::VARCHAR AS quantity,
           'Price correction' AS reason, NULL::VARCHAR AS credit_date, NULL::VARCHAR AS "group"
    FROM invoice_items ORDER BY item_id
) TO '{path}' ({options})
"""


# --amounts: every other row credits a net amount instead (a third of the item's net,
# rounded down to the minor unit, in integer thousandths), the rest a quantity as above;
# an item whose third is less than one minor unit keeps its quantity row
CORRECTIONS_AMOUNTS = """
COPY (
    WITH t AS (
        SELECT d.invoice_id, d.item_id, d.quantity, d.item_id[-1:]::INT % 2 = 1 AS odd,
               (d.net_amount * 1000)::BIGINT // (c.step_milli * 3) * c.step_milli AS third_milli
        FROM invoice_items d JOIN invoices i USING (invoice_id) JOIN currencies c USING (currency)
    )
    SELECT invoice_id AS debit_invoice_id, item_id,
           CASE WHEN odd AND third_milli > 0 THEN NULL
                ELSE (floor(quantity * 1000 / 3) / 1000)::DECIMAL(18,3)::VARCHAR END AS quantity,
           CASE WHEN odd AND third_milli > 0 THEN from_milli(third_milli)::VARCHAR END AS amount,
           'Price correction' AS reason, NULL::VARCHAR AS credit_date, NULL::VARCHAR AS "group"
    FROM t ORDER BY item_id
) TO '{path}' ({options})
"""


def build(n_items: int, work: Path = WORK, amounts: bool = False) -> tuple[Path, Path, Path]:
    """A ledger of ``n_items`` debit items and a file correcting each of them (cached);
    ``amounts``: half of the rows credit an amount (CORRECTIONS_AMOUNTS)."""
    from recon.db import Database

    work.mkdir(parents=True, exist_ok=True)
    # the cached ledger is only reused with the schema it was built with (keys and
    # indexes change what a run costs)
    schema = hashlib.sha256((ROOT / "recon" / "sql" / "schema.sql").read_bytes()).hexdigest()[:8]
    ledger = work / f"ledger-{n_items}-{schema}.duckdb"
    kind = "-amounts" if amounts else ""
    pq, csv = work / f"corrections-{n_items}{kind}.parquet", work / f"corrections-{n_items}{kind}.csv"
    if ledger.exists() and pq.exists() and csv.exists():
        return ledger, pq, csv
    sql = CORRECTIONS_AMOUNTS if amounts else CORRECTIONS
    if ledger.exists() and not Path(f"{ledger}.wal").exists():
        # the ledger is there: only this kind of file is missing
        db = Database(ledger)
        for path, options in ((pq, "FORMAT parquet"), (csv, "FORMAT csv, HEADER")):
            db.execute(sql.format(path=path, options=options))
        db.close()
        return ledger, pq, csv
    for p in (ledger, Path(f"{ledger}.wal"), pq, csv):
        p.unlink(missing_ok=True)
    t = time.perf_counter()
    db = Database(ledger, create=True)
    with db.transaction():
        for stmt in GENERATE.split(";\n"):
            if stmt.strip():
                db.execute(stmt, {k: v for k, v in {"invoices": n_items // 5, "items": n_items}.items()
                                  if f"${k}" in stmt})
        db.recompute(everything=True)
    db.execute("CHECKPOINT")
    db.execute(sql.format(path=pq, options="FORMAT parquet"))
    db.execute(sql.format(path=csv, options="FORMAT csv, HEADER"))
    db.close()
    print(f"built {n_items:,} items and their corrections in {time.perf_counter() - t:.1f}s",
          file=sys.stderr)
    return ledger, pq, csv


# -- one timed run, in its own process ------------------------------------------------------------


def child(ledger: str, corrections: str) -> None:
    import recon

    def cpu() -> float:
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    t0 = time.perf_counter()
    lg = recon.Ledger(ledger)
    # held for the block, so that closing (the checkpoint) is timed apart from the run
    with lg.session(write=True):
        t1, c1 = time.perf_counter(), cpu()
        res = lg.apply(corrections)
        t2, c2 = time.perf_counter(), cpu()
    t3 = time.perf_counter()
    print(json.dumps({
        "seconds": t2 - t1, "cpu": c2 - c1, "open": t1 - t0, "close": t3 - t2,
        "rows": res.rows, "items": res.item_count,
        "credits": len(res.credits), "phases": res.seconds,
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


def _on_fresh_copy(ledger: Path, args: list[str]) -> tuple[float, str]:
    """Run ``python args…`` (``{copy}`` = a fresh copy of the ledger) in a new process:
    its wall time and standard output; a failure stops the benchmark."""
    copy = WORK / "run.duckdb"
    Path(f"{copy}.wal").unlink(missing_ok=True)
    shutil.copy(ledger, copy)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    t = time.perf_counter()
    p = subprocess.run([sys.executable, *(str(copy) if a == "{copy}" else a for a in args)],
                       capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - t
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{p.stderr}")
    return wall, p.stdout


def timed_run(ledger: Path, corrections: Path) -> dict:
    wall, stdout = _on_fresh_copy(ledger, [__file__, "--child", "{copy}", str(corrections)])
    out = json.loads(stdout.strip().splitlines()[-1])
    out["process_wall"] = wall
    return out


def cli_run(ledger: Path, corrections: Path) -> float:
    """The whole `recon apply` command, as an analyst runs it: process start, imports,
    opening the ledger, the run, closing the ledger (its checkpoint)."""
    wall, _ = _on_fresh_copy(ledger, ["-m", "recon", "apply", "--ledger", "{copy}", str(corrections)])
    return wall


# -- the naive baseline: one row at a time -----------------------------------------------------


def naive(ledger: Path, corrections: Path, rows: int) -> tuple[float, Path]:
    """Row by row with pandas iterrows and a query/insert per row: the same pieces."""
    import duckdb
    import pandas as pd

    copy = WORK / "naive.duckdb"
    Path(f"{copy}.wal").unlink(missing_ok=True)
    shutil.copy(ledger, copy)
    con = duckdb.connect(str(copy))
    df = con.sql(f"SELECT * FROM read_parquet('{corrections}') LIMIT {rows}").to_arrow_table().to_pandas()
    step = {c: Decimal(1).scaleb(-d) for c, d in con.execute("SELECT currency, digits FROM currencies").fetchall()}
    t = time.perf_counter()
    con.execute("BEGIN")
    credit_of: dict[str, str] = {}
    next_no = con.execute("SELECT last_no FROM numbering WHERE prefix = 'CN'").fetchone()[0]
    today = pd.Timestamp.today().date()
    for _, r in df.iterrows():
        item = con.execute(
            "SELECT i.invoice_id, i.account_id, i.currency, i.unpaid_amount, d.quantity, d.net_amount,"
            " d.tax_amount, d.unit_price, d.tax_rate, d.description, d.line_no FROM invoice_items d"
            " JOIN invoices i USING (invoice_id) WHERE d.item_id = ?", [r.item_id]).fetchone()
        inv, acc, cur, unpaid, q, n, tx, price, rate, desc, _ = item
        prior = con.execute(
            "SELECT coalesce(sum(quantity), 0), coalesce(sum(net_amount), 0), coalesce(sum(tax_amount), 0)"
            " FROM invoice_items ci JOIN invoices c USING (invoice_id)"
            " WHERE ci.credited_item_id = ? AND c.voided_on IS NULL", [r.item_id]).fetchone()
        asked = Decimal(r.quantity)
        c_after = prior[0] + asked
        if c_after > q:
            raise SystemExit(f"over-credit in row {_}")
        net = (n * c_after / q).quantize(step[cur], ROUND_HALF_UP) - prior[1]
        tax = (tx * c_after / q).quantize(step[cur], ROUND_HALF_UP) - prior[2]
        credit = credit_of.get(inv)
        if credit is None:
            next_no += 1
            credit = f"CN-{today.year}-{next_no:06d}"
            credit_of[inv] = credit
            con.execute("INSERT INTO invoices (invoice_id, account_id, type, status, invoice_date, currency,"
                        " reason, origin) VALUES (?, ?, 'credit', 'unpaid', ?, ?, ?, 'bulk')",
                        [credit, acc, today, cur, r.reason])
        line = con.execute("SELECT count(*) + 1 FROM invoice_items WHERE invoice_id = ?", [credit]).fetchone()[0]
        con.execute("INSERT INTO invoice_items (item_id, invoice_id, line_no, description, quantity, unit_price,"
                    " tax_rate, net_amount, tax_amount, amount, credited_item_id, added_on)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    [f"{credit}-{line:03d}", credit, line, desc, asked, price, rate, net, tax, net + tax, r.item_id,
                     today])
        link = min(net + tax, unpaid)
        if link > 0:
            con.execute("INSERT INTO invoice_links (link_id, credit_invoice_id, debit_invoice_id, amount, linked_on)"
                        " SELECT coalesce(max(link_id), 0) + 1, ?, ?, ?, ? FROM invoice_links",
                        [credit, inv, link, today])
        con.execute("UPDATE invoices SET unpaid_amount = unpaid_amount - ?, status = CASE WHEN"
                    " unpaid_amount - ? = 0 THEN 'paid' ELSE status END WHERE invoice_id = ?", [link, link, inv])
        con.execute("UPDATE invoices SET total = total + ?, unpaid_amount = unpaid_amount + ? - ?"
                    " WHERE invoice_id = ?", [net + tax, net + tax, link, credit])
    con.execute("UPDATE numbering SET last_no = ? WHERE prefix = 'CN'", [next_no])
    con.execute("COMMIT")
    seconds = time.perf_counter() - t
    con.close()
    return seconds, copy


def same_pieces(naive_ledger: Path, ledger: Path, corrections: Path, rows: int) -> bool:
    """The bulk run on the same slice gives the naive run's credit items exactly."""
    import duckdb

    import recon

    bulk_copy = WORK / "slice.duckdb"
    Path(f"{bulk_copy}.wal").unlink(missing_ok=True)
    shutil.copy(ledger, bulk_copy)
    con = duckdb.connect()
    slice_file = WORK / "slice.parquet"
    con.execute(f"COPY (SELECT * FROM read_parquet('{corrections}') LIMIT {rows}) TO '{slice_file}' (FORMAT parquet)")
    with recon.Ledger(bulk_copy) as lg:
        lg.apply(slice_file, rejects=WORK / "slice.rejects.csv")
    q = ("SELECT credited_item_id, quantity, net_amount, tax_amount, amount FROM '{}'.invoice_items"
         " WHERE credited_item_id IS NOT NULL ORDER BY 1")
    con.execute(f"ATTACH '{bulk_copy}' AS b (READ_ONLY)")
    con.execute(f"ATTACH '{naive_ledger}' AS n (READ_ONLY)")
    a = con.execute(q.format("b").replace("'b'", "b")).fetchall()
    b = con.execute(q.format("n").replace("'n'", "n")).fetchall()
    return a == b and len(a) == rows


def machine() -> dict:
    import duckdb
    import pandas
    import pandera
    import pyarrow

    free = subprocess.run(["free", "-g"], capture_output=True, text=True).stdout.strip()
    try:
        import hypothesis  # noqa: F401  (pandera imports it on first use when present)
        test_tools = True
    except ImportError:
        test_tools = False
    return {"nproc": os.cpu_count(), "free -g": free, "python": platform.python_version(),
            "hypothesis installed (test tools in this environment)": test_tools,
            "duckdb": duckdb.__version__, "pandas": pandas.__version__, "pandera": pandera.__version__,
            "pyarrow": pyarrow.__version__, "platform": platform.platform()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--naive-rows", type=int, default=10_000)
    ap.add_argument("--amounts", action="store_true",
                    help="half of the rows credit a net amount instead of a quantity")
    ap.add_argument("--child", nargs=2, metavar=("LEDGER", "FILE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    ledger, pq, csv = build(args.items, amounts=args.amounts)
    results = {}
    for label, path in (("parquet", pq), ("csv", csv)):
        runs = [timed_run(ledger, path) for _ in range(args.runs)]
        results[label] = runs
        med = statistics.median(r["seconds"] for r in runs)
        cpu = statistics.median(r["cpu"] for r in runs)
        close = statistics.median(r["close"] for r in runs)
        rss = max(r["maxrss_mb"] for r in runs)
        phases = {k: round(statistics.median(r["phases"][k] for r in runs), 2) for k in runs[0]["phases"]}
        print(f"apply {label:<7} {runs[0]['rows']:>9,} rows: median {med:.2f}s "
              f"(runs {', '.join(format(r['seconds'], '.2f') for r in runs)}), CPU {cpu:.2f}s, "
              f"then closing the ledger {close:.2f}s; peak RSS {rss:.0f} MB, "
              f"phases {phases}; {runs[0]['credits']:,} credit invoices, {runs[0]['items']:,} items")
    for label, path in (("parquet", pq), ("csv", csv)):
        walls = [cli_run(ledger, path) for _ in range(args.runs)]
        print(f"command {label:<5} `recon apply` process: median {statistics.median(walls):.2f}s "
              f"(runs {', '.join(format(w, '.2f') for w in walls)}), with Python start, imports "
              f"and closing the ledger")
    # the naive baseline credits quantities: it runs on the quantity file
    plain_pq = build(args.items)[1] if args.amounts else pq
    naive_s, naive_ledger = naive(ledger, plain_pq, args.naive_rows)
    ok = same_pieces(naive_ledger, ledger, plain_pq, args.naive_rows)
    bulk_per_row = statistics.median(r["seconds"] for r in results["parquet"]) / args.items
    naive_per_row = naive_s / args.naive_rows
    print(f"naive    {args.naive_rows:>9,} rows: {naive_s:.2f}s = {naive_per_row * 1e6:.0f} µs/row; "
          f"bulk {bulk_per_row * 1e6:.2f} µs/row -> {naive_per_row / bulk_per_row:.0f}x faster; "
          f"same pieces as the bulk run on that slice: {ok}")
    print(f"load average while running: {os.getloadavg()}")
    print(json.dumps(machine(), indent=1))


if __name__ == "__main__":
    main()
