"""Credit pieces asked as an amount or a percentage, beside a quantity (SPEC §3, issue 14).

An item of a debit invoice can be credited in three ways, in any mix and any order:

- a **quantity** (``{"ITM-1": "2"}``, ``--item ITM-1=2``; ``None`` / ``--item ITM-1``:
  all that is left): the cumulative rule on quantity. With N, T, Q the item's original
  net, tax and quantity and c the quantity credited after the piece,
  net after = round_half_up(N × c / Q), tax after = round_half_up(T × c / Q);
- a net **amount** (``Amount("20.00")``, ``--item ITM-1=@20.00``): the net credited after
  the piece is the net before + the amount, exactly; the tax follows on net by the same
  cumulative rule, tax after = round_half_up(T × net after / N);
- a **percentage** of the item's *original* net (``Percent("15")``, ``--percent 15``):
  the amount round_half_up(N × p / 100), capped at the net still creditable, then as an
  amount. For a whole invoice, each item's own percentage (items already fully credited,
  or whose share rounds to nothing, get no line).

Each piece is the difference "after − before", where *before* is what non-void credits
already hold for the item (and earlier requests of the same run, walked in order). So
pieces of any mix sum to exactly the item's net, tax and amount once it is fully
credited: the piece that completes the net (an amount equal to the net left, a
percentage capped at it, the last quantity, "all that is left") brings net to N and tax
to round_half_up(T × N / N) = T, and the quantity to Q. Nothing is ever credited past N,
T or N + T: a quantity never goes past Q, an amount never past the net left (refused),
and each piece's tax is at least 0 and at most T − tax before.

**The quantity on an amount credit item** is the equivalent share of the item's
quantity, Q × amount / N, rounded half-up to the ledger's 6 quantity decimals, and its
unit price is the debit item's. Why:
- the credit item reads like any other: 0.6 licences × unit price 33.333333 ≈ 20.00 of a
  3-licence 100.00 item, and ``creditable_items`` shows the quantity left (2.4) beside
  the amount left (80.00), in the same units as the debit;
- "cumulative credited quantity ≤ original" and "fully credited ⇒ sums to the original"
  keep their meaning: an amount that completes the net takes exactly the quantity left,
  and one that does not stops at least one millionth short of Q (it never marks the item
  fully credited while money is still billed), taking at least one millionth itself. If
  only one millionth is left, a partial amount is refused (credit the rest instead);
- later quantity pieces stay exact: a quantity credit after an amount credit follows the
  cumulative rule from the quantity credited so far, and the last one completes N and T.
The net itself is the amount asked, never recomputed from the rounded quantity.

**A gross (tax-inclusive) amount** G is split into the net a and tax t with a + t = G
and t = round_half_up(T × (net before + a) / N) − tax before, the rule above, so a gross
piece is exactly an amount piece of net a (solved in integers: ``solved`` in
sql/credit_piece_turn.sql). Worked examples (tests/test_amounts.py), nothing credited before:
- net 100.00, tax 10.00 (10 %): gross 11.06 is net 10.05 + tax 1.01, because the tax of
  10.05 is 10.00 × 10.05 / 100.00 = 1.005, half-up 1.01 (half-to-even would give 1.00 and
  no net for 11.06 at all). Gross 11.05 has no split: net 10.04 costs 11.04 (tax 1.004 →
  1.00), net 10.05 costs 11.06;
- net 100.00, tax 24.00 (24 %): gross 1.29 is net 1.04 + tax 0.25 (0.2496 → 0.25), and
  gross 1.27 has none: net 1.02 costs 1.26 (0.2448 → 0.24), net 1.03 costs 1.28.
A gross that no net adds up to is refused, naming the two nearest that can be credited
exactly (or give the net amount instead): crediting another amount than asked would be a
silent change, and splitting it any other way would break the tax rule.

**Mixing rules.** One row or item asks at most one of quantity, amount and percentage
(refused otherwise); ``gross`` goes with an amount only. An amount must be > 0, with no
more decimals than the currency has, and at most the net still creditable (refused,
naming the net left); a percentage must be > 0 and at most 100, and one that rounds to
less than one minor unit on a named item is refused. Cancellations (recon/cancellations.py)
are prorated quantity pieces and mix the same way: their default quantity is the
quantity still in service, which amount and percentage credits do not reduce (they
credit money, not units: their credit items record 0 units out of service).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .errors import BadInput
from .money import parse_decimal, significant_decimals


def _decimal(value, what: str, example: str) -> Decimal:
    if isinstance(value, float):
        raise BadInput(f"{what} {value!r} is a binary float; pass it as text or Decimal")
    text = f"{value:f}" if isinstance(value, Decimal) and value.is_finite() else str(value).strip()
    d = parse_decimal(text)  # strict: not "1_0", "١", "1e3" or "NaN", which Decimal() takes
    if d is None:
        raise BadInput(f"{what} {value!r} is not a number; write it like {example} (digits 0-9 and '.')")
    return d


@dataclass(frozen=True)
class Amount:
    """A net amount to credit on an item (``gross=True``: tax included)."""

    value: Decimal
    gross: bool = False

    def __post_init__(self):
        object.__setattr__(self, "value", _decimal(self.value, "amount", "20.00"))

    def checked(self, item_id: str) -> Amount:
        d = self.value
        if d <= 0:
            raise BadInput(f"--item {item_id}: amount {d} must be greater than 0; give a positive amount")
        # trailing zeros are no decimals (20.0000 is 20); the currency's own decimals are
        # checked against the debit invoice's currency (credit_checks.sql)
        if significant_decimals(d) > 3:
            raise BadInput(f"--item {item_id}: amount {d} has more than 3 decimals; round it to the "
                           "currency's minor unit")
        if abs(d) >= Decimal(10) ** 15:
            raise BadInput(f"--item {item_id}: amount {d} is too large (the ledger holds amounts below 10^15)")
        return self


@dataclass(frozen=True)
class Percent:
    """A percentage of an item's original net amount to credit (15 = 15 %)."""

    value: Decimal

    def __post_init__(self):
        object.__setattr__(self, "value", _decimal(self.value, "percent", "15 or 2.5"))

    def checked(self, item_id: str | None) -> Percent:
        d = self.value
        where = f"--item {item_id}: " if item_id else "--percent: "
        if d <= 0 or d > 100:
            raise BadInput(f"{where}percent {d} must be greater than 0 and at most 100; "
                           "give the share of the item's net, e.g. 15 for 15 %")
        if significant_decimals(d) > 6:
            raise BadInput(f"{where}percent {d} has more than 6 decimals")
        return self
