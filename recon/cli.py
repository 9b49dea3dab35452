"""The ``recon`` command line: thin over :class:`recon.Ledger` (SPEC §4).

``main(argv) -> int``; one table from command to handler; every expected failure is a
ReconError caught in one place and printed as one clear line (exit 2: nothing changed).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .amounts import Amount
from .errors import EXIT_DIFFERENCES, EXIT_OK, BadInput, ReconError

if TYPE_CHECKING:
    import pandas as pd

    from .ledger import Ledger

# The ledger (DuckDB), pandas and pandera are imported inside the commands that use them,
# not here: `recon --help` imports none of them, and a command imports only its own
# (issue 15; `python -X importtime -m recon show ...` lists what a command imports).


def _ledger_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--ledger", default=None, metavar="PATH",
                   help="the ledger file (DuckDB); default: $RECON_LEDGER")
    _wait_arg(p)


def _wait_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--wait", default=None, metavar="SECONDS",
                   help="how long to wait while another process uses the ledger; default: $RECON_WAIT or 10")


class UsageError(ReconError):
    """A command line argparse refuses (unknown option, missing argument): exit 2."""


class _Parser(argparse.ArgumentParser):
    # argparse prints the whole usage and exits; a refusal here is one line like any
    # other bad input, with the way to the help (subcommands use this class too)
    def error(self, message: str):
        raise UsageError(f"{message} (see `{self.prog} --help`)")


class _OnlyOne:
    """The subcommands action of a command line that names its command: only that
    command's parser is built (argparse makes a whole parser per subcommand: all 25 took
    12-15 ms of every command's start). Another's arguments go nowhere."""

    def __init__(self, sub, name: str):
        self._sub, self._name = sub, name

    def add_parser(self, name: str, **kwargs):
        return self._sub.add_parser(name, **kwargs) if name == self._name else _Unbuilt()


class _Unbuilt:
    def add_argument(self, *args, **kwargs) -> None:
        pass


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """recon's parser; with ``command`` (a name of COMMANDS) only that subcommand's, which
    parses its command lines alike (``recon --help`` and a mistyped command get all)."""
    parser = _Parser(
        prog="recon", description="Credit invoices and reconcile a billing ledger.",
        epilog="Exit codes: 0 success, 1 reconciliation differences found, 2 bad input "
               "(nothing changed). `recon COMMAND --help` describes each command.")
    parser.add_argument("--version", action="version", version=f"recon {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    if command is not None:
        sub = _OnlyOne(sub, command)

    p = sub.add_parser("init", help="create a ledger, optionally importing a folder")
    _ledger_arg(p)
    p.add_argument("--from", dest="source", metavar="DIR", help="import this folder's files")
    p.add_argument("--mapping", metavar="TOML", help="column names and number/date formats of the export")
    p.add_argument("--rejects", metavar="FILE", help="where to list the problems of a refused import "
                   "(default: DIR.rejects.csv beside the folder)")

    p = sub.add_parser("import", help="import invoices, items, payments and links from a folder")
    _ledger_arg(p)
    p.add_argument("directory", metavar="DIR", help="a folder of the platform's export files")
    p.add_argument("--mapping", metavar="TOML", help="column names and number/date formats of the export")
    p.add_argument("--date", metavar="YYYY-MM-DD",
                   help="the import's day, on which available credits are applied to new debits (default: today)")
    p.add_argument("--update", action="store_true",
                   help="take the platform's changes of rows the ledger holds (a debit voided, a due date "
                        "moved, a payment reversed, a link ended) as dated facts")
    p.add_argument("--dry-run", action="store_true", help="show what would be added, skipped and updated; save nothing")
    p.add_argument("--rejects", metavar="FILE", help="where to list every problem of a refused import "
                   "(default: DIR.rejects.csv beside the folder)")

    p = sub.add_parser("add-currency", help="add a currency that ISO 4217 lacks, with its decimals")
    _ledger_arg(p)
    p.add_argument("code", metavar="CODE", help="three capital letters, e.g. XBT")
    p.add_argument("digits", metavar="DIGITS", help="its decimals: 0, 1, 2 or 3")

    p = sub.add_parser(
        "credit", help="credit items of a debit invoice, or all of it",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Credit items of a debit invoice, or all of it (no --item).",
        epilog="three ways to credit an item:\n"
               "  --item ITM-1=2        a quantity (2 licences); the amounts follow pro rata\n"
               "  --item ITM-1=@20.00   a net amount (with --gross: tax included); the tax follows\n"
               "  --item ITM-1          all that is left of the item\n"
               "and --percent 15 credits 15 % of each named item's original net, or of every\n"
               "item's with no --item (an SLA credit), capped at what is left.\n"
               "Pieces of any mix sum exactly to the item's net, tax and amount once it is\n"
               "fully credited; --dry-run shows what would be saved, to the minor unit.")
    _ledger_arg(p)
    p.add_argument("debit", metavar="DEBIT_ID",
                   help="the unpaid debit invoice to credit, e.g. INV-2026-000177")
    p.add_argument("--item", action="append", default=[], metavar="ITEM_ID[=QTY|=@AMOUNT]",
                   help="an item to credit: =QTY a quantity, =@AMOUNT a net amount (tax follows), "
                        "or nothing for all that is left; repeatable; no --item credits the whole invoice")
    p.add_argument("--gross", action="store_true", help="read the @AMOUNTs as tax-inclusive")
    p.add_argument("--percent", metavar="P",
                   help="credit P %% of the original net of each --item (or of every item), e.g. an SLA credit")
    p.add_argument("--reason", metavar="TEXT", help='why the credit is given, e.g. "SLA credit"')
    p.add_argument("--memo", metavar="TEXT", help="a note kept on the credit invoice")
    p.add_argument("--date", metavar="YYYY-MM-DD", help="credit invoice date (default: today)")
    p.add_argument("--into", metavar="CREDIT_ID", help="add the items to this existing credit invoice")
    p.add_argument("--allow-paid", action="store_true", help="credit a paid debit; the credit stays available")
    p.add_argument("--period", action="append", default=[], metavar="ITEM_ID=START..END",
                   help="billing period of a credited item, within the debit item's (default: the item's)")
    p.add_argument("--dry-run", action="store_true", help="show what would be created, save nothing")

    p = sub.add_parser("apply", help="bulk corrections from a file, all or nothing")
    _ledger_arg(p)
    p.add_argument("file", metavar="FILE", help="corrections (.csv, .parquet or .xlsx)")
    p.add_argument("--dry-run", action="store_true", help="show what would be created, save nothing")
    p.add_argument("--batch-id", metavar="ID", help="batch id (default: derived from the file's content)")
    p.add_argument("--rejects", metavar="FILE", help="where to write bad rows (default: FILE.rejects.csv beside it)")
    p.add_argument("--mapping", metavar="TOML", help="column names and number/date formats of the export")
    p.add_argument("--allow-paid", action="store_true",
                   help="rows may credit paid debit invoices; their credit stays available")
    p.add_argument("--sum-repeats", action="store_true",
                   help="rows of one credit that credit the same item become one line with their sum")

    p = sub.add_parser("show", help="an invoice: header, items, links, payments, unpaid amount, status")
    _ledger_arg(p)
    p.add_argument("invoice", metavar="INVOICE_ID", help="a debit or credit invoice number")

    p = sub.add_parser("void", help="void a credit invoice and restore its debits")
    _ledger_arg(p)
    p.add_argument("credit", metavar="CREDIT_ID", help="the credit invoice to void, e.g. CN-2026-000001")
    p.add_argument("--date", metavar="YYYY-MM-DD", help="void date, when its links end (default: today)")

    p = sub.add_parser("cancel", help="credit the unused days of cancelled services from a file")
    _ledger_arg(p)
    p.add_argument("file", metavar="FILE", help="item_id, cancelled_on[, quantity][, reason] (.csv, .parquet, .xlsx)")
    p.add_argument("--date", metavar="YYYY-MM-DD", help="credit invoice date (default: today)")
    p.add_argument("--mapping", metavar="TOML", help="column names and number/date formats of the file")
    p.add_argument("--dry-run", action="store_true", help="show what would be created, save nothing")

    p = sub.add_parser("link", help="apply an available credit to an unpaid debit invoice")
    _ledger_arg(p)
    p.add_argument("credit", metavar="CREDIT_ID", help="the credit invoice with an available amount")
    p.add_argument("debit", metavar="DEBIT_ID", help="an unpaid debit invoice of the same account and currency")
    p.add_argument("--amount", metavar="X", help="default: the smaller of the debit's unpaid amount and the credit available")
    p.add_argument("--date", metavar="YYYY-MM-DD", help="link date (default: today)")

    p = sub.add_parser("unlink", help="end the links between a credit and a debit invoice")
    _ledger_arg(p)
    p.add_argument("credit", metavar="CREDIT_ID", help="the credit invoice")
    p.add_argument("debit", metavar="DEBIT_ID", help="the debit invoice it is linked to")
    p.add_argument("--date", metavar="YYYY-MM-DD", help="unlink date (default: today)")

    p = sub.add_parser("remove-items", help="remove items from a manual credit invoice without links")
    _ledger_arg(p)
    p.add_argument("credit", metavar="CREDIT_ID", help="a manual credit invoice without active links")
    p.add_argument("items", metavar="ITEM_ID", nargs="+", help="its items to remove")
    p.add_argument("--date", metavar="YYYY-MM-DD", help="the day the items stop counting (default: today)")

    p = sub.add_parser("refund", help="pay back a credit invoice's available amount (one, or a file of them)",
                       description="Pay money back to the customer from a credit invoice's available "
                                   "amount: one refund (CREDIT_ID --amount X), or bulk refunds from a "
                                   "file (--file F: all or nothing, a rerun changes nothing).")
    _ledger_arg(p)
    p.add_argument("credit", metavar="CREDIT_ID", nargs="?", help="the credit invoice to refund from")
    p.add_argument("--amount", metavar="X", help="the amount paid back, in the credit's currency")
    p.add_argument("--date", metavar="YYYY-MM-DD",
                   help="the day the money left (default: today); with --file, for rows without refunded_on")
    p.add_argument("--reference", metavar="TEXT", help="the payment's reference, e.g. the bank transfer's")
    p.add_argument("--id", dest="refund_id", metavar="REFUND_ID",
                   help="the refund's id (default: the next RF-<year>-<counter>)")
    p.add_argument("--file", metavar="FILE",
                   help="bulk refunds: credit_invoice_id, amount[, refunded_on][, reference][, refund_id] "
                        "(.csv, .parquet or .xlsx)")
    p.add_argument("--batch-id", metavar="ID", help="with --file: batch id (default: derived from the file's content)")
    p.add_argument("--rejects", metavar="FILE", help="with --file: where to write bad rows (default: FILE.rejects.csv)")
    p.add_argument("--mapping", metavar="TOML", help="with --file: column names and number/date formats of the file")
    p.add_argument("--dry-run", action="store_true", help="show what would be refunded, save nothing")

    p = sub.add_parser("balance", help="what an account owes (or is owed) per currency, with aging",
                       description="Per account and currency, as of the end of a day: unpaid debit "
                                   "invoices, credit available, overpaid, net receivable (what the "
                                   "customer owes; negative: owed to the customer), the oldest unpaid "
                                   "due date and the aging buckets.")
    _ledger_arg(p)
    p.add_argument("account", metavar="ACCOUNT", nargs="?",
                   help="one account (default: every account, who owes most first in each currency)")
    p.add_argument("--currency", metavar="CODE", help="only this currency, e.g. EUR")
    p.add_argument("--as-of", metavar="YYYY-MM-DD", help="the balance at the end of that day (default: today)")
    p.add_argument("--out", metavar="FILE", help="also write the balances to a .csv or .xlsx file")

    p = sub.add_parser("statement", help="an account's statement: every event of a period, the running balance, aging",
                       description="Per currency: the opening balance, every dated event (invoice, "
                                   "credit, item added or removed, credit applied or unapplied, payment, "
                                   "refund, void) with the running balance of what the customer owes, "
                                   "the closing balance and the aging at --to.")
    _ledger_arg(p)
    p.add_argument("account", metavar="ACCOUNT", help="the account, e.g. ACC-1001")
    p.add_argument("--from", dest="start", required=True, metavar="YYYY-MM-DD", help="the period's first day")
    p.add_argument("--to", dest="end", required=True, metavar="YYYY-MM-DD", help="the period's last day")
    p.add_argument("--out", metavar="DIR",
                   help="write the statement to DIR: a printable HTML page (A4), a workbook and CSV files")

    p = sub.add_parser("export", help="write the ledger's tables to a folder")
    _ledger_arg(p)
    p.add_argument("--out", required=True, metavar="DIR", help="folder for one file per table")
    p.add_argument("--format", default="csv", choices=["csv", "parquet", "xlsx"],
                   help="file format (default: csv)")

    p = sub.add_parser("compare", help="the ledger against the platform's next export (exit 1 on differences)")
    _ledger_arg(p)
    p.add_argument("directory", metavar="DIR", help="the export's folder (invoices.csv, invoice_items.csv, …)")
    p.add_argument("--mapping", metavar="TOML", help="column names and number/date formats of the export")
    p.add_argument("--out", metavar="DIR", help="write the differences as CSV files, a workbook and an HTML page")

    p = sub.add_parser("match", help="propose the debit items that credit lines without a reference reverse")
    _ledger_arg(p)
    p.add_argument("file", metavar="FILE",
                   help="credit lines: credit_number, account_id, product_code, quantity or amount, credit_date")
    p.add_argument("--out", required=True, metavar="CORRECTIONS",
                   help="the corrections file to write (.csv, .parquet or .xlsx), for recon apply")
    p.add_argument("--unmatched", metavar="FILE",
                   help="where to write the lines not matched (default: CORRECTIONS.unmatched.csv beside it)")
    p.add_argument("--allow-paid", action="store_true", help="credit items of paid debit invoices too")
    p.add_argument("--mapping", metavar="TOML", help="column names and number/date formats of the file")

    p = sub.add_parser("report", help="month-end reconciliation report (workbook, CSV, HTML)")
    _ledger_arg(p)
    p.add_argument("--period", required=True, metavar="YYYY-MM", help="the calendar month to close")
    p.add_argument("--out", metavar="DIR",
                   help="folder for the report's files (workbook, CSV, HTML); without it the "
                        "headline figures are printed and nothing is written")
    p.add_argument("--gl", metavar="FILE",
                   help="general-ledger receivable balances (currency[, account_id], balance) to reconcile")

    p = sub.add_parser("close", help="close a month once its report ties: nothing can be dated in it after")
    _ledger_arg(p)
    p.add_argument("--period", required=True, metavar="YYYY-MM", help="the month to close")
    p.add_argument("--by", required=True, metavar="NAME", help="who closes it (prepared by)")
    p.add_argument("--reviewed-by", metavar="NAME", help="who reviewed it (another person)")

    p = sub.add_parser("review", help="record the reviewer of a closed month")
    _ledger_arg(p)
    p.add_argument("--period", required=True, metavar="YYYY-MM")
    p.add_argument("--by", required=True, metavar="NAME", help="the reviewer (not the one who closed it)")

    p = sub.add_parser("reopen", help="reopen the last closed month (audited)")
    _ledger_arg(p)
    p.add_argument("--period", required=True, metavar="YYYY-MM")
    p.add_argument("--by", required=True, metavar="NAME", help="who reopens it")
    p.add_argument("--reason", required=True, metavar="TEXT", help="why (kept in the audit)")

    p = sub.add_parser("periods", help="each month: open or closed, by whom, with how many facts")
    _ledger_arg(p)

    p = sub.add_parser("upgrade", help="bring a ledger made by an older recon to this version")
    _ledger_arg(p)

    p = sub.add_parser("demo", help="the main job on the bundled sample data")
    p.add_argument("--out", default="recon-demo", metavar="DIR", help="output folder (default: ./recon-demo)")
    p.add_argument("--data", default=None, metavar="DIR", help="sample data folder (default: the bundled data/)")
    _wait_arg(p)
    return parser


# -- handlers -------------------------------------------------------------------------------
# Output: results on stdout (what a script reads: an id, a batch id, a path), what a person
# reads about them on stderr. Money everywhere with recon.formats (the currency's
# decimals, thousands separated); lines fit 100 columns.


def cmd_init(args) -> int:
    mapping = _read_export_ahead(args.source, args.mapping) if args.source else args.mapping
    from .ledger import init

    counts = init(_path(args), args.source, mapping, rejects=args.rejects)
    print(f"ledger {_path(args)} ready" + (f"; imported {_counts(counts)}" if counts else ""))
    _import_notes(counts)
    return EXIT_OK


def cmd_import(args) -> int:
    mapping = _read_export_ahead(args.directory, args.mapping)
    from .ledger import Ledger

    with Ledger(args.ledger) as lg:
        counts = lg.import_dir(args.directory, mapping, date=args.date, update=args.update,
                               dry_run=args.dry_run, rejects=args.rejects)
    print(counts.summary())
    updates = counts.updates
    if updates is not None and len(updates):
        print(_frame_table(updates.fillna("")))
    _import_notes(counts)
    return EXIT_OK


def _read_export_ahead(directory, mapping):
    """The mapping file parsed once, and the export's platform files read in a background
    thread while pandas and pandera load, in the order the import takes them
    (reading.read_ahead_files; a 1M-item import 0.3-0.5 s sooner, benchmarks/RESULTS.md).
    A mapping or folder it cannot use is left to the import, to refuse in its own words."""
    from . import reading
    from .contract import PLATFORM_TABLES, free_text_names

    try:
        fmt = reading.FileFormat.from_toml(mapping)
    except BadInput:
        return mapping
    try:
        found = [(t, reading.find_table_file(Path(directory), t)) for t in PLATFORM_TABLES]
    except (BadInput, OSError):
        return fmt
    reading.read_ahead_files([(p, free_text_names(t, fmt.columns)) for t, p in found if p is not None], fmt)
    return fmt


def _import_notes(result) -> None:
    for line in getattr(result, "notes", lambda: [])():
        print(f"  {line}")


def cmd_add_currency(args) -> int:
    from .ledger import Ledger

    with Ledger(args.ledger) as lg:
        code, digits = lg.add_currency(args.code, args.digits)
    print(f"{code}: {digits} decimals")
    return EXIT_OK


def cmd_credit(args) -> int:
    from .ledger import Ledger

    items = {}
    for spec in args.item:
        item, sep, qty = spec.partition("=")
        if not item.strip():
            raise ReconError(f"--item {spec!r}: give ITEM_ID, ITEM_ID=QUANTITY or ITEM_ID=@AMOUNT")
        if item.strip() in items:
            raise ReconError(f"--item {item.strip()} given twice; name each item once with its total "
                             "quantity or amount")
        qty = qty.strip()
        try:
            items[item.strip()] = (Amount(qty[1:]) if qty.startswith("@") else qty) if sep else None
        except BadInput as exc:  # "--item I1: amount '1_0' is not a number"
            raise BadInput(f"--item {item.strip()}: {exc.message}") from None
    periods = {}
    for spec in args.period:
        item, _, span = spec.partition("=")
        start, sep, end = span.partition("..")
        if not item.strip() or not sep:
            raise ReconError(f"--period {spec!r}: give ITEM_ID=YYYY-MM-DD..YYYY-MM-DD")
        periods[item.strip()] = (start.strip() or None, end.strip() or None)
    with Ledger(args.ledger, write_first=True) as lg:
        try:
            # a few lines from records (no pandas), a dry run's with its items' table
            res = lg.credit(args.debit, items or None, percent=args.percent, gross=args.gross,
                            reason=args.reason, memo=args.memo,
                            date=args.date, into=args.into, allow_paid=args.allow_paid,
                            dry_run=args.dry_run, periods=periods or None, rows=True)
        except BadInput as exc:
            raise _with_closest(lg, exc) from None
    credit, item_count, debits = res.credit, res.item_count, res.debits
    cur = credit.currency
    verb = "would create" if args.dry_run else ("created" if credit.is_new else "added to")
    lines = [f"{verb} credit invoice {credit.invoice_id}: total {_money(credit.total, cur)}, "
             f"{item_count} item(s), {_available(credit.available, cur, args.dry_run)}"]
    for d in debits:
        link = f"linked {_money(d.linked, cur)}; " if d.linked is not None else "not linked; "
        lines.append(f"  {d.debit_invoice_id}: {link}unpaid {_money(d.unpaid_before, d.currency)} -> "
                     f"{_money(d.unpaid_after, d.currency)}, {d.status_before} -> {d.status_after}")
    if args.dry_run:
        lines.insert(0, "dry run, nothing saved")
        lines.append(_records_table(res.items, cur, ["credited_item_id", "description", "quantity",
                                                     "net_amount", "tax_amount", "amount"]))
    print("\n".join(lines), file=sys.stderr)
    print(res.credit_invoice_id)
    return EXIT_OK


def _available(amount, currency: str, dry_run: bool) -> str:
    """What the credit leaves unapplied, said as what it is (never "paid")."""
    if amount == 0:
        return "all of it applied"
    return f"{_money(amount, currency)} {'would stay' if dry_run else 'stays'} available (not applied)"


def _with_closest(lg: Ledger, exc: BadInput) -> BadInput:
    """The refusal, with the closest existing numbers for an unknown debit invoice."""
    from .views import closest_invoices

    problems = list(exc.problems)
    changed = False
    for i, p in enumerate(problems):
        if p.code == "unknown_invoice" and p.value:
            near = closest_invoices(lg.db, str(p.value), kind="debit")
            fix = ("the closest debit invoice numbers: " + ", ".join(near)) if near else \
                "the ledger has no debit invoices: import them first"
            problems[i] = dataclasses.replace(p, fix=fix)
            changed = True
    if not changed:
        return exc
    first = problems[0].describe()
    more = f"{len(problems)} problems, the first: " if len(problems) > 1 else ""
    what = exc.message.split(" refused, nothing changed")[0]
    return BadInput(f"{what} refused, nothing changed: {more}{first}", problems)


def cmd_apply(args) -> int:
    from . import reading

    print(f"recon apply: {args.file}", file=sys.stderr)
    mapping = args.mapping
    try:
        mapping = reading.FileFormat.from_toml(args.mapping)  # read once, for both
        # the file is read while pandas and pandera load (apply takes the rows it read)
        reading.read_ahead(args.file, mapping)
    except BadInput:
        pass  # a mapping file it cannot use: the apply refuses it in its own words
    from .ledger import Ledger
    from .progress import Terminal

    with Ledger(args.ledger) as lg:
        res = lg.apply(args.file, mapping=mapping, dry_run=args.dry_run,
                       batch_id=args.batch_id, rejects=args.rejects, progress=Terminal(),
                       allow_paid=args.allow_paid, sum_repeats=args.sum_repeats)
    if res.already_applied:
        print(f"recon apply: {res.summary()}", file=sys.stderr)
        return EXIT_OK
    if args.dry_run:
        print("dry run, nothing saved; would create:")
        print(_head(res.preview()))
        print(_head(res.items[["credit_invoice_id", "debit_invoice_id", "credited_item_id", "quantity",
                               "net_amount", "tax_amount", "amount", "currency"]]))
        changed = res.debits[res.debits["status_before"] != res.debits["status_after"]]
        print("debit invoices whose status changes:")
        print(_head(changed[["debit_invoice_id", "status_before", "status_after", "unpaid_before",
                             "unpaid_after", "currency"]]) if len(changed) else "  (none)")
    print(f"recon apply: {res.summary()}", file=sys.stderr)
    print(res.batch_id)
    return EXIT_OK


def _head(df: pd.DataFrame, n: int = 20) -> str:
    text = _frame_table(df.head(n))
    return text + (f"\n  … and {len(df) - n:,} more" if len(df) > n else "")


def cmd_show(args) -> int:
    # rows, not frames: printing one invoice needs no pandas (a quick command, issue 15)
    from . import views
    from .ledger import Ledger

    with Ledger(args.ledger, read_only=True) as lg:
        parts = lg.show(args.invoice, rows=True)
        head = parts["invoice"][0]
        # a void credit's links have all ended: show them, with the day they ended
        links = (views.links(lg.db, args.invoice, include_ended=True, rows=True)
                 if head.type == "credit" else parts["links"])
    cur = head.currency
    credit = head.type == "credit"
    lines = [f"{head.invoice_id}  {head.type} invoice of {head.account_id}, {head.invoice_date}, {cur}"]
    for label, key in (("status", "status"), ("origin", "origin"), ("reason", "reason"),
                       ("memo", "memo"), ("due", "due_date"), ("voided on", "voided_on")):
        v = getattr(head, key)
        if v is not None:
            lines.append(f"  {label:<9} {v}")
    lines.append(f"  {'total':<9} {_money(head.total, cur)}")
    # a credit's unpaid amount is what is still available to apply; a debit's is owed
    lines.append(f"  {'available' if credit else 'unpaid':<9} {_money(head.unpaid_amount, cur)}")
    lines += ["", "items", _items_table(parts["items"], cur, credit)]
    if parts["payments"]:
        pays = parts["payments"]
        # a reversal column only where a payment was reversed
        shown = [c for c in pays[0]._fields if c != "reversed_on" or any(p.reversed_on is not None for p in pays)]
        lines += ["", "payments", _records_table(pays, cur, shown)]
    lines += ["", "links"]
    if links:
        other = "debit_invoice_id" if credit else "credit_invoice_id"
        lines.append(_records_table(links, cur, [other, "amount", "linked_on", "unlinked_on"]))
    else:
        lines.append("  (none)")
    print("\n".join(lines))
    return EXIT_OK


def _items_table(items: list, currency: str, credit: bool) -> str:
    """An invoice's items (records) in 100 columns: one line each, then its price, tax
    rate, period and (on a credit) the debit item it credits on a second line."""
    if not items:
        return "  (none)"
    from . import formats

    rows = [[str(r.line_no), str(r.item_id), str(r.description or ""), formats.quantity(r.quantity, grouped=True),
             formats.money(r.net_amount, currency), formats.money(r.tax_amount, currency),
             formats.money(r.amount, currency)] for r in items]
    notes = []
    for r in items:
        bits = [f"unit price {formats.quantity(r.unit_price)}", f"tax {_percent(r.tax_rate)}"]
        if r.period_start is not None:
            bits.append(f"period {r.period_start}..{r.period_end}")
        if credit and r.credited_item_id is not None:
            bits.append(f"credits {r.credited_item_id}")
        notes.append(", ".join(bits))
    return text_table(["#", "item", "description", "quantity", "net", "tax", "amount"], rows,
                      numeric={0, 3, 4, 5, 6}, wrap=2, notes=notes)


def _records_table(records: list, currency: str, columns: list[str] | None = None) -> str:
    """Records (``db.records``) as :func:`_frame_table` shows a frame of them: labels,
    money at ``currency``, quantities exact, dates ISO, numbers right-aligned."""
    import datetime as dt
    from decimal import Decimal

    from .formats import is_money_name, label, money, quantity

    columns = columns or list(records[0]._fields)

    def cell(name: str, v) -> str:
        if v is None:
            return ""
        if isinstance(v, Decimal):
            return money(v, currency) if is_money_name(name) else quantity(v, grouped=True)
        if isinstance(v, bool):
            return "yes" if v else "no"
        if isinstance(v, int):
            return f"{v:,}" if abs(v) >= 10_000 else str(v)
        if isinstance(v, dt.datetime):
            return v.strftime("%Y-%m-%d %H:%M:%S") if (v.hour, v.minute, v.second) != (0, 0, 0) \
                else v.date().isoformat()
        return v.isoformat() if isinstance(v, dt.date) else str(v)

    rows = [[cell(c, getattr(r, c)) for c in columns] for r in records]
    numeric = {j for j, c in enumerate(columns)
               if any(isinstance(getattr(r, c), (Decimal, int)) and not isinstance(getattr(r, c), bool)
                      for r in records)}
    headers = [label(c) for c in columns]
    texts = [j for j, c in enumerate(columns) if j not in numeric and c in WRAPPABLE]
    wrap = max(texts, key=lambda j: max([len(headers[j])] + [len(r[j]) for r in rows])) if texts else None
    return text_table(headers, rows, numeric=numeric, wrap=wrap)


def _percent(rate) -> str:
    from decimal import Decimal

    from . import formats

    return f"{formats.quantity(Decimal(str(rate)) * 100)}%"


def cmd_void(args) -> int:
    from .ledger import Ledger

    with Ledger(args.ledger, write_first=True) as lg:
        changed = lg.void(args.credit, date=args.date, rows=True)
    print(f"voided {args.credit}; its links ended")
    _print_changes(changed, {r.invoice_id: r.type for r in changed})
    return EXIT_OK


def cmd_cancel(args) -> int:
    from .ledger import Ledger

    with Ledger(args.ledger) as lg:
        res = lg.cancel(args.file, date=args.date, dry_run=args.dry_run, mapping=args.mapping)
    if args.dry_run:
        print("dry run, nothing saved; would create:", file=sys.stderr)
    if len(res.items):
        print(_frame_table(res.items[["credit_invoice_id", "credited_item_id", "cancelled_on", "quantity",
                                      "net_amount", "tax_amount", "amount", "currency"]]), file=sys.stderr)
    for _, r in res.links.iterrows():
        print(f"{r.credit_invoice_id} linked to {r.debit_invoice_id}: {_money(r.amount, r.currency)}",
              file=sys.stderr)
    verb = "would create" if args.dry_run else "created"
    done = f"; {len(res.skipped)} row(s) already credited, skipped" if len(res.skipped) else ""
    nothing = " (nothing changed)" if not len(res.credits) else ""
    totals = ", ".join(f"{_money(v, c)}" for c, v in sorted(res.totals.items()))
    print(f"{verb} {len(res.credits)} cancellation credit invoice(s){done}{nothing}"
          + (f"; credited {totals}" if totals and len(res.credits) else ""), file=sys.stderr)
    for credit_id in res.credit_invoice_ids:
        print(credit_id)
    return EXIT_OK


def cmd_link(args) -> int:
    from .ledger import Ledger

    with Ledger(args.ledger, write_first=True) as lg:
        changed = lg.link(args.credit, args.debit, args.amount, date=args.date, rows=True)
    _print_changes(changed, {r.invoice_id: r.type for r in changed})
    return EXIT_OK


def cmd_unlink(args) -> int:
    from .ledger import Ledger

    with Ledger(args.ledger, write_first=True) as lg:
        changed = lg.unlink(args.credit, args.debit, date=args.date, rows=True)
    _print_changes(changed, {r.invoice_id: r.type for r in changed})
    return EXIT_OK


def cmd_remove_items(args) -> int:
    from .ledger import Ledger

    # one hold for both calls: once the items are removed, showing the result never waits
    with Ledger(args.ledger) as lg, lg.session(write=True):
        left = lg.remove_items(args.credit, args.items, date=args.date)
        head = lg.invoice(args.credit).iloc[0]
    print(f"{args.credit}: {len(left)} item(s) left, total {_money(head.total, head.currency)}, "
          f"available {_money(head.unpaid_amount, head.currency)}, {head.status}")
    return EXIT_OK


def _print_changes(changed: list, kinds: dict[str, str]) -> None:
    """One line per invoice changed (records): a debit's unpaid amount, a credit's available amount."""
    for r in changed:
        what = "available" if kinds.get(r.invoice_id) == "credit" else "unpaid"
        print(f"{r.invoice_id}: {what} {_money(r.unpaid_before, r.currency)} -> "
              f"{_money(r.unpaid_after, r.currency)}, {r.status_before} -> {r.status_after}")


def cmd_match(args) -> int:
    from .ledger import Ledger

    with Ledger(args.ledger, read_only=True) as lg:
        res = lg.match(args.file, mapping=args.mapping, allow_paid=args.allow_paid)
    paths = res.write(args.out, args.unmatched)
    print(res.summary())
    print(f"corrections: {paths['corrections']}" + (
        " (apply them with --allow-paid: some credit paid debits)" if args.allow_paid else ""))
    print(f"not matched: {paths['unmatched']}" if len(res.unmatched) else "every line matched in full")
    return EXIT_OK


def cmd_compare(args) -> int:
    from .ledger import Ledger

    with Ledger(args.ledger, read_only=True) as lg:
        cmp = lg.compare(args.directory, args.mapping)
    for line in cmp.headline():
        print(line)
    if not cmp.agree:
        print(differences_table(cmp.differences.head(COMPARE_SHOWN)))
        if len(cmp.differences) > COMPARE_SHOWN:
            print(f"  … and {len(cmp.differences) - COMPARE_SHOWN:,} more (--out DIR writes them all)")
    if args.out:
        paths = cmp.write(args.out)
        print(f"comparison written to {paths['html'].parent}/ ({paths['html'].name}, {paths['xlsx'].name}, "
              "differences.csv, matched.csv, summary.csv)", file=sys.stderr)
    return cmp.exit_code


def differences_table(diff: pd.DataFrame) -> str:
    """One line per difference: where, what, the two values (money as money), the cause."""
    import pandas as pd

    from .formats import label, money

    def value(v, column, currency):
        if v is None or pd.isna(v):
            return "—"
        return money(Decimal(v), currency) if column in MONEY_COLUMNS else str(v)

    rows = []
    for r in diff.itertuples(index=False):  # at most COMPARE_SHOWN rows, for the screen
        where = r.invoice_id if isinstance(r.invoice_id, str) else r.platform_invoice_id
        kind, side = r.kind.split("_")[0], r.kind.partition("_only_in_")[2]
        what = "" if kind == "invoice" else kind
        ref = r.id if isinstance(r.id, str) else r.platform_id
        if kind in ("item", "payment", "refund", "link") and isinstance(ref, str):
            what = f"{'link to' if kind == 'link' else kind} {ref}"
        what = (f"{what}: " if what else "") + (
            f"only in the {side}" + (f" ({label(r.column).lower()})" if kind == "invoice" else "")
            if side else label(r.column).lower())
        rows.append([where, what, value(r.ledger_value, r.column, r.currency),
                     value(r.platform_value, r.column, r.currency), r.currency or ""])
    # the likely cause under each difference, where it has the whole width
    return text_table(["Invoice", "Difference", "Ledger", "Platform", ""], rows, numeric={2, 3}, wrap=1,
                      notes=["→ " + c for c in diff["cause"].tolist()])


MONEY_COLUMNS = ("total", "unpaid_amount", "amount", "net_amount", "tax_amount")
COMPARE_SHOWN = 20


def cmd_refund(args) -> int:
    from .ledger import Ledger

    if (args.credit is None) == (args.file is None):
        raise BadInput("give either CREDIT_ID with --amount X (one refund) or --file FILE (bulk refunds)")
    if args.file is None:
        if args.amount is None:
            raise BadInput(f"--amount is required: how much of {args.credit} is paid back, e.g. --amount 25.00")
        for flag, value in (("--batch-id", args.batch_id), ("--rejects", args.rejects),
                            ("--mapping", args.mapping)):
            if value is not None:
                raise BadInput(f"{flag} goes with --file only")
        with Ledger(args.ledger) as lg:
            res = lg.refund(args.credit, args.amount, date=args.date, reference=args.reference,
                            refund_id=args.refund_id, dry_run=args.dry_run)
        r, c = res.refunds.iloc[0], res.credits.iloc[0]
        lines = ["dry run, nothing saved"] if args.dry_run else []
        lines.append(f"{'would refund' if args.dry_run else 'refunded'} {_money(r.amount, r.currency)} from "
                     f"{r.credit_invoice_id} on {r.refunded_on} as {r.refund_id}: available "
                     f"{_money(c.available_before, c.currency)} -> {_money(c.available_after, c.currency)}, "
                     f"{c.status_before} -> {c.status_after}")
        print("\n".join(lines), file=sys.stderr)
        print(r.refund_id)
        return EXIT_OK
    for flag, value in (("--amount", args.amount), ("--id", args.refund_id), ("--reference", args.reference)):
        if value is not None:
            raise BadInput(f"{flag} goes with CREDIT_ID, not --file (the file gives each row's own)")
    with Ledger(args.ledger) as lg:
        res = lg.refund_file(args.file, date=args.date, batch_id=args.batch_id, rejects=args.rejects,
                             mapping=args.mapping, dry_run=args.dry_run)
    if args.dry_run and len(res.refunds):
        print("dry run, nothing saved; would refund:", file=sys.stderr)
        print(_head(res.refunds), file=sys.stderr)
    print(f"recon refund: {res.summary()}", file=sys.stderr)
    print(res.batch_id)
    return EXIT_OK


def cmd_balance(args) -> int:
    from .balances import write
    from .ledger import Ledger

    with Ledger(args.ledger, read_only=True) as lg:
        df = lg.balance(args.account, currency=args.currency, as_of=args.as_of)
    day = args.as_of or "today"
    if df.empty:
        print(f"no invoices as of {day}" + (f" for {args.account}" if args.account else ""))
    elif args.account:
        head = df.iloc[0]
        name = f" ({head.account_name})" if isinstance(head.account_name, str) else ""
        lines = [f"{head.account_id}{name}, as of {day}"]
        for r in df.itertuples():
            m = lambda v, cur=r.currency: _money(v, cur)  # noqa: E731
            owes = ("owed by the customer" if r.net_receivable > 0 else
                    "owed to the customer" if r.net_receivable < 0 else "nothing owed")
            lines.append(f"  {r.currency}: net receivable {m(r.net_receivable)} ({owes})")
            lines.append(f"    unpaid debits {m(r.unpaid_debits)} in {r.unpaid_invoices} invoice(s), "
                         f"credit available {m(r.credit_available)}, overpaid {m(r.overpaid)}")
            if r.unpaid_invoices:
                lines.append(f"    oldest unpaid due {r.oldest_due_date} ({r.days_past_due} days past due)")
                lines.append(f"    aging: current {m(r.current)}, 1-30 {m(r.days_1_30)}, 31-60 "
                             f"{m(r.days_31_60)}, 61-90 {m(r.days_61_90)}, 90+ {m(r.days_over_90)}")
        print("\n".join(lines))
    else:
        print(_frame_table(df[["account_id", "currency", "unpaid_debits", "credit_available", "overpaid",
                               "net_receivable", "oldest_due_date", "days_over_90"]]))
    if args.out:
        print(f"balances written to {write(df, args.out)}", file=sys.stderr)
    return EXIT_OK


def cmd_statement(args) -> int:
    from .ledger import Ledger

    with Ledger(args.ledger, read_only=True) as lg:
        st = lg.statement(args.account, args.start, args.end)
    name = f" ({st.account_name})" if st.account_name else ""
    print(f"statement of {st.account_id}{name}, {st.start} to {st.end}")
    if st.summary.empty:
        print("  no invoices of this account by the end of the period")
    for s in st.summary.itertuples():
        print(f"\n{s.currency}: opening {_money(s.opening_balance, s.currency)}, closing "
              f"{_money(s.closing_balance, s.currency)} = balance as of {st.end} "
              f"{_money(s.balance_at_end, s.currency)} (difference {_money(s.difference, s.currency)})")
        print(_frame_table(st.lines(s.currency).drop(columns=["currency", "detail"]), s.currency))
        a = st.aging[st.aging["currency"] == s.currency].iloc[0]
        if a.unpaid_debits:
            print(f"  unpaid at {st.end}: current {_money(a.current, s.currency)}, 1-30 "
                  f"{_money(a.days_1_30, s.currency)}, 31-60 {_money(a.days_31_60, s.currency)}, 61-90 "
                  f"{_money(a.days_61_90, s.currency)}, 90+ {_money(a.days_over_90, s.currency)}")
    if args.out:
        st.write(args.out)
        print(f"statement written to {st.paths['html'].parent}/ ({st.paths['html'].name}, "
              f"{st.paths['xlsx'].name}, 3 CSV files)", file=sys.stderr)
    if not st.ties:
        print("the closing balance does NOT equal the balance as of the end: see the difference",
              file=sys.stderr)
    return EXIT_OK if st.ties else EXIT_DIFFERENCES


def cmd_export(args) -> int:
    from .ledger import Ledger

    with Ledger(args.ledger, read_only=True) as lg:
        paths = lg.export(args.out, args.format)
    for p in paths:
        print(p)
    return EXIT_OK


def cmd_report(args) -> int:
    from .ledger import Ledger
    from .progress import Terminal

    with Ledger(args.ledger, read_only=True) as lg:
        rep = lg.report(args.period, gl=args.gl)
    for line in rep.headline():
        print(line)
    if args.out:
        progress = Terminal()
        rep.write(args.out, progress=progress)
        print(f"report written to {rep.paths['html'].parent}/ ({rep.paths['html'].name}, "
              f"{rep.paths['xlsx'].name}, {len(rep.tables)} CSV files)", file=sys.stderr)
    return rep.exit_code


def cmd_close(args) -> int:
    from .ledger import Ledger

    with Ledger(args.ledger) as lg:
        done = lg.close(args.period, args.by, reviewed_by=args.reviewed_by)
    reviewed = f", reviewed by {done['reviewed_by']}" if done["reviewed_by"] else ""
    print(f"{done['period']} closed by {done['closed_by']} on {done['closed_at']:%Y-%m-%d %H:%M}"
          f"{reviewed}; report digest {done['digest'][:16]}")
    return EXIT_OK


def cmd_review(args) -> int:
    from .ledger import Ledger

    with Ledger(args.ledger) as lg:
        done = lg.review(args.period, args.by)
    print(f"{done['period']} reviewed by {done['reviewed_by']} on {done['reviewed_at']:%Y-%m-%d %H:%M}")
    return EXIT_OK


def cmd_reopen(args) -> int:
    from .ledger import Ledger

    with Ledger(args.ledger) as lg:
        done = lg.reopen(args.period, args.by, args.reason)
    print(f"{done['period']} reopened by {done['reopened_by']}: {done['reason']}")
    return EXIT_OK


def cmd_periods(args) -> int:
    from .ledger import Ledger

    with Ledger(args.ledger, read_only=True) as lg:
        months = lg.periods()
    if months.empty:
        print("no activity in the ledger yet")
        return EXIT_OK
    for r in months.itertuples():
        who = ""
        if r.state == "closed":
            who = f"  closed {r.closed_at:%Y-%m-%d} by {r.closed_by}"
            who += f", reviewed by {r.reviewed_by}" if isinstance(r.reviewed_by, str) else ", not reviewed"
        print(f"{r.period}  {r.state:<6}  {r.facts:>8,} facts{who}")
    return EXIT_OK


def cmd_upgrade(args) -> int:
    from .ledger import Ledger

    with Ledger(args.ledger):  # opening for writing upgrades the layout (db.py)
        pass
    print(f"ledger {_path(args)} is up to date")
    return EXIT_OK


def cmd_demo(args) -> int:
    from .demo import run_demo

    return run_demo(args.out, args.data)


COMMANDS = {
    "init": cmd_init,
    "import": cmd_import,
    "add-currency": cmd_add_currency,
    "credit": cmd_credit,
    "apply": cmd_apply,
    "show": cmd_show,
    "void": cmd_void,
    "cancel": cmd_cancel,
    "link": cmd_link,
    "unlink": cmd_unlink,
    "remove-items": cmd_remove_items,
    "refund": cmd_refund,
    "balance": cmd_balance,
    "statement": cmd_statement,
    "export": cmd_export,
    "compare": cmd_compare,
    "match": cmd_match,
    "report": cmd_report,
    "close": cmd_close,
    "review": cmd_review,
    "reopen": cmd_reopen,
    "periods": cmd_periods,
    "upgrade": cmd_upgrade,
    "demo": cmd_demo,
}


# -- output helpers -------------------------------------------------------------------------------

WIDTH = 100


def _path(args):
    from .ledger import resolve_path

    return resolve_path(args.ledger)


def _counts(counts: dict[str, int]) -> str:
    text = ", ".join(f"{n:,} {t}" for t, n in counts.items() if n and t != "payments_as_refunds")
    if counts.get("payments_as_refunds"):
        text += (f" ({counts['payments_as_refunds']:,} payment(s) on credit invoices taken as refunds:"
                 " money paid back from the credit)")
    return text


def _money(value, currency: str) -> str:
    from .formats import money

    return money(value, currency, code=True)


#: free-text columns, which may wrap in a terminal table
WRAPPABLE = ("description", "reason", "memo", "detail", "meaning", "fix", "value")


def _frame_table(df: pd.DataFrame, currency: str | None = None) -> str:
    """A frame as text: labels, money with the row's currency (its ``currency`` column) or
    ``currency``, quantities exact, numbers right-aligned, fitted to 100 columns."""
    from .display import as_text, numeric_columns
    from .formats import label

    text = as_text(df, currency)
    numeric = {j for j, c in enumerate(df.columns) if c in set(numeric_columns(df))}
    headers = [label(c) for c in df.columns]
    rows = text.astype(str).values.tolist()
    # the widest free-text column wraps when a line would pass 100 columns; ids never do
    # (a wrapped invoice number cannot be copied or searched)
    texts = [j for j, c in enumerate(df.columns) if j not in numeric and c in WRAPPABLE]
    wrap = max(texts, key=lambda j: max([len(headers[j])] + [len(r[j]) for r in rows])) if texts else None
    return text_table(headers, rows, numeric=numeric, wrap=wrap)


def text_table(headers: list[str], rows: list[list[str]], *, numeric=frozenset(), wrap: int | None = None,
               notes: list[str] | None = None, width: int = WIDTH) -> str:
    """Rows as aligned text, two spaces apart and indented by two; column ``wrap`` (free
    text) wraps so a line fits ``width``; ``notes[i]`` is printed under row i."""
    import textwrap

    widths = [max([len(h)] + [len(r[j]) for r in rows]) for j, h in enumerate(headers)]
    if wrap is not None:
        others = sum(w for j, w in enumerate(widths) if j != wrap) + 2 * len(widths)
        widths[wrap] = max(min(widths[wrap], width - others), 12)

    def line(cells: list[list[str]]) -> list[str]:
        height = max(len(c) for c in cells)
        out = []
        for k in range(height):
            parts = [(c[k] if k < len(c) else "") for c in cells]
            out.append("  " + "  ".join(p.rjust(widths[j]) if j in numeric else p.ljust(widths[j])
                                        for j, p in enumerate(parts)).rstrip())
        return out

    def cells(values: list[str]) -> list[list[str]]:
        return [textwrap.wrap(v, widths[j]) or [""] if j == wrap else [v] for j, v in enumerate(values)]

    out = line(cells(headers))
    indent = "  " + " " * (sum(widths[: (wrap or 0)]) + 2 * (wrap or 0))
    for i, r in enumerate(rows):
        out += line(cells(r))
        if notes and notes[i]:
            out += textwrap.wrap(notes[i], width, initial_indent=indent, subsequent_indent=indent)
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    """Run one command; the exit code of SPEC §4 (0, 1, 2; 3 only for a defect)."""
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _QuietPipe(out), _QuietPipe(err)
    try:
        return _run(argv)
    finally:
        sys.stdout, sys.stderr = out, err


def _run(argv: list[str] | None) -> int:
    try:
        words = sys.argv[1:] if argv is None else argv
        args = build_parser(words[0] if words and words[0] in COMMANDS else None).parse_args(argv)
    except UsageError as exc:
        print(f"recon: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except SystemExit as exc:  # --help: argparse printed it
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    from .db import default_wait

    try:
        with default_wait(args.wait):
            return COMMANDS[args.command](args)
    except ReconError as exc:
        print(f"recon {args.command}: {exc.summary()}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"recon {args.command}: interrupted; nothing was changed by the unfinished step",
              file=sys.stderr)
        return 130
    except Exception as exc:  # a defect, not bad input: one line, the trace on request
        if os.environ.get("RECON_DEBUG"):
            raise
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        print(f"recon {args.command}: internal error {type(exc).__name__}: {first} "
              "(nothing was changed; rerun with RECON_DEBUG=1 for details and report it)",
              file=sys.stderr)
        return 3


class _QuietPipe:
    """A stream whose reader may go away (``recon show X | head``): once a write meets a
    closed pipe, the rest of the output is dropped and the command goes on to its own
    exit code. The file descriptor is pointed at /dev/null too, so that the interpreter's
    last flush at exit cannot fail either (the recipe of Python's signal documentation:
    a CLI does not print a BrokenPipeError traceback)."""

    def __init__(self, stream):
        self._stream = stream
        self._closed = False

    def write(self, text: str) -> int:
        if not self._closed:
            try:
                return self._stream.write(text)
            except BrokenPipeError:
                self._drop()
        return len(text)

    def flush(self) -> None:
        if not self._closed:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._drop()

    def _drop(self) -> None:
        self._closed = True
        _to_devnull(self._stream)

    def __getattr__(self, name):
        return getattr(self._stream, name)


def _to_devnull(stream) -> None:
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (pytest's capture)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


# commands that read files through DuckDB (db.scratch)
_READS_FILES = {"init", "import", "apply", "cancel", "compare", "match", "remove-items", "refund"}


def run() -> None:
    """The `recon` command: main(), then a quick exit.

    Once the command is done (its ledger closed, its output flushed, atexit's handlers
    run, db.before_exit), the process leaves with os._exit: tearing the interpreter down
    frees every object of pandas, pyarrow, DuckDB and a large run's frames one by one,
    0.3-0.5 s after a 1M-row import or apply that nothing needs (benchmarks/RESULTS.md)."""
    import atexit
    import threading

    if len(sys.argv) > 1 and not {"-h", "--help", "--version"} & set(sys.argv[1:]):
        from .db import warm_up
        from .money import known_currencies

        # a command that opens a ledger: DuckDB starts while the rest loads, then ISO
        # 4217's table (13-45 ms: the package parses its XML), which money printed needs
        warm_up(files=sys.argv[1] in _READS_FILES, then=known_currencies)
    code = main()
    _flush()
    if any(t.is_alive() and not t.daemon for t in threading.enumerate() if t is not threading.main_thread()):
        sys.exit(code)  # a thread still working: the interpreter waits for it, as ever
    from .db import before_exit

    atexit._run_exitfuncs()  # what registered to run at exit still runs (weakref.finalize too)
    before_exit()
    _flush()  # anything the exit handlers printed
    os._exit(code)


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:  # what is still buffered goes out now, while a closed pipe can be handled
            stream.flush()
        except BrokenPipeError:
            _to_devnull(stream)
        except ValueError:  # closed by the command itself: nothing left to write
            pass


if __name__ == "__main__":
    run()
