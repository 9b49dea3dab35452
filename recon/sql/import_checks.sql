-- Cross-file and ledger checks of an import, on staging tables s_invoices, s_items,
-- s_payments, s_links, s_refunds, ... (each with _row, the file's row number, and _file).
WITH inv AS (
    SELECT invoice_id, account_id, type, currency, invoice_date FROM s_invoices
    UNION ALL
    SELECT invoice_id, account_id, type, currency, invoice_date FROM invoices
    WHERE invoice_id NOT IN (SELECT invoice_id FROM s_invoices)
),
-- the ledger's currencies and those a restored export brings (an added one, XBT)
cur AS (
    SELECT currency, digits, step_milli FROM currencies
    UNION ALL
    SELECT currency, digits, (10 ^ (3 - digits))::INTEGER FROM s_currencies
    WHERE currency NOT IN (SELECT currency FROM currencies) AND digits BETWEEN 0 AND 3
),
inv_cur AS (
    SELECT inv.*, c.step_milli FROM inv LEFT JOIN cur c USING (currency)
),
inv_void AS (
    SELECT invoice_id, coalesce(voided_on, invoice_date) AS voided_on FROM s_invoices
    WHERE status = 'void' OR voided_on IS NOT NULL
    UNION ALL
    SELECT invoice_id, voided_on FROM invoices
    WHERE voided_on IS NOT NULL AND invoice_id NOT IN (SELECT invoice_id FROM s_invoices)
)
SELECT _file, _row, 'invoice_id' AS col, invoice_id AS value, 'id_exists' AS code, NULL AS a
FROM s_invoices WHERE invoice_id IN (SELECT invoice_id FROM invoices)
UNION ALL
SELECT _file, _row, 'currency', currency, 'unknown_currency', NULL
FROM s_invoices WHERE currency NOT IN (SELECT currency FROM cur)
UNION ALL
SELECT _file, _row, col, v::VARCHAR, 'too_many_decimals', digits::VARCHAR
FROM (UNPIVOT (SELECT s._file, s._row, s.total, s.unpaid_amount, c.digits, c.step_milli
               FROM s_invoices s JOIN cur c USING (currency))
      ON total, unpaid_amount INTO NAME col VALUE v)
WHERE off_step(v, step_milli)
UNION ALL
SELECT _file, _row, 'origin', origin, 'origin_on_debit', NULL
FROM s_invoices WHERE type = 'debit' AND origin IS NOT NULL
UNION ALL
SELECT _file, _row, 'due_date', due_date::VARCHAR, 'due_before_invoice', invoice_date::VARCHAR
FROM s_invoices WHERE due_date < invoice_date
-- items
UNION ALL
SELECT _file, _row, 'item_id', item_id, 'id_exists', NULL
FROM s_items WHERE item_id IN (SELECT item_id FROM invoice_items)
UNION ALL
SELECT s._file, s._row, 'invoice_id', s.invoice_id, 'unknown_invoice', NULL
FROM s_items s WHERE s.invoice_id NOT IN (SELECT invoice_id FROM inv)
UNION ALL
SELECT _file, _row, col, v::VARCHAR, 'too_many_decimals', digits::VARCHAR
FROM (UNPIVOT (SELECT s._file, s._row, s.net_amount, s.tax_amount, s.amount, c.digits, c.step_milli
               FROM s_items s JOIN inv_cur i USING (invoice_id) JOIN cur c USING (currency))
      ON net_amount, tax_amount, amount INTO NAME col VALUE v)
WHERE off_step(v, step_milli)
UNION ALL
SELECT _file, _row, 'amount', amount::VARCHAR, 'amount_not_sum', (net_amount + tax_amount)::VARCHAR
FROM s_items WHERE amount <> net_amount + tax_amount
UNION ALL
SELECT _file, _row, 'period_start', period_start::VARCHAR, 'period_reversed', period_end::VARCHAR
FROM s_items WHERE period_start > period_end
UNION ALL
SELECT _file, _row, 'line_no', line_no::VARCHAR, 'duplicate_line', invoice_id
FROM (SELECT *, count(*) OVER (PARTITION BY invoice_id, line_no) AS n FROM s_items) WHERE n > 1
UNION ALL
SELECT s._file, s._row, 'credited_item_id', s.credited_item_id, 'credit_item_on_debit', NULL
FROM s_items s JOIN inv i USING (invoice_id) WHERE i.type = 'debit' AND s.credited_item_id IS NOT NULL
UNION ALL
SELECT s._file, s._row, 'credited_item_id', coalesce(s.credited_item_id, ''), 'credit_item_unlinked', NULL
FROM s_items s JOIN inv i USING (invoice_id) WHERE i.type = 'credit'
  AND (s.credited_item_id IS NULL OR s.credited_item_id NOT IN
       (SELECT item_id FROM s_items UNION ALL SELECT item_id FROM invoice_items))
UNION ALL
SELECT s._file, s._row, 'credited_item_id', s.credited_item_id, 'credited_item_mismatch', d.invoice_id
FROM s_items s JOIN inv c USING (invoice_id)
JOIN (SELECT item_id, invoice_id FROM s_items UNION ALL SELECT item_id, invoice_id FROM invoice_items) di
  ON di.item_id = s.credited_item_id
JOIN inv d ON d.invoice_id = di.invoice_id
WHERE c.type = 'credit' AND (d.type <> 'debit' OR d.account_id <> c.account_id OR d.currency <> c.currency)
-- payments
UNION ALL
SELECT _file, _row, 'payment_id', payment_id, 'id_exists', NULL
FROM s_payments WHERE payment_id IN (SELECT payment_id FROM payments)
UNION ALL
SELECT s._file, s._row, 'invoice_id', s.invoice_id, 'unknown_invoice', NULL
FROM s_payments s WHERE s.invoice_id NOT IN (SELECT invoice_id FROM inv)
UNION ALL
SELECT _file, _row, 'reversed_on', reversed_on::VARCHAR, 'reversed_before_paid', paid_on::VARCHAR
FROM s_payments WHERE reversed_on < paid_on
-- (a payment on a credit invoice was moved to s_refunds: import_refund_payments.sql)
UNION ALL
SELECT s._file, s._row, 'amount', s.amount::VARCHAR, 'too_many_decimals', c.digits::VARCHAR
FROM s_payments s JOIN inv i USING (invoice_id) JOIN cur c USING (currency)
WHERE off_step(s.amount, c.step_milli)
-- links
UNION ALL
SELECT s._file, s._row, 'credit_invoice_id', s.credit_invoice_id, 'link_not_credit', NULL
FROM s_links s LEFT JOIN inv c ON c.invoice_id = s.credit_invoice_id WHERE c.type IS DISTINCT FROM 'credit'
UNION ALL
SELECT s._file, s._row, 'debit_invoice_id', s.debit_invoice_id, 'link_not_debit', NULL
FROM s_links s LEFT JOIN inv d ON d.invoice_id = s.debit_invoice_id WHERE d.type IS DISTINCT FROM 'debit'
UNION ALL
SELECT s._file, s._row, 'debit_invoice_id', s.debit_invoice_id, 'link_mismatch', c.account_id || ' ' || c.currency
FROM s_links s JOIN inv c ON c.invoice_id = s.credit_invoice_id JOIN inv d ON d.invoice_id = s.debit_invoice_id
WHERE c.account_id <> d.account_id OR c.currency <> d.currency
UNION ALL
SELECT s._file, s._row, 'linked_on', s.linked_on::VARCHAR, 'link_too_early', greatest(c.invoice_date, d.invoice_date)::VARCHAR
FROM s_links s JOIN inv c ON c.invoice_id = s.credit_invoice_id JOIN inv d ON d.invoice_id = s.debit_invoice_id
WHERE s.linked_on < greatest(c.invoice_date, d.invoice_date)
UNION ALL
SELECT s._file, s._row, 'amount', s.amount::VARCHAR, 'too_many_decimals', c.digits::VARCHAR
FROM s_links s JOIN inv i ON i.invoice_id = s.credit_invoice_id JOIN cur c USING (currency)
WHERE off_step(s.amount, c.step_milli)
UNION ALL
SELECT _file, _row, 'unlinked_on', unlinked_on::VARCHAR, 'unlink_before_link', linked_on::VARCHAR
FROM s_links WHERE unlinked_on < linked_on
UNION ALL
-- an active link from or to a void invoice would still move the debit's unpaid amount
SELECT s._file, s._row, 'unlinked_on', NULL, 'link_on_void', c.invoice_id || ' void'
FROM s_links s JOIN inv_void c ON c.invoice_id IN (s.credit_invoice_id, s.debit_invoice_id)
WHERE s.unlinked_on IS NULL OR s.unlinked_on > c.voided_on
-- dated facts (SPEC §2): an item from its invoice's day on; a credit not before a debit
-- it credits or links to
UNION ALL
SELECT s._file, s._row, 'added_on', s.added_on::VARCHAR, 'added_before_invoice', i.invoice_date::VARCHAR
FROM s_items s JOIN inv i USING (invoice_id) WHERE s.added_on < i.invoice_date
UNION ALL
SELECT s._file, s._row, 'added_on', s.added_on::VARCHAR, 'added_before_invoice', i.invoice_date::VARCHAR
FROM s_removed s JOIN inv i USING (invoice_id) WHERE s.added_on < i.invoice_date
UNION ALL
SELECT s._file, s._row, 'credited_item_id', s.credited_item_id, 'credit_before_debit',
       d.invoice_id || ' (' || d.invoice_date::VARCHAR || ')'
FROM s_items s JOIN inv c USING (invoice_id)
JOIN (SELECT item_id, invoice_id FROM s_items UNION ALL SELECT item_id, invoice_id FROM invoice_items) di
  ON di.item_id = s.credited_item_id
JOIN inv d ON d.invoice_id = di.invoice_id
WHERE c.type = 'credit' AND c.invoice_date < d.invoice_date
-- removed items: items of a credit invoice, once
UNION ALL
SELECT s._file, s._row, 'invoice_id', s.invoice_id, 'removed_not_credit', NULL
FROM s_removed s LEFT JOIN inv i USING (invoice_id) WHERE i.type IS DISTINCT FROM 'credit'
UNION ALL
SELECT _file, _row, 'item_id', item_id, 'id_exists', NULL
FROM s_removed WHERE item_id IN (SELECT item_id FROM invoice_items UNION ALL SELECT item_id FROM s_items
                                 UNION ALL SELECT item_id FROM removed_items)
UNION ALL
SELECT _file, _row, 'removed_on', removed_on::VARCHAR, 'removed_before_added', added_on::VARCHAR
FROM s_removed WHERE removed_on < added_on
-- refunds: from a credit invoice that is not void, in its currency's minor unit, once
-- (a payments row on a credit invoice is a refund too: import_refund_payments.sql; its
-- problems name the payments file's columns)
UNION ALL
SELECT _file, _row, CASE WHEN _payment THEN 'payment_id' ELSE 'refund_id' END, refund_id, 'id_exists', NULL
FROM s_refunds WHERE refund_id IN (SELECT refund_id FROM refunds)
UNION ALL
SELECT _file, _row, CASE WHEN _payment THEN 'payment_id' ELSE 'refund_id' END, refund_id,
       'duplicate_refund_id', first_file || ' row ' || first_row::VARCHAR
FROM (SELECT *, arg_min(_file, _payment::INT * 1e12 + _row) OVER (PARTITION BY refund_id) AS first_file,
             arg_min(_row, _payment::INT * 1e12 + _row) OVER (PARTITION BY refund_id) AS first_row
      FROM s_refunds)
WHERE (_file, _row) IS DISTINCT FROM (first_file, first_row)
UNION ALL
SELECT s._file, s._row, 'credit_invoice_id', s.credit_invoice_id, 'refund_not_credit', NULL
FROM s_refunds s LEFT JOIN inv c ON c.invoice_id = s.credit_invoice_id WHERE c.type IS DISTINCT FROM 'credit'
UNION ALL
SELECT s._file, s._row, CASE WHEN s._payment THEN 'invoice_id' ELSE 'credit_invoice_id' END,
       s.credit_invoice_id, 'refund_on_void', v.voided_on::VARCHAR
FROM s_refunds s JOIN inv_void v ON v.invoice_id = s.credit_invoice_id
UNION ALL
SELECT s._file, s._row, 'amount', s.amount::VARCHAR, 'too_many_decimals', c.digits::VARCHAR
FROM s_refunds s JOIN inv i ON i.invoice_id = s.credit_invoice_id JOIN cur c USING (currency)
WHERE off_step(s.amount, c.step_milli)
UNION ALL
SELECT s._file, s._row, CASE WHEN s._payment THEN 'paid_on' ELSE 'refunded_on' END, s.refunded_on::VARCHAR,
       'refund_too_early', c.invoice_date::VARCHAR
FROM s_refunds s JOIN inv c ON c.invoice_id = s.credit_invoice_id WHERE s.refunded_on < c.invoice_date
-- the ledger's own tables
UNION ALL
SELECT _file, _row, 'batch_id', batch_id, 'id_exists', NULL
FROM s_batches WHERE batch_id IN (SELECT batch_id FROM batches)
UNION ALL
-- an export with fewer decimals than this ledger gives (a ledger made with CLDR's HUF 0,
-- restored where ISO 4217 gives 2) holds amounts that are valid here too
SELECT s._file, s._row, 'digits', s.digits::VARCHAR, 'currency_digits_differ', c.digits::VARCHAR
FROM s_currencies s JOIN currencies c USING (currency) WHERE s.digits > c.digits
UNION ALL
SELECT _file, _row, 'digits', digits::VARCHAR, 'digits_out_of_range', NULL
FROM s_currencies WHERE digits NOT BETWEEN 0 AND 3
-- nothing may be dated in a closed month (periods.py): $locked_through, the end of the
-- last closed month of the ledger before this import
UNION ALL
SELECT _file, _row, col, day::VARCHAR, 'period_closed', $lock_note
FROM (
    SELECT _file, _row, 'invoice_date' AS col, invoice_date AS day FROM s_invoices
    UNION ALL SELECT _file, _row, 'voided_on', voided_on FROM s_invoices
    UNION ALL SELECT _file, _row, 'added_on', added_on FROM s_items
    UNION ALL SELECT _file, _row, 'removed_on', removed_on FROM s_removed
    UNION ALL SELECT _file, _row, 'paid_on', paid_on FROM s_payments
    UNION ALL SELECT _file, _row, 'reversed_on', reversed_on FROM s_payments
    UNION ALL SELECT _file, _row, 'changed_on', changed_on FROM s_due_changes
    UNION ALL SELECT _file, _row, CASE WHEN _payment THEN 'paid_on' ELSE 'refunded_on' END, refunded_on
              FROM s_refunds
    UNION ALL SELECT _file, _row, 'linked_on', linked_on FROM s_links
    UNION ALL SELECT _file, _row, 'unlinked_on', unlinked_on FROM s_links
)
WHERE day <= $locked_through
-- a debit item's net amount against quantity × unit price: more than one minor unit off
-- is refused, unless the mapping allows it (net_may_differ: discounts, minimum charges),
-- which transfer.import_dir sets as a variable for this run. Not credit items: their net
-- is the cumulative share of the debit item's (SPEC §3), their quantity an equivalent.
UNION ALL
SELECT s._file, s._row, 'net_amount', s.net_amount::VARCHAR, 'net_differs',
       from_milli(share_milli(micro(s.quantity), micro(s.unit_price), 1000000000, i.step_milli))::VARCHAR
FROM s_items s JOIN inv_cur i USING (invoice_id)
WHERE i.type = 'debit' AND NOT coalesce(getvariable('net_may_differ'), false) AND i.step_milli IS NOT NULL
  AND net_off(s.quantity, s.unit_price, s.net_amount, i.step_milli)
-- an invoice total the ledger's DECIMAL(18,3) cannot hold (items of the file and of the
-- ledger together); reported on the invoice's first item in the file
UNION ALL
SELECT any_value(s._file), min(s._row), 'amount', NULL, 'total_out_of_range',
       (sum(s.amount) + coalesce(any_value(h.held), 0))::VARCHAR
FROM s_items s
LEFT JOIN (SELECT invoice_id, sum(amount) AS held FROM invoice_items GROUP BY invoice_id) h USING (invoice_id)
GROUP BY s.invoice_id
HAVING sum(s.amount) + coalesce(any_value(h.held), 0) > 999999999999999.999
ORDER BY 1, 2, 3
