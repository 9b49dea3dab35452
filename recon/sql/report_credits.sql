-- Credit invoices issued in the period ($start .. $closing), as they stand at $closing.
-- Needs temp table asof_close (report_asof.sql at $closing).
SELECT c.invoice_id AS credit_invoice_id, c.account_id, c.currency, c.invoice_date,
       c.reason, c.origin, c.batch_id, c.memo, c.total,
       c.given AS applied, c.unpaid_amount AS available,
       CASE WHEN c.is_void THEN i.voided_on END AS voided_on, c.status
FROM asof_close c JOIN invoices i USING (invoice_id)
WHERE c.type = 'credit' AND c.invoice_date >= $start
ORDER BY c.invoice_date, c.invoice_id
