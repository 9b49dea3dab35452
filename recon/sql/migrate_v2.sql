-- A ledger made by recon before schema version 2 (dated item facts, removed items,
-- refunds, closed periods): the new tables come from schema.sql (IF NOT EXISTS); the new
-- columns of the old tables are added here. An old item took effect on its invoice's
-- date, as the old as-of rebuild assumed.
ALTER TABLE invoices ADD COLUMN IF NOT EXISTS account_name VARCHAR;
ALTER TABLE invoice_items ADD COLUMN IF NOT EXISTS added_on DATE;
ALTER TABLE invoice_items ADD COLUMN IF NOT EXISTS product_code VARCHAR;
ALTER TABLE invoice_items ADD COLUMN IF NOT EXISTS cancelled_quantity DECIMAL(18,6);
UPDATE invoice_items AS it SET added_on = i.invoice_date
FROM invoices i WHERE i.invoice_id = it.invoice_id AND it.added_on IS NULL;
UPDATE meta SET value = '2' WHERE key = 'schema_version'
