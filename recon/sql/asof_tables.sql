-- The ledger's fact tables as they stood at the end of day $as_of, as temp tables named
-- like the real ones with an x_ prefix, so that any query written against the ledger
-- (derived.sql, integrity.sql) can run on the past (history.py). Only dated facts
-- decide: an invoice counts from its invoice_date, an item from added_on until
-- removed_on, a payment from paid_on until reversed_on, a refund from refunded_on, a
-- link from linked_on until unlinked_on, a void from voided_on, a due date from the day
-- it was moved (due_date_changes). Facts of invoices not issued yet wait for
-- their invoice.
CREATE OR REPLACE TEMP TABLE x_invoices AS
SELECT i.* REPLACE (CASE WHEN i.voided_on <= $as_of THEN i.voided_on END AS voided_on,
                    CASE WHEN m.invoice_id IS NULL THEN i.due_date ELSE m.due_date_before END AS due_date)
FROM invoices i
-- a due date moved after $as_of: the one before the first such change (which may be
-- none: arg_min_null keeps a NULL)
LEFT JOIN (SELECT invoice_id, arg_min_null(due_date_before, changed_on) AS due_date_before
           FROM due_date_changes WHERE changed_on > $as_of GROUP BY invoice_id) m ON m.invoice_id = i.invoice_id
WHERE i.invoice_date <= $as_of;
CREATE OR REPLACE TEMP TABLE x_invoice_items AS
SELECT * EXCLUDE (removed_on) FROM item_history
WHERE added_on <= $as_of AND (removed_on IS NULL OR removed_on > $as_of)
  AND invoice_id IN (SELECT invoice_id FROM x_invoices);
CREATE OR REPLACE TEMP TABLE x_payments AS
SELECT * REPLACE (CASE WHEN reversed_on <= $as_of THEN reversed_on END AS reversed_on)
FROM payments WHERE paid_on <= $as_of AND invoice_id IN (SELECT invoice_id FROM x_invoices);
CREATE OR REPLACE TEMP TABLE x_refunds AS
SELECT * FROM refunds WHERE refunded_on <= $as_of
  AND credit_invoice_id IN (SELECT invoice_id FROM x_invoices);
CREATE OR REPLACE TEMP TABLE x_invoice_links AS
SELECT * REPLACE (CASE WHEN unlinked_on <= $as_of THEN unlinked_on END AS unlinked_on)
FROM invoice_links WHERE linked_on <= $as_of
  AND credit_invoice_id IN (SELECT invoice_id FROM x_invoices)
  AND debit_invoice_id IN (SELECT invoice_id FROM x_invoices)
