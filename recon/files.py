"""Reading and writing the ledger's files (.csv, .parquet, .xlsx).

A file is first read as *text* (every cell a string, rows numbered as a spreadsheet
shows them: the header is row 1), renamed and normalised by an optional mapping, and
checked against the text schema; only then converted to exact Arrow types. This way an
error can always quote the value exactly as the file had it.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path

import duckdb
import pandas as pd
import pandera.pandas as pa
import pyarrow as pya
import pyarrow.compute as pc

from .errors import BadInput, Problem
from .schemas import SCALE, TABLES, TEXT, failures_to_problems, text_schema, typed_schema

SUFFIXES = (".csv", ".parquet", ".xlsx")


@dataclass(frozen=True)
class FileFormat:
    """How a platform export differs from our contract (a TOML mapping file).

    ```toml
    delimiter = ";"          # default: sniffed
    decimal = ","            # decimal comma: "1.234,56"
    thousands = "."
    date_format = "%d.%m.%Y" # day-first dates
    [columns]                # export's name = our name
    "Invoice No" = "debit_invoice_id"
    ```
    """

    columns: dict[str, str] = field(default_factory=dict)
    delimiter: str | None = None
    decimal: str = "."
    thousands: str | None = None
    date_format: str = "%Y-%m-%d"

    @classmethod
    def from_toml(cls, path: str | Path | None) -> FileFormat:
        if path is None:
            return cls()
        p = Path(path)
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise BadInput(f"mapping file {p} not found") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise BadInput(f"mapping file {p} is not valid TOML: {exc}") from None
        known = {"columns", "delimiter", "decimal", "thousands", "date_format"}
        unknown = set(data) - known
        if unknown:
            raise BadInput(
                f"mapping file {p}: unknown setting(s) {', '.join(sorted(unknown))}; "
                f"use {', '.join(sorted(known))}"
            )
        fmt = cls(
            columns={str(k): str(v) for k, v in data.get("columns", {}).items()},
            delimiter=data.get("delimiter"),
            decimal=data.get("decimal", "."),
            thousands=data.get("thousands"),
            date_format=data.get("date_format", "%Y-%m-%d"),
        )
        if fmt.decimal not in (".", ","):
            raise BadInput(f"mapping file {p}: decimal must be '.' or ','")
        return fmt


def find_table_file(directory: Path, table: str) -> Path | None:
    hits = [directory / f"{table}{s}" for s in SUFFIXES if (directory / f"{table}{s}").exists()]
    if len(hits) > 1:
        raise BadInput(
            f"{directory}: both {hits[0].name} and {hits[1].name} exist; keep one file per table"
        )
    return hits[0] if hits else None


# -- reading ------------------------------------------------------------------------------


def read_text(path: str | Path, fmt: FileFormat | None = None) -> pd.DataFrame:
    """Every cell as text (null when empty); the index is the spreadsheet row number."""
    p = Path(path)
    fmt = fmt or FileFormat()
    if not p.exists():
        raise BadInput(f"{p}: file not found")
    if p.stat().st_size == 0:
        raise BadInput(f"{p}: the file is empty; export it again with its header row")
    suffix = p.suffix.lower()
    if suffix == ".csv":
        table = _read_csv(p, fmt)
    elif suffix == ".parquet":
        table = _read_parquet(p)
    elif suffix == ".xlsx":
        table = _read_xlsx(p)
    else:
        raise BadInput(f"{p}: unsupported file type {suffix!r}; use .csv, .parquet or .xlsx")
    # Trimmed, and empty cells null, in Arrow before pandas sees them (the same
    # utf8_trim_whitespace that pandas' .str.strip() runs, without a copy per step).
    table = pya.table(_by_column(_trimmed, table.columns, table.num_rows), names=[str(c).strip() for c in table.column_names])
    df = table.to_pandas(types_mapper=lambda t: TEXT)
    df.index = pd.RangeIndex(2, len(df) + 2)
    return df


@cache
def _scratch() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB for reading files (a new connection costs 10-20 ms a file)."""
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")  # a large file would draw DuckDB's bar on stderr
    return con


def _trimmed(col: pya.ChunkedArray) -> pya.ChunkedArray:
    if col.null_count == len(col):
        return col.cast(pya.string())
    text = pc.utf8_trim_whitespace(col.cast(pya.string()))
    return pc.if_else(pc.equal(text, ""), pya.scalar(None, pya.string()), text)


def _by_column(fn, columns: list, rows: int) -> list:
    """fn over each column, two at a time on a large file: Arrow kernels release the GIL,
    so a second core works on a second column."""
    if len(columns) < 2 or rows < 100_000:
        return [fn(c) for c in columns]
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(fn, columns))


