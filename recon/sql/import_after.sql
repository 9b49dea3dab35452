-- After an import is written and recomputed: what the files stated must agree with what
-- the facts give (SPEC §2), and no rule of §3 may be broken. The recompute (derived.sql,
-- every staged invoice is touched) has just written the facts' totals, unpaid amounts and
-- statuses: they are read back, not derived a second time (~0.2 s on 200k invoices).
WITH d AS (SELECT invoice_id, total, unpaid_amount, status FROM invoices)
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
-- only items that a credit item of this import credits (the groups the HAVING keeps):
-- a first import of debits then joins nothing, where it joined 1M items twice (0.2 s)
WHERE c.credited_item_id IN (SELECT credited_item_id FROM s_items)
GROUP BY c.credited_item_id
HAVING (sum(c.quantity) > any_value(o.quantity) OR sum(c.net_amount) > any_value(o.net_amount)
        OR sum(c.tax_amount) > any_value(o.tax_amount)) AND count(s._row) > 0
UNION ALL
-- links received beyond what payments left of a debit (SPEC §3: a link is capped at the
-- debit's unpaid amount); named on the import's first link or payment row of the debit
SELECT coalesce(sl._file, sp._file), coalesce(sl._row, sp._row), 'amount', b.invoice_id,
       'links_exceed_debit', b.owed::VARCHAR
FROM (
    SELECT i.invoice_id, (i.total - coalesce(p.paid, 0))::DECIMAL(18,3) AS owed, l.received
    FROM invoices i
    JOIN (SELECT debit_invoice_id AS invoice_id, sum(amount) AS received FROM invoice_links
          WHERE unlinked_on IS NULL GROUP BY 1) l USING (invoice_id)
    LEFT JOIN (SELECT invoice_id, sum(amount) AS paid FROM payments WHERE reversed_on IS NULL GROUP BY 1) p
        USING (invoice_id)
    WHERE i.type = 'debit' AND i.voided_on IS NULL
      AND i.invoice_id IN (SELECT debit_invoice_id FROM s_links UNION SELECT invoice_id FROM s_payments)
) b
LEFT JOIN (SELECT debit_invoice_id, min(_row) AS _row, any_value(_file) AS _file FROM s_links GROUP BY 1) sl
    ON sl.debit_invoice_id = b.invoice_id
LEFT JOIN (SELECT invoice_id, min(_row) AS _row, any_value(_file) AS _file FROM s_payments GROUP BY 1) sp
    ON sp.invoice_id = b.invoice_id
WHERE b.received > greatest(b.owed, 0) AND (sl._row IS NOT NULL OR sp._row IS NOT NULL)
ORDER BY 1, 2, 3
