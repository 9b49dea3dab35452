"""The data contract (SPEC §2 and §5): the columns of each ledger table and of each file
recon reads, as :class:`Field` specs.

recon.schemas builds the pandera schemas from them; this module needs neither pandas nor
pandera, so that the command line knows how to read an export (its free-text columns)
while those load (recon.reading.read_ahead_files).
"""

from __future__ import annotations

from dataclasses import dataclass

# digits after the decimal point that a kind may carry (more are fine when they are
# trailing zeros: 12.5000, or a Parquet DECIMAL(38,10) holding 12.50)
SCALE = {"money": 3, "quantity": 6, "rate": 6}
# digits before the point that the ledger's column holds: DECIMAL(18,3) 15, DECIMAL(18,6)
# 12, DECIMAL(9,6) 3 (a tax rate of 1000 = 100,000 % is not a rate); ints: BIGINT
INTEGER_DIGITS = {"money": 15, "quantity": 12, "rate": 3, "int": 18}
MAX_TEXT = 2000
MAX_LONGTEXT = 1_000_000


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # id | text | enum | money | quantity | rate | date | int
    required: bool = True  # a value is required in every row
    optional_column: bool = False  # the column may be missing from a file
    choices: tuple[str, ...] = ()
    unique: bool = False
    positive: bool = False  # > 0 (otherwise numbers are >= 0)
    signed: bool = False  # may be negative (a GL balance); no sign check
    max_digits: int | None = None  # digits before the point, if fewer than the kind's
    free_text: bool = False  # spaces around the text are kept (reason, memo, description)

    @property
    def integer_digits(self) -> int:
        return self.max_digits or INTEGER_DIGITS[self.kind]


# how a file says yes or no (Excel writes TRUE/FALSE, pandas True/False)
GROSS_YES = ("true", "TRUE", "True", "yes", "YES", "Yes", "1")
GROSS_CHOICES = GROSS_YES + ("false", "FALSE", "False", "no", "NO", "No", "0")

