"""A file's cells as text (.csv, .parquet, .xlsx), in Arrow: the first step of reading
any file, before recon.files maps, checks and converts them.

Every cell is read as a string, trimmed and null when empty, and each row keeps the
number a spreadsheet or an editor shows (the header is row 1). This module needs DuckDB,
pyarrow (with numpy) and the standard library, not pandas or pandera: the command line starts
reading a large file here (:func:`read_ahead`) while those two load, which takes them
0.3-0.4 s (benchmarks/RESULTS.md).
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import tomllib
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

import duckdb
import pyarrow as pya
import pyarrow.compute as pc

from .db import scratch
from .errors import BadInput, Problem

SUFFIXES = (".csv", ".parquet", ".xlsx")


@dataclass(frozen=True)
class FileFormat:
    """How a platform export differs from our contract (a TOML mapping file).

    ```toml
    delimiter = ";"          # default: sniffed
    decimal = ","            # decimal comma: "1.234,56"
    thousands = "."          # groups of three digits: 1.234.567,89
    date_format = "%d.%m.%Y" # day-first dates
    net_may_differ = true    # import: net_amount need not be quantity × unit_price
    [columns]                # export's name = our name
    "Invoice No" = "debit_invoice_id"
    ```
    Every setting is checked when the file is read: a wrong type, a thousands separator
    that is the decimal mark, or a date format that cannot print and read back a date is
    refused before any data file is opened.
    """

    columns: dict[str, str] = field(default_factory=dict)
    delimiter: str | None = None
    decimal: str = "."
    thousands: str | None = None
    date_format: str = "%Y-%m-%d"
    # import: a net amount may differ from round_half_up(quantity × unit_price) by more
    # than one minor unit (discounts, minimum charges); counted in the summary
    net_may_differ: bool = False

    @classmethod
    def from_toml(cls, path: str | Path | None) -> FileFormat:
        if path is None:
            return cls()
        p = Path(path)
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise BadInput(f"mapping file {p} not found") from None
        except OSError as exc:
            raise BadInput(f"mapping file {p} cannot be read: {exc.strerror}") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise BadInput(f"mapping file {p} is not valid TOML: {exc}") from None
        return cls.from_dict(data, str(p))

    @classmethod
    def from_dict(cls, data: dict, where: str = "mapping") -> FileFormat:
        """The settings of a mapping (as TOML reads them), every one checked."""
        def refuse(what: str) -> BadInput:
            return BadInput(f"mapping file {where}: {what}")

        known = {"columns", "delimiter", "decimal", "thousands", "date_format", "net_may_differ"}
        unknown = set(data) - known
        if unknown:
            raise refuse(f"unknown setting(s) {', '.join(sorted(unknown))}; use {', '.join(sorted(known))}")
        columns = data.get("columns", {})
        if not isinstance(columns, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in columns.items()):
            raise refuse('columns must be a table of "export name" = "our name" (text = text)')
        mapped = {}
        for theirs, ours in columns.items():
            if not ours.strip() or not theirs.strip():
                raise refuse("a column name in [columns] is empty")
            if ours.strip() in mapped:
                raise refuse(f"columns {mapped[ours.strip()]!r} and {theirs!r} are both mapped to "
                             f"{ours.strip()!r}; map one column to each name")
            mapped[ours.strip()] = theirs
        for key in ("delimiter", "decimal", "thousands", "date_format"):
            if key in data and not isinstance(data[key], str):
                raise refuse(f"{key} = {data[key]!r}: give it as text in quotes, e.g. {key} = \"{_EXAMPLE[key]}\"")
        delimiter = data.get("delimiter")
        if delimiter is not None and (len(delimiter) != 1 or delimiter in "\r\n\"'"):
            raise refuse(f"delimiter {delimiter!r}: give one character, such as \",\", \";\", \"|\" or \"\\t\"")
        decimal = data.get("decimal", ".")
        if decimal not in (".", ","):
            raise refuse(f"decimal {decimal!r}: use \".\" or \",\"")
        thousands = data.get("thousands")
        if thousands is not None:
            if len(thousands) != 1 or thousands.isdigit() or thousands in "+-":
                raise refuse(f"thousands {thousands!r}: give one character that is not a digit or a sign, "
                             "such as \",\", \".\", \"'\" or \" \"")
            if thousands == decimal:
                raise refuse(f"thousands {thousands!r} is also the decimal mark (decimal = {decimal!r}): "
                             "136.40 would be read as 13640; set decimal = \",\" for 1.234,56, or drop thousands")
            if delimiter is not None and thousands == delimiter:
                raise refuse(f"thousands {thousands!r} is also the delimiter; numbers would split into two fields")
        date_format = data.get("date_format", "%Y-%m-%d")
        _check_date_format(date_format, refuse)
        net = data.get("net_may_differ", False)
        if not isinstance(net, bool):
            raise refuse(f"net_may_differ = {net!r}: use true or false (no quotes)")
        return cls(columns={k.strip(): v.strip() for k, v in columns.items()}, delimiter=delimiter,
                   decimal=decimal, thousands=thousands, date_format=date_format, net_may_differ=net)


_EXAMPLE = {"delimiter": ";", "decimal": ",", "thousands": ".", "date_format": "%d.%m.%Y"}


def _check_date_format(fmt: str, refuse) -> None:
    """A date format must print a date that it reads back as that date (31 Oct 2026)."""
    day = dt.date(2026, 10, 31)
    text, back = "", None
    try:
        text = day.strftime(fmt)
        back = dt.datetime.strptime(text, fmt).date()
    except ValueError:
        pass
    if back != day:
        raise refuse(f"date_format {fmt!r} cannot write and read a date (31 October 2026 as "
                     f"{text!r}); use codes such as \"%d.%m.%Y\" or \"%m/%d/%Y\" with %d, %m and %Y")


def find_table_file(directory: Path, table: str) -> Path | None:
    """The folder's file of ``table`` (.csv, .parquet or .xlsx), if any; two are refused."""
    hits = [directory / f"{table}{s}" for s in SUFFIXES if (directory / f"{table}{s}").exists()]
    if len(hits) > 1:
        raise BadInput(
            f"{directory}: both {hits[0].name} and {hits[1].name} exist; keep one file per table"
        )
    return hits[0] if hits else None


