-- Credit ↔ debit links made or undone in the period ($start .. $closing). `effect` is
-- what the link did to the debit's unpaid amount within the period.
SELECT l.link_id, l.credit_invoice_id, l.debit_invoice_id, d.account_id, d.currency,
       c.reason, l.amount, l.linked_on,
       CASE WHEN l.unlinked_on <= $closing THEN l.unlinked_on END AS unlinked_on,  -- later: not yet
       CASE WHEN l.linked_on >= $start AND l.unlinked_on <= $closing THEN 'linked and unlinked'
            WHEN l.linked_on >= $start THEN 'linked' ELSE 'unlinked' END AS event,
       (CASE WHEN l.linked_on >= $start AND l.unlinked_on <= $closing THEN 0
             WHEN l.linked_on >= $start THEN -l.amount ELSE l.amount END)::DECIMAL(18,3) AS effect
FROM invoice_links l
JOIN invoices d ON d.invoice_id = l.debit_invoice_id
LEFT JOIN invoices c ON c.invoice_id = l.credit_invoice_id
WHERE l.linked_on BETWEEN $start AND $closing OR l.unlinked_on BETWEEN $start AND $closing
ORDER BY l.linked_on, l.link_id
