-- The credit pieces, set-based. Each request expands to the debit items it credits (a
-- whole-invoice request to every item). Walking each item's requests in order gives the
-- cumulative credited quantity c; a piece's net is
--     round_half_up(N × c_after / Q) − (net credited before it)
-- and the same for tax (SPEC §3, cumulative rounding). Arithmetic is in integers.
-- A prorated request (a cancellation: unused_days u of period_days P) adds
-- cancelled quantity × u / P to c exactly in the target; its piece carries that quantity
-- rounded half-up to 6 decimals (see recon/cancellations.py for why).
CREATE OR REPLACE TEMP VIEW asked AS
-- a request as the pieces see it; item requests carry their item (credit_stage.sql)
SELECT req_no, src_row, credit_key, debit_invoice_id, currency, step_milli, debit_unpaid,
       item_id IS NULL AS whole_invoice, quantity AS asked,
       period_start AS asked_period_start, period_end AS asked_period_end,
       period_days IS NOT NULL AS prorated, cancelled_on,
       coalesce(unused_days, 1) AS u, coalesce(period_days, 1) AS pd,
       item_id, item_line_no AS debit_line_no, item_description AS description, item_quantity AS q_orig,
       item_unit_price AS unit_price, item_tax_rate AS tax_rate, item_net AS n_orig, item_tax AS t_orig,
       item_period_start, item_period_end
