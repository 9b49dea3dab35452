-- An import that overlaps what the ledger holds (a cumulative re-export of the platform,
-- or recon's own export read again): each staged row (transfer.py's s_<table>, with
-- _file and _row) is new, the same as a row of the ledger, or in conflict with one
-- (overlap.py). Run after same_credit.sql has paired the export's credits with recon's
-- (ov_same_credit): those credits are the ledger's, under the ledger's numbers.
-- $*_cols: the columns the files carry (a column a file leaves out is not compared);
-- $on: the import's day.
--
-- The references to a credit known under another number are the ledger's number.
UPDATE s_links SET credit_invoice_id = m.ledger_id
FROM ov_same_credit m WHERE s_links.credit_invoice_id = m.platform_id;
UPDATE s_refunds SET credit_invoice_id = m.ledger_id
FROM ov_same_credit m WHERE s_refunds.credit_invoice_id = m.platform_id;
-- The ledger row each staged row stands for (its twin). Items by id; a credit item the
-- ledger knows under its own id by the invoice and the debit item it credits (one on
-- each side). Links by id where the file gives the ledger's, else the n-th link of a
-- (credit, debit) pair in date order on each side.
CREATE OR REPLACE TEMP TABLE ov_item_twin AS
WITH by_id AS (
    SELECT s._row, s.item_id AS twin, true AS by_id FROM s_items s JOIN invoice_items t USING (item_id)
),
s1 AS (
    SELECT s.invoice_id, s.credited_item_id, min(s._row) AS _row FROM s_items s
    JOIN invoices i ON i.invoice_id = s.invoice_id AND i.type = 'credit'
    WHERE s._row NOT IN (SELECT _row FROM by_id) AND s.credited_item_id IS NOT NULL
    GROUP BY ALL HAVING count(*) = 1
),
t1 AS (
    SELECT t.invoice_id, t.credited_item_id, min(t.item_id) AS twin FROM invoice_items t
    WHERE t.invoice_id IN (SELECT invoice_id FROM s1) AND t.item_id NOT IN (SELECT twin FROM by_id)
    GROUP BY ALL HAVING count(*) = 1
)
SELECT * FROM by_id
UNION ALL
SELECT s1._row, t1.twin, false FROM s1 JOIN t1 USING (invoice_id, credited_item_id);
CREATE OR REPLACE TEMP TABLE ov_link_twin AS
WITH by_id AS (
    SELECT s._row, t.link_id AS twin FROM s_links s JOIN invoice_links t
      ON t.link_id = s.link_id AND t.credit_invoice_id = s.credit_invoice_id
     AND t.debit_invoice_id = s.debit_invoice_id
),
fs AS (
    SELECT _row, credit_invoice_id, debit_invoice_id,
           row_number() OVER (PARTITION BY credit_invoice_id, debit_invoice_id ORDER BY linked_on, _row) AS n
    FROM s_links WHERE _row NOT IN (SELECT _row FROM by_id)
),
ls AS (
    SELECT link_id, credit_invoice_id, debit_invoice_id,
           row_number() OVER (PARTITION BY credit_invoice_id, debit_invoice_id ORDER BY linked_on, link_id) AS n
    FROM invoice_links WHERE link_id NOT IN (SELECT twin FROM by_id)
      AND credit_invoice_id IN (SELECT credit_invoice_id FROM fs)
)
SELECT * FROM by_id
UNION ALL
SELECT fs._row, ls.link_id FROM fs JOIN ls USING (credit_invoice_id, debit_invoice_id, n);
-- Every column in which a staged row differs from its twin: the ledger's value and the
-- file's, as text (amounts with the currency's decimals). `updatable`: a fact the
-- platform owns, which `--update` takes as a dated fact (overlap.py): a debit voided,
-- a due date moved, a payment reversed, a link ended; `day`: the day it takes effect.
CREATE OR REPLACE TEMP TABLE ov_diff AS
WITH dig AS (SELECT currency, digits FROM currencies),
inv AS (
    SELECT s._file, s._row, s.invoice_id, t.type, unnest([
        struct_pack(col := 'account_id', l := t.account_id, f := s.account_id),
        struct_pack(col := 'type', l := t.type, f := s.type),
        struct_pack(col := 'currency', l := t.currency, f := s.currency),
        struct_pack(col := 'invoice_date', l := t.invoice_date::VARCHAR, f := s.invoice_date::VARCHAR),
        struct_pack(col := 'due_date', l := t.due_date::VARCHAR, f := s.due_date::VARCHAR),
        struct_pack(col := 'reason', l := t.reason, f := s.reason),
        struct_pack(col := 'memo', l := t.memo, f := s.memo),
        struct_pack(col := 'origin', l := t.origin,
                    f := CASE WHEN s.type = 'credit' THEN coalesce(s.origin, 'manual') END),
        struct_pack(col := 'batch_id', l := t.batch_id, f := s.batch_id),
        struct_pack(col := 'account_name', l := t.account_name, f := s.account_name),
        -- a void is a fact (the status `void` alone: on the import's day); the other
        -- statuses, the total and the unpaid amount are derived, which compare checks
        struct_pack(col := 'voided_on', l := t.voided_on::VARCHAR,
                    f := CASE WHEN s.voided_on IS NOT NULL THEN s.voided_on::VARCHAR
                              WHEN s.status = 'void' THEN coalesce(t.voided_on, $on)::VARCHAR END)
    ]) AS c
    FROM s_invoices s JOIN invoices t USING (invoice_id)
),
items AS (
    SELECT s._file, s._row, w.twin AS id, w.by_id, unnest([
        struct_pack(col := 'invoice_id', l := t.invoice_id, f := s.invoice_id),
        struct_pack(col := 'line_no', l := t.line_no::VARCHAR, f := s.line_no::VARCHAR),
        struct_pack(col := 'description', l := t.description, f := s.description),
        struct_pack(col := 'quantity', l := number_text(t.quantity), f := number_text(s.quantity)),
        struct_pack(col := 'unit_price', l := number_text(t.unit_price), f := number_text(s.unit_price)),
        struct_pack(col := 'tax_rate', l := number_text(t.tax_rate), f := number_text(s.tax_rate)),
        struct_pack(col := 'net_amount', l := amount_text(t.net_amount, d.digits),
                    f := amount_text(s.net_amount, d.digits)),
        struct_pack(col := 'tax_amount', l := amount_text(t.tax_amount, d.digits),
                    f := amount_text(s.tax_amount, d.digits)),
        struct_pack(col := 'amount', l := amount_text(t.amount, d.digits), f := amount_text(s.amount, d.digits)),
        struct_pack(col := 'period_start', l := t.period_start::VARCHAR, f := s.period_start::VARCHAR),
        struct_pack(col := 'period_end', l := t.period_end::VARCHAR, f := s.period_end::VARCHAR),
        struct_pack(col := 'credited_item_id', l := t.credited_item_id, f := s.credited_item_id),
        struct_pack(col := 'cancelled_on', l := t.cancelled_on::VARCHAR, f := s.cancelled_on::VARCHAR),
        struct_pack(col := 'cancelled_quantity', l := number_text(t.cancelled_quantity),
                    f := number_text(s.cancelled_quantity)),
        struct_pack(col := 'added_on', l := t.added_on::VARCHAR, f := s.added_on::VARCHAR),
        struct_pack(col := 'product_code', l := t.product_code, f := s.product_code)
    ]) AS c
    FROM s_items s JOIN ov_item_twin w USING (_row) JOIN invoice_items t ON t.item_id = w.twin
    JOIN invoices i ON i.invoice_id = t.invoice_id LEFT JOIN dig d ON d.currency = i.currency
),
removed AS (
    SELECT s._file, s._row, s.item_id, unnest([
        struct_pack(col := 'invoice_id', l := t.invoice_id, f := s.invoice_id),
        struct_pack(col := 'line_no', l := t.line_no::VARCHAR, f := s.line_no::VARCHAR),
        struct_pack(col := 'quantity', l := number_text(t.quantity), f := number_text(s.quantity)),
        struct_pack(col := 'amount', l := t.amount::VARCHAR, f := s.amount::VARCHAR),
        struct_pack(col := 'net_amount', l := t.net_amount::VARCHAR, f := s.net_amount::VARCHAR),
        struct_pack(col := 'tax_amount', l := t.tax_amount::VARCHAR, f := s.tax_amount::VARCHAR),
        struct_pack(col := 'credited_item_id', l := t.credited_item_id, f := s.credited_item_id),
        struct_pack(col := 'added_on', l := t.added_on::VARCHAR, f := s.added_on::VARCHAR),
        struct_pack(col := 'removed_on', l := t.removed_on::VARCHAR, f := s.removed_on::VARCHAR)
    ]) AS c
    FROM s_removed s JOIN removed_items t USING (item_id)
),
pays AS (
    SELECT s._file, s._row, s.payment_id, t.paid_on, unnest([
        struct_pack(col := 'invoice_id', l := t.invoice_id, f := s.invoice_id),
        struct_pack(col := 'amount', l := amount_text(t.amount, d.digits), f := amount_text(s.amount, d.digits)),
        struct_pack(col := 'paid_on', l := t.paid_on::VARCHAR, f := s.paid_on::VARCHAR),
        struct_pack(col := 'reversed_on', l := t.reversed_on::VARCHAR, f := s.reversed_on::VARCHAR)
    ]) AS c
    FROM s_payments s JOIN payments t USING (payment_id)
    JOIN invoices i ON i.invoice_id = t.invoice_id LEFT JOIN dig d ON d.currency = i.currency
),
refs AS (
    SELECT s._file, s._row, s.refund_id, unnest([
        struct_pack(col := 'credit_invoice_id', l := t.credit_invoice_id, f := s.credit_invoice_id),
        struct_pack(col := 'amount', l := amount_text(t.amount, d.digits), f := amount_text(s.amount, d.digits)),
        -- a credit created in the platform under its own number dates its refunds its own way
        struct_pack(col := 'refunded_on', l := t.refunded_on::VARCHAR,
                    f := CASE WHEN t.credit_invoice_id IN (SELECT ledger_id FROM ov_same_credit)
                              THEN t.refunded_on ELSE s.refunded_on END::VARCHAR),
        struct_pack(col := 'reference', l := t.reference, f := s.reference)
    ]) AS c
    FROM s_refunds s JOIN refunds t USING (refund_id)
    JOIN invoices i ON i.invoice_id = t.credit_invoice_id LEFT JOIN dig d ON d.currency = i.currency
),
links AS (
    SELECT s._file, s._row, t.credit_invoice_id || ' → ' || t.debit_invoice_id AS id, t.linked_on, unnest([
        struct_pack(col := 'amount', l := amount_text(t.amount, d.digits), f := amount_text(s.amount, d.digits)),
        -- likewise its links
        struct_pack(col := 'linked_on', l := t.linked_on::VARCHAR,
                    f := CASE WHEN t.credit_invoice_id IN (SELECT ledger_id FROM ov_same_credit)
                              THEN t.linked_on ELSE s.linked_on END::VARCHAR),
        struct_pack(col := 'unlinked_on', l := t.unlinked_on::VARCHAR, f := s.unlinked_on::VARCHAR)
    ]) AS c
    FROM s_links s JOIN ov_link_twin w USING (_row) JOIN invoice_links t ON t.link_id = w.twin
    JOIN invoices i ON i.invoice_id = t.credit_invoice_id LEFT JOIN dig d ON d.currency = i.currency
)
SELECT 'invoices' AS tbl, _file, _row, invoice_id AS id, c.col, c.l AS ledger_value, c.f AS file_value,
       (c.col = 'voided_on' AND type = 'debit' AND c.l IS NULL) OR c.col = 'due_date' AS updatable,
       CASE WHEN c.col = 'voided_on' THEN c.f::DATE ELSE $on END AS day
FROM inv WHERE c.l IS DISTINCT FROM c.f AND list_contains($invoice_cols, c.col)
UNION ALL
SELECT 'invoice_items', _file, _row, id, c.col, c.l, c.f, false, NULL
FROM items WHERE c.l IS DISTINCT FROM c.f AND list_contains($item_cols, c.col)
  -- an item the platform numbers its own way is compared by what it credits
  AND (by_id OR c.col IN ('quantity', 'net_amount', 'tax_amount', 'amount'))
UNION ALL
SELECT 'removed_items', _file, _row, item_id, c.col, c.l, c.f, false, NULL
FROM removed WHERE c.l IS DISTINCT FROM c.f AND list_contains($removed_cols, c.col)
UNION ALL
SELECT 'payments', _file, _row, payment_id, c.col, c.l, c.f, c.col = 'reversed_on' AND c.l IS NULL,
       CASE WHEN c.col = 'reversed_on' THEN c.f::DATE END
FROM pays WHERE c.l IS DISTINCT FROM c.f AND list_contains($payment_cols, c.col)
UNION ALL
SELECT 'refunds', _file, _row, refund_id, c.col, c.l, c.f, false, NULL
FROM refs WHERE c.l IS DISTINCT FROM c.f AND list_contains($refund_cols, c.col)
UNION ALL
SELECT 'invoice_links', _file, _row, id, c.col, c.l, c.f, c.col = 'unlinked_on' AND c.l IS NULL,
       CASE WHEN c.col = 'unlinked_on' THEN c.f::DATE END
FROM links WHERE c.l IS DISTINCT FROM c.f AND list_contains($link_cols, c.col)
