-- What a platform export must hold before it can be compared with the ledger (the
-- files themselves are checked by the import's readers first): every invoice its items,
-- payments, links and refunds name, and credit items that name a debit item of the
-- export. Staging tables p_<table> (compare.py), each with _file and _row.
SELECT _file, _row, 'invoice_id' AS col, invoice_id AS value, 'unknown_invoice' AS code, NULL AS a
FROM p_invoice_items WHERE invoice_id NOT IN (SELECT invoice_id FROM p_invoices)
UNION ALL
SELECT _file, _row, 'invoice_id', invoice_id, 'unknown_invoice', NULL
FROM p_payments WHERE invoice_id NOT IN (SELECT invoice_id FROM p_invoices)
UNION ALL
SELECT _file, _row, col, v, 'unknown_invoice', NULL
FROM (UNPIVOT (SELECT _file, _row, credit_invoice_id, debit_invoice_id FROM p_invoice_links)
      ON credit_invoice_id, debit_invoice_id INTO NAME col VALUE v)
WHERE v NOT IN (SELECT invoice_id FROM p_invoices)
UNION ALL
SELECT _file, _row, 'credit_invoice_id', credit_invoice_id, 'unknown_invoice', NULL
FROM p_refunds WHERE credit_invoice_id NOT IN (SELECT invoice_id FROM p_invoices)
UNION ALL
SELECT s._file, s._row, 'credited_item_id', coalesce(s.credited_item_id, ''), 'credit_item_unlinked', NULL
FROM p_invoice_items s JOIN p_invoices i USING (invoice_id)
WHERE i.type = 'credit' AND (s.credited_item_id IS NULL
      OR s.credited_item_id NOT IN (SELECT item_id FROM p_invoice_items))
ORDER BY 1, 2, 3
