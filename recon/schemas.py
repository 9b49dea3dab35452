"""The data contract (SPEC §2 and §5) as pandera schemas.

Each table or file is a list of :class:`~recon.contract.Field` specs (recon.contract).
From one spec we build
- a *text* schema that checks what a file holds before anything is converted
  (present columns, numbers that parse exactly, real dates, allowed values), and
- a *typed* schema that guards the exact frames going into and out of the ledger
  (Arrow decimal dtypes, never float64; ranges; unique ids).
Failures come back as :class:`~recon.errors.Problem` rows naming row, column and value.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
import pyarrow as pya
import pyarrow.compute as pc

from .contract import MAX_LONGTEXT, MAX_TEXT, SCALE, TABLES, Field
from .errors import Problem
from .money import MONEY, QUANTITY, RATE

TEXT = pd.ArrowDtype(pya.string())
DATE = pd.ArrowDtype(pya.date32())
INT = pd.ArrowDtype(pya.int64())

ARROW = {
    "id": pya.string(),
    "text": pya.string(),
    "enum": pya.string(),
    "money": MONEY,
    "quantity": QUANTITY,
    "rate": RATE,
    "date": pya.date32(),
    "int": pya.int64(),
    "timestamp": pya.timestamp("us"),
    # free text that the ledger itself writes at length (audit details, close digests)
    "longtext": pya.string(),
}

# -- text checks: vectorised with pyarrow, so a million rows cost milliseconds ---------


def _arrow(series: pd.Series) -> pya.Array:
    return pya.array(series.array, type=pya.string(), from_pandas=True)


def _ok(series: pd.Series, mask: pya.Array) -> pd.Series:
    # Nulls are judged by `nullable`, not by the value checks.
    return pd.Series(
        pc.fill_null(mask, True).to_numpy(zero_copy_only=False), index=series.index
    )


# A plain number: ASCII digits (RE2's [0-9] is ASCII only), an optional sign, one '.'.
_SHAPE = {"int": r"^[+-]?[0-9]+$", "decimal": r"^[+-]?[0-9]+(\.[0-9]*)?$"}


def _number_pattern(f: Field) -> str:
    """What the ledger can hold exactly: at most the column's digits before the point
    (leading zeros aside) and its scale after it (trailing zeros aside)."""
    whole = rf"[+-]?0*[0-9]{{1,{f.integer_digits}}}"
    if f.kind == "int":
        return rf"^{whole}$"
    return rf"^{whole}(\.[0-9]{{0,{SCALE[f.kind]}}}0*)?$"


def _number_check(f: Field) -> pa.Check:
    pattern = _number_pattern(f)

    def check(s: pd.Series) -> pd.Series:
        return _ok(s, _by_values(_arrow(s), lambda a: pc.match_substring_regex(a, pattern)))

    # One pass over the column; a failing cell is told apart (not a number, too large,
    # too many decimals) only in number_failure, for the few cells that fail.
    return pa.Check(check, name=f"number:{f.kind}")


def number_failure(value: str, f: Field) -> str:
    """Why a cell failed the number check: number:KIND, range:KIND or scale:KIND."""
    import re

    text = str(value)
    if not re.fullmatch(_SHAPE["int" if f.kind == "int" else "decimal"], text, re.ASCII):
        return f"number:{f.kind}"
    whole = text.lstrip("+-").split(".")[0].lstrip("0")
    if len(whole) > f.integer_digits:
        return f"range:{f.kind}"
    return f"scale:{f.kind}"


def _by_distinct(arr: pya.Array, judge) -> pya.Array:
    """``judge`` (a vectorised test of cells) run on the column's distinct values only,
    mapped back to every row. Dates repeat: a million credit dates are a handful of
    days, and parsing and printing each cell back (strptime, strftime) costs ~1 s."""
    distinct = pc.unique(arr).drop_null()
    bad = pc.filter(distinct, pc.invert(pc.fill_null(judge(distinct), False)))
    return pc.invert(pc.is_in(arr, value_set=bad))


# A column's first rows, and the share of distinct values among them below which a test
# runs on the distinct values (_by_distinct) rather than on every cell
_SAMPLE, _FEW = 20_000, 0.1


def _by_values(arr: pya.Array, judge) -> pya.Array:
    """``judge`` on every cell, or on the distinct values when the first rows say they
    are few: a regex costs ~65 ms a million cells, finding a column's few distinct values
    and mapping back ~17 ms (line numbers, tax rates, quantities). A column that turns
    out varied past its first rows costs ~80 ms more, never a wrong answer."""
    if len(arr) < 5 * _SAMPLE or len(pc.unique(arr.slice(0, _SAMPLE))) > _FEW * _SAMPLE:
        return judge(arr)
    return _by_distinct(arr, judge)


def _real_date(arr: pya.Array) -> pya.Array:
    shaped = pc.match_substring_regex(arr, r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
    parsed = pc.strptime(arr, format="%Y-%m-%d", unit="s", error_is_null=True)
    # strptime accepts 2026-02-30 (it rolls over); a real date prints back the same.
    same = pc.equal(pc.strftime(parsed, format="%Y-%m-%d"), arr)
    return pc.and_kleene(shaped, pc.fill_null(same, False))


def _real_timestamp(arr: pya.Array) -> pya.Array:
    shaped = pc.match_substring_regex(
        arr, r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?$")
    # a real moment prints back the same (strptime rolls 2026-02-30 over into March)
    head = pc.utf8_slice_codeunits(pc.replace_substring(arr, "T", " "), 0, 19)
    parsed = pc.strptime(head, format="%Y-%m-%d %H:%M:%S", unit="s", error_is_null=True)
    same = pc.equal(pc.strftime(parsed, format="%Y-%m-%d %H:%M:%S"), head)
    return pc.and_kleene(shaped, pc.fill_null(same, False))


def _date_check() -> pa.Check:
    def check(s: pd.Series) -> pd.Series:
        arr = _arrow(s)
        if arr.null_count == len(arr):  # an empty column (often): nothing to parse
            return pd.Series(True, index=s.index)
        return _ok(s, _by_distinct(arr, _real_date))

    return pa.Check(check, name="date")


def _timestamp_check() -> pa.Check:
    def check(s: pd.Series) -> pd.Series:
        return _ok(s, _by_distinct(_arrow(s), _real_timestamp))

    return pa.Check(check, name="timestamp")


def _length_check(limit: int = MAX_TEXT) -> pa.Check:
    def check(s: pd.Series) -> pd.Series:
        arr = _arrow(s)
        # at most `limit` bytes is at most `limit` characters; counting bytes is ~8x
        # cheaper, so characters are counted only when some cell is longer in bytes
        short = pc.less_equal(pc.binary_length(arr), limit)
        if pc.all(short).as_py() is not False:
            return _ok(s, short)
        return _ok(s, pc.less_equal(pc.utf8_length(arr), limit))

    return pa.Check(check, name="length" if limit == MAX_TEXT else "longtext_length")


def _sign_check(positive: bool) -> list[pa.Check]:
    def not_negative(s: pd.Series) -> pd.Series:
        return _ok(s, pc.invert(pc.starts_with(_arrow(s), "-")))

    def not_zero(s: pd.Series) -> pd.Series:
        arr = _arrow(s)
        # A zero holds only signs, zeros and points. That test is 3x cheaper than the
        # exact pattern, which then runs only when some cell passes it (rarely).
        maybe = pc.equal(pc.ascii_trim(arr, "+-0."), "")
        if not pc.any(maybe).as_py():
            return _ok(s, pc.invert(maybe))
        return _ok(s, pc.invert(pc.match_substring_regex(arr, r"^[+-]?0+(\.0*)?$")))

    if positive:
        return [pa.Check(lambda s: not_negative(s) & not_zero(s), name="positive")]
    return [pa.Check(not_negative, name="not_negative")]


def _unique_check() -> pa.Check:
    """Each value once (nulls aside; they are `nullable`'s): pandera's own `unique` hashes
    the column in pandas, 0.24 s for 1M ids; DuckDB counts the distinct values on both
    cores in 0.13 s. Only a column with repeats is marked row by row."""
    def check(s: pd.Series) -> pd.Series:
        from .db import scratch

        arr = _arrow(s)
        con = scratch()
        con.register("ids", pya.table({"v": arr}))
        try:
            ((repeats,),) = con.execute("SELECT count(v) - count(DISTINCT v) FROM ids").fetchall()
        finally:
            con.unregister("ids")
            con.close()
        if not repeats:
            return pd.Series(True, index=s.index)
        return ~(s.duplicated(keep=False) & s.notna())

    # the name is pandera's own for its `unique`: the same code and words for the analyst
    return pa.Check(check, name="field_uniqueness")


def _text_checks(f: Field) -> list[pa.Check]:
    checks = [_length_check(MAX_LONGTEXT if f.kind == "longtext" else MAX_TEXT)]
    if f.unique:
        checks.append(_unique_check())
    if f.kind == "timestamp":
        checks.append(_timestamp_check())
    if f.kind in SCALE or f.kind == "int":
        checks.append(_number_check(f))
        if not f.signed:
            checks += _sign_check(f.positive)
    elif f.kind == "date":
        checks.append(_date_check())
    elif f.kind == "enum":
        checks.append(pa.Check.isin(list(f.choices), name="choice"))
    return checks


def text_schema(table: str) -> pa.DataFrameSchema:
    """Schema of a file's text, before conversion (every column a string)."""
    return pa.DataFrameSchema(
        {
            f.name: pa.Column(
                TEXT,
                checks=_text_checks(f),
                nullable=not f.required,
                required=not f.optional_column,
                coerce=False,
            )
            for f in TABLES[table]
        },
        strict=False,
        name=table,
    )


def typed_schema(table: str) -> pa.DataFrameSchema:
    """Schema of the exact frame that goes into (or comes out of) the ledger."""
    cols = {}
    for f in TABLES[table]:
        checks = []
        if (f.kind in SCALE or f.kind == "int") and not f.signed:
            checks.append(pa.Check.gt(0, name="positive") if f.positive else pa.Check.ge(0, name="not_negative"))
        if f.kind == "enum":
            checks.append(pa.Check.isin(list(f.choices), name="choice"))
        # an id is the same text before and after conversion: text_schema, which every
        # frame passes first (files.check_rows), has found its repeats (0.14 s a 1M-row
        # column); a number's repeats can hide in text ("01", "1"), so it is checked again
        cols[f.name] = pa.Column(
            pd.ArrowDtype(ARROW[f.kind]), checks=checks, nullable=not f.required, unique=f.unique and f.kind != "id",
            required=not f.optional_column,
        )
    return pa.DataFrameSchema(cols, strict=False, name=table)


# -- what a failed check means, in an analyst's words ------------------------------------
_PLAIN_FIX = "digits 0-9 and '.' as the decimal point, no currency sign, spaces or separators; or set the format in a mapping file"
_REASONS = {
    "column_in_dataframe": ("required column is missing", "add the column, or map the export's column name to it in a mapping file"),
    "not_nullable": ("a value is required", "fill in the value"),
    "field_uniqueness": ("duplicate value: the id appears more than once", "keep one row per id"),
    "number:money": ("not an amount", f"write a plain number such as 1234.50 ({_PLAIN_FIX})"),
    "number:quantity": ("not a number", f"write a plain number such as 2.5 ({_PLAIN_FIX})"),
    "number:rate": ("not a rate", "write the rate as a plain fraction such as 0.24"),
    "number:int": ("not a whole number", "write a whole number such as 3"),
    "range:money": ("too large: the ledger holds amounts below 10^15", "check the value; split what it stands for"),
    "range:quantity": ("too large: the ledger holds quantities and unit prices below 10^12", "check the value"),
    "range:rate": ("too large for a rate: the ledger holds rates below 1000 (a fraction: 0.24 is 24 %)",
                   "write the rate as a fraction such as 0.24"),
    "range:int": ("too large: at most {digits} digits", "check the value"),
    # reworded with the row's currency where it is known (transfer.import_dir)
    "scale:money": ("more decimals than any currency the ledger holds (3)", "round the amount to its currency's minor unit"),
    "scale:quantity": ("more than 6 decimals", "round it to 6 decimals"),
    "scale:rate": ("more than 6 decimals", "round the rate to 6 decimals"),
    "date": ("not a valid date", "write the date as YYYY-MM-DD, e.g. 2026-10-31"),
    "choice": ("not an allowed value", "use one of the values the contract lists"),
    "length": (f"text longer than {MAX_TEXT} characters", "shorten it"),
    "longtext_length": (f"text longer than {MAX_LONGTEXT:,} characters", "shorten it"),
    "timestamp": ("not a valid date and time", "write it as YYYY-MM-DD HH:MM:SS[.ffffff], e.g. 2026-10-31 17:05:00"),
    "positive": ("must be greater than 0", "use a positive number"),
    "not_negative": ("must not be negative", "use 0 or a positive number"),
}
# the problem code of a check, where it is not the check's name
_CODES = {"scale:money": "too_many_decimals"}


def reason(code: str, field: Field | None = None) -> tuple[str, str | None]:
    """(reason, fix) of a check's code, in an analyst's words."""
    text, fix = _REASONS.get(code, (code, None))
    if field is not None and "{digits}" in text:
        text = text.format(digits=field.integer_digits)
    return text, fix


def failures_to_problems(
    err: pa.errors.SchemaErrors, file: str | None, table: str,
    original_names: dict[str, str] | None = None, limit: int | None = None,
) -> list[Problem]:
    """Turn pandera's failure table into problems, ordered by row."""
    fields = {f.name: f for f in TABLES[table]}
    names = original_names or {}
    out: list[Problem] = []
    fc = err.failure_cases
    for rec in fc.itertuples(index=False):
        check = str(rec.check)
        column = rec.column if isinstance(rec.column, str) else None
        key = check.split("(")[0]
        if check.startswith("isin") or check == "choice":
            key = "choice"
        if key.startswith("number:") and column in fields and not pd.isna(rec.failure_case):
            key = number_failure(rec.failure_case, fields[column])
        text, fix = reason(key, fields.get(column))
        if key == "choice" and column in fields:
            fix = "use one of: " + ", ".join(fields[column].choices)
        if key == "column_in_dataframe":
            column = str(rec.failure_case)
            value, row = None, None
        else:
            value = None if pd.isna(rec.failure_case) else rec.failure_case
            row = None if pd.isna(rec.index) else int(rec.index)
        out.append(
            Problem(reason=text, file=file, row=row, column=names.get(column, column),
                    value=value, fix=fix, code=_CODES.get(key, key))
        )
    out.sort(key=lambda p: (p.row is not None, p.row or 0, p.column or ""))
    return out[:limit] if limit else out
