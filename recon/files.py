"""Reading and writing the ledger's files (.csv, .parquet, .xlsx).

A file is first read as *text* (every cell a string, rows numbered as a spreadsheet
shows them: the header is row 1; recon.reading), renamed and normalised by an optional mapping, and
checked against the text schema; only then converted to exact Arrow types. This way an
error can always quote the value exactly as the file had it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
import pyarrow as pya
import pyarrow.compute as pc

from .contract import SCALE, TABLES, free_text_names
from .errors import BadInput, Problem

# the reading is recon.reading's (no pandas there); its public names stay importable from here
from .reading import SUFFIXES as SUFFIXES
from .reading import FileFormat as FileFormat
from .reading import _by_column, _cell_text, mark_written, read_cells
from .reading import find_table_file as find_table_file
from .schemas import ARROW, TEXT, failures_to_problems, text_schema, typed_schema

# -- reading ------------------------------------------------------------------------------


def read_text(path: str | Path, fmt: FileFormat | None = None, table: str | None = None) -> pd.DataFrame:
    """Every cell as text (null when empty); the index is the file's own row number.

    Row numbers are those a spreadsheet or an editor shows (the header is row 1), also
    after a blank line, which is skipped but keeps its number. Cells are trimmed,
    except, when ``table`` is given, those of its free-text columns (reason, memo,
    description: spaces an export wrote there are the text's own). The reading itself
    is recon.reading's.
    """
    fmt = fmt or FileFormat()
    keep = free_text_names(table, fmt.columns) if table else frozenset()
    cells = read_cells(path, fmt, keep)
    df = cells.table.to_pandas(types_mapper=lambda t: TEXT)
    df.index = pd.RangeIndex(2, len(df) + 2) if cells.rows is None else pd.Index(cells.rows, dtype="int64")
    if cells.canonical:
        df.attrs["canonical"] = cells.canonical  # apply_format leaves their text as it is
    return df


# -- mapping and normalising ----------------------------------------------------------------


def apply_format(df: pd.DataFrame, table: str, fmt: FileFormat,
                 name: str | None = None) -> tuple[pd.DataFrame, dict[str, str]]:
    """Rename export columns to ours and normalise numbers and dates.

    Returns the frame and {our name: the file's name} for error messages. A number
    the mapping's format does not fit (thousands not in groups of three, a '.' in a
    decimal-comma file) stays as the file has it and is refused by check_rows, naming
    the format; ``df.attrs["format_problems"]`` lists those cells.
    """
    rename = {k: v for k, v in fmt.columns.items() if k in df.columns and k != v}
    for theirs, ours in rename.items():
        if ours in df.columns and ours not in rename:
            raise BadInput(f"{name or 'the file'}: the mapping renames column {theirs!r} to {ours!r}, "
                           f"but the file has a column {ours!r} too; map only one of them "
                           "(or rename the other in [columns])")
    df = df.rename(columns=rename)
    original = {v: k for k, v in rename.items()}
    fields = {f.name: f for f in TABLES[table]}
    marks: list[tuple[str, list[int], str, str]] = []
    # a Parquet file's typed columns and a spreadsheet's number and date cells: text recon
    # wrote ("1234.5", "2026-10-31"), not the export's, whatever the mapping says of the
    # export's numbers and dates (recon.reading.Cells.canonical)
    canonical = df.attrs.get("canonical", {})
    for col in df.columns:
        f = fields.get(col)
        theirs = original.get(col, col)
        if f is None or (theirs in canonical and canonical[theirs] is None):
            continue  # not ours, or every cell's text recon's own
        written = canonical.get(theirs)  # a flag per cell, or None: every cell the export's
        if (f.kind in SCALE or f.kind == "int") and (fmt.decimal != "." or fmt.thousands):
            arr = pya.array(df[col].array, type=pya.string(), from_pandas=True)
            out, bad, why = _normalise_number(arr, fmt, written)
            if bad is not None:
                marks.append((col, df.index[bad].tolist(), *why))
            df[col] = pd.Series(out, index=df.index, dtype=TEXT)
        elif f.kind == "date" and fmt.date_format != "%Y-%m-%d":
            arr = pya.array(df[col].array, type=pya.string(), from_pandas=True)
            parsed = pc.strptime(arr, format=fmt.date_format, unit="s", error_is_null=True)
            # strptime rolls 31.02. over into March: a real date prints back the same
            # (leading zeros aside), anything else stays as it was and fails the date check.
            back = pc.strftime(parsed, format=fmt.date_format)
            real = pc.equal(_no_leading_zeros(back), _no_leading_zeros(arr))
            parsed = pc.if_else(pc.fill_null(real, False), parsed, pya.scalar(None, parsed.type))
            iso = pc.strftime(parsed, format="%Y-%m-%d")
            # Values that do not parse stay as they were, so the error quotes them.
            iso = pc.coalesce(iso, arr)
            df[col] = pd.Series(iso if written is None else pc.if_else(written, arr, iso), index=df.index, dtype=TEXT)
    if marks:
        df.attrs["format_problems"] = marks
    return df, original


def _normalise_number(arr: pya.Array, fmt: FileFormat, written: pya.Array | None = None):
    """Numbers of the mapping's format as plain numbers ("1.234,56" -> "1234.56").

    Returns (text, mask of cells that do not fit the format or None, (reason, fix)).
    Such cells keep the file's text, as do the cells flagged in ``written`` (recon wrote
    their text from a number cell: "1234.56" already).
    """
    import re

    t, d = fmt.thousands, fmt.decimal
    bad = None
    out = arr
    if t:
        # thousands only between groups of three digits: 1.234.567 (a lone "1,5" with
        # thousands="," is a decimal comma, not fifteen)
        grouped = rf"^[+-]?[0-9]{{1,3}}({re.escape(t)}[0-9]{{3}})+({re.escape(d)}[0-9]*)?$"
        has = pc.fill_null(pc.match_substring(arr, t), False)
        fits = pc.fill_null(pc.match_substring_regex(arr, grouped), False)
        bad = pc.and_(has, pc.invert(fits))
        out = pc.replace_substring(out, t, "")
    if d != ".":
        if t != ".":
            # a '.' in a decimal-comma file: 1.5 (one and a half?) or 1.500 (1500?)
            dot = pc.fill_null(pc.match_substring(arr, "."), False)
            bad = dot if bad is None else pc.or_(bad, dot)
        out = pc.replace_substring(out, d, ".")
    if written is not None:
        out = pc.if_else(written, arr, out)
        bad = None if bad is None else pc.and_(bad, pc.invert(written))
    if bad is None or not pc.any(bad).as_py():
        return out, None, None
    out = pc.if_else(bad, arr, out)
    example = f"1{t}234{t}567{d}89" if t else f"1234567{d}89"
    why = (f"does not fit the mapping's number format (decimal {d!r}"
           + (f", thousands {t!r} between groups of three digits" if t else ", no '.'") + ")",
           f"write it as {example}, or fix decimal/thousands in the mapping file")
    return out, bad.to_numpy(zero_copy_only=False), why


def _no_leading_zeros(arr: pya.Array) -> pya.Array:
    return pc.replace_substring_regex(arr, r"(^|[^0-9])0+([0-9])", r"\1\2")


# -- converting --------------------------------------------------------------------------


def to_typed(df: pd.DataFrame, table: str) -> pd.DataFrame:
    """Convert checked text columns to exact Arrow types (decimal, date, int)."""
    fields = TABLES[table]
    # the text columns are taken out of pandas here; only Arrow kernels run in threads
    text = {f.name: pya.array(df[f.name].array, type=pya.string(), from_pandas=True)
            for f in fields if f.name in df.columns}

    def convert(f):
        if f.name not in text:
            return pya.nulls(len(df), ARROW[f.kind])
        arr = text[f.name]
        if f.kind == "date":
            arr = pc.cast(pc.strptime(arr, format="%Y-%m-%d", unit="s"), pya.date32())
        elif f.kind == "timestamp":
            arr = pc.cast(arr, pya.timestamp("us"))
        elif f.kind in ("money", "quantity", "rate"):
            arr = pc.cast(pc.utf8_ltrim(arr, characters="+"), ARROW[f.kind])
        elif f.kind == "int":
            arr = pc.cast(pc.utf8_ltrim(arr, characters="+"), pya.int64())
        return arr.cast(ARROW[f.kind])

    arrays = _by_column(convert, fields, len(df))
    # wrap the Arrow arrays as they are (pd.Series(arr, dtype=...) would box them again)
    return pd.DataFrame({f.name: pd.Series(pd.arrays.ArrowExtensionArray(a), index=df.index)
                         for f, a in zip(fields, arrays, strict=True)}, index=df.index)


@dataclass
class Checked:
    """One file (or frame) of a table, read and checked: what import and load work from."""

    name: str  # the file's path as given (messages name it)
    raw: pd.DataFrame  # the file's cells as read, its own column names
    text: pd.DataFrame  # the same cells mapped: our column names, plain numbers and dates
    typed: pd.DataFrame | None  # the good rows, exact types; None when a column is missing
    problems: list[Problem]
    fmt: FileFormat
    table: str

    @property
    def ignored_columns(self) -> list[str]:
        """The file's columns that are not the table's (nor mapped to one): not imported."""
        ours = {f.name for f in TABLES[self.table]}
        return [c for c in self.raw.columns if self.fmt.columns.get(c, c) not in ours]

    def in_file_terms(self, p: Problem) -> Problem:
        """A problem of this file naming the file's own column and quoting its cell as the
        file has it ('12.5', not '12.500'; '1.234,50', not '1234.50')."""
        theirs = {v: k for k, v in self.fmt.columns.items() if k in self.raw.columns}
        column = theirs.get(p.column, p.column)
        value = p.value
        if p.row is not None and column in self.raw.columns and p.row in self.raw.index:
            cell = self.raw.at[p.row, column]
            value = None if pd.isna(cell) else cell
        if (column, value) == (p.column, p.value):
            return p
        return dataclasses.replace(p, column=column, value=value)


def check_file(source: str | Path | pd.DataFrame, table: str, fmt: FileFormat | None = None,
               *, what: str | None = None) -> Checked:
    """Read, map and check one file (or an analyst's DataFrame) of ``table``, collecting
    every problem. A file that cannot be read at all raises BadInput."""
    fmt = fmt or FileFormat()
    if isinstance(source, pd.DataFrame):
        name = what or f"{table} (DataFrame)"
        raw = frame_as_text(source)
    else:
        name = str(source)
        raw = read_text(source, fmt, table)
    df, original = apply_format(raw, table, fmt, name)
    typed, problems = check_rows(df, table, name, original)
    if "currency" in df.columns and any(p.code == "too_many_decimals" for p in problems):
        problems = name_currency_decimals(problems, df["currency"])
    checked = Checked(name, raw, df, typed, problems, fmt, table)
    checked.problems = [checked.in_file_terms(p) for p in problems]
    if typed is not None:
        typed.attrs["source"] = name
        typed.attrs["original_names"] = original
        # the contract's columns the file carries (an optional one it leaves out is all null
        # in the typed frame, which a comparison must not take for a value)
        typed.attrs["columns"] = [c for c in df.columns if c in typed.columns]
    return checked


def name_currency_decimals(problems: list[Problem], currency: pd.Series,
                           digits: dict[str, int] | None = None) -> list[Problem]:
    """Word "too many decimals" with the row's own currency: "GBP has 2 decimals".

    ``currency``: each row's currency, indexed by row; ``digits``: a ledger's
    currencies (default: ISO 4217's and those added).
    """
    from .money import currency_digits

    out = []
    for p in problems:
        cur = currency.get(p.row) if p.code == "too_many_decimals" and p.row is not None else None
        d = None
        if isinstance(cur, str):
            try:
                d = digits[cur] if digits is not None else currency_digits(cur)
            except KeyError:
                d = None
        if d is None:
            out.append(p)
            continue
        text = f"{cur} has {d} decimals" if d else f"{cur} has no decimals (whole units only)"
        fix = f"round the amount to {d} decimals" if d else "round the amount to a whole number"
        out.append(dataclasses.replace(p, reason=text, fix=fix))
    return out


def load(
    source: str | Path | pd.DataFrame, table: str, fmt: FileFormat | None = None,
    *, what: str | None = None,
) -> pd.DataFrame:
    """Read, map, check and convert one file (or an analyst's DataFrame) of ``table``.

    Raises BadInput listing every bad row, with nothing converted.
    """
    checked = check_file(source, table, fmt, what=what)
    if checked.problems:
        raise BadInput.from_problems(checked.name, checked.problems)
    return checked.typed


def check_rows(df: pd.DataFrame, table: str, name: str,
               original: dict[str, str]) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Check mapped text rows (text schema, conversion, typed schema, all lazy).

    Returns the good rows as a typed frame and the problems of the bad ones, so a caller
    can check the good rows further in the same run; None for the frame when a required
    column is missing (nothing to go on).
    """
    problems = check_text(df, table, name, original)
    marks = df.attrs.get("format_problems", [])
    if marks:
        # a number the mapping's format does not fit: one problem naming the format,
        # instead of (or rather than no) "not a number"
        marked = {(r, original.get(c, c)) for c, rows, *_ in marks for r in rows}
        problems = [p for p in problems if (p.row, p.column) not in marked]
        problems += [Problem(reason=why, file=name, row=int(r), column=original.get(c, c),
                             value=df.at[r, c], fix=fix, code="number_format")
                     for c, rows, why, fix in marks for r in rows]
        problems.sort(key=lambda p: (p.row is not None, p.row or 0, p.column or ""))
    if any(p.row is None for p in problems):
        return None, problems
    if problems:
        df = df.drop(index=sorted({p.row for p in problems}))
    typed = to_typed(df, table)
    try:
        typed_schema(table).validate(typed, lazy=True)
    except pa.errors.SchemaErrors as err:
        problems += failures_to_problems(err, name, table, original)
        typed = typed.drop(index=sorted({p.row for p in problems if p.row in typed.index}))
    return typed, problems


def check_text(df: pd.DataFrame, table: str, name: str, original: dict[str, str]) -> list[Problem]:
    try:
        text_schema(table).validate(df, lazy=True)
    except pa.errors.SchemaErrors as err:
        return failures_to_problems(err, name, table, original)
    return []


def frame_as_text(df: pd.DataFrame) -> pd.DataFrame:
    """An analyst's DataFrame as text cells, numbered like a file (first data row = 2)."""
    out, canonical = {}, {}
    for c in df.columns:
        s = df[c]
        if pd.api.types.is_float_dtype(s.dtype) and not isinstance(s.dtype, pd.ArrowDtype):
            raise BadInput(
                f"column {c} is float64, which cannot carry money or quantities exactly; "
                "use Decimal values, strings or an Arrow decimal dtype"
            )
        if isinstance(s.dtype, pd.ArrowDtype) and pya.types.is_floating(s.dtype.pyarrow_dtype):
            raise BadInput(f"column {c} holds binary floats; use Arrow decimals or strings")
        fast = _text_by_arrow(s)
        if fast is None:
            fast = _text_of_objects(s)
        if fast is not None:
            out[str(c)], typed_column = fast
            if typed_column:
                canonical[str(c)] = None
            continue
        out[str(c)] = _text_cell_by_cell(s, canonical, str(c))
    text = pd.DataFrame({k: pd.arrays.ArrowExtensionArray(v) if isinstance(v, pya.ChunkedArray | pya.Array)
                         else pd.array(v, dtype=TEXT) for k, v in out.items()})
    text.index = pd.RangeIndex(2, len(text) + 2)
    for c in text.columns:
        s = text[c].str.strip()
        text[c] = s.mask(s == "")
    if canonical:
        text.attrs["canonical"] = canonical  # apply_format leaves their text as it is
    return text


def _text_by_arrow(s: pd.Series) -> tuple[pya.ChunkedArray, bool] | None:
    """A column of text, decimals, integers, dates or flags as text by one Arrow cast (the
    same text the cell-by-cell path writes: "1.500", "2026-10-31", "true"), and whether it
    held values rather than text; None for any other column (objects, timestamps), which
    goes cell by cell. A 1M-row frame of Arrow columns took 13.7 s cell by cell."""
    dtype = s.dtype
    if not (isinstance(dtype, pd.ArrowDtype | pd.StringDtype) or pd.api.types.is_integer_dtype(dtype)
            or pd.api.types.is_bool_dtype(dtype)):
        return None
    arr = pya.array(s.array, from_pandas=True)  # an Arrow column as it is, without a copy
    if isinstance(arr, pya.Array):
        arr = pya.chunked_array([arr])
    t = arr.type
    if pya.types.is_string(t) or pya.types.is_large_string(t):
        return arr.cast(pya.string()), False
    if pya.types.is_decimal(t) or pya.types.is_integer(t) or pya.types.is_boolean(t) or pya.types.is_date32(t):
        return arr.cast(pya.string()), True
    return None


def _text_of_objects(s: pd.Series) -> tuple[pya.Array, bool] | None:
    """An object column whose values are all text (str), all Decimals or all days, with empty
    cells (None, NaN, pd.NA) among them, as the text the cell-by-cell path writes, and
    whether it held values; None for any other mix, which goes cell by cell. The column
    an analyst builds from Python Decimals or strings is an object column: a million of
    them took ~1 s a column cell by cell; here a column of Decimals takes 0.4-0.6 s and
    one of text ~0.2 s (benchmarks/RESULTS.md)."""
    if s.dtype != object:
        return None
    empty = s.isna().to_numpy()  # the same test as pd.isna of each cell (_isna)
    cells = s.to_numpy(dtype=object, copy=True)
    cells[empty] = None
    given = cells[~empty]
    kinds = set(map(type, given))
    if kinds <= {str}:
        return pya.array(cells, type=pya.string()), False
    if kinds == {Decimal}:
        # f"{v:f}" keeps each value's own digits ("1.5", "2.250", "1000" for 1E+3);
        # an Arrow decimal column would pad every value to the column's widest scale
        # (Decimal.__format__ itself: a format string's .format costs twice as much)
        cells[~empty] = list(map(Decimal.__format__, given, itertools.repeat("f")))
        return pya.array(cells, type=pya.string()), True
    if kinds == {dt.date}:  # days (a datetime, a pd.Timestamp, is another type: cell by cell)
        cells[~empty] = list(map(dt.date.isoformat, given))
        return pya.array(cells, type=pya.string()), True
    return None


def _text_cell_by_cell(s: pd.Series, canonical: dict, name: str) -> list[str | None]:
    """Any column as text, one cell at a time (_cell_text, a Decimal's own digits): the
    reference the faster paths above are tested against."""
    values = [None if _isna(v) else v for v in s.tolist()]
    # a value (Decimal, int, date) is written here as recon's own text ("1.5",
    # "2026-10-31"): a mapping's number and date formats are the export's text's, as
    # for a spreadsheet's number and date cells
    mark_written(canonical, name, values)
    return [_cell_text(v) if not isinstance(v, Decimal) else f"{v:f}" for v in values]


def _isna(v) -> bool:
    try:
        return v is None or bool(pd.isna(v))
    except (TypeError, ValueError):
        return False
