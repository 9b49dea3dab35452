-- Cancellation rows (temp table cancel_in: src_row, item_id, cancelled_on, quantity,
-- reason) with what the ledger knows of their item. Day counts are inclusive of both
-- ends; cancelled_on is the first unused day.
CREATE OR REPLACE TEMP TABLE cancel_req AS
SELECT
    c.src_row, c.item_id, c.cancelled_on, c.quantity, c.reason,
    it.item_id IS NOT NULL AS item_known,
    it.invoice_id AS debit_invoice_id,
    d.type AS invoice_type,
    d.voided_on AS debit_voided_on,
    it.quantity AS item_quantity,
    it.period_start, it.period_end,
    date_diff('day', c.cancelled_on, it.period_end) + 1 AS unused_days,
    date_diff('day', it.period_start, it.period_end) + 1 AS period_days,
    -- the credit item of an earlier run for the same (item, cancelled_on), if any
    (SELECT min(ci.invoice_id) FROM invoice_items ci JOIN invoices ck ON ck.invoice_id = ci.invoice_id
     WHERE ck.voided_on IS NULL AND ci.credited_item_id = c.item_id
       AND ci.cancelled_on = c.cancelled_on) AS done_by,
    min(c.src_row) OVER (PARTITION BY c.item_id, c.cancelled_on) AS first_row,
    -- an item cancelled several times is credited in date order, one engine run per turn
    row_number() OVER (PARTITION BY c.item_id ORDER BY c.cancelled_on, c.src_row) AS turn
FROM cancel_in c
LEFT JOIN invoice_items it ON it.item_id = c.item_id
LEFT JOIN invoices d ON d.invoice_id = it.invoice_id
