-- Exact money helpers, defined per connection (TEMP), so read-only opens have them too.
-- Amounts are handled as integer thousandths ("milli") and quantities as integer
-- millionths ("micro"): DuckDB's DECIMAL division returns DOUBLE (STACK_NOTES).
-- A DECIMAL(38,x) to HUGEINT cast is ~30x slower than BIGINT arithmetic, so values
-- that fit (amounts below 10^12, quantities below 10^6: nearly all) take the fast
-- branch; CASE evaluates a branch only for its own rows, so neither can overflow.
CREATE OR REPLACE TEMP MACRO milli(x) AS CASE WHEN abs(x) < 1000000000000
    THEN (x::DECIMAL(18,3) * 1000)::BIGINT::HUGEINT ELSE (x::DECIMAL(38,3) * 1000)::HUGEINT END;
CREATE OR REPLACE TEMP MACRO micro(q) AS CASE WHEN abs(q) < 1000000
    THEN (q::DECIMAL(18,6) * 1000000)::BIGINT::HUGEINT ELSE (q::DECIMAL(38,6) * 1000000)::HUGEINT END;
CREATE OR REPLACE TEMP MACRO from_milli(m) AS (m::HUGEINT::DECIMAL(38,0) * 0.001::DECIMAL(4,3))::DECIMAL(18,3);
-- round_half_up(n × c / q) to a multiple of step, all non-negative integers.
CREATE OR REPLACE TEMP MACRO share_milli(n, c, q, step) AS CASE
    -- small operands (n < 2^30, c, q, step < 2^31: every step stays below 2^63): the
    -- same integers in BIGINT, since 128-bit division is slow (0.1-0.3 s on 1M pieces)
    WHEN n BETWEEN 0 AND 1073741823 AND c BETWEEN 0 AND 2147483647 AND q BETWEEN 1 AND 2147483647
         AND step BETWEEN 1 AND 2147483647
    THEN (((n::BIGINT * c::BIGINT * 2 + q::BIGINT * step) // (2 * q::BIGINT * step)) * step)::HUGEINT
    ELSE ((n::HUGEINT * c::HUGEINT * 2 + q::HUGEINT * step) // (2 * q::HUGEINT * step)) * step END;
-- A credit item's id: <credit invoice>-<line>, the line zero-padded to 3 digits and
-- wider past 999 (lpad alone would cut line 1000 to "100", an id already taken).
CREATE OR REPLACE TEMP MACRO line_id(credit, line) AS
    credit || '-' || CASE WHEN line < 1000 THEN lpad(line::VARCHAR, 3, '0') ELSE line::VARCHAR END;
