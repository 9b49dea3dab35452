"""Import and export of the ledger (SPEC §4 ``import`` / ``export``).

**Export** writes every table the ledger holds (``tables.CATALOGUE``): the platform's
facts, the dated facts recon adds, and the ledger's own history (batches, audit log,
numbering, currencies, closed months). ``recon init --from`` that folder rebuilds a
ledger whose next export is the same, byte for byte in CSV: ids, creation times and
the audit log are kept, and a restore adds nothing of its own to them.

**Import** is all or nothing: every file is read and checked (pandera, then cross-file
and ledger checks in SQL, import_checks.sql), written in one transaction, the derived
facts recomputed, and the rules of SPEC §2–3 checked on the result together with what
the ledger already held (import_balances.sql, import_after.sql): stated totals, unpaid
amounts and statuses as the facts give them, no link beyond a credit's total or a
debit's total less its payments, no active link of a void invoice, no credit dated
before a debit it credits or links to, no credit overdrawn on any past day, nothing
dated in a closed month. Any problem: rollback, and every problem is reported.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pandas as pd

from . import sql
from .db import Database
from .errors import BadInput, Problem
from .files import FileFormat, find_table_file, load
from .links import apply_after_import
from .overlap import KINDS, Overlap, classify
from .overlap import apply as apply_updates
from .periods import lock_params
from .tables import BY_NAME, CATALOGUE

# table (file name on disk) -> staging table of import_*.sql
TABLE_FILES = {
    "invoices": "s_invoices",
    "invoice_items": "s_items",
    "removed_items": "s_removed",
    "payments": "s_payments",
    "due_date_changes": "s_due_changes",
    "invoice_links": "s_links",
    "refunds": "s_refunds",
    "batches": "s_batches",
    "currencies": "s_currencies",
    "audit_log": "s_audit",
    "numbering": "s_numbering",
    "period_closes": "s_closes",
    "period_events": "s_events",
}
#: the platform's own tables, which an import from the platform has (the rest come from
#: a recon export)
PLATFORM_TABLES = ("invoices", "invoice_items", "payments", "invoice_links", "refunds")

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
    "link_not_credit": ("not a known credit invoice", "link from a credit invoice"),
    "link_not_debit": ("not a known debit invoice", "link to a debit invoice"),
    "link_mismatch": ("credit and debit invoices differ in account or currency (credit: {a})", "link invoices of one account and currency"),
    "link_too_early": ("link dated before its invoices ({a})", "date the link on or after {a}"),
    "unlink_before_link": ("unlinked before it was linked ({a})", "fix the dates"),
    "total_mismatch": ("stated total differs from the sum of its items ({a})", "export totals as the items add up, or leave the column empty"),
    "unpaid_mismatch": ("stated unpaid amount differs from total − payments − links ({a})", "check payments and links, or leave the column empty"),
    "status_mismatch": ("stated status differs from the one the amounts give ({a})", "check payments and links, or leave the column empty"),
    "over_credited": ("credits of item exceed the item ({a})", "a debit item can be credited at most once in full"),
    "links_exceed_credit": ("links and refunds of credit invoice exceed its total ({a})",
                            "lower the link or refund amounts, or unlink (unlinked_on) what no longer applies"),
    "links_exceed_debit": ("links of debit invoice exceed what its payments leave unpaid ({a})",
                           "lower the link amounts, or end a link (unlinked_on) where the debit was paid"),
    "link_on_void": ("active link of a void invoice ({a})", "end the link (unlinked_on) on or before the void"),
    "added_before_invoice": ("item takes effect before its invoice's date ({a})", "date added_on on or after {a}"),
    "credit_before_debit": ("the credit invoice is dated before the debit invoice it credits, {a}",
                            "date the credit on or after the debit"),
    "removed_not_credit": ("only items of a credit invoice are removed", "name a credit invoice"),
    "removed_before_added": ("removed before it took effect ({a})", "date removed_on on or after {a}"),
    "refund_not_credit": ("not a known credit invoice", "refund from a credit invoice"),
    "refund_on_void": ("refund of a credit invoice voided on {a}", "a void credit has nothing to refund: "
                       "leave the refund out, or the void"),
    "duplicate_refund_id": ("refund id used twice (first: {a})", "give each refund its own id"),
    "refund_too_early": ("refund dated before its credit invoice ({a})", "date the refund on or after {a}"),
    "reversed_before_paid": ("reversed before it was paid ({a})", "date reversed_on on or after {a}"),
    "currency_digits_differ": ("the ledger gives this currency {a} decimals", "keep the ledger's decimals"),
    "digits_out_of_range": ("a currency has 0 to 3 decimals", "fix the digits"),
    "period_closed": ("dated inside closed period {a}",
                      "date it after the closed month, or reopen the month first (`recon reopen`)"),
    "credit_overdrawn": ("credit invoice would be overdrawn on {a} (links and refunds beyond its items)",
                         "date links and refunds on or after the items they draw on"),
    "history_into_used_ledger": ("the ledger's own history is restored only into a new ledger",
                                 "import it with `recon init --from` into a new ledger, or leave the file out"),
}


def import_dir(db: Database, directory: str | Path, fmt: FileFormat | None = None, *,
               date: dt.date | None = None, update: bool = False, dry_run: bool = False) -> ImportCounts:
    """Import the tables' files from ``directory``, all or nothing (``date``: the import's
    day, on which available credits are applied to new debits; default today)."""
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
    return import_frames(db, frames, what=f"import from {directory}", date=date, update=update,
                         dry_run=dry_run)


class ImportCounts(dict):
    """What an import did: {table: rows added} (and ``credits_applied``), with ``skipped``
    ({table: rows the ledger already held the same}), ``updated`` ({kind: changes taken
    with --update}), ``same_credits`` (the file's credit numbers the ledger knows under
    its own) and ``updates`` (each change: kind, id, column, before, after, day);
    ``dry_run``: nothing was saved."""

    def __init__(self, counts: dict, overlap: Overlap | None = None, *, dry_run: bool = False):
        super().__init__(counts)
        self.skipped = dict(overlap.skipped) if overlap else {}
        self.updated = overlap.updated if overlap else {}
        self.same_credits = dict(overlap.same_credits) if overlap else {}
        self.updates = overlap.updates if overlap else None
        self.dry_run = dry_run

    @property
    def added(self) -> int:
        return sum(n for t, n in self.items() if t in TABLE_FILES)

    def summary(self) -> str:
        """One line: rows added, identical rows skipped, platform changes taken."""
        verb = "would import" if self.dry_run else "imported"
        added = ", ".join(f"{n:,} {t}" for t, n in self.items() if n and t in TABLE_FILES)
        parts = [f"{verb} {added}" if added else f"{'would import' if self.dry_run else 'imported'} nothing new"]
        if self.get("payments_as_refunds"):
            parts.append(f"{self['payments_as_refunds']:,} payment(s) on credit invoices taken as refunds"
                         " (money paid back from the credit)")
        if self.get("credits_applied"):
            parts.append(f"{self['credits_applied']:,} credit application(s)")
        if self.skipped:
            total = sum(self.skipped.values())
            parts.append(f"skipped {total:,} row(s) the ledger already holds ("
                         + ", ".join(f"{n:,} {t}" for t, n in self.skipped.items()) + ")")
        if self.same_credits:
            parts.append(f"{len(self.same_credits):,} credit(s) known under recon's number")
        if self.updated:
            parts.append(("would update: " if self.dry_run else "updated: ")
                         + ", ".join(f"{n:,} {KINDS[k]}" for k, n in self.updated.items()))
        return "; ".join(parts)


def import_frames(db: Database, frames: dict[str, pd.DataFrame], *, what: str = "import",
                  date: dt.date | None = None, update: bool = False,
                  dry_run: bool = False) -> ImportCounts:
    """Write checked, typed frames (see :func:`recon.files.load`) into the ledger.

    Rows the ledger already holds are skipped, rows that conflict with it refused, and
    with ``update`` the platform's changes taken as dated facts (recon/overlap.py);
    ``dry_run`` does all of it and saves nothing."""
    on = date or dt.date.today()
    with db.transaction(keep=not dry_run):
        new_ledger = _is_new(db)
        # a whole ledger's export read into a new ledger: its history comes along
        restore = new_ledger and any(BY_NAME[t].history for t in frames)
        for table, stage in TABLE_FILES.items():
            stage_frame(db, stage, table, frames.get(table))
        # payments on credit invoices are money paid back: refunds (import_refund_payments.sql),
        # before the overlap is sorted, so a re-import finds them among the ledger's refunds
        for stmt in sql.statements("import_refund_payments"):
            db.execute(stmt)
        found = None
        if not new_ledger:
            found = classify(db, frames, update=update, on=on, what=what)
        counts = {t: db.scalar(f"SELECT count(*) FROM {stage}") for t, stage in TABLE_FILES.items()}
        as_refunds = int(db.scalar("SELECT count(*) FROM s_refunds WHERE _payment"))
        if as_refunds:
            counts["payments_as_refunds"] = as_refunds
        if not restore:
            refused = [Problem(reason=IMPORT_MESSAGES["history_into_used_ledger"][0],
                               file=frames[t].attrs.get("source", t),
                               fix=IMPORT_MESSAGES["history_into_used_ledger"][1],
                               code="history_into_used_ledger")
                       for t in frames if BY_NAME[t].history and counts[t]]
            if refused:
                raise BadInput.from_problems(what, refused)
        lock = lock_params(db)
        problems = _problems(db.rows(sql.load("import_checks"),
                                     {"locked_through": lock["locked_through"],
                                      "lock_note": lock["lock_note"]}))
        if problems:
            raise BadInput.from_problems(what, problems)
        for stmt in sql.statements("import_write"):
            db.execute(stmt, sql.used(stmt, {"on": on, "restore": restore}))
        if found is not None:
            apply_updates(db, found, update=update, what=what)
        problems = _problems(db.rows(sql.load("import_balances")))
        credits = [c for (c,) in db.rows(
            "SELECT invoice_id FROM invoices WHERE type = 'credit' AND invoice_id IN (SELECT invoice_id FROM touched)")]
        problems += _problems(
            (None, None, "invoice_id", c, "credit_overdrawn", str(day))
            for c, day, _ in (db.rows(sql.load("credit_timeline"), {"credits": credits}) if credits else []))
        if problems:
            raise BadInput.from_problems(what, problems)
        db.recompute()
        after = sql.load("import_after").replace("{derived}", sql.load("derived"))
        problems = _problems(db.rows(after))
        if problems:
            raise BadInput.from_problems(what, problems)
        result = ImportCounts(counts, found, dry_run=dry_run)
        if not result.added and not result.updated:
            return result  # everything is in the ledger already: nothing changes, not even the audit
        if not restore:
            _advance_numbering(db)
        # New debits: credits still available on their accounts are applied, as the
        # platform does (oldest first; recon/links.py), dated the import's day.
        applied = apply_after_import(db, on, what)
        if restore:
            # the restored audit log stays as it was exported (a round trip is exact); the
            # restore itself is noted in meta, which no export carries
            db.execute("INSERT OR REPLACE INTO meta VALUES ('restored_at', $at)",
                       {"at": dt.datetime.now().isoformat(timespec="seconds")})
        else:
            detail = dict({t: n for t, n in counts.items() if n}, credits_applied=applied)
            if result.skipped:
                detail["skipped"] = result.skipped
            if result.updated:
                # each change the platform made, with its day (the dated fact itself is in
                # the ledger: voided_on, reversed_on, unlinked_on, due_date_changes)
                detail["updated"] = [
                    {"kind": u.kind, "id": u.id, "column": u.column, "before": u.before,
                     "after": u.after, "day": str(u.day)} for u in result.updates.itertuples()]
            db.audit("import --update" if result.updated else "import", invoices=counts["invoices"],
                     items=counts["invoice_items"], links=counts["invoice_links"] + applied, detail=detail)
    if applied:
        result["credits_applied"] = applied
    return result


def _is_new(db: Database) -> bool:
    return not db.scalar("SELECT (SELECT count(*) FROM invoices) + (SELECT count(*) FROM audit_log)"
                         " + (SELECT count(*) FROM period_closes)")


def stage_frame(db: Database, stage: str, table: str, frame: pd.DataFrame | None) -> None:
    """A temp table shaped like the ledger table, plus the file and row of each row."""
    db.execute(f"CREATE OR REPLACE TEMP TABLE {stage} AS SELECT * FROM {table} LIMIT 0")
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


def _advance_numbering(db: Database) -> None:
    """Imported credit invoice and refund numbers of our own form (CN-/RF-<year>-<n>) are
    never handed out again. The RF counter starts with the first refund (refund_write.sql)."""
    db.execute(
        "UPDATE numbering SET last_no = greatest(last_no, coalesce((SELECT max(TRY_CAST("
        " regexp_extract(invoice_id, '^CN-[0-9]{4}-([0-9]+)$', 1) AS BIGINT)) FROM invoices), 0))"
        " WHERE prefix = 'CN'")
    db.execute(
        "INSERT INTO numbering SELECT 'RF', n FROM (SELECT max(TRY_CAST(regexp_extract(refund_id,"
        " '^RF-[0-9]{4}-([0-9]+)$', 1) AS BIGINT)) AS n FROM refunds) WHERE n IS NOT NULL"
        " ON CONFLICT (prefix) DO UPDATE SET last_no = greatest(numbering.last_no, excluded.last_no)")


def _problems(rows) -> list[Problem]:
    out = []
    for file, row, col, value, code, a in rows:
        reason, fix = IMPORT_MESSAGES.get(code, (code, None))
        out.append(Problem(reason=reason.format(a=a), file=file, row=row, column=col, value=value,
                           fix=fix.format(a=a) if fix else None, code=code))
    return out


# -- export ----------------------------------------------------------------------------------

def export_dir(db: Database, out: str | Path, fmt: str = "csv") -> list[Path]:
    """Write one file per table (tables.CATALOGUE), named after it, that ``import`` (or
    ``init --from``, for a whole ledger) reads back.

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
    for table in CATALOGUE:
        path = out / f"{table.name}.{fmt}"
        if fmt == "parquet":
            pq.write_table(db.arrow(_select(table, money_text=False)), path)
        elif fmt == "csv":
            pacsv.write_csv(db.arrow(_select(table, money_text=True)), path,
                            pacsv.WriteOptions(quoting_style="needed"))
        else:
            from .excel import write_table

            currencies = (db.frame(f"SELECT {table.currency_of} AS currency FROM {table.name} t"
                                   f" ORDER BY {table.order}")["currency"] if table.currency_of else None)
            write_table(path, table.name, _exact_for_excel(db.frame(_select(table, money_text=False))),
                        currencies)
        written.append(path)
    return written