# -- reading ------------------------------------------------------------------------------


class Cells(NamedTuple):
    """What :func:`read_cells` reads of a file."""

    table: pya.Table  # every cell as text (trimmed, null when empty), the file's column names
    rows: list[int] | None  # each row's number when blank lines moved them off 2, 3, 4, …
    # cells whose text recon wrote itself from typed values ("1234.5", "2026-10-31"), not
    # the export's: a mapping's number and date formats, which say how the export writes
    # text, do not apply to them. By column name: None for every cell of the column (a
    # Parquet file's decimals, dates, integers), else a flag per row (a spreadsheet's
    # number and date cells beside its text cells)
    canonical: dict[str, pya.Array | None]


def read_cells(path: str | Path, fmt: FileFormat | None = None,
               keep: frozenset[str] = frozenset()) -> Cells:
    """The file's cells as text, and each row's number when blank lines moved them off
    2, 3, 4, … (None when they did not). Cells are trimmed, except those of the columns
    in ``keep`` (free text: spaces an export wrote there are the text's own), which are
    null only when blank. A read started by :func:`read_ahead` of the same, unchanged file
    is taken instead of reading it again."""
    fmt = fmt or FileFormat()
    ahead = _take_ahead(path, fmt, keep)
    if ahead is not None:
        return ahead.result()  # its rows, or the very error reading it raised
    return _read_cells(path, fmt, keep)


def read_ahead(path: str | Path, fmt: FileFormat | None = None, keep: frozenset[str] = frozenset()) -> None:
    """Start reading ``path`` in a background thread; the next :func:`read_cells` of it
    takes the result. For the command line: it reads while pandas and pandera load, and
    DuckDB and Arrow let go of the GIL while they read, so on two cores the two overlap
    (a 1M-row CSV apply is read and checked 0.1-0.17 s sooner; a Parquet one gains
    nothing, benchmarks/RESULTS.md). A path that is not a file is left to read_cells."""
    read_ahead_files([(path, keep)], fmt)


