-- After an import is written and recomputed: what the files stated must agree with what
-- the facts give (SPEC §2), and no rule of §3 may be broken.
WITH d AS ({derived})
SELECT s._file, s._row, 'total' AS col, s.total::VARCHAR AS value, 'total_mismatch' AS code, d.total::VARCHAR AS a
FROM s_invoices s JOIN d USING (invoice_id) WHERE s.total IS NOT NULL AND s.total <> d.total
UNION ALL
SELECT s._file, s._row, 'unpaid_amount', s.unpaid_amount::VARCHAR, 'unpaid_mismatch', d.unpaid_amount::VARCHAR
FROM s_invoices s JOIN d USING (invoice_id)
WHERE s.unpaid_amount IS NOT NULL AND s.unpaid_amount <> d.unpaid_amount
UNION ALL
SELECT s._file, s._row, 'status', s.status, 'status_mismatch', d.status
FROM s_invoices s JOIN d USING (invoice_id) WHERE s.status IS NOT NULL AND s.status <> d.status
UNION ALL
SELECT any_value(s._file), min(s._row), 'quantity', any_value(o.item_id), 'over_credited',
       sum(c.quantity)::VARCHAR || ' of ' || any_value(o.quantity)::VARCHAR
FROM invoice_items c JOIN invoices ci ON ci.invoice_id = c.invoice_id AND ci.voided_on IS NULL
JOIN invoice_items o ON o.item_id = c.credited_item_id
LEFT JOIN s_items s ON s.item_id = c.item_id
GROUP BY c.credited_item_id
HAVING (sum(c.quantity) > any_value(o.quantity) OR sum(c.net_amount) > any_value(o.net_amount)
        OR sum(c.tax_amount) > any_value(o.tax_amount)) AND count(s._row) > 0
UNION ALL
SELECT any_value(s._file), min(s._row), 'amount', l.credit_invoice_id, 'links_exceed_credit', any_value(i.total)::VARCHAR
FROM invoice_links l JOIN invoices i ON i.invoice_id = l.credit_invoice_id
LEFT JOIN s_links s ON s.credit_invoice_id = l.credit_invoice_id
WHERE l.unlinked_on IS NULL
GROUP BY l.credit_invoice_id HAVING sum(l.amount) > any_value(i.total) AND count(s._row) > 0
ORDER BY 1, 2, 3
