"""Writing a report: an Excel workbook, one CSV per table, one self-contained HTML page.

Every decimal column of a report table is money in the row's currency (the table's
``currency`` column) and is shown with exactly that currency's decimals. The CSV files
are for machines: the tables' own column names, amounts without separators. The page
and the workbook are for people: labels ("Opening unpaid"), amounts as money
(``recon.formats``), a header that says what the report is (period, ledger, when, which
recon, GL given or not) and a sign-off block (prepared by, reviewed by, close state).

Text is never run as a formula by a spreadsheet: the workbook writes it as inline
strings, and the CSV files put a single quote before a text cell that starts with
= + - @ (amounts and counts are numbers, not text, and are written as they are). The
HTML page escapes every value and needs no network: inline CSS, charts as inline SVG
(charts.py); printed, it is A4 landscape, a section a page, nothing cut.
"""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .. import formats
from ..display import as_text, numeric_columns
from ..excel import Book, write_sheet
from . import charts

TEXT = pd.ArrowDtype(pa.string())
#: a leading character with which a spreadsheet would start a formula
FORMULA_START = r"^[=+\-@\t\r]"

TITLES = {
    "summary": "Summary per currency",
    "rollforward": "AR roll-forward",
    "credits_issued": "Credits issued in the period",
    "credits_by_reason": "Credits issued by reason",
    "credits_by_origin": "Credits issued by origin",
    "credits_by_account": "Credits issued by account",
    "links": "Credit ↔ debit links made or undone in the period",
    "aging": "Aging of unpaid debit invoices at period end",
    "aging_detail": "Unpaid debit invoices at period end",
    "unapplied_credits": "Unapplied credits at period end",
    "credit_rollforward": "Credit balances roll-forward",
    "refunds": "Refunds in the period",
    "exceptions": "Exceptions: rules the ledger breaks",
    "gl": "Subledger vs general ledger",
}
#: the workbook's sheet names (at most 31 characters)
SHEETS = {
    "summary": "Summary", "rollforward": "Roll-forward", "credits_issued": "Credits issued",
    "credits_by_reason": "Credits by reason", "credits_by_origin": "Credits by origin",
    "credits_by_account": "Credits by account", "links": "Links", "aging": "Aging",
    "aging_detail": "Aging detail", "unapplied_credits": "Unapplied credits",
    "credit_rollforward": "Credit roll-forward", "refunds": "Refunds",
    "exceptions": "Exceptions", "gl": "GL",
}
#: what a section shows, in a sentence, where the title alone may not say it
NOTES = {
    "rollforward": "Opening unpaid + movements = closing unpaid, which must equal the unpaid "
                   "debit invoices at period end (difference 0).",
    "aging": "Unpaid debit invoices at period end by days past due; the total equals closing unpaid.",
    "unapplied_credits": "Credit invoices whose amount is still available (not applied to a debit).",
    "credit_rollforward": "Opening available credit + issued (items by the day they took effect, less "
                          "items removed) − applied + unapplied − refunded − voided = closing available, "
                          "which must equal the credit available at period end (difference 0).",
    "refunds": "Money paid back to customers from the available amount of credit invoices.",
    "exceptions": "Rules of the ledger the data breaks, checked on the ledger as it is today.",
    "gl": "The subledger's receivable (unpaid debits − credit still available, which refunds "
          "lower, − overpaid) against the GL.",
}
#: rows of a table that are totals of the rows above them
TOTAL_ROWS = {"aging": ("bucket", "total")}
#: columns of free text, which wrap on the page (ids, dates and amounts never do)
FREE_TEXT = ("reason", "memo", "meaning", "detail", "description", "fix", "account_name")
EMPTY = "nothing in this period"
HTML_ROW_LIMIT = 500
#: a table with more rows scrolls in its own box on screen, its header staying in view
LONG_TABLE = 30
TABLE_ORDER_HTML = ("rollforward", "credit_rollforward", "exceptions", "gl", "aging",
                    "credits_by_reason", "credits_by_origin", "credits_by_account",
                    "unapplied_credits", "refunds", "links", "credits_issued", "aging_detail")


