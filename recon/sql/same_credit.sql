-- Credits made in recon and created in the platform under the platform's own number
-- are the same credit: a credit invoice of the other side ({theirs}, items {their_items})
-- whose number the ledger does not know is paired with a ledger credit whose number the
-- other side does not know when their content is the same: account, currency, and the
-- debit items they credit with the amount credited on each. Two credits of the same
-- content pair in date order. Used by compare (the platform's export, p_*) and by
-- import (the staged files, s_*); the pairs go to temp table {into}.
CREATE OR REPLACE TEMP TABLE {into} AS
WITH l AS (
    SELECT i.invoice_id, i.invoice_date,
           i.account_id || ' ' || i.currency || ' ' || string_agg(
               it.credited_item_id || '=' || it.amount::DECIMAL(18,3)::VARCHAR, ' '
               ORDER BY it.credited_item_id, it.amount) AS content
    FROM invoices i JOIN invoice_items it USING (invoice_id)
    WHERE i.type = 'credit' AND i.invoice_id NOT IN (SELECT invoice_id FROM {theirs})
    GROUP BY i.invoice_id, i.invoice_date, i.account_id, i.currency
),
p AS (
    SELECT i.invoice_id, i.invoice_date,
           i.account_id || ' ' || i.currency || ' ' || string_agg(
               it.credited_item_id || '=' || it.amount::DECIMAL(18,3)::VARCHAR, ' '
               ORDER BY it.credited_item_id, it.amount) AS content
    FROM {theirs} i JOIN {their_items} it USING (invoice_id)
    WHERE i.type = 'credit' AND i.invoice_id NOT IN (SELECT invoice_id FROM invoices)
    GROUP BY i.invoice_id, i.invoice_date, i.account_id, i.currency
),
ln AS (SELECT *, row_number() OVER (PARTITION BY content ORDER BY invoice_date, invoice_id) AS n FROM l),
pn AS (SELECT *, row_number() OVER (PARTITION BY content ORDER BY invoice_date, invoice_id) AS n FROM p)
SELECT ln.invoice_id AS ledger_id, pn.invoice_id AS platform_id
FROM ln JOIN pn USING (content, n)
