"""Excel output: a sheet per table, money with its currency's decimals, text as text.

xlsxwriter builds the workbook: styles, headers, widths, frozen header, autofilter, print
set-up, totals rows. Its cell-by-cell writing costs ~7 µs a cell in Python (105 s for the
report of a 2M-item ledger, STACK_NOTES), so the data rows of each sheet are written
column-wise instead: every column becomes its cells' XML with Arrow string kernels, the
rows are joined, and the text is put into the sheet xlsxwriter wrote, right after its
header row (``Book.close``). The cells are the ones xlsxwriter writes: inline strings
(escaped as it escapes them), numbers, dates as serial numbers with a date style.

Excel keeps numbers as binary doubles; amounts of up to 15 significant digits (every
amount below 10^12 with 3 decimals) survive the trip exactly, and recon reads them back
through their shortest decimal form. A sheet holds at most 1,048,576 rows: a longer table
continues on further sheets ("Aging detail (2)", ...), each with its header.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: Excel's rows per sheet, the header included
SHEET_ROWS = 1_048_576
MAX_WIDTH = 60
HEADER_EXTRA = 3
#: text XML 1.0 cannot hold; written as Excel does, _xHHHH_
_CONTROL = [c for c in range(32) if c not in (9, 10, 13)]
_EPOCH_DAYS = 25569  # 1970-01-01 as an Excel serial day (1900 date system)


def money_format(digits: int) -> str:
    return "#,##0" if digits == 0 else "#,##0." + "0" * digits


def column_letter(j: int) -> str:
    s = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        s = chr(65 + r) + s
    return s


def _sheet_name(name: str, taken: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", name)[:31].strip() or "Sheet"
    out, n = base, 2
    while out.lower() in taken:
        suffix = f" ({n})"
        out, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(out.lower())
    return out


@dataclass
class Book:
    """An xlsxwriter workbook whose data rows are added column-wise on close."""

    path: Path
    book: object = None
    #: sheet file -> a generator of its data rows' XML, block by block
    _rows: dict[str, object] = field(default_factory=dict)
    _dims: dict[str, str] = field(default_factory=dict)
    _names: set[str] = field(default_factory=set)

    def __post_init__(self):
        import xlsxwriter

        self.buffer = io.BytesIO()
        self.book = xlsxwriter.Workbook(self.buffer, {
            "in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
            "strings_to_numbers": False})
        b = self.book
        head = {"bold": True, "bg_color": "#DDE4EE", "border": 1, "text_wrap": True, "valign": "bottom"}
        self.header = b.add_format(head)
        self.header_num = b.add_format(dict(head, align="right"))
        self.money = {d: b.add_format({"num_format": money_format(d)}) for d in range(4)}
        self.money_bold = {d: b.add_format({"num_format": money_format(d), "bold": True}) for d in range(4)}
        self.integer = b.add_format({"num_format": "#,##0"})
        self.date = b.add_format({"num_format": "yyyy-mm-dd"})
        self.stamp = b.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        self.bold = b.add_format({"bold": True})
        self.note = b.add_format({"italic": True, "font_color": "#556677"})
        self.note_right = b.add_format({"italic": True, "font_color": "#556677", "align": "right"})
        self.title = b.add_format({"bold": True, "font_size": 14})

    def add_worksheet(self, name: str):
        return self.book.add_worksheet(_sheet_name(name, self._names))

    @staticmethod
    def style(fmt) -> int:
        # the style index xlsxwriter gives a format when a cell uses it; the column-wise
        # cells use it the same way, so the format is written into styles.xml
        return fmt._get_xf_index()

    def close(self) -> None:
        self.book.close()
        self._assemble()

    def _assemble(self) -> None:
        """Copy xlsxwriter's workbook to ``path``, the column-wise rows put into their sheets.

        The rows are built block by block while a second thread compresses the block
        before (Arrow and zlib both release the GIL: the two run side by side)."""
        from concurrent.futures import ThreadPoolExecutor

        self.buffer.seek(0)
        with zipfile.ZipFile(self.buffer) as src, zipfile.ZipFile(
                self.path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as dst, \
                ThreadPoolExecutor(max_workers=1) as writer:
            for info in src.infolist():
                data = src.read(info.filename)
                blocks = self._rows.get(info.filename)
                if blocks is None:
                    dst.writestr(info, data)
                    continue
                text = data.decode("utf-8")
                text = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="{self._dims[info.filename]}"/>',
                              text, count=1)
                cut = text.index("</row>", text.index("<sheetData>")) + len("</row>")
                # the sheet's data is most of the file: a quick compression level
                dst.compresslevel = 1
                with dst.open(info.filename, "w", force_zip64=True) as out:
                    out.write(text[:cut].encode("utf-8"))
                    pending = None
                    for block in blocks():
                        if pending is not None:
                            pending.result()
                        pending = writer.submit(out.write, block)
                    if pending is not None:
                        pending.result()
                    out.write(text[cut:].encode("utf-8"))
                dst.compresslevel = 6


#: a column whose text holds none of these needs no escaping at all (most columns)
_NEEDS_ESCAPE = "[&<>\x00-\x08\x0b\x0c\x0e-\x1f]|_x[0-9a-fA-F]{4}_"


def _needs_escape(values: pa.Array) -> bool:
    return bool(pc.any(pc.match_substring_regex(values, _NEEDS_ESCAPE)).as_py())


def _text_xml(values: pa.Array) -> pa.Array:
    """Strings as the inline-string content of a cell, escaped as XML and as Excel reads it
    (as xlsxwriter does: a literal _xHHHH_ is protected, control characters become one)."""
    s = pc.replace_substring_regex(values, r"(_x[0-9a-fA-F]{4}_)", r"_x005F\1")
    for ch, rep in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        s = pc.replace_substring(s, ch, rep)
    for c in _CONTROL:
        s = pc.replace_substring(s, chr(c), f"_x{c:04X}_")
    return s


def _values(arr: pa.Array, kind: str, escape: bool) -> pa.Array:
    """What goes between a cell's tags: escaped text, a number, a date's serial day."""
    t = arr.type
    if kind == "text":
        text = pc.cast(arr, pa.string())
        return _text_xml(text) if escape else text
    if kind == "bool":
        return pc.if_else(arr, "1", "0")
    if pa.types.is_date(t):
        return pc.cast(pc.add(pc.cast(pc.cast(arr, pa.date32()), pa.int32()), _EPOCH_DAYS), pa.string())
    if pa.types.is_timestamp(t):
        us = pc.cast(pc.cast(arr, pa.timestamp("us")), pa.int64())
        return pc.cast(pc.add(pc.divide(pc.cast(us, pa.float64()), 86_400e6), float(_EPOCH_DAYS)), pa.string())
    return pc.cast(arr, pa.string())


def _cell_parts(letter: str, rownum: pa.Array, kind: str, style, values: pa.Array) -> list:
    """The pieces of one column's cells, to be joined: literals and arrays."""
    if kind == "text":
        return [f'<c r="{letter}', rownum, '" t="inlineStr"><is><t xml:space="preserve">', values,
                "</t></is></c>"]
    if kind == "bool":
        return [f'<c r="{letter}', rownum, '" t="b"><v>', values, "</v></c>"]
    if isinstance(style, (pa.Array, pa.ChunkedArray)):
        return [f'<c r="{letter}', rownum, '" s="', style, '"><v>', values, "</v></c>"]
    return [f'<c r="{letter}', rownum, f'" s="{style}"><v>', values, "</v></c>"]


