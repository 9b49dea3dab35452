"""Writing a report: an Excel workbook, one CSV per table, one self-contained HTML page.

Every decimal column of a report table is money in the row's currency (the table's
``currency`` column) and is shown with exactly that currency's decimals. Text is never
run as a formula by a spreadsheet: the workbook writes it with write_string, and the
CSV files put a single quote before a text cell that starts with = + - @ (amounts and
counts are numbers, not text, and are written as they are). The HTML page escapes every
value and needs no network: inline CSS, charts as inline SVG (charts.py).
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..excel import write_sheet
from ..money import currency_digits
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
    "exceptions": "Exceptions: rules the ledger breaks",
    "gl": "Subledger vs general ledger",
}


def _digits(currency) -> int:
    try:
        return currency_digits(str(currency))
    except KeyError:  # not an ISO code the ledger knows: show all stored decimals
        return 3


def _is_money(dtype) -> bool:
    return isinstance(dtype, pd.ArrowDtype) and pa.types.is_decimal(dtype.pyarrow_dtype)


def money_text(values: pd.Series, currencies: pd.Series) -> pd.Series:
    """Decimal amounts as text with their currency's decimals (12.50 EUR, 1500 JPY)."""
    arr = pa.array(values.array)
    digits = currencies.astype(object).map(_digits).to_numpy()
    out = pa.nulls(len(arr), pa.string())
    for d in sorted(set(digits.tolist())):
        rounded = pc.round(arr, d, round_mode="half_towards_infinity")
        text = pc.cast(pc.cast(rounded, pa.decimal128(38, d)), pa.string())
        out = pc.if_else(pa.array(digits == d), text, out)
    return pd.Series(out, index=values.index, dtype=TEXT)


def money_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Every cell as text; money with the row's currency decimals. Column-wise, no row loop."""
    cur = df["currency"] if "currency" in df.columns else pd.Series([None] * len(df), index=df.index)
    out = {}
    for c in df.columns:
        s = df[c]
        if _is_money(s.dtype):
            out[c] = money_text(s, cur)
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
    csv_safe(df).to_csv(path, index=False, lineterminator="\n")


def write_xlsx(rep, path: Path) -> None:
    import xlsxwriter

    with xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                         "strings_to_numbers": False}) as book:
        for name, df in rep.tables.items():
            money = tuple(c for c in df.columns if _is_money(df[c].dtype))
            currencies = df["currency"] if "currency" in df.columns else None
            write_sheet(book, name, df, currencies, money)


