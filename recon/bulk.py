"""Bulk correction runs (SPEC §5, ``recon apply``): a file of corrections, all or nothing.

A run reads the file as text, checks it against the ``corrections`` contract (pandera,
lazy: every failure), turns the good rows into credit requests with Arrow compute (no
per-row Python), and hands them to the one credit engine (:func:`credits.run_requests`),
which checks them against the ledger and writes every credit invoice in a handful of SQL
statements in one transaction. Any bad row: nothing is applied, every bad row is
reported and written to a rejects file. A batch applied once is recorded in
``batches``; applying it again changes nothing.

Rows become credit invoices like this: rows with the same ``group`` go into one credit
invoice (they must share account and currency); rows without a group go into one credit
invoice per debit invoice. The result is the same as crediting the rows one by one, in
file order, each into its group's credit invoice.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pya
import pyarrow.compute as pc

from . import credits
from .contract import GROSS_YES
from .db import Database
from .errors import BadInput, Problem
from .files import FileFormat, apply_format, check_rows, frame_as_text, read_text
from .money import format_money

TABLE = "corrections"
REJECT_COLUMNS = ["row", "column", "value", "reason", "fix"]


@dataclass
class BulkResult:
    """What a bulk run did (or, for a dry run, would do)."""

    batch_id: str
    source: str
    rows: int
    already_applied: bool = False
    dry_run: bool = False
    credit: credits.CreditResult | None = None
    applied_at: dt.datetime | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def credits(self) -> pd.DataFrame:
        return self.credit.credits if self.credit else pd.DataFrame()

    @property
    def items(self) -> pd.DataFrame:
        return self.credit.items if self.credit else pd.DataFrame()

    @property
    def item_count(self) -> int:
        return self.credit.item_count if self.credit else 0

    @property
    def debits(self) -> pd.DataFrame:
        return self.credit.debits if self.credit else pd.DataFrame()

    def preview(self) -> pd.DataFrame:
        """Per credit invoice and debit invoice: what the run writes (CreditResult.preview)."""
        return self.credit.preview() if self.credit else pd.DataFrame()

    @property
    def debits_now_paid(self) -> pd.DataFrame:
        d = self.debits
        if d.empty:
            return d
        return d[(d["status_after"] == "paid") & (d["status_before"] != "paid")]

    def totals(self) -> dict[str, str]:
        """Total credited per currency, with the currency's decimals."""
        if self.credit is None:
            return {}
        return {cur: format_money(Decimal(v), cur) for cur, v in self.credit.totals.items()}

    def summary(self) -> str:
        if self.already_applied:
            return (f"batch {self.batch_id} was already applied on {self.applied_at:%Y-%m-%d %H:%M}; "
                    "nothing changed")
        verb = "would create" if self.dry_run else "created"
        from .formats import money  # the screens' formatter: 104,155.24 EUR

        totals = ", ".join(money(Decimal(v), cur, code=True)
                           for cur, v in (self.credit.totals if self.credit else {}).items()) or "nothing"
        return (f"{self.source}: {self.rows} rows {verb} {len(self.credits)} credit invoice(s) with "
                f"{self.item_count} item(s); credited {totals}; "
                f"{len(self.debits_now_paid)} debit invoice(s) {'would be' if self.dry_run else 'now'} paid"
                f" (batch {self.batch_id})")

    def __repr__(self) -> str:
        return f"<BulkResult {self.summary()}>"


class Progress:
    """Phases with counts and elapsed time, on stderr (or any writable)."""

    def __init__(self, stream=None):
        self.stream = stream if stream is not None else sys.stderr
        self.start = time.perf_counter()

    def __call__(self, phase: str, count: int | None = None) -> None:
        n = f" {count:,}" if count is not None else ""
        print(f"  [{time.perf_counter() - self.start:6.2f}s] {phase}{n}", file=self.stream, flush=True)


def _silent(phase: str, count: int | None = None) -> None:
    pass


# -- the run ----------------------------------------------------------------------------------


# DuckDB's memory during a bulk run. Unbounded, DuckDB takes what it likes (up to 80 %
# of RAM) beside the run's frames in Python: a 1M-row run of amount rows peaked at
# 1.53-1.58 GB, 2M rows at 2.35 GB. Bounded, it spills to its temp directory what does not
# fit: 1.37-1.39 GB for the 1M rows in the same time (5.17-5.56 s against 5.17-5.58 s),
# 1.45 GB for 2M rows (11.5 s against 10.8 s), 1.31 GB for 1M rows on a 10M-item ledger
# (1.73 GB unbounded; benchmarks/RESULTS.md).
APPLY_DUCKDB_MEMORY = "800MB"


