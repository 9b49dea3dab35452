-- Credit requests (temp table req_in, one row per asked credit) with what the ledger
-- knows of their debit invoice, item and target credit invoice.
CREATE OR REPLACE TEMP TABLE req AS
SELECT
    r.*,
    d.invoice_id IS NOT NULL AS debit_known,
    d.type AS debit_type,
    d.status AS debit_status,
    d.account_id,
    d.currency,
    d.invoice_date AS debit_date,
    d.unpaid_amount AS debit_unpaid,
    it.item_id IS NOT NULL AS item_known,
    it.invoice_id AS item_invoice_id,
    it.period_start AS item_period_start,
    it.period_end AS item_period_end,
    c.invoice_id IS NOT NULL AS into_known,
    c.type AS into_type,
    c.account_id AS into_account,
    c.currency AS into_currency,
    c.voided_on AS into_voided_on,
    c.invoice_date AS into_date,
    cur.step_milli
FROM req_in r
LEFT JOIN invoices d ON d.invoice_id = r.debit_invoice_id
LEFT JOIN invoice_items it ON it.item_id = r.item_id
LEFT JOIN invoices c ON c.invoice_id = r.into_credit_id
LEFT JOIN currencies cur ON cur.currency = d.currency
