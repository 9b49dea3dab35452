-- The subledger against the general ledger's receivable balances at period end. The
-- subledger's receivable = unpaid debits − credit still available − overpaid: an
-- unapplied credit note already reduced the GL receivable; a refund paid out of a credit
-- raised it again (the credit available is net of refunds: report_asof.sql), and money a
-- customer paid beyond a debit's total is a credit balance in the GL (overpaid). Summed
-- over a currency's accounts it is the accounts' net receivable (balances.py). Per
-- currency, or per currency and account when $by_account. Needs temp tables asof_close
-- and gl_in (currency, account_id, balance); a side missing from the other counts as 0.
WITH sub AS (
    SELECT currency, CASE WHEN $by_account THEN account_id END AS account_id,
           coalesce(sum(unpaid_amount) FILTER (WHERE type = 'debit'), 0) AS unpaid_debits,
           coalesce(sum(unpaid_amount) FILTER (WHERE type = 'credit'), 0) AS unapplied_credits,
           coalesce(sum(overpaid), 0) AS overpaid
    FROM asof_close GROUP BY ALL
),
gl AS (
    SELECT currency, CASE WHEN $by_account THEN account_id END AS account_id, balance FROM gl_in
)
SELECT coalesce(s.currency, g.currency) AS currency,
       coalesce(s.account_id, g.account_id) AS account_id,
       coalesce(s.unpaid_debits, 0)::DECIMAL(18,3) AS unpaid_debits,
       coalesce(s.unapplied_credits, 0)::DECIMAL(18,3) AS unapplied_credits,
       coalesce(s.overpaid, 0)::DECIMAL(18,3) AS overpaid,
       coalesce(s.unpaid_debits - s.unapplied_credits - s.overpaid, 0)::DECIMAL(18,3) AS subledger_balance,
       coalesce(g.balance, 0)::DECIMAL(18,3) AS gl_balance,
       (coalesce(g.balance, 0) - coalesce(s.unpaid_debits - s.unapplied_credits - s.overpaid, 0))::DECIMAL(18,3) AS difference,
       CASE WHEN coalesce(g.balance, 0) = coalesce(s.unpaid_debits - s.unapplied_credits - s.overpaid, 0) THEN 'agrees'
            WHEN g.currency IS NULL THEN 'missing in GL'
            WHEN s.currency IS NULL THEN 'missing in subledger'
            ELSE 'differs' END AS status
FROM sub s FULL JOIN gl g ON g.currency = s.currency AND g.account_id IS NOT DISTINCT FROM s.account_id
ORDER BY 1, 2
