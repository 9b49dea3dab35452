-- The staged rows the ledger already holds (import_overlap.sql found their twins):
-- ov_twinned lists them per table; overlap.py counts the identical ones, checks that
-- the others differ only in what --update takes, and then leaves only new rows in the
-- stage (the DELETEs below), which the import checks and writes as before. A credit
-- known under another number (ov_same_credit) is the ledger's: its header and items
-- are twinned as a whole. The ledger's own history (a recon export read again) is
-- twinned only where every column is the same.
CREATE OR REPLACE TEMP TABLE ov_twinned AS
SELECT 'invoices' AS tbl, _row FROM s_invoices WHERE invoice_id IN (SELECT invoice_id FROM invoices)
UNION ALL
SELECT 'invoices', _row FROM s_invoices WHERE invoice_id IN (SELECT platform_id FROM ov_same_credit)
UNION ALL
SELECT 'invoice_items', _row FROM ov_item_twin
UNION ALL
SELECT 'invoice_items', _row FROM s_items WHERE invoice_id IN (SELECT platform_id FROM ov_same_credit)
UNION ALL
SELECT 'removed_items', _row FROM s_removed WHERE item_id IN (SELECT item_id FROM removed_items)
UNION ALL
SELECT 'payments', _row FROM s_payments WHERE payment_id IN (SELECT payment_id FROM payments)
UNION ALL
SELECT 'refunds', _row FROM s_refunds WHERE refund_id IN (SELECT refund_id FROM refunds)
UNION ALL
SELECT 'invoice_links', _row FROM ov_link_twin
UNION ALL
SELECT 'due_date_changes', s._row FROM s_due_changes s JOIN due_date_changes t
  ON t.invoice_id = s.invoice_id AND t.changed_on = s.changed_on
 AND t.due_date_before IS NOT DISTINCT FROM s.due_date_before AND t.due_date IS NOT DISTINCT FROM s.due_date
UNION ALL
SELECT 'currencies', s._row FROM s_currencies s JOIN currencies t ON t.currency = s.currency AND t.digits = s.digits
UNION ALL
SELECT 'batches', s._row FROM s_batches s JOIN batches t
  ON t.batch_id = s.batch_id AND t.command = s.command AND t.source IS NOT DISTINCT FROM s.source
 AND t.rows_in = s.rows_in AND t.applied_at = s.applied_at
UNION ALL
SELECT 'audit_log', s._row FROM s_audit s JOIN audit_log t
  ON t.audit_id = s.audit_id AND t.logged_at = s.logged_at AND t.os_user IS NOT DISTINCT FROM s.os_user
 AND t.command = s.command AND t.batch_id IS NOT DISTINCT FROM s.batch_id
 AND t.invoices_created = s.invoices_created AND t.items_created = s.items_created
 AND t.links_changed = s.links_changed AND t.totals IS NOT DISTINCT FROM s.totals
 AND t.detail IS NOT DISTINCT FROM s.detail
UNION ALL
SELECT 'numbering', s._row FROM s_numbering s JOIN numbering t ON t.prefix = s.prefix AND t.last_no = s.last_no
UNION ALL
SELECT 'period_closes', s._row FROM s_closes s JOIN period_closes t
  ON t.period = s.period AND t.period_start = s.period_start AND t.period_end = s.period_end
 AND t.closed_by = s.closed_by AND t.closed_at = s.closed_at AND t.digest = s.digest
 AND t.table_digests = s.table_digests AND t.reviewed_by IS NOT DISTINCT FROM s.reviewed_by
 AND t.reviewed_at IS NOT DISTINCT FROM s.reviewed_at
UNION ALL
SELECT 'period_events', s._row FROM s_events s JOIN period_events t
  ON t.event_id = s.event_id AND t.period = s.period AND t.action = s.action AND t.by_name = s.by_name
 AND t.event_at = s.event_at AND t.reason IS NOT DISTINCT FROM s.reason
 AND t.digest IS NOT DISTINCT FROM s.digest;
DELETE FROM s_invoices WHERE _row IN (SELECT _row FROM ov_twinned WHERE tbl = 'invoices');
DELETE FROM s_items WHERE _row IN (SELECT _row FROM ov_twinned WHERE tbl = 'invoice_items');
DELETE FROM s_removed WHERE _row IN (SELECT _row FROM ov_twinned WHERE tbl = 'removed_items');
DELETE FROM s_payments WHERE _row IN (SELECT _row FROM ov_twinned WHERE tbl = 'payments');
DELETE FROM s_refunds WHERE _row IN (SELECT _row FROM ov_twinned WHERE tbl = 'refunds');
DELETE FROM s_links WHERE _row IN (SELECT _row FROM ov_twinned WHERE tbl = 'invoice_links');
DELETE FROM s_due_changes WHERE _row IN (SELECT _row FROM ov_twinned WHERE tbl = 'due_date_changes');
DELETE FROM s_currencies WHERE _row IN (SELECT _row FROM ov_twinned WHERE tbl = 'currencies');
DELETE FROM s_batches WHERE _row IN (SELECT _row FROM ov_twinned WHERE tbl = 'batches');
DELETE FROM s_audit WHERE _row IN (SELECT _row FROM ov_twinned WHERE tbl = 'audit_log');
DELETE FROM s_numbering WHERE _row IN (SELECT _row FROM ov_twinned WHERE tbl = 'numbering');
DELETE FROM s_closes WHERE _row IN (SELECT _row FROM ov_twinned WHERE tbl = 'period_closes');
DELETE FROM s_events WHERE _row IN (SELECT _row FROM ov_twinned WHERE tbl = 'period_events')