def _is_money(dtype) -> bool:
    return isinstance(dtype, pd.ArrowDtype) and pa.types.is_decimal(dtype.pyarrow_dtype)


def _totals(name: str, df: pd.DataFrame) -> pd.Series | None:
    if name not in TOTAL_ROWS or df.empty:
        return None
    col, value = TOTAL_ROWS[name]
    return (df[col] == value).fillna(False).astype(bool)


# -- machine text (CSV) ---------------------------------------------------------------------------


def money_text(values: pd.Series, currencies: pd.Series, digits=None) -> pd.Series:
    """Decimal amounts as plain text with their currency's decimals (12.50 EUR, 1500 JPY);
    ``digits``: the rows' currency digits when the caller has them already."""
    arr = pc.cast(pa.array(values.array), pa.decimal128(38, 3))
    digits = formats.digits_array(currencies, len(arr)) if digits is None else digits
    out = pa.nulls(len(arr), pa.string())
    for d in sorted(set(digits.tolist())):
        rounded = pc.round(arr, d, round_mode="half_towards_infinity")
        text = pc.cast(pc.cast(rounded, pa.decimal128(38, d)), pa.string())
        out = pc.if_else(pa.array(digits == d), text, out)
    return pd.Series(out, index=values.index, dtype=TEXT)


def money_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Every cell as text; money with the row's currency decimals. Column-wise, no row loop."""
    cur = df["currency"] if "currency" in df.columns else None
    digits = formats.digits_array(cur, len(df))
    out = {}
    for c in df.columns:
        s = df[c]
        if _is_money(s.dtype):
            out[c] = money_text(s, cur, digits)
        else:
            arr = pa.array(s.array) if isinstance(s.dtype, pd.ArrowDtype) else pa.array(s.astype(object))
            out[c] = pd.Series(pc.cast(arr, pa.string()), index=df.index, dtype=TEXT)
    return pd.DataFrame(out, index=df.index, columns=df.columns)


def csv_safe(df: pd.DataFrame) -> pd.DataFrame:
    """money_frame, with a quote before text cells that a spreadsheet would run."""
    text = money_frame(df)
    for c in df.columns:
        dtype = df[c].dtype
        if isinstance(dtype, pd.ArrowDtype) and pa.types.is_string(dtype.pyarrow_dtype):
            arr = pa.array(text[c].array)
            risky = pc.fill_null(pc.match_substring_regex(arr, FORMULA_START), False)
            quoted = pc.binary_join_element_wise("'", arr, "")
            text[c] = pd.Series(pc.if_else(risky, quoted, arr), index=df.index, dtype=TEXT)
    return text


def write_csv(df: pd.DataFrame, path: Path) -> None:
    """csv_safe's text, written by DuckDB (quotes only where a value needs them)."""
    import duckdb

    text = csv_safe(df)
    table = pa.table({c: pa.array(text[c].array, type=pa.string()) for c in text.columns})
    with duckdb.connect() as con:
        con.execute("SET enable_progress_bar = false")  # DuckDB's own bar on stderr (STACK_NOTES)
        con.register("report_table", table)
        target = str(path).replace("'", "''")
        con.execute(f"COPY report_table TO '{target}' (HEADER, DELIMITER ',')")


def write_all(rep, out: Path, progress=None) -> dict[str, Path]:
    tell = progress or (lambda step: None)
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    stem = f"recon-report-{rep.period}"
    for name, df in rep.tables.items():
        p = out / f"{stem}-{name}.csv"
        write_csv(df, p)
        paths[name] = p
    tell("CSV files written")
    paths["xlsx"] = out / f"{stem}.xlsx"
    write_xlsx(rep, paths["xlsx"])
    tell("workbook written")
    paths["html"] = out / f"{stem}.html"
    paths["html"].write_text(html_page(rep), encoding="utf-8")
    tell("HTML page written")
    return paths


