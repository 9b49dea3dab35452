"""The fast paths of reading a file (benchmarks/RESULTS.md) read exactly what the slow ones do."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import recon
from recon import files, reading
from tests.conftest import DATA


def test_text_parquet_read_by_pyarrow_equals_duckdb(tmp_path, monkeypatch):
    # padded names and cells, empty cells, Unicode spaces (NBSP, EM SPACE), tabs, accents
    t = pa.table({" debit_invoice_id ": ["  D1 ", "", None, "\u00a0D2\u2003", "D3\t"],
                  "quantity": ["1", " 2.5", "", "  ", "é"]})
    path = tmp_path / "c.parquet"
    pq.write_table(t, path)
    fast = files.read_text(path)
    assert list(fast.columns) == ["debit_invoice_id", "quantity"]
    assert [None if pd.isna(v) else v for v in fast["debit_invoice_id"]] == ["D1", None, None, "D2", "D3"]
    assert list(fast.index) == [2, 3, 4, 5, 6]
    monkeypatch.setattr(reading, "_read_parquet_text", lambda p: None)  # DuckDB's casts
    pd.testing.assert_frame_equal(fast, files.read_text(path))


def test_parquet_with_numbers_or_repeated_names_takes_the_duckdb_path(tmp_path):
    typed = tmp_path / "typed.parquet"
    pq.write_table(pa.table({"a": pa.array([1, 2], pa.int64()), "b": ["x", "y"]}), typed)
    assert reading._read_parquet_text(typed) is None
    assert files.read_text(typed)["a"].tolist() == ["1", "2"]
    twice = tmp_path / "twice.parquet"
    pq.write_table(pa.Table.from_arrays([pa.array(["x"]), pa.array(["y"])], names=["a", " a"]), twice)
    assert reading._read_parquet_text(twice) is None


def test_text_length_counts_characters_not_bytes():
    # The length check counts bytes first (cheap) and characters only when some cell is
    # longer than MAX_TEXT bytes: 2000 three-byte characters pass, 2001 do not.
    from recon.schemas import MAX_TEXT, TEXT

    df = pd.DataFrame({"debit_invoice_id": ["D1", "D2", "D3"],
                       "reason": ["€" * MAX_TEXT, "x" * MAX_TEXT, "€" * (MAX_TEXT + 1)]},
                      index=[2, 3, 4]).astype(TEXT)
    problems = files.check_text(df, "corrections", "c.csv", {})
    assert [(p.row, p.column) for p in problems] == [(4, "reason")]


def test_zero_quantity_found_by_the_cheap_test_and_the_exact_pattern():
    # A cell of only signs, zeros and points is looked at by the exact zero pattern; a
    # malformed one ("0.0.0", "+-0") is "not a number" only, never also "zero".
    from recon.schemas import TEXT

    cells = ["0", "+0", "-0", "0.000", "00.0", "0.", "0.001", "10", "+2.50", "0.0.0", "+-0", None]
    df = pd.DataFrame({"debit_invoice_id": ["D"] * len(cells), "item_id": ["I"] * len(cells),
                       "quantity": cells}, index=range(2, len(cells) + 2)).astype(TEXT)
    problems = files.check_text(df, "corrections", "c.csv", {})
    by_row = {}
    for p in problems:
        by_row.setdefault(cells[p.row - 2], set()).add(p.code)
    assert by_row == {"0": {"positive"}, "+0": {"positive"}, "-0": {"positive"},
                      "0.000": {"positive"}, "00.0": {"positive"}, "0.": {"positive"},
                      "0.0.0": {"number:quantity"}, "+-0": {"number:quantity"}}
    # the same answers when no cell is a zero candidate (the cheap path alone)
    clean = df[df["quantity"].isin(["0.001", "10", "+2.50"])]
    assert files.check_text(clean, "corrections", "c.csv", {}) == []


# -- CSV: a plain file is read by pyarrow, anything else by DuckDB -----------------------------

PLAIN_CSV = {
    "comma": "debit_invoice_id,item_id,quantity\nD1,I1,2\nD2,I2,0.5\n",
    "semicolon": "a;b\n1.5;x\n",
    "tab": "a\tb\n1\t2\n",
    "pipe": "a|b\n1|2\n",
    "crlf": "a,b\r\n1,2\r\n3,4\r\n",
    "bom": "\ufeffa,b\n1,2\n",
    "no final newline": "a,b\n1,2",
    "blank lines": "a,b\n1,2\n\n3,4\n\n",
    "blank lines, CRLF": "a,b\r\n1,2\r\n\r\n3,4\r\n",
    "a blank line only at the end": "a,b\n1,2\n3,4\n\n",
    "empty cells": "a,b,c\n,2,\n1,,\n,,\n",
    "header only": "a,b\n",
    "spaces and unicode": " a , b \n  é , ü\u00a0\n x ,y\u2003\n",
    "hash inside a line": "a,b\nx#1,2\ny,#3\n",
}
NOT_PLAIN_CSV = {
    "double quotes": 'a,b\n"1,5",x\n',
    "apostrophe": "a,b\nO'Brien,x\n",
    "backslash": "a,b\nC:\\x,y\n",
    "two delimiters in the header": "a,b;c\n1,2;3\n",
    "another delimiter in a row": "a,b\n1;2,3\n",
    "a decimal comma in a semicolon file": "a;b\n1,5;x\n",
    "one column": "a\n1\n",
    "repeated name": "a,a\n1,2\n",
    "repeated name once trimmed": "x, x,y\n1,2,3\n",
    "empty name": "a,,b\n1,2,3\n",
    "comment-like line": "a,b\n#c,d\n1,2\n",
    "lone carriage return": "a,b\n1,2\r3,4\n",
    "nul byte": "a,b\n1,\x002\n",
    "ragged row": "a,b\n1,2,3\n4,5\n",
}


@pytest.mark.parametrize("name", PLAIN_CSV)
def test_plain_csv_read_by_pyarrow_equals_duckdb(tmp_path, monkeypatch, name):
    path = tmp_path / "c.csv"
    path.write_bytes(PLAIN_CSV[name].encode("utf-8"))
    assert reading._read_csv_plain(path, files.FileFormat())[0] is not None
    fast = files.read_text(path)
    monkeypatch.setattr(reading, "_read_csv_plain", lambda p, fmt: (None, False))  # DuckDB's reader
    pd.testing.assert_frame_equal(fast, files.read_text(path))


@pytest.mark.parametrize("name", NOT_PLAIN_CSV)
def test_csv_that_is_not_plain_is_left_to_duckdb(tmp_path, name):
    path = tmp_path / "c.csv"
    path.write_bytes(NOT_PLAIN_CSV[name].encode("utf-8"))
    assert reading._read_csv_plain(path, files.FileFormat())[0] is None


def test_plain_csv_with_the_mapping_delimiter(tmp_path, monkeypatch):
    # the mapping names the delimiter: other candidates are data, as in DuckDB
    path = tmp_path / "c.csv"
    path.write_bytes(b"Rechnung;Menge\nD1;1,5\nD|2;2,0\n")
    fmt = files.FileFormat(delimiter=";")
    assert reading._read_csv_plain(path, fmt)[0] is not None
    fast = files.read_text(path, fmt)
    monkeypatch.setattr(reading, "_read_csv_plain", lambda p, fmt: (None, False))
    pd.testing.assert_frame_equal(fast, files.read_text(path, fmt))
    assert fast["Menge"].tolist() == ["1,5", "2,0"]


def test_invalid_utf8_csv_gets_duckdbs_message(tmp_path):
    path = tmp_path / "c.csv"
    path.write_bytes(b"a,b\n\xff\xfe,2\n")
    assert reading._read_csv_plain(path, files.FileFormat())[0] is None
    with pytest.raises(files.BadInput, match="not UTF-8"):
        files.read_text(path)


# Random files, plain and not: with the fast path or without it, read_text gives the same
# frame or refuses the file alike (DuckDB's reading is the reference).
_FIELD = st.text(alphabet=st.sampled_from(list("ab1 .#-x") + ["\u00a0", "é", "\u2003", "€"]),
                 max_size=4)
_HAZARD = st.sampled_from(['"', "'", "\\", ",", ";", "\t", "|", "\r", "\n", "\r\n", "#", ""])


def _read_both(path, monkeypatch):
    out = []
    for plain in (True, False):
        with monkeypatch.context() as m:
            if not plain:
                m.setattr(reading, "_read_csv_plain", lambda p, fmt: (None, False))
            try:
                out.append(files.read_text(path))
            except files.BadInput:
                out.append(None)
    return out


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data(), ncol=st.integers(1, 4), sep=st.sampled_from([",", ";", "\t", "|"]),
       eol=st.sampled_from(["\n", "\r\n"]), final=st.booleans(), bom=st.booleans())
def test_random_csv_reads_the_same_with_or_without_the_fast_path(
        tmp_path_factory, monkeypatch, data, ncol, sep, eol, final, bom):
    names = data.draw(st.lists(st.sampled_from(["a", "b", "c", "e f", " g", "h ", "#i"]),
                               min_size=ncol, max_size=ncol, unique_by=str.strip))
    row = st.lists(_FIELD, min_size=ncol, max_size=ncol).map(sep.join)
    rows = data.draw(st.lists(st.one_of(row, st.just(""), _HAZARD), max_size=8))
    text = eol.join([sep.join(names), *rows]) + (eol if final else "")
    path = tmp_path_factory.mktemp("csv") / "c.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    fast, duck = _read_both(path, monkeypatch)
    assert (fast is None) == (duck is None), repr(text)
    if fast is not None:
        pd.testing.assert_frame_equal(fast, duck, obj=repr(text))


@pytest.mark.parametrize("text, rows, read_once", [
    ("a,b\n1,2\n3,4\n", [2, 3], True),           # no blank line: read once, rows 2, 3
    ("a,b\n1,2\n\n\n3,4\n", [2, 5], False),       # read again skipping them; a row keeps its line
    ("a,b\r\n\r\n1,2\r\n3,4\r\n", [3, 4], False),
    ("a,b\n1,2\n,\n3,4\n", [2, 3, 4], False),     # a row of empty cells is a row, not a blank line
    ("a\n1\n\n2\n", [2, 3, 4], False),            # one column (DuckDB reads it): a blank line is a cell
])
def test_row_numbers_after_blank_lines(tmp_path, text, rows, read_once):
    path = tmp_path / "c.csv"
    path.write_bytes(text.encode())
    assert reading._read_csv_plain(path, files.FileFormat())[1] is read_once
    assert files.read_text(path).index.tolist() == rows


def test_number_check_on_distinct_values_finds_a_bad_cell_past_the_sample():
    # 200k cells of three tax rates (the distinct-values path) and one bad cell at the end,
    # and a varied column (every cell tested): the same rows are named either way
    from recon import schemas

    rates = pd.Series(["0.19", "0.24", "0"] * 66_666 + ["0,19", "0.1234567"], dtype=schemas.TEXT)
    varied = pd.Series([f"{i}.5" for i in range(200_000)] + ["1e5"], dtype=schemas.TEXT)
    check = schemas._number_check(schemas.Field("tax_rate", "rate"))
    assert len(pd.unique(rates.iloc[:schemas._SAMPLE])) < schemas._FEW * schemas._SAMPLE
    ok = check(rates).check_output
    assert ok.iloc[:-2].all() and ok.index[~ok].tolist() == [199_998, 199_999]
    ok = schemas._number_check(schemas.Field("quantity", "quantity"))(varied).check_output
    assert ok.index[~ok].tolist() == [200_000]


def test_unique_ids_marks_every_repeat_not_the_nulls():
    from recon import schemas

    ids = pd.Series(["P1", "P2", "P1", None, None, "P3", "P2"], dtype=schemas.TEXT)
    ok = schemas._unique_check()(ids).check_output
    # (pandera leaves the nulls out of a check's output: `nullable` judges them)
    assert ok.index[~ok].tolist() == [0, 1, 2, 6] and ok.index[ok].tolist() == [5]
    assert schemas._unique_check()(ids.drop([2, 6])).check_passed


def test_a_file_read_ahead_is_read_exactly_as_without(tmp_path):
    # the command line reads a corrections file in the background while pandas loads
    # (reading.read_ahead); what the apply then takes is what it would have read itself
    path = tmp_path / "c.csv"
    path.write_text("debit_invoice_id,item_id,reason\n  D1 ,I1,  Fix \n\nD2,,\n", encoding="utf-8")
    plain, plain_frame = reading.read_cells(path), files.read_text(path)
    key = reading._file_key(path, files.FileFormat(), frozenset())
    reading.read_ahead(str(path))
    assert list(reading._AHEAD) == [key]  # started, the only one
    ahead = reading.read_cells(path)
    assert key not in reading._AHEAD  # taken once; a later read reads the file again
    assert ahead[0].equals(plain[0]) and ahead[1] == plain[1] == [2, 4]
    assert ahead[0].column("reason").to_pylist() == ["Fix", None]  # trimmed, empty is null
    reading.read_ahead(path)
    pd.testing.assert_frame_equal(files.read_text(path), plain_frame)  # the frame an apply checks
    assert not reading._AHEAD


def test_a_read_ahead_raises_the_same_refusal_and_never_serves_a_changed_file(tmp_path):
    ragged = tmp_path / "r.csv"
    ragged.write_text("a,b\n1,2\n3\n", encoding="utf-8")
    with pytest.raises(files.BadInput) as plain:
        reading.read_cells(ragged)
    reading.read_ahead(ragged)
    with pytest.raises(files.BadInput) as ahead:
        reading.read_cells(ragged)
    assert ahead.value.summary() == plain.value.summary()
    # the file rewritten after the read started: the new content is read
    path = tmp_path / "c.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    reading.read_ahead(path)
    path.write_text("a,b\n1,2\n3,4\n", encoding="utf-8")
    assert reading.read_cells(path)[0].num_rows == 2
    # another delimiter, or other columns kept as they are, is another read
    reading._AHEAD.clear()
    reading.read_ahead(path, reading.FileFormat(delimiter=";"))
    assert reading.read_cells(path)[0].column_names == ["a", "b"]
    reading._AHEAD.clear()



def test_an_exports_files_read_ahead_are_what_the_import_takes(tmp_path):
    # `recon init --from` / `recon import` read the platform's files in the background
    # while pandas loads (cli._read_export_ahead): the import takes each of them once and
    # the ledger is the one a plain import makes
    from recon import cli

    folder = tmp_path / "export"
    shutil.copytree(DATA, folder, ignore=shutil.ignore_patterns("next_month", "*.txt", "*.md",
                                                                "corrections.csv", "cancellations.csv"))
    fmt = cli._read_export_ahead(folder, None)
    assert isinstance(fmt, files.FileFormat)
    assert sorted(Path(k[0]).name for k in reading._AHEAD) == ["invoice_items.csv", "invoices.csv",
                                                                "payments.csv"]
    recon.init(tmp_path / "ahead.duckdb", folder, fmt)
    assert not reading._AHEAD  # every file taken
    recon.init(tmp_path / "plain.duckdb", folder)
    with recon.Ledger(tmp_path / "ahead.duckdb", read_only=True) as a, \
            recon.Ledger(tmp_path / "plain.duckdb", read_only=True) as b:
        for table in ("invoices", "invoice_items", "payments"):
            pd.testing.assert_frame_equal(a.table(table).drop(columns="created_at", errors="ignore"),
                                          b.table(table).drop(columns="created_at", errors="ignore"))
    # a mapping it cannot read is left to the import to refuse in its own words
    bad = tmp_path / "bad.toml"
    bad.write_text("decimal = ", encoding="utf-8")
    assert cli._read_export_ahead(folder, bad) == bad and not reading._AHEAD


def test_reads_ahead_not_taken_are_dropped_by_the_next(tmp_path):
    paths = []
    for name in ("a", "b", "c"):
        paths.append(tmp_path / f"{name}.csv")
        paths[-1].write_text(f"{name},x\n1,2\n", encoding="utf-8")
    reading.read_ahead_files([(paths[0], frozenset()), (paths[1], frozenset())])
    dropped = list(reading._AHEAD.values())
    reading.read_ahead(paths[2])
    assert [Path(k[0]).name for k in reading._AHEAD] == ["c.csv"]
    # a read not started is cancelled; one under way finishes, and nobody takes it
    assert all(f.cancelled() or f.result(timeout=30) is not None for f in dropped)
    assert reading.read_cells(paths[2])[0].column_names == ["c", "x"]
    assert reading.read_cells(paths[0])[0].column_names == ["a", "x"]  # read again, itself

# pyarrow's allocator in a process that imports recon (recon/__init__.py): the C
# library's malloc, where mimalloc cost a 1M-row file 0.5-0.7 s (issue 15); an
# analyst's own choice stands
ALLOCATOR = """
import sys
if sys.argv[1] == "pandas-first":
    import pandas, pyarrow
    assert pyarrow.default_memory_pool().backend_name == "mimalloc"