def _join(parts: list) -> pa.Array:
    """Join pieces row by row, adjacent literals merged first (fewer arguments, one pass)."""
    merged: list = []
    for p in parts:
        if isinstance(p, str) and merged and isinstance(merged[-1], str):
            merged[-1] += p
        else:
            merged.append(p)
    return pc.binary_join_element_wise(*merged, "")


def _kind(dtype) -> str:
    if isinstance(dtype, pd.ArrowDtype):
        t = dtype.pyarrow_dtype
        if pa.types.is_string(t) or pa.types.is_large_string(t):
            return "text"
        if pa.types.is_boolean(t):
            return "bool"
        if pa.types.is_decimal(t):
            return "decimal"
        if pa.types.is_integer(t):
            return "integer"
        if pa.types.is_date(t) or pa.types.is_timestamp(t):
            return "date" if pa.types.is_date(t) else "stamp"
        if pa.types.is_floating(t):
            return "float"
        return "text"
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_integer_dtype(dtype):
        return "integer"
    if pd.api.types.is_float_dtype(dtype):
        return "float"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "stamp"
    return "text"


def _arrow(s: pd.Series, kind: str) -> pa.Array:
    if isinstance(s.dtype, pd.ArrowDtype):
        a = pa.array(s.array)
    elif kind == "text":
        a = pa.array(s.astype(object).where(s.notna(), None).map(lambda v: v if v is None else str(v)),
                     type=pa.string())
    else:
        a = pa.array(s)
    return a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a


