-- Credit still available (not applied to any debit) at period end ($closing), with its
-- age since the credit's invoice date. Needs temp table asof_close.
SELECT invoice_id AS credit_invoice_id, account_id, currency, invoice_date, reason, origin,
       total, given AS applied, unpaid_amount AS available,
       ($closing - invoice_date)::BIGINT AS age_days,
       CASE WHEN $closing - invoice_date <= 30 THEN '0-30'
            WHEN $closing - invoice_date <= 60 THEN '31-60'
            WHEN $closing - invoice_date <= 90 THEN '61-90'
            ELSE '90+' END AS age_bucket
FROM asof_close
WHERE type = 'credit' AND NOT is_void AND unpaid_amount > 0
ORDER BY currency, age_days DESC, invoice_id