def write_all(rep, out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    stem = f"recon-report-{rep.period}"
    for name, df in rep.tables.items():
        p = out / f"{stem}-{name}.csv"
        write_csv(df, p)
        paths[name] = p
    paths["xlsx"] = out / f"{stem}.xlsx"
    write_xlsx(rep, paths["xlsx"])
    paths["html"] = out / f"{stem}.html"
    paths["html"].write_text(html_page(rep), encoding="utf-8")
    return paths


# -- HTML ------------------------------------------------------------------------------------

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#1d2733}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ccd}
.meta{color:#556;margin-bottom:16px}.ok{color:#17692f;font-weight:600}.bad{color:#a31515;font-weight:600}
.tbl{overflow:auto;max-width:100%;margin:6px 0 12px}.tbl.long{max-height:75vh;border-bottom:1px solid #d5dbe3}
table{border-collapse:collapse;font-size:13px}
th,td{border:1px solid #d5dbe3;padding:3px 8px;text-align:left;vertical-align:bottom;white-space:nowrap}
th{background:#dde4ee;position:sticky;top:0;z-index:1;white-space:normal;min-width:3em}.long th{white-space:nowrap}
td.num,th.num{text-align:right}td.num{font-variant-numeric:tabular-nums}
tbody tr:nth-child(even){background:#f5f7fa}tbody tr:hover{background:#e8eef7}tr.total td{font-weight:600}
.charts{display:flex;flex-wrap:wrap;gap:16px 24px;margin-bottom:24px}.col{display:flex;flex-direction:column;gap:16px}.chart{border:1px solid #e3e7ee;padding:8px}
.chart h3{font-size:14px;margin:0 0 4px}svg{max-width:100%;height:auto}svg text{font-family:inherit}
@media print{.tbl,.tbl.long{overflow:visible;max-height:none}th{position:static}}
"""


def _table_html(df: pd.DataFrame, limit: int | None = None) -> str:
    text = money_frame(df if limit is None else df.head(limit))
    numeric = [_is_money(df[c].dtype) or pd.api.types.is_integer_dtype(df[c].dtype)
               for c in df.columns]
    # a header may break after an underscore, so a wide table's headers wrap, not its cells
    head = "".join(f'<th class="num">{_header(c)}</th>' if n else f"<th>{_header(c)}</th>"
                   for c, n in zip(df.columns, numeric, strict=True))
    cols = [text[c].fillna("").map(_grouped if _is_money(df[c].dtype) else html.escape).tolist()
            for c in df.columns]
    # a subtotal line (the aging table's "total" bucket) is set in bold
    totals = (text["bucket"] == "total").fillna(False).tolist() if "bucket" in df.columns \
        else [False] * len(text)
    rows = []
    for total, cells in zip(totals, zip(*cols, strict=True), strict=True) if cols else []:
        rows.append(('<tr class="total">' if total else "<tr>") + "".join(
            f'<td class="num">{v}</td>' if n else f"<td>{v}</td>"
            for v, n in zip(cells, numeric, strict=True)) + "</tr>")
    if not rows:
        rows.append(f'<tr><td colspan="{max(len(df.columns), 1)}">(none)</td></tr>')
    more = "" if limit is None or len(df) <= limit else \
        f"<p>first {limit} of {len(df)} rows; all of them are in the workbook and the CSV file</p>"
    box = "tbl long" if len(rows) > LONG_TABLE else "tbl"
    return (f'<div class="{box}"><table><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div>{more}")


def _header(name) -> str:
    return html.escape(str(name)).replace("_", "_<wbr>")


def _grouped(amount: str) -> str:
    """1234567.50 -> 1,234,567.50 for reading (the page shows at most HTML_ROW_LIMIT rows)."""
    if not amount:
        return amount
    sign, digits = ("-", amount[1:]) if amount.startswith("-") else ("", amount)
    whole, dot, frac = digits.partition(".")
    return f"{sign}{int(whole):,}{dot}{frac}"


def html_page(rep) -> str:
    e = html.escape
    t = rep.tables
    status = []
    status.append('<span class="ok">the roll-forward ties</span>' if rep.ties
                  else '<span class="bad">the roll-forward does NOT tie</span>')
    if "gl" in t:
        status.append('<span class="bad">GL differs</span>' if rep.gl_differs
                      else '<span class="ok">GL agrees</span>')
    n_exc = len(t["exceptions"])
    status.append(f'<span class="bad">{n_exc} exception(s)</span>' if n_exc
                  else '<span class="ok">no exceptions</span>')
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>recon month-end report {e(rep.period)}</title><style>{CSS}</style></head><body>",
        f"<h1>Month-end reconciliation {e(rep.period)}</h1>",
        f'<div class="meta">period {e(str(rep.start))} to {e(str(rep.closing))}; opening as of '
        f'{e(str(rep.opening))}; ' + ", ".join(status) + "</div>",
        f"<h2>{e(TITLES['summary'])}</h2>", _table_html(t["summary"]),
        "<h2>Charts</h2>", charts_html(rep),
    ]
    for name in TABLE_ORDER_HTML:
        if name in t:
            parts.append(f"<h2>{e(TITLES[name])}</h2>")
            parts.append(_table_html(t[name], limit=HTML_ROW_LIMIT))
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
        digits = _digits(cur)
        # two columns (roll-forward over aging | reasons) that fit a laptop screen side by side
        parts.append('<div class="charts"><div class="col">')
        parts.append(_chart(f"Roll-forward {cur}", charts.waterfall(rf.iloc[0], digits)))
        parts.append(_chart(f"Aging {cur}", charts.bars(ag["bucket"].tolist(), ag["unpaid_amount"].tolist(), digits)))
        parts.append('</div><div class="col">')
        if len(cr):
            parts.append(_chart(f"Credits issued by reason {cur}",
                                charts.bars(cr["reason"].tolist(), cr["total"].tolist(), digits)))
        parts.append("</div></div>")
    return "\n".join(parts)


HTML_ROW_LIMIT = 500
#: a table with more rows scrolls in its own box, its header staying in view
LONG_TABLE = 30
TABLE_ORDER_HTML = ("rollforward", "exceptions", "gl", "aging", "credits_by_reason",
                    "credits_by_origin", "credits_by_account", "unapplied_credits", "links",
                    "credits_issued", "aging_detail")


def _chart(title: str, svg: str) -> str:
    return f'<div class="chart"><h3>{html.escape(title)}</h3>{svg}</div>'
