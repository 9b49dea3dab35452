-- Each difference of cmp_diff (compare_diff.sql) with its likely cause in plain words.
-- A figure (total, unpaid amount, status) differs because something under it differs:
-- the cause names the first of these that the comparison found for the invoice: a void
-- on one side, a credit on one side only, a payment or refund on one side only, links
-- that differ, items that differ. A link belongs to both its invoices.
WITH one_side AS (
    SELECT coalesce(invoice_id, platform_invoice_id) AS inv, kind FROM cmp_diff WHERE kind LIKE 'invoice_only%'
),
facts AS (
    SELECT coalesce(invoice_id, platform_invoice_id) AS inv, kind, "column", ledger_value, platform_value,
           NULL AS other, id, platform_id
    FROM cmp_diff WHERE kind NOT LIKE 'link%'
    UNION ALL
    SELECT coalesce(id, platform_id), kind, "column", ledger_value, platform_value,
           coalesce(invoice_id, platform_invoice_id), id, platform_id
    FROM cmp_diff WHERE kind LIKE 'link%'
    UNION ALL
    SELECT coalesce(invoice_id, platform_invoice_id), kind, "column", ledger_value, platform_value,
           coalesce(id, platform_id), id, platform_id
    FROM cmp_diff WHERE kind LIKE 'link%'
),
ctx AS (
    SELECT f.inv,
           bool_or(f.kind = 'invoice_differs' AND f."column" = 'status' AND f.platform_value = 'void') AS void_p,
           bool_or(f.kind = 'invoice_differs' AND f."column" = 'status' AND f.ledger_value = 'void') AS void_l,
           string_agg(DISTINCT f.other, ', ' ORDER BY f.other)
               FILTER (f.kind LIKE 'link%' AND o.kind = 'invoice_only_in_ledger') AS new_l,
           string_agg(DISTINCT f.other, ', ' ORDER BY f.other)
               FILTER (f.kind LIKE 'link%' AND o.kind = 'invoice_only_in_platform') AS new_p,
           string_agg(DISTINCT f.other, ', ' ORDER BY f.other) FILTER (f.kind LIKE 'link%' AND o.kind IS NULL) AS links,
           string_agg(f.platform_id, ', ' ORDER BY f.platform_id) FILTER (f.kind = 'payment_only_in_platform') AS pay_p,
           string_agg(f.id, ', ' ORDER BY f.id) FILTER (f.kind = 'payment_only_in_ledger') AS pay_l,
           string_agg(DISTINCT f.id, ', ' ORDER BY f.id) FILTER (f.kind = 'payment_differs') AS pay_x,
           string_agg(f.platform_id, ', ' ORDER BY f.platform_id) FILTER (f.kind = 'refund_only_in_platform') AS ref_p,
           string_agg(f.id, ', ' ORDER BY f.id) FILTER (f.kind = 'refund_only_in_ledger') AS ref_l,
           string_agg(DISTINCT f.id, ', ' ORDER BY f.id) FILTER (f.kind = 'refund_differs') AS ref_x,
           count(*) FILTER (f.kind LIKE 'item%') AS items
    FROM facts f LEFT JOIN one_side o ON o.inv = f.other
    GROUP BY f.inv
),
d AS (
    SELECT c.*, x.*, o.kind AS credit_side,
           row_number() OVER () AS seq
    FROM cmp_diff c
    LEFT JOIN ctx x ON x.inv = coalesce(c.invoice_id, c.platform_invoice_id)
    -- for a link: is its credit on one side only?
    LEFT JOIN one_side o ON c.kind LIKE 'link%' AND o.inv = coalesce(c.invoice_id, c.platform_invoice_id)
)
SELECT kind, invoice_id, platform_invoice_id, type, id, platform_id, "column", ledger_value, platform_value,
       currency, difference,
       CASE
       WHEN kind = 'invoice_only_in_ledger' AND type = 'credit'
            AND invoice_id IN (SELECT invoice_id FROM invoices WHERE voided_on IS NOT NULL)
           THEN 'credit ' || invoice_id || ' was voided in recon: nothing to create in the platform'
       WHEN kind = 'invoice_only_in_ledger' AND type = 'credit'
           THEN 'credit ' || invoice_id || ' is not in the platform yet'
       WHEN kind = 'invoice_only_in_ledger'
           THEN 'debit ' || invoice_id || ' is not in the export: deleted in the platform, or the export is partial'
       WHEN kind = 'invoice_only_in_platform' AND type = 'credit'
           THEN 'credit ' || platform_invoice_id || ' was made in the platform and is not in recon'
                || ' (recon import brings it in)'
       WHEN kind = 'invoice_only_in_platform'
           THEN 'new debit in the platform, not imported yet (recon import brings it in)'
       WHEN kind = 'invoice_differs' AND "column" = 'due_date'
           THEN 'due date moved in the platform (recon import --update takes it)'
       WHEN kind = 'invoice_differs' AND "column" = 'voided_on' THEN 'the void date differs'
       WHEN kind = 'invoice_differs' AND "column" NOT IN ('total', 'unpaid_amount', 'status')
           THEN replace("column", '_', ' ') || ' changed in the platform'
       WHEN kind = 'invoice_differs' AND "column" = 'total' AND items > 0 THEN 'items differ'
       WHEN kind = 'invoice_differs' THEN coalesce(
           CASE WHEN void_p THEN type || ' voided in the platform' END,
           CASE WHEN void_l THEN type || ' voided in recon, not yet in the platform' END,
           'credit ' || new_l || ' is not in the platform yet',
           'credit ' || new_p || ' was made in the platform and is not in recon',
           'payment ' || pay_p || ' received in the platform, not imported yet',
           'payment ' || pay_l || ' is not in the platform: reversed or deleted there',
           'payment ' || pay_x || ' differs',
           'refund ' || ref_p || ' made in the platform, not in recon',
           'refund ' || ref_l || ' made in recon, not in the platform yet',
           'refund ' || ref_x || ' differs',
           'applied credits differ (' || links || ')',
           CASE WHEN items > 0 THEN 'items differ' END,
           'no item, payment or link differs: the platform states a figure its own facts do not give')
       WHEN kind = 'item_only_in_ledger' AND type = 'credit' THEN 'credited in recon, not in the platform''s credit'
       WHEN kind = 'item_only_in_ledger' THEN 'item removed from the debit in the platform'
       WHEN kind = 'item_only_in_platform' AND type = 'credit' THEN 'credited in the platform''s credit, not in recon''s'
       WHEN kind = 'item_only_in_platform' THEN 'item added to the debit in the platform'
       WHEN kind = 'item_differs' AND type = 'credit' THEN 'the credit of this item differs'
       WHEN kind = 'item_differs' THEN replace("column", '_', ' ') || ' changed in the platform'
       WHEN kind = 'link_only_in_ledger' AND credit_side = 'invoice_only_in_ledger'
           THEN 'credit ' || invoice_id || ' is not in the platform yet'
       WHEN kind = 'link_only_in_ledger' THEN 'applied in recon, not in the platform'
       WHEN kind = 'link_only_in_platform' AND credit_side = 'invoice_only_in_platform'
           THEN 'credit ' || platform_invoice_id || ' was made in the platform and is not in recon'
       WHEN kind = 'link_only_in_platform'
           THEN 'applied in the platform (its automatic application of available credit?), not in recon'
       WHEN kind = 'link_differs' THEN 'the amount applied differs'
       WHEN kind = 'payment_only_in_platform' THEN 'payment received in the platform, not imported yet'
       WHEN kind = 'payment_only_in_ledger' THEN 'payment is not in the platform: reversed or deleted there'
       WHEN kind = 'refund_only_in_platform' THEN 'refund made in the platform, not in recon'
       WHEN kind = 'refund_only_in_ledger' THEN 'refund made in recon, not in the platform yet'
       ELSE replace("column", '_', ' ') || ' changed in the platform'
       END AS cause
FROM d
ORDER BY coalesce(invoice_id, platform_invoice_id),
         CASE WHEN kind LIKE 'invoice%' THEN 0 WHEN kind LIKE 'item%' THEN 1 WHEN kind LIKE 'payment%' THEN 2
              WHEN kind LIKE 'refund%' THEN 3 ELSE 4 END,
         kind, coalesce(id, platform_id), "column"
