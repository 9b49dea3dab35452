"""Exact money: currency minor units, half-up rounding, strict number parsing.

The ledger stores every amount as DECIMAL(18,3) (three decimals hold EUR/USD cents,
JPY yen and BHD/KWD fils alike); each currency's own minor unit comes from ISO 4217,
and every amount is rounded half-up to it. In SQL, proportional rounding is done in
integer thousandths ("milli") because DuckDB turns DECIMAL division into DOUBLE (see
STACK_NOTES).

**Where the minor units come from.** The `iso4217` package (PyPI, public domain, no
dependencies) ships the ISO 4217 maintenance agency's own table (list one, as published;
the package's version carries the publication date, e.g. 1.16.20260101) and exposes each
code's ``exponent``. Chosen over babel, whose digits are CLDR's display conventions, not
ISO's: CLDR gives HUF, IDR, COP, LBP, IRR, … 0 decimals where ISO gives 2, and IQD 0
where ISO gives 3 (STACK_NOTES). Checked against the alternatives: `pycountry` carries
no minor units; `iso-4217` (MIT) has the same data behind a younger API. Codes without
a minor unit (gold, SDR, test codes: "N.A.") and funds with 4 decimals (CLF, UYW),
which DECIMAL(18,3) cannot hold exactly, are left out.

**A currency ISO lacks** (a new code the package does not have yet, a platform's own
unit): ``recon add-currency --ledger L CODE DIGITS`` or ``Ledger.add_currency``. Every
ledger has its ``currencies`` table, filled from :func:`known_currencies` when it is
created; an added currency is one more row there, audited, and :func:`register_currency`
makes it known to this process when a ledger holding it is opened.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import zlib
from decimal import ROUND_HALF_UP, Decimal, localcontext
from functools import lru_cache
from pathlib import Path

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

# Currencies a ledger added beyond ISO 4217 (see add_currency), as opened in this process.
_ADDED: dict[str, int] = {}
_CODE = re.compile(r"[A-Z]{3}")


@lru_cache(maxsize=1)
def _iso_digits() -> dict[str, int]:
    """{code: minor-unit digits} of ISO 4217 list one, for the codes a ledger can store.

    The package parses its XML table when imported (30-45 ms holding the GIL, on every
    command that prints money): what that parse gives is kept in the user's cache folder
    under the table's own checksum, so one parse serves every later command, and a new
    table (the package upgraded) is parsed afresh. A cache that cannot be read or written
    is only slower."""
    table, folder = _iso_table(), _cache_dir()
    if table is None or folder is None:
        return _parse_iso()
    # the table's bytes, and how recon reads them (which digits a ledger can store)
    key = f"{zlib.crc32(table):08x}-{len(table)}-{STORED_DIGITS}-1"
    cache = folder / "iso4217-digits.json"
    with contextlib.suppress(OSError, ValueError):
        kept = json.loads(cache.read_text(encoding="utf-8"))
        digits = kept.get("digits") if isinstance(kept, dict) and kept.get("table") == key else None
        if isinstance(digits, dict) and digits and all(
                isinstance(c, str) and _CODE.fullmatch(c) and type(d) is int and 0 <= d <= STORED_DIGITS
                for c, d in digits.items()):
            return digits
    digits = _parse_iso()
    with contextlib.suppress(OSError):
        cache.parent.mkdir(parents=True, exist_ok=True)
        part = cache.with_name(f"{cache.name}.{os.getpid()}")  # another process may write too
        part.write_text(json.dumps({"table": key, "digits": digits}), encoding="utf-8")
        os.replace(part, cache)
    return digits


def _parse_iso() -> dict[str, int]:
    from iso4217 import Currency  # parses the XML table: only when the cache cannot answer

    return {c.code: c.exponent for c in Currency
            if c.exponent is not None and c.exponent <= STORED_DIGITS}


def _iso_table() -> bytes | None:
    """The bytes of the iso4217 package's table.xml, found without importing it (None if
    the package keeps it elsewhere: then the cache is not used)."""
    import importlib.util

    spec = importlib.util.find_spec("iso4217")
    if spec is None or not spec.origin:
        return None
    try:
        return (Path(spec.origin).parent / "table.xml").read_bytes()
    except OSError:
        return None


def _cache_dir() -> Path | None:
    """recon's folder of the user's cache ($RECON_CACHE_DIR, else $XDG_CACHE_HOME/recon,
    else ~/.cache/recon); None when there is no home to put it in (never the current
    folder: a relative path would scatter caches wherever recon runs)."""
    if os.environ.get("RECON_CACHE_DIR"):
        return Path(os.environ["RECON_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "recon" if os.path.isabs(base) else None


def iso_published() -> str:
    """The publication date of the ISO 4217 table in use (YYYY-MM-DD)."""
    import iso4217

    return iso4217.__published__.isoformat()


def currency_digits(currency: str) -> int:
    """Minor-unit digits of a currency (EUR 2, JPY 0, BHD 3, HUF 2, IQD 3); KeyError if unknown."""
    code = str(currency).upper()
    iso = _iso_digits()
    if code in iso:
        return iso[code]
    return _ADDED[code]


def known_currencies() -> frozenset[str]:
    """ISO 4217 codes the ledger can store exactly (what a new ledger's table holds)."""
    return frozenset(_iso_digits())


def register_currency(code: str, digits: int) -> None:
    """Make a currency that a ledger holds known to this process (ISO's digits still win
    for an ISO code; called for every row of a ledger's table when it is opened)."""
    _ADDED[str(code)] = int(digits)


def check_new_currency(code: str, digits) -> tuple[str, int]:
    """A currency to add, checked: (CODE, digits). Raises BadInput."""
    from .errors import BadInput

    text = str(code).strip()
    if not _CODE.fullmatch(text):
        raise BadInput(f"currency {code!r}: give a three-letter code in capitals, such as XBT")
    if text in _iso_digits():
        raise BadInput(f"{text} is an ISO 4217 currency with {_iso_digits()[text]} decimals already; "
                       "nothing to add")
    d = parse_decimal(str(digits))
    if d is None or d != d.to_integral_value() or not 0 <= d <= STORED_DIGITS:
        raise BadInput(f"digits {digits!r}: give the currency's decimals as 0, 1, 2 or 3 "
                       "(the ledger stores amounts with 3 decimals)")
    return text, int(d)


def step_milli(digits: int) -> int:
    """One minor unit in thousandths (the ledger's currencies.step_milli): 2 -> 10."""
    return 10 ** (STORED_DIGITS - digits)


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
    with localcontext() as ctx:
        ctx.prec = 50
        return round_money(Decimal(amount) * Decimal(part) / Decimal(whole), currency)


# A plain number as files and options write it: ASCII digits, an optional sign, one '.'.
# Decimal() alone would also take "1_0" (10), Arabic-Indic or full-width digits, "1e3",
# "NaN" and surrounding spaces; none of them is a number a person typed in our format.
_PLAIN = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?", re.ASCII)


def parse_decimal(text) -> Decimal | None:
    """The exact value of a plain number (``12.50``, ``-3``, ``+0.5``); None for anything else."""
    if not isinstance(text, str) or not _PLAIN.fullmatch(text):
        return None
    return Decimal(text)


def to_decimal(text: str) -> Decimal | None:
    return parse_decimal(text)


def significant_decimals(d: Decimal) -> int:
    """Decimals once trailing zeros are dropped: 12.5000 -> 1, 12.000 -> 0."""
    exp = d.normalize().as_tuple().exponent
    return max(0, -exp) if isinstance(exp, int) else 0


def plain_decimal(value) -> str:
    """A number as exact text without trailing zeros (2.500000 -> 2.5); other text as it is."""
    try:
        d = Decimal(str(value))
    except (ArithmeticError, ValueError):
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


def add_currency(db, code: str, digits) -> tuple[str, int]:
    """Add a currency that ISO 4217 (the package) lacks to a ledger's ``currencies`` table.

    Refused when the code is an ISO one, or already in the ledger with other decimals;
    adding it again with the same decimals changes nothing. Returns (CODE, digits).
    """
    from .errors import BadInput

    code, digits = check_new_currency(code, digits)
    with db.transaction():
        held = db.scalar("SELECT digits FROM currencies WHERE currency = $c", {"c": code})
        if held is not None and held != digits:
            raise BadInput(f"{code} is in the ledger already, with {held} decimals; amounts in it "
                           "may depend on that, so it cannot be changed")
        if held is None:
            db.execute("INSERT INTO currencies VALUES ($c, $d, $s)",
                       {"c": code, "d": digits, "s": step_milli(digits)})
            db.audit("add-currency", detail={"currency": code, "digits": digits})
    register_currency(code, digits)
    return code, digits
