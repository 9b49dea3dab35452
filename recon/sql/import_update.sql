-- `recon import --update`: the changes of facts the platform owns, found by
-- import_overlap.sql (ov_diff, updatable), as dated facts (overlap.py). Each takes
-- effect on its day: a debit voided on the void date the file gives (else the import's
-- day, $on), a link ended on its unlinked_on, a payment reversed on its reversed_on, a
-- due date moved on the import's day (kept in due_date_changes with the due date before
-- it, so the ledger as of an earlier day, and a past month's aging, see the old one).
CREATE OR REPLACE TEMP TABLE ov_update AS
SELECT CASE WHEN d.tbl = 'payments' THEN 'reverse' WHEN d.tbl = 'invoice_links' THEN 'unlink'
            WHEN d.col = 'voided_on' THEN 'void' ELSE 'due' END AS kind,
       d.id, w.twin AS link_id, d._file, d._row, d.col, d.day,
       d.ledger_value AS before, d.file_value AS after
FROM ov_diff d LEFT JOIN ov_link_twin w ON d.tbl = 'invoice_links' AND w._row = d._row
WHERE d.updatable;
-- What a change may not do, one row per problem (file, row, column, value, code, detail):
-- take effect before the facts it depends on, or inside a closed month ($locked_through).
CREATE OR REPLACE TEMP TABLE ov_update_problems AS
SELECT u._file, u._row, u.col, u.after AS value, 'void_before_invoice' AS code, i.invoice_date::VARCHAR AS a
FROM ov_update u JOIN invoices i ON i.invoice_id = u.id
WHERE u.kind = 'void' AND u.day < i.invoice_date
UNION ALL
SELECT u._file, u._row, u.col, u.after, 'void_before_link', max(l.linked_on)::VARCHAR
FROM ov_update u JOIN invoice_links l ON l.debit_invoice_id = u.id AND l.unlinked_on IS NULL
WHERE u.kind = 'void' AND l.link_id NOT IN (SELECT link_id FROM ov_update WHERE kind = 'unlink')
GROUP BY ALL HAVING max(l.linked_on) > any_value(u.day)
UNION ALL
SELECT u._file, u._row, u.col, u.after, 'change_before_invoice', i.invoice_date::VARCHAR
FROM ov_update u JOIN invoices i ON i.invoice_id = u.id
WHERE u.kind = 'due' AND u.day < i.invoice_date
UNION ALL
SELECT u._file, u._row, u.col, u.after, 'due_before_invoice', i.invoice_date::VARCHAR
FROM ov_update u JOIN invoices i ON i.invoice_id = u.id
WHERE u.kind = 'due' AND u.after::DATE < i.invoice_date
UNION ALL
SELECT u._file, u._row, u.col, u.after, 'change_before_change', max(c.changed_on)::VARCHAR
FROM ov_update u JOIN due_date_changes c ON c.invoice_id = u.id
WHERE u.kind = 'due' GROUP BY ALL HAVING max(c.changed_on) > any_value(u.day)
UNION ALL
SELECT u._file, u._row, u.col, u.after, 'reversed_before_paid', p.paid_on::VARCHAR
FROM ov_update u JOIN payments p ON p.payment_id = u.id
WHERE u.kind = 'reverse' AND u.day < p.paid_on
UNION ALL
SELECT u._file, u._row, u.col, u.after, 'unlink_before_link', l.linked_on::VARCHAR
FROM ov_update u JOIN invoice_links l ON l.link_id = u.link_id
WHERE u.kind = 'unlink' AND u.day < l.linked_on
UNION ALL
SELECT _file, _row, col, day::VARCHAR, 'period_closed', $lock_note
FROM ov_update WHERE day <= $locked_through;
-- the changes
INSERT INTO touched
SELECT id FROM ov_update WHERE kind IN ('void', 'due')
UNION ALL SELECT invoice_id FROM payments WHERE payment_id IN (SELECT id FROM ov_update WHERE kind = 'reverse')
UNION ALL SELECT credit_invoice_id FROM invoice_links
WHERE link_id IN (SELECT link_id FROM ov_update WHERE kind = 'unlink')
   OR (unlinked_on IS NULL AND debit_invoice_id IN (SELECT id FROM ov_update WHERE kind = 'void'))
UNION ALL SELECT debit_invoice_id FROM invoice_links WHERE link_id IN (SELECT link_id FROM ov_update WHERE kind = 'unlink');
UPDATE invoice_links SET unlinked_on = u.day
FROM ov_update u WHERE u.kind = 'unlink' AND invoice_links.link_id = u.link_id;
UPDATE invoices SET voided_on = u.day
FROM ov_update u WHERE u.kind = 'void' AND invoices.invoice_id = u.id;
-- a voided debit's links still active end on its void day (as a credit's void ends its
-- links): the credit applied to it is available again
UPDATE invoice_links SET unlinked_on = u.day
FROM ov_update u
WHERE u.kind = 'void' AND invoice_links.debit_invoice_id = u.id AND invoice_links.unlinked_on IS NULL;
-- a second move of the same due date on the same day keeps the day's first "before"
UPDATE due_date_changes SET due_date = u.after::DATE
FROM ov_update u
WHERE u.kind = 'due' AND due_date_changes.invoice_id = u.id AND due_date_changes.changed_on = u.day;
INSERT INTO due_date_changes
SELECT u.id, u.day, u.before::DATE, u.after::DATE FROM ov_update u
WHERE u.kind = 'due' AND NOT EXISTS (
    SELECT 1 FROM due_date_changes c WHERE c.invoice_id = u.id AND c.changed_on = u.day);
UPDATE invoices SET due_date = u.after::DATE
FROM ov_update u WHERE u.kind = 'due' AND invoices.invoice_id = u.id;
UPDATE payments SET reversed_on = u.day
FROM ov_update u WHERE u.kind = 'reverse' AND payments.payment_id = u.id
