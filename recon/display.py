"""Frames as analysts should see them: money with its currency's decimals.

The ledger stores three decimals for every currency; on screen EUR shows 2, JPY 0 and
BHD 3. Formatting is done on the exact Decimal values (never via float).

```python
from recon.display import show
show(lg.creditable_items("INV-2026-000177"), currency="EUR")
```
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from .money import format_money, plain_decimal

MONEY_SUFFIXES = ("amount", "total", "_net", "_tax", "available", "balance", "_before", "_after", "paid")


def is_money(column: str) -> bool:
    return column.endswith(MONEY_SUFFIXES) or column in ("net_amount", "tax_amount", "total")


def as_text(df: pd.DataFrame, currency: str | None = None) -> pd.DataFrame:
    """A copy with money as text at each row's currency (a `currency` column) or ``currency``."""
    out = df.copy()
    currencies = df["currency"] if "currency" in df.columns else pd.Series([currency] * len(df), index=df.index)
    for col in df.columns:
        values = df[col].tolist()
        if not any(isinstance(v, Decimal) for v in values):
            continue
        if is_money(col) and currencies.notna().all():
            out[col] = [format_money(v, c) if isinstance(v, Decimal) else "" for v, c in zip(values, currencies, strict=True)]
        else:  # quantities, rates: exact, without trailing zeros
            out[col] = [plain_decimal(v) if isinstance(v, Decimal) else "" for v in values]
    return out


def show(df: pd.DataFrame, currency: str | None = None):
    """A Styler for notebooks: money right-aligned at its currency's decimals."""
    text = as_text(df, currency)
    numeric = [c for c in df.columns if any(isinstance(v, Decimal) for v in df[c].tolist())]
    return text.style.hide(axis="index").set_properties(subset=numeric, **{"text-align": "right"})
