"""The ``recon`` command line: thin over :class:`recon.Ledger` (SPEC §4).

``main(argv) -> int``; one table from command to handler; every expected failure is a
ReconError caught in one place and printed as one clear line (exit 2: nothing changed).
"""

from __future__ import annotations

import argparse
import os
import sys
from decimal import Decimal

import pandas as pd

from .amounts import Amount
from .errors import EXIT_OK, ReconError
from .ledger import Ledger, init


def _ledger_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--ledger", default=None, metavar="PATH",
                   help="the ledger file (DuckDB); default: $RECON_LEDGER")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="recon", description="Credit invoices and reconcile a billing ledger.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("init", help="create a ledger, optionally importing a folder")
    _ledger_arg(p)
    p.add_argument("--from", dest="source", metavar="DIR", help="import this folder's files")
    p.add_argument("--mapping", metavar="TOML", help="column names and number/date formats of the export")

    p = sub.add_parser("import", help="import invoices, items, payments and links from a folder")
    _ledger_arg(p)
    p.add_argument("directory", metavar="DIR")
    p.add_argument("--mapping", metavar="TOML", help="column names and number/date formats of the export")

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
    p.add_argument("debit", metavar="DEBIT_ID")
    p.add_argument("--item", action="append", default=[], metavar="ITEM_ID[=QTY|=@AMOUNT]",
                   help="an item to credit: a quantity, @ and a net amount, or nothing for all "
                        "that is left; repeatable")
    p.add_argument("--gross", action="store_true", help="read the @AMOUNTs as tax-inclusive")
    p.add_argument("--percent", metavar="P",
                   help="credit P %% of the original net of each --item (or of every item)")
    p.add_argument("--reason")
    p.add_argument("--memo")
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
    p.add_argument("invoice", metavar="INVOICE_ID")

    p = sub.add_parser("void", help="void a credit invoice and restore its debits")
    _ledger_arg(p)
    p.add_argument("credit", metavar="CREDIT_ID")

    p = sub.add_parser("cancel", help="credit the unused days of cancelled services from a file")
    _ledger_arg(p)
    p.add_argument("file", metavar="FILE", help="item_id, cancelled_on[, quantity][, reason] (.csv, .parquet, .xlsx)")
    p.add_argument("--date", metavar="YYYY-MM-DD", help="credit invoice date (default: today)")
    p.add_argument("--mapping", metavar="TOML", help="column names and number/date formats of the file")
    p.add_argument("--dry-run", action="store_true", help="show what would be created, save nothing")

    p = sub.add_parser("link", help="apply an available credit to an unpaid debit invoice")
    _ledger_arg(p)
    p.add_argument("credit", metavar="CREDIT_ID")
    p.add_argument("debit", metavar="DEBIT_ID")
    p.add_argument("--amount", metavar="X", help="default: the smaller of the debit's unpaid amount and the credit available")
    p.add_argument("--date", metavar="YYYY-MM-DD", help="link date (default: today)")

    p = sub.add_parser("unlink", help="end the links between a credit and a debit invoice")
    _ledger_arg(p)
    p.add_argument("credit", metavar="CREDIT_ID")
    p.add_argument("debit", metavar="DEBIT_ID")
    p.add_argument("--date", metavar="YYYY-MM-DD", help="unlink date (default: today)")

    p = sub.add_parser("remove-items", help="remove items from a manual credit invoice without links")
    _ledger_arg(p)
    p.add_argument("credit", metavar="CREDIT_ID")
    p.add_argument("items", metavar="ITEM_ID", nargs="+")

    p = sub.add_parser("export", help="write the ledger's tables to a folder")
    _ledger_arg(p)
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--format", default="csv", choices=["csv", "parquet", "xlsx"])

    p = sub.add_parser("report", help="month-end reconciliation report (workbook, CSV, HTML)")
    _ledger_arg(p)
    p.add_argument("--period", required=True, metavar="YYYY-MM", help="the calendar month to close")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the report's files")
    p.add_argument("--gl", metavar="FILE",
                   help="general-ledger receivable balances (currency[, account_id], balance) to reconcile")

    p = sub.add_parser("demo", help="the main job on the bundled sample data")
    p.add_argument("--out", default="recon-demo", metavar="DIR", help="output folder (default: ./recon-demo)")
    p.add_argument("--data", default=None, metavar="DIR", help="sample data folder (default: the bundled data/)")
    return parser


# -- handlers -------------------------------------------------------------------------------


def cmd_init(args) -> int:
    counts = init(_path(args), args.source, args.mapping)
    print(f"ledger {_path(args)} ready" + (f"; imported {_counts(counts)}" if counts else ""))
    return EXIT_OK


def cmd_import(args) -> int:
    with Ledger(args.ledger) as lg:
        counts = lg.import_dir(args.directory, args.mapping)
    print(f"imported {_counts(counts)}")
    return EXIT_OK


