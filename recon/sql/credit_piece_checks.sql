-- Problems only the arithmetic can tell: over-credit (of quantity, net or gross amount),
-- nothing left to credit, a gross amount with no exact split, and a debit invoice that
-- earlier requests of the same run have already settled. "only with": as in
-- credit_checks.sql.
WITH settle_candidates AS (
    -- a debit can only be settled before one of its requests if the run's credits on it
    -- reach its unpaid amount and come from more than one request
    SELECT debit_invoice_id FROM piece GROUP BY debit_invoice_id
    HAVING sum(amount) >= any_value(debit_unpaid) AND min(req_no) <> max(req_no)
),
per_req AS (
    SELECT req_no, any_value(src_row) AS src_row, debit_invoice_id, any_value(debit_unpaid) AS unpaid,
           sum(amount) AS amount, bool_or(whole_invoice) AS whole_invoice, count(*) AS pieces,
           count(*) FILTER (WHERE quantity > 0) AS live
    FROM piece
    WHERE whole_invoice OR debit_invoice_id IN (SELECT debit_invoice_id FROM settle_candidates)
    GROUP BY req_no, debit_invoice_id
),
settled AS (
    SELECT *, coalesce(sum(amount) OVER (PARTITION BY debit_invoice_id ORDER BY req_no
                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
    FROM per_req WHERE debit_invoice_id IN (SELECT debit_invoice_id FROM settle_candidates)
)
SELECT src_row, 'quantity' AS col, asked::VARCHAR AS value, 'over_credit' AS code,
       greatest(q_orig - c_before, 0)::VARCHAR AS a, item_id AS b
FROM piece WHERE asked IS NOT NULL AND NOT prorated AND c_before + asked > q_orig
UNION ALL
-- only with: amount
-- an amount past what is left names the net (or, tax included, the amount) left
SELECT src_row, 'amount', asked_amount::VARCHAR, 'amount_over_credit',
       money_text(greatest(nm - n0, 0), step_milli), item_id
FROM piece WHERE asked_amount IS NOT NULL AND NOT gross AND asked_m > nm - n0
UNION ALL
-- only with: gross
SELECT src_row, 'amount', asked_amount::VARCHAR, 'gross_over_credit',
       money_text(greatest(nm + tm - n0 - t0, 0), step_milli), item_id
FROM piece WHERE gross AND asked_m > nm + tm - n0 - t0
UNION ALL
-- only with: gross
-- a gross amount that no net and tax add up to: the nearest that do (a few nets around
-- the proportional one, g × N / (N + T))
SELECT src_row, 'amount', asked_amount::VARCHAR, 'gross_no_split',
       money_text(max(g) FILTER (WHERE g < asked_m), step_milli) || ' and '
       || money_text(min(g) FILTER (WHERE g > asked_m), step_milli), item_id
FROM (
    SELECT *, gross_at(x, n0, t0, nm, tm, step_milli) AS g
    FROM (
        -- (gross_at is a macro: given a column, not the expression, it stays small)
        SELECT p.*, n0 + (asked_m::HUGEINT * nm // (nm + tm)) // step_milli * step_milli + j * step_milli AS x
        FROM piece p, range(-3, 4) r(j)
        WHERE gross AND net_want IS NULL AND nm > 0 AND asked_m <= nm + tm - n0 - t0
    )
)
GROUP BY src_row, asked_amount, step_milli, item_id
UNION ALL
-- only with: amount, percent
SELECT src_row, CASE WHEN asked_percent IS NOT NULL THEN 'percent' ELSE 'amount' END,
       coalesce(asked_amount::VARCHAR, asked_percent::VARCHAR), 'amount_needs_rest',
       money_text(nm - n0, step_milli), item_id
FROM piece WHERE by_money AND net_want > n0 AND net_want < nm AND q_raw <= 0
UNION ALL
-- only with: percent
SELECT src_row, 'percent', asked_percent::VARCHAR, 'percent_too_small', NULL, item_id
FROM piece WHERE asked_percent IS NOT NULL AND NOT whole_invoice AND quantity = 0 AND nm > n0
UNION ALL
-- all that is left (or a percentage) of an item with nothing left
SELECT src_row, 'item_id', item_id, 'nothing_left', q_orig::VARCHAR, NULL
FROM piece WHERE NOT whole_invoice AND NOT prorated AND asked IS NULL AND asked_amount IS NULL
  AND quantity = 0 AND (asked_percent IS NULL OR nm <= n0)
UNION ALL
-- only with: period_days
SELECT src_row, 'quantity', (k::DECIMAL(38,0) * 0.000001::DECIMAL(7,6))::DECIMAL(18,6)::VARCHAR,
       'prorate_too_small', greatest(q_orig - c_before, 0)::VARCHAR, item_id
FROM piece WHERE prorated AND k > 0 AND quantity = 0
UNION ALL
-- a whole-invoice credit of a debit without items: no piece (it would be an empty credit
-- invoice, and spend a credit number)
SELECT src_row, 'debit_invoice_id', debit_invoice_id, 'invoice_no_items', NULL, NULL
FROM req WHERE item_id IS NULL AND is_debit
  AND req_no NOT IN (SELECT req_no FROM piece WHERE whole_invoice)
UNION ALL
SELECT src_row, 'debit_invoice_id', debit_invoice_id, 'invoice_fully_credited', NULL, NULL
FROM per_req WHERE whole_invoice AND live = 0
UNION ALL
SELECT src_row, 'debit_invoice_id', debit_invoice_id, 'settled_in_run', NULL, NULL
FROM settled WHERE unpaid > 0 AND before >= unpaid AND NOT $allow_paid
ORDER BY 1, 2
