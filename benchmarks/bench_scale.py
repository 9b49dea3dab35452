"""How large a ledger this machine handles: import, a bulk run and the month's report.

    python benchmarks/bench_scale.py [--items 1000000,10000000] [--apply-rows 1000000]

For each size: the platform export of that many items (benchmarks/inputs.py, 5 items an
invoice, cached), then, each as the real command in a fresh process, with its wall time,
CPU time and peak memory (the command's own peak RSS, from os.wait4; harness.run):

1. ``recon init --ledger L --from EXPORT`` (target at 10M items / 2M invoices: within 6 GB);
2. ``recon apply L CORRECTIONS`` of ``--apply-rows`` partial corrections (quantity, reason,
   credit date and group filled; the first items of the ledger), as Parquet;
3. ``recon report --ledger L --period 2026-11`` (the month of those credits): the xlsx,
   CSV and HTML files.

Prints one line per step and size and saves the figures as JSON in benchmarks/work/.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import WORK, remove_ledger, run, uptime  # noqa: E402

GB = 1024


def corrections(ledger: Path, rows: int) -> Path:
    """``rows`` filled corrections of the ledger's first items, as Parquet."""
    import inputs

    path = WORK / f"scale-corrections-{ledger.stem}-{rows}.parquet"
    if path.exists():
        return path
    con = inputs._connect()
    con.execute("ATTACH $p AS ledger (READ_ONLY)", {"p": str(ledger)})
    con.execute(f"COPY (SELECT * FROM ({inputs._query('filled')}) LIMIT {rows}) TO '{path}' (FORMAT parquet)")
    con.close()
    return path


def main() -> None:
    import json

    import inputs

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", default="1000000,10000000")
    ap.add_argument("--apply-rows", type=int, default=1_000_000)
    args = ap.parse_args()
    print(f"scale: {uptime()}", flush=True)
    figures = []
    for items in (int(x) for x in args.items.split(",")):
        t = time.perf_counter()
        src = inputs.export(items)
        mb = sum(p.stat().st_size for p in src.glob("*.csv")) / 1e6
        print(f"{items:,} items, {items // 5:,} invoices: export {mb:,.0f} MB of CSV"
              f" (built in {time.perf_counter() - t:.0f}s)", flush=True)
        ledger = remove_ledger(WORK / f"scale-{items}.duckdb")
        out = WORK / f"scale-report-{items}"
        shutil.rmtree(out, ignore_errors=True)
        steps = [("init", ["python", "-m", "recon", "init", "--ledger", ledger, "--from", src])]
        for name, argv in steps:
            figures.append(_step(items, name, argv))
        rows = min(args.apply_rows, items)
        fix = corrections(ledger, rows)
        figures.append(_step(items, f"apply {rows:,} rows",
                             ["python", "-m", "recon", "apply", "--ledger", ledger, fix]))
        figures.append(_step(items, "report 2026-11", ["python", "-m", "recon", "report", "--ledger", ledger,
                                                       "--period", "2026-11", "--out", out], ok=(0, 1)))
        size = ledger.stat().st_size / 1e9
        print(f"  ledger file {size:.2f} GB; report files "
              f"{sum(p.stat().st_size for p in out.rglob('*') if p.is_file()) / 1e6:,.0f} MB", flush=True)
        shutil.rmtree(out, ignore_errors=True)
    path = WORK / f"scale-{time.strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps(figures, indent=1))
    print(f"saved {path}; {uptime()}")


def _step(items: int, name: str, argv: list, ok=(0,)) -> dict:
    r = run(argv, ok=ok)
    print(f"  {name:<22} {r.wall:7.1f}s wall  CPU {r.cpu:7.1f}s  peak {r.rss_mb / GB:5.2f} GB", flush=True)
    return {"items": items, "step": name, "wall": round(r.wall, 2), "cpu": round(r.cpu, 2),
            "peak_gb": round(r.rss_mb / GB, 2)}


if __name__ == "__main__":
    main()