def cmd_credit(args) -> int:
    items = {}
    for spec in args.item:
        item, sep, qty = spec.partition("=")
        if not item.strip():
            raise ReconError(f"--item {spec!r}: give ITEM_ID, ITEM_ID=QUANTITY or ITEM_ID=@AMOUNT")
        if item.strip() in items:
            raise ReconError(f"--item {item.strip()} given twice; name each item once with its total "
                             "quantity or amount")
        qty = qty.strip()
        items[item.strip()] = (Amount(qty[1:]) if qty.startswith("@") else qty) if sep else None
    periods = {}
    for spec in args.period:
        item, _, span = spec.partition("=")
        start, sep, end = span.partition("..")
        if not item.strip() or not sep:
            raise ReconError(f"--period {spec!r}: give ITEM_ID=YYYY-MM-DD..YYYY-MM-DD")
        periods[item.strip()] = (start.strip() or None, end.strip() or None)
    with Ledger(args.ledger) as lg:
        res = lg.credit(args.debit, items or None, percent=args.percent, gross=args.gross,
                        reason=args.reason, memo=args.memo,
                        date=args.date, into=args.into, allow_paid=args.allow_paid,
                        dry_run=args.dry_run, periods=periods or None)
    if args.dry_run:
        cur = res.credits["currency"].iloc[0]
        print("dry run, nothing saved; would create:", file=sys.stderr)
        print(_table(res.items[["credit_invoice_id", "credited_item_id", "quantity", "net_amount",
                                "tax_amount", "amount"]], cur), file=sys.stderr)
        print(_table(res.preview(), cur), file=sys.stderr)
    else:
        for _, d in res.debits.iterrows():
            print(f"{d.debit_invoice_id}: unpaid {_money(d.unpaid_before, d.currency)} -> "
                  f"{_money(d.unpaid_after, d.currency)}, {d.status_after}", file=sys.stderr)
    print(res.credit_invoice_id)
    return EXIT_OK


def cmd_apply(args) -> int:
    from .bulk import Progress

    print(f"recon apply: {args.file}", file=sys.stderr)
    with Ledger(args.ledger) as lg:
        res = lg.apply(args.file, mapping=args.mapping, dry_run=args.dry_run,
                       batch_id=args.batch_id, rejects=args.rejects, progress=Progress(),
                       allow_paid=args.allow_paid, sum_repeats=args.sum_repeats)
    if res.already_applied:
        print(f"recon apply: {res.summary()}", file=sys.stderr)
        return EXIT_OK
    if args.dry_run:
        print("dry run, nothing saved; would create:")
        print(_head(_money_frame(res.preview())))
        print(_head(res.items[["credit_invoice_id", "debit_invoice_id", "credited_item_id", "quantity",
                               "net_amount", "tax_amount", "amount", "currency"]]))
        changed = res.debits[res.debits["status_before"] != res.debits["status_after"]]
        print("debit invoices whose status changes:")
        print(_head(changed[["debit_invoice_id", "status_before", "status_after", "unpaid_before",
                             "unpaid_after", "currency"]]) if len(changed) else "  (none)")
    print(f"recon apply: {res.summary()}", file=sys.stderr)
    print(res.batch_id)
    return EXIT_OK


def _money_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A frame with a currency column, its money as text with each row's own decimals."""
    from .money import format_money

    out = df.copy()
    for c in (c for c in df.columns if c in MONEY_NAMES + PREVIEW_MONEY):
        out[c] = [("" if v is None or pd.isna(v) else format_money(Decimal(str(v)), cur))
                  for v, cur in zip(df[c], df["currency"], strict=True)]
    return out


def _head(df: pd.DataFrame, n: int = 20) -> str:
    text = _table(df.head(n))
    return text + (f"\n  … and {len(df) - n} more" if len(df) > n else "")


def cmd_show(args) -> int:
    with Ledger(args.ledger, read_only=True) as lg:
        parts = lg.show(args.invoice)
    head = parts["invoice"].iloc[0]
    cur = head.currency
    print(f"{head.invoice_id}  {head.type} invoice of {head.account_id}, {head.invoice_date}, {cur}")
    for label, key in (("status", "status"), ("origin", "origin"), ("reason", "reason"),
                       ("memo", "memo"), ("due", "due_date"), ("voided on", "voided_on")):
        v = head[key]
        if v is not None and not pd.isna(v):
            print(f"  {label:<9} {v}")
    print(f"  total     {_money(head.total, cur)}")
    print(f"  unpaid    {_money(head.unpaid_amount, cur)}")
    print("\nitems")
    print(_table(parts["items"], cur))
    if len(parts["payments"]):
        print("\npayments")
        print(_table(parts["payments"], cur))
    print("\nlinks")
    print(_table(parts["links"], cur) if len(parts["links"]) else "  (none)")
    return EXIT_OK


