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

import duckdb
import pandas as pd

from . import sql
from .db import Database
from .errors import BadInput, Problem
from .files import SUFFIXES, Checked, FileFormat, check_file, name_currency_decimals
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
    "net_differs": ("net amount is more than one minor unit away from quantity × unit price, rounded ({a})",
                    "export the net the platform computed; if discounts or minimum charges make it differ, "
                    "set net_may_differ = true in a mapping file (--mapping)"),
    "total_out_of_range": ("the invoice's items add up to {a}, more than the ledger holds (below 10^15)",
                           "check the amounts; split the invoice"),
}


def import_dir(db: Database, directory: str | Path, fmt: FileFormat | None = None, *,
               date: dt.date | None = None, update: bool = False, dry_run: bool = False,
               rejects: str | Path | None = None) -> ImportResult:
    """Import the tables' files from ``directory``, all or nothing (``date``: the import's
    day, on which available credits are applied to new debits; default today).

    Refused (BadInput, nothing changed) on any problem: whole-file ones (unreadable, not
    UTF-8, a required column missing) first, then every bad row, all of them also in a
    rejects file (``rejects``, by default ``<folder>.rejects.csv`` beside the folder, so a
    later import of the folder never meets it). The result lists the files imported,
    the files and columns ignored, and the rows whose net differs (when allowed).
    ``update`` and ``dry_run``: as in :func:`import_frames` (an overlapping export's
    changes taken as dated facts; all of it checked, nothing saved).
    """
    fmt = fmt or FileFormat()
    directory = Path(directory)
    if not directory.is_dir():
        raise BadInput(f"{directory}: not a folder; give the folder holding invoices.csv, invoice_items.csv, …")
    found, ignored = discover(directory)
    if not found:
        raise BadInput(
            f"{directory}: no invoices, invoice_items, payments or invoice_links file "
            "(.csv, .parquet or .xlsx) found" + _ignored_note(ignored))
    with db.memory(IMPORT_DUCKDB_MEMORY):
        return _import_found(db, directory, found, ignored, fmt, date=date, update=update,
                             dry_run=dry_run, rejects=rejects)


# DuckDB's share of an import's memory. The files' frames (text as read, typed columns)
# stay in Python meanwhile, and by default DuckDB may take 80 % of RAM besides: a 10M-item
# export (2M invoices) peaked at 8.7 GB. Bounded, DuckDB stages, checks and writes it in
# 2 GB (spilling to its temp directory if it must): 5.7 GB in all, no slower
# (benchmarks/RESULTS.md, bench_scale.py).
IMPORT_DUCKDB_MEMORY = "2GB"


def _import_found(db: Database, directory: Path, found: dict[str, Path], ignored, fmt: FileFormat, *,
                  date, update: bool, dry_run: bool, rejects) -> ImportResult:
    checked: dict[str, Checked] = {}
    problems: list[Problem] = []
    for table, path in found.items():
        try:
            checked[table] = check_file(path, table, fmt)
        except BadInput as exc:  # the whole file: unreadable, not UTF-8, ragged, …
            problems += exc.problems or [Problem(reason=_without_path(exc.message, path),
                                                 file=str(path), code="file")]
            continue
        problems += checked[table].problems
    what = f"import from {directory}"
    if problems:
        raise _refuse(db, what, directory, rejects, checked, problems)
    frames = {t: c.typed for t, c in checked.items()}
    db.execute("SET VARIABLE net_may_differ = $v", {"v": fmt.net_may_differ})
    try:
        counts = import_frames(db, frames, what=what, date=date, update=update, dry_run=dry_run)
    except BadInput as exc:
        if not exc.problems:
            raise
        raise _refuse(db, what, directory, rejects, checked, exc.problems) from None
    except duckdb.ConstraintException as exc:
        # a rule the checks above did not word (the transaction rolled back): still the
        # files' fault, said in the ledger's terms
        detail = str(exc).strip().splitlines()[0]
        raise BadInput(f"{what} refused, nothing changed: the files break a rule of the ledger "
                       f"({detail}); check links against credit totals and payments") from None
    finally:
        db.execute("RESET VARIABLE net_may_differ")
    return ImportResult(
        counts, files=[p.name for p in found.values()], ignored=ignored,
        ignored_columns={found[t].name: c.ignored_columns for t, c in checked.items() if c.ignored_columns},
        net_differs=_net_differs(db, frames.get("invoice_items")) if fmt.net_may_differ else 0)


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