def _read_csv(p: Path, fmt: FileFormat) -> pya.Table:
    plain = _read_csv_plain(p, fmt)
    if plain is not None:
        return plain
    opts = "all_varchar = true, header = true, strict_mode = true, encoding = 'utf-8'"
    params: dict = {"p": str(p)}
    if fmt.delimiter:
        opts += ", delim = $d"
        params["d"] = fmt.delimiter
    try:
        con = _scratch()
        table = con.sql(f"SELECT * FROM read_csv($p, {opts})", params=params).to_arrow_table()
    except duckdb.Error as exc:
        text = str(exc)
        if "unicode" in text.lower() or "utf-8" in text.lower():
            raise BadInput(f"{p}: the file is not UTF-8 text; save or export it as UTF-8 CSV") from None
        lines = text.strip().splitlines()
        detail = " ".join(line.strip() for line in lines[:2])
        raise BadInput(f"{p}: cannot read it as CSV ({detail}); check the delimiter, quoting and "
                       "that every row has as many fields as the header") from None
    _check_header(p, table.column_names, fmt.delimiter)
    return table


# The delimiters DuckDB's sniffer tries.
_DELIMITERS = (",", ";", "\t", "|")
# Bytes whose absence makes a CSV file plain: no quote or escape character the sniffer
# could pick (so every quoting rule reads it the same), no NUL.
_NOT_PLAIN = (b'"', b"'", b"\\", b"\x00")


def _read_csv_plain(p: Path, fmt: FileFormat) -> pya.Table | None:
    """A *plain* CSV file read by pyarrow (fast path; a 1M-row file: 0.05 s against 0.11 s
    for DuckDB's reader with its sniffer). None when the file is not plain, and DuckDB
    reads it.

    Plain: lines of fields split by one delimiter, and nothing a dialect could read
    another way. The delimiter is the mapping's, or else the only one of DuckDB's
    candidates in the header line, and no other candidate occurs anywhere in the file
    (so the sniffer, too, can only split on it); no quote, escape or NUL byte; LF or CRLF
    line ends, not a mix; column names distinct and non-empty once trimmed; no
    line starting with '#' (DuckDB may take it for a comment). A ragged row, an over-long
    line or invalid UTF-8 makes pyarrow fail, and DuckDB reads the file and words the
    error. Blank lines are skipped, as DuckDB skips them.
    """
    import pyarrow.csv as pcsv

    with p.open("rb") as f:
        first = f.readline()
    try:
        header = first.decode("utf-8-sig").rstrip("\r\n")
    except UnicodeDecodeError:
        return None
    if fmt.delimiter:
        if len(fmt.delimiter) != 1 or not fmt.delimiter.isascii():
            return None
        delimiter, others = fmt.delimiter, ()
    else:
        found = [d for d in _DELIMITERS if d in header]
        if len(found) != 1:
            return None
        delimiter = found[0]
        others = tuple(d.encode() for d in _DELIMITERS if d != delimiter)
    names = header.split(delimiter)
    # distinct even once trimmed: DuckDB trims names and renames a repeated one
    trimmed = [n.strip() for n in names]
    if len(set(trimmed)) < len(names) or not all(trimmed) or header.startswith("#"):
        return None
    with ThreadPoolExecutor(max_workers=1) as pool:
        # the bytes are checked while pyarrow parses (both release the GIL)
        plain = pool.submit(_plain_bytes, p, others)
        try:
            table = pcsv.read_csv(
                p,
                # 8 MB blocks: a 50 MB file in 6 chunks, not 48 (every later Arrow and
                # pandas step pays per chunk; measured 0.39 -> 0.23 s read and checked)
                read_options=pcsv.ReadOptions(use_threads=True, block_size=8 << 20),
                parse_options=pcsv.ParseOptions(delimiter=delimiter, quote_char=False,
                                                ignore_empty_lines=True),
                convert_options=pcsv.ConvertOptions(
                    column_types={n: pya.string() for n in names}, strings_can_be_null=False,
                    quoted_strings_can_be_null=False))
        except (pya.ArrowException, OSError):
            table = None
        if table is None or not plain.result():
            return None
    if table.column_names != names or (
            table.num_rows and pc.any(pc.starts_with(table.column(0), "#")).as_py()):
        return None
    return table


def _plain_bytes(p: Path, others: tuple[bytes, ...]) -> bool:
    """No byte of _NOT_PLAIN or ``others`` in the file, and LF or CRLF line ends, not both."""
    import mmap
    import re

    try:
        with p.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
            if any(m.find(b) >= 0 for b in _NOT_PLAIN + others):
                return False
            # line ends all LF, or all CRLF (DuckDB refuses a mix that pyarrow would read)
            return m.find(b"\r") < 0 or re.search(rb"\r(?!\n)|(?<!\r)\n", m) is None
    except (OSError, ValueError):  # not a mappable file: DuckDB reads it
        return False


