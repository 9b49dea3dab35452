-- AR roll-forward per currency for the period ($start .. $closing; $opening is the day
-- before $start), over debit invoices. Needs temp tables asof_open and asof_close
-- (report_asof.sql at $opening and at $closing).
--
-- Every movement is signed: what it adds to the unpaid balance, so
--   closing = opening + issued + credits_applied + credits_unlinked + payments
--             + debits_voided + overpayment_floor
-- Movements come from the dated facts; a fact dated before its debit invoice counts
-- when the invoice is issued (greatest(fact date, invoice_date)): the as-of state
-- cannot see it earlier either. Voids and the floor at 0 come from the two as-of states:
--   debits_voided     = −(change in the balance of void debits): the unpaid balance
--                       a void removed (and any activity on an already void debit)
--   overpayment_floor = change in what payments and links exceed debit totals: unpaid
--                       never goes below 0, so an overpayment reduces the unpaid balance
--                       only down to 0, and this line gives the excess back
-- unpaid_at_period_end is the sum of the debits' unpaid amounts as of $closing;
-- difference = closing_unpaid − unpaid_at_period_end, which must be 0.
WITH d AS (SELECT invoice_id, currency, invoice_date FROM invoices WHERE type = 'debit'),
cur AS (
    SELECT currency FROM asof_close UNION SELECT currency FROM asof_open
),
issued AS (
    -- debit items by the day they took effect (an item imported later onto an existing
    -- debit invoice counts from its added_on)
    SELECT d.currency, sum(it.amount) AS amount
    FROM item_history it JOIN d USING (invoice_id)
    WHERE greatest(it.added_on, d.invoice_date) > $opening
      AND greatest(it.added_on, d.invoice_date) <= $closing GROUP BY 1
),
paid AS (
    -- payments received, less payments reversed (a reversal counts on its own day)
    SELECT currency, sum(amount) AS amount FROM (
        SELECT d.currency, p.amount
        FROM payments p JOIN d USING (invoice_id)
        WHERE greatest(p.paid_on, d.invoice_date) > $opening
          AND greatest(p.paid_on, d.invoice_date) <= $closing
        UNION ALL
        SELECT d.currency, -p.amount
        FROM payments p JOIN d USING (invoice_id)
        WHERE p.reversed_on IS NOT NULL
          AND greatest(p.reversed_on, d.invoice_date) > $opening
          AND greatest(p.reversed_on, d.invoice_date) <= $closing
    ) GROUP BY 1
),
linked AS (
    SELECT d.currency, sum(l.amount) AS amount
    FROM invoice_links l JOIN d ON d.invoice_id = l.debit_invoice_id
    WHERE greatest(l.linked_on, d.invoice_date) > $opening
      AND greatest(l.linked_on, d.invoice_date) <= $closing GROUP BY 1
),
unlinked AS (
    SELECT d.currency, sum(l.amount) AS amount
    FROM invoice_links l JOIN d ON d.invoice_id = l.debit_invoice_id
    WHERE l.unlinked_on IS NOT NULL  -- greatest() ignores NULL
      AND greatest(l.unlinked_on, d.invoice_date) > $opening
      AND greatest(l.unlinked_on, d.invoice_date) <= $closing GROUP BY 1
),
o AS (
    SELECT currency, sum(unpaid_amount) AS unpaid, sum(void_balance) AS void_balance,
           sum(overpaid) AS overpaid
    FROM asof_open WHERE type = 'debit' GROUP BY 1
),
c AS (
    SELECT currency, sum(unpaid_amount) AS unpaid, sum(void_balance) AS void_balance,
           sum(overpaid) AS overpaid
    FROM asof_close WHERE type = 'debit' GROUP BY 1
),
r AS (
    SELECT cur.currency,
           coalesce(o.unpaid, 0) AS opening_unpaid,
           coalesce(issued.amount, 0) AS debits_issued,
           -coalesce(linked.amount, 0) AS credits_applied,
           coalesce(unlinked.amount, 0) AS credits_unlinked,
           -coalesce(paid.amount, 0) AS payments,
           -(coalesce(c.void_balance, 0) - coalesce(o.void_balance, 0)) AS debits_voided,
           coalesce(c.overpaid, 0) - coalesce(o.overpaid, 0) AS overpayment_floor,
           coalesce(c.unpaid, 0) AS unpaid_at_period_end
    FROM cur
    LEFT JOIN o USING (currency) LEFT JOIN c USING (currency)
    LEFT JOIN issued USING (currency) LEFT JOIN paid USING (currency)
    LEFT JOIN linked USING (currency) LEFT JOIN unlinked USING (currency)
)
SELECT currency,
       opening_unpaid::DECIMAL(18,3) AS opening_unpaid,
       debits_issued::DECIMAL(18,3) AS debits_issued,
       credits_applied::DECIMAL(18,3) AS credits_applied,
       credits_unlinked::DECIMAL(18,3) AS credits_unlinked,
       payments::DECIMAL(18,3) AS payments,
       debits_voided::DECIMAL(18,3) AS debits_voided,
       overpayment_floor::DECIMAL(18,3) AS overpayment_floor,
       (opening_unpaid + debits_issued + credits_applied + credits_unlinked + payments
        + debits_voided + overpayment_floor)::DECIMAL(18,3) AS closing_unpaid,
       unpaid_at_period_end::DECIMAL(18,3) AS unpaid_at_period_end,
       (opening_unpaid + debits_issued + credits_applied + credits_unlinked + payments
        + debits_voided + overpayment_floor - unpaid_at_period_end)::DECIMAL(18,3) AS difference
FROM r
ORDER BY currency
