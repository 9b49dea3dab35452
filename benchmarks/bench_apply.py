"""Benchmark of ``recon apply`` (bulk corrections) against its floor and a naive baseline.

    python benchmarks/bench_apply.py [--items 1000000] [--runs 3] [--kinds empty,filled,amounts]
                                     [--formats csv,parquet,xlsx] [--naive-rows 2000]

(`make bench` runs it in .venv-bench, recon's runtime dependencies only.)

1. Builds (benchmarks/inputs.py, cached) a platform export of ``--items`` debit items,
   the ledger ``recon init --from`` makes of it, and corrections files with one partial
   row per item: ``empty`` (quantity only), ``filled`` (reason, credit_date, memo and
   group in every row), ``amounts`` (as filled, every other row a net amount), each as
   CSV and Parquet, and ``filled`` as XLSX.
2. For each file, alternately (A B A B ...): the whole ``recon apply`` command in a fresh
   process on a fresh copy of the ledger (Python start, imports, reading, checking,
   applying, committing, closing), and its floor (benchmarks/floor_apply.py: the same
   work written by hand in DuckDB, in a fresh process too). Prints the medians, their
   ratio (target: at most 2x, XLSX 3x), CPU times, peak memory (target: 1.5 GB) and the
   phases recon reports. Checks once per file that the floor leaves the same credits,
   items, links and debits as recon.
3. Times a naive pandas implementation (iterrows, per-row queries and inserts computing
   the same pieces) on the first ``--naive-rows`` rows, and checks it gives the same
   credit items as the bulk run on that slice.

``build`` (below) is the older set-based generator of a ledger and its corrections, which
tests and bench_open.py use for a quick synthetic ledger.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import re
import shutil
import sys
import time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import ROOT, WORK, Pair, Run, fresh_copy, interleave, med, run, save, uptime  # noqa: E402
from inputs import KINDS  # noqa: E402

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


# -- recon against its floor, whole processes -------------------------------------------------

TARGET = {"csv": 2.0, "parquet": 2.0, "xlsx": 3.0}
RSS_LIMIT_MB = 1536


def recon_apply(ledger: Path, corrections: Path) -> Run:
    copy = fresh_copy(ledger, "run-recon.duckdb")
    return run(["python", "-m", "recon", "apply", "--ledger", copy, corrections])


def floor_apply(ledger: Path, corrections: Path) -> Run:
    copy = fresh_copy(ledger, "run-floor.duckdb")
    return run(["python", ROOT / "benchmarks" / "floor_apply.py", copy, corrections, dt.date.today()])


def phases(stderr: str) -> dict[str, float]:
    """The seconds of each phase recon's progress lines report ([  1.84s] phase 1,000)."""
    out, last = {}, 0.0
    # "read <file> 1,000,000" (the file's path has any characters) is named "read"
    for m in re.finditer(r"\[\s*([0-9.]+)s\] (read .+?|[a-z ]+?)(?: [0-9,]+)?$", stderr, re.M):
        t = float(m[1])
        out[m[2].split(" ")[0] if m[2].startswith("read") else m[2]] = round(t - last, 2)
        last = t
    return out


SAME = {
    "credits": "SELECT invoice_id, account_id, currency, invoice_date, total, unpaid_amount, status, reason, memo"
               " FROM {db}.invoices WHERE type = 'credit' ORDER BY 1",
    "items": "SELECT item_id, invoice_id, line_no, quantity, net_amount, tax_amount, amount, credited_item_id,"
             " cancelled_quantity, added_on FROM {db}.invoice_items WHERE credited_item_id IS NOT NULL ORDER BY 1",
    "links": "SELECT credit_invoice_id, debit_invoice_id, amount, linked_on FROM {db}.invoice_links ORDER BY 1, 2",
    "debits": "SELECT invoice_id, unpaid_amount, status FROM {db}.invoices WHERE type = 'debit' ORDER BY 1",
}


def same_result(recon_ledger: Path, floor_ledger: Path) -> list[str]:
    """The tables in which the floor's ledger differs from recon's (empty: none)."""
    import duckdb

    con = duckdb.connect()
    con.execute("ATTACH $p AS a (READ_ONLY)", {"p": str(recon_ledger)})
    con.execute("ATTACH $p AS b (READ_ONLY)", {"p": str(floor_ledger)})
    differ = []
    for name, q in SAME.items():
        n = con.execute(f"SELECT count(*) FROM (({q.format(db='a')}) EXCEPT ALL ({q.format(db='b')}))"
                        f" UNION ALL SELECT count(*) FROM (({q.format(db='b')}) EXCEPT ALL ({q.format(db='a')}))"
                        ).fetchall()
        if any(c for (c,) in n):
            differ.append(name)
    con.close()
    return differ


def compare(items: int, kinds: list[str], formats: list[str], runs: int) -> list[Pair]:
    import inputs

    ledger = inputs.ledger(items)
    pairs = []
    for kind in kinds:
        for fmt in formats:
            if fmt == "xlsx" and kind != "filled":
                continue  # one spreadsheet: a 1M-row workbook takes minutes to write
            path = inputs.corrections(items, kind, fmt)
            pair = Pair(f"apply {kind} {fmt}", TARGET[fmt], rss_limit_mb=RSS_LIMIT_MB)
            interleave(pair, lambda p=path: recon_apply(ledger, p), lambda p=path: floor_apply(ledger, p), runs)
            differ = same_result(WORK / "run-recon.duckdb", WORK / "run-floor.duckdb")
            ph = {k: round(med(phases(r.stderr).get(k, 0) for r in pair.job), 2)
                  for k in phases(pair.job[0].stderr)}
            pair.note = ("" if not differ else f"  FLOOR DIFFERS in {', '.join(differ)}") + f"\n{'':36}phases {ph}"
            print(pair.line(), flush=True)
            pairs.append(pair)
    return pairs


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--kinds", default=",".join(KINDS))
    ap.add_argument("--formats", default="csv,parquet,xlsx")
    ap.add_argument("--naive-rows", type=int, default=2_000)
    args = ap.parse_args()
    print(f"recon apply against its floor: {args.items:,} corrections on a {args.items:,}-item ledger"
          f" made by `recon init`; {uptime()}", flush=True)
    pairs = compare(args.items, args.kinds.split(","), args.formats.split(","), args.runs)
    extra = {}
    if args.naive_rows:
        import inputs

        ledger, plain = inputs.ledger(args.items), inputs.corrections(args.items, "empty", "parquet")
        naive_s, naive_ledger = naive(ledger, plain, args.naive_rows)
        ok = same_pieces(naive_ledger, ledger, plain, args.naive_rows)
        bulk = next((p for p in pairs if p.name == "apply empty parquet"), pairs[0] if pairs else None)
        per_row = med(r.wall for r in bulk.job) / args.items if bulk else float("nan")
        naive_row = naive_s / args.naive_rows
        print(f"naive    {args.naive_rows:>9,} rows: {naive_s:.2f}s = {naive_row * 1e6:.0f} µs/row; "
              f"`recon apply` {per_row * 1e6:.2f} µs/row -> {naive_row / per_row:.0f}x faster; "
              f"same pieces as the bulk run on that slice: {ok}", flush=True)
        extra["naive"] = {"rows": args.naive_rows, "seconds": naive_s, "same": ok}
    print(f"saved {save('apply', pairs, extra)}; {uptime()}")


if __name__ == "__main__":
    main()
