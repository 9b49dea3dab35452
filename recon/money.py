"""Exact money: currency minor units and half-up rounding.

The ledger stores every amount as DECIMAL(18,3) (three decimals hold EUR/USD cents,
JPY yen and BHD/KWD fils alike); each currency's own minor unit comes from babel's
ISO 4217 data, and every amount is rounded half-up to it. In SQL, proportional
rounding is done in integer thousandths ("milli") because DuckDB turns DECIMAL
division into DOUBLE (see STACK_NOTES).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache, lru_cache

from babel.numbers import get_currency_precision, list_currencies

#: the Arrow types of money, quantities and rates (MONEY, QUANTITY, RATE), made on first
#: use by __getattr__ below: importing pyarrow costs ~0.15 s, which a command that reads
#: no file and prints no frame never pays
_ARROW = {"MONEY": (18, 3), "QUANTITY": (18, 6), "RATE": (9, 6)}
MONEY_SQL = "DECIMAL(18,3)"
QUANTITY_SQL = "DECIMAL(18,6)"
RATE_SQL = "DECIMAL(9,6)"
#: Ledger storage holds three decimals; a currency with more cannot be stored exactly.
STORED_DIGITS = 3
QUANTITY_DIGITS = 6


@cache
def currency_digits(currency: str) -> int:
    """Minor-unit digits of an ISO 4217 currency (EUR 2, JPY 0, BHD 3)."""
    code = currency.upper()
    if code not in known_currencies():
        raise KeyError(code)
    return get_currency_precision(code)


@lru_cache(maxsize=1)
def known_currencies() -> frozenset[str]:
    """ISO 4217 codes that babel knows and the ledger can store exactly."""
    return frozenset(
        c for c in list_currencies() if len(c) == 3 and get_currency_precision(c) <= STORED_DIGITS
    )


def quantum(digits: int) -> Decimal:
    return Decimal(1).scaleb(-digits)


def round_money(value: Decimal, currency: str) -> Decimal:
    """Round half-up (away from zero on ties) to the currency's minor unit."""
    return Decimal(value).quantize(quantum(currency_digits(currency)), rounding=ROUND_HALF_UP)


def prorate(amount: Decimal, part: Decimal, whole: Decimal, currency: str) -> Decimal:
    """round_half_up(amount × part / whole): the share of ``amount`` for ``part`` of ``whole``.

    Done with Decimal at 50 digits, far past any stored amount, so the only rounding
    is the final half-up one.
    """
    from decimal import localcontext

    with localcontext() as ctx:
        ctx.prec = 50
        return round_money(Decimal(amount) * Decimal(part) / Decimal(whole), currency)


def to_decimal(text: str) -> Decimal | None:
    try:
        d = Decimal(text)
    except (InvalidOperation, TypeError, ValueError):
        return None
    return d if d.is_finite() else None


def plain_decimal(value) -> str:
    """A number as exact text without trailing zeros (2.500000 -> 2.5); other text as it is."""
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    return f"{d.normalize():f}" if d.is_finite() else str(value)


def format_money(value: Decimal, currency: str) -> str:
    """Plain text with exactly the currency's decimals (``1234.50``, ``1500``)."""
    return f"{round_money(value, currency):f}"


def __getattr__(name: str):
    if name in _ARROW:
        import pyarrow as pa

        value = globals()[name] = pa.decimal128(*_ARROW[name])
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
