"""share_milli (macros.sql): integer half-up n × c / q to a multiple of step.

Small operands take a BIGINT path, large ones HUGEINT; both must give the exact
integer result, in particular around the switch (n = 2^30, c and q = 2^31).
"""

from __future__ import annotations

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from recon import sql

EDGES = [0, 1, 2, 999, 1000, 2**30 - 1, 2**30, 2**31 - 1, 2**31, 2**40, 10**15]

CON = duckdb.connect()
for _stmt in sql.statements("macros"):
    CON.execute(_stmt)


def share(n: int, c: int, q: int, step: int) -> int:
    return int(CON.execute("SELECT share_milli($n::HUGEINT, $c::HUGEINT, $q::HUGEINT, $s::BIGINT)",
                           {"n": n, "c": c, "q": q, "s": step}).fetchone()[0])


def expected(n: int, c: int, q: int, step: int) -> int:
    return ((n * c * 2 + q * step) // (2 * q * step)) * step


def near_edges(lo: int = 0):
    return st.one_of(st.sampled_from([e for e in EDGES if e >= lo]),
                     st.integers(min_value=lo, max_value=10**15))


@settings(max_examples=400, deadline=None)
@given(n=near_edges(), c=near_edges(), q=near_edges(1), step=st.sampled_from([1, 10, 1000]))
def test_share_milli_is_exact_on_both_paths(n, c, q, step):
    assert share(n, c, q, step) == expected(n, c, q, step)


def test_worked_example():
    # 50.000 net (50000 milli) × 3.333333 of 10 (micro) to cents (step 10):
    # 50000 × 3333333 / 10000000 = 16666.665 -> 16670 milli (16.67), half-up (BIGINT path)
    assert share(50000, 3333333, 10000000, 10) == 16670
    # n = 50000 × 2^30 takes the HUGEINT path: 16666.665 × 2^30 = 17895695277096.96 -> ...100
    assert share(50000 * 2**30, 3333333, 10000000, 10) == 17895695277100
    # the largest BIGINT-path operands stay below 2^63: 2^30-1, 2^31-1, 2^31-1, 2^31-1
    top = 2**31 - 1
    assert share(2**30 - 1, top, top, top) == expected(2**30 - 1, top, top, top)


@settings(max_examples=300, deadline=None)
@given(milli=st.one_of(st.sampled_from([0, 1, 999, 10**15 - 1, 10**15, 10**15 + 5, 10**18 - 1]),
                       st.integers(min_value=0, max_value=10**18 - 1)),
       negative=st.booleans(), step=st.sampled_from([1, 10, 100, 1000]))
def test_off_step_tells_extra_decimals_on_both_paths(milli, negative, step):
    """off_step (macros.sql): more decimals than the currency's minor unit, for every
    DECIMAL(18,3) amount: BIGINT below 10^12, HUGEINT from there to 10^15."""
    from decimal import Decimal

    x = Decimal(-milli if negative else milli).scaleb(-3)
    got = CON.execute("SELECT off_step($x::DECIMAL(18,3), $s)", {"x": str(x), "s": step}).fetchone()[0]
    assert got == (milli % step != 0)