def read_ahead_files(files: list[tuple[str | Path, frozenset[str]]], fmt: FileFormat | None = None) -> None:
    """:func:`read_ahead` of several files (path, kept columns), read one after another in
    the order given (an import's order: while it checks one file, the next is read)."""
    fmt = fmt or FileFormat()
    reads = []
    for path, keep in files:
        key = _file_key(path, fmt, keep)
        if key is not None:
            reads.append((key, path, keep, Future()))
    if not reads:
        return

    def read() -> None:
        for _, path, keep, done in reads:
            if not done.set_running_or_notify_cancel():
                continue  # dropped by a later read_ahead: not wanted any more
            try:
                done.set_result(_read_cells(path, fmt, keep))
            except BaseException as exc:  # raised again where the rows are taken
                done.set_exception(exc)

    with _AHEAD_GUARD:
        for dropped in _AHEAD.values():
            dropped.cancel()
        # one run of reads at a time: those a refused command never took are dropped
        _AHEAD.clear()
        _AHEAD.update({key: done for key, _, _, done in reads})
    threading.Thread(target=read, name="recon-read-ahead", daemon=True).start()


# reads started by read_ahead, by file (path, identity, size, modification time) and
# what the reading depends on (the delimiter, the columns kept as they are)
_AHEAD: dict[tuple, Future] = {}
_AHEAD_GUARD = threading.Lock()


