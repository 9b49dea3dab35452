"""How recon shows numbers and column names to a person: one formatter for every screen.

The command line, the notebooks (``recon.display``), the credit dialog and the report's
HTML page and workbook all show money the same way: the currency's own decimals (EUR 2,
JPY 0, BHD 3, from ``recon.money.currency_digits``), rounded half-up, thousands
separated, a minus sign in front of a negative amount and never a "-0.00"::

    money(Decimal("29842.7"), "EUR")        -> "29,842.70"
    money(Decimal("-56715.3"), "EUR", code=True) -> "-56,715.30 EUR"
    money(Decimal("2306018"), "JPY")        -> "2,306,018"

Machine files (CSV, exports) keep machine text: no separators, column names as they are.
Screens use :func:`label` for a column's name ("opening_unpaid" -> "Opening unpaid").

Formatting works on the exact decimals (never through a binary float); a column of
amounts is formatted with Arrow kernels, column-wise.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

#: stored amounts have three decimals; an unknown currency shows all of them
FALLBACK_DIGITS = 3


def digits_of(currency) -> int:
    """The currency's minor-unit digits; three (every stored decimal) when it is unknown."""
    from .money import currency_digits

    try:
        return currency_digits(str(currency))
    except (KeyError, AttributeError):
        return FALLBACK_DIGITS


def _is_blank(value) -> bool:
    if value is None:
        return True
    try:
        return value != value  # NaN, pd.NA raise or compare unequal
    except TypeError:
        return True


def money(value, currency, *, code: bool = False) -> str:
    """One amount as text: the currency's decimals, thousands separated; "" when missing."""
    if _is_blank(value):
        return ""
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    n = digits_of(currency)
    d = d.quantize(Decimal(1).scaleb(-n), rounding=ROUND_HALF_UP)
    if d == 0:
        d = abs(d)  # no "-0.00"
    text = f"{d:,.{n}f}"
    return f"{text} {currency}" if code and currency else text


def quantity(value, *, grouped: bool = False) -> str:
    """A quantity or rate as exact text without trailing zeros (2.500000 -> 2.5); with
    ``grouped`` thousands separated for reading (12,212.28), plain for a field to edit."""
    if _is_blank(value):
        return ""
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if not d.is_finite():
        return str(value)
    d = d.normalize()
    if d == 0:
        return "0"
    return f"{d:,f}" if grouped else f"{d:f}"


# -- column-wise ------------------------------------------------------------------------------


def digits_array(currencies, n: int):
    """Each row's currency digits as a numpy array (``currencies``: one code for all rows,
    or one per row); looked up once per distinct currency."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if currencies is None or isinstance(currencies, str):
        return np.full(n, digits_of(currencies) if currencies else FALLBACK_DIGITS)
    if isinstance(currencies, (pa.Array, pa.ChunkedArray)):
        cur = currencies
    elif hasattr(currencies, "array") and hasattr(currencies.array, "_pa_array"):
        cur = pa.array(currencies.array)  # an Arrow-backed Series: no copy into Python
    else:
        cur = pa.array([None if _is_blank(c) else str(c) for c in currencies], type=pa.string())
    cur = pc.cast(cur, pa.string())
    codes = [c for c in pc.unique(cur).to_pylist() if c is not None]
    lookup = np.array([digits_of(c) for c in codes] + [FALLBACK_DIGITS])
    idx = pc.fill_null(pc.index_in(cur, value_set=pa.array(codes, type=pa.string())), len(codes))
    return lookup[np.asarray(idx)]


def money_column(values, currencies):
    """Amounts (an Arrow decimal array or pandas Series) as grouped text, each row at its
    currency's decimals (``currencies``: one code, or one per row). Returns a pyarrow array."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = values if isinstance(values, (pa.Array, pa.ChunkedArray)) else pa.array(
        getattr(values, "array", values))
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    digits = digits_array(currencies, len(arr))
    # wide enough that rounding 999...9.999 up to a whole unit cannot overflow
    scale = max(arr.type.scale, FALLBACK_DIGITS) if pa.types.is_decimal(arr.type) else FALLBACK_DIGITS
    arr = pc.cast(arr, pa.decimal128(38, scale))
    out = pa.nulls(len(arr), pa.string())
    for d in np.unique(digits).tolist():
        rounded = pc.cast(pc.round(arr, d, round_mode="half_towards_infinity"), pa.decimal128(38, d))
        out = pc.if_else(pa.array(digits == d), _grouped(pc.cast(rounded, pa.string()), d), out)
    return out


