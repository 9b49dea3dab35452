-- Which invoice of the export stands for which invoice of the ledger (compare.py).
--
-- By number first. A credit made in recon is then created in the platform, often under
-- the platform's own number: a credit on one side only is the same credit as one on the
-- other side only when their content is the same (account, currency, and the debit
-- items they credit with the amount credited on each). Two credits of the same content
-- pair in date order. cmp_key gives every export invoice the ledger id it stands for.
CREATE OR REPLACE TEMP TABLE cmp_same_credit AS
WITH l AS (
    SELECT i.invoice_id, i.invoice_date,
           i.account_id || ' ' || i.currency || ' ' || string_agg(
               it.credited_item_id || '=' || it.amount::DECIMAL(18,3)::VARCHAR, ' '
               ORDER BY it.credited_item_id, it.amount) AS content
    FROM invoices i JOIN invoice_items it USING (invoice_id)
    WHERE i.type = 'credit' AND i.invoice_id NOT IN (SELECT invoice_id FROM p_invoices)
    GROUP BY i.invoice_id, i.invoice_date, i.account_id, i.currency
),
p AS (
    SELECT i.invoice_id, i.invoice_date,
           i.account_id || ' ' || i.currency || ' ' || string_agg(
               it.credited_item_id || '=' || it.amount::DECIMAL(18,3)::VARCHAR, ' '
               ORDER BY it.credited_item_id, it.amount) AS content
    FROM p_invoices i JOIN p_invoice_items it USING (invoice_id)
    WHERE i.type = 'credit' AND i.invoice_id NOT IN (SELECT invoice_id FROM invoices)
    GROUP BY i.invoice_id, i.invoice_date, i.account_id, i.currency
),
ln AS (SELECT *, row_number() OVER (PARTITION BY content ORDER BY invoice_date, invoice_id) AS n FROM l),
pn AS (SELECT *, row_number() OVER (PARTITION BY content ORDER BY invoice_date, invoice_id) AS n FROM p)
SELECT ln.invoice_id AS ledger_id, pn.invoice_id AS platform_id
FROM ln JOIN pn USING (content, n);
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
