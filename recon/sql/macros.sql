-- Exact money helpers, defined per connection (TEMP), so read-only opens have them too.
-- Amounts are handled as integer thousandths ("milli") and quantities as integer
-- millionths ("micro"): DuckDB's DECIMAL division returns DOUBLE (STACK_NOTES).
CREATE OR REPLACE TEMP MACRO milli(x) AS (x::DECIMAL(38,3) * 1000)::HUGEINT;
CREATE OR REPLACE TEMP MACRO micro(q) AS (q::DECIMAL(38,6) * 1000000)::HUGEINT;
CREATE OR REPLACE TEMP MACRO from_milli(m) AS (m::HUGEINT::DECIMAL(38,0) * 0.001::DECIMAL(4,3))::DECIMAL(18,3);
-- round_half_up(n × c / q) to a multiple of step, all non-negative integers.
CREATE OR REPLACE TEMP MACRO share_milli(n, c, q, step) AS
    ((n::HUGEINT * c::HUGEINT * 2 + q::HUGEINT * step) // (2 * q::HUGEINT * step)) * step
