-- Problems only the arithmetic can tell: over-credit, nothing left to credit, and a
-- debit invoice that earlier requests of the same run have already settled.
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
FROM piece WHERE asked IS NOT NULL AND c_before + asked > q_orig
UNION ALL
SELECT src_row, 'item_id', item_id, 'nothing_left', q_orig::VARCHAR, NULL
FROM piece WHERE NOT whole_invoice AND asked IS NULL AND quantity = 0 AND cancelled_quantity = 0
UNION ALL
SELECT src_row, 'quantity', coalesce(asked, cancelled_quantity)::VARCHAR, 'prorate_too_small',
       greatest(q_orig - c_before, 0)::VARCHAR, item_id
FROM piece WHERE prorated AND cancelled_quantity > 0 AND quantity = 0
UNION ALL
SELECT src_row, 'debit_invoice_id', debit_invoice_id, 'invoice_fully_credited', NULL, NULL
FROM per_req WHERE whole_invoice AND live = 0
UNION ALL
SELECT src_row, 'debit_invoice_id', debit_invoice_id, 'settled_in_run', NULL, NULL
FROM settled WHERE unpaid > 0 AND before >= unpaid AND NOT $allow_paid
ORDER BY 1, 2
