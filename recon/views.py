"""What an analyst looks at: an invoice, an account's unpaid debits, what is creditable.

These mirror the platform's screens ("Insert from Invoice" picker, the invoice page).
Read-only queries; every amount is an exact Arrow decimal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .db import Database
from .errors import BadInput

if TYPE_CHECKING:
    import pandas as pd

INVOICE_COLUMNS = (
    "invoice_id, account_id, type, status, invoice_date, due_date, currency, total,"
    " unpaid_amount, reason, memo, origin, batch_id, voided_on"
)

_CREDITED = """
    SELECT ci.credited_item_id AS item_id, sum(ci.quantity) AS quantity,
           sum(ci.net_amount) AS net, sum(ci.tax_amount) AS tax, sum(ci.amount) AS amount
    FROM invoice_items ci JOIN invoices c ON c.invoice_id = ci.invoice_id
    WHERE c.voided_on IS NULL AND ci.credited_item_id IS NOT NULL
    GROUP BY ci.credited_item_id
"""


def unpaid_debits(db: Database, account_id: str, currency: str | None = None) -> pd.DataFrame:
    """The account's unpaid debit invoices, oldest first (what the picker offers)."""
    return db.frame(
        f"SELECT {INVOICE_COLUMNS} FROM invoices WHERE account_id = $a AND type = 'debit'"
        " AND status = 'unpaid' AND ($c IS NULL OR currency = $c) ORDER BY invoice_date, invoice_id",
        {"a": account_id, "c": currency},
    )


def accounts(db: Database) -> pd.DataFrame:
    """Accounts with their unpaid debit count and amount per currency."""
    return db.frame(
        "SELECT account_id, currency, count(*) FILTER (WHERE type = 'debit' AND status = 'unpaid') AS unpaid_debits,"
        " coalesce(sum(unpaid_amount) FILTER (WHERE type = 'debit'), 0)::DECIMAL(18,3) AS unpaid_amount,"
        " coalesce(sum(unpaid_amount) FILTER (WHERE type = 'credit'), 0)::DECIMAL(18,3) AS credit_available"
        " FROM invoices GROUP BY ALL ORDER BY account_id, currency"
    )


def account_names(db: Database) -> dict[str, str]:
    """{account_id: account_name} where the export gave names (optional column on invoices)."""
    has = db.scalar("SELECT count(*) FROM information_schema.columns"
                    " WHERE table_name = 'invoices' AND column_name = 'account_name'")
    if not has:
        return {}
    return dict(db.rows("SELECT account_id, max(account_name) FROM invoices"
                        " WHERE account_name IS NOT NULL GROUP BY account_id"))


def find_unpaid_debits(db: Database, text: str, limit: int = 10) -> pd.DataFrame:
    """Unpaid debit invoices whose number contains ``text`` (any case), exact match first."""
    return db.frame(
        f"SELECT {INVOICE_COLUMNS} FROM invoices WHERE type = 'debit' AND status = 'unpaid'"
        " AND contains(upper(invoice_id), upper($t))"
        " ORDER BY upper(invoice_id) <> upper($t), invoice_id LIMIT $n",
        {"t": text.strip(), "n": limit})


def creditable_items(db: Database, debit_invoice_id: str) -> pd.DataFrame:
    """A debit invoice's items with the quantity and amounts still creditable."""
    _require(db, debit_invoice_id)
    return db.frame(
        f"""WITH credited AS ({_CREDITED})
        SELECT d.item_id, d.line_no, d.description, d.quantity, d.unit_price, d.tax_rate,
               d.net_amount, d.tax_amount, d.amount, d.period_start, d.period_end,
               coalesce(c.quantity, 0)::DECIMAL(18,6) AS credited_quantity,
               (d.quantity - coalesce(c.quantity, 0))::DECIMAL(18,6) AS creditable_quantity,
               (d.net_amount - coalesce(c.net, 0))::DECIMAL(18,3) AS creditable_net,
               (d.tax_amount - coalesce(c.tax, 0))::DECIMAL(18,3) AS creditable_tax,
               (d.amount - coalesce(c.amount, 0))::DECIMAL(18,3) AS creditable_amount
        FROM invoice_items d LEFT JOIN credited c USING (item_id)
        WHERE d.invoice_id = $id ORDER BY d.line_no""",
        {"id": debit_invoice_id},
    )


# invoice, items, links and payments: ``rows=True`` gives named tuples of exact Python
# values instead of a frame (`recon show` prints them without importing pandas)


def _read(db: Database, rows: bool):
    return db.records if rows else db.frame


def invoice(db: Database, invoice_id: str, *, rows: bool = False) -> pd.DataFrame:
    _require(db, invoice_id)
    return _read(db, rows)(f"SELECT {INVOICE_COLUMNS} FROM invoices WHERE invoice_id = $id", {"id": invoice_id})


def items(db: Database, invoice_id: str, *, rows: bool = False) -> pd.DataFrame:
    return _read(db, rows)(
        "SELECT item_id, line_no, description, quantity, unit_price, tax_rate, net_amount,"
        " tax_amount, amount, period_start, period_end, credited_item_id"
        " FROM invoice_items WHERE invoice_id = $id ORDER BY line_no", {"id": invoice_id})


def links(db: Database, invoice_id: str, *, include_ended: bool = False, rows: bool = False) -> pd.DataFrame:
    """Links given (credit) or received (debit) by an invoice."""
    return _read(db, rows)(
        "SELECT l.credit_invoice_id, l.debit_invoice_id, l.amount, l.linked_on, l.unlinked_on"
        " FROM invoice_links l WHERE (l.credit_invoice_id = $id OR l.debit_invoice_id = $id)"
        " AND ($all OR l.unlinked_on IS NULL) ORDER BY l.link_id",
        {"id": invoice_id, "all": include_ended},
    )


def payments(db: Database, invoice_id: str, *, rows: bool = False) -> pd.DataFrame:
    return _read(db, rows)("SELECT payment_id, amount, paid_on, reversed_on FROM payments WHERE invoice_id = $id"
                    " ORDER BY paid_on, payment_id", {"id": invoice_id})


def closest_invoices(db: Database, invoice_id: str, *, kind: str | None = None, n: int = 3) -> list[str]:
    """The ``n`` invoice numbers nearest to a mistyped one (edit distance, then number)."""
    rows = db.rows(
        "SELECT invoice_id FROM invoices WHERE $kind IS NULL OR type = $kind"
        " ORDER BY levenshtein(upper(invoice_id), upper($id)), invoice_id LIMIT $n",
        {"id": str(invoice_id), "kind": kind, "n": n})
    return [r[0] for r in rows]


def _require(db: Database, invoice_id: str) -> None:
    if db.scalar("SELECT count(*) FROM invoices WHERE invoice_id = $id", {"id": invoice_id}) == 0:
        near = closest_invoices(db, invoice_id)
        hint = f"; the closest invoice numbers: {', '.join(near)}" if near else ""
        raise BadInput(f"invoice {invoice_id!r} not found{hint}")