TABLES: dict[str, list[Field]] = {
    "invoices": [
        Field("invoice_id", "id", unique=True),
        Field("account_id", "id"),
        Field("type", "enum", choices=("debit", "credit")),
        Field("status", "enum", required=False, optional_column=True, choices=("unpaid", "paid", "void")),
        Field("invoice_date", "date"),
        Field("due_date", "date", required=False, optional_column=True),
        Field("currency", "id"),
        Field("total", "money", required=False, optional_column=True),
        Field("unpaid_amount", "money", required=False, optional_column=True),
        Field("reason", "text", required=False, optional_column=True, free_text=True),
        Field("memo", "text", required=False, optional_column=True, free_text=True),
        Field("origin", "enum", required=False, optional_column=True,
              choices=("manual", "full", "bulk", "cancellation")),
        Field("batch_id", "text", required=False, optional_column=True),
        Field("voided_on", "date", required=False, optional_column=True),
        Field("account_name", "text", required=False, optional_column=True),
        # when recon recorded the invoice (kept by export and import, for the audit)
        Field("created_at", "timestamp", required=False, optional_column=True),
    ],
    "invoice_items": [
        Field("item_id", "id", unique=True),
        Field("invoice_id", "id"),
        # INTEGER in the ledger: 9 digits, not 10, keep every value below 2^31
        Field("line_no", "int", positive=True, max_digits=9),
        Field("description", "text", required=False, free_text=True),
        Field("quantity", "quantity", positive=True),
        Field("unit_price", "quantity"),
        Field("tax_rate", "rate"),
        Field("net_amount", "money"),
        Field("tax_amount", "money"),
        Field("amount", "money"),
        Field("period_start", "date", required=False, optional_column=True),
        Field("period_end", "date", required=False, optional_column=True),
        Field("credited_item_id", "id", required=False, optional_column=True),
        Field("cancelled_on", "date", required=False, optional_column=True),
        Field("cancelled_quantity", "quantity", required=False, optional_column=True),
        # the day the item takes effect (default: its invoice's date, or the import's day
        # for an item added to an invoice the ledger already has)
        Field("added_on", "date", required=False, optional_column=True),
        Field("product_code", "id", required=False, optional_column=True),
    ],
    "payments": [
        Field("payment_id", "id", unique=True),
        Field("invoice_id", "id"),
        Field("amount", "money", positive=True),
        Field("paid_on", "date"),
        # the day the platform reversed the payment (it counts until then)
        Field("reversed_on", "date", required=False, optional_column=True),
    ],
    # due dates the platform moved (`recon import --update`), each with its day
    "due_date_changes": [
        Field("invoice_id", "id"),
        Field("changed_on", "date"),
        Field("due_date_before", "date", required=False),
        Field("due_date", "date", required=False),
    ],
    "invoice_links": [
        Field("link_id", "int", required=False, optional_column=True),
        Field("credit_invoice_id", "id"),
        Field("debit_invoice_id", "id"),
        Field("amount", "money", positive=True),
        Field("linked_on", "date"),
        Field("unlinked_on", "date", required=False, optional_column=True),
    ],
    "refunds": [
        Field("refund_id", "id", unique=True),
        Field("credit_invoice_id", "id"),
        Field("amount", "money", positive=True),
        Field("refunded_on", "date"),
        Field("reference", "text", required=False, optional_column=True),
    ],
    # -- the ledger's own history, which an export carries so that it round-trips ----------
    "batches": [
        Field("batch_id", "id", unique=True),
        Field("command", "id"),
        Field("source", "text", required=False),
        Field("rows_in", "int"),
        Field("applied_at", "timestamp"),
    ],
    "audit_log": [
        Field("audit_id", "int", unique=True, positive=True),
        Field("logged_at", "timestamp"),
        Field("os_user", "text", required=False),
        Field("command", "id"),
        Field("batch_id", "text", required=False),
        Field("invoices_created", "int"),
        Field("items_created", "int"),
        Field("links_changed", "int"),
        Field("totals", "longtext", required=False),
        Field("detail", "longtext", required=False),
    ],
    "numbering": [
        Field("prefix", "id", unique=True),
        Field("last_no", "int"),
    ],
    "currencies": [
        Field("currency", "id", unique=True),
        Field("digits", "int"),
    ],
    "period_closes": [
        Field("period", "id", unique=True),
        Field("period_start", "date"),
        Field("period_end", "date"),
        Field("closed_by", "text"),
        Field("closed_at", "timestamp"),
        Field("digest", "id"),
        Field("table_digests", "longtext"),
        Field("reviewed_by", "text", required=False),
        Field("reviewed_at", "timestamp", required=False),
    ],
    "period_events": [
        Field("event_id", "int", unique=True, positive=True),
        Field("period", "id"),
        Field("action", "enum", choices=("close", "review", "reopen")),
        Field("by_name", "text"),
        Field("event_at", "timestamp"),
        Field("reason", "text", required=False),
        Field("digest", "id", required=False),
    ],
    # SPEC §5: one row per correction
    "corrections": [
        Field("debit_invoice_id", "id"),
        Field("item_id", "id", required=False, optional_column=True),
        Field("quantity", "quantity", required=False, optional_column=True, positive=True),
        Field("reason", "text", required=False, optional_column=True),
        Field("credit_date", "date", required=False, optional_column=True),
        Field("group", "text", required=False, optional_column=True),
        Field("memo", "text", required=False, optional_column=True),
        Field("period_start", "date", required=False, optional_column=True),
        Field("period_end", "date", required=False, optional_column=True),
        # instead of a quantity: a net amount (gross: tax included) or a percentage of
        # the item's original net (recon/amounts.py)
        Field("amount", "money", required=False, optional_column=True, positive=True),
        Field("percent", "quantity", required=False, optional_column=True, positive=True),
        Field("gross", "enum", required=False, optional_column=True, choices=GROSS_CHOICES),
        # the platform's own number for the credit invoice the row goes into
        Field("credit_invoice_id", "id", required=False, optional_column=True),
    ],
    # `recon match`: credit lines that do not name the debit item they reverse (a
    # retailer's cancellations): the customer, the product, a quantity or a net amount
    "credit_lines": [
        Field("credit_number", "id"),
        Field("account_id", "id"),
        Field("product_code", "id"),
        Field("quantity", "quantity", required=False, optional_column=True, positive=True),
        Field("amount", "money", required=False, optional_column=True, positive=True),
        Field("credit_date", "date"),
        Field("currency", "id", required=False, optional_column=True),
        Field("reason", "text", required=False, optional_column=True),
        Field("memo", "text", required=False, optional_column=True),
    ],
    # `report --gl`: the general ledger's receivable balances at period end, per currency
    # or per currency and account (a balance may be negative)
    "gl_balances": [
        Field("currency", "id"),
        Field("account_id", "id", required=False, optional_column=True),
        Field("balance", "money", signed=True),
    ],
    # `recon refund --file`: one row per refund of a credit invoice's available amount
    # (refunded_on empty: the run's --date; refund_id empty: the next RF number)
    "refund_requests": [
        Field("credit_invoice_id", "id"),
        Field("amount", "money", positive=True),
        Field("refunded_on", "date", required=False, optional_column=True),
        Field("reference", "text", required=False, optional_column=True),
        Field("refund_id", "id", required=False, optional_column=True),
    ],
    # SPEC §4 `cancel`
    "cancellations": [
        Field("item_id", "id"),
        Field("cancelled_on", "date"),
        Field("quantity", "quantity", required=False, optional_column=True, positive=True),
        Field("reason", "text", required=False, optional_column=True),
    ],
}

# items taken off a credit invoice: an item's columns and the day it stopped counting
TABLES["removed_items"] = [
    *(Field(f.name, f.kind, required=f.required, optional_column=f.optional_column, choices=f.choices,
            positive=f.positive) for f in TABLES["invoice_items"]),
    Field("removed_on", "date"),
]

#: the platform's own tables, which an export from the platform has (the rest come from a
#: recon export), in the order an import reads them
PLATFORM_TABLES = ("invoices", "invoice_items", "payments", "invoice_links", "refunds")


def free_text_names(table: str, columns: dict[str, str]) -> frozenset[str]:
    """The file's names of ``table``'s free-text columns: ours, and the export's that a
    mapping (``columns``: the export's name -> ours) maps to them."""
    ours = {f.name for f in TABLES.get(table, ()) if f.free_text}
    return frozenset(ours | {theirs for theirs, mine in columns.items() if mine in ours})
