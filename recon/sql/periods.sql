-- Every month from the first with activity to the last with activity or a close: its
-- state (open/closed), how many facts are dated in it, who closed and reviewed it.
-- A fact is anything dated (history.py): invoices, voids, items added and removed,
-- payments and their reversals, due dates moved, refunds, links and unlinks.
WITH activity AS (
    SELECT invoice_date AS day FROM invoices
    UNION ALL SELECT voided_on FROM invoices WHERE voided_on IS NOT NULL
    UNION ALL SELECT added_on FROM item_history
    UNION ALL SELECT removed_on FROM removed_items
    UNION ALL SELECT paid_on FROM payments
    UNION ALL SELECT reversed_on FROM payments WHERE reversed_on IS NOT NULL
    UNION ALL SELECT changed_on FROM due_date_changes
    UNION ALL SELECT refunded_on FROM refunds
    UNION ALL SELECT linked_on FROM invoice_links
    UNION ALL SELECT unlinked_on FROM invoice_links WHERE unlinked_on IS NOT NULL
),
act AS (SELECT strftime(day, '%Y-%m') AS period, count(*) AS facts FROM activity GROUP BY 1),
span AS (
    SELECT min(p) AS lo, max(p) AS hi
    FROM (SELECT period AS p FROM act UNION ALL SELECT period FROM period_closes)
),
months AS (
    SELECT strftime(m, '%Y-%m') AS period
    FROM span, range(strptime(span.lo, '%Y-%m'), strptime(span.hi, '%Y-%m') + INTERVAL 1 MONTH,
                     INTERVAL 1 MONTH) t(m)
    WHERE span.lo IS NOT NULL
)
SELECT m.period, CASE WHEN c.period IS NULL THEN 'open' ELSE 'closed' END AS state,
       coalesce(a.facts, 0)::BIGINT AS facts, c.closed_by, c.closed_at, c.reviewed_by,
       c.reviewed_at, c.digest
FROM months m LEFT JOIN act a USING (period) LEFT JOIN period_closes c USING (period)
ORDER BY m.period