def _grouped(text, digits: int):
    """'-1234567.50' -> '-1,234,567.50' with Arrow string kernels (no loop over rows);
    ``text`` is decimals cast to text, so it has exactly ``digits`` decimals."""
    import pyarrow as pa
    import pyarrow.compute as pc

    negative = pc.starts_with(text, "-")
    unsigned = pc.utf8_ltrim(text, characters="-")
    cut = -(digits + 1) if digits else None
    whole = pc.utf8_slice_codeunits(unsigned, 0, cut) if cut else unsigned
    frac = pc.utf8_slice_codeunits(unsigned, cut) if cut else pc.utf8_slice_codeunits(unsigned, 0, 0)
    # pad to 21 digits, put a comma after every third, strip the padding: 1234 -> 1,234
    padded = pc.utf8_lpad(whole, 21, padding="#")
    commas = pc.replace_substring_regex(padded, r"(...)", r"\1,")
    whole = pc.utf8_rtrim(pc.utf8_ltrim(commas, characters="#,"), characters=",")
    whole = pc.if_else(pc.equal(whole, ""), "0", whole)
    body = pc.binary_join_element_wise(whole, frac, "")
    zero = pc.equal(pc.utf8_ltrim(body, characters="0.,"), "")
    sign = pc.if_else(pc.and_(negative, pc.invert(zero)), "-", "")
    return pc.cast(pc.binary_join_element_wise(sign, body, ""), pa.string())


# -- column names ------------------------------------------------------------------------------

#: names a person reads, for columns whose plain spelling would not do
LABELS = {
    "invoice_id": "Invoice",
    "credit_invoice_id": "Credit invoice",
    "debit_invoice_id": "Debit invoice",
    "credited_item_id": "Credits item",
    "item_id": "Item",
    "account_id": "Account",
    "account_name": "Account name",
    "link_id": "Link",
    "payment_id": "Payment",
    "batch_id": "Batch",
    "line_no": "Line",
    "opening_unpaid": "Opening unpaid",
    "closing_unpaid": "Closing unpaid",
    "unpaid_at_period_end": "Unpaid at period end",
    "unpaid_amount": "Unpaid",
    "unpaid_before": "Unpaid before",
    "unpaid_after": "Unpaid after",
    "status_before": "Status before",
    "status_after": "Status after",
    "overpayment_floor": "Overpayment floor",
    "credits_issued": "Credits issued",
    "credits_issued_amount": "Credits issued, amount",
    "unapplied_credits": "Unapplied credits",
    "unpaid_over_90_days": "Unpaid over 90 days",
    "gl_difference": "GL difference",
    "subledger_balance": "Subledger balance",
    "gl_balance": "GL balance",
    "days_past_due": "Days past due",
    "age_days": "Age (days)",
    "age_bucket": "Age",
    "net_amount": "Net",
    "tax_amount": "Tax",
    "tax_rate": "Tax rate",
    "unit_price": "Unit price",
    "creditable_quantity": "Creditable quantity",
    "creditable_amount": "Creditable amount",
    "credited_quantity": "Credited quantity",
    "invoice_date": "Invoice date",
    "due_date": "Due date",
    "voided_on": "Voided on",
    "linked_on": "Linked on",
    "unlinked_on": "Unlinked on",
    "paid_on": "Paid on",
    "cancelled_on": "Cancelled on",
    "period_start": "Period start",
    "period_end": "Period end",
    "available": "Available",
    "os_user": "User",
    "logged_at": "Logged at",
    # the customer's side (balances.py, statement.py, refunds.py); other new columns read
    # well as they are ("net_receivable" -> "Net receivable")
    "days_1_30": "1–30 days",
    "days_31_60": "31–60 days",
    "days_61_90": "61–90 days",
    "days_over_90": "Over 90 days",
    "event_date": "Date",
    "balance_at_end": "Balance as of the end",
    "refund_id": "Refund",
}


#: decimal columns that are not money: shown exact, without trailing zeros
NOT_MONEY = ("quantity", "unit_price", "tax_rate", "percent", "rate")


def is_money_name(column) -> bool:
    """A decimal column is money unless its name says quantity, price or rate."""
    name = str(column)
    return not (name in NOT_MONEY or name.endswith(("_quantity", "_rate", "_percent")))


def label(column) -> str:
    """A column's name as a person reads it: 'opening_unpaid' -> 'Opening unpaid'."""
    name = str(column)
    if name in LABELS:
        return LABELS[name]
    text = name.replace("_", " ").strip()
    return text[:1].upper() + text[1:]