def _select(table, *, money_text: bool) -> str:
    """A table's rows for a file, in its fixed order: timestamps as text with microseconds;
    with ``money_text``, amounts as text with exactly the currency's decimals (EUR 12.50,
    JPY 1500)."""
    replace = [f"strftime(t.{c}, '%Y-%m-%d %H:%M:%S.%f') AS {c}" for c in table.timestamps]
    if money_text:
        replace += [
            f"CASE (SELECT digits FROM currencies c WHERE c.currency = {table.currency_of})"
            f" WHEN 0 THEN t.{m}::DECIMAL(18,0)::VARCHAR WHEN 2 THEN t.{m}::DECIMAL(18,2)::VARCHAR"
            f" ELSE t.{m}::VARCHAR END AS {m}"
            for m in table.money
        ]
    cols = "*"
    if table.exclude:
        cols += f" EXCLUDE ({', '.join(table.exclude)})"
    if replace:
        cols += f" REPLACE ({', '.join(replace)})"
    return f"SELECT {cols} FROM {table.name} t ORDER BY {table.order}"


def _exact_for_excel(df: pd.DataFrame) -> pd.DataFrame:
    """Excel keeps numbers as binary doubles, which carry 15 significant digits exactly: a
    decimal of more (e.g. quantity 123456789012.123456 of DECIMAL(18,6)) goes as text,
    which import reads back exactly; every other number stays a number."""
    import pyarrow as pa
    import pyarrow.compute as pc

    out = df.copy()
    for c in df.columns:
        dtype = df[c].dtype
        if not (isinstance(dtype, pd.ArrowDtype) and pa.types.is_decimal(dtype.pyarrow_dtype)):
            continue
        if dtype.pyarrow_dtype.precision <= 15:  # every value fits a double exactly
            continue
        arr = pa.array(df[c].array)
        limit = pa.scalar(Decimal(10 ** (15 - dtype.pyarrow_dtype.scale)), arr.type)
        wide = pc.fill_null(pc.greater_equal(pc.abs(arr), limit), False)
        if not pc.any(wide).as_py():
            continue
        text = pc.cast(arr, pa.string())
        out[c] = pd.Series([t if w else v for v, t, w in zip(df[c].tolist(), text.to_pylist(),
                                                            wide.to_pylist(), strict=True)],
                           index=df.index, dtype=object)
    return out
