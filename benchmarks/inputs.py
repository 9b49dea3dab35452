"""The benchmarks' inputs, as an analyst gets them, built once and cached in benchmarks/work/.

- :func:`export` — a billing platform's export folder: ``invoices.csv``,
  ``invoice_items.csv`` (5 items an invoice, EUR/USD/JPY, 20,000 accounts, invoice days
  spread over January to October 2026) and ``payments.csv`` (a partial payment on one
  invoice in ten), written by DuckDB with the currency's decimals, as a platform
  writes them.
- :func:`ledger` — the ledger ``recon init --from`` that folder makes (the real command).
- :func:`corrections` — a corrections file with one partial row per item of that ledger,
  in one of these kinds, as CSV, Parquet (typed columns: a platform writes DECIMAL and
  DATE) or XLSX:

  ``empty``   quantity only; reason, credit_date, memo and group empty;
  ``filled``  quantity, and every row with a reason, a credit date, a memo and a group
              (one credit invoice per account: ``ACC-00042-nov``);
  ``amounts`` as ``filled``, but every other row credits a net amount (a third of the
              item's net) instead of a quantity.

The cache is keyed by the item count and a hash of recon's schema, so a schema change
builds the ledger again.
"""

from __future__ import annotations

import hashlib
import sys
import time
from pathlib import Path

import duckdb
from harness import ROOT, WORK, run

KINDS = ("empty", "filled", "amounts")

_INVOICES = """
COPY (
    SELECT 'INV-' || lpad(i::VARCHAR, 8, '0') AS invoice_id,
           'ACC-' || lpad((i % $accounts)::VARCHAR, 5, '0') AS account_id,
           'debit' AS type,
           DATE '2026-01-01' + (i % 300)::INTEGER AS invoice_date,
           DATE '2026-01-31' + (i % 300)::INTEGER AS due_date,
           CASE i % 10 WHEN 0 THEN 'JPY' WHEN 1 THEN 'USD' ELSE 'EUR' END AS currency
    FROM range($invoices) t(i)
) TO '{path}' (HEADER)
"""

# quantities of 3 decimals, prices of 3, rates 10/19/24 %; net and tax rounded half-up to
# the currency (DuckDB's round on DECIMAL is half away from zero); the text as a
# platform writes it: 2 decimals for EUR/USD, none for JPY
_ITEMS = """
COPY (
    WITH raw AS (
        SELECT k, k // 5 AS i, k % 5 + 1 AS line_no,
               ((((k % 40) + 1) * 1000 + k % 1000) / 1000)::DECIMAL(18,3) AS quantity,
               ((((k * 7919) % 100000) + 1) / 1000)::DECIMAL(18,3) AS unit_price,
               CASE k % 3 WHEN 0 THEN 0.24 WHEN 1 THEN 0.19 ELSE 0.10 END::DECIMAL(4,2) AS tax_rate
        FROM range($items) t(k)
    ), priced AS (
        SELECT *, CASE i % 10 WHEN 0 THEN 0 ELSE 2 END AS digits,
               CASE i % 10 WHEN 0 THEN round(quantity * unit_price, 0) ELSE round(quantity * unit_price, 2) END
                   ::DECIMAL(18,2) AS net_amount
        FROM raw
    ), taxed AS (
        SELECT *, CASE digits WHEN 0 THEN round(net_amount * tax_rate, 0) ELSE round(net_amount * tax_rate, 2) END
                      ::DECIMAL(18,2) AS tax_amount
        FROM priced
    )
    SELECT 'ITM-' || lpad(k::VARCHAR, 9, '0') AS item_id, 'INV-' || lpad(i::VARCHAR, 8, '0') AS invoice_id,
           line_no, 'Cloud service ' || line_no AS description, quantity, unit_price, tax_rate,
           CASE digits WHEN 0 THEN net_amount::DECIMAL(18,0)::VARCHAR ELSE net_amount::VARCHAR END AS net_amount,
           CASE digits WHEN 0 THEN tax_amount::DECIMAL(18,0)::VARCHAR ELSE tax_amount::VARCHAR END AS tax_amount,
           CASE digits WHEN 0 THEN (net_amount + tax_amount)::DECIMAL(18,0)::VARCHAR
                ELSE (net_amount + tax_amount)::VARCHAR END AS amount
    FROM taxed
) TO '{path}' (HEADER)
"""

# one invoice in ten paid in part (10 % of its first item's amount, at least one minor unit)
_PAYMENTS = """
COPY (
    SELECT 'PAY-' || lpad(i::VARCHAR, 8, '0') AS payment_id, 'INV-' || lpad(i::VARCHAR, 8, '0') AS invoice_id,
           CASE i % 10 WHEN 0 THEN '1' ELSE '0.50' END AS amount,
           DATE '2026-01-10' + (i % 300)::INTEGER AS paid_on
    FROM range($invoices) t(i) WHERE i % 10 = 3 OR i % 10 = 0
) TO '{path}' (HEADER)
"""


def _connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    return con


