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
-- An amount with more decimals than its currency's minor unit (step: one unit in milli).
-- Below 10^12 (nearly every amount) in BIGINT: a HUGEINT modulo, milli(x) % step, is ~15x
-- slower (3M cells of an import: 0.27 -> 0.018 s); above, as milli() does.
CREATE OR REPLACE TEMP MACRO off_step(x, step) AS CASE WHEN abs(x) < 1000000000000
    THEN (x::DECIMAL(18,3) * 1000)::BIGINT % step <> 0
    ELSE (x::DECIMAL(38,3) * 1000)::HUGEINT % step <> 0 END;
CREATE OR REPLACE TEMP MACRO from_milli(m) AS (m::HUGEINT::DECIMAL(38,0) * 0.001::DECIMAL(4,3))::DECIMAL(18,3);
-- round_half_up(n × c / q) to a multiple of step, all non-negative integers.
CREATE OR REPLACE TEMP MACRO share_milli(n, c, q, step) AS CASE
    -- small operands (n < 2^30, c, q, step < 2^31: every step stays below 2^63): the
    -- same integers in BIGINT, since 128-bit division is slow (0.1-0.3 s on 1M pieces)
    WHEN n BETWEEN 0 AND 1073741823 AND c BETWEEN 0 AND 2147483647 AND q BETWEEN 1 AND 2147483647
         AND step BETWEEN 1 AND 2147483647
    THEN (((n::BIGINT * c::BIGINT * 2 + q::BIGINT * step) // (2 * q::BIGINT * step)) * step)::HUGEINT
    ELSE ((n::HUGEINT * c::HUGEINT * 2 + q::HUGEINT * step) // (2 * q::HUGEINT * step)) * step END;
-- A net amount more than one minor unit (step, in milli) away from
-- round_half_up(quantity × unit_price): micro × micro is in 10^-12, so / 10^9 gives milli.
CREATE OR REPLACE TEMP MACRO net_off(quantity, unit_price, net, step) AS
    abs(milli(net) - share_milli(micro(quantity), micro(unit_price), 1000000000, step)) > step;
-- A credit item's id: <credit invoice>-<line>, the line zero-padded to 3 digits and
-- wider past 999 (lpad alone would cut line 1000 to "100", an id already taken).
CREATE OR REPLACE TEMP MACRO line_id(credit, line) AS
    credit || '-' || CASE WHEN line < 1000 THEN lpad(line::VARCHAR, 3, '0') ELSE line::VARCHAR END;
-- An amount in milli as text with its currency's decimals (step: one minor unit in milli).
CREATE OR REPLACE TEMP MACRO money_text(m, step) AS CASE step
    WHEN 1000 THEN (m // 1000)::VARCHAR
    WHEN 100 THEN from_milli(m)::DECIMAL(18,1)::VARCHAR
    WHEN 10 THEN from_milli(m)::DECIMAL(18,2)::VARCHAR
    ELSE from_milli(m)::VARCHAR END;
-- Gross (tax-inclusive) amounts, recon/amounts.py. What a net piece ending at net x
-- (milli) costs with its tax, given net n0 and tax t0 credited before, on an item of
-- net n > 0 and tax t: (x − n0) + max(round_half_up(t × x / n) − t0, 0).
CREATE OR REPLACE TEMP MACRO gross_at(x, n0, t0, n, t, step) AS
    (x - n0) + greatest(share_milli(t, x, n, step) - t0, 0);
-- The tax k (in minor units) of the net a gross piece reaches: with M what net and tax
-- reach together and n, t the item's net and tax, x + round_half_up(t × x / n) = M has
-- its solution at k = floor((2tM + n) / (2(n + t))) when there is one
-- (credit_piece_turn.sql, solved, checks that there is).
CREATE OR REPLACE TEMP MACRO gross_tax_units(m, nu, tu) AS (2 * tu * m + nu) // (2 * (nu + tu));
-- An amount as text with exactly its currency's decimals (EUR 12.50, JPY 1500), and a
-- quantity or rate without trailing zeros (2.5, 30): how a comparison shows values. An
-- amount with more decimals than its currency has keeps them all (never rounded away).
CREATE OR REPLACE TEMP MACRO amount_text(x, digits) AS CASE
    WHEN milli(x) % (10 ^ (3 - coalesce(digits, 3)))::INTEGER <> 0 THEN x::DECIMAL(18,3)::VARCHAR
    WHEN digits = 0 THEN x::DECIMAL(18,0)::VARCHAR WHEN digits = 1 THEN x::DECIMAL(18,1)::VARCHAR
    WHEN digits = 2 THEN x::DECIMAL(18,2)::VARCHAR ELSE x::DECIMAL(18,3)::VARCHAR END;
CREATE OR REPLACE TEMP MACRO number_text(q) AS CASE WHEN contains(q::VARCHAR, '.')
    THEN rtrim(rtrim(q::VARCHAR, '0'), '.') ELSE q::VARCHAR END
