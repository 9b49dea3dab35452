"""Benchmark of the month-end report's files against DuckDB's own floor (issue 15).

    python benchmarks/bench_report.py [--items 2000000] [--credits 200000] [--runs 3]

1. Builds (and caches in benchmarks/work/) a ledger of ``--items`` debit items, 5 per
   invoice, with ``bench_apply``'s set-based builder, then one bulk run of ``--credits``
   partial corrections dated in October 2026: that many credit invoices and links in the
   month, and every unpaid debit in the aging.
2. Per run, in one process, alternating (A B A B ...):
   - the floor: DuckDB computes the report's tables (``report.build``) and writes each of
     them as CSV with ``COPY ... TO`` (no formatting);
   - recon: ``Ledger.report(period, out=...)``, the same tables and all the files people
     read: the workbook, the CSV files and the HTML page.
3. Times the whole ``recon report`` command (a fresh process) as typed at the prompt.

Prints each figure beside its floor from the same run and their ratio (medians); the
target is at most 3x.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / "work"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

PERIOD = "2026-10"
CREDITS = """
COPY (
    SELECT invoice_id AS debit_invoice_id, item_id,
           (floor(quantity * 1000 / 3) / 1000)::DECIMAL(18,3)::VARCHAR AS quantity,
           CASE hash(item_id) % 4 WHEN 0 THEN 'Price correction' WHEN 1 THEN 'Goodwill'
                WHEN 2 THEN 'Service outage SLA credit' ELSE 'Duplicate charge' END AS reason,
           '2026-10-' || lpad((1 + hash(invoice_id) % 30)::VARCHAR, 2, '0') AS credit_date
    FROM invoice_items WHERE line_no = 1 AND invoice_date_ok
    ORDER BY item_id LIMIT $n
) TO '{path}' (FORMAT parquet)
"""


def build(items: int, credits: int) -> Path:
    """The 2M-item ledger with a month of credits (cached)."""
    from bench_apply import build as build_items

    import recon
    from recon.db import Database

    base, _, _ = build_items(items)
    ledger = WORK / f"report-{base.stem}-{credits}.duckdb"
    if ledger.exists():
        return ledger
    t = time.perf_counter()
    tmp = ledger.with_suffix(".tmp.duckdb")
    shutil.copy(base, tmp)
    corrections = WORK / f"report-credits-{credits}.parquet"
    db = Database(tmp)
    # credit only invoices issued by the credit's date (the engine refuses earlier ones)
    db.execute(CREDITS.replace("AND invoice_date_ok", "AND invoice_id IN (SELECT invoice_id FROM"
                               " invoices WHERE invoice_date <= DATE '2026-10-01')")
               .format(path=corrections), {"n": credits})
    db.close()
    with recon.Ledger(tmp) as lg:
        lg.apply(corrections)
    tmp.rename(ledger)
    print(f"built the report ledger ({credits:,} credits in {PERIOD}) in "
          f"{time.perf_counter() - t:.1f}s", file=sys.stderr)
    return ledger


def floor(ledger: Path, out: Path) -> float:
    """DuckDB alone: the report's tables, each written as CSV by COPY."""
    from recon.db import Database
    from recon.report import build

    t = time.perf_counter()
    with Database(ledger, read_only=True) as db:
        rep = build(db, PERIOD)
        out.mkdir(parents=True, exist_ok=True)
        for name, df in rep.tables.items():
            db.con.register("t", df)
            db.execute(f"COPY (SELECT * FROM t) TO '{out / name}.csv' (HEADER)")
            db.con.unregister("t")
    return time.perf_counter() - t


def recon_files(ledger: Path, out: Path) -> tuple[float, float, dict]:
    """recon's whole report (seconds), of which writing the files (seconds)."""
    import recon

    t = time.perf_counter()
    with recon.Ledger(ledger, read_only=True) as lg:
        rep = lg.report(PERIOD)
        t1 = time.perf_counter()
        rep.write(out)
    seconds = time.perf_counter() - t
    sizes = {k: len(v) for k, v in rep.tables.items()}
    return seconds, time.perf_counter() - t1, sizes


def command(ledger: Path, out: Path) -> float:
    exe = Path(sys.executable).parent / "recon"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "recon"]
    t = time.perf_counter()
    p = subprocess.run(cmd + ["report", "--ledger", str(ledger), "--period", PERIOD, "--out", str(out)],
                       capture_output=True, text=True)
    wall = time.perf_counter() - t
    if p.returncode not in (0, 1):
        raise SystemExit(p.stderr)
    if "\r" in p.stderr or "%" in p.stderr:
        print("note: the command drew a progress bar on stderr", file=sys.stderr)
    return wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=2_000_000)
    ap.add_argument("--credits", type=int, default=200_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    ledger = build(args.items, args.credits)
    floors, figures, writes, walls, sizes = [], [], [], [], {}
    with tempfile.TemporaryDirectory(dir=WORK) as tmp:
        for i in range(args.runs):
            floors.append(floor(ledger, Path(tmp) / f"floor{i}"))
            seconds, writing, sizes = recon_files(ledger, Path(tmp) / f"recon{i}")
            figures.append(seconds)
            writes.append(writing)
        for i in range(args.runs):
            walls.append(command(ledger, Path(tmp) / f"cmd{i}"))
        files = sorted((Path(tmp) / "recon0").iterdir())
        mb = {p.name.removeprefix(f"recon-report-{PERIOD}"): round(p.stat().st_size / 1e6, 1) for p in files}
    f, r, w = (statistics.median(x) for x in (floors, figures, walls))
    print(f"report {PERIOD} on {args.items:,} items; rows per table {json.dumps(sizes)}")
    print(f"  floor  (DuckDB: tables + COPY to CSV): median {f:.2f}s (runs {', '.join(f'{x:.2f}' for x in floors)})")
    print(f"  recon  (tables + xlsx + CSV + HTML):   median {r:.2f}s (runs {', '.join(f'{x:.2f}' for x in figures)})"
          f"  ratio {r / f:.2f}x (target <= 3x)")
    print(f"    of which writing the files: median {statistics.median(writes):.2f}s "
          f"(runs {', '.join(f'{x:.2f}' for x in writes)})")
    print(f"  `recon report` command, whole process: median {w:.2f}s (runs {', '.join(f'{x:.2f}' for x in walls)})")
    print(f"  file sizes MB {json.dumps(mb)}")


if __name__ == "__main__":
    main()