class ImportResult(ImportCounts):
    """An import of a folder: its ImportCounts, plus what it found in the folder
    (``files``), left out (``ignored``: (name, expected name or None);
    ``ignored_columns``: {file: [columns]}) and the items whose net differs from
    quantity × unit price, allowed by the mapping (``net_differs``)."""

    def __init__(self, counts: ImportCounts, *, files=(), ignored=(), ignored_columns=None,
                 net_differs=0):
        dict.__init__(self, counts)
        self.__dict__.update(vars(counts))  # skipped, updated, same_credits, updates, dry_run
        self.files = list(files)
        self.ignored = list(ignored)
        self.ignored_columns = dict(ignored_columns or {})
        self.net_differs = net_differs

    def notes(self) -> list[str]:
        """Lines for the analyst beside the counts: files read and left out."""
        lines = [f"files: {', '.join(self.files)}"] if self.files else []
        if self.ignored:
            lines.append("ignored files: " + ", ".join(_ignored_name(n, hint) for n, hint in self.ignored))
        for name, cols in self.ignored_columns.items():
            lines.append(f"ignored columns of {name} (not in the contract): {', '.join(cols)}")
        if self.net_differs:
            lines.append(f"{self.net_differs} item(s) with a net amount other than quantity × unit price "
                         "(allowed by the mapping: net_may_differ)")
        return lines


def discover(directory: Path) -> tuple[dict[str, Path], list[tuple[str, str | None]]]:
    """The folder's table files ({table: path}) and the other files, each with the name
    it was perhaps meant to have (``Payments.CSV`` -> ``payments.csv``)."""
    import difflib

    found: dict[str, Path] = {}
    ignored: list[tuple[str, str | None]] = []
    for p in sorted(directory.iterdir(), key=lambda q: q.name):
        if p.name.startswith("."):
            continue  # .DS_Store, editor backups: not an export's
        if p.is_file() and p.stem in TABLE_FILES and p.suffix in SUFFIXES:
            if p.stem in found:
                raise BadInput(f"{directory}: both {found[p.stem].name} and {p.name} exist; keep one file per table")
            found[p.stem] = p
            continue
        stem, suffix = p.stem.strip().lower().replace("-", "_").replace(" ", "_"), p.suffix.lower()
        close = difflib.get_close_matches(stem, list(TABLE_FILES), n=1, cutoff=0.8)
        hint = None
        if p.is_file() and close:
            hint = f"{close[0]}{suffix if suffix in SUFFIXES else '.csv'}"
        ignored.append((p.name + ("/" if p.is_dir() else ""), hint))
    # a near-miss whose table's own file is there is just another file
    ignored = [(n, h) for n, h in ignored if h is None or Path(h).stem not in found]
    return {t: found[t] for t in TABLE_FILES if t in found}, ignored


def _ignored_name(name: str, hint: str | None) -> str:
    return f"{name} (expected {hint}?)" if hint else name


def _ignored_note(ignored) -> str:
    if not ignored:
        return ""
    return "; it holds " + ", ".join(_ignored_name(n, h) for n, h in ignored) + \
        " (file names are lower case: invoices.csv, invoice_items.csv, payments.csv, invoice_links.csv)"


def _without_path(message: str, path: Path) -> str:
    prefix = f"{path}: "
    return message[len(prefix):] if message.startswith(prefix) else message


def _refuse(db: Database, what: str, directory: Path, rejects, checked: dict[str, Checked],
            problems: list[Problem]) -> BadInput:
    """Every problem in the files' own terms, whole-file ones first, also in a rejects file."""
    by_file = {c.name: c for c in checked.values()}
    problems = [by_file[p.file].in_file_terms(p) if p.file in by_file else p for p in problems]
    if any(p.code == "too_many_decimals" for p in problems):
        problems = _name_currencies(db, checked, problems)
    order = {c.name: n for n, c in enumerate(checked.values())}
    # a whole file's problems first, then the rows', then the rules the files break
    # together (a credit overdrawn by links from several files), which name no file
    def rank(p: Problem) -> int:
        return 2 if p.file is None else (0 if p.row is None else 1)

    problems.sort(key=lambda p: (rank(p), order.get(p.file, -1), p.file or "", p.row or 0,
                                 p.column or ""))
    whole = sum(rank(p) == 0 for p in problems)
    rows = len({(p.file, p.row) for p in problems if p.row is not None})
    in_rows = sum(rank(p) == 1 for p in problems)
    together = len(problems) - whole - in_rows
    parts = ([f"{whole} about a whole file"] if whole else []) + (
        [f"{in_rows} in {rows} row(s)"] if rows else []) + (
        [f"{together} about the files together"] if together else [])
    path = _rejects_path(directory, rejects)
    where = ""
    try:
        write_problems(path, problems)
        where = f"; every problem is in {path}"
    except OSError as exc:
        where = f"; the rejects file {path} could not be written ({exc.strerror or exc})"
    head = problems[0].describe() if len(problems) == 1 else (
        f"{len(problems)} problems, {' and '.join(parts)}, the first: {problems[0].describe()}")
    exc = BadInput(f"{what} refused, nothing changed: {head}{where}", problems)
    exc.rejects = path
    return exc


