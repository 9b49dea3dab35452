"""Import and export of the ledger's four tables (SPEC §4 ``import`` / ``export``).

Import is all or nothing: every file is read and checked (pandera, then cross-file and
ledger checks in SQL), written in one transaction, the derived facts recomputed, and
what the files stated about totals, unpaid amounts and statuses compared with what the
facts give. Any problem: rollback, and every problem is reported.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import sql
from .db import Database
from .errors import BadInput, Problem
from .files import FileFormat, find_table_file, load
from .links import apply_after_import
from .tables import CURRENCY_OF, EXPORT_ORDER, MONEY_COLUMNS

# file name on disk -> staging table
TABLE_FILES = {
    "invoices": "s_invoices",
    "invoice_items": "s_items",
    "payments": "s_payments",
    "invoice_links": "s_links",
}

IMPORT_MESSAGES: dict[str, tuple[str, str | None]] = {
    "id_exists": ("this id is already in the ledger", "import each invoice, item and payment once; drop rows imported before"),
    "unknown_currency": ("unknown currency", "use an ISO 4217 code such as EUR, USD or JPY"),
    "too_many_decimals": ("more decimals than the currency has ({a})", "round the amount to the currency's minor unit"),
    "origin_on_debit": ("only credit invoices have an origin", "leave origin empty on debit invoices"),
    "due_before_invoice": ("due date is before the invoice date {a}", "fix the due date"),
    "unknown_invoice": ("unknown invoice: not in this import nor in the ledger", "import its invoice too, or fix the id"),
    "amount_not_sum": ("amount is not net_amount + tax_amount ({a})", "export amounts as the platform computed them"),
    "period_reversed": ("billing period starts after its end {a}", "fix period_start / period_end"),
    "duplicate_line": ("line number used twice on invoice {a}", "number each invoice's lines once"),
    "credit_item_on_debit": ("a debit invoice's item cannot credit another item", "leave credited_item_id empty on debit items"),
    "credit_item_unlinked": ("a credit item must name the debit item it credits", "fill credited_item_id with an existing debit item"),
    "credited_item_mismatch": ("credits an item of {a}, which is not a debit invoice of the same account and currency", "fix credited_item_id"),
    "payment_on_credit": ("payments apply to debit invoices only", "record the payment against the debit invoice"),
    "link_not_credit": ("not a known credit invoice", "link from a credit invoice"),
    "link_not_debit": ("not a known debit invoice", "link to a debit invoice"),
    "link_mismatch": ("credit and debit invoices differ in account or currency (credit: {a})", "link invoices of one account and currency"),
    "link_too_early": ("link dated before its invoices ({a})", "date the link on or after {a}"),
    "unlink_before_link": ("unlinked before it was linked ({a})", "fix the dates"),
    "total_mismatch": ("stated total differs from the sum of its items ({a})", "export totals as the items add up, or leave the column empty"),
    "unpaid_mismatch": ("stated unpaid amount differs from total − payments − links ({a})", "check payments and links, or leave the column empty"),
    "status_mismatch": ("stated status differs from the one the amounts give ({a})", "check payments and links, or leave the column empty"),
    "over_credited": ("credits of item exceed the item ({a})", "a debit item can be credited at most once in full"),
    "links_exceed_credit": ("links of credit invoice exceed its total ({a})", "lower the link amounts"),
}


def import_dir(db: Database, directory: str | Path, fmt: FileFormat | None = None) -> dict[str, int]:
    """Import the four tables' files from ``directory``, all or nothing."""
    directory = Path(directory)
    if not directory.is_dir():
        raise BadInput(f"{directory}: not a folder; give the folder holding invoices.csv, invoice_items.csv, …")
    frames: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    for table in TABLE_FILES:
        path = find_table_file(directory, table)
        if path is None:
            continue
        try:
            frames[table] = load(path, table, fmt)
        except BadInput as exc:
            problems += exc.problems or [Problem(reason=exc.message)]
    if not frames and not problems:
        raise BadInput(
            f"{directory}: no invoices, invoice_items, payments or invoice_links file "
            "(.csv, .parquet or .xlsx) found"
        )
    if problems:
        raise BadInput.from_problems(f"import from {directory}", problems)
    return import_frames(db, frames, what=f"import from {directory}")


def import_frames(db: Database, frames: dict[str, pd.DataFrame], *, what: str = "import") -> dict[str, int]:
    """Write checked, typed frames (see :func:`recon.files.load`) into the ledger."""
    counts = {t: len(frames[t]) if t in frames else 0 for t in TABLE_FILES}
    with db.transaction():
        for table, stage in TABLE_FILES.items():
            _stage(db, stage, table, frames.get(table))
        problems = _problems(db.rows(sql.load("import_checks")))
        if problems:
            raise BadInput.from_problems(what, problems)
        _write(db)
        db.recompute()
        after = sql.load("import_after").replace("{derived}", sql.load("derived"))
        problems = _problems(db.rows(after))
        if problems:
            raise BadInput.from_problems(what, problems)
        _advance_numbering(db)
        # New debits: credits still available on their accounts are applied, as the
        # platform does (oldest first; recon/links.py).
        applied = apply_after_import(db)
        db.audit("import", invoices=counts["invoices"], items=counts["invoice_items"],
                 links=counts["invoice_links"] + applied, detail=dict(counts, credits_applied=applied))
    if applied:
        counts["credits_applied"] = applied
    return counts


