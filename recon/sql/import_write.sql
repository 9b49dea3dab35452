-- Write an import's staged rows (transfer.py stages each file as s_<table>, with the
-- file's row number _row). Derived columns are left to recompute; a void status is a
-- fact (voided_on). $on is the import's day; $restore: the folder is a whole ledger's
-- export read into a new ledger (its history tables too, its ids as they were).
INSERT INTO invoices BY NAME
SELECT invoice_id, account_id, type, 'unpaid' AS status, invoice_date, due_date, currency,
       reason, memo, CASE WHEN type = 'credit' THEN coalesce(origin, 'manual') END AS origin,
       batch_id,
       CASE WHEN status = 'void' THEN coalesce(voided_on, invoice_date) ELSE voided_on END AS voided_on,
       account_name, coalesce(created_at, current_localtimestamp()) AS created_at
FROM s_invoices ORDER BY _row;
-- An item takes effect on its invoice's day, or, added to an invoice the ledger already
-- had, on the import's day (import_checks.sql refuses a day before its invoice). The day
-- is filled in on the staged rows, which are in file order, so that the insert is a
-- plain scan and keeps that order: inserted through joins, 1M items needed a sort by
-- _row (0.3 s of an import).
UPDATE s_items SET added_on = si.invoice_date FROM s_invoices si
WHERE s_items.added_on IS NULL AND si.invoice_id = s_items.invoice_id;
UPDATE s_items SET added_on = greatest(li.invoice_date, $on) FROM invoices li
WHERE s_items.added_on IS NULL AND li.invoice_id = s_items.invoice_id
  AND s_items.invoice_id NOT IN (SELECT invoice_id FROM s_invoices);
INSERT INTO invoice_items BY NAME SELECT * EXCLUDE (_row, _file) FROM s_items;
INSERT INTO removed_items BY NAME
SELECT s.* EXCLUDE (_row, _file, added_on), coalesce(s.added_on, i.invoice_date) AS added_on
FROM s_removed s JOIN invoices i ON i.invoice_id = s.invoice_id ORDER BY s._row;
INSERT INTO payments BY NAME SELECT * EXCLUDE (_row, _file) FROM s_payments ORDER BY _row;
INSERT INTO refunds BY NAME SELECT * EXCLUDE (_row, _file, _payment) FROM s_refunds
ORDER BY _payment, _file, _row;
INSERT INTO due_date_changes BY NAME SELECT * EXCLUDE (_row, _file) FROM s_due_changes ORDER BY _row;
-- Links keep the file's ids when it gives them all, distinct, and the ledger has none
-- of them (a restore, or a first import); otherwise they are numbered after the ledger's.
INSERT INTO invoice_links BY NAME
WITH keep AS (
    SELECT count(*) = count(DISTINCT link_id)
           AND NOT EXISTS (SELECT 1 FROM invoice_links l WHERE l.link_id IN (SELECT link_id FROM s_links))
           AS ids
    FROM s_links
)
SELECT CASE WHEN keep.ids THEN s.link_id
            ELSE (SELECT coalesce(max(link_id), 0) FROM invoice_links)
                 + row_number() OVER (ORDER BY s._row) END AS link_id,
       s.credit_invoice_id, s.debit_invoice_id, s.amount, s.linked_on, s.unlinked_on
FROM s_links s, keep ORDER BY s._row;
INSERT INTO batches BY NAME SELECT * EXCLUDE (_row, _file) FROM s_batches ORDER BY _row;
INSERT INTO currencies BY NAME
SELECT currency, digits, (10 ^ (3 - digits))::INTEGER AS step_milli FROM s_currencies
WHERE currency NOT IN (SELECT currency FROM currencies) ORDER BY _row;
-- the ledger's own history: only in a restore (transfer.py refuses it otherwise)
INSERT INTO audit_log BY NAME SELECT * EXCLUDE (_row, _file) FROM s_audit WHERE $restore ORDER BY _row;
INSERT INTO numbering (prefix, last_no)
SELECT prefix, last_no FROM s_numbering WHERE $restore
ON CONFLICT (prefix) DO UPDATE SET last_no = excluded.last_no;
INSERT INTO period_closes BY NAME SELECT * EXCLUDE (_row, _file) FROM s_closes WHERE $restore ORDER BY _row;
INSERT INTO period_events BY NAME SELECT * EXCLUDE (_row, _file) FROM s_events WHERE $restore ORDER BY _row;
INSERT INTO touched
SELECT invoice_id FROM s_invoices UNION SELECT invoice_id FROM s_items
UNION SELECT invoice_id FROM s_removed UNION SELECT invoice_id FROM s_payments
UNION SELECT credit_invoice_id FROM s_refunds UNION SELECT invoice_id FROM s_due_changes
UNION SELECT credit_invoice_id FROM s_links UNION SELECT debit_invoice_id FROM s_links