def export(items: int) -> Path:
    """The platform's export folder for ``items`` debit items (cached)."""
    out = WORK / f"export-{items}"
    done = out / ".done"
    if done.exists():
        return out
    out.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    con = _connect()
    params = {"items": items, "invoices": items // 5, "accounts": min(20_000, max(items // 50, 1))}
    for name, q in (("invoices", _INVOICES), ("invoice_items", _ITEMS), ("payments", _PAYMENTS)):
        stmt = q.format(path=out / f"{name}.csv")
        con.execute(stmt, {k: v for k, v in params.items() if f"${k}" in stmt})
    con.close()
    done.touch()
    print(f"  (built the export of {items:,} items in {time.perf_counter() - t:.1f}s)", file=sys.stderr)
    return out


def schema_key() -> str:
    return hashlib.sha256((ROOT / "recon" / "sql" / "schema.sql").read_bytes()).hexdigest()[:8]


def ledger(items: int) -> Path:
    """The ledger that ``recon init --from`` the export makes (cached)."""
    path = WORK / f"init-ledger-{items}-{schema_key()}.duckdb"
    if path.exists() and not Path(f"{path}.wal").exists():
        return path
    src = export(items)
    tmp = path.with_suffix(".tmp.duckdb")
    for p in (path, tmp, Path(f"{tmp}.wal")):
        p.unlink(missing_ok=True)
    r = run(["python", "-m", "recon", "init", "--ledger", tmp, "--from", src])
    tmp.rename(path)
    print(f"  (recon init of {items:,} items: {r.wall:.1f}s)", file=sys.stderr)
    return path


def _columns(kind: str) -> str:
    if kind == "empty":
        return ("NULL::VARCHAR AS reason, NULL::DATE AS credit_date, NULL::VARCHAR AS memo,"
                ' NULL::VARCHAR AS "group"')
    return ("'Price correction' AS reason, DATE '2026-11-15' AS credit_date, 'November review' AS memo,"
            ' i.account_id || \'-nov\' AS "group"')


def _query(kind: str) -> str:
    amounts = kind == "amounts"
    # a third of the quantity, rounded down to 3 decimals: always partial; with amounts,
    # every other item credits a third of its net (rounded down to the minor unit)
    # instead, unless that is less than one minor unit
    return f"""
        WITH t AS (
            SELECT d.invoice_id, d.item_id, d.quantity, i.account_id,
                   {"d.line_no % 2 = 1" if amounts else "false"} AS by_amount,
                   (d.net_amount * 1000)::BIGINT // (c.step_milli * 3) * c.step_milli AS third_milli
            FROM ledger.invoice_items d JOIN ledger.invoices i USING (invoice_id)
            JOIN ledger.currencies c USING (currency)
        )
        SELECT invoice_id AS debit_invoice_id, item_id,
               CASE WHEN by_amount AND third_milli > 0 THEN NULL
                    ELSE (floor(quantity * 1000 / 3) / 1000)::DECIMAL(18,3) END AS quantity,
               {"CASE WHEN by_amount AND third_milli > 0 THEN (third_milli / 1000)::DECIMAL(18,3) END AS amount," if amounts else ""}
               {_columns(kind)}
        FROM t i ORDER BY item_id"""


def corrections(items: int, kind: str, fmt: str) -> Path:
    """A corrections file of ``kind`` (KINDS) for every item of :func:`ledger` (cached)."""
    path = WORK / f"corrections-{items}-{kind}.{fmt}"
    if path.exists():
        return path
    base = ledger(items)
    t = time.perf_counter()
    con = _connect()
    con.execute("ATTACH $p AS ledger (READ_ONLY)", {"p": str(base)})
    tmp = path.with_name(f"tmp-{path.name}")
    if fmt == "csv":
        con.execute(f"COPY ({_query(kind)}) TO '{tmp}' (HEADER)")
    elif fmt == "parquet":
        con.execute(f"COPY ({_query(kind)}) TO '{tmp}' (FORMAT parquet)")
    elif fmt == "xlsx":
        _write_xlsx(con, _query(kind), tmp)
    else:
        raise ValueError(fmt)
    con.close()
    tmp.rename(path)
    print(f"  (wrote {path.name} in {time.perf_counter() - t:.1f}s)", file=sys.stderr)
    return path


def _write_xlsx(con, query: str, path: Path) -> None:
    """As a spreadsheet holds it: numbers as numbers, dates as dates, text as text."""
    import xlsxwriter

    cur = con.execute(query)
    columns = [d[0] for d in cur.description]
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("corrections")
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_row(0, 0, columns)
    r = 1
    while batch := cur.fetchmany(50_000):
        for row in batch:
            for c, v in enumerate(row):
                if v is None:
                    continue
                if hasattr(v, "isoformat"):
                    ws.write_datetime(r, c, v, day)
                elif isinstance(v, str):
                    ws.write_string(r, c, v)
                else:
                    ws.write_number(r, c, float(v))
            r += 1
    wb.close()
