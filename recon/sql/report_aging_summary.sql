-- Aging per currency: every bucket (zero when empty) and a total row, which equals the
-- roll-forward's unpaid at period end. Needs temp tables rpt_aging and rpt_rollforward.
WITH b(bucket_no, bucket) AS (
    VALUES (1, 'current'), (2, '1-30'), (3, '31-60'), (4, '61-90'), (5, '90+')
),
rows AS (
    SELECT r.currency, b.bucket_no, b.bucket, count(a.invoice_id) AS invoices,
           coalesce(sum(a.unpaid_amount), 0) AS unpaid_amount
    FROM rpt_rollforward r CROSS JOIN b
    LEFT JOIN rpt_aging a ON a.currency = r.currency AND a.bucket = b.bucket
    GROUP BY ALL
)
SELECT currency, bucket, invoices::BIGINT AS invoices, unpaid_amount::DECIMAL(18,3) AS unpaid_amount
FROM (
    SELECT * FROM rows
    UNION ALL
    SELECT currency, 6, 'total', sum(invoices), sum(unpaid_amount) FROM rows GROUP BY currency
)
ORDER BY currency, bucket_no
