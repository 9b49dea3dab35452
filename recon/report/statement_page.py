"""Writing an account's statement (recon.statement): a printable HTML page, a workbook and
CSV files, the way the month-end report is written (render.py): the page and the
workbook for people (labels, money in the currency's decimals, the account and the
period in the header, A4 portrait when printed), the CSV files for machines (the
columns' own names, plain amounts, text that a spreadsheet would run quoted).
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd

from .. import formats
from ..excel import Book, write_sheet
from .render import CSS, _is_money, _table_html, _when, write_csv

#: the report's styles, printed on A4 portrait (a statement is narrow and long)
STATEMENT_CSS = CSS + """
h3{font-size:15px;margin:14px 0 4px}
@page{size:A4 portrait;margin:14mm 12mm}
@media print{section.cur{break-before:auto}section.cur+section.cur{break-before:page}}
"""
SUMMARY_ROWS = ("opening_balance", "invoiced", "credited", "payments", "refunds", "voids",
                "closing_balance", "balance_at_end", "difference", "credits_applied")
MEANING = ("The balance is what the customer owes: unpaid invoices less credit still available "
           "and less overpayments; a negative balance is owed to the customer. Applying a credit "
           "to an invoice moves no money, so it leaves the balance as it is (column Credit applied).")


def stem(st) -> str:
    """The files' common name: statement-<account>-<from>-<to> (the account made file-safe)."""
    account = re.sub(r"[^A-Za-z0-9._-]+", "_", st.account_id).strip("._") or "account"
    return f"statement-{account}-{st.start}-{st.end}"


def write(st, out: Path) -> dict[str, Path]:
    from ..errors import BadInput

    base = stem(st)
    paths: dict[str, Path] = {}
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, df in (("lines", st.lines()), ("summary", st.summary), ("aging", st.aging)):
            paths[name] = out / f"{base}-{name}.csv"
            write_csv(df, paths[name])
        paths["xlsx"] = out / f"{base}.xlsx"
        write_xlsx(st, paths["xlsx"])
        paths["html"] = out / f"{base}.html"
        paths["html"].write_text(html_page(st), encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"cannot write the statement to {out}: {exc.strerror or exc}; choose a folder "
                       "you can write to with --out") from None
    return paths


def facts(st) -> list[tuple[str, str]]:
    """The header: whose statement, for which period, from which ledger, when."""
    account = st.account_id + (f" ({st.account_name})" if st.account_name else "")
    owed = []
    for s in st.summary.itertuples():
        amount = formats.money(abs(s.closing_balance), s.currency, code=True)
        owed.append(f"{amount} owed by the customer" if s.closing_balance > 0 else
                    f"{amount} owed to the customer" if s.closing_balance < 0 else
                    f"nothing owed in {s.currency}")
    rows = [("Account", account), ("Period", f"{st.start} to {st.end}"),
            ("Balance at the end", "; ".join(owed) or "no invoices"),
            ("Ledger", str(st.meta.get("ledger", ""))),
            ("Generated at", _when(st.meta.get("generated_at"))),
            ("recon version", str(st.meta.get("version", "")))]
    return [(k, v) for k, v in rows if v]


def _summary_rows(st, currency: str) -> pd.DataFrame:
    s = st.summary[st.summary["currency"] == currency].iloc[0]
    return pd.DataFrame({"figure": [formats.label(c) for c in SUMMARY_ROWS],
                         "amount": [formats.money(s[c], currency) for c in SUMMARY_ROWS]})


def _e(text) -> str:
    return html.escape(str(text))


def html_page(st) -> str:
    title = f"Statement of account {st.account_id}, {st.start} to {st.end}"
    head = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in facts(st))
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{_e(title)}</title><style>{STATEMENT_CSS}</style></head><body>",
             f"<h1>Statement of account {_e(st.account_id)}</h1>",
             f'<div class="head"><table class="facts"><tbody>{head}</tbody></table></div>',
             f'<p class="note">{_e(MEANING)}</p>']
    if st.summary.empty:
        parts.append('<p class="note">No invoices of this account by the end of the period.</p>')
    for cur in st.summary["currency"].tolist():
        lines = st.lines(cur).drop(columns="currency")
        edges = lines["event"].isin(["opening balance", "closing balance"]) & lines["invoice_id"].isna()
        summary = _summary_rows(st, cur)
        figures = "".join(f'<tr><th>{_e(f)}</th><td class="num">{_e(a)}</td></tr>'
                          for f, a in zip(summary["figure"], summary["amount"], strict=True))
        aging = st.aging[st.aging["currency"] == cur].drop(columns="currency")
        parts += [f'<section class="cur" id="{_e(cur)}"><h2>{_e(cur)}</h2>',
                  f'<div class="tbl"><table class="facts"><tbody>{figures}</tbody></table></div>',
                  _table_html(lines, totals=edges, currency=cur),
                  f"<h3>Unpaid at {_e(st.end)} by days past due</h3>",
                  _table_html(aging, currency=cur), "</section>"]
    parts.append("</body></html>")
    return "\n".join(parts)


def write_xlsx(st, path: Path) -> None:
    book = Book(path)
    ws = book.add_worksheet("Statement")
    ws.set_column(0, 0, 22)
    ws.set_column(1, 1, 70)
    ws.write_string(0, 0, f"Statement of account {st.account_id}", book.title)
    r = 2
    for k, v in facts(st):
        ws.write_string(r, 0, k, book.bold)
        ws.write_string(r, 1, v)
        r += 1
    ws.write_string(r + 1, 0, MEANING)
    ws.set_paper(9)
    ws.fit_to_pages(1, 1)
    ws.activate()
    # the opening and closing rows stay in place among the lines (a totals row would move
    # them below the data)
    for sheet, df in (("Lines", st.lines()), ("Summary", st.summary), ("Aging", st.aging)):
        money = tuple(c for c in df.columns if _is_money(df[c].dtype))
        write_sheet(book, sheet, df, df["currency"], money, headers=[formats.label(c) for c in df.columns],
                    empty_note="nothing in this period")
    book.close()
