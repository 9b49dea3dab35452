-- What a manual link or unlink needs to know about a credit and a debit invoice.
SELECT
    c.invoice_id IS NOT NULL AS credit_known, c.type AS credit_type, c.voided_on AS credit_voided_on,
    c.account_id AS credit_account, c.currency AS credit_currency, c.invoice_date AS credit_date,
    c.unpaid_amount AS available,
    d.invoice_id IS NOT NULL AS debit_known, d.type AS debit_type, d.voided_on AS debit_voided_on,
    d.account_id AS debit_account, d.currency AS debit_currency, d.invoice_date AS debit_date,
    d.unpaid_amount AS unpaid, d.status AS debit_status,
    cur.digits,
    (SELECT count(*) FROM invoice_links l WHERE l.credit_invoice_id = $credit
       AND l.debit_invoice_id = $debit AND l.unlinked_on IS NULL) AS active_links
FROM (SELECT 1) AS one
LEFT JOIN invoices c ON c.invoice_id = $credit
LEFT JOIN invoices d ON d.invoice_id = $debit
LEFT JOIN currencies cur ON cur.currency = c.currency