def write_sheet(book: Book, name: str, df: pd.DataFrame, currencies: pd.Series | None = None,
                money: tuple[str, ...] = (), *, headers: list[str] | None = None,
                totals: pd.Series | None = None, empty_note: str | None = None) -> list:
    """One table on one sheet (more when it is longer than a sheet holds): header frozen
    and filtered, widths, money with its currency's decimals, printable (A4 landscape, one
    page wide, the header on every page).

    ``headers``: the names shown (default: the columns'); ``totals``: a boolean mask of
    total rows, written in bold below the data, apart from the filtered rows, so a filter
    or a sum over the data never counts them twice; ``empty_note``: what an empty table
    says under its header.
    """
    headers = [str(c) for c in df.columns] if headers is None else list(headers)
    if totals is not None and totals.any():
        mask = totals.fillna(False).astype(bool).to_numpy()
        data, tot = df[~mask], df[mask]
    else:
        data, tot = df, df.iloc[0:0]
    kinds = ["money" if c in money else _kind(df[c].dtype) for c in df.columns]
    if currencies is not None:
        cur_all = pd.Series(currencies.to_numpy(), index=df.index)
        cur_data = cur_all.loc[data.index]
        cur_tot = cur_all.loc[tot.index]
    else:
        cur_data = cur_tot = None
    per_sheet = SHEET_ROWS - 1 - (len(tot) + 1 if len(tot) else 0)
    chunks = [slice(i, i + per_sheet) for i in range(0, len(data), per_sheet)] or [slice(0, 0)]
    sheets = []
    for part, rows in enumerate(chunks, start=1):
        ws = book.add_worksheet(name if part == 1 else f"{name} ({part})")
        sheets.append(ws)
        chunk = data.iloc[rows]
        cur = None if cur_data is None else cur_data.iloc[rows]
        widths = _write_rows(book, ws, chunk, kinds, cur)
        widths = [max(w, len(h) + HEADER_EXTRA) for w, h in zip(widths, headers, strict=True)]
        for j, (h, k) in enumerate(zip(headers, kinds, strict=True)):
            numeric = k in ("money", "integer", "decimal", "float")
            ws.write_string(0, j, h, book.header_num if numeric else book.header)
        n = len(chunk)
        last = part == len(chunks)
        if n == 0 and empty_note:
            ws.write_string(1, 0, empty_note, book.note)
        if last and len(tot):
            _write_totals(book, ws, tot, kinds, cur_tot, n + 2, widths)
        for j, w in enumerate(widths):
            ws.set_column(j, j, min(w + 2, MAX_WIDTH))
        ws.freeze_panes(1, 0)
        # printed: A4 landscape, one page wide, the header repeated on every page
        ws.set_paper(9)
        ws.set_landscape()
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(0)
        ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
        ws.set_footer("&L&A&R&P / &N")
        if len(df.columns) and n:
            ws.autofilter(0, 0, n, len(df.columns) - 1)
    return sheets


#: rows turned into XML at a time (bounds the memory a long sheet needs)
BLOCK_ROWS = 100_000