import recon, pyarrow as pa
from recon import reading
print(pa.default_memory_pool().backend_name)
"""


@pytest.mark.parametrize("order, chosen, backend", [
    ("recon-first", None, "system"),
    ("pandas-first", None, "system"),
    ("recon-first", "jemalloc", "jemalloc"),
])
def test_pyarrow_allocates_with_malloc_unless_chosen(order, chosen, backend):
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    if chosen:
        env["ARROW_DEFAULT_MEMORY_POOL"] = chosen
    p = subprocess.run([sys.executable, "-c", ALLOCATOR, order], capture_output=True, text=True,
                       env=env, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == backend


_DECIMALS = st.decimals(min_value=-10**12, max_value=10**12, places=3, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.none() | _DECIMALS, st.none() | st.integers(-2**62, 2**62),
                          st.none() | st.dates(), st.none() | st.booleans(),
                          st.none() | st.text(max_size=8)), min_size=1, max_size=30))
def test_a_frame_of_arrow_columns_becomes_the_same_text_as_cell_by_cell(rows):
    # an analyst's frame of Arrow columns is made text by one cast a column (a 1M-row
    # frame: 13.7 -> 0.4 s); the text is what the cell-by-cell path writes for the same values
    dec, ints, days, flags, words = zip(*rows, strict=True)
    frame = pd.DataFrame({
        "amount": pd.array(list(dec), dtype=pd.ArrowDtype(pa.decimal128(18, 3))),
        "line_no": pd.array(list(ints), dtype=pd.ArrowDtype(pa.int64())),
        "day": pd.array(list(days), dtype=pd.ArrowDtype(pa.date32())),
        "flag": pd.array(list(flags), dtype=pd.ArrowDtype(pa.bool_())),
        "word": pd.array(list(words), dtype=pd.ArrowDtype(pa.string())),
        "nullable_int": pd.array(list(ints), dtype="Int64"),
        "string": pd.array(list(words), dtype="string"),
    })
    fast = files.frame_as_text(frame)
    pd.testing.assert_frame_equal(fast, _cell_by_cell(frame.astype(object)))
    # values are recon's own text (a mapping's formats leave them alone), text is the file's
    assert fast.attrs["canonical"] == {"amount": None, "line_no": None, "day": None, "flag": None,
                                       "nullable_int": None}


def _cell_by_cell(frame: pd.DataFrame) -> pd.DataFrame:
    """frame_as_text with only its reference path: every column one cell at a time."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(files, "_text_by_arrow", lambda s: None)
        mp.setattr(files, "_text_of_objects", lambda s: None)
        return files.frame_as_text(frame)


