"""The floor of ``recon apply``: the same work written by hand in DuckDB, nothing checked.

    python benchmarks/floor_apply.py LEDGER FILE [TODAY]

Reads the corrections file (CSV or Parquet; XLSX through python-calamine when installed,
else openpyxl), computes the exact pieces in integers (round half-up of N × c / Q on the
item's original figures, less what earlier credits took, for a quantity; the amount
itself and its tax share for an amount), numbers the credit invoices (one per group, or
per debit invoice) and their lines, inserts the credit invoices with their totals, their
items and their links (each capped at the debit's unpaid amount), updates the debits'
unpaid amounts and statuses and the credit numbering, commits and checkpoints. What a
careful engineer would write for this one file, knowing it is good: no validation, no
messages, no dry run, no batch record, no audit. The benchmark checks once that it
leaves the same credits, items, links and debits as ``recon apply``.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import duckdb

TYPES = {"debit_invoice_id": "VARCHAR", "item_id": "VARCHAR", "quantity": "DECIMAL(18,6)",
         "amount": "DECIMAL(18,3)", "reason": "VARCHAR", "credit_date": "DATE", "memo": "VARCHAR",
         "group": "VARCHAR"}

PIECES = """
CREATE TEMP TABLE p AS
WITH j AS (
    SELECT r.req_no, coalesce(' ' || r."group", r.debit_invoice_id) AS k, r.debit_invoice_id, r.item_id,
           r.reason, r.memo, coalesce(r.credit_date, $today) AS credit_date,
           i.account_id, i.currency, i.unpaid_amount, c.step_milli AS step,
           d.description, d.unit_price, d.tax_rate, d.period_start, d.period_end,
           (d.quantity * 1000000)::BIGINT AS qm, (d.net_amount * 1000)::BIGINT AS nm,
           (d.tax_amount * 1000)::BIGINT AS tm,
           coalesce(b.c, 0) AS c0, coalesce(b.n, 0) AS n0, coalesce(b.t, 0) AS t0,
           (r.quantity * 1000000)::BIGINT AS cq, (r.amount * 1000)::BIGINT AS am
    FROM r JOIN invoice_items d ON d.item_id = r.item_id
    JOIN invoices i ON i.invoice_id = d.invoice_id
    JOIN currencies c ON c.currency = i.currency
    LEFT JOIN (
        SELECT credited_item_id, sum(quantity * 1000000)::BIGINT AS c, sum(net_amount * 1000)::BIGINT AS n,
               sum(tax_amount * 1000)::BIGINT AS t
        FROM invoice_items WHERE credited_item_id IS NOT NULL GROUP BY credited_item_id
    ) b ON b.credited_item_id = r.item_id
)
SELECT *,
       -- round_half_up(N × c / Q) to the minor unit, less what is credited already
       CASE WHEN am IS NULL THEN ((nm * (c0 + cq) * 2 + qm * step) // (2 * qm * step)) * step - n0
            ELSE am END AS net,
       CASE WHEN am IS NULL THEN ((tm * (c0 + cq) * 2 + qm * step) // (2 * qm * step)) * step - t0
            ELSE ((tm * (n0 + am) * 2 + nm * step) // (2 * nm * step)) * step - t0 END AS tax,
       CASE WHEN am IS NULL THEN cq ELSE greatest((qm * am * 2 + nm) // (2 * nm), 1) END AS q
FROM j
"""

WRITE = """
CREATE TEMP TABLE h AS
SELECT k, min(req_no) AS first_req, any_value(account_id) AS account_id, any_value(currency) AS currency,
       min(credit_date) AS invoice_date, arg_min(reason, req_no) AS reason, arg_min(memo, req_no) AS memo,
       sum(net + tax) AS total_milli
FROM p GROUP BY k;
CREATE TEMP TABLE hn AS
SELECT h.*, 'CN-' || year(invoice_date)::VARCHAR || '-'
       || printf('%06d', (SELECT last_no FROM numbering WHERE prefix = 'CN') + row_number() OVER (ORDER BY first_req))
       AS credit_id
FROM h;
CREATE TEMP TABLE l AS
SELECT hn.credit_id, p.debit_invoice_id, least(any_value(p.unpaid_amount) * 1000, sum(p.net + p.tax))::BIGINT AS milli,
       any_value(hn.invoice_date) AS linked_on
FROM p JOIN hn USING (k) GROUP BY hn.credit_id, p.debit_invoice_id;
INSERT INTO invoices (invoice_id, account_id, type, status, invoice_date, currency, total, unpaid_amount,
                      reason, memo, origin, created_at)
SELECT hn.credit_id, account_id, 'credit',
       CASE WHEN total_milli - coalesce(x.linked, 0) = 0 THEN 'paid' ELSE 'unpaid' END,
       invoice_date, currency, (total_milli / 1000)::DECIMAL(18,3),
       ((total_milli - coalesce(x.linked, 0)) / 1000)::DECIMAL(18,3), reason, memo, 'bulk',
       current_localtimestamp()
FROM hn LEFT JOIN (SELECT credit_id, sum(milli) AS linked FROM l GROUP BY credit_id) x USING (credit_id);
INSERT INTO invoice_items (item_id, invoice_id, line_no, description, quantity, unit_price, tax_rate,
                           net_amount, tax_amount, amount, period_start, period_end, credited_item_id,
                           cancelled_quantity, added_on)
SELECT credit_id || '-' || lpad(line::VARCHAR, 3, '0'), credit_id, line, description,
       (q / 1000000)::DECIMAL(18,6), unit_price, tax_rate, (net / 1000)::DECIMAL(18,3),
       (tax / 1000)::DECIMAL(18,3), ((net + tax) / 1000)::DECIMAL(18,3), period_start, period_end, item_id,
       CASE WHEN am IS NULL THEN (q / 1000000)::DECIMAL(18,6) ELSE 0 END, invoice_date
FROM (SELECT p.*, hn.credit_id, hn.invoice_date,
             row_number() OVER (PARTITION BY p.k ORDER BY p.req_no) AS line
      FROM p JOIN hn USING (k));
INSERT INTO invoice_links (link_id, credit_invoice_id, debit_invoice_id, amount, linked_on)
SELECT (SELECT coalesce(max(link_id), 0) FROM invoice_links) + row_number() OVER (ORDER BY credit_id, debit_invoice_id),
       credit_id, debit_invoice_id, (milli / 1000)::DECIMAL(18,3), linked_on
FROM l WHERE milli > 0;
UPDATE invoices SET unpaid_amount = unpaid_amount - d.amount,
       status = CASE WHEN unpaid_amount - d.amount = 0 THEN 'paid' ELSE status END
FROM (SELECT debit_invoice_id, (sum(milli) / 1000)::DECIMAL(18,3) AS amount FROM l GROUP BY 1) d
WHERE invoices.invoice_id = d.debit_invoice_id;
UPDATE numbering SET last_no = last_no + (SELECT count(*) FROM hn) WHERE prefix = 'CN'
"""


def read(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open() as f:
            names = f.readline().strip().split(",")
        cols = "{" + ", ".join(f"'{n}': '{TYPES[n]}'" for n in names) + "}"
        src = f"read_csv('{path}', header = true, columns = {cols})"
    elif suffix == ".parquet":
        src = f"read_parquet('{path}')"
    else:  # a spreadsheet: the fastest reader at hand, columns cast by DuckDB
        table = _read_xlsx(path)
        con.register("xlsx_rows", table)
        src = "xlsx_rows"
    names = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()]
    cols = ", ".join(f'"{n}"::{TYPES[n]} AS "{n}"' for n in names)
    missing = ", ".join(f'NULL::{t} AS "{n}"' for n, t in TYPES.items() if n not in names)
    con.execute(f"CREATE TEMP TABLE r AS SELECT row_number() OVER () AS req_no, {cols}"
                f"{', ' + missing if missing else ''} FROM {src}")


def _read_xlsx(path: Path):
    import pyarrow as pa

    try:
        import python_calamine as cal

        rows = cal.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    except ImportError:
        from openpyxl import load_workbook

        rows = list(load_workbook(path, read_only=True).worksheets[0].iter_rows(values_only=True))
    names, data = rows[0], rows[1:]

    def cell(v):
        if v in ("", None):
            return None
        if isinstance(v, float):
            return repr(v)
        if isinstance(v, dt.datetime):
            return v.date().isoformat()
        return str(v)

    return pa.table({n: pa.array([cell(r[i]) for r in data], pa.string()) for i, n in enumerate(names)})


def main() -> None:
    ledger, path = sys.argv[1], Path(sys.argv[2])
    today = dt.date.fromisoformat(sys.argv[3]) if len(sys.argv) > 3 else dt.date.today()
    con = duckdb.connect(ledger)
    con.execute("BEGIN")
    read(con, path)
    con.execute(PIECES, {"today": today})
    for stmt in WRITE.split(";\n"):
        con.execute(stmt)
    con.execute("COMMIT")
    con.execute("CHECKPOINT")
    con.close()


if __name__ == "__main__":
    main()
