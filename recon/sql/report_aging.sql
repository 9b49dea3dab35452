-- Unpaid debit invoices at period end ($closing) by days past due. An invoice without a
-- due date is due on its invoice date. An invoice not yet due is current: 0 days past due
-- (never negative). Needs temp table asof_close.
SELECT invoice_id, account_id, currency, invoice_date, due_date,
       greatest($closing - coalesce(due_date, invoice_date), 0)::BIGINT AS days_past_due,
       CASE WHEN $closing - coalesce(due_date, invoice_date) <= 0 THEN 'current'
            WHEN $closing - coalesce(due_date, invoice_date) <= 30 THEN '1-30'
            WHEN $closing - coalesce(due_date, invoice_date) <= 60 THEN '31-60'
            WHEN $closing - coalesce(due_date, invoice_date) <= 90 THEN '61-90'
            ELSE '90+' END AS bucket,
       total, paid, received AS credited, unpaid_amount
FROM asof_close
WHERE type = 'debit' AND unpaid_amount > 0
ORDER BY currency, days_past_due DESC, invoice_id
