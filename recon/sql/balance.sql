-- Each account's balance per currency as of $as_of, from the ledger as it stood then:
-- temp tables asof_close (report_asof.sql at $as_of) and bal_aging (report_aging.sql at
-- $as_of: the unpaid debits by days past due). $account and $currency narrow it (NULL:
-- every one). What each figure means: balances.py.
WITH inv AS (
    SELECT account_id, currency,
           coalesce(sum(unpaid_amount) FILTER (WHERE type = 'debit'), 0) AS unpaid_debits,
           coalesce(sum(unpaid_amount) FILTER (WHERE type = 'credit'), 0) AS credit_available,
           coalesce(sum(overpaid), 0) AS overpaid,
           count(*) FILTER (WHERE type = 'debit' AND unpaid_amount > 0) AS unpaid_invoices,
           count(*) FILTER (WHERE type = 'credit' AND unpaid_amount > 0) AS credits_available
    FROM asof_close
    WHERE ($account IS NULL OR account_id = $account) AND ($currency IS NULL OR currency = $currency)
    GROUP BY ALL
),
age AS (
    SELECT account_id, currency,
           min(coalesce(due_date, invoice_date)) AS oldest_due_date,
           max(days_past_due) AS days_past_due,
           coalesce(sum(unpaid_amount) FILTER (WHERE bucket = 'current'), 0) AS current,
           coalesce(sum(unpaid_amount) FILTER (WHERE bucket = '1-30'), 0) AS days_1_30,
           coalesce(sum(unpaid_amount) FILTER (WHERE bucket = '31-60'), 0) AS days_31_60,
           coalesce(sum(unpaid_amount) FILTER (WHERE bucket = '61-90'), 0) AS days_61_90,
           coalesce(sum(unpaid_amount) FILTER (WHERE bucket = '90+'), 0) AS days_over_90
    FROM bal_aging GROUP BY ALL
),
names AS (
    SELECT account_id, max(account_name) AS account_name FROM invoices
    WHERE account_id IN (SELECT account_id FROM inv) GROUP BY 1
)
SELECT i.account_id, n.account_name, i.currency,
       i.unpaid_debits::DECIMAL(18,3) AS unpaid_debits,
       i.credit_available::DECIMAL(18,3) AS credit_available,
       i.overpaid::DECIMAL(18,3) AS overpaid,
       (i.unpaid_debits - i.credit_available - i.overpaid)::DECIMAL(18,3) AS net_receivable,
       i.unpaid_invoices::BIGINT AS unpaid_invoices,
       i.credits_available::BIGINT AS credits_available,
       a.oldest_due_date, a.days_past_due,
       coalesce(a.current, 0)::DECIMAL(18,3) AS current,
       coalesce(a.days_1_30, 0)::DECIMAL(18,3) AS days_1_30,
       coalesce(a.days_31_60, 0)::DECIMAL(18,3) AS days_31_60,
       coalesce(a.days_61_90, 0)::DECIMAL(18,3) AS days_61_90,
       coalesce(a.days_over_90, 0)::DECIMAL(18,3) AS days_over_90
FROM inv i LEFT JOIN age a USING (account_id, currency) LEFT JOIN names n USING (account_id)
-- within a currency, the accounts that owe the most first
ORDER BY i.currency, net_receivable DESC, i.account_id
