-- Every item that ever took effect: the items of today, and those taken off a credit
-- invoice (removed_items, with the day they stopped counting). The ledger as of a day
-- counts the items with added_on <= day < removed_on.
CREATE OR REPLACE TEMP VIEW item_history AS
SELECT *, NULL::DATE AS removed_on FROM invoice_items
UNION ALL BY NAME
SELECT * FROM removed_items
