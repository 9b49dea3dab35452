"""What opening the ledger for each operation costs (issue 16), on a 1M-item ledger.

    python benchmarks/bench_open.py [--items 1000000] [--runs 40]

A ``recon.Ledger`` attaches the file for each call and detaches it after (recon/db.py).
This times, on a copy of bench_apply's generated ledger (built and cached there):

1. the open itself: ``Database`` open + close, read-only and read-write, and what a
   fresh ``duckdb.connect`` with per-connection macros (the way before) costs;
2. a read call (``lg.invoice``) and a one-item credit (``lg.credit``), each made per
   operation (open, run, close: the file free afterwards) and inside a held session
   (``with lg.session(write=True)``: no opening), paired run by run, and the difference;
   and what closing the file costs after each (after a write: DuckDB's checkpoint).

Medians (and the fastest run) of ``--runs`` repetitions, in milliseconds.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def timed(fn, runs: int) -> tuple[float, float]:
    xs = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        xs.append(time.perf_counter() - t)
    return statistics.median(xs) * 1000, min(xs) * 1000


def main() -> None:
    import duckdb
    from bench_apply import WORK, build

    import recon
    from recon import sql
    from recon.db import Database

    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=40)
    args = ap.parse_args()
    ledger, _, _ = build(args.items)
    path = WORK / "open.duckdb"
    shutil.copy(ledger, path)
    Path(f"{path}.wal").unlink(missing_ok=True)
    rows = []

    def row(what, fn):
        med, low = timed(fn, args.runs)
        rows.append((what, med, low))

    Database(path, read_only=True).close()  # the engine made, the schema check cached
    row("open + close, read-only", lambda: Database(path, read_only=True).close())
    row("open + close, read-write", lambda: Database(path).close())
    macros = sql.statements("macros")

    def connect_before():
        con = duckdb.connect(str(path), read_only=True)
        con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'").fetchall()
        for stmt in macros:
            con.execute(stmt)
        con.execute("CREATE OR REPLACE TEMP TABLE touched (invoice_id VARCHAR)")
        con.close()

    row("before: duckdb.connect + schema check + macros, read-only", connect_before)

    lg = recon.Ledger(path)
    debits = [r[0] for r in duckdb.connect(str(path), read_only=True).execute(
        "SELECT invoice_id FROM invoices ORDER BY invoice_id"
        f" LIMIT {3 * args.runs + 3}").fetchall()]
    it = iter(debits)

    def credit():
        d = next(it)  # its first item (bench_apply: items 5i..5i+4 belong to invoice i)
        lg.credit(d, {"ITM-" + str(int(d[4:]) * 5).zfill(8): "1"}, allow_paid=True)

    def read():
        lg.invoice(debits[0])

    # paired: each run times the call made per operation (the file opened and closed),
    # then the same call inside a held session, warmed by one untimed call, so both see
    # the machine in the same state
    for what, fn in (("lg.invoice", read), ("lg.credit of one item", credit)):
        per_op, held, closing = [], [], []
        for _ in range(args.runs):
            t = time.perf_counter()
            fn()
            per_op.append(time.perf_counter() - t)
            with lg.session(write=True):
                fn()
                t = time.perf_counter()
                fn()
                held.append(time.perf_counter() - t)
                t = time.perf_counter()
            closing.append(time.perf_counter() - t)  # the detach (after a write: checkpoint)
        rows.append((f"{what}, per operation", statistics.median(per_op) * 1000, min(per_op) * 1000))
        rows.append((f"{what}, held session", statistics.median(held) * 1000, min(held) * 1000))
        extra = [(a - b) * 1000 for a, b in zip(per_op, held, strict=True)]
        rows.append((f"{what}: per operation minus held (paired)", statistics.median(extra),
                     min(extra)))
        rows.append((f"closing the file after {what}", statistics.median(closing) * 1000,
                     min(closing) * 1000))
    lg.close()

    print(f"{args.items:,}-item ledger, {args.runs} runs; milliseconds")
    print(f"{'':58} {'median':>8} {'fastest':>8}")
    for what, med, low in rows:
        print(f"{what:58} {med:8.1f} {low:8.1f}")


if __name__ == "__main__":
    main()
