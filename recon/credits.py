"""The credit engine: credit specific items, a whole debit invoice, or a batch of both.

Every way of crediting (``recon credit``, ``recon apply``, the notebook dialog) builds
a frame of *credit requests* and hands it to :func:`run_requests`, which checks them all
at once, computes the pieces with cumulative rounding in SQL, and writes the credit
invoices, items and links in one transaction. One engine, so a bulk run and the same
corrections made one by one give identical results.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from . import sql
from .amounts import Amount, Percent
from .db import Database
from .errors import BadInput, Problem
from .links import changes, note_before
from .money import (
    MONEY_SQL,
    QUANTITY_SQL,
    RATE_SQL,
    parse_decimal,
    plain_decimal,
    significant_decimals,
)
from .periods import lock_params, parse_date, refuse_if_locked

if TYPE_CHECKING:
    import pandas as pd

# pandas and pyarrow are imported in the functions that build frames: a one-item
# `recon credit` or `recon void` works on records and never pays their ~0.4 s import.

REQUEST_SQL = {
    "req_no": "BIGINT",
    "src_row": "BIGINT",
    "credit_key": "VARCHAR",
    "into_credit_id": "VARCHAR",
    "debit_invoice_id": "VARCHAR",
    "item_id": "VARCHAR",
    "quantity": QUANTITY_SQL,
    # or a net amount (gross: tax included) or a percentage of the item's original net
    # (recon/amounts.py); at most one of quantity, amount and percent
    "amount": MONEY_SQL,
    "percent": RATE_SQL,
    "gross": "BOOLEAN",
    "reason": "VARCHAR",
    "memo": "VARCHAR",
    "credit_date": "DATE",
    "period_start": "DATE",
    "period_end": "DATE",
    # Proration (cancellations): the piece covers quantity × unused_days / period_days;
    # both empty = 1/1, a plain credit. cancelled_on is written on the credit item.
    "unused_days": "BIGINT",
    "period_days": "BIGINT",
    "cancelled_on": "DATE",
    # the platform's own number for a new credit invoice (bulk files)
    "credit_invoice_id": "VARCHAR",
}


def _arrow_type(sql_type: str):
    import pyarrow as pa

    from . import money

    named = {"BIGINT": pa.int64(), "VARCHAR": pa.string(), "BOOLEAN": pa.bool_(), "DATE": pa.date32(),
             MONEY_SQL: money.MONEY, QUANTITY_SQL: money.QUANTITY, RATE_SQL: money.RATE}
    return named[sql_type]


def request_types() -> dict:
    """REQUEST_SQL as Arrow types."""
    types = globals().get("REQUEST_TYPES")
    if types is None:
        types = globals()["REQUEST_TYPES"] = {c: _arrow_type(t) for c, t in REQUEST_SQL.items()}
    return types


def __getattr__(name: str):
    # REQUEST_TYPES: the request columns' Arrow types (bulk files, cancellations), made on
    # first use like money.MONEY, so that importing this module does not import pyarrow
    if name == "REQUEST_TYPES":
        return request_types()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# code -> (reason, fix); {value}, {a}, {b} come from the check's row.
MESSAGES: dict[str, tuple[str, str | None]] = {
    "unknown_invoice": ("unknown debit invoice", "check the invoice number"),
    "not_a_debit": ("is a credit invoice; only debit invoices can be credited", "name the debit invoice"),
    "debit_void": ("the debit invoice is void and cannot be credited", None),
    "debit_paid": ("the debit invoice is already paid",
                   "only unpaid invoices can be credited; allow paid ones explicitly (--allow-paid) "
                   "and the credit stays available on the credit invoice"),
    "unknown_item": ("unknown item", "check the item id against the debit invoice's items"),
    "item_elsewhere": ("the item belongs to invoice {a}, not {b}", "pair each item with its own invoice"),
    "quantity_without_item": ("a quantity needs an item", "name the item, or leave the quantity empty to credit the whole invoice"),
    "quantity_not_positive": ("quantity must be greater than 0", "use a positive quantity"),
    "date_before_debit": ("the credit would be dated before debit invoice {b} ({a})", "date the credit on or after {a}"),
    "into_before_credit": ("items added to {b} would be dated before the credit invoice itself ({a})",
                           "date them on or after {a}"),
    "period_closed": ("dated inside closed period {a}", "date it in {b} or later, or reopen the month"),
    # {b} of the group codes is the credit key, named by the run's key_label
    "group_currency": ("{b} mixes currencies ({a} and this row's)", "one credit invoice has one currency: split the group"),
    "group_account": ("{b} mixes accounts ({a} and this row's)", "one credit invoice has one account: split the group"),
    "group_dates": ("different credit dates in {b}", "give every row of a group the same credit_date"),
    "into_unknown": ("unknown credit invoice", "check the credit invoice number"),
    "into_not_credit": ("is not a credit invoice", "name a credit invoice to add items to"),
    "into_void": ("the credit invoice is void", "create a new credit instead"),
    "into_mismatch": ("credit invoice is for {a}, the debit invoice for {b}", "a credit takes items of its own account and currency only"),
    "period_reversed": ("Invalid billing period: starts after its end {a}", "give period_start on or before period_end"),
    "period_without_item": ("Invalid billing period: a period needs an item", "name the item"),
    "period_outside": ("Invalid billing period: must lie within the item's period {a}", "choose dates inside {a}"),
    "over_credit": ("quantity exceeds the {a} still creditable on item {b}", "lower the quantity to at most {a}"),
    # amounts and percentages (recon/amounts.py)
    "several_asks": ("a row asks one of quantity, amount and percent; this one also gives {a}",
                     "keep one of them (a second kind of credit goes on its own row)"),
    "amount_without_item": ("an amount needs an item", "name the item; for the whole invoice give a percent"),
    "gross_without_amount": ("gross applies to an amount only", "give the amount, or leave gross empty"),
    "amount_not_positive": ("amount must be greater than 0", "use a positive amount"),
    "amount_decimals": ("the amount has more decimals than {a} has ({b})", "round it to {b} decimals"),
    "percent_invalid": ("percent must be greater than 0 and at most 100",
                        "give the share of the item's net, e.g. 15 for 15 %"),
    "amount_over_credit": ("amount exceeds the net amount {a} still creditable on item {b}",
                           "lower the amount to at most {a}"),
    "gross_over_credit": ("amount (tax included) exceeds the {a} still creditable on item {b}",
                          "lower the amount to at most {a}"),
    "gross_no_split": ("no net amount and tax at item {b}'s rate add up to exactly this gross amount; "
                       "the nearest that do are {a}", "ask for one of those, or give the net amount"),
    "amount_needs_rest": ("only 0.000001 of item {b}'s quantity is left, so a partial amount cannot be credited",
                          "credit the rest of the item (net {a}): name the item without an amount"),
    "percent_too_small": ("the percentage of item {b}'s net is less than one minor unit",
                          "give a larger percentage, or an amount"),
    "invoice_no_items": ("the debit invoice has no items, so there is nothing to credit",
                         "import its items first, or check the invoice number"),
    # rows of one credit that credit the same item (bulk files)
    "repeat_in_credit": ("rows {a} credit {b} in the same credit",
                         "put their sum on one row, or pass --sum-repeats"),
    "repeat_all": ("rows {a} each credit all that is left of {b} in the same credit",
                   "keep one of the rows (a second would find nothing left)"),
    "repeat_unsummable": ("rows {a} credit {b} in the same credit in different ways "
                          "(quantity, net or gross amount, percent), which cannot be summed",
                          "put them in different credits (a group each) or on one row"),
    "credit_id_taken": ("credit invoice number already used in the ledger",
                        "give the platform's number only for credits not yet in the ledger"),
    "credit_id_repeated": ("credit invoice number also given to {a}", "give each credit invoice its own number"),
    "credit_id_mixed": ("{b} is given two credit invoice numbers ({a} and this row's)",
                        "give every row of the credit the same number"),
    "nothing_left": ("nothing left to credit: the item is already fully credited", "drop the row"),
    "invoice_fully_credited": ("nothing left to credit: every item is already fully credited", "drop the row"),
    "proration_invalid": ("unused days {a} of a {b}-day period cannot be prorated", "give 1 ≤ unused days ≤ period days"),
    "prorated_not_alone": ("another row of this run credits the same item", "prorate an item once per run"),
    "prorate_too_small": ("only {a} of the item is left to credit: too little to prorate by days",
                          "credit the rest by hand, naming the item"),
    "settled_in_run": ("earlier corrections of this run already settle this debit invoice (it would be paid)",
                       "drop the row, or credit it separately allowing paid invoices"),
}


# A run that keeps more credit items than this builds ``CreditResult.items`` only when it
# is first read, from the ledger (a 1M-row frame costs 0.3 s that a bulk run rarely needs).
EAGER_ITEMS = 10_000


@dataclass
class CreditResult:
    """What a credit run created (or, for a dry run, would create).

    ``items`` of a large run (more than ``EAGER_ITEMS`` lines, kept) is read from the
    ledger on first use, opening it again if need be. ``item_count`` is always there.
    """

    credits: pd.DataFrame
    _items: pd.DataFrame | None = field(repr=False)
    links: pd.DataFrame
    debits: pd.DataFrame
    dry_run: bool = False
    totals: dict = field(default_factory=dict)
    item_count: int = 0
    _load_items: Callable[[], pd.DataFrame] | None = field(default=None, repr=False)
    # every (credit, debit) pair of the run with its link amount, 0 included (a paid debit)
    _pairs: pd.DataFrame | None = field(default=None, repr=False)
    _sums: pd.DataFrame | None = field(default=None, repr=False)
    _load_sums: Callable[[], pd.DataFrame] | None = field(default=None, repr=False)

    @property
    def items(self) -> pd.DataFrame:
        if self._items is None:
            self._items = self._load_items()
            self._load_items = None
        return self._items

    def preview(self) -> pd.DataFrame:
        """Per credit invoice and each debit invoice it credits: what the run writes (or,
        for a dry run, would write), in exact decimals.

        Columns: credit_invoice_id, currency, net, tax, total (the credit invoice's, items
        added earlier included), debit_invoice_id, unpaid_before and unpaid_after (the
        debit's, over the whole run), linked (this credit's link to it; 0 for a paid
        debit) and available (what stays available on the credit). A dry run and a save
        with the same inputs give the same frame: one engine computes both.
        """
        if self._sums is None:
            self._sums = self._load_sums()
            self._load_sums = None
        heads = self.credits[["invoice_id", "currency", "total", "available"]].rename(
            columns={"invoice_id": "credit_invoice_id"})
        out = heads.merge(self._sums, on="credit_invoice_id", how="left")
        out = out.merge(self._pairs.rename(columns={"amount": "linked"})[
            ["credit_invoice_id", "debit_invoice_id", "linked"]], on="credit_invoice_id", how="left")
        out = out.merge(self.debits[["debit_invoice_id", "unpaid_before", "unpaid_after"]],
                        on="debit_invoice_id", how="left")
        return out[["credit_invoice_id", "currency", "net", "tax", "total", "debit_invoice_id",
                    "unpaid_before", "unpaid_after", "linked", "available"]].reset_index(drop=True)

    @property
    def credit_invoice_ids(self) -> list[str]:
        return list(self.credits["invoice_id"])

    @property
    def credit_invoice_id(self) -> str:
        ids = self.credit_invoice_ids
        return ids[0] if len(ids) == 1 else ", ".join(ids)

    def __repr__(self) -> str:
        verb = "would create" if self.dry_run else "created"
        return (f"<CreditResult {verb} {len(self.credits)} credit invoice(s), "
                f"{self.item_count} item(s), {len(self.links)} link(s); totals {self.totals}>")


@dataclass
class CreditSummary:
    """What a saved credit of one debit invoice did, as records (named tuples of exact
    values, :meth:`recon.db.Database.records`): for the command line, which prints a few
    lines and need not import pandas (``credit(..., rows=True)``).

    ``credit``: the credit invoice (as a row of ``CreditResult.credits``); ``debits``:
    each debit invoice it touched (as ``CreditResult.debits``, plus ``linked``: the link
    amount this run wrote to it, None for none); ``item_count``: credit items written.
    ``items``: the items of a dry run, as it would write them (``CreditResult.items``'s
    columns); None for a saved credit."""

    credit: tuple
    debits: list
    item_count: int
    links: int
    totals: dict
    items: list | None = None

    @property
    def credit_invoice_id(self) -> str:
        return self.credit.invoice_id


GROUP_CODES = {"group_currency", "group_account", "group_dates", "credit_id_mixed"}


def _group_label(key: str) -> str:
    return f"group {key}"


def _problem(row, source: str | None, numbered: bool,
             key_label: Callable[[str], str] = _group_label) -> Problem:
    src_row, col, value, code, a, b = row
    if code in GROUP_CODES:
        b = key_label(b)
    reason, fix = MESSAGES.get(code, (code, None))
    fa = plain_decimal(a) if a is not None and code in ("over_credit", "prorate_too_small") else a
    if code in ("repeat_in_credit", "repeat_all", "repeat_unsummable") and a:
        rows = sorted({int(x) for x in str(a).split(",")} | ({src_row} if src_row is not None else set()))
        fa = ", ".join(map(str, rows[:-1])) + f" and {rows[-1]}"
    reason = reason.format(value=value, a=fa, b=b)
    fix = fix.format(value=value, a=fa, b=b) if fix else None
    shown = plain_decimal(value) if col in ("quantity", "percent", "amount") and value is not None else value
    return Problem(reason=reason, file=source, row=src_row if numbered else None,
                   column=col, value=shown, fix=fix, code=code)


def request_frame(rows: list[dict]) -> pd.DataFrame:
    """Credit requests as an exact frame (see REQUEST_SQL)."""
    import pandas as pd
    import pyarrow as pa

    cols = {name: pa.array([r.get(name) for r in rows], type=t) for name, t in request_types().items()}
    return pa.table(cols).to_pandas(types_mapper=pd.ArrowDtype)


def run_requests(
    db: Database,
    req: pd.DataFrame,
    *,
    command: str,
    origin: str,
    source: str | None = None,
    numbered: bool = True,
    allow_paid: bool = False,
    batch_id: str | None = None,
    today: dt.date | None = None,
    dry_run: bool = False,
    audit_detail: dict | None = None,
    progress=None,
    key_label: Callable[[str], str] = _group_label,
    sum_repeats: bool = False,
    rows: bool = False,
) -> CreditResult | CreditSummary:
    """Check every request, then create the credits in one transaction (or preview them).

    ``origin`` (manual, full, bulk, cancellation) is how the run's new credit invoices
    came about: one value per run, written on their headers.
    ``progress(phase, count)``, if given, is told when each phase is done (bulk runs).
    ``key_label`` names a credit key in a message (the caller knows how it built them).
    ``sum_repeats``: rows of one credit that credit the same item become one line with
    their sum (otherwise rows alike in every cell are refused as ambiguous).
    ``rows``: a saved run of one credit invoice returns a :class:`CreditSummary` (records).
    """
    today = today or dt.date.today()
    tell = progress or (lambda phase, count=None: None)
    params = {"allow_paid": allow_paid, "today": today, "sum_repeats": sum_repeats}
    what = f"{source}" if source else command
    with db.transaction(keep=not dry_run):
        empty = _stage(db, req)
        checks = dict(params, **lock_params(db))

        def check(name: str, params: dict) -> list[Problem]:
            stmt = sql.pruned(name, empty)  # without the checks of columns the run leaves empty
            return [_problem(r, source, numbered, key_label) for r in db.rows(stmt, sql.used(stmt, params))]

        problems = check("credit_checks", checks)
        if not problems and sum_repeats:
            summed = _sum_repeats(db, req)
            if summed is not None:
                empty = _stage(db, summed)
                problems = check("credit_checks", checks)
        if problems:
            raise BadInput.from_problems(what, problems)
        tell("checked against the ledger", len(req))
        _pieces(db)
        problems = check("credit_piece_checks", {"allow_paid": allow_paid})
        if problems:
            raise BadInput.from_problems(what, problems)
        tell("pieces computed", db.scalar("SELECT count(*) FROM piece"))
        for stmt in sql.statements("credit_write"):
            db.execute(stmt, sql.used(stmt, {"today": today, "batch_id": batch_id, "origin": origin}))
        for (number,) in db.rows("SELECT invoice_id FROM credit_number_clash"):
            raise BadInput(f"{what}: the next credit invoice number {number} is already used in the "
                           "ledger: the numbering table was set back outside recon; nothing was "
                           "applied. Set numbering.last_no for CN to the highest CN number, then run again")
        for item_id, owner in db.rows("SELECT item_id, invoice_id FROM credit_clash"):
            raise BadInput(f"{what}: the new credit item id {item_id} is already used by an item of "
                           f"{owner}; renumber that item (export, rename, import) and run again")
        item_count = _written_items(db)
        tell("credits written", item_count)
        recomputed = db.recompute()
        tell("invoices recomputed", recomputed)
        result = _summary(db, item_count, dry_run) if rows else _result(db, item_count, dry_run)
        if not dry_run:
            links = result.links if rows else len(result.links)
            db.audit(command, batch_id=batch_id, invoices=int(db.scalar(
                "SELECT count(*) FROM credit_head WHERE is_new")), items=result.item_count,
                links=links, totals=result.totals, detail=audit_detail)
    return result


# Request columns that a run often leaves empty (a bulk file rarely prorates or adds to a
# credit): when one is empty in every row it stays out of the stage's wide table.
OPTIONAL = ("into_credit_id", "memo", "credit_date", "period_start", "period_end",
            "unused_days", "period_days", "cancelled_on", "amount", "percent", "gross",
            "credit_invoice_id")


def _stage(db: Database, req: pd.DataFrame | list[dict]) -> frozenset[str]:
    """credit_stage.sql on the requests, leaving out their all-empty optional columns
    (each one a million NULL cells fewer to write on a 1M-row run), which it returns.
    ``req``: a frame (bulk files, cancellations) or, for a few requests, a list of dicts
    (REQUEST_SQL's names): these go in by parameters, so that a one-item credit never
    imports pandas."""
    few = isinstance(req, list)
    empty = frozenset(c for c in OPTIONAL
                      if (all(r.get(c) is None for r in req) if few else req[c].isna().all()))
    # column names and types from REQUEST_SQL (code, not input) complete the views
    nulls = "".join(f", NULL::{REQUEST_SQL[c]} AS {c}" for c in OPTIONAL if c in empty)
    if few:
        cols = [c for c in REQUEST_SQL if c not in empty]
        db.execute("CREATE OR REPLACE TEMP TABLE req_in_data ("
                   + ", ".join(f"{c} {REQUEST_SQL[c]}" for c in cols) + ")")
        db.con.executemany(f"INSERT INTO req_in_data VALUES ({', '.join('?' * len(cols))})",
                           [[r.get(c) for c in cols] for r in req])
    else:
        db.con.register("req_in_data", req.drop(columns=empty))
    # `req` is a table for a few requests, a view for a bulk run (credit_stage.sql); the
    # one an earlier run of this connection left is dropped by its own kind: DuckDB
    # refuses to drop a table as a view, and a refused statement aborts the transaction.
    # The connection remembers the kind it made (Database.temp_kinds): asking DuckDB's
    # catalog cost 4.6 ms of a one-item credit.
    left = db.temp_kinds.get("req")
    if left:
        db.execute(f"DROP {left} IF EXISTS req")
    kind = db.temp_kinds["req"] = "TABLE" if few else "VIEW"
    try:
        db.execute(f"CREATE OR REPLACE TEMP VIEW req_in AS SELECT * {nulls} FROM req_in_data")
        for stmt in sql.statements("credit_stage"):
            db.execute(stmt.replace("{empty_columns}", nulls).replace("{req_kind}", kind))
    finally:
        db.execute("DROP VIEW IF EXISTS req_in")
        if few:
            db.execute("DROP TABLE IF EXISTS req_in_data")
        else:
            db.con.unregister("req_in_data")
    return empty


def _pieces(db: Database) -> None:
    """credit_pieces.sql, then its turns: turn 1 of every item in one statement, then one
    statement per further turn of the items asked more than once (usually none)."""
    for stmt in sql.statements("credit_pieces"):
        db.execute(stmt)
    # the kinds of slot the run has none of leave their branch out of `slot`, and a run
    # that walks no debit makes no walk_slot (a one-item credit: ~10 ms less to plan)
    whole, walked = db.rows("SELECT EXISTS (SELECT 1 FROM req WHERE item_id IS NULL),"
                            " EXISTS (SELECT 1 FROM walk_invoice)")[0]
    none = frozenset(kind for kind, has in (("whole_invoice", whole), ("walked", walked)) if not has)
    if walked:
        db.execute(sql.load("credit_walk_slot"))
    db.execute(sql.pruned("credit_slot", none))
    turn = sql.load("credit_piece_turn")
    db.execute("CREATE OR REPLACE TEMP TABLE piece AS "
               + turn.format(slots="slot", before="prior", nth=1))
    last = db.scalar("SELECT coalesce(max(nth), 1) FROM walk_slot") if walked else 1
    for nth in range(2, last + 1):
        before = ("(SELECT item_id, micro(c_before + quantity) AS c, n0 + milli(net_amount) AS n,"
                  f" t0 + milli(tax_amount) AS t FROM piece WHERE nth = {nth - 1}"
                  f" AND item_id IN (SELECT item_id FROM walk_slot WHERE nth = {nth}))")
        db.execute("INSERT INTO piece BY NAME " + turn.format(slots="walk_slot", before=before, nth=nth))


def _sum_repeats(db: Database, req: pd.DataFrame) -> pd.DataFrame | None:
    """Rows of one credit that credit the same item, as one row with their sum (the
    first row's other cells); None when there are none. credit_checks.sql has refused
    the repeats that cannot be summed."""
    groups = db.rows(
        "SELECT list(req_no ORDER BY req_no), sum(quantity), sum(amount), sum(percent) FROM req"
        " WHERE pair_hash IN (SELECT pair_hash FROM req_twice) AND period_days IS NULL"
        " GROUP BY credit_key, debit_invoice_id, item_id HAVING count(*) > 1")
    if not groups:
        return None
    out = req.copy()
    pos = {n: i for i, n in enumerate(out["req_no"].tolist())}
    drop = []
    for req_nos, qty, amount, percent in groups:
        first = pos[req_nos[0]]
        for col, total in (("quantity", qty), ("amount", amount), ("percent", percent)):
            if total is not None:
                out.iloc[first, out.columns.get_loc(col)] = total
        drop += [pos[n] for n in req_nos[1:]]
    return out.drop(index=out.index[drop]).reset_index(drop=True)


# the run's credit invoices (CreditResult.credits), its debits and its totals
_CREDITS = ("SELECT i.invoice_id, i.account_id, i.currency, i.invoice_date, i.origin, i.reason,"
            " i.total, i.unpaid_amount AS available, i.status, h.is_new"
            " FROM invoices i JOIN credit_head h ON h.credit_invoice_id = i.invoice_id"
            " ORDER BY h.first_req")
_DEBITS = ("SELECT b.invoice_id AS debit_invoice_id, b.status_before, i.status AS status_after,"
           " b.unpaid_before, i.unpaid_amount AS unpaid_after, i.currency{linked}"
           " FROM debit_before b JOIN invoices i USING (invoice_id) ORDER BY 1")
# the run's credit items (CreditResult.items): a dry run's, or a small saved run's
_ITEMS = ("SELECT invoice_id AS credit_invoice_id, item_id, line_no, debit_invoice_id, credited_item_id,"
          " description, quantity, net_amount, tax_amount, amount, currency"
          " FROM credit_item ORDER BY invoice_id, line_no")
_TOTALS = "SELECT currency, sum(amount) FROM piece WHERE quantity > 0 GROUP BY currency ORDER BY currency"


def _totals(db: Database) -> dict:
    return {cur: f"{Decimal(str(v)).quantize(Decimal(1).scaleb(-3)):f}" for cur, v in db.rows(_TOTALS)}


def _summary(db: Database, item_count: int, dry_run: bool) -> CreditSummary:
    """A run of one credit invoice as records (no frames); a dry run's with its items."""
    (credit,) = db.records(_CREDITS)
    debits = db.records(_DEBITS.format(
        linked=", (SELECT sum(l.amount) FROM credit_link l WHERE l.debit_invoice_id = b.invoice_id"
               " AND l.amount > 0) AS linked"))
    links = int(db.scalar("SELECT count(*) FROM credit_link WHERE amount > 0"))
    items = db.records(_ITEMS) if dry_run else None
    return CreditSummary(credit, debits, item_count, links, _totals(db), items)


def _result(db: Database, item_count: int, dry_run: bool) -> CreditResult:
    credits = db.frame(_CREDITS)
    items, load_items = None, None
    if dry_run or item_count <= EAGER_ITEMS:
        items = db.frame(_ITEMS)
    else:
        load_items = _items_loader(db, db.frame(
            "SELECT credit_invoice_id, line_offset + 1 AS first_line, line_offset + lines AS last_line"
            " FROM credit_span WHERE lines > 0"))
    pairs = db.frame(
        "SELECT credit_invoice_id, debit_invoice_id, amount, linked_on FROM credit_link"
        " ORDER BY credit_invoice_id, debit_invoice_id"
    )
    links = pairs[pairs["amount"] > 0].reset_index(drop=True)
    sums, load_sums = None, None
    if dry_run or item_count <= EAGER_ITEMS:
        sums = db.frame(_SUMS.format(ids="SELECT credit_invoice_id FROM credit_head"))
    else:
        load_sums = _sums_loader(db, credits[["invoice_id"]])
    debits = db.frame(_DEBITS.format(linked=""))
    return CreditResult(credits, items, links, debits, dry_run=dry_run, totals=_totals(db),
                        item_count=item_count, _load_items=load_items, _pairs=pairs, _sums=sums,
                        _load_sums=load_sums)


# a credit invoice's net and tax (all its items), for CreditResult.preview
_SUMS = ("SELECT invoice_id AS credit_invoice_id, sum(net_amount)::DECIMAL(18,3) AS net,"
         " sum(tax_amount)::DECIMAL(18,3) AS tax FROM invoice_items WHERE invoice_id IN ({ids})"
         " GROUP BY invoice_id")


def _sums_loader(db: Database, ids: pd.DataFrame) -> Callable[[], pd.DataFrame]:
    """A large saved run's credit sums, read from the ledger on first use (the same items)."""

    def load() -> pd.DataFrame:
        if db.con is None:
            raise BadInput("the preview of this large credit run is read from the ledger on first use, "
                           "and the ledger is closed: call .preview() before closing it")
        db.con.register("preview_ids", ids)
        try:
            return db.frame(_SUMS.format(ids="SELECT invoice_id FROM preview_ids"))
        finally:
            db.con.unregister("preview_ids")

    return load


def _written_items(db: Database) -> int:
    """The run's credit items: the credit invoices' line spans (credit_write.sql), checked
    against the live pieces, so a span that missed a piece can never pass unnoticed."""
    lines, pieces = db.rows("SELECT (SELECT coalesce(sum(lines), 0) FROM credit_span),"
                            " (SELECT count(*) FROM piece WHERE quantity > 0)")[0]
    if lines != pieces:
        raise RuntimeError(f"internal error: {pieces} credit pieces but {lines} numbered lines; "
                         "nothing was saved (please report this)")
    return int(lines)


def _items_loader(db: Database, spans: pd.DataFrame) -> Callable[[], pd.DataFrame]:
    """The run's credit items as the ledger holds them: lines first_line..last_line of each
    credit invoice (the same frame the run would have built)."""

    def load() -> pd.DataFrame:
        # the call that ran it may be over: then the ledger is opened again, read-only
        with db.reading():
            db.con.register("credit_spans", spans)
            try:
                return db.frame(
                    "SELECT ci.invoice_id AS credit_invoice_id, ci.item_id, ci.line_no::BIGINT AS line_no,"
                    " d.invoice_id AS debit_invoice_id, ci.credited_item_id, ci.description, ci.quantity,"
                    " ci.net_amount, ci.tax_amount, ci.amount, c.currency"
                    " FROM credit_spans s"
                    " JOIN invoice_items ci ON ci.invoice_id = s.credit_invoice_id"
                    "  AND ci.line_no BETWEEN s.first_line AND s.last_line"
                    " JOIN invoices c ON c.invoice_id = ci.invoice_id"
                    " JOIN invoice_items d ON d.item_id = ci.credited_item_id"
                    " ORDER BY ci.invoice_id, ci.line_no")
            finally:
                db.con.unregister("credit_spans")

    return load


# -- one debit invoice at a time (recon credit, notebooks) ----------------------------------


def _quantity(value, item_id: str) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, float):
        raise BadInput(
            f"--item {item_id}: quantity {value!r} is a binary float; pass it as text or Decimal"
        )
    text = f"{value:f}" if isinstance(value, Decimal) and value.is_finite() else str(value).strip()
    d = parse_decimal(text)  # strict: not "1_0", "١", "1e3" or "NaN", which Decimal() takes
    if d is None:
        raise BadInput(f"--item {item_id}: quantity {value!r} is not a number; write it like 2 or 0.5 "
                       "(digits 0-9 and '.')")
    if significant_decimals(d) > 6:
        raise BadInput(f"--item {item_id}: quantity {value} has more than 6 decimals")
    if abs(d) >= Decimal(10) ** 12:
        raise BadInput(f"--item {item_id}: quantity {value} is too large (the ledger holds quantities below 10^12)")
    return d


Ask = Decimal | Amount | Percent | None


def _ask(value, item_id: str) -> Ask:
    if isinstance(value, Amount | Percent):
        return value.checked(item_id)
    return _quantity(value, item_id)


def normalise_items(items) -> list[tuple[str, Ask]]:
    """Accept {item: ask}, [item, ...] or [(item, ask), ...]; an ask is a quantity (text or
    Decimal), None (all that is left), an :class:`Amount` or a :class:`Percent`."""
    if items is None:
        return []
    if isinstance(items, Mapping):
        pairs = list(items.items())
    elif isinstance(items, str):
        pairs = [(items, None)]
    elif isinstance(items, Iterable):
        pairs = [(x, None) if isinstance(x, str) else tuple(x) for x in items]
    else:
        raise BadInput("items must be a mapping of item id to quantity, Amount or Percent, "
                       "or a list of item ids")
    return [(str(item), _ask(q, str(item))) for item, q in pairs]


def _ask_columns(ask: Ask, gross: bool) -> dict:
    """A request's quantity / amount / percent / gross columns for one ask."""
    if isinstance(ask, Amount):
        return {"amount": ask.value, "gross": ask.gross or gross}
    if isinstance(ask, Percent):
        return {"percent": ask.value}
    return {"quantity": ask}


def credit(
    db: Database,
    debit_invoice_id: str,
    items=None,
    *,
    percent=None,
    gross: bool = False,
    reason: str | None = None,
    memo: str | None = None,
    date: dt.date | str | None = None,
    into: str | None = None,
    allow_paid: bool = False,
    dry_run: bool = False,
    command: str = "credit",
    periods: Mapping | None = None,
    rows: bool = False,
) -> CreditResult | CreditSummary:
    """Credit items of one debit invoice (``items``) or, with no items, all of it.

    ``items`` maps an item to a quantity, None (all that is left), ``Amount("20.00")``
    or ``Percent("15")`` (recon/amounts.py). ``percent`` credits that percentage of the
    original net of each named item, or of every item with no ``items``. ``gross`` reads
    every amount as tax-inclusive. ``periods`` ({item_id: (start, end)}, either end may
    be None) gives a credit item a billing period, which must lie within the debit
    item's; default: the debit item's. ``rows``: a :class:`CreditSummary` of records
    instead of frames (a dry run's with the items it would write).
    """
    pairs = normalise_items(items)
    if percent is not None:
        share = Percent(percent if not isinstance(percent, Percent) else percent.value).checked(None)
        if any(ask is not None for _, ask in pairs):
            raise BadInput("--percent: give the items without quantities or amounts (the percentage "
                           "applies to each of them), or a Percent per item")
        pairs = [(item, share) for item, _ in pairs]
    if gross and not any(isinstance(ask, Amount) for _, ask in pairs):
        raise BadInput("--gross applies to amounts: give them as --item ITEM_ID=@AMOUNT (or Amount(...))")
    spans = _periods(periods, [item for item, _ in pairs])
    credit_date = parse_date(date, "--date") if date is not None else None
    base = {
        "credit_key": f"into:{into}" if into else "new",
        "into_credit_id": into,
        "debit_invoice_id": debit_invoice_id,
        "reason": reason,
        "memo": memo,
        "credit_date": credit_date,
    }
    whole = [(None, share)] if percent is not None and not pairs else [(None, None)]
    # a few requests: staged from these dicts by parameters (no frame, see _stage)
    requests = [dict(base, req_no=n, src_row=n, item_id=item, **_ask_columns(ask, gross),
                     period_start=spans.get(item, (None, None))[0],
                     period_end=spans.get(item, (None, None))[1])
                for n, (item, ask) in enumerate(pairs or whole, start=1)]
    try:
        return run_requests(db, requests, command=command,
                            origin="manual" if pairs or percent is not None else "full", numbered=False,
                            allow_paid=allow_paid, dry_run=dry_run, rows=rows,
                            audit_detail={"debit_invoice_id": debit_invoice_id, "into": into})
    except BadInput as exc:  # the engine's columns, as the caller typed them
        raise exc.renamed(OPTION_NAMES) from None


# The request column that `recon credit` takes from an option: named as the option.
OPTION_NAMES = {"credit_date": "--date"}


def _periods(periods: Mapping | None, items: list[str]) -> dict[str, tuple]:
    """{item: (start, end)} as dates; only for items being credited."""
    out = {}
    for item, span in (periods or {}).items():
        if item not in items:
            raise BadInput(f"--period {item}: the item is not among the items credited; "
                           "name it with --item too")
        try:
            start, end = span
        except (TypeError, ValueError):
            raise BadInput(f"--period {item}: give (start, end) dates") from None
        out[item] = tuple(None if v is None else parse_date(v, f"--period {item}") for v in (start, end))
    return out


# -- void ------------------------------------------------------------------------------------


def void(db: Database, credit_invoice_id: str, *, date: dt.date | None = None,
         rows: bool = False) -> pd.DataFrame:
    """Void a credit invoice: its links end, its debits' unpaid amounts come back.

    Returns the credit and each debit it was linked to, before and after
    (:func:`recon.links.changes`; ``rows``: records).

    Dated ``date`` (default today), which may not lie before anything the credit already
    has (its date, its items, its links) nor in a closed month; a credit with refunds
    cannot be voided (the money has left)."""
    on = date or dt.date.today()
    with db.transaction():
        row = db.rows(
            "SELECT type, voided_on, invoice_date,"
            " (SELECT max(added_on) FROM invoice_items WHERE invoice_id = $id),"
            " (SELECT max(greatest(linked_on, coalesce(unlinked_on, linked_on))) FROM invoice_links"
            "  WHERE credit_invoice_id = $id),"
            " (SELECT count(*) FROM refunds WHERE credit_invoice_id = $id)"
            " FROM invoices WHERE invoice_id = $id",
            {"id": credit_invoice_id},
        )
        if not row:
            raise BadInput(f"credit invoice {credit_invoice_id!r} not found; check the number")
        kind, voided_on, inv_date, last_item, last_link, refunds = row[0]
        if kind != "credit":
            raise BadInput(f"{credit_invoice_id} is a debit invoice; only credit invoices can be voided")
        if voided_on is not None:
            raise BadInput(f"credit invoice {credit_invoice_id} is already void (since {voided_on})")
        if refunds:
            raise BadInput(f"credit invoice {credit_invoice_id} has {refunds} refund(s): the money has "
                           "been paid back, so it cannot be voided; link what it still has available to a "
                           "debit (recon link) or refund it, and bill a mistaken refund on the platform")
        latest = max(d for d in (inv_date, last_item, last_link) if d is not None)
        if on < latest:
            said = f"--date {on}" if date is not None else f"today ({on})"
            raise BadInput(f"{said}: before the credit invoice's latest fact ({latest}: its date, an "
                           f"item added or a link); date the void on or after {latest}")
        refuse_if_locked(db, on, f"the void date {on}")
        params = {"id": credit_invoice_id, "on": on}
        db.touch("SELECT debit_invoice_id FROM invoice_links WHERE credit_invoice_id = $id"
                 " AND unlinked_on IS NULL", {"id": credit_invoice_id})
        db.touch("SELECT $id", {"id": credit_invoice_id})
        links = db.scalar(
            "SELECT count(*) FROM invoice_links WHERE credit_invoice_id = $id AND unlinked_on IS NULL",
            {"id": credit_invoice_id})
        note_before(db)
        db.execute(
            "UPDATE invoice_links SET unlinked_on = $on"
            " WHERE credit_invoice_id = $id AND unlinked_on IS NULL", params)
        db.execute("UPDATE invoices SET voided_on = $on WHERE invoice_id = $id", params)
        db.recompute()
        db.audit("void", links=int(links), detail={"credit_invoice_id": credit_invoice_id})
        return changes(db, rows)
