-- Problems with credit requests that the ledger alone can tell (before any arithmetic).
-- One row per problem: the request's row, the column at fault, its value, a code, and
-- the facts the message needs (credits.py words the message). A branch marked "only
-- with: columns" finds rows only where one of them is filled; a run that leaves them all
-- empty runs the statement without it (sql.pruned).
WITH repeat_rows AS (
    -- requests whose (debit, item) is asked more than once (credit_stage.sql), by kind;
    -- cancellations are refused by prorated_not_alone instead
    SELECT *, CASE WHEN amount IS NOT NULL THEN CASE WHEN gross THEN 'gross' ELSE 'amount' END
                   WHEN percent IS NOT NULL THEN 'percent'
                   WHEN quantity IS NOT NULL THEN 'quantity' ELSE 'rest' END AS kind,
              CASE WHEN item_id IS NULL THEN 'the whole invoice ' || debit_invoice_id
                   ELSE 'item ' || item_id END AS what
    FROM req WHERE pair_hash IN (SELECT pair_hash FROM req_twice) AND period_days IS NULL
),
mixed AS (
    -- groups that mix something (min <> max: more than one distinct value, nulls aside);
    -- usually none. key_agg (credit_stage.sql) has them per credit key.
    SELECT credit_key FROM key_agg
    WHERE currency <> max_currency OR account_id <> max_account OR credit_date <> max_credit_date
),
g AS (
    SELECT credit_key,
           min(currency) <> max(currency) AS mixed_currency,
           min(account_id) <> max(account_id) AS mixed_account,
           min(credit_date) <> max(credit_date) AS mixed_dates,
           arg_min(currency, req_no) AS first_currency,
           arg_min(account_id, req_no) AS first_account,
           min(req_no) AS first_req
    FROM req WHERE debit_known AND credit_key IN (SELECT credit_key FROM mixed) GROUP BY credit_key
)
SELECT src_row, 'debit_invoice_id' AS col, debit_invoice_id AS value, 'unknown_invoice' AS code, NULL AS a, NULL AS b
FROM req WHERE NOT debit_known
UNION ALL
SELECT src_row, 'debit_invoice_id', debit_invoice_id, 'not_a_debit', NULL, NULL
FROM req WHERE debit_known AND NOT is_debit
UNION ALL
SELECT src_row, 'debit_invoice_id', debit_invoice_id, 'debit_void', NULL, NULL
FROM req WHERE is_debit AND debit_void
UNION ALL
SELECT src_row, 'debit_invoice_id', debit_invoice_id, 'debit_paid', NULL, NULL
FROM req WHERE is_debit AND debit_paid AND NOT $allow_paid
UNION ALL
SELECT src_row, 'item_id', item_id, 'unknown_item', NULL, NULL
FROM req WHERE item_id IS NOT NULL AND NOT item_known
UNION ALL
SELECT src_row, 'item_id', item_id, 'item_elsewhere', item_elsewhere, debit_invoice_id
FROM req WHERE item_elsewhere IS NOT NULL AND debit_known
UNION ALL
SELECT src_row, 'quantity', quantity::VARCHAR, 'quantity_without_item', NULL, NULL
FROM req WHERE item_id IS NULL AND quantity IS NOT NULL
UNION ALL
SELECT src_row, 'quantity', quantity::VARCHAR, 'quantity_not_positive', NULL, NULL
FROM req WHERE quantity IS NOT NULL AND quantity <= 0
UNION ALL
-- only with: credit_date
SELECT src_row, 'credit_date', credit_date::VARCHAR, 'date_before_debit', debit_date::VARCHAR, debit_invoice_id
FROM req WHERE credit_date IS NOT NULL AND credit_date < debit_date
UNION ALL
SELECT src_row, 'credit_date', coalesce(credit_date, $today)::VARCHAR, 'date_before_debit', debit_date::VARCHAR, debit_invoice_id
FROM req WHERE credit_date IS NULL AND into_credit_id IS NULL AND $today < debit_date
UNION ALL
SELECT r.src_row, 'currency', r.currency, 'group_currency', g.first_currency, r.credit_key
FROM req r JOIN g USING (credit_key) WHERE g.mixed_currency AND r.currency <> g.first_currency
UNION ALL
SELECT r.src_row, 'account_id', r.account_id, 'group_account', g.first_account, r.credit_key
FROM req r JOIN g USING (credit_key) WHERE g.mixed_account AND r.account_id <> g.first_account
UNION ALL
-- only with: credit_date
SELECT r.src_row, 'credit_date', r.credit_date::VARCHAR, 'group_dates', NULL, r.credit_key
FROM req r JOIN g USING (credit_key) WHERE g.mixed_dates AND r.req_no <> g.first_req AND r.credit_date IS NOT NULL
UNION ALL
-- only with: into_credit_id
SELECT src_row, 'into', into_credit_id, 'into_unknown', NULL, NULL
FROM req JOIN req_into USING (req_no) WHERE NOT into_known
UNION ALL
-- only with: into_credit_id
SELECT src_row, 'into', into_credit_id, 'into_not_credit', NULL, NULL
FROM req JOIN req_into USING (req_no) WHERE into_known AND into_type <> 'credit'
UNION ALL
-- only with: into_credit_id
SELECT src_row, 'into', into_credit_id, 'into_void', NULL, NULL
FROM req JOIN req_into USING (req_no) WHERE into_type = 'credit' AND into_voided_on IS NOT NULL
UNION ALL
-- only with: into_credit_id
SELECT src_row, 'into', into_credit_id, 'into_mismatch', into_account || ' ' || into_currency, account_id || ' ' || currency
FROM req JOIN req_into USING (req_no)
WHERE into_type = 'credit' AND debit_known AND (into_account <> account_id OR into_currency <> currency)
UNION ALL
-- only with: into_credit_id
SELECT src_row, 'into', into_credit_id, 'date_before_debit', into_date::VARCHAR, debit_invoice_id
FROM req JOIN req_into USING (req_no) WHERE into_type = 'credit' AND debit_known AND into_date < debit_date
UNION ALL
-- only with: into_credit_id
-- items added to an existing credit take effect on the day they are added
SELECT src_row, 'credit_date', coalesce(credit_date, $today)::VARCHAR, 'into_before_credit', into_date::VARCHAR,
       into_credit_id
