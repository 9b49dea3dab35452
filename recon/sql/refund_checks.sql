-- Refund requests (temp table rf_req, staged by refunds.py: req_no, src_row, refund_id,
-- credit_invoice_id, amount, refunded_on, reference) checked against the ledger, every
-- problem at once: (src_row, column, value, code, a, b). SPEC §3: a refund never exceeds
-- the credit's available amount; it is dated on or after its credit invoice and outside
-- closed months ($locked_through, $lock_note, $first_open: periods.lock_params).
-- The amount left (over_available) is shown with the currency's own decimals.
WITH c AS (
    SELECT r.*, i.invoice_id IS NOT NULL AS known, i.type, i.voided_on, i.invoice_date,
           i.currency, i.unpaid_amount AS available, cu.step_milli, cu.digits
    FROM rf_req r
    LEFT JOIN invoices i ON i.invoice_id = r.credit_invoice_id
    LEFT JOIN currencies cu ON cu.currency = i.currency
),
-- the rows that may draw on a credit: what they ask, in run order, against what it has
usable AS (
    SELECT *, sum(amount) OVER (PARTITION BY credit_invoice_id ORDER BY req_no) AS asked
    FROM c
    WHERE type = 'credit' AND voided_on IS NULL AND amount > 0
)
SELECT src_row, 'credit_invoice_id' AS col, credit_invoice_id AS value, 'unknown_credit' AS code,
       NULL AS a, NULL AS b
FROM c WHERE NOT known
UNION ALL
SELECT src_row, 'credit_invoice_id', credit_invoice_id, 'not_a_credit', NULL, NULL
FROM c WHERE type = 'debit'
UNION ALL
SELECT src_row, 'credit_invoice_id', credit_invoice_id, 'credit_void', voided_on::VARCHAR, NULL
FROM c WHERE type = 'credit' AND voided_on IS NOT NULL
UNION ALL
SELECT src_row, 'amount', amount::VARCHAR, 'amount_not_positive', NULL, NULL
FROM c WHERE amount <= 0
UNION ALL
SELECT src_row, 'amount', amount::VARCHAR, 'too_many_decimals', digits::VARCHAR, currency
FROM c WHERE known AND amount > 0 AND off_step(amount, step_milli)
UNION ALL
SELECT src_row, 'refunded_on', refunded_on::VARCHAR, 'date_before_credit', invoice_date::VARCHAR, credit_invoice_id
FROM c WHERE refunded_on < invoice_date
UNION ALL
SELECT src_row, 'refunded_on', refunded_on::VARCHAR, 'period_closed', $lock_note, $first_open
FROM c WHERE refunded_on <= $locked_through
UNION ALL
SELECT src_row, 'refund_id', refund_id, 'refund_id_exists', NULL, NULL
FROM c WHERE refund_id IN (SELECT refund_id FROM refunds)
UNION ALL
SELECT src_row, 'refund_id', refund_id, 'duplicate_refund_id', first_row::VARCHAR, NULL
FROM (SELECT *, min(src_row) OVER (PARTITION BY refund_id) AS first_row FROM c WHERE refund_id IS NOT NULL)
WHERE src_row > first_row
UNION ALL
-- what is left for this row after the run's earlier rows on the same credit
SELECT src_row, 'amount', amount::VARCHAR, 'over_available',
       CASE digits WHEN 0 THEN greatest(available - (asked - amount), 0)::DECIMAL(18,0)::VARCHAR
                   WHEN 2 THEN greatest(available - (asked - amount), 0)::DECIMAL(18,2)::VARCHAR
                   ELSE greatest(available - (asked - amount), 0)::VARCHAR END || ' ' || currency,
       credit_invoice_id
FROM usable WHERE asked > available
ORDER BY 1, 2, 4
