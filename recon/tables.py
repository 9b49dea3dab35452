"""The ledger's tables as files see them: which tables an export writes, in what order,
which columns are money and where each table finds the currency of its amounts.

One catalogue that import, export and the Excel writer share (none of them imports
another for it).
"""

from __future__ import annotations

EXPORT_ORDER = {
    "invoices": "invoice_id",
    "invoice_items": "invoice_id, line_no",
    "payments": "payment_id",
    "invoice_links": "link_id",
    "audit_log": "audit_id",
}
MONEY_COLUMNS = {
    "invoices": ("total", "unpaid_amount"),
    "invoice_items": ("net_amount", "tax_amount", "amount"),
    "payments": ("amount",),
    "invoice_links": ("amount",),
}
# where each table finds the currency of its amounts
CURRENCY_OF = {
    "invoices": "t.currency",
    "invoice_items": "(SELECT currency FROM invoices i WHERE i.invoice_id = t.invoice_id)",
    "payments": "(SELECT currency FROM invoices i WHERE i.invoice_id = t.invoice_id)",
    "invoice_links": "(SELECT currency FROM invoices i WHERE i.invoice_id = t.credit_invoice_id)",
}