# -- what the header and the sign-off say ----------------------------------------------------------


def _when(value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M %Z").strip()
    return str(value)


def facts(rep) -> list[tuple[str, str]]:
    """The header block: what the report is and how it was made, as (label, text)."""
    meta = getattr(rep, "meta", None) or {}
    gl = ("given" + (f": {meta['gl_file']}" if meta.get("gl_file") else "")) if meta.get("gl_given") \
        else "no GL file given (GL difference not computed)"
    rows = [
        ("Period", f"{rep.period} ({rep.start} to {rep.closing}); opening balances as of {rep.opening}"),
        ("Ledger", str(meta.get("ledger", ""))),
        ("Generated at", _when(meta.get("generated_at"))),
        ("recon version", str(meta.get("version", ""))),
        ("GL file", gl),
        ("Result", "; ".join(text for text, _ in status(rep))),
        ("Close state", close_state(meta)),
    ]
    return [(k, v) for k, v in rows if v]


def status(rep) -> list[tuple[str, bool]]:
    """(what, good) for the roll-forward, the GL and the exceptions."""
    t = rep.tables
    out = [("the roll-forwards tie" if rep.ties else "a roll-forward does NOT tie", rep.ties)]
    if "gl" in t:
        out.append(("GL differs" if rep.gl_differs else "GL agrees", not rep.gl_differs))
    n = len(t["exceptions"])
    out.append((f"{n} exception(s)" if n else "no exceptions", not n))
    return out


def close_state(meta: dict) -> str:
    close = meta.get("close")
    if not close:
        return "open — not closed"
    state = str(close.get("state") or "closed")
    parts = [state]
    if close.get("closed_by") or close.get("closed_at"):
        parts.append(" ".join(p for p in ("by", str(close.get("closed_by") or "?"),
                                          "on", _when(close.get("closed_at")) or "?")))
    if close.get("reviewed_by"):
        parts.append(f"reviewed by {close['reviewed_by']}"
                     + (f" on {_when(close.get('reviewed_at'))}" if close.get("reviewed_at") else ""))
    else:
        parts.append("not yet reviewed")
    if "digest_matches" in close:
        if close.get("digest_matches"):
            parts.append("figures as signed off")
        else:
            changed = ", ".join(map(str, close.get("changed_tables") or [])) or "some tables"
            parts.append(f"FIGURES DIFFER from those signed off ({changed})")
    return "; ".join(parts)


def signoff(meta: dict) -> list[tuple[str, str, str]]:
    """(role, name, date) lines to sign; filled from the close when the month is closed."""
    close = meta.get("close") or {}
    return [("Prepared by", str(close.get("closed_by") or ""), _when(close.get("closed_at"))),
            ("Reviewed by", str(close.get("reviewed_by") or ""), _when(close.get("reviewed_at")))]


def summary_rows(rep) -> tuple[list[str], list[tuple[str, list[str], bool]]]:
    """The summary turned on its side: one column per currency, one row per figure (label,
    the figure as text per currency, numeric)."""
    s = rep.tables["summary"]
    currencies = [str(c) for c in s["currency"].tolist()]
    text = as_text(s)
    has_gl = bool((getattr(rep, "meta", None) or {}).get("gl_given")) or "gl" in rep.tables
    rows = []
    for col in s.columns:
        if col == "currency":
            continue
        values = text[col].tolist()
        if col == "gl_difference" and not has_gl:
            values = ["no GL file"] * len(values)
        rows.append((formats.label(col), values, True))
    return currencies, rows


def headline(rep, width: int = 100) -> list[str]:
    """A few lines per currency and one per problem found, for the command's output
    (each at most ``width`` characters where the figures allow)."""
    import textwrap

    s = rep.tables["summary"]
    text = as_text(s)
    lines = [f"period {rep.period} ({rep.start} .. {rep.closing})"]
    close = rep.meta.get("close")
    if close:
        reviewed = f", reviewed by {close['reviewed_by']}" if close.get("reviewed_by") else ", not reviewed"
        state = ("its tables read as signed off" if close.get("digest_matches")
                 else "CHANGED since the close: " + ", ".join(close.get("changed_tables") or []))
        lines[0] += (f": closed on {close['closed_at']:%Y-%m-%d} by {close['closed_by']}{reviewed};"
                     f" {state}")
    moves = [("issued", "debits_issued"), ("credits applied", "credits_applied"),
             ("credits unlinked", "credits_unlinked"), ("payments", "payments"),
             ("debits voided", "debits_voided"), ("overpayment floor", "overpayment_floor")]
    for (_, t), (_, row) in zip(text.iterrows(), s.iterrows(), strict=True):
        cur = t["currency"]
        pad = " " * (len(cur) + 4)
        # the movements that happened, so the lines add up to the closing balance
        shown = [f"{label} {t[col]}" for label, col in moves
                 if col in ("debits_issued", "credits_applied", "payments") or row[col] != 0]
        lines += _fill([f"opening {t['opening_unpaid']}", *shown, f"closing {t['closing_unpaid']}"],
                       width, first=f"  {cur}: ", rest=pad)
        lines.append(f"{pad}= unpaid at period end {t['unpaid_at_period_end']}"
                     f" (difference {t['difference']})")
        gl = "" if pd.isna(row["gl_difference"]) else f"; GL difference {t['gl_difference']}"
        lines += textwrap.wrap(f"credits issued {t['credits_issued']} for {t['credits_issued_amount']};"
                               f" unapplied credits {t['unapplied_credits']}{gl}", width,
                               initial_indent=pad, subsequent_indent=pad)
    cr = rep.tables.get("credit_rollforward")
    if cr is not None:
        text_cr = as_text(cr)
        for (_, t), (_, row) in zip(text_cr.iterrows(), cr.iterrows(), strict=True):
            pad = " " * (len(t["currency"]) + 4)
            moves = [f"{label} {t[col]}" for label, col in
                     (("issued", "issued"), ("applied", "applied"), ("unapplied", "unapplied"),
                      ("refunded", "refunded"), ("voided", "voided"))
                     if col in ("issued", "applied") or row[col] != 0]
            lines += _fill([f"credit available: opening {t['opening_available']}", *moves,
                            f"closing {t['closing_available']}"], width, first=f"  {t['currency']}: ", rest=pad)
            lines.append(f"{pad}= available at period end {t['available_at_period_end']}"
                         f" (difference {t['difference']})")
    for table in ("rollforward", "credit_rollforward"):
        df = rep.tables.get(table)
        if df is not None and not bool((df["difference"] == 0).all()):
            lines.append(f"the {'credit ' if table != 'rollforward' else ''}roll-forward does NOT tie: "
                         f"see {table}, column difference")
    if rep.gl_differs:
        n = int((rep.tables["gl"]["difference"] != 0).sum())
        lines.append(f"{n} GL balance(s) differ from the subledger: see gl")
    if not rep.tables["exceptions"].empty:
        counts = rep.tables["exceptions"]["rule"].value_counts().sort_index()
        lines += textwrap.wrap(f"{int(counts.sum())} exception(s): "
                               + ", ".join(f"{r} {n}" for r, n in counts.items()), width)
    return lines


def _fill(parts: list[str], width: int, first: str, rest: str) -> list[str]:
    """Comma-separated parts on as few lines as fit ``width``; a part is never split."""
    lines, line = [], first
    for i, part in enumerate(parts):
        piece = part + ("," if i < len(parts) - 1 else "")
        if line.strip() and len(line) + len(piece) + 1 > width and line not in (first, rest):
            lines.append(line.rstrip())
            line = rest
        line += ("" if line in (first, rest) else " ") + piece
    lines.append(line.rstrip())
    return lines


# -- the workbook ---------------------------------------------------------------------------------


def write_xlsx(rep, path: Path) -> None:
    book = Book(path)
    _cover_sheet(book, rep)
    _summary_sheet(book, rep)
    for name, df in rep.tables.items():
        if name == "summary":
            continue
        money = tuple(c for c in df.columns if _is_money(df[c].dtype))
        currencies = df["currency"] if "currency" in df.columns else None
        write_sheet(book, SHEETS.get(name, name), df, currencies, money,
                    headers=[formats.label(c) for c in df.columns], totals=_totals(name, df),
                    empty_note=EMPTY)
    book.close()


def _cover_sheet(book: Book, rep) -> None:
    """The first sheet: what the report is, its sign-off lines and what each sheet holds."""
    ws = book.add_worksheet("Report")
    ws.set_column(0, 0, 22)
    ws.set_column(1, 1, 70)
    ws.set_column(2, 3, 24)
    ws.write_string(0, 0, f"Month-end reconciliation {rep.period}", book.title)
    r = 2
    for k, v in facts(rep):
        ws.write_string(r, 0, k, book.bold)
        ws.write_string(r, 1, v)
        r += 1
    r += 1
    ws.write_string(r, 0, "Sign-off", book.bold)
    ws.write_string(r, 1, "Name", book.bold)
    ws.write_string(r, 2, "Date", book.bold)
    ws.write_string(r, 3, "Signature", book.bold)
    sign = book.book.add_format({"bottom": 1})
    for role, who, when in signoff(getattr(rep, "meta", None) or {}):
        r += 1
        ws.write_string(r, 0, role)
        ws.write_string(r, 1, who, sign)
        ws.write_string(r, 2, when, sign)
        ws.write_blank(r, 3, None, sign)
    r += 2
    ws.write_string(r, 0, "Sheets", book.bold)
    for name in rep.tables:
        r += 1
        ws.write_string(r, 0, SHEETS.get(name, name))
        ws.write_string(r, 1, TITLES.get(name, name) + (
            f" ({len(rep.tables[name]):,} rows)" if name != "summary" else ""))
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 1)
    ws.activate()


