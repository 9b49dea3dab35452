-- Credit invoices whose available amount went below zero on some day of their history:
-- on every day, items added − items removed − links given (until unlinked) − refunds
-- must stay >= 0, or the ledger as of that day would show a credit applied beyond its
-- total. Checked after each change to the credits in $credits (a list of ids; NULL:
-- every credit). Each credit's facts are summed per day and run in date order.
WITH scope AS (
    SELECT invoice_id FROM invoices
    WHERE type = 'credit' AND voided_on IS NULL
      AND ($credits IS NULL OR invoice_id IN (SELECT unnest($credits::VARCHAR[])))
),
ev AS (
    SELECT invoice_id AS credit_invoice_id, added_on AS day, amount AS delta
    FROM item_history WHERE invoice_id IN (SELECT invoice_id FROM scope)
    UNION ALL
    SELECT invoice_id, removed_on, -amount FROM removed_items
    WHERE invoice_id IN (SELECT invoice_id FROM scope)
    UNION ALL
    SELECT credit_invoice_id, linked_on, -amount FROM invoice_links
    WHERE credit_invoice_id IN (SELECT invoice_id FROM scope)
    UNION ALL
    SELECT credit_invoice_id, unlinked_on, amount FROM invoice_links
    WHERE unlinked_on IS NOT NULL AND credit_invoice_id IN (SELECT invoice_id FROM scope)
    UNION ALL
    SELECT credit_invoice_id, refunded_on, -amount FROM refunds
    WHERE credit_invoice_id IN (SELECT invoice_id FROM scope)
),
running AS (
    SELECT credit_invoice_id, day,
           sum(sum(delta)) OVER (PARTITION BY credit_invoice_id ORDER BY day) AS available
    FROM ev GROUP BY credit_invoice_id, day
)
SELECT credit_invoice_id, min(day) AS first_day, min(available)::DECIMAL(18,3) AS lowest
FROM running WHERE available < 0
GROUP BY credit_invoice_id
ORDER BY credit_invoice_id