def _file_key(path: str | Path, fmt: FileFormat, keep: frozenset[str]) -> tuple | None:
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return (os.path.realpath(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, fmt.delimiter,
            frozenset(keep))


def _take_ahead(path: str | Path, fmt: FileFormat, keep: frozenset[str]) -> Future | None:
    if not _AHEAD:
        return None
    key = _file_key(path, fmt, keep)
    with _AHEAD_GUARD:
        return _AHEAD.pop(key, None) if key is not None else None


def _read_cells(path: str | Path, fmt: FileFormat, keep: frozenset[str]) -> Cells:
    p = Path(path)
    if not p.exists():
        raise BadInput(f"{p}: file not found")
    if not p.is_file():
        raise BadInput(f"{p}: not a file; give the path of a .csv, .parquet or .xlsx file")
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise BadInput(f"{p}: cannot be read ({exc.strerror})") from None
    if size == 0:
        raise BadInput(f"{p}: the file is empty; export it again with its header row")
    suffix = p.suffix.lower()
    rows, canonical = None, {}
    try:
        if suffix == ".csv":
            table_, rows = _read_csv(p, fmt)
        elif suffix == ".parquet":
            table_, canonical = _read_parquet(p)
        elif suffix == ".xlsx":
            table_, rows, canonical = _read_xlsx(p)
        else:
            raise BadInput(f"{p}: unsupported file type {suffix!r}; use .csv, .parquet or .xlsx")
    except PermissionError as exc:
        raise BadInput(f"{p}: cannot be read ({exc.strerror}); check the file's permissions") from None
    names = [str(c).strip() for c in table_.column_names]
    # Trimmed, and empty cells null, in Arrow before pandas sees them (the same
    # utf8_trim_whitespace that pandas' .str.strip() runs, without a copy per step).
    cols = _by_column(_trimmed, table_.columns, table_.num_rows)
    cols = [_blank_null(raw) if n in keep else c for n, raw, c in zip(names, table_.columns, cols, strict=True)]
    return Cells(pya.table(cols, names=names), rows, {str(n).strip(): c for n, c in canonical.items()})


def _blank_null(col: pya.ChunkedArray) -> pya.ChunkedArray:
    """Free text as it is, but null when it holds only spaces."""
    text = col.cast(pya.string())
    if text.null_count == len(text):
        return text
    blank = pc.equal(pc.utf8_trim_whitespace(text), "")
    return pc.if_else(blank, pya.scalar(None, pya.string()), text)


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


def _read_csv(p: Path, fmt: FileFormat) -> tuple[pya.Table, list[int] | None]:
    """The file's cells as text, and each row's line number when a blank line moved them."""
    table, no_blank = _read_csv_plain(p, fmt)
    if table is None:
        table = _read_csv_duckdb(p, fmt)
    # a plain file read with its blank lines kept and no row empty in every cell has no
    # blank line: its rows are 2, 3, 4, …
    return table, None if no_blank else _line_numbers(p, table.num_rows)


def _read_csv_duckdb(p: Path, fmt: FileFormat) -> pya.Table:
    opts = "all_varchar = true, header = true, strict_mode = true, encoding = 'utf-8'"
    params: dict = {"p": str(p)}
    if fmt.delimiter:
        opts += ", delim = $d"
        params["d"] = fmt.delimiter
    con = scratch()  # a cursor of its own, closed once the rows are read
    try:
        table = con.sql(f"SELECT * FROM read_csv($p, {opts})", params=params).to_arrow_table()
    except duckdb.Error as exc:
        text = str(exc)
        if "unicode" in text.lower() or "utf-8" in text.lower():
            raise BadInput(f"{p}: the file is not UTF-8 text; save or export it as UTF-8 CSV") from None
        _refuse_ragged(p, fmt.delimiter)
        lines = text.strip().splitlines()
        detail = " ".join(line.strip() for line in lines[:2])
        raise BadInput(f"{p}: cannot read it as CSV ({detail}); check the delimiter, quoting and "
                       "that every row has as many fields as the header") from None
    finally:
        con.close()
    _check_header(p, table.column_names, fmt.delimiter)
    return table


# The delimiters DuckDB's sniffer tries.
_DELIMITERS = (",", ";", "\t", "|")
# Bytes whose absence makes a CSV file plain: no quote or escape character the sniffer
# could pick (so every quoting rule reads it the same), no NUL.
_NOT_PLAIN = (b'"', b"'", b"\\", b"\x00")


def _read_csv_plain(p: Path, fmt: FileFormat) -> tuple[pya.Table | None, bool]:
    """A *plain* CSV file read by pyarrow (fast path; a 1M-row file: 0.05 s against 0.11 s
    for DuckDB's reader with its sniffer), and whether it has no blank line. (None, False)
    when the file is not plain, and DuckDB reads it.

    Plain: lines of fields split by one delimiter, and nothing a dialect could read
    another way. The delimiter is the mapping's, or else the only one of DuckDB's
    candidates in the header line, and no other candidate occurs anywhere in the file
    (so the sniffer, too, can only split on it); no quote, escape or NUL byte; LF or CRLF
    line ends, not a mix; column names distinct (case aside) and non-empty once trimmed; no
    line starting with '#' (DuckDB may take it for a comment). A ragged row, an over-long
    line or invalid UTF-8 makes pyarrow fail, and DuckDB reads the file and words the
    error. Blank lines are skipped, as DuckDB skips them.

    A file of several columns is first read keeping blank lines, which pyarrow reads as
    rows of empty cells. When no row is empty in every cell, there was no blank line and
    the rows are lines 2, 3, 4, …, known without searching the file's bytes (_line_numbers:
    0.17 s for 60 MB); otherwise the file is read again, skipping them.
    """
    import pyarrow.csv as pcsv

    with p.open("rb") as f:
        first = f.readline()
    try:
        header = first.decode("utf-8-sig").rstrip("\r\n")
    except UnicodeDecodeError:
        return None, False
    if fmt.delimiter:
        if len(fmt.delimiter) != 1 or not fmt.delimiter.isascii():
            return None, False
        delimiter, others = fmt.delimiter, ()
    else:
        found = [d for d in _DELIMITERS if d in header]
        if len(found) != 1:
            return None, False
        delimiter = found[0]
        others = tuple(d.encode() for d in _DELIMITERS if d != delimiter)
    names = header.split(delimiter)
    # distinct even once trimmed and case ignored: DuckDB trims names and renames a
    # repeated one (quantity, Quantity_1), which _check_header refuses
    trimmed = [n.strip() for n in names]
    if len({n.lower() for n in trimmed}) < len(names) or not all(trimmed) or header.startswith("#"):
        return None, False
    with ThreadPoolExecutor(max_workers=1) as pool:
        # the bytes are checked while pyarrow parses (both release the GIL)
        plain = pool.submit(_plain_bytes, p, others)

        def read(skip_blank: bool) -> pya.Table:
            return pcsv.read_csv(
                p,
                # 8 MB blocks: a 50 MB file in 6 chunks, not 48 (every later Arrow and
                # pandas step pays per chunk; measured 0.39 -> 0.23 s read and checked)
                read_options=pcsv.ReadOptions(use_threads=True, block_size=8 << 20),
                parse_options=pcsv.ParseOptions(delimiter=delimiter, quote_char=False,
                                                ignore_empty_lines=skip_blank),
                convert_options=pcsv.ConvertOptions(
                    column_types={n: pya.string() for n in names}, strings_can_be_null=False,
                    quoted_strings_can_be_null=False))

        # one column: a blank line is an empty cell, which a row can be too
        no_blank = len(names) > 1
        try:
            table = read(skip_blank=not no_blank)
            if no_blank and _some_row_empty(table):  # perhaps a blank line: skip them
                no_blank, table = False, read(skip_blank=True)
        except (pya.ArrowException, OSError):
            table = None
        if table is None or not plain.result():
            return None, False
    if table.column_names != names or (
            table.num_rows and pc.any(pc.starts_with(table.column(0), "#")).as_py()):
        return None, False
    return table, no_blank


def _some_row_empty(table: pya.Table) -> bool:
    """Some row has every cell empty (a blank line read as a row, or a row of delimiters)."""
    empty = None
    for col in table.columns:
        this = pc.equal(pc.binary_length(col), 0)
        empty = this if empty is None else pc.and_(empty, this)
        if not pc.any(empty).as_py():
            return False
    return bool(table.num_rows) and pc.any(empty).as_py()


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
    """DuckDB's sniffer may take a wider row for the header when rows are ragged, or give
    up and read every line as one column: refuse unless the columns are the file's first
    line split by its delimiter (the mapping's, or the only candidate the line holds)."""
    import csv

    with p.open(encoding="utf-8-sig", newline="") as f:
        first = f.readline()
    in_header = [d for d in _DELIMITERS if d in first]
    candidates = [delimiter] if delimiter else in_header if len(in_header) == 1 else _DELIMITERS
    for d in candidates:
        fields = next(csv.reader([first], delimiter=d), [])
        if [x.strip() for x in fields] == [n.strip() for n in names]:
            return
    _refuse_ragged(p, candidates[0])
    fields = [x.strip() for x in next(csv.reader([first], delimiter=candidates[0]), [])]
    seen: dict[str, str] = {}
    for name in fields:  # DuckDB renames a repeated name (case ignored): quantity, Quantity_1
        if name.lower() in seen:
            same = "appears twice" if seen[name.lower()] == name else f"and {seen[name.lower()]!r} differ only in case"
            raise BadInput(f"{p}: column {name!r} {same} in the header; give each column one name "
                           "(rename or drop the other)")
        seen[name.lower()] = name
    if "" in fields:  # DuckDB names it column2
        raise BadInput(f"{p}: column {fields.index('') + 1} has no name in the header; name it "
                       "(or drop the column)")
    raise BadInput(f"{p}: cannot read it as CSV: its header row is unusual; give every row as many "
                   "fields as the header (quote fields that contain the delimiter)")


def _refuse_ragged(p: Path, delimiter: str | None) -> None:
    """Refuse a file whose rows have more or fewer fields than its header: one problem a
    row ("has 3 fields, the header 5"), numbered as the file's lines. Only on an error path."""
    import csv

    try:
        with p.open(encoding="utf-8-sig", newline="") as f:
            first = f.readline()
            d = delimiter or next((c for c in _DELIMITERS if c in first), ",")
            f.seek(0)
            if first.startswith("\ufeff"):
                f.read(1)
            reader = csv.reader(f, delimiter=d)
            header = next(reader, [])
            bad, start = [], reader.line_num + 1
            for fields in reader:
                if fields and len(fields) != len(header):
                    bad.append(Problem(reason=f"has {len(fields)} fields, the header {len(header)}",
                                       file=str(p), row=start, code="ragged_row",
                                       fix="give every row as many fields as the header; quote "
                                           "fields that contain the delimiter"))
                start = reader.line_num + 1
    except (UnicodeDecodeError, csv.Error):
        return
    if bad:
        raise BadInput.from_problems(str(p), bad)


def _line_numbers(p: Path, rows: int) -> list[int] | None:
    """Each data row's line number when blank lines (skipped by both readers) moved the
    rows off 2, 3, 4, …; None when they did not (nearly always: a byte search says so)."""
    import mmap

    import numpy as np

    try:
        with p.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
            first = min((i for i in (m.find(b"\n\n"), m.find(b"\n\r\n")) if i >= 0), default=-1)
            if first < 0 or not m[first:].strip(b"\r\n"):
                return None  # no blank line, or only at the end
            quoted = m.find(b'"') >= 0 or m.find(b"'") >= 0
            data = m[:]
    except (OSError, ValueError):
        return None
    if quoted:  # a line end inside quotes is not a new row: count records
        import csv
        import io

        try:
            reader = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
            next(reader, None)
            lines, start = [], reader.line_num + 1
            for fields in reader:
                if fields:
                    lines.append(start)
                start = reader.line_num + 1
        except (UnicodeDecodeError, csv.Error):
            return None
    else:
        buf = np.frombuffer(data, dtype=np.uint8)
        ends = np.flatnonzero(buf == 10)
        if len(ends) == 0 or ends[-1] != len(buf) - 1:
            ends = np.append(ends, len(buf))  # a last line without a line end
        starts = np.concatenate(([0], ends[:-1] + 1))
        length = ends - starts
        crlf = np.zeros(len(ends), dtype=bool)
        one = length == 1
        crlf[one] = buf[starts[one]] == 13
        blank = (length == 0) | crlf
        number = np.flatnonzero(~blank) + 1
        lines = number[1:].tolist()  # the header is line 1
    if len(lines) != rows:
        return None  # the reader kept blank rows (a one-column file): 2, 3, 4, … is right
    return lines


def _read_parquet(p: Path) -> tuple[pya.Table, dict[str, None]]:
    """A Parquet file's cells as text, and the columns whose text DuckDB wrote from typed
    values (everything but text and binary; Cells.canonical)."""
    text = _read_parquet_text(p)
    if text is not None:
        return text, {}
    con = scratch()  # a cursor of its own, closed once the rows are read
    try:
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
        typed = {n: None for n, t in zip(rel.columns, rel.types, strict=True) if str(t) not in ("VARCHAR", "BLOB")}
        return con.sql(f"SELECT {cols} FROM read_parquet($p)", params={"p": str(p)}).to_arrow_table(), typed
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0]
        raise BadInput(f"{p}: cannot read it as Parquet ({first})") from None
    finally:
        con.close()


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


