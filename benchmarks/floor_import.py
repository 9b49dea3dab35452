"""The floor of ``recon init --from``: the same import written by hand in DuckDB.

    python benchmarks/floor_import.py LEDGER EXPORT_DIR

Creates the ledger's tables (recon's own ``schema.sql``, so the same columns, types and
CHECK constraints), reads the platform's ``invoices.csv``, ``invoice_items.csv`` and
``payments.csv`` into them with typed columns, computes each invoice's total, unpaid
amount and status from its items and payments, checks the totals (every item's amount is
its net plus tax, and its net is quantity × unit price to within one minor unit), commits
and checkpoints. What a careful engineer writes for one export known to be good: no
messages naming rows, no checks of text, dates or ids, no batch record, no audit. The
currencies are the export's three (EUR, USD, JPY). Prints the totals check's count.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent

INVOICES = ("{'invoice_id': 'VARCHAR', 'account_id': 'VARCHAR', 'type': 'VARCHAR', 'invoice_date': 'DATE',"
            " 'due_date': 'DATE', 'currency': 'VARCHAR'}")
ITEMS = ("{'item_id': 'VARCHAR', 'invoice_id': 'VARCHAR', 'line_no': 'INTEGER', 'description': 'VARCHAR',"
         " 'quantity': 'DECIMAL(18,6)', 'unit_price': 'DECIMAL(18,6)', 'tax_rate': 'DECIMAL(9,6)',"
         " 'net_amount': 'DECIMAL(18,3)', 'tax_amount': 'DECIMAL(18,3)', 'amount': 'DECIMAL(18,3)'}")
PAYMENTS = ("{'payment_id': 'VARCHAR', 'invoice_id': 'VARCHAR', 'amount': 'DECIMAL(18,3)',"
            " 'paid_on': 'DATE'}")

LOAD = """
INSERT INTO currencies VALUES ('EUR', 2, 10), ('USD', 2, 10), ('JPY', 0, 1000);
CREATE TEMP TABLE inv AS SELECT * FROM read_csv('{dir}/invoices.csv', header = true, columns = {invoices});
INSERT INTO invoice_items (item_id, invoice_id, line_no, description, quantity, unit_price, tax_rate,
                           net_amount, tax_amount, amount, added_on)
SELECT t.*, i.invoice_date
FROM read_csv('{dir}/invoice_items.csv', header = true, columns = {items}) t
JOIN inv i USING (invoice_id);
INSERT INTO payments (payment_id, invoice_id, amount, paid_on)
SELECT * FROM read_csv('{dir}/payments.csv', header = true, columns = {payments});
INSERT INTO invoices (invoice_id, account_id, type, status, invoice_date, due_date, currency, total,
                      unpaid_amount)
WITH tot AS (SELECT invoice_id, sum(amount) AS total FROM invoice_items GROUP BY invoice_id),
     paid AS (SELECT invoice_id, sum(amount) AS paid FROM payments GROUP BY invoice_id)
SELECT i.invoice_id, i.account_id, i.type,
       CASE WHEN coalesce(t.total, 0) - coalesce(p.paid, 0) <= 0 THEN 'paid' ELSE 'unpaid' END,
       i.invoice_date, i.due_date, i.currency, coalesce(t.total, 0),
       greatest(coalesce(t.total, 0) - coalesce(p.paid, 0), 0)
FROM inv i LEFT JOIN tot t USING (invoice_id) LEFT JOIN paid p USING (invoice_id);
"""

# the totals check: amount = net + tax, and net within one minor unit of quantity × price
CHECK = """
SELECT count(*) FILTER (WHERE d.amount <> d.net_amount + d.tax_amount
                          OR abs(d.net_amount::DECIMAL(38,3) - d.quantity::DECIMAL(38,6) * d.unit_price) * 1000
                             > c.step_milli)
FROM invoice_items d JOIN invoices i USING (invoice_id) JOIN currencies c USING (currency)
"""


def main() -> None:
    ledger, src = Path(sys.argv[1]), Path(sys.argv[2])
    con = duckdb.connect(str(ledger))
    con.execute("SET enable_progress_bar = false")
    con.execute("BEGIN")
    con.execute((ROOT / "recon" / "sql" / "schema.sql").read_text())
    con.execute(LOAD.format(dir=src, invoices=INVOICES, items=ITEMS, payments=PAYMENTS))
    bad = con.execute(CHECK).fetchone()[0]
    con.execute("COMMIT")
    con.execute("CHECKPOINT")
    con.close()
    print(bad)


if __name__ == "__main__":
    main()