_EMPTY = st.sampled_from([None, float("nan"), pd.NA])
# a Decimal's own digits, whatever its exponent: 1.5, 2.250, 1E+3, -0, 0.000001, 1E-9
_ANY_DECIMAL = st.decimals(allow_nan=False, allow_infinity=False, places=None) | st.sampled_from(
    [Decimal("1E+3"), Decimal("-0"), Decimal("2.250"), Decimal("1E-9"), Decimal("123456789012345.678")])


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_EMPTY | _ANY_DECIMAL, _EMPTY | st.text(max_size=6), _EMPTY | st.dates(),
                          _EMPTY | _ANY_DECIMAL | st.text(max_size=4) | st.integers() | st.dates()
                          | st.datetimes()),
                min_size=1, max_size=30))
def test_object_columns_of_decimals_or_text_become_the_same_text_as_cell_by_cell(rows):
    # a frame built from Python Decimals, strings or dates has object columns: all-Decimal,
    # all-text and all-date ones (with empty cells) are made text column-wise (a 1M-row frame of four
    # such columns: 4.3 -> 1.5 s); any other mix still goes cell by cell
    dec, words, days, mixed = zip(*rows, strict=True)
    frame = pd.DataFrame({"amount": pd.Series(list(dec), dtype=object),
                          "reason": pd.Series(list(words), dtype=object),
                          "credit_date": pd.Series(list(days), dtype=object),
                          "memo": pd.Series(list(mixed), dtype=object)})
    fast = files.frame_as_text(frame)
    slow = _cell_by_cell(frame)
    pd.testing.assert_frame_equal(fast, slow)
    assert fast.attrs == slow.attrs


def test_an_object_column_of_decimals_keeps_each_values_digits():
    frame = pd.DataFrame({"quantity": pd.Series([Decimal("1.5"), None, Decimal("2.250"), Decimal("1E+3")],
                                                dtype=object),
                          "reason": pd.Series([" Goodwill ", float("nan"), "", "x"], dtype=object)})
    text = files.frame_as_text(frame)

    def cells(col):
        return [None if pd.isna(v) else v for v in text[col]]

    assert cells("quantity") == ["1.5", None, "2.250", "1000"]
    assert cells("reason") == ["Goodwill", None, None, "x"]
    assert list(text.index) == [2, 3, 4, 5]
    assert text.attrs["canonical"] == {"quantity": None}  # values: a mapping's formats leave them alone