FROM req JOIN req_into USING (req_no)
WHERE into_type = 'credit' AND coalesce(credit_date, $today) < into_date
UNION ALL
-- nothing may be dated in a closed month (periods.py)
SELECT src_row, 'credit_date', coalesce(credit_date, $today)::VARCHAR, 'period_closed', $lock_note, $first_open
FROM req WHERE coalesce(credit_date, $today) <= $locked_through
UNION ALL
-- only with: period_start
SELECT src_row, 'period_start', period_start::VARCHAR, 'period_reversed', period_end::VARCHAR, NULL
FROM req WHERE period_start IS NOT NULL AND period_end IS NOT NULL AND period_start > period_end
UNION ALL
-- only with: period_start, period_end
SELECT src_row, 'period_start', coalesce(period_start, period_end)::VARCHAR, 'period_without_item', NULL, NULL
FROM req WHERE (period_start IS NOT NULL OR period_end IS NOT NULL) AND item_id IS NULL
UNION ALL
-- only with: period_start, period_end
SELECT src_row, CASE WHEN period_start IS NOT NULL THEN 'period_start' ELSE 'period_end' END,
       coalesce(period_start, period_end)::VARCHAR, 'period_outside',
       coalesce(item_period_start::VARCHAR, 'none') || '..' || coalesce(item_period_end::VARCHAR, 'none'), item_id
FROM req WHERE item_known AND (period_start IS NOT NULL OR period_end IS NOT NULL)
  AND (item_period_start IS NULL OR item_period_end IS NULL
       OR coalesce(period_start, item_period_start) < item_period_start
       OR coalesce(period_end, item_period_end) > item_period_end)
UNION ALL
-- only with: unused_days, period_days
SELECT src_row, 'cancelled_on', cancelled_on::VARCHAR, 'proration_invalid', unused_days::VARCHAR, period_days::VARCHAR
FROM req WHERE (unused_days IS NOT NULL OR period_days IS NOT NULL)
  AND (unused_days IS NULL OR period_days IS NULL OR unused_days < 1 OR unused_days > period_days)
UNION ALL
-- only with: period_days
-- a prorated piece's cumulative target is exact only when it is its item's one request
SELECT r.src_row, 'item_id', r.item_id, 'prorated_not_alone', NULL, NULL
FROM req r WHERE r.period_days IS NOT NULL AND EXISTS (
    SELECT 1 FROM req o WHERE o.req_no <> r.req_no AND o.debit_invoice_id = r.debit_invoice_id
      AND (o.item_id IS NULL OR o.item_id = r.item_id))
UNION ALL
-- only with: amount, percent
-- a row asks one kind of credit: quantity, amount or percent (recon/amounts.py)
SELECT src_row, CASE WHEN percent IS NOT NULL THEN 'percent' ELSE 'amount' END,
       coalesce(percent::VARCHAR, amount::VARCHAR), 'several_asks',
       CASE WHEN quantity IS NOT NULL THEN 'a quantity' ELSE 'an amount' END, NULL
