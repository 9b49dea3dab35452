"""Frames as analysts should see them in a notebook: money as money, names as words.

The ledger stores three decimals for every currency; on screen EUR shows 2, JPY 0 and
BHD 3, thousands separated (``recon.formats``, the formatter every screen uses).
Quantities and rates are exact without trailing zeros, dates are ISO, an empty cell is
blank, and column names are labels ("unpaid_amount" -> "Unpaid"). Long text wraps, it is
never cut. A long frame shows its first rows and says how many there are.

```python
from recon.display import show
show(lg.creditable_items("INV-2026-000177"), currency="EUR")
```
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd

from . import formats

#: a notebook shows at most this many rows of a frame (the rest: in the frame itself)
MAX_ROWS = 200

NOT_MONEY = formats.NOT_MONEY


def is_money(column: str, values: pd.Series | None = None) -> bool:
    """Every decimal column is money unless it is a quantity, price or rate."""
    if not formats.is_money_name(column):
        return False
    if values is None:
        return True
    return _is_decimal(values)


def _is_decimal(values: pd.Series) -> bool:
    import pyarrow as pa

    dtype = values.dtype
    if isinstance(dtype, pd.ArrowDtype):
        return pa.types.is_decimal(dtype.pyarrow_dtype)
    return pd.api.types.is_object_dtype(dtype) and any(isinstance(v, Decimal) for v in values.head(50).tolist())


def _cell(v) -> str:
    if v is None or (not isinstance(v, (str, list, dict)) and pd.isna(v)):
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, pd.Timestamp):
        v = v.to_pydatetime()
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S") if (v.hour, v.minute, v.second) != (0, 0, 0) \
            else v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, (Decimal, float)):
        return formats.quantity(v, grouped=True)
    if isinstance(v, int):
        return f"{v:,}" if abs(v) >= 10_000 else str(v)
    return str(v)


def as_text(df: pd.DataFrame, currency: str | None = None, *, labels: bool = False) -> pd.DataFrame:
    """Every cell as text: money at each row's currency (a ``currency`` column) or at
    ``currency``; with ``labels=True`` the columns carry their labels."""
    currencies = df["currency"] if "currency" in df.columns else currency
    out = {}
    for col in df.columns:
        s = df[col]
        if is_money(col, s):
            out[col] = pd.Series(formats.money_column(_decimals(s), currencies).to_pylist(),
                                 index=df.index, dtype=object).fillna("")
        else:
            out[col] = s.astype(object).map(_cell)
    text = pd.DataFrame(out, index=df.index, columns=df.columns)
    if labels:
        text.columns = [formats.label(c) for c in df.columns]
    return text


def _decimals(s: pd.Series):
    import pyarrow as pa

    if isinstance(s.dtype, pd.ArrowDtype):
        return pa.array(s.array)
    return pa.array([Decimal(str(v)) if isinstance(v, Decimal) else None for v in s.tolist()],
                    type=pa.decimal128(38, 6))


def numeric_columns(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns if _is_decimal(df[c]) or pd.api.types.is_integer_dtype(df[c].dtype)
            or pd.api.types.is_float_dtype(df[c].dtype)]


def show(df: pd.DataFrame, currency: str | None = None, *, rows: int = MAX_ROWS):
    """A Styler for notebooks: labels, money right-aligned at its currency's decimals,
    text wrapped (never cut), the first ``rows`` rows of a long frame."""
    head = df.head(rows)
    text = as_text(head, currency, labels=True)
    right = [formats.label(c) for c in numeric_columns(head)]
    style = (text.style.hide(axis="index")
             .set_properties(**{"text-align": "left", "white-space": "pre-wrap",
                                "vertical-align": "top"})
             .set_table_styles([{"selector": "th", "props": [("text-align", "left"),
                                                             ("white-space", "normal")]}]))
    if right:
        style = style.set_properties(subset=right, **{"text-align": "right",
                                                     "white-space": "nowrap"})
    if len(df) > rows:
        style = style.set_caption(f"first {rows:,} of {len(df):,} rows")
    return style
