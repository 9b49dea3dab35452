-- Cancellation credits whose own debit invoice was not unpaid (so nothing was linked)
-- go to the account's oldest unpaid debit invoice in their currency (apply_credits.sql,
-- capped at its unpaid amount); with none, they stay available.
CREATE OR REPLACE TEMP TABLE apply_credit_ids AS
SELECT invoice_id FROM invoices
WHERE invoice_id IN (SELECT unnest($ids::VARCHAR[]))
  AND invoice_id NOT IN (SELECT credit_invoice_id FROM invoice_links WHERE unlinked_on IS NULL);
CREATE OR REPLACE TEMP TABLE apply_debit_ids AS
SELECT arg_min(d.invoice_id, d.invoice_date::VARCHAR || d.invoice_id) AS invoice_id
FROM invoices d
WHERE d.type = 'debit' AND d.status = 'unpaid' AND d.voided_on IS NULL AND d.unpaid_amount > 0
  AND EXISTS (SELECT 1 FROM invoices c JOIN apply_credit_ids a USING (invoice_id)
              WHERE c.account_id = d.account_id AND c.currency = d.currency)
GROUP BY d.account_id, d.currency
