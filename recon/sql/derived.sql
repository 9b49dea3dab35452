-- Derived facts of SPEC §2, computed from the stored facts only. recompute.sql writes
-- them; the report's exception check compares them with what is stored.
--   total          = sum of the invoice's items
--   debit unpaid   = total − payments (not reversed) − active links received, never below 0
--   credit unpaid  = total − active links given − refunds (the credit still available)
--   status         = void if voided, paid when unpaid is 0 and there are items, else unpaid
-- Each /*scope col*/ is where recompute (db.py) narrows the scans to the touched invoices,
-- so a small change costs little on a large ledger, and the row mark before invoice_id
-- where it takes each invoice's row id; elsewhere they stay comments.
SELECT
    /*row*/ i.invoice_id,
    coalesce(it.total, 0)::DECIMAL(18,3) AS total,
    (CASE
        WHEN i.voided_on IS NOT NULL THEN 0
        WHEN i.type = 'debit' THEN greatest(coalesce(it.total, 0) - coalesce(p.paid, 0) - coalesce(lr.amount, 0), 0)
        ELSE coalesce(it.total, 0) - coalesce(lg.amount, 0) - coalesce(rf.amount, 0)
    END)::DECIMAL(18,3) AS unpaid_amount,
    CASE
        WHEN i.voided_on IS NOT NULL THEN 'void'
        WHEN coalesce(it.n, 0) > 0 AND (CASE
                WHEN i.type = 'debit' THEN greatest(coalesce(it.total, 0) - coalesce(p.paid, 0) - coalesce(lr.amount, 0), 0)
                ELSE coalesce(it.total, 0) - coalesce(lg.amount, 0) - coalesce(rf.amount, 0) END) = 0
             THEN 'paid'
        ELSE 'unpaid'
    END AS status
FROM invoices i
LEFT JOIN (SELECT invoice_id, sum(amount) AS total, count(*) AS n FROM invoice_items
           WHERE true /*scope invoice_id*/ GROUP BY invoice_id) it
    ON it.invoice_id = i.invoice_id
LEFT JOIN (SELECT invoice_id, sum(amount) AS paid FROM payments
           WHERE reversed_on IS NULL /*scope invoice_id*/ GROUP BY invoice_id) p
    ON p.invoice_id = i.invoice_id
LEFT JOIN (SELECT debit_invoice_id, sum(amount) AS amount FROM invoice_links
           WHERE unlinked_on IS NULL /*scope debit_invoice_id*/ GROUP BY debit_invoice_id) lr
    ON lr.debit_invoice_id = i.invoice_id
LEFT JOIN (SELECT credit_invoice_id, sum(amount) AS amount FROM invoice_links
           WHERE unlinked_on IS NULL /*scope credit_invoice_id*/ GROUP BY credit_invoice_id) lg
    ON lg.credit_invoice_id = i.invoice_id
LEFT JOIN (SELECT credit_invoice_id, sum(amount) AS amount FROM refunds
           WHERE true /*scope credit_invoice_id*/ GROUP BY credit_invoice_id) rf
    ON rf.credit_invoice_id = i.invoice_id
WHERE true /*scope i.invoice_id*/