def _check_header(p: Path, names: list[str], delimiter: str | None) -> None:
    """DuckDB's sniffer may take a wider row for the header when rows are ragged: refuse
    unless the columns are the file's first line."""
    import csv

    candidates = [delimiter] if delimiter else _DELIMITERS
    with p.open(encoding="utf-8-sig", newline="") as f:
        first = f.readline()
    for d in candidates:
        fields = next(csv.reader([first], delimiter=d), [])
        if [x.strip() for x in fields] == [n.strip() for n in names]:
            return
    # only on this error path: find the first row whose width differs from the header's
    with p.open(encoding="utf-8-sig", newline="") as f:
        lines = list(csv.reader(f, delimiter=delimiter or ","))
    width = len(lines[0]) if lines else 0
    bad = next((n for n, row in enumerate(lines, start=1) if len(row) != width), None)
    where = f"line {bad} has {len(lines[bad - 1])} fields, the header {width}" if bad else "its header row is unusual"
    raise BadInput(f"{p}: cannot read it as CSV: {where}; give every row as many fields as the "
                   "header (quote fields that contain the delimiter)")


def _read_parquet(p: Path) -> pya.Table:
    text = _read_parquet_text(p)
    if text is not None:
        return text
    try:
        con = _scratch()
        rel = con.sql("SELECT * FROM read_parquet($p)", params={"p": str(p)})
        floats = [n for n, t in zip(rel.columns, rel.types, strict=True) if str(t) in ("DOUBLE", "FLOAT", "REAL")]
        if floats:
            raise BadInput(
                f"{p}: column {floats[0]} holds binary floating-point numbers, which cannot carry "
                "money exactly; export it as DECIMAL or text"
            )
        cols = ", ".join(
            f"strftime({_q(n)}, '%Y-%m-%d') AS {_q(n)}" if str(t) == "DATE"
            else f"{_q(n)}::VARCHAR AS {_q(n)}"
            for n, t in zip(rel.columns, rel.types, strict=True)
        )
        return con.sql(f"SELECT {cols} FROM read_parquet($p)", params={"p": str(p)}).to_arrow_table()
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0]
        raise BadInput(f"{p}: cannot read it as Parquet ({first})") from None


def _read_parquet_text(p: Path) -> pya.Table | None:
    """A Parquet file whose every column is text, read by pyarrow as it is (fast path).

    Any other column type (numbers, dates) is left to DuckDB's casts above, so a cell
    reads the same either way; None when the fast path does not apply.
    """
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(p)
        names = [str(n).strip() for n in schema.names]
        if not names or len(set(names)) < len(names) or not all(
                pya.types.is_string(t) or pya.types.is_large_string(t) for t in schema.types):
            return None
        table = pq.read_table(p).cast(pya.schema([(n, pya.string()) for n in schema.names]))
        table.validate(full=True)  # invalid UTF-8 goes to DuckDB, which names the problem
        return table
    except (pya.ArrowException, OSError):
        return None  # DuckDB reads it again and words the error


def _q(name: str) -> str:
    # An identifier, not a value: quote it so any column name is safe.
    return '"' + name.replace('"', '""') + '"'


def _cell_text(v) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        # Excel stores numbers as doubles; the shortest repr is the number the cell shows.
        if v != v or v in (float("inf"), float("-inf")):
            return str(v)
        d = Decimal(repr(v))
        return f"{d.normalize():f}" if d == d.to_integral_value() else f"{d:f}"
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time() else v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


