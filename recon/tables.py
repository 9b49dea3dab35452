"""The ledger's tables as files see them: which tables an export writes, in what order,
which columns are money and where each table finds the currency of its amounts.

One catalogue that import, export and the Excel writer share (none of them imports
another for it). An export writes every table below, so that `recon init --from` that
folder rebuilds the same ledger (SPEC §4 export, issue 13): the platform's facts
(invoices, items, payments, links, refunds), the dated facts recon adds (removed
items, due dates moved), and the ledger's own history (batches applied, the audit log,
the credit numbering, the currencies, the closed months and their sign-offs).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Table:
    name: str
    #: ORDER BY of the export: a fixed row order, so an export is the same every time
    order: str
    #: money columns, written with the currency's decimals
    money: tuple[str, ...] = ()
    #: where a row finds the currency of its amounts (an SQL expression on alias t)
    currency_of: str | None = None
    #: timestamp columns, written as text with microseconds (Excel keeps no microseconds)
    timestamps: tuple[str, ...] = ()
    #: the ledger's own history: taken from a folder only into a new, empty ledger
    history: bool = False
    #: columns the export leaves out (derived from others on import)
    exclude: tuple[str, ...] = ()


_CURRENCY_OF_INVOICE = "(SELECT currency FROM invoices i WHERE i.invoice_id = t.invoice_id)"

CATALOGUE: tuple[Table, ...] = (
    Table("invoices", "invoice_id", ("total", "unpaid_amount"), "t.currency", ("created_at",)),
    Table("invoice_items", "invoice_id, line_no", ("net_amount", "tax_amount", "amount"),
          _CURRENCY_OF_INVOICE),
    Table("removed_items", "invoice_id, line_no, removed_on", ("net_amount", "tax_amount", "amount"),
          _CURRENCY_OF_INVOICE),
    Table("payments", "payment_id", ("amount",), _CURRENCY_OF_INVOICE),
    Table("due_date_changes", "invoice_id, changed_on, due_date"),
    Table("invoice_links", "link_id", ("amount",),
          "(SELECT currency FROM invoices i WHERE i.invoice_id = t.credit_invoice_id)"),
    Table("refunds", "refund_id", ("amount",),
          "(SELECT currency FROM invoices i WHERE i.invoice_id = t.credit_invoice_id)"),
    Table("batches", "batch_id", timestamps=("applied_at",)),
    Table("currencies", "currency", exclude=("step_milli",)),
    Table("audit_log", "audit_id", timestamps=("logged_at",), history=True),
    Table("numbering", "prefix", history=True),
    Table("period_closes", "period", timestamps=("closed_at", "reviewed_at"), history=True),
    Table("period_events", "event_id", timestamps=("event_at",), history=True),
)
BY_NAME = {t.name: t for t in CATALOGUE}

EXPORT_ORDER = {t.name: t.order for t in CATALOGUE}
MONEY_COLUMNS = {t.name: t.money for t in CATALOGUE if t.money}
CURRENCY_OF = {t.name: t.currency_of for t in CATALOGUE if t.currency_of}
