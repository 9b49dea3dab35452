-- Every rule of SPEC §2–3 that the stored data breaks, one row per breach.
-- Used by the month-end report (exceptions) and by the tests after every step.
WITH d AS ({derived}),
credited AS (
    SELECT ci.credited_item_id AS item_id, sum(ci.quantity) AS q, sum(ci.net_amount) AS net,
           sum(ci.tax_amount) AS tax
    FROM invoice_items ci JOIN invoices c ON c.invoice_id = ci.invoice_id
    WHERE c.voided_on IS NULL AND ci.credited_item_id IS NOT NULL
    GROUP BY ci.credited_item_id
),
active AS (SELECT * FROM invoice_links WHERE unlinked_on IS NULL)
SELECT 'over_credited' AS rule, o.invoice_id, o.item_id,
       'credited quantity ' || c.q::VARCHAR || ', net ' || c.net::VARCHAR || ', tax ' || c.tax::VARCHAR
       || ' exceed the item''s ' || o.quantity::VARCHAR || ', ' || o.net_amount::VARCHAR || ', ' || o.tax_amount::VARCHAR AS detail
FROM credited c JOIN invoice_items o USING (item_id)
WHERE c.q > o.quantity OR c.net > o.net_amount OR c.tax > o.tax_amount
UNION ALL
SELECT 'cent_residue', o.invoice_id, o.item_id,
       'fully credited, but credits sum to net ' || c.net::VARCHAR || ' tax ' || c.tax::VARCHAR
       || ' instead of ' || o.net_amount::VARCHAR || ' / ' || o.tax_amount::VARCHAR
FROM credited c JOIN invoice_items o USING (item_id)
WHERE c.q = o.quantity AND (c.net <> o.net_amount OR c.tax <> o.tax_amount)
UNION ALL
SELECT 'stored_total', i.invoice_id, NULL, 'stored ' || i.total::VARCHAR || ', items give ' || d.total::VARCHAR
FROM invoices i JOIN d USING (invoice_id) WHERE i.total <> d.total
UNION ALL
SELECT 'stored_unpaid', i.invoice_id, NULL, 'stored ' || i.unpaid_amount::VARCHAR || ', facts give ' || d.unpaid_amount::VARCHAR
FROM invoices i JOIN d USING (invoice_id) WHERE i.unpaid_amount <> d.unpaid_amount
UNION ALL
SELECT 'stored_status', i.invoice_id, NULL, 'stored ' || i.status || ', facts give ' || d.status
FROM invoices i JOIN d USING (invoice_id) WHERE i.status <> d.status
UNION ALL
SELECT 'credit_item_mismatch', ci.invoice_id, ci.item_id,
       'credits ' || o.item_id || ' of ' || dd.invoice_id || ' (' || dd.type || ', ' || dd.account_id || ' ' || dd.currency
       || ') from ' || c.account_id || ' ' || c.currency
FROM invoice_items ci JOIN invoices c ON c.invoice_id = ci.invoice_id
JOIN invoice_items o ON o.item_id = ci.credited_item_id JOIN invoices dd ON dd.invoice_id = o.invoice_id
WHERE dd.type <> 'debit' OR c.type <> 'credit' OR dd.account_id <> c.account_id OR dd.currency <> c.currency
UNION ALL
SELECT 'credit_item_orphan', ci.invoice_id, ci.item_id, 'credits unknown item ' || ci.credited_item_id
FROM invoice_items ci WHERE ci.credited_item_id IS NOT NULL
  AND ci.credited_item_id NOT IN (SELECT item_id FROM invoice_items)
UNION ALL
SELECT 'credit_before_debit', ci.invoice_id, ci.item_id,
       'credit dated ' || c.invoice_date::VARCHAR || ', debit ' || dd.invoice_id || ' dated ' || dd.invoice_date::VARCHAR
