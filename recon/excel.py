"""Excel output: a sheet per table, money with its currency's decimals, text as text.

Excel keeps numbers as binary doubles; amounts of up to 15 significant digits (every
amount below 10^12 with 3 decimals) survive the trip exactly, and recon reads them back
through their shortest decimal form. Text is written with write_string, so a value such
as ``=HYPERLINK(...)`` is shown, never run as a formula.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pandas as pd

MAX_WIDTH = 60
HEADER_EXTRA = 3


def money_format(digits: int) -> str:
    return "#,##0" if digits == 0 else "#,##0." + "0" * digits


def _digits(currency) -> int:
    from .money import currency_digits

    try:
        return currency_digits(str(currency))
    except KeyError:
        return 3


def write_sheet(book, name: str, df: pd.DataFrame, currencies: pd.Series | None = None,
                money: tuple[str, ...] = ()) -> None:
    """One table on one sheet: frozen header, filter, widths, exact-looking money."""
    ws = book.add_worksheet(name[:31])
    header = book.add_format({"bold": True, "bg_color": "#DDE4EE", "border": 1})
    date_fmt = book.add_format({"num_format": "yyyy-mm-dd"})
    money_fmts = {d: book.add_format({"num_format": money_format(d)}) for d in range(4)}
    # a bold header needs room for the autofilter's drop-down button beside it
    widths = [len(str(c)) + HEADER_EXTRA for c in df.columns]
    # a number column's header sits right-aligned over its numbers
    header_num = book.add_format({"bold": True, "bg_color": "#DDE4EE", "border": 1, "align": "right"})
    for j, col in enumerate(df.columns):
        numeric = col in money or pd.api.types.is_integer_dtype(df[col].dtype)
        ws.write_string(0, j, str(col), header_num if numeric else header)
    digits = [(_digits(c) if c is not None and not pd.isna(c) else 3) for c in currencies] if currencies is not None else None
    for i, row in enumerate(df.itertuples(index=False), start=1):
        for j, (col, v) in enumerate(zip(df.columns, row, strict=True)):
            if v is None or (not isinstance(v, str) and pd.isna(v)):
                continue
            if isinstance(v, Decimal):
                d = digits[i - 1] if (digits is not None and col in money) else None
                fmt = money_fmts[d] if d is not None else None
                ws.write_number(i, j, float(v), fmt)
                text = f"{v:,.{d}f}" if d is not None else f"{v.normalize():f}"
            elif isinstance(v, bool):
                ws.write_boolean(i, j, v)
                text = str(v)
            elif isinstance(v, (int,)) and not isinstance(v, bool):
                ws.write_number(i, j, v)
                text = str(v)
            elif isinstance(v, (dt.date, dt.datetime, pd.Timestamp)):
                ws.write_datetime(i, j, pd.Timestamp(v).to_pydatetime(), date_fmt)
                text = "2026-01-01"
            else:
                text = str(v)
                ws.write_string(i, j, text)
            widths[j] = max(widths[j], len(text))
    for j, w in enumerate(widths):
        ws.set_column(j, j, min(w + 2, MAX_WIDTH))
    ws.freeze_panes(1, 0)
    # printed: landscape, one page wide, the header repeated on every page
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)
    if len(df.columns):
        ws.autofilter(0, 0, max(len(df), 1), len(df.columns) - 1)


def write_table(path: Path, table: str, df: pd.DataFrame, currencies: pd.Series | None) -> None:
    import xlsxwriter

    from .tables import MONEY_COLUMNS

    with xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False}) as book:
        write_sheet(book, table, df, currencies, MONEY_COLUMNS.get(table, ()))
