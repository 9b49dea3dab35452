-- One turn of the credit pieces (credit_pieces.sql explains the rules): the slots of
-- turn {nth} from {slots}, each starting from its item's state {before} (c: quantity in
-- millionths, n and t: net and tax in thousandths). credits.py puts the statement
-- around it (turn 1 creates `piece`, a later turn adds to it) and fills the names in;
-- they are fixed words and a turn number, never input.
WITH s AS (
    SELECT s.*, micro(s.q_orig) AS qm, milli(s.n_orig) AS nm, milli(s.t_orig) AS tm,
           coalesce(b.c, 0) AS c0, coalesce(b.n, 0) AS n0, coalesce(b.t, 0) AS t0,
           s.asked_amount IS NOT NULL OR s.asked_percent IS NOT NULL AS by_money,
           -- what was asked, in the integers the macros take. A macro is expanded where it
           -- is called, each argument copied wherever its body names it: given columns,
           -- not expressions, the statement stays small enough to plan quickly (a
           -- one-item credit spends most of its time planning, not computing).
           micro(s.asked) AS asked_c, micro(s.asked_percent) AS asked_p,
           milli(s.asked_amount) AS asked_m
    FROM {slots} s LEFT JOIN {before} b USING (item_id)
    WHERE s.nth = {nth}
),
gross_units AS (
    -- A gross amount g (gross rows only) in minor units: M = what net and tax reach
    -- together, N and T the item's net and tax (macros.sql, gross_tax_units).
    -- (HUGEINT division is slow: only on the gross rows, usually none of a bulk run)
    SELECT *,
        CASE WHEN solve THEN (asked_m + n0 + t0) // step_milli END AS gm,
        CASE WHEN solve THEN nm // step_milli END AS nu,
        CASE WHEN solve THEN tm // step_milli END AS tu
    FROM (SELECT *, gross AND asked_m IS NOT NULL AND nm <> 0 AS solve FROM s)
),
solved AS (
    -- The net the gross amount brings the item to, or NULL when the tax's rounding jumps
    -- over it (refused by credit_piece_checks.sql): x + round_half_up(t × x / n) = M has its
    -- solution at k = gross_tax_units(M, N, T) when 2TM + N − 2k(N + T) < 2N, else none.
    -- When the tax credited before is ahead of that (k < t0), the piece carries no tax and
    -- its net is g itself. Written out in steps here, not as one macro: a macro's body is
    -- copied wherever it is called, and this one, whole, was a fifth of the statement's
    -- planning.
    SELECT *,
        CASE WHEN NOT solve THEN NULL
             WHEN 2 * tu * gm + nu - 2 * gk * (nu + tu) < 2 * nu AND gk * step_milli >= t0
             THEN (gm - gk) * step_milli
             WHEN share_milli(tm, n0 + asked_m, nm, step_milli) <= t0 THEN n0 + asked_m END AS gross_net_want
    FROM (SELECT *, CASE WHEN solve THEN gross_tax_units(gm, nu, tu) END AS gk FROM gross_units)
),
wanted AS (
    SELECT *,
        -- a quantity (empty: all that is left) brings the quantity to c_want, at most Q
        CASE WHEN NOT by_money AND NOT prorated
             THEN least(c0 + coalesce(asked_c, greatest(qm - c0, 0)), qm) END AS c_want,
        -- prorated: the cancelled quantity k (default: all left), and c after × P exactly
        CASE WHEN prorated THEN coalesce(asked_c, greatest(qm - c0, 0)) END AS k,
        -- an amount or percentage brings the net to net_want, at most N (NULL: a gross
        -- amount no net and tax add up to, refused by credit_piece_checks.sql)
        CASE WHEN NOT by_money THEN NULL
             WHEN nm = 0 THEN n0
             WHEN asked_percent IS NOT NULL
             THEN n0 + least(share_milli(nm, asked_p, 100000000, step_milli), greatest(nm - n0, 0))
             WHEN NOT gross THEN least(n0 + asked_m, nm)
             -- (least() would skip a NULL)
             WHEN gross_net_want IS NOT NULL THEN least(gross_net_want, nm) END AS net_want
    FROM solved
),
exact AS (
    SELECT *,
        CASE WHEN prorated THEN least(c0 * pd + k * u, qm * pd) END AS c_pd,
        CASE WHEN by_money THEN greatest(coalesce(net_want, n0), n0) END AS net_money
    FROM wanted
),
shares AS (
    -- Each target is a share round_half_up(X × c / q) of the item's net or tax; which
    -- c / q is chosen first, so that share_milli (a macro, copied where it is called) is
    -- called once per target, not once per kind of request.
    SELECT *,
        CASE WHEN prorated THEN c_pd ELSE c_want END AS c_share,
        CASE WHEN prorated THEN qm * pd ELSE qm END AS q_share,
        -- an amount's tax follows its net (an item of net 0 keeps its tax, below)
        CASE WHEN by_money THEN net_money WHEN prorated THEN c_pd ELSE c_want END AS c_tax,
        CASE WHEN by_money THEN nm WHEN prorated THEN qm * pd ELSE qm END AS q_tax
    FROM exact
),
targets AS (
    SELECT *,
        CASE WHEN by_money THEN net_money ELSE share_milli(nm, c_share, q_share, step_milli) END AS net_target,
        CASE WHEN by_money AND nm = 0 THEN t0 ELSE share_milli(tm, c_tax, q_tax, step_milli) END AS tax_target,
        -- the piece's quantity in millionths
        CASE WHEN by_money THEN CASE
                 WHEN net_money <= n0 THEN 0
                 -- completing the net takes the quantity left
                 WHEN net_money >= nm THEN qm - c0
                 -- the equivalent share Q × amount / N, at least one millionth, and one
                 -- millionth short of Q at most (<= 0: none left, refused)
                 ELSE least(greatest(share_milli(qm, net_money - n0, nm, 1), 1), qm - c0 - 1) END
             -- prorated: k × u / P, half-up, at least one millionth
             WHEN prorated THEN CASE WHEN c_pd <= c0 * pd THEN 0
                                     ELSE greatest(((c_pd - c0 * pd) * 2 + pd) // (2 * pd), 1) END
             ELSE c_want - c0 END AS q_raw
    FROM shares
),
fitted AS (
    -- A prorated piece that would complete the item's quantity without completing its
    -- net and tax keeps one millionth back, so "fully credited" still means "sums to the
    -- original" (0 left = too little to prorate: refused by credit_piece_checks).
    SELECT *,
        CASE WHEN prorated AND c0 + q_raw >= qm AND (net_target < nm OR tax_target < tm)
             THEN qm - c0 - 1 ELSE greatest(q_raw, 0) END AS q_fit,
        greatest(net_target - n0, 0) AS net_piece,
        greatest(tax_target - t0, 0) AS tax_piece
    FROM targets
)
SELECT req_no, src_row, credit_key, debit_invoice_id, currency, step_milli, debit_unpaid,
       whole_invoice, asked, asked_amount, asked_m::BIGINT AS asked_m, asked_percent, gross, by_money, prorated, nth,
       item_id, debit_line_no, description, product_code, q_orig, unit_price, tax_rate,
       (c0::DECIMAL(38,0) * 0.000001::DECIMAL(7,6))::DECIMAL(18,6) AS c_before,
       -- integers for the checks and the next turn: every DECIMAL(18,x) of the ledger
       -- fits a BIGINT in thousandths or millionths (half the width of HUGEINT)
       nm::BIGINT AS nm, tm::BIGINT AS tm, n0::BIGINT AS n0, t0::BIGINT AS t0,
       net_want::BIGINT AS net_want, q_raw::BIGINT AS q_raw, k::BIGINT AS k,
       (q_fit::DECIMAL(38,0) * 0.000001::DECIMAL(7,6))::DECIMAL(18,6) AS quantity,
       -- units of the item this piece takes out of service (recon/cancellations.py): a
       -- cancellation's cancelled quantity, a quantity's own; an amount's none
       CASE WHEN q_fit <= 0 THEN NULL
            WHEN prorated THEN (k::DECIMAL(38,0) * 0.000001::DECIMAL(7,6))::DECIMAL(18,6)
            WHEN by_money THEN 0::DECIMAL(18,6)
            ELSE (q_fit::DECIMAL(38,0) * 0.000001::DECIMAL(7,6))::DECIMAL(18,6) END AS cancelled_quantity,
       cancelled_on,
       coalesce(asked_period_start, item_period_start) AS period_start,
       coalesce(asked_period_end, item_period_end) AS period_end,
       from_milli(net_piece) AS net_amount,
       from_milli(tax_piece) AS tax_amount,
       from_milli(net_piece + tax_piece) AS amount
FROM fitted
