-- Which invoice of the export stands for which invoice of the ledger (compare.py).
--
-- By number, or for a credit made in recon and created in the platform under the
-- platform's own number, by its content (same_credit.sql, run first into
-- cmp_same_credit). cmp_key gives every export invoice the ledger id it stands for.
CREATE OR REPLACE TEMP TABLE cmp_key AS
SELECT p.invoice_id AS platform_id, coalesce(m.ledger_id, p.invoice_id) AS invoice_id
FROM p_invoices p LEFT JOIN cmp_same_credit m ON m.platform_id = p.invoice_id;
-- The platform's own figures: what the export states, or, where it states nothing,
-- what its facts give (the ledger's derived.sql run on the export's tables).
CREATE OR REPLACE TEMP TABLE p_state AS
WITH d AS ({p_derived})
SELECT p.invoice_id, coalesce(p.total, d.total) AS total,
       coalesce(p.unpaid_amount, d.unpaid_amount) AS unpaid_amount, coalesce(p.status, d.status) AS status
FROM p_invoices p JOIN d USING (invoice_id)
