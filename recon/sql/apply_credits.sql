-- Apply available credits to unpaid debits of the same account and currency, oldest
-- first on both sides, as the platform does. The caller fills the temp tables
-- apply_credit_ids and apply_debit_ids with the invoices in scope; derived columns must
-- be fresh (recompute first). Each credit's available amount and each debit's unpaid
-- amount are laid end to end per account and currency (running sums, oldest first); a
-- link is the overlap of a credit's stretch with a debit's stretch. Amounts stay
-- multiples of the currency's minor unit because both stretches are.
CREATE OR REPLACE TEMP TABLE auto_link AS
WITH c AS (
    SELECT invoice_id, account_id, currency, invoice_date, unpaid_amount AS avail,
           sum(unpaid_amount) OVER (PARTITION BY account_id, currency ORDER BY invoice_date, invoice_id
                                    ROWS UNBOUNDED PRECEDING) AS hi
    FROM invoices
    WHERE invoice_id IN (SELECT invoice_id FROM apply_credit_ids)
      AND type = 'credit' AND voided_on IS NULL AND unpaid_amount > 0
),
d AS (
    SELECT invoice_id, account_id, currency, invoice_date, unpaid_amount AS unpaid,
           sum(unpaid_amount) OVER (PARTITION BY account_id, currency ORDER BY invoice_date, invoice_id
                                    ROWS UNBOUNDED PRECEDING) AS hi
    FROM invoices
    WHERE invoice_id IN (SELECT invoice_id FROM apply_debit_ids)
      AND type = 'debit' AND voided_on IS NULL AND status = 'unpaid' AND unpaid_amount > 0
)
SELECT c.invoice_id AS credit_invoice_id, d.invoice_id AS debit_invoice_id,
       (least(c.hi, d.hi) - greatest(c.hi - c.avail, d.hi - d.unpaid))::DECIMAL(18,3) AS amount,
       -- dated the day it happens ($on: the import's or the cancellation's day), never
       -- back to the invoices' own dates, and never before them either
       greatest($on, c.invoice_date, d.invoice_date) AS linked_on
FROM c JOIN d ON d.account_id = c.account_id AND d.currency = c.currency
 AND d.hi > c.hi - c.avail AND c.hi > d.hi - d.unpaid;
INSERT INTO invoice_links BY NAME
SELECT (SELECT coalesce(max(link_id), 0) FROM invoice_links)
       + row_number() OVER (ORDER BY linked_on, credit_invoice_id, debit_invoice_id) AS link_id,
       credit_invoice_id, debit_invoice_id, amount, linked_on
FROM auto_link;
INSERT INTO touched
SELECT credit_invoice_id FROM auto_link UNION SELECT debit_invoice_id FROM auto_link