FROM invoice_items ci JOIN invoices c ON c.invoice_id = ci.invoice_id
JOIN invoice_items o ON o.item_id = ci.credited_item_id JOIN invoices dd ON dd.invoice_id = o.invoice_id
WHERE c.invoice_date < dd.invoice_date
UNION ALL
SELECT 'link_mismatch', l.credit_invoice_id, NULL,
       'linked to ' || l.debit_invoice_id || ': ' || c.type || ' ' || c.account_id || ' ' || c.currency
       || ' vs ' || dd.type || ' ' || dd.account_id || ' ' || dd.currency
FROM active l JOIN invoices c ON c.invoice_id = l.credit_invoice_id JOIN invoices dd ON dd.invoice_id = l.debit_invoice_id
WHERE c.type <> 'credit' OR dd.type <> 'debit' OR c.account_id <> dd.account_id OR c.currency <> dd.currency
UNION ALL
SELECT 'link_before_invoice', l.credit_invoice_id, NULL,
       'link to ' || l.debit_invoice_id || ' dated ' || l.linked_on::VARCHAR || ' before an invoice it joins'
FROM invoice_links l JOIN invoices c ON c.invoice_id = l.credit_invoice_id JOIN invoices dd ON dd.invoice_id = l.debit_invoice_id
WHERE l.linked_on < c.invoice_date OR l.linked_on < dd.invoice_date
UNION ALL
SELECT 'link_on_void', l.credit_invoice_id, NULL, 'active link to ' || l.debit_invoice_id || ' from or to a void invoice'
FROM active l JOIN invoices c ON c.invoice_id = l.credit_invoice_id JOIN invoices dd ON dd.invoice_id = l.debit_invoice_id
WHERE c.voided_on IS NOT NULL OR dd.voided_on IS NOT NULL
UNION ALL
SELECT 'links_exceed_credit', l.credit_invoice_id, NULL,
       'links given ' || sum(l.amount)::VARCHAR || ' exceed the credit''s total ' || any_value(c.total)::VARCHAR
FROM active l JOIN invoices c ON c.invoice_id = l.credit_invoice_id
GROUP BY l.credit_invoice_id HAVING sum(l.amount) > any_value(c.total)
UNION ALL
SELECT 'over_applied', dd.invoice_id, NULL,
       'links received ' || coalesce(lr.a, 0)::VARCHAR || ' exceed what payments left unpaid'
FROM invoices dd
JOIN (SELECT debit_invoice_id AS invoice_id, sum(amount) AS a FROM active GROUP BY 1) lr USING (invoice_id)
LEFT JOIN (SELECT invoice_id, sum(amount) AS p FROM payments WHERE reversed_on IS NULL GROUP BY 1) p USING (invoice_id)
WHERE lr.a > greatest(dd.total - coalesce(p.p, 0), 0)
UNION ALL
SELECT 'precision', i.invoice_id, it.item_id, 'amount ' || it.amount::VARCHAR || ' has more decimals than ' || i.currency
FROM invoice_items it JOIN invoices i USING (invoice_id) JOIN currencies cu USING (currency)
WHERE off_step(it.net_amount, cu.step_milli) OR off_step(it.tax_amount, cu.step_milli)
UNION ALL
SELECT 'precision', r.credit_invoice_id, NULL,
       'refund ' || r.refund_id || ' of ' || r.amount::VARCHAR || ' has more decimals than ' || i.currency
FROM refunds r JOIN invoices i ON i.invoice_id = r.credit_invoice_id JOIN currencies cu USING (currency)
WHERE off_step(r.amount, cu.step_milli)
UNION ALL
-- a refund pays back a credit that is not void, on or after the credit's own date
SELECT 'refund_mismatch', r.credit_invoice_id, NULL,
       'refund ' || r.refund_id || ' dated ' || r.refunded_on::VARCHAR || ' of ' || c.type || ' invoice '
       || c.invoice_id || ' dated ' || c.invoice_date::VARCHAR
       || CASE WHEN c.voided_on IS NOT NULL THEN ', void since ' || c.voided_on::VARCHAR ELSE '' END
