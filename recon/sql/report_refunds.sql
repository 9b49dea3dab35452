-- Refunds in the period ($start .. $closing): money paid back from credit invoices, by
-- the day the as-of state sees them (greatest(refunded_on, the credit's invoice_date)),
-- with what the credit still has available at period end. Needs temp table asof_close.
SELECT r.refund_id, r.refunded_on, r.credit_invoice_id, c.account_id, c.currency, r.amount,
       r.reference, a.total AS credit_total, a.unpaid_amount AS available_at_period_end
FROM refunds r
JOIN invoices c ON c.invoice_id = r.credit_invoice_id
LEFT JOIN asof_close a ON a.invoice_id = r.credit_invoice_id
WHERE greatest(r.refunded_on, c.invoice_date) BETWEEN $start AND $closing
ORDER BY c.currency, r.refunded_on, r.refund_id