def _rejects_path(directory: Path, rejects) -> Path:
    if rejects is not None:
        return Path(rejects)
    folder = directory.resolve()
    return folder.with_name(f"{folder.name}.rejects.csv")


def write_problems(path: Path, problems: list[Problem]) -> None:
    """The rejects file of an import: one line per problem (file, row, column, value, reason,
    fix); a row that conflicts with the ledger also names the id and the ledger's value."""
    if path.is_dir():
        raise IsADirectoryError(21, "it is a folder; give a file name such as import.rejects.csv")
    frame = pd.DataFrame({
        "file": [p.file for p in problems],
        "row": pd.array([p.row for p in problems], dtype="Int64"),
        "id": [getattr(p, "id", None) for p in problems],
        "column": [p.column for p in problems],
        "ledger_value": [getattr(p, "ledger_value", None) for p in problems],
        "value": [None if p.value is None else str(p.value) for p in problems],
        "reason": [p.reason for p in problems],
        "fix": [p.fix for p in problems],
    })
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)


def _name_currencies(db: Database, checked: dict[str, Checked], problems: list[Problem]) -> list[Problem]:
    """"GBP has 2 decimals": each too-many-decimals row's currency, from its own row
    (invoices) or its invoice's (in the import, else in the ledger)."""
    digits = dict(db.rows("SELECT currency, digits::INTEGER FROM currencies"))
    inv = checked.get("invoices")
    of_id = pd.Series(dtype=object)
    if inv is not None and {"invoice_id", "currency"} <= set(inv.text.columns):
        of_id = pd.Series(inv.text["currency"].to_numpy(), index=inv.text["invoice_id"].to_numpy())
        of_id = of_id[~of_id.index.duplicated()]
    out = problems
    for table, key in (("invoices", None), ("invoice_items", "invoice_id"), ("payments", "invoice_id"),
                       ("invoice_links", "credit_invoice_id"), ("refunds", "credit_invoice_id")):
        c = checked.get(table)
        if c is None or (key or "currency") not in c.text.columns:
            continue
        if key is None:
            currency = c.text["currency"]
        else:
            ids = c.text[key]
            missing = sorted(set(ids.dropna()) - set(of_id.index))
            held = dict(db.rows("SELECT invoice_id, currency FROM invoices WHERE list_contains($ids, invoice_id)",
                                {"ids": missing})) if missing else {}
            currency = ids.map(lambda i, held=held: of_id.get(i, held.get(i)))
        mine = [p for p in out if p.file == c.name]
        if mine:
            renamed = dict(zip(map(id, mine), name_currency_decimals(mine, currency, digits), strict=True))
            out = [renamed.get(id(p), p) for p in out]
    return out


def _net_differs(db: Database, items: pd.DataFrame | None) -> int:
    """Imported items whose net is more than one minor unit from quantity × unit price."""
    if items is None or items.empty:
        return 0
    db.con.register("imported_items",
                    items[["invoice_id", "quantity", "unit_price", "net_amount"]].reset_index(drop=True))
    try:
        return int(db.scalar(
            "SELECT count(*) FROM imported_items s JOIN invoices i USING (invoice_id)"
            " JOIN currencies c USING (currency)"
            " WHERE net_off(s.quantity, s.unit_price, s.net_amount, c.step_milli)"))
    finally:
        db.con.unregister("imported_items")


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
        problems = _problems(db.rows(sql.load("import_after")))
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
    # no copy of the frame (copy-on-write: assign shares the columns), and the file's
    # name as one parameter, not a million-string column (0.3 s of a 1M-item import)
    df = frame.assign(_row=pd.array(frame.index.to_numpy(), dtype="int64[pyarrow]"))
    staged = _columns(db, stage)
    cols = [c for c in df.columns if c in staged and c != "_file"]
    # the row numbers are in _row; a non-range index (rows after a blank line) would
    # otherwise come along as a column __index_level_0__
    db.con.register("incoming", df[cols].reset_index(drop=True))
    try:
        db.execute(f"INSERT INTO {stage} BY NAME SELECT *, $file::VARCHAR AS _file FROM incoming",
                   {"file": frame.attrs.get("source")})
    finally:
        db.con.unregister("incoming")


def _columns(db: Database, table: str) -> set[str]:
    # from the table's own (empty) result (~1 ms); stage_frame asks once per table (it
    # asked information_schema once per column of the file: ~80 ms of a 1M-item import)
    return {d[0] for d in db.con.execute(f"SELECT * FROM {table} LIMIT 0").description}


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
