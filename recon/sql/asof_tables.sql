-- The ledger's fact tables as they stood at the end of day $as_of, as temp tables named
-- like the real ones with an x_ prefix, so that any query written against the ledger
-- (derived.sql, integrity.sql) can run on the past (history.py). Only dated facts
-- decide: an invoice counts from its invoice_date, an item from added_on until
-- removed_on, a payment from paid_on, a refund from refunded_on, a link from linked_on
-- until unlinked_on, a void from voided_on. Facts of invoices not issued yet wait for
-- their invoice.
CREATE OR REPLACE TEMP TABLE x_invoices AS
SELECT * REPLACE (CASE WHEN voided_on <= $as_of THEN voided_on END AS voided_on)
FROM invoices WHERE invoice_date <= $as_of;
CREATE OR REPLACE TEMP TABLE x_invoice_items AS
SELECT * EXCLUDE (removed_on) FROM item_history
WHERE added_on <= $as_of AND (removed_on IS NULL OR removed_on > $as_of)
  AND invoice_id IN (SELECT invoice_id FROM x_invoices);
CREATE OR REPLACE TEMP TABLE x_payments AS
SELECT * FROM payments WHERE paid_on <= $as_of AND invoice_id IN (SELECT invoice_id FROM x_invoices);
CREATE OR REPLACE TEMP TABLE x_refunds AS
SELECT * FROM refunds WHERE refunded_on <= $as_of
  AND credit_invoice_id IN (SELECT invoice_id FROM x_invoices);
CREATE OR REPLACE TEMP TABLE x_invoice_links AS
SELECT * REPLACE (CASE WHEN unlinked_on <= $as_of THEN unlinked_on END AS unlinked_on)
FROM invoice_links WHERE linked_on <= $as_of
  AND credit_invoice_id IN (SELECT invoice_id FROM x_invoices)
  AND debit_invoice_id IN (SELECT invoice_id FROM x_invoices)