FROM refunds r JOIN invoices c ON c.invoice_id = r.credit_invoice_id
WHERE c.type <> 'credit' OR c.voided_on IS NOT NULL OR r.refunded_on < c.invoice_date
UNION ALL
SELECT 'credit_of_void_debit', ci.invoice_id, ci.item_id,
       'credits ' || o.item_id || ' of void debit ' || dd.invoice_id || ' (void since ' || dd.voided_on::VARCHAR || ')'
FROM invoice_items ci JOIN invoices c ON c.invoice_id = ci.invoice_id
JOIN invoice_items o ON o.item_id = ci.credited_item_id JOIN invoices dd ON dd.invoice_id = o.invoice_id
WHERE c.voided_on IS NULL AND dd.voided_on IS NOT NULL
UNION ALL
SELECT 'duplicate_cancellation', ci.invoice_id, ci.item_id,
       'cancellation of ' || ci.credited_item_id || ' on ' || ci.cancelled_on::VARCHAR || ' credited '
       || count(*) OVER (PARTITION BY ci.credited_item_id, ci.cancelled_on)::VARCHAR || ' times'
FROM invoice_items ci JOIN invoices c ON c.invoice_id = ci.invoice_id
WHERE c.voided_on IS NULL AND ci.cancelled_on IS NOT NULL
QUALIFY count(*) OVER (PARTITION BY ci.credited_item_id, ci.cancelled_on) > 1
UNION ALL
-- keys and references that the schema leaves to the code (schema.sql, "Keys and references")
SELECT 'duplicate_invoice_id', invoice_id, NULL, 'invoice id used ' || count(*)::VARCHAR || ' times'
FROM invoices GROUP BY invoice_id HAVING count(*) > 1
UNION ALL
SELECT 'duplicate_item_id', min(invoice_id), item_id, 'item id used ' || count(*)::VARCHAR || ' times'
FROM invoice_items GROUP BY item_id HAVING count(*) > 1
UNION ALL
SELECT 'item_orphan', it.invoice_id, it.item_id, 'item of unknown invoice ' || it.invoice_id
FROM invoice_items it WHERE it.invoice_id NOT IN (SELECT invoice_id FROM invoices)
UNION ALL
SELECT 'payment_orphan', p.invoice_id, NULL, 'payment ' || p.payment_id || ' of unknown invoice ' || p.invoice_id
FROM payments p WHERE p.invoice_id NOT IN (SELECT invoice_id FROM invoices)
UNION ALL
SELECT 'link_orphan', l.credit_invoice_id, NULL,
       'link ' || l.link_id::VARCHAR || ' between ' || l.credit_invoice_id || ' and ' || l.debit_invoice_id
       || ', not both known invoices'
FROM invoice_links l WHERE l.credit_invoice_id NOT IN (SELECT invoice_id FROM invoices)
   OR l.debit_invoice_id NOT IN (SELECT invoice_id FROM invoices)
UNION ALL
SELECT 'refund_orphan', r.credit_invoice_id, NULL, 'refund ' || r.refund_id || ' of unknown invoice ' || r.credit_invoice_id
FROM refunds r WHERE r.credit_invoice_id NOT IN (SELECT invoice_id FROM invoices)
UNION ALL
SELECT 'duplicate_link_id', min(credit_invoice_id), NULL, 'link id ' || link_id::VARCHAR || ' used ' || count(*)::VARCHAR || ' times'
FROM invoice_links GROUP BY link_id HAVING count(*) > 1
UNION ALL
SELECT 'unknown_currency', i.invoice_id, NULL, 'currency ' || i.currency || ' is not in the currencies table'
FROM invoices i WHERE i.currency NOT IN (SELECT currency FROM currencies)
ORDER BY 1, 2, 3