def _read_xlsx(p: Path) -> tuple[pya.Table, list[int] | None, dict[str, pya.Array | None]]:
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
    values = list(rows)
    wb.close()
    data = [[_cell_text(v) for v in r] for r in values]
    # empty rows are skipped, as blank lines of a CSV file, and keep their numbers
    numbers = [n for n, r in enumerate(data, start=2) if any(v is not None for v in r)]
    moved = len(numbers) < len(data) and numbers != list(range(2, len(numbers) + 2))
    data = [data[n - 2] for n in numbers]
    values = [values[n - 2] for n in numbers]
    cols = {n: pya.array([r[i] if i < len(r) else None for r in data], type=pya.string())
            for i, n in enumerate(names)}
    # number and date cells (Excel's values), whose text _cell_text wrote
    canonical: dict[str, pya.Array | None] = {}
    for i, n in enumerate(names):
        mark_written(canonical, n, [r[i] if i < len(r) else None for r in values])
    return pya.table(cols), numbers if moved else None, canonical


def mark_written(canonical: dict[str, pya.Array | None], name: str, values: list) -> None:
    """Note in ``canonical`` (Cells.canonical) the cells of column ``name`` whose text
    recon writes from a value (_cell_text: a number, a date), not the file's text: the
    whole column when no cell is text, else a flag per cell; nothing when none is a value."""
    written = [v is not None and not isinstance(v, str) for v in values]
    if any(written):
        text = any(isinstance(v, str) for v in values)
        canonical[name] = pya.array(written, type=pya.bool_()) if text else None