def cmd_void(args) -> int:
    with Ledger(args.ledger) as lg:
        changed = lg.void(args.credit)
    for _, r in changed.iterrows():
        print(f"{r.invoice_id}: {r.status_before} -> {r.status_after}, unpaid "
              f"{_money(r.unpaid_before, r.currency)} -> {_money(r.unpaid_after, r.currency)}")
    return EXIT_OK


def cmd_cancel(args) -> int:
    with Ledger(args.ledger) as lg:
        res = lg.cancel(args.file, date=args.date, dry_run=args.dry_run, mapping=args.mapping)
    if args.dry_run:
        print("dry run, nothing saved; would create:", file=sys.stderr)
    if len(res.items):
        print(_table(res.items[["credit_invoice_id", "credited_item_id", "cancelled_on", "quantity",
                                "net_amount", "tax_amount", "amount", "currency"]]), file=sys.stderr)
    for _, r in res.links.iterrows():
        print(f"{r.credit_invoice_id} linked to {r.debit_invoice_id}: {_money(r.amount, r.currency)}",
              file=sys.stderr)
    verb = "would create" if args.dry_run else "created"
    done = f"; {len(res.skipped)} row(s) already credited, skipped" if len(res.skipped) else ""
    nothing = " (nothing changed)" if not len(res.credits) else ""
    print(f"{verb} {len(res.credits)} cancellation credit invoice(s){done}{nothing}", file=sys.stderr)
    for credit_id in res.credit_invoice_ids:
        print(credit_id)
    return EXIT_OK


def cmd_link(args) -> int:
    with Ledger(args.ledger) as lg:
        changed = lg.link(args.credit, args.debit, args.amount, date=args.date)
    _print_changes(changed)
    return EXIT_OK


def cmd_unlink(args) -> int:
    with Ledger(args.ledger) as lg:
        changed = lg.unlink(args.credit, args.debit, date=args.date)
    _print_changes(changed)
    return EXIT_OK


def cmd_remove_items(args) -> int:
    with Ledger(args.ledger) as lg:
        left = lg.remove_items(args.credit, args.items)
        head = lg.invoice(args.credit).iloc[0]
    print(f"{args.credit}: {len(left)} item(s) left, total {_money(head.total, head.currency)}, {head.status}")
    return EXIT_OK


def _print_changes(changed: pd.DataFrame) -> None:
    for _, r in changed.iterrows():
        print(f"{r.invoice_id}: {r.status_before} -> {r.status_after}, unpaid "
              f"{_money(r.unpaid_before, r.currency)} -> {_money(r.unpaid_after, r.currency)}")


def cmd_export(args) -> int:
    with Ledger(args.ledger, read_only=True) as lg:
        paths = lg.export(args.out, args.format)
    for p in paths:
        print(p)
    return EXIT_OK


def cmd_report(args) -> int:
    with Ledger(args.ledger, read_only=True) as lg:
        rep = lg.report(args.period, out=args.out, gl=args.gl)
    print(f"report written to {rep.paths['html'].parent}/ ({rep.paths['html'].name}, "
          f"{rep.paths['xlsx'].name}, {len(rep.tables)} CSV files)")
    for line in rep.headline():
        print(line)
    return rep.exit_code


def cmd_demo(args) -> int:
    from .demo import run_demo

    return run_demo(args.out, args.data)


COMMANDS = {
    "init": cmd_init,
    "import": cmd_import,
    "credit": cmd_credit,
    "apply": cmd_apply,
    "show": cmd_show,
    "void": cmd_void,
    "cancel": cmd_cancel,
    "link": cmd_link,
    "unlink": cmd_unlink,
    "remove-items": cmd_remove_items,
    "export": cmd_export,
    "report": cmd_report,
    "demo": cmd_demo,
}


# -- output helpers -------------------------------------------------------------------------------


def _path(args):
    from .ledger import resolve_path

    return resolve_path(args.ledger)


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {t}" for t, n in counts.items() if n)


def _money(value, currency: str) -> str:
    from .money import format_money

    return f"{format_money(Decimal(str(value)), currency)} {currency}"


MONEY_NAMES = ("net_amount", "tax_amount", "amount", "total", "unpaid_amount")
# the money of CreditResult.preview()
PREVIEW_MONEY = ("net", "tax", "unpaid_before", "unpaid_after", "linked", "available")


def _table(df: pd.DataFrame, currency: str | None = None) -> str:
    """A frame as text: money with the currency's decimals, quantities without trailing zeros."""
    from .money import format_money, plain_decimal

    def cell(v, money: bool):
        if v is None or (not isinstance(v, str) and pd.isna(v)):
            return ""
        if isinstance(v, Decimal):
            if money and currency:
                return format_money(v, currency)
            return plain_decimal(v)
        return str(v)

    out = df.copy()
    for c in out.columns:
        out[c] = [cell(v, c in MONEY_NAMES + PREVIEW_MONEY) for v in out[c]]
    return out.to_string(index=False)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
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


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
