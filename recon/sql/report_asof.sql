-- The ledger as of the end of day $as_of, rebuilt from dated facts only, so a report
-- for a past month reads the same after later activity. One row per invoice issued by
-- then (invoice_date <= $as_of). Same formulas as derived.sql, filtered by date:
--   items      count from added_on (an item added to an existing credit invoice counts
--              from the day it was added) until removed_on (items taken off a credit)
--   payments   count when paid_on <= $as_of, until reversed_on; refunds when refunded_on <= $as_of
--   due date   as it stood then (due_date_changes)
--   links      count when linked_on <= $as_of and not yet unlinked (unlinked_on > $as_of)
--   void       when voided_on <= $as_of
-- `balance` is the unclamped balance (debit: total − paid − received; credit: total −
-- given − refunded), also for void invoices; `unpaid_amount` applies the void and the floor at 0.
-- The roll-forward needs both: unpaid = balance − void_balance + overpaid.
WITH inv AS (
    SELECT i.* REPLACE (CASE WHEN m.invoice_id IS NULL THEN i.due_date ELSE m.due_date_before END AS due_date)
    FROM invoices i
    -- the due date of then: before the first change made after $as_of (asof_tables.sql)
    LEFT JOIN (SELECT invoice_id, arg_min_null(due_date_before, changed_on) AS due_date_before
               FROM due_date_changes WHERE changed_on > $as_of GROUP BY invoice_id) m ON m.invoice_id = i.invoice_id
    WHERE i.invoice_date <= $as_of
),
it AS (
    SELECT invoice_id, sum(amount) AS total, count(*) AS n
    FROM item_history
    WHERE added_on <= $as_of AND (removed_on IS NULL OR removed_on > $as_of)
      AND invoice_id IN (SELECT invoice_id FROM inv)
    GROUP BY invoice_id
),
rf AS (
    SELECT credit_invoice_id AS invoice_id, sum(amount) AS refunded FROM refunds
    WHERE refunded_on <= $as_of GROUP BY 1
),
p AS (
    SELECT invoice_id, sum(amount) AS paid FROM payments
    WHERE paid_on <= $as_of AND (reversed_on IS NULL OR reversed_on > $as_of) GROUP BY invoice_id
),
active AS (
    SELECT * FROM invoice_links
    WHERE linked_on <= $as_of AND (unlinked_on IS NULL OR unlinked_on > $as_of)
),
lr AS (SELECT debit_invoice_id AS invoice_id, sum(amount) AS amount FROM active GROUP BY 1),
lg AS (SELECT credit_invoice_id AS invoice_id, sum(amount) AS amount FROM active GROUP BY 1),
b AS (
    SELECT i.invoice_id, i.account_id, i.type, i.currency, i.invoice_date, i.due_date,
           i.reason, i.memo, i.origin, i.batch_id,
           coalesce(i.voided_on <= $as_of, false) AS is_void,
           coalesce(it.n, 0) AS items,
           coalesce(it.total, 0)::DECIMAL(18,3) AS total,
           coalesce(p.paid, 0)::DECIMAL(18,3) AS paid,
           coalesce(lr.amount, 0)::DECIMAL(18,3) AS received,
           coalesce(lg.amount, 0)::DECIMAL(18,3) AS given,
           coalesce(rf.refunded, 0)::DECIMAL(18,3) AS refunded,
           (CASE WHEN i.type = 'debit'
                 THEN coalesce(it.total, 0) - coalesce(p.paid, 0) - coalesce(lr.amount, 0)
                 ELSE coalesce(it.total, 0) - coalesce(lg.amount, 0) - coalesce(rf.refunded, 0)
            END)::DECIMAL(18,3) AS balance
    FROM inv i
    LEFT JOIN it USING (invoice_id)
    LEFT JOIN p USING (invoice_id)
    LEFT JOIN lr USING (invoice_id)
    LEFT JOIN lg USING (invoice_id)
    LEFT JOIN rf USING (invoice_id)
)
SELECT *,
       (CASE WHEN is_void THEN 0 WHEN type = 'debit' THEN greatest(balance, 0)
             ELSE balance END)::DECIMAL(18,3) AS unpaid_amount,
       (CASE WHEN NOT is_void AND type = 'debit' THEN greatest(-balance, 0)
             ELSE 0 END)::DECIMAL(18,3) AS overpaid,
       (CASE WHEN is_void THEN balance ELSE 0 END)::DECIMAL(18,3) AS void_balance,
       CASE WHEN is_void THEN 'void'
            WHEN items > 0 AND (CASE WHEN type = 'debit' THEN greatest(balance, 0) ELSE balance END) = 0
            THEN 'paid' ELSE 'unpaid' END AS status
FROM b