def apply(
    db: Database,
    source: str | Path | pd.DataFrame,
    *,
    mapping: str | Path | FileFormat | None = None,
    dry_run: bool = False,
    batch_id: str | None = None,
    rejects: str | Path | None = None,
    today: dt.date | None = None,
    progress=None,
    allow_paid: bool = False,
    sum_repeats: bool = False,
) -> BulkResult:
    """Apply a corrections file (or DataFrame) to the ledger, all or nothing.

    Raises :class:`BadInput` listing every bad row (also written to ``rejects``, by
    default ``<file>.rejects.csv`` next to a file) with the ledger unchanged. A batch
    already applied (same ``batch_id``, by default derived from the content) changes
    nothing and comes back with ``already_applied=True``.

    ``allow_paid`` lets rows credit paid debit invoices (the credit stays available);
    ``sum_repeats`` puts rows of one credit that credit the same item on one line, with
    their sum (without it, rows alike in every cell are refused as ambiguous).
    """
    with db.memory(APPLY_DUCKDB_MEMORY):
        return _apply(db, source, mapping=mapping, dry_run=dry_run, batch_id=batch_id, rejects=rejects,
                      today=today, progress=progress, allow_paid=allow_paid, sum_repeats=sum_repeats)


def _apply(db: Database, source: str | Path | pd.DataFrame, *, mapping, dry_run: bool, batch_id: str | None,
           rejects, today: dt.date | None, progress, allow_paid: bool, sum_repeats: bool) -> BulkResult:
    flags = {"allow_paid": allow_paid, "sum_repeats": sum_repeats}
    tell = progress or _silent
    fmt = mapping if isinstance(mapping, FileFormat) else FileFormat.from_toml(mapping)
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()

    raw, name = _read(source, fmt)
    if raw.empty:
        raise BadInput(f"{name} has no correction rows; nothing to apply")
    seconds["read"] = time.perf_counter() - t0
    tell(f"read {name}", len(raw))

    t1 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=1) as pool:
        digest = None
        if batch_id is None and not isinstance(source, pd.DataFrame):
            # The default batch id, the file's sha256, is taken while the rows are checked:
            # hashlib runs without the GIL on the core the checks leave free (0.03 s for a
            # 50 MB CSV; beside the parse it would compete with the reader's two threads).
            digest = pool.submit(_content_batch_id, source, None)
        req, problems = _requests(raw, fmt, name)
        batch_id = batch_id or (digest.result() if digest else _content_batch_id(source, raw))
    seconds["validate"] = time.perf_counter() - t1
    tell("file checked", len(raw))

    # a batch applied before changes nothing (its rows were good then, so this comes
    # before their problems)
    done = _applied_before(db, batch_id)
    if done is not None:
        return BulkResult(batch_id, name, len(raw), already_applied=True, applied_at=done,
                          seconds=seconds)
    if problems:
        problems += _ledger_problems(db, req, name, today, flags)
        raise _refuse(source, raw, name, fmt, problems, rejects)

    t2 = time.perf_counter()
    try:
        with db.transaction(keep=not dry_run):
            result = credits.run_requests(
                db, req, command="apply", origin="bulk", source=name, numbered=True,
                batch_id=batch_id, key_label=_key_label, today=today, dry_run=dry_run, progress=tell,
                audit_detail={"source": name, "rows": len(req), **{k: v for k, v in flags.items() if v}},
                **flags,
            )
            if not dry_run:
                db.execute("INSERT INTO batches VALUES ($b, 'apply', $s, $n, current_localtimestamp())",
                           {"b": batch_id, "s": name, "n": len(req)})
    except BadInput as exc:
        # Only rows the engine found bad are known; look again without them for the
        # problems the arithmetic would find (over-credit), so one run reports them all.
        found = exc.problems
        rest = req[~req["src_row"].isin({p.row for p in found})]
        if len(rest) and not any(p.code in _PIECE_CODES for p in found):
            found = found + _ledger_problems(db, rest, name, today, flags)
        raise _refuse(source, raw, name, fmt, found, rejects) from None
    seconds["apply"] = time.perf_counter() - t2
    seconds["total"] = time.perf_counter() - t0
    tell("dry run rolled back" if dry_run else "committed", result.item_count)
    return BulkResult(batch_id, name, len(req), dry_run=dry_run, credit=result, seconds=seconds)


