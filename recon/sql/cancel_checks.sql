-- Problems with cancellation rows, one row each: the file's row, column, value, a code
-- and the facts the message needs (cancellations.py words it).
SELECT src_row, 'item_id' AS col, item_id AS value, 'unknown_item' AS code, NULL AS a
FROM cancel_req WHERE NOT item_known
UNION ALL
SELECT src_row, 'item_id', item_id, 'credit_item', debit_invoice_id
FROM cancel_req WHERE invoice_type = 'credit'
UNION ALL
SELECT src_row, 'item_id', item_id, 'debit_void', debit_invoice_id
FROM cancel_req WHERE invoice_type = 'debit' AND debit_voided_on IS NOT NULL
UNION ALL
SELECT src_row, 'item_id', item_id, 'no_period', debit_invoice_id
FROM cancel_req WHERE invoice_type = 'debit' AND (period_start IS NULL OR period_end IS NULL)
UNION ALL
SELECT src_row, 'cancelled_on', cancelled_on::VARCHAR, 'outside_period',
       period_start::VARCHAR || '..' || period_end::VARCHAR
FROM cancel_req WHERE invoice_type = 'debit' AND period_start IS NOT NULL AND period_end IS NOT NULL
  AND (cancelled_on < period_start OR cancelled_on > period_end)
UNION ALL
SELECT src_row, 'cancelled_on', cancelled_on::VARCHAR, 'duplicate_row', first_row::VARCHAR
FROM cancel_req WHERE src_row <> first_row
ORDER BY 1, 2
