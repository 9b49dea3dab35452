-- A ledger of schema version 2: payments gain reversed_on (a payment the platform
-- reversed, `recon import --update`); the table due_date_changes comes from schema.sql
-- (IF NOT EXISTS). No existing payment is reversed.
ALTER TABLE payments ADD COLUMN IF NOT EXISTS reversed_on DATE;
UPDATE meta SET value = '3' WHERE key = 'schema_version'