FROM req WHERE is_debit;
CREATE OR REPLACE TEMP TABLE piece AS
WITH prior AS (
    -- what non-void credits already took from each item asked for (void credits are few:
    -- an anti-join on them, not a join of every credit item with its invoice)
    SELECT ci.credited_item_id AS item_id, sum(ci.quantity) AS q, sum(ci.net_amount) AS net,
           sum(ci.tax_amount) AS tax
    FROM invoice_items ci
    WHERE ci.credited_item_id IS NOT NULL
      AND ci.invoice_id NOT IN (SELECT invoice_id FROM invoices WHERE voided_on IS NOT NULL)
      AND ci.credited_item_id IN (
          SELECT item_id FROM req WHERE item_id IS NOT NULL
          UNION ALL
          SELECT d.item_id FROM invoice_items d
          WHERE d.invoice_id IN (SELECT debit_invoice_id FROM req WHERE item_id IS NULL))
    GROUP BY ci.credited_item_id
),
walk AS (
    -- an item request that is its item's only one in the run: nothing before it
    SELECT a.*, 0::DECIMAL(38,6) AS asked_before, false AS all_before, 1::BIGINT AS nth
    FROM asked a
    WHERE NOT a.whole_invoice AND a.debit_invoice_id NOT IN (SELECT debit_invoice_id FROM walk_invoice)
    UNION ALL BY NAME
    -- a whole-invoice request, its invoice's only one: each of its items once
    SELECT a.* REPLACE (d.item_id AS item_id, d.line_no AS debit_line_no, d.description AS description,
                        d.quantity AS q_orig, d.unit_price AS unit_price, d.tax_rate AS tax_rate,
                        d.net_amount AS n_orig, d.tax_amount AS t_orig,
                        d.period_start AS item_period_start, d.period_end AS item_period_end),
           0::DECIMAL(38,6) AS asked_before, false AS all_before, 1::BIGINT AS nth
    FROM asked a JOIN invoice_items d ON d.invoice_id = a.debit_invoice_id
    WHERE a.whole_invoice AND a.debit_invoice_id NOT IN (SELECT debit_invoice_id FROM walk_invoice)
    UNION ALL BY NAME
    -- the rest: each item's requests walked in run order
    SELECT e.*,
           coalesce(sum(e.asked) OVER earlier, 0)::DECIMAL(38,6) AS asked_before,
           coalesce(bool_or(e.asked IS NULL) OVER earlier, false) AS all_before,
           row_number() OVER (PARTITION BY e.item_id ORDER BY e.req_no) AS nth
    FROM (
        SELECT a.* REPLACE (d.item_id AS item_id, d.line_no AS debit_line_no, d.description AS description,
                            d.quantity AS q_orig, d.unit_price AS unit_price, d.tax_rate AS tax_rate,
                            d.net_amount AS n_orig, d.tax_amount AS t_orig,
                            d.period_start AS item_period_start, d.period_end AS item_period_end)
        FROM asked a JOIN invoice_items d
          ON d.invoice_id = a.debit_invoice_id AND (a.item_id IS NULL OR d.item_id = a.item_id)
        WHERE a.debit_invoice_id IN (SELECT debit_invoice_id FROM walk_invoice)
    ) e
    WINDOW earlier AS (PARTITION BY e.item_id ORDER BY e.req_no
                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
),
counted AS (
    -- an earlier "all that is left" request on the item leaves nothing
    SELECT w.*, coalesce(p.q, 0) AS q_prior, coalesce(p.net, 0) AS net_prior, coalesce(p.tax, 0) AS tax_prior,
           CASE WHEN all_before THEN q_orig ELSE coalesce(p.q, 0) + asked_before END AS c_before
    FROM walk w LEFT JOIN prior p USING (item_id)
),
sized AS (
    SELECT *, coalesce(asked, greatest(q_orig - c_before, 0)) AS cancelled_quantity FROM counted
),
exact AS (
    -- c_after × P in millionths: (c_before × P + quantity × u); u = P = 1 when not prorated
    SELECT *,
        micro(least(c_before, q_orig)) * pd + micro(least(cancelled_quantity, greatest(q_orig - c_before, 0))) * u AS c_after_pd
    FROM sized
),
shares AS (
    SELECT *,
        share_milli(milli(n_orig), c_after_pd, micro(q_orig) * pd, step_milli) AS net_target,
        share_milli(milli(t_orig), c_after_pd, micro(q_orig) * pd, step_milli) AS tax_target,
        -- the piece's quantity in millionths: quantity × u / P, half-up, at least one
        CASE WHEN cancelled_quantity = 0 THEN 0::HUGEINT
             -- not prorated (u = P = 1): the formula gives the quantity itself, no division
             WHEN u = 1 AND pd = 1 AND cancelled_quantity > 0 THEN micro(cancelled_quantity)
             ELSE greatest((micro(cancelled_quantity) * u * 2 + pd) // (2 * pd), 1) END AS q_piece,
        CASE WHEN nth = 1 THEN milli(net_prior)
             ELSE share_milli(milli(n_orig), micro(c_before), micro(q_orig), step_milli) END AS net_before,
        CASE WHEN nth = 1 THEN milli(tax_prior)
             ELSE share_milli(milli(t_orig), micro(c_before), micro(q_orig), step_milli) END AS tax_before
    FROM exact
),
fitted AS (
    -- A prorated piece that would complete the item's quantity without completing its
    -- net and tax keeps one millionth back, so "fully credited" still means "sums to the
    -- original" (0 left = too little to prorate: refused by credit_piece_checks).
    SELECT *,
        CASE WHEN prorated AND micro(c_before) + q_piece >= micro(q_orig)
                  AND (net_target < milli(n_orig) OR tax_target < milli(t_orig))
             THEN micro(q_orig) - micro(c_before) - 1 ELSE q_piece END AS q_fit
    FROM shares
)
SELECT req_no, src_row, credit_key, debit_invoice_id, currency,
       debit_unpaid, whole_invoice, asked, item_id, debit_line_no, description, q_orig,
       unit_price, tax_rate, c_before,
       (q_fit::DECIMAL(38,0) * 0.000001::DECIMAL(7,6))::DECIMAL(18,6) AS quantity,
       cancelled_quantity, prorated, cancelled_on,
       coalesce(asked_period_start, item_period_start) AS period_start,
       coalesce(asked_period_end, item_period_end) AS period_end,
       from_milli(greatest(net_target - net_before, 0)) AS net_amount,
       from_milli(greatest(tax_target - tax_before, 0)) AS tax_amount,
       from_milli(greatest(net_target - net_before, 0) + greatest(tax_target - tax_before, 0)) AS amount
FROM fitted
