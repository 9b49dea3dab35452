-- One turn's cancellation rows with the quantity still in service on their item, as the
-- ledger stands at this turn (an earlier turn of the same file counts): the item's
-- quantity less the units that non-void credits took out of service. Those are
-- invoice_items.cancelled_quantity (a cancellation's cancelled quantity, a quantity
-- credit's own quantity, 0 for an amount or percentage credit, which credits money, not
-- units). For credit items written before that column: a cancellation's equivalent
-- quantity × period days / unused days (half-up to 6 decimals), any other credit's own
-- quantity.
CREATE OR REPLACE TEMP TABLE cancel_turn AS
SELECT c.*, greatest(c.item_quantity - coalesce(o.units, 0), 0)::DECIMAL(18,6) AS in_service
FROM cancel_req c
LEFT JOIN (
    SELECT ci.credited_item_id AS item_id,
           sum(coalesce(ci.cancelled_quantity, CASE
               WHEN ci.cancelled_on IS NULL THEN ci.quantity
               ELSE ((micro(ci.quantity) * (date_diff('day', d.period_start, d.period_end) + 1) * 2
                      + date_diff('day', ci.cancelled_on, d.period_end) + 1)
                     // (2 * (date_diff('day', ci.cancelled_on, d.period_end) + 1)))::DECIMAL(38,0)
                    * 0.000001::DECIMAL(7,6) END)) AS units
    FROM invoice_items ci
    JOIN invoices ck ON ck.invoice_id = ci.invoice_id AND ck.voided_on IS NULL
    JOIN invoice_items d ON d.item_id = ci.credited_item_id
    WHERE ci.credited_item_id IN (SELECT item_id FROM cancel_req WHERE turn = $turn AND done_by IS NULL)
    GROUP BY 1
) o USING (item_id)
WHERE c.done_by IS NULL AND c.turn = $turn
