-- An account's statement: every dated event of account $account's invoices from $start
-- to $end (both included), in order, with what it moves the balance by (amount) and the
-- running balance per currency, from the opening balances in temp table st_open
-- (currency, opening_balance: balances.py as of the day before $start).
--
-- The balance is what the customer owes (statement.py): the sum over invoices that are
-- not void of debit total − paid − credits received, less credit total − applied −
-- refunded. So an invoice issued or an item added to it moves it up, a credit issued or
-- an item added to a credit down, a payment down, a refund up (money paid back leaves
-- less to owe the customer), a payment reversed up again, a void takes away what the invoice held until then, and a
-- credit applied to or taken off a debit moves nothing (the debit's unpaid amount and the
-- credit's available amount change by the same amount): those rows show it in
-- `credit_applied`.
-- Each fact counts on the day the as-of state sees it (report_asof.sql): a fact dated
-- before its invoice counts from the invoice's date, nothing of a void invoice after its
-- void.
CREATE OR REPLACE TEMP TABLE st_events AS
WITH inv AS (
    SELECT i.invoice_id, i.type, i.currency, i.invoice_date, i.reason,
           -- the due date as it stood at $end (as report_asof.sql), so a later change of it
           -- leaves a past statement as it was
           CASE WHEN m.invoice_id IS NULL THEN i.due_date ELSE m.due_date_before END AS due_date,
           -- greatest() ignores NULL: only a void invoice gets a void day
           CASE WHEN i.voided_on IS NOT NULL THEN greatest(i.voided_on, i.invoice_date) END AS voided_on,
           CASE WHEN i.type = 'debit' THEN 1 ELSE -1 END AS sign,
           CASE WHEN i.type = 'debit' THEN 'invoice' ELSE 'credit' END AS noun
    FROM invoices i
    LEFT JOIN (SELECT invoice_id, arg_min_null(due_date_before, changed_on) AS due_date_before
               FROM due_date_changes WHERE changed_on > $end GROUP BY invoice_id) m
           ON m.invoice_id = i.invoice_id
    WHERE i.account_id = $account AND i.invoice_date <= $end
),
facts AS (
    -- the invoice as issued, with the items it was issued with
    SELECT i.invoice_id, any_value(i.type) AS type, any_value(i.currency) AS currency,
           any_value(i.invoice_date) AS day, 1 AS seq, any_value(i.noun) || ' issued' AS event,
           NULL::VARCHAR AS reference,
           any_value(CASE WHEN i.type = 'debit' THEN 'due ' || i.due_date::VARCHAR ELSE i.reason END) AS detail,
           coalesce(sum(i.sign * h.amount) FILTER (WHERE h.added_on <= i.invoice_date), 0) AS amount,
           NULL::DECIMAL(18,3) AS credit_applied
    FROM inv i LEFT JOIN item_history h USING (invoice_id)
    GROUP BY i.invoice_id
    UNION ALL
    -- items that took effect later (added to a credit, or imported onto an invoice)
    SELECT i.invoice_id, i.type, i.currency, h.added_on, 2, 'item added to ' || i.noun, h.item_id,
           h.description, i.sign * h.amount, NULL
    FROM inv i JOIN item_history h USING (invoice_id) WHERE h.added_on > i.invoice_date
    UNION ALL
    SELECT i.invoice_id, i.type, i.currency, greatest(r.removed_on, i.invoice_date), 3,
           'item removed from ' || i.noun, r.item_id, r.description, -i.sign * r.amount, NULL
    FROM inv i JOIN removed_items r USING (invoice_id)
    UNION ALL
    SELECT i.invoice_id, i.type, i.currency, greatest(p.paid_on, i.invoice_date), 4, 'payment',
           p.payment_id, NULL, -p.amount, NULL
    FROM inv i JOIN payments p USING (invoice_id)
    UNION ALL
    -- a payment the bank gave back (reversed_on): what it had paid is owed again
    SELECT i.invoice_id, i.type, i.currency, greatest(p.reversed_on, i.invoice_date), 4, 'payment reversed',
           p.payment_id, NULL, p.amount, NULL
    FROM inv i JOIN payments p USING (invoice_id) WHERE p.reversed_on IS NOT NULL
    UNION ALL
    SELECT i.invoice_id, i.type, i.currency, greatest(r.refunded_on, i.invoice_date), 7, 'refund',
           r.refund_id, r.reference, r.amount, NULL
    FROM inv i JOIN refunds r ON r.credit_invoice_id = i.invoice_id
),
kept AS (
    SELECT f.* FROM facts f JOIN inv i USING (invoice_id)
    WHERE i.voided_on IS NULL OR f.day <= i.voided_on
),
voids AS (
    SELECT i.invoice_id, i.type, i.currency, i.voided_on AS day, 9 AS seq, i.noun || ' voided' AS event,
           NULL::VARCHAR AS reference, NULL::VARCHAR AS detail,
           -coalesce(sum(k.amount), 0) AS amount, NULL::DECIMAL(18,3) AS credit_applied
    FROM inv i LEFT JOIN kept k USING (invoice_id)
    WHERE i.voided_on IS NOT NULL
    GROUP BY i.invoice_id, i.type, i.currency, i.voided_on, i.noun
),
links AS (
    SELECT i.invoice_id, i.type, i.currency, l.linked_on AS day, 5 AS seq, 'credit applied' AS event,
           l.debit_invoice_id AS reference, NULL::VARCHAR AS detail, 0 AS amount, l.amount AS credit_applied
    FROM inv i JOIN invoice_links l ON l.credit_invoice_id = i.invoice_id
    UNION ALL
    SELECT i.invoice_id, i.type, i.currency, l.unlinked_on, 6, 'credit unapplied', l.debit_invoice_id,
           CASE WHEN l.unlinked_on = i.voided_on THEN 'the credit was voided' END, 0, -l.amount
    FROM inv i JOIN invoice_links l ON l.credit_invoice_id = i.invoice_id
    WHERE l.unlinked_on IS NOT NULL
),
ev AS (
    SELECT * FROM kept UNION ALL SELECT * FROM voids UNION ALL SELECT * FROM links
)
SELECT e.currency, e.day AS event_date, e.event, e.invoice_id, e.type, e.reference, e.detail,
       e.amount::DECIMAL(18,3) AS amount, e.credit_applied::DECIMAL(18,3) AS credit_applied,
       (coalesce(o.opening_balance, 0)
        + sum(e.amount) OVER (PARTITION BY e.currency ORDER BY e.day, e.seq, e.invoice_id, e.reference
                              ROWS UNBOUNDED PRECEDING))::DECIMAL(18,3) AS balance,
       e.seq
FROM ev e LEFT JOIN st_open o USING (currency)
WHERE e.day BETWEEN $start AND $end
ORDER BY e.currency, e.day, e.seq, e.invoice_id, e.reference;
-- Per currency: the opening balance, the period's movements by kind, the closing balance
-- (opening + movements) and the balance as of $end (temp table st_close, balances.py),
-- which it must equal (difference 0).
CREATE OR REPLACE TEMP TABLE st_summary AS
WITH cur AS (
    SELECT currency FROM st_open UNION SELECT currency FROM st_events UNION SELECT currency FROM st_close
),
m AS (
    SELECT currency,
           sum(amount) FILTER (WHERE type = 'debit' AND seq <= 3) AS invoiced,
           sum(amount) FILTER (WHERE type = 'credit' AND seq <= 3) AS credited,
           sum(amount) FILTER (WHERE seq = 4) AS payments,
           sum(amount) FILTER (WHERE seq = 7) AS refunds,
           sum(amount) FILTER (WHERE seq = 9) AS voids,
           sum(credit_applied) AS credits_applied,
           sum(amount) AS movements,
           count(*) AS events
    FROM st_events GROUP BY 1
)
SELECT cur.currency,
       coalesce(o.opening_balance, 0)::DECIMAL(18,3) AS opening_balance,
       coalesce(m.invoiced, 0)::DECIMAL(18,3) AS invoiced,
       coalesce(m.credited, 0)::DECIMAL(18,3) AS credited,
       coalesce(m.payments, 0)::DECIMAL(18,3) AS payments,
       coalesce(m.refunds, 0)::DECIMAL(18,3) AS refunds,
       coalesce(m.voids, 0)::DECIMAL(18,3) AS voids,
       (coalesce(o.opening_balance, 0) + coalesce(m.movements, 0))::DECIMAL(18,3) AS closing_balance,
       coalesce(c.net_receivable, 0)::DECIMAL(18,3) AS balance_at_end,
       (coalesce(o.opening_balance, 0) + coalesce(m.movements, 0)
        - coalesce(c.net_receivable, 0))::DECIMAL(18,3) AS difference,
       coalesce(m.credits_applied, 0)::DECIMAL(18,3) AS credits_applied,
       coalesce(m.events, 0)::BIGINT AS events
FROM cur LEFT JOIN st_open o USING (currency) LEFT JOIN m USING (currency)
LEFT JOIN st_close c USING (currency)
-- a currency the account used long ago, with nothing owed and nothing in the period, stays out
WHERE coalesce(m.events, 0) > 0 OR coalesce(o.opening_balance, 0) <> 0 OR coalesce(c.net_receivable, 0) <> 0
ORDER BY cur.currency