def _stage(db: Database, stage: str, table: str, frame: pd.DataFrame | None) -> None:
    """A temp table shaped like the ledger table, plus the file and row of each row."""
    target = "invoice_items" if table == "invoice_items" else table
    db.execute(f"CREATE OR REPLACE TEMP TABLE {stage} AS SELECT * FROM {target} LIMIT 0")
    db.execute(f"ALTER TABLE {stage} ADD COLUMN _row BIGINT")
    db.execute(f"ALTER TABLE {stage} ADD COLUMN _file VARCHAR")
    if frame is None or frame.empty:
        return
    df = frame.copy()
    df["_row"] = pd.array(df.index.to_numpy(), dtype="int64[pyarrow]")
    df["_file"] = pd.array([frame.attrs.get("source")] * len(df), dtype="string[pyarrow]")
    cols = [c for c in df.columns if c in _columns(db, stage)]
    db.con.register("incoming", df[cols])
    try:
        db.execute(f"INSERT INTO {stage} BY NAME SELECT * FROM incoming")
    finally:
        db.con.unregister("incoming")


def _columns(db: Database, table: str) -> set[str]:
    return {r[0] for r in db.rows(
        "SELECT column_name FROM information_schema.columns WHERE table_name = $t", {"t": table})}


def _write(db: Database) -> None:
    # Derived columns are left to recompute; a void status is a fact (voided_on).
    db.execute(
        "INSERT INTO invoices BY NAME SELECT invoice_id, account_id, type, 'unpaid' AS status,"
        " invoice_date, due_date, currency, reason, memo,"
        " CASE WHEN type = 'credit' THEN coalesce(origin, 'manual') END AS origin, batch_id,"
        " CASE WHEN status = 'void' THEN coalesce(voided_on, invoice_date) ELSE voided_on END AS voided_on"
        " FROM s_invoices ORDER BY _row")
    db.execute(
        "INSERT INTO invoice_items BY NAME SELECT item_id, invoice_id, line_no, description, quantity,"
        " unit_price, tax_rate, net_amount, tax_amount, amount, period_start, period_end,"
        " credited_item_id, cancelled_on, cancelled_quantity FROM s_items ORDER BY _row")
    db.execute("INSERT INTO payments BY NAME SELECT payment_id, invoice_id, amount, paid_on"
               " FROM s_payments ORDER BY _row")
    db.execute("INSERT INTO invoice_links BY NAME SELECT credit_invoice_id, debit_invoice_id, amount,"
               " linked_on, unlinked_on FROM s_links ORDER BY _row")
    db.touch("SELECT invoice_id FROM s_invoices UNION SELECT invoice_id FROM s_payments"
             " UNION SELECT credit_invoice_id FROM s_links UNION SELECT debit_invoice_id FROM s_links")


def _advance_numbering(db: Database) -> None:
    """Imported credit numbers of our own form are never handed out again."""
    db.execute(
        "UPDATE numbering SET last_no = greatest(last_no, coalesce((SELECT max(TRY_CAST("
        " regexp_extract(invoice_id, '^CN-[0-9]{4}-([0-9]+)$', 1) AS BIGINT)) FROM invoices), 0))"
        " WHERE prefix = 'CN'")


def _problems(rows) -> list[Problem]:
    out = []
    for file, row, col, value, code, a in rows:
        reason, fix = IMPORT_MESSAGES.get(code, (code, None))
        out.append(Problem(reason=reason.format(a=a), file=file, row=row, column=col, value=value,
                           fix=fix.format(a=a) if fix else None, code=code))
    return out


# -- export ----------------------------------------------------------------------------------

def export_dir(db: Database, out: str | Path, fmt: str = "csv") -> list[Path]:
    """Write one file per table, named after it, that ``import`` reads back.

    Rows leave DuckDB as Arrow (exact decimals) and pyarrow writes the files, so no path
    or value is ever pasted into SQL.
    """
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    if fmt not in ("csv", "parquet", "xlsx"):
        raise BadInput(f"--format {fmt!r}: use csv, parquet or xlsx")
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInput(f"cannot create {out}: {exc.strerror}; choose a folder you can write to") from None
    written = []
    for table, order in EXPORT_ORDER.items():
        path = out / f"{table}.{fmt}"
        if fmt == "parquet":
            pq.write_table(db.arrow(f"SELECT * FROM {table} ORDER BY {order}"), path)
        elif fmt == "csv":
            pacsv.write_csv(db.arrow(_text_query(table, order)), path,
                            pacsv.WriteOptions(quoting_style="needed"))
        else:
            from .excel import write_table

            currencies = (db.frame(f"SELECT {CURRENCY_OF[table]} AS currency FROM {table} t ORDER BY {order}")["currency"]
                          if table in CURRENCY_OF else None)
            write_table(path, table, db.frame(f"SELECT * FROM {table} ORDER BY {order}"), currencies)
        written.append(path)
    return written


def _text_query(table: str, order: str) -> str:
    """Amounts as text with exactly the currency's decimals (EUR 12.50, JPY 1500)."""
    money = MONEY_COLUMNS.get(table, ())
    if not money:
        return f"SELECT * FROM {table} ORDER BY {order}"
    fixed = ", ".join(
        f"CASE (SELECT digits FROM currencies c WHERE c.currency = {CURRENCY_OF[table]})"
        f" WHEN 0 THEN t.{m}::DECIMAL(18,0)::VARCHAR WHEN 2 THEN t.{m}::DECIMAL(18,2)::VARCHAR"
        f" ELSE t.{m}::VARCHAR END AS {m}"
        for m in money
    )
    return f"SELECT * REPLACE ({fixed}) FROM {table} t ORDER BY {order}"


