-- One turn of cancellation rows (cancel_turn.sql) as credit requests
-- (credits.REQUEST_TYPES): one credit invoice per debit invoice and cancellation day;
-- the credit item covers the unused days, cancelled_on .. the item's period end; the
-- quantity cancelled defaults to the quantity still in service.
SELECT
    row_number() OVER (ORDER BY src_row)::BIGINT AS req_no,
    src_row::BIGINT AS src_row,
    'cancel:' || debit_invoice_id || ':' || cancelled_on::VARCHAR AS credit_key,
    NULL::VARCHAR AS into_credit_id,
    debit_invoice_id,
    item_id,
    coalesce(quantity, in_service)::DECIMAL(18,6) AS quantity,
    NULL::DECIMAL(18,3) AS amount, NULL::DECIMAL(9,6) AS percent, NULL::BOOLEAN AS gross,
    NULL::VARCHAR AS credit_invoice_id,
    coalesce(reason, 'Cancellation') AS reason,
    'Service cancelled on ' || cancelled_on::VARCHAR AS memo,
    $credit_date::DATE AS credit_date,
    cancelled_on AS period_start,
    period_end,
    unused_days::BIGINT AS unused_days,
    period_days::BIGINT AS period_days,
    cancelled_on
FROM cancel_turn
ORDER BY src_row