def _read_xlsx(p: Path) -> pya.Table:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(p, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken workbook
        raise BadInput(f"{p}: cannot read it as an Excel workbook ({exc})") from None
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None:
        raise BadInput(f"{p}: the first sheet is empty; export it again with its header row")
    names = [str(h).strip() if h is not None else f"column{i}" for i, h in enumerate(header)]
    data = [[_cell_text(v) for v in r] for r in rows]
    wb.close()
    while data and all(v is None for v in data[-1]):
        data.pop()
    cols = {n: pya.array([r[i] if i < len(r) else None for r in data], type=pya.string())
            for i, n in enumerate(names)}
    return pya.table(cols)


# -- mapping and normalising ----------------------------------------------------------------


def apply_format(df: pd.DataFrame, table: str, fmt: FileFormat) -> tuple[pd.DataFrame, dict[str, str]]:
    """Rename export columns to ours and normalise numbers and dates.

    Returns the frame and {our name: the file's name} for error messages.
    """
    rename = {k: v for k, v in fmt.columns.items() if k in df.columns}
    df = df.rename(columns=rename)
    original = {v: k for k, v in rename.items()}
    fields = {f.name: f for f in TABLES[table]}
    for name in df.columns:
        f = fields.get(name)
        if f is None:
            continue
        if (f.kind in SCALE or f.kind == "int") and (fmt.decimal != "." or fmt.thousands):
            s = df[name]
            if fmt.thousands:
                s = s.str.replace(fmt.thousands, "", regex=False)
            if fmt.decimal != ".":
                s = s.str.replace(fmt.decimal, ".", regex=False)
            df[name] = s
        elif f.kind == "date" and fmt.date_format != "%Y-%m-%d":
            arr = pya.array(df[name].array, type=pya.string(), from_pandas=True)
            parsed = pc.strptime(arr, format=fmt.date_format, unit="s", error_is_null=True)
            # strptime rolls 31.02. over into March: a real date prints back the same
            # (leading zeros aside), anything else stays as it was and fails the date check.
            back = pc.strftime(parsed, format=fmt.date_format)
            real = pc.equal(_no_leading_zeros(back), _no_leading_zeros(arr))
            parsed = pc.if_else(pc.fill_null(real, False), parsed, pya.scalar(None, parsed.type))
            iso = pc.strftime(parsed, format="%Y-%m-%d")
            # Values that do not parse stay as they were, so the error quotes them.
            df[name] = pd.Series(pc.coalesce(iso, arr), index=df.index, dtype=TEXT)
    return df, original


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
            return pya.nulls(len(df), f.dtype.pyarrow_dtype)
        arr = text[f.name]
        if f.kind == "date":
            arr = pc.cast(pc.strptime(arr, format="%Y-%m-%d", unit="s"), pya.date32())
        elif f.kind == "timestamp":
            arr = pc.cast(arr, pya.timestamp("us"))
        elif f.kind in ("money", "quantity", "rate"):
            arr = pc.cast(pc.utf8_ltrim(arr, characters="+"), f.dtype.pyarrow_dtype)
        elif f.kind == "int":
            arr = pc.cast(pc.utf8_ltrim(arr, characters="+"), pya.int64())
        return arr.cast(f.dtype.pyarrow_dtype)

    arrays = _by_column(convert, fields, len(df))
    # wrap the Arrow arrays as they are (pd.Series(arr, dtype=...) would box them again)
    return pd.DataFrame({f.name: pd.Series(pd.arrays.ArrowExtensionArray(a), index=df.index)
                         for f, a in zip(fields, arrays, strict=True)}, index=df.index)


def load(
    source: str | Path | pd.DataFrame, table: str, fmt: FileFormat | None = None,
    *, what: str | None = None,
) -> pd.DataFrame:
    """Read, map, check and convert one file (or an analyst's DataFrame) of ``table``.

    Raises BadInput listing every bad row, with nothing converted.
    """
    fmt = fmt or FileFormat()
    if isinstance(source, pd.DataFrame):
        name = what or f"{table} (DataFrame)"
        df = frame_as_text(source)
    else:
        name = str(source)
        df = read_text(source, fmt)
    df, original = apply_format(df, table, fmt)
    typed, problems = check_rows(df, table, name, original)
    if problems:
        raise BadInput.from_problems(name, problems)
    typed.attrs["source"] = name
    typed.attrs["original_names"] = original
    # the contract's columns the file carries (an optional one it leaves out is all null
    # in the typed frame, which a comparison must not take for a value)
    typed.attrs["columns"] = [c for c in df.columns if c in typed.columns]
    return typed


def check_rows(df: pd.DataFrame, table: str, name: str,
               original: dict[str, str]) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Check mapped text rows (text schema, conversion, typed schema, all lazy).

    Returns the good rows as a typed frame and the problems of the bad ones, so a caller
    can check the good rows further in the same run; None for the frame when a required
    column is missing (nothing to go on).
    """
    problems = check_text(df, table, name, original)
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
    out = {}
    for c in df.columns:
        s = df[c]
        if pd.api.types.is_float_dtype(s.dtype) and not isinstance(s.dtype, pd.ArrowDtype):
            raise BadInput(
                f"column {c} is float64, which cannot carry money or quantities exactly; "
                "use Decimal values, strings or an Arrow decimal dtype"
            )
        if isinstance(s.dtype, pd.ArrowDtype) and pya.types.is_floating(s.dtype.pyarrow_dtype):
            raise BadInput(f"column {c} holds binary floats; use Arrow decimals or strings")
        out[str(c)] = [None if _isna(v) else _cell_text(v) if not isinstance(v, Decimal) else f"{v:f}"
                       for v in s.tolist()]
    text = pd.DataFrame({k: pd.array(v, dtype=TEXT) for k, v in out.items()})
    text.index = pd.RangeIndex(2, len(text) + 2)
    for c in text.columns:
        s = text[c].str.strip()
        text[c] = s.mask(s == "")
    return text


def _isna(v) -> bool:
    try:
        return v is None or bool(pd.isna(v))
    except (TypeError, ValueError):
        return False
