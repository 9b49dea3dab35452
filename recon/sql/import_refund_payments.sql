-- A platform export that records money paid back to a customer as a payment on the
-- credit invoice (Stripe, Chargebee and others keep refunds beside payments): such a
-- payments row is imported as a refund of that credit (refund_id = payment_id,
-- refunded_on = paid_on), with every rule of a refund checked (import_checks.sql), and
-- the import's summary says how many (transfer.py). The row keeps its file and row
-- number, and _payment tells the checks to name the payments file's own columns.
ALTER TABLE s_refunds ADD COLUMN _payment BOOLEAN DEFAULT false;
INSERT INTO s_refunds BY NAME
SELECT p.payment_id AS refund_id, p.invoice_id AS credit_invoice_id, p.amount,
       p.paid_on AS refunded_on, 'payment on credit invoice' AS reference, p._row, p._file,
       true AS _payment
FROM s_payments p
WHERE p.invoice_id IN (SELECT invoice_id FROM s_invoices WHERE type = 'credit'
                       UNION ALL
                       SELECT invoice_id FROM invoices WHERE type = 'credit'
                       AND invoice_id NOT IN (SELECT invoice_id FROM s_invoices));
DELETE FROM s_payments WHERE _row IN (SELECT _row FROM s_refunds WHERE _payment)