def _write_rows(book: Book, ws, df: pd.DataFrame, kinds: list[str], currencies) -> list[int]:
    """The data rows of ``df`` as XML (column-wise), kept for Book.close; returns widths."""
    n = len(df)
    name = f"xl/worksheets/sheet{ws.index + 1}.xml"
    last = column_letter(max(len(df.columns) - 1, 0))
    book._dims[name] = f"A1:{last}{max(n + 1, 1)}"
    if n == 0:
        return [0] * len(df.columns)
    arrays = [_arrow(df[c], k) for c, k in zip(df.columns, kinds, strict=True)]
    money_style = None
    if "money" in kinds:
        digits = _digits(currencies, n)
        styles = pa.array([str(book.style(book.money[d])) for d in range(4)])
        money_style = pc.take(styles, digits)
    fixed = {"integer": book.style(book.integer), "decimal": 0, "float": 0,
             "date": book.style(book.date), "stamp": book.style(book.stamp)}
    letters = [column_letter(j) for j in range(len(df.columns))]
    escape = [k == "text" and _needs_escape(pc.cast(a, pa.string())) for a, k in zip(arrays, kinds, strict=True)]
    nulls = [a.null_count > 0 for a in arrays]

    def blocks():
        # one join per block: the cells of columns without empty values go straight into
        # the row; a column with empty values joins its cells first (an empty one is "")
        for start in range(0, n, BLOCK_ROWS):
            m = min(BLOCK_ROWS, n - start)
            rownum = pc.cast(pa.array(range(start + 2, start + m + 2), type=pa.int64()), pa.string())
            parts: list = ['<row r="', rownum, '">']
            for j, (letter, arr, kind) in enumerate(zip(letters, arrays, kinds, strict=True)):
                style = money_style.slice(start, m) if kind == "money" else fixed.get(kind)
                cell = "bool" if kind == "bool" else "text" if kind == "text" else "number"
                pieces = _cell_parts(letter, rownum, cell, style, _values(arr.slice(start, m), cell, escape[j]))
                parts += [pc.fill_null(_join(pieces), "")] if nulls[j] else pieces
            parts.append("</row>")
            yield _text_bytes(_join(parts))

    book._rows[name] = blocks
    return [_width(arr, kind, currencies) for arr, kind in zip(arrays, kinds, strict=True)]


def _digits(currencies, n: int) -> pa.Array:
    """Each row's currency digits (three when no currency is known), at most three."""
    import numpy as np

    from .formats import digits_array

    return pa.array(np.minimum(digits_array(currencies, n), 3).astype("int8"))


def _width(arr: pa.Array, kind: str, currencies) -> int:
    """A column's widest cell as shown, in characters."""
    from .formats import money

    if kind in ("date", "bool"):
        return 10
    if kind == "stamp":
        return 19
    if kind == "text":
        return int(pc.max(pc.utf8_length(arr)).as_py() or 0)
    lo, hi = pc.min_max(arr).values()
    if hi.as_py() is None:
        return 0
    widest = max(abs(lo.as_py()), abs(hi.as_py()))
    sign = 1 if lo.as_py() < 0 else 0
    shown = money(widest, None) if kind == "money" else money(widest, "JPY") if kind == "integer" \
        else str(widest)
    return len(shown) + sign


def _text_bytes(rows: pa.Array) -> memoryview:
    """The rows' text, joined: an Arrow string array's data buffer is exactly that."""
    import numpy as np

    if rows.null_count:
        rows = pc.fill_null(rows, "")
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int32 if pa.types.is_string(rows.type)
                            else np.int64)[rows.offset: rows.offset + len(rows) + 1]
    return memoryview(rows.buffers()[2])[int(offsets[0]): int(offsets[-1])]


def _write_totals(book: Book, ws, tot: pd.DataFrame, kinds, currencies, first_row: int,
                  widths: list[int]) -> None:
    """Totals rows in bold, below a blank row after the data (a few rows: cell by cell)."""
    from .formats import digits_of

    for i, (idx, row) in enumerate(tot.iterrows()):
        r = first_row + i
        d = digits_of(currencies.loc[idx]) if currencies is not None else 3
        for j, (col, kind) in enumerate(zip(tot.columns, kinds, strict=True)):
            v = row[col]
            if v is None or pd.isna(v):
                continue
            if kind == "money":
                ws.write_number(r, j, float(v), book.money_bold[min(d, 3)])
            elif kind in ("integer", "decimal", "float"):
                ws.write_number(r, j, float(v), book.bold)
            else:
                ws.write_string(r, j, str(v), book.bold)


def write_table(path: Path, table: str, df: pd.DataFrame, currencies: pd.Series | None) -> None:
    """An export file: one ledger table on one sheet, machine column names (import reads it)."""
    from .tables import MONEY_COLUMNS

    book = Book(Path(path))
    write_sheet(book, table, df, currencies, MONEY_COLUMNS.get(table, ()))
    book.close()
