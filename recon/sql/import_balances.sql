-- After an import is written, before the recompute: a credit invoice whose active links
-- and refunds exceed its items (it would be applied or paid back beyond its total). The
-- problem is named on the import's first link or refund row of that credit (what draws on
-- it), or on its first item row when the import draws nothing on it. Each
-- side is summed on its own before the join, so a credit with several links counts each
-- once.
WITH credit AS (
    SELECT c.invoice_id,
           coalesce((SELECT sum(amount) FROM invoice_items it WHERE it.invoice_id = c.invoice_id), 0) AS total,
           coalesce((SELECT sum(amount) FROM invoice_links l
                     WHERE l.credit_invoice_id = c.invoice_id AND l.unlinked_on IS NULL), 0) AS given,
           coalesce((SELECT sum(amount) FROM refunds r WHERE r.credit_invoice_id = c.invoice_id), 0) AS refunded
    FROM invoices c
    WHERE c.type = 'credit' AND c.voided_on IS NULL AND c.invoice_id IN (SELECT invoice_id FROM touched)
),
-- the link or refund rows that draw on the credit come first, then its items
rows AS (
    SELECT credit_invoice_id AS invoice_id, _file, _row, 0 AS kind FROM s_links
    UNION ALL SELECT credit_invoice_id, _file, _row, 1 FROM s_refunds
    UNION ALL SELECT invoice_id, _file, _row, 2 FROM s_items
)
SELECT arg_min(r._file, (r.kind, r._row)), arg_min(r._row, (r.kind, r._row)), 'amount', c.invoice_id,
       'links_exceed_credit',
       any_value(c.total)::DECIMAL(18,3)::VARCHAR
FROM credit c JOIN rows r USING (invoice_id)
WHERE c.given + c.refunded > c.total
GROUP BY c.invoice_id
ORDER BY 1, 2, 3
