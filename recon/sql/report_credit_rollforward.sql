-- Roll-forward of credit balances per currency for the period ($start .. $closing;
-- $opening is the day before $start), over credit invoices: what customers hold as
-- credit notes not yet applied or refunded. Needs temp tables asof_open and asof_close
-- (report_asof.sql at $opening and at $closing).
--
-- Every movement is signed as it moves the credit still available, so
--   closing_available = opening_available + issued + applied + unapplied + refunded + voided
-- (SPEC §6: opening + credits issued − applied + unapplied − refunded − voided):
--   issued     credit items by the day they took effect (added_on), less the items taken
--              off by removed_on: an item added later to an older credit counts in the
--              month it was added
--   applied    −links given (linked_on); unapplied: +links ended (unlinked_on, also the
--              links a void ends on its day)
--   refunded   −refunds (refunded_on)
--   voided     −(change in the balance of void credits): the available amount a void
--              took away (report_asof.sql's void_balance)
-- A fact dated before its credit invoice counts when the invoice is issued
-- (greatest(fact date, invoice_date)), as the as-of state sees it.
-- available_at_period_end is the sum of the credits' available amounts as of $closing;
-- difference = closing_available − available_at_period_end, which must be 0.
WITH c AS (SELECT invoice_id, currency, invoice_date FROM invoices WHERE type = 'credit'),
cur AS (
    SELECT currency FROM asof_close WHERE type = 'credit'
    UNION SELECT currency FROM asof_open WHERE type = 'credit'
),
moves AS (
    SELECT c.currency, 'issued' AS kind, it.amount, greatest(it.added_on, c.invoice_date) AS day
    FROM item_history it JOIN c USING (invoice_id)
    UNION ALL
    SELECT c.currency, 'issued', -r.amount, greatest(r.removed_on, c.invoice_date)
    FROM removed_items r JOIN c USING (invoice_id)
    UNION ALL
    SELECT c.currency, 'applied', -l.amount, greatest(l.linked_on, c.invoice_date)
    FROM invoice_links l JOIN c ON c.invoice_id = l.credit_invoice_id
    UNION ALL
    SELECT c.currency, 'unapplied', l.amount, greatest(l.unlinked_on, c.invoice_date)
    FROM invoice_links l JOIN c ON c.invoice_id = l.credit_invoice_id
    WHERE l.unlinked_on IS NOT NULL  -- greatest() ignores NULL
    UNION ALL
    SELECT c.currency, 'refunded', -r.amount, greatest(r.refunded_on, c.invoice_date)
    FROM refunds r JOIN c ON c.invoice_id = r.credit_invoice_id
),
m AS (
    SELECT currency,
           sum(amount) FILTER (WHERE kind = 'issued') AS issued,
           sum(amount) FILTER (WHERE kind = 'applied') AS applied,
           sum(amount) FILTER (WHERE kind = 'unapplied') AS unapplied,
           sum(amount) FILTER (WHERE kind = 'refunded') AS refunded
    FROM moves WHERE day > $opening AND day <= $closing GROUP BY 1
),
o AS (
    SELECT currency, sum(unpaid_amount) AS available, sum(void_balance) AS void_balance
    FROM asof_open WHERE type = 'credit' GROUP BY 1
),
cl AS (
    SELECT currency, sum(unpaid_amount) AS available, sum(void_balance) AS void_balance
    FROM asof_close WHERE type = 'credit' GROUP BY 1
),
r AS (
    SELECT cur.currency,
           coalesce(o.available, 0) AS opening_available,
           coalesce(m.issued, 0) AS issued,
           coalesce(m.applied, 0) AS applied,
           coalesce(m.unapplied, 0) AS unapplied,
           coalesce(m.refunded, 0) AS refunded,
           -(coalesce(cl.void_balance, 0) - coalesce(o.void_balance, 0)) AS voided,
           coalesce(cl.available, 0) AS available_at_period_end
    FROM cur LEFT JOIN o USING (currency) LEFT JOIN cl USING (currency) LEFT JOIN m USING (currency)
)
SELECT currency,
       opening_available::DECIMAL(18,3) AS opening_available,
       issued::DECIMAL(18,3) AS issued,
       applied::DECIMAL(18,3) AS applied,
       unapplied::DECIMAL(18,3) AS unapplied,
       refunded::DECIMAL(18,3) AS refunded,
       voided::DECIMAL(18,3) AS voided,
       (opening_available + issued + applied + unapplied + refunded + voided)::DECIMAL(18,3) AS closing_available,
       available_at_period_end::DECIMAL(18,3) AS available_at_period_end,
       (opening_available + issued + applied + unapplied + refunded + voided
        - available_at_period_end)::DECIMAL(18,3) AS difference
FROM r
ORDER BY currency