def _summary_sheet(book: Book, rep) -> None:
    """The summary on its side, one column per currency, so it prints legibly."""
    s = rep.tables["summary"]
    ws = book.add_worksheet(SHEETS["summary"])
    currencies = [str(c) for c in s["currency"].tolist()]
    ws.write_string(0, 0, "Figure", book.header)
    for j, cur in enumerate(currencies, start=1):
        ws.write_string(0, j, cur, book.header_num)
    ws.set_column(0, 0, 28)
    ws.set_column(1, max(len(currencies), 1), 20)
    if not currencies:
        ws.write_string(1, 0, EMPTY, book.note)
    has_gl = bool((getattr(rep, "meta", None) or {}).get("gl_given")) or "gl" in rep.tables
    for i, col in enumerate([c for c in s.columns if c != "currency"], start=1):
        ws.write_string(i, 0, formats.label(col), book.bold)
        for j, cur in enumerate(currencies, start=1):
            v = s[col].iloc[j - 1]
            if col == "gl_difference" and not has_gl:
                ws.write_string(i, j, "no GL file", book.note_right)
            elif v is None or pd.isna(v):
                continue
            elif _is_money(s[col].dtype):
                ws.write_number(i, j, float(v), book.money[min(formats.digits_of(cur), 3)])
            else:
                ws.write_number(i, j, float(v), book.integer)
    ws.freeze_panes(1, 1)
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)


