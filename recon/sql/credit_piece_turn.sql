-- One turn of the credit pieces (credit_pieces.sql explains the rules): the slots of
-- turn {nth} from {slots}, each starting from its item's state {before} (c: quantity in
-- millionths, n and t: net and tax in thousandths). credits.py puts the statement
-- around it (turn 1 creates `piece`, a later turn adds to it) and fills the names in;
-- they are fixed words and a turn number, never input.
WITH s AS (
    SELECT s.*, micro(s.q_orig) AS qm, milli(s.n_orig) AS nm, milli(s.t_orig) AS tm,
           coalesce(b.c, 0) AS c0, coalesce(b.n, 0) AS n0, coalesce(b.t, 0) AS t0,
           s.asked_amount IS NOT NULL OR s.asked_percent IS NOT NULL AS by_money
    FROM {slots} s LEFT JOIN {before} b USING (item_id)
    WHERE s.nth = {nth}
),
wanted AS (
    SELECT *,
        -- a quantity (empty: all that is left) brings the quantity to c_want, at most Q
        CASE WHEN NOT by_money AND NOT prorated
             THEN least(c0 + coalesce(micro(asked), greatest(qm - c0, 0)), qm) END AS c_want,
        -- prorated: the cancelled quantity k (default: all left), and c after × P exactly
        CASE WHEN prorated THEN coalesce(micro(asked), greatest(qm - c0, 0)) END AS k,
        -- an amount or percentage brings the net to net_want, at most N (NULL: a gross
        -- amount no net and tax add up to, refused by credit_piece_checks.sql)
        CASE WHEN NOT by_money THEN NULL
             WHEN nm = 0 THEN n0
             WHEN asked_percent IS NOT NULL
             THEN n0 + least(share_milli(nm, micro(asked_percent), 100000000, step_milli), greatest(nm - n0, 0))
             WHEN NOT gross THEN least(n0 + milli(asked_amount), nm)
             -- (least() would skip a NULL)
             WHEN gross_net(milli(asked_amount), n0, t0, nm, tm, step_milli) IS NOT NULL
             THEN least(gross_net(milli(asked_amount), n0, t0, nm, tm, step_milli), nm) END AS net_want
    FROM s
),
exact AS (
    SELECT *,
        CASE WHEN prorated THEN least(c0 * pd + k * u, qm * pd) END AS c_pd,
        CASE WHEN by_money THEN greatest(coalesce(net_want, n0), n0) END AS net_money
    FROM wanted
),
targets AS (
    SELECT *,
        CASE WHEN by_money THEN net_money
             WHEN prorated THEN share_milli(nm, c_pd, qm * pd, step_milli)
             ELSE share_milli(nm, c_want, qm, step_milli) END AS net_target,
        CASE WHEN by_money THEN CASE WHEN nm = 0 THEN t0 ELSE share_milli(tm, net_money, nm, step_milli) END
             WHEN prorated THEN share_milli(tm, c_pd, qm * pd, step_milli)
             ELSE share_milli(tm, c_want, qm, step_milli) END AS tax_target,
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
    FROM exact
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
       whole_invoice, asked, asked_amount, asked_percent, gross, by_money, prorated, nth,
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
