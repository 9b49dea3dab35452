"""Benchmark of ``recon init --from`` (importing a platform export) against its floor.

    python benchmarks/bench_import.py [--items 1000000] [--runs 3] [--check/--no-check]

On the platform export of ``--items`` items (benchmarks/inputs.py, cached: 5 items an
invoice, a partial payment on one invoice in ten), alternately (A B A B ...): the whole
``recon init --ledger NEW --from EXPORT`` command in a fresh process (Python start,
imports, reading, every check of the text and the ledger, writing, the derived columns,
the audit, committing, closing), and its floor, ``benchmarks/floor_import.py`` (the same
tables filled by hand in DuckDB with a totals check, committed and checkpointed). Prints
the medians, their ratio (target: at most 3x), the CPU times and peak memory. Checks once
that the floor's ledger holds the same invoices (totals, unpaid amounts, statuses), items
and payments as recon's.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import WORK, Pair, interleave, remove_ledger, run, save, uptime  # noqa: E402

TARGET = 3.0
FLOOR = Path(__file__).resolve().parent / "floor_import.py"

SAME = """
SELECT (SELECT count(*) FROM (SELECT invoice_id, account_id, invoice_date, due_date, currency, total,
                                     unpaid_amount, status FROM {a}.invoices
                              EXCEPT ALL SELECT invoice_id, account_id, invoice_date, due_date, currency,
                                     total, unpaid_amount, status FROM {b}.invoices)),
       (SELECT count(*) FROM (SELECT item_id, invoice_id, line_no, description, quantity, unit_price,
                                     tax_rate, net_amount, tax_amount, amount, added_on FROM {a}.invoice_items
                              EXCEPT ALL SELECT item_id, invoice_id, line_no, description, quantity,
                                     unit_price, tax_rate, net_amount, tax_amount, amount, added_on
                              FROM {b}.invoice_items)),
       (SELECT count(*) FROM (SELECT payment_id, invoice_id, amount, paid_on FROM {a}.payments
                              EXCEPT ALL SELECT payment_id, invoice_id, amount, paid_on FROM {b}.payments))
"""


def fresh(name: str) -> Path:
    return remove_ledger(WORK / name)


def same(recon_ledger: Path, floor_ledger: Path) -> bool:
    import duckdb

    con = duckdb.connect()
    con.execute(f"ATTACH '{recon_ledger}' AS a (READ_ONLY); ATTACH '{floor_ledger}' AS b (READ_ONLY)")
    counts = [con.execute(SAME.format(a=x, b=y)).fetchone() for x, y in (("a", "b"), ("b", "a"))]
    con.close()
    return all(n == 0 for row in counts for n in row)


def main() -> None:
    import inputs

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-check", action="store_true", help="skip the equality check (10M items)")
    args = ap.parse_args()
    src = inputs.export(args.items)
    size = sum(p.stat().st_size for p in src.glob("*.csv")) / 1e6
    print(f"recon init --from against its floor: {args.items:,} items, {args.items // 5:,} invoices"
          f" ({size:.0f} MB of CSV); {uptime()}", flush=True)
    if not args.no_check:
        a, b = fresh("import-recon.duckdb"), fresh("import-floor.duckdb")
        run(["python", "-m", "recon", "init", "--ledger", a, "--from", src])
        bad = run(["python", FLOOR, b, src]).stdout.strip()
        print(f"  floor's totals check: {bad} items off; floor leaves the same invoices, items and"
              f" payments as recon: {same(a, b)}", flush=True)
    pair = Pair(f"init --from {args.items:,} items (CSV)", TARGET)
    interleave(pair,
               lambda: run(["python", "-m", "recon", "init", "--ledger", fresh("import-recon.duckdb"),
                            "--from", src]),
               lambda: run(["python", FLOOR, fresh("import-floor.duckdb"), src]),
               args.runs)
    print(pair.line(), flush=True)
    for name in ("import-recon.duckdb", "import-floor.duckdb"):
        fresh(name)
    print(f"saved {save('import', [pair], {'items': args.items, 'csv_mb': round(size)})}; {uptime()}")


if __name__ == "__main__":
    main()