_PIECE_CODES = {"over_credit", "nothing_left", "invoice_fully_credited", "settled_in_run",
                "amount_over_credit", "gross_over_credit", "gross_no_split", "amount_needs_rest",
                "percent_too_small", "prorate_too_small", "invoice_no_items"}


def _read(source, fmt: FileFormat) -> tuple[pd.DataFrame, str]:
    if isinstance(source, pd.DataFrame):
        return frame_as_text(source), "corrections (DataFrame)"
    return read_text(source, fmt), str(source)


def _content_batch_id(source, raw: pd.DataFrame | None, prefix: str = "bulk") -> str:
    """Same content, same batch: sha256 of the file's bytes (or of a frame's cells);
    ``prefix`` names the kind of run (bulk credits, refunds)."""
    h = hashlib.sha256()
    if isinstance(source, pd.DataFrame):
        h.update("\x1f".join(map(str, raw.columns)).encode())
        h.update(pd.util.hash_pandas_object(raw, index=True).to_numpy().tobytes())
    else:
        with open(source, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    return f"{prefix}-" + h.hexdigest()[:16]


def _applied_before(db: Database, batch_id: str) -> dt.datetime | None:
    return db.scalar("SELECT applied_at FROM batches WHERE batch_id = $b", {"b": batch_id})


def _requests(raw: pd.DataFrame, fmt: FileFormat, name: str) -> tuple[pd.DataFrame, list[Problem]]:
    """The file's good rows as credit requests, and the problems of the bad ones.

    The good rows go on (:func:`recon.files.check_rows`), so that the ledger checks can
    report the bad rows they find in the same run.
    """
    df, original = apply_format(raw.copy(), TABLE, fmt)
    typed, problems = check_rows(df, TABLE, name, original)
    if typed is None:  # a missing column: nothing to go on
        return _empty_requests(), problems
    return request_table(typed), problems


def request_table(typed: pd.DataFrame) -> pd.DataFrame:
    """Typed correction rows -> the engine's request frame, column-wise."""
    n = len(typed)
    debit = pya.array(typed["debit_invoice_id"].array, type=pya.string(), from_pandas=True)
    group = pya.array(typed["group"].array, type=pya.string(), from_pandas=True)
    # One credit invoice per group, else one per debit invoice. An ungrouped row's key is
    # its debit invoice id (the same array: a million new strings cost 0.05 s); a group's
    # is its name after a space, which no invoice id starts with (every cell of every
    # file is trimmed on the way in), so a group never shares a debit invoice's key.
    key = debit if group.null_count == n else pc.if_else(
        pc.is_null(group), debit, pc.binary_join_element_wise(" ", group, ""))

    def col(name: str, typ):
        return pya.array(typed[name].array, type=typ, from_pandas=True)

    cols = {
        "req_no": pya.array(np.arange(1, n + 1, dtype=np.int64)),
        "src_row": pya.array(typed.index.to_numpy(), type=pya.int64()),
        "credit_key": key,
        "into_credit_id": pya.nulls(n, pya.string()),
        "debit_invoice_id": debit,
        "item_id": col("item_id", pya.string()),
        "quantity": col("quantity", credits.REQUEST_TYPES["quantity"]),
        "amount": col("amount", credits.REQUEST_TYPES["amount"]),
        "percent": col("percent", credits.REQUEST_TYPES["percent"]),
        "gross": _gross(typed["gross"]),
        "reason": col("reason", pya.string()),
        "memo": col("memo", pya.string()),
        "credit_date": col("credit_date", pya.date32()),
        "period_start": col("period_start", pya.date32()),
        "period_end": col("period_end", pya.date32()),
        # corrections are never prorated: those columns are for cancellations
        "unused_days": pya.nulls(n, pya.int64()),
        "period_days": pya.nulls(n, pya.int64()),
        "cancelled_on": pya.nulls(n, pya.date32()),
        "credit_invoice_id": col("credit_invoice_id", pya.string()),
    }
    table = pya.table({k: cols[k].cast(t) for k, t in credits.REQUEST_TYPES.items()})
    return table.to_pandas(types_mapper=pd.ArrowDtype)


def _gross(column: pd.Series) -> pya.Array:
    """The gross column (yes/no words, checked by the schema) as flags; empty: no."""
    text = pya.array(column.array, type=pya.string(), from_pandas=True)
    if text.null_count == len(text):
        return pya.nulls(len(text), pya.bool_())
    return pc.is_in(text, value_set=pya.array(GROSS_YES))


def _key_label(key: str) -> str:
    """A credit key of request_table, as a message names it."""
    if key.startswith(" "):
        return f"group {key[1:]}"
    return f"the credit for the rows of {key} without a group"


def _empty_requests() -> pd.DataFrame:
    return credits.request_frame([])


def _ledger_problems(db: Database, req: pd.DataFrame, name: str, today, flags: dict) -> list[Problem]:
    """What the engine finds wrong with ``req`` (a dry run that keeps nothing)."""
    if req.empty:
        return []
    found: list[Problem] = []
    for _ in range(2):  # stage checks first; then, without their rows, the arithmetic's
        try:
            credits.run_requests(db, req, command="apply", origin="bulk", source=name,
                                 numbered=True, key_label=_key_label, today=today, dry_run=True,
                                 **flags)
            return found
        except BadInput as exc:
            found += exc.problems
            if any(p.code in _PIECE_CODES for p in exc.problems):
                return found
            req = req[~req["src_row"].isin({p.row for p in exc.problems})]
            if req.empty:
                return found
    return found


# -- refusing: messages in the file's terms, and the rejects file -------------------------------


def _refuse(source, raw: pd.DataFrame, name: str, fmt: FileFormat, problems: list[Problem],
            rejects) -> BadInput:
    problems = sorted((_in_file_terms(p, raw, fmt) for p in problems),
                      key=lambda p: (p.row is not None, p.row or 0, p.column or ""))
    path = _rejects_path(source, rejects)
    bad_rows = len({p.row for p in problems if p.row is not None})
    where = ""
    if path is not None:
        try:
            write_rejects(path, raw, problems)
            where = f"; every bad row is in {path}"
        except OSError as exc:  # --rejects names a folder, or a place that cannot be written
            where = (f"; the rejects file {path} could not be written ({exc.strerror or exc}): "
                     "give --rejects a file name you can write")
    message = (f"{name} refused, nothing applied: {len(problems)} problem(s) in {bad_rows} row(s)"
               f"{where}")
    exc = BadInput(message, problems)
    exc.rejects = path
    return exc


def _in_file_terms(p: Problem, raw: pd.DataFrame, fmt: FileFormat) -> Problem:
    """Name the file's own column and quote its cell as the file has it."""
    ours_to_theirs = {v: k for k, v in fmt.columns.items() if k in raw.columns}
    column, value, reason = p.column, p.value, p.reason
    if p.code in credits.GROUP_CODES:
        if p.code != "group_dates":
            reason = reason.replace("this row's)", f"this row's {value})")
            column = "group" if p.code != "credit_id_mixed" else column
    column = ours_to_theirs.get(column, column)
    if p.row is not None and column in raw.columns and p.row in raw.index:
        cell = raw.at[p.row, column]
        value = None if pd.isna(cell) else cell
    return dataclasses.replace(p, column=column, value=value, reason=reason)


def _rejects_path(source, rejects) -> Path | None:
    if rejects is not None:
        return Path(rejects)
    if isinstance(source, pd.DataFrame):
        return None
    p = Path(source)
    return p.with_name(f"{p.stem}.rejects.csv")


def rejects_frame(raw: pd.DataFrame, problems: list[Problem]) -> pd.DataFrame:
    """One line per problem: the row's original cells, then row, column, value, reason, fix."""
    probs = pd.DataFrame(
        {"row": pd.array([p.row for p in problems], dtype="Int64"),
         "column": [p.column for p in problems],
         "value": [None if p.value is None else str(p.value) for p in problems],
         "reason": [p.reason for p in problems],
         "fix": [p.fix for p in problems]})
    cells = raw.rename(columns={c: f"{c} (file)" for c in raw.columns if c in REJECT_COLUMNS})
    cells = cells.reindex(probs["row"].fillna(-1).astype("int64").to_numpy())
    cells = cells.reset_index(drop=True)
    return pd.concat([cells, probs], axis=1)


def write_rejects(path: Path, raw: pd.DataFrame, problems: list[Problem]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    rejects_frame(raw, problems).to_csv(path, index=False)
