-- After an import: the credits that were already available in the ledger, on an
-- (account, currency) that has just received new debit invoices, are applied to that
-- account's unpaid debits (apply_credits.sql). Credits in the import itself keep the
-- state the platform's files state for them.
CREATE OR REPLACE TEMP TABLE apply_credit_ids AS
SELECT i.invoice_id FROM invoices i
WHERE i.type = 'credit' AND i.invoice_id NOT IN (SELECT invoice_id FROM s_invoices)
  AND EXISTS (SELECT 1 FROM s_invoices s WHERE s.type = 'debit'
              AND s.account_id = i.account_id AND s.currency = i.currency);
CREATE OR REPLACE TEMP TABLE apply_debit_ids AS
SELECT i.invoice_id FROM invoices i
WHERE i.type = 'debit'
  AND EXISTS (SELECT 1 FROM s_invoices s WHERE s.type = 'debit'
              AND s.account_id = i.account_id AND s.currency = i.currency)
