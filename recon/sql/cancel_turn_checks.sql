-- A turn's rows that would cancel more than is still in service (cancel_turn.sql).
SELECT src_row, 'quantity' AS col, quantity::VARCHAR AS value, 'over_service' AS code, in_service::VARCHAR AS a
FROM cancel_turn WHERE quantity > in_service
UNION ALL
SELECT src_row, 'item_id', item_id, 'nothing_in_service', NULL
FROM cancel_turn WHERE quantity IS NULL AND in_service = 0
ORDER BY 1, 2