FROM req WHERE (quantity IS NOT NULL)::INT + (amount IS NOT NULL)::INT + (percent IS NOT NULL)::INT > 1
UNION ALL
-- only with: amount
SELECT src_row, 'amount', amount::VARCHAR, 'amount_without_item', NULL, NULL
FROM req WHERE amount IS NOT NULL AND item_id IS NULL
UNION ALL
-- only with: gross
SELECT src_row, 'gross', 'true', 'gross_without_amount', NULL, NULL
FROM req WHERE gross AND amount IS NULL
UNION ALL
-- only with: amount
SELECT src_row, 'amount', amount::VARCHAR, 'amount_not_positive', NULL, NULL
FROM req WHERE amount <= 0
UNION ALL
-- only with: amount
SELECT src_row, 'amount', amount::VARCHAR, 'amount_decimals', currency,
       CASE step_milli WHEN 1000 THEN '0' WHEN 100 THEN '1' WHEN 10 THEN '2' ELSE '3' END
FROM req WHERE amount > 0 AND step_milli IS NOT NULL AND off_step(amount, step_milli)
UNION ALL
-- only with: percent
SELECT src_row, 'percent', percent::VARCHAR, 'percent_invalid', NULL, NULL
FROM req WHERE percent <= 0 OR percent > 100
UNION ALL
-- Rows of one credit that credit the same item (or the same whole invoice): rows alike
-- in every cell are ambiguous (a copy, or two credits meant?), so they are refused
-- unless the file asks for their sum ($sum_repeats); then every repeat of an item in a
-- credit is summed onto one line (credits.py), if it can be.
SELECT src_row, 'item_id', coalesce(item_id, debit_invoice_id),
       CASE WHEN kind = 'rest' THEN 'repeat_all' ELSE 'repeat_in_credit' END, rows_text, what
FROM (
    SELECT *, min(src_row) OVER alike AS first_row, count(*) OVER alike AS n,
           string_agg(src_row::VARCHAR, ',') OVER alike AS rows_text
    FROM repeat_rows
    WINDOW alike AS (PARTITION BY credit_key, debit_invoice_id, item_id, kind, quantity, amount, percent,
                     reason, credit_date, period_start, period_end
                     ORDER BY src_row ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
) WHERE n > 1 AND src_row <> first_row AND (NOT $sum_repeats OR kind = 'rest')
UNION ALL
SELECT src_row, 'item_id', coalesce(item_id, debit_invoice_id), 'repeat_unsummable', rows_text, what
FROM (
    SELECT *, min(src_row) OVER same AS first_row,
           string_agg(src_row::VARCHAR, ',') OVER same AS rows_text,
           count(DISTINCT kind || coalesce(period_start::VARCHAR, '') || coalesce(period_end::VARCHAR, '')) OVER same AS ways,
           bool_and(kind = 'rest') OVER same AS all_rest
    FROM repeat_rows
    WINDOW same AS (PARTITION BY credit_key, debit_invoice_id, item_id
                    ORDER BY src_row ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
) WHERE $sum_repeats AND src_row <> first_row AND (ways > 1 OR (kind = 'rest' AND NOT all_rest))
UNION ALL
-- only with: credit_invoice_id
-- the platform's own credit numbers: one per credit, unique in the file and the ledger
SELECT r.src_row, 'credit_invoice_id', r.credit_invoice_id, 'credit_id_mixed', x.given_id, r.credit_key
FROM req r JOIN key_extra x USING (credit_key)
WHERE x.given_id <> x.max_given_id AND r.credit_invoice_id <> x.given_id
UNION ALL
-- only with: credit_invoice_id
SELECT r.src_row, 'credit_invoice_id', r.credit_invoice_id, 'credit_id_repeated', o.first_row::VARCHAR, NULL
FROM req r JOIN (
    SELECT given_id, min(first_row) AS first_row, min(credit_key) AS first_key FROM key_extra x
    JOIN (SELECT credit_key, min(src_row) AS first_row FROM req WHERE credit_invoice_id IS NOT NULL GROUP BY 1) f USING (credit_key)
    WHERE given_id IS NOT NULL GROUP BY given_id HAVING count(*) > 1
) o ON o.given_id = r.credit_invoice_id
WHERE r.credit_key <> o.first_key
UNION ALL
-- only with: credit_invoice_id
SELECT r.src_row, 'credit_invoice_id', r.credit_invoice_id, 'credit_id_taken', NULL, NULL
FROM req r WHERE r.credit_invoice_id IN (
    SELECT invoice_id FROM invoices WHERE invoice_id IN (SELECT given_id FROM key_extra))
ORDER BY 1, 2