# -- HTML ------------------------------------------------------------------------------------

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#1d2733;max-width:1600px}
h1{font-size:22px;margin:0 0 8px}h2{font-size:17px;margin:28px 0 6px;border-bottom:1px solid #ccd}
.note{color:#556;margin:2px 0 6px;font-size:13px}.ok{color:#17692f;font-weight:600}.bad{color:#a31515;font-weight:600}
.head{display:flex;flex-wrap:wrap;gap:12px 32px;align-items:flex-start;margin-bottom:8px}
table.facts td,table.facts th{border:none;padding:1px 12px 1px 0;white-space:normal;background:none}
table.facts th{text-align:left;color:#556;font-weight:600;position:static}
table.sign{min-width:420px}table.sign td{height:22px;min-width:9em}
.tbl{overflow-x:auto;max-width:100%;margin:6px 0 12px}.tbl.long{max-height:75vh;overflow-y:auto;border-bottom:1px solid #d5dbe3}
table{border-collapse:collapse;font-size:13px}
th,td{border:1px solid #d5dbe3;padding:3px 7px;text-align:left;vertical-align:top}
td{white-space:nowrap}td.wrap{white-space:normal;overflow-wrap:anywhere;min-width:6em;max-width:22em}
th{background:#dde4ee;position:sticky;top:0;z-index:1;white-space:normal;vertical-align:bottom;min-width:3em;max-width:12em}
td.num,th.num{text-align:right}td.num{white-space:nowrap;font-variant-numeric:tabular-nums}
tbody tr:nth-child(even){background:#f5f7fa}tbody tr:hover{background:#e8eef7}tr.total td{font-weight:600;border-top:2px solid #99a}
td.empty{color:#667;font-style:italic}
.charts{display:flex;flex-wrap:wrap;gap:16px 24px;margin-bottom:24px}.col{display:flex;flex-direction:column;gap:16px}.chart{border:1px solid #e3e7ee;padding:8px}
.chart h3{font-size:14px;margin:0 0 4px}svg{max-width:100%;height:auto}svg text{font-family:inherit}
@page{size:A4 landscape;margin:12mm 10mm}
@media print{
body{margin:0;max-width:none;font-size:10pt}
.tbl,.tbl.long{overflow:visible;max-height:none;border:none}
table{font-size:8pt;width:100%}th{position:static}thead{display:table-header-group}
th,td{padding:2px 4px;max-width:none}tr{break-inside:avoid}table.facts{width:auto}
section.sect{break-before:page}.charts,.chart,.head{break-inside:avoid}h2{break-after:avoid}
.chart svg{max-width:480px}
tbody tr:hover{background:none}
}
"""


def _table_html(df: pd.DataFrame, limit: int | None = None, totals: pd.Series | None = None,
                labels: bool = True, currency: str | None = None) -> str:
    """A table as HTML; money at each row's currency (a ``currency`` column) or ``currency``."""
    shown = df if limit is None else df.head(limit)
    text = as_text(shown, currency)
    numeric = set(numeric_columns(df))
    head = "".join(f'<th class="num">{_e(_name(c, labels))}</th>' if c in numeric
                   else f"<th>{_e(_name(c, labels))}</th>" for c in df.columns)
    cols = [text[c].map(html.escape).tolist() for c in df.columns]
    cls = {c: ' class="num"' if c in numeric else ' class="wrap"' if c in FREE_TEXT else ""
           for c in df.columns}
    marks = (totals.loc[shown.index].tolist() if totals is not None else [False] * len(shown))
    rows = []
    for total, cells in zip(marks, zip(*cols, strict=True), strict=True) if cols else []:
        rows.append(('<tr class="total">' if total else "<tr>") + "".join(
            f"<td{cls[c]}>{v}</td>" for v, c in zip(cells, df.columns, strict=True)) + "</tr>")
    if not rows:
        rows.append(f'<tr><td class="empty" colspan="{max(len(df.columns), 1)}">{EMPTY}</td></tr>')
    more = "" if limit is None or len(df) <= limit else (
        f'<p class="note">The first {limit:,} of {len(df):,} rows; the workbook and the CSV '
        "file have all of them.</p>")
    box = "tbl long" if len(rows) > LONG_TABLE else "tbl"
    return (f'<div class="{box}"><table><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div>{more}")


def _name(column, labels: bool) -> str:
    return formats.label(column) if labels else str(column)


def _e(text) -> str:
    return html.escape(str(text))


def _summary_html(rep) -> str:
    currencies, rows = summary_rows(rep)
    if not currencies:
        return f'<div class="tbl"><table><tbody><tr><td class="empty">{EMPTY}</td></tr></tbody></table></div>'
    head = "<th>Figure</th>" + "".join(f'<th class="num">{_e(c)}</th>' for c in currencies)
    body = "".join(
        f"<tr><th>{_e(label)}</th>" + "".join(f'<td class="num">{_e(v)}</td>' for v in values) + "</tr>"
        for label, values, _ in rows)
    return (f'<div class="tbl summary"><table><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")


def header_html(rep) -> str:
    """The header block and the sign-off lines (also shown in a notebook)."""
    meta = getattr(rep, "meta", None) or {}
    badges = ", ".join(f'<span class="{"ok" if good else "bad"}">{_e(text)}</span>'
                       for text, good in status(rep))
    rows = "".join(f"<tr><th>{_e(k)}</th><td>{badges if k == 'Result' else _e(v)}</td></tr>"
                   for k, v in facts(rep))
    sign = "".join(f"<tr><th>{_e(role)}</th><td>{_e(who)}</td><td>{_e(when)}</td><td></td></tr>"
                   for role, who, when in signoff(meta))
    return ('<div class="head"><table class="facts"><tbody>' + rows + "</tbody></table>"
            '<table class="sign"><thead><tr><th>Sign-off</th><th>Name</th><th>Date</th>'
            f"<th>Signature</th></tr></thead><tbody>{sign}</tbody></table></div>")


def overview_html(rep) -> str:
    """Header, sign-off and the summary: the report's first page."""
    return (header_html(rep) + f"<h2>{_e(TITLES['summary'])}</h2>" + _summary_html(rep))


def html_page(rep) -> str:
    t = rep.tables
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>recon month-end report {_e(rep.period)}</title><style>{CSS}</style></head><body>",
        f"<h1>Month-end reconciliation {_e(rep.period)}</h1>",
        overview_html(rep),
        '<section class="sect" id="charts"><h2>Charts</h2>', charts_html(rep), "</section>",
    ]
    for name in TABLE_ORDER_HTML:
        if name in t:
            parts.append(f'<section class="sect" id="{name}"><h2>{_e(TITLES[name])}</h2>')
            if name in NOTES:
                parts.append(f'<p class="note">{_e(NOTES[name])}</p>')
            parts.append(_table_html(t[name], limit=HTML_ROW_LIMIT, totals=_totals(name, t[name])))
            parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts)


def charts_html(rep) -> str:
    """The charts (inline SVG), one row per currency: roll-forward waterfall, aging, credits by reason."""
    t = rep.tables
    parts = []
    for cur in t["rollforward"]["currency"].tolist():
        rf = t["rollforward"][t["rollforward"]["currency"] == cur]
        ag = t["aging"][(t["aging"]["currency"] == cur) & (t["aging"]["bucket"] != "total")]
        cr = t["credits_by_reason"][t["credits_by_reason"]["currency"] == cur]
        # two columns (roll-forward over aging | reasons) that fit a laptop screen side by side
        parts.append('<div class="charts"><div class="col">')
        parts.append(_chart(f"Roll-forward {cur}", charts.waterfall(rf.iloc[0], cur)))
        parts.append(_chart(f"Aging {cur}", charts.bars(ag["bucket"].tolist(), ag["unpaid_amount"].tolist(), cur)))
        parts.append('</div><div class="col">')
        if len(cr):
            parts.append(_chart(f"Credits issued by reason {cur}",
                                charts.bars(cr["reason"].tolist(), cr["total"].tolist(), cur)))
        parts.append("</div></div>")
    return "\n".join(parts)


def _chart(title: str, svg: str) -> str:
    return f'<div class="chart"><h3>{html.escape(title)}</h3>{svg}</div>'
