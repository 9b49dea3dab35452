-- Every difference between the ledger and the platform's export, exactly (no tolerance
-- on money), one row each (compare.py). Needs the staged export (p_<table>), cmp_key
-- and p_state (compare_pairs.sql). $*_columns: the columns the export's files carry;
-- a column a file leaves out is not compared.
--
-- invoice_id is the ledger's number, platform_invoice_id the export's (one of them
-- NULL when the invoice is on one side only); id / platform_id name the row within the
-- invoice: an item, a payment, a refund, or for links the debit invoice. Each value is
-- text as an analyst reads it (amounts with the currency's decimals); `difference` is
-- platform − ledger for amounts.
CREATE OR REPLACE TEMP TABLE cmp_diff AS
WITH dig AS (SELECT currency, digits FROM currencies),
both_sides AS (SELECT invoice_id FROM cmp_key WHERE invoice_id IN (SELECT invoice_id FROM invoices)),
-- invoices on one side only ------------------------------------------------------------
inv_one AS (
    SELECT 'invoice_only_in_ledger' AS kind, i.invoice_id, NULL AS platform_invoice_id, i.type,
           i.invoice_id AS id, NULL AS platform_id, 'total' AS col,
           amount_text(i.total, d.digits) AS ledger_value, NULL AS platform_value, i.currency,
           -i.total AS difference
    FROM invoices i LEFT JOIN dig d USING (currency)
    WHERE i.invoice_id NOT IN (SELECT invoice_id FROM cmp_key)
    UNION ALL
    SELECT 'invoice_only_in_platform', NULL, p.invoice_id, p.type, NULL, p.invoice_id, 'total',
           NULL, amount_text(s.total, d.digits), p.currency, s.total
    FROM p_invoices p JOIN p_state s USING (invoice_id) LEFT JOIN dig d USING (currency)
    WHERE p.invoice_id IN (SELECT platform_id FROM cmp_key WHERE invoice_id NOT IN (SELECT invoice_id FROM invoices))
),
-- invoices on both sides: each column -----------------------------------------------------
inv_cols AS (
    SELECT l.invoice_id, k.platform_id, l.type, l.currency, unnest([
        struct_pack(col := 'account_id', l := l.account_id, p := p.account_id,
                    ld := NULL::DECIMAL(18,3), pd := NULL::DECIMAL(18,3)),
        struct_pack(col := 'type', l := l.type, p := p.type, ld := NULL, pd := NULL),
        struct_pack(col := 'currency', l := l.currency, p := p.currency, ld := NULL, pd := NULL),
        struct_pack(col := 'invoice_date', l := l.invoice_date::VARCHAR, p := p.invoice_date::VARCHAR,
                    ld := NULL, pd := NULL),
        struct_pack(col := 'due_date', l := l.due_date::VARCHAR, p := p.due_date::VARCHAR, ld := NULL, pd := NULL),
        -- a void the export gives by its status alone has no day to differ by
        struct_pack(col := 'voided_on', l := l.voided_on::VARCHAR,
                    p := coalesce(p.voided_given, CASE WHEN p.status = 'void' THEN l.voided_on END)::VARCHAR,
                    ld := NULL, pd := NULL),
        struct_pack(col := 'account_name', l := l.account_name, p := p.account_name, ld := NULL, pd := NULL),
        struct_pack(col := 'total', l := amount_text(l.total, d.digits), p := amount_text(s.total, d.digits),
                    ld := l.total, pd := s.total),
        struct_pack(col := 'unpaid_amount', l := amount_text(l.unpaid_amount, d.digits),
                    p := amount_text(s.unpaid_amount, d.digits), ld := l.unpaid_amount, pd := s.unpaid_amount),
        struct_pack(col := 'status', l := l.status, p := s.status, ld := NULL, pd := NULL)
    ]) AS c
    FROM invoices l JOIN cmp_key k USING (invoice_id)
    JOIN p_invoices p ON p.invoice_id = k.platform_id
    JOIN p_state s ON s.invoice_id = k.platform_id
    LEFT JOIN dig d ON d.currency = l.currency
),
inv_diff AS (
    SELECT 'invoice_differs' AS kind, invoice_id, platform_id AS platform_invoice_id, type,
           invoice_id AS id, platform_id, c.col, c.l, c.p, currency, c.pd - c.ld
    FROM inv_cols
    WHERE c.l IS DISTINCT FROM c.p AND list_contains($invoice_columns, c.col)
),
-- debit items, by item id ---------------------------------------------------------------
l_items AS (
    SELECT it.*, i.currency FROM invoice_items it JOIN invoices i USING (invoice_id)
    WHERE i.type = 'debit' AND it.invoice_id IN (SELECT invoice_id FROM both_sides)
),
p_items AS (
    SELECT it.*, k.invoice_id AS key, i.currency FROM p_invoice_items it
    JOIN p_invoices i USING (invoice_id) JOIN cmp_key k ON k.platform_id = it.invoice_id
    WHERE i.type = 'debit' AND k.invoice_id IN (SELECT invoice_id FROM both_sides)
),
item_one AS (
    SELECT 'item_only_in_ledger' AS kind, l.invoice_id, k.platform_id AS platform_invoice_id, 'debit' AS type,
           l.item_id AS id, NULL AS platform_id, 'amount' AS col, amount_text(l.amount, d.digits), NULL,
           l.currency, -l.amount
    FROM l_items l JOIN cmp_key k USING (invoice_id) LEFT JOIN dig d USING (currency)
    WHERE l.item_id NOT IN (SELECT item_id FROM p_items)
    UNION ALL
    SELECT 'item_only_in_platform', p.key, p.invoice_id, 'debit', NULL, p.item_id, 'amount', NULL,
           amount_text(p.amount, d.digits), p.currency, p.amount
    FROM p_items p LEFT JOIN dig d USING (currency)
    WHERE p.item_id NOT IN (SELECT item_id FROM l_items)
),
item_cols AS (
    SELECT l.invoice_id, p.invoice_id AS platform_invoice_id, l.item_id, l.currency, unnest([
        struct_pack(col := 'invoice_id', l := l.invoice_id, p := p.key, ld := NULL::DECIMAL(18,3),
                    pd := NULL::DECIMAL(18,3)),
        struct_pack(col := 'line_no', l := l.line_no::VARCHAR, p := p.line_no::VARCHAR, ld := NULL, pd := NULL),
        struct_pack(col := 'description', l := l.description, p := p.description, ld := NULL, pd := NULL),
        struct_pack(col := 'quantity', l := number_text(l.quantity), p := number_text(p.quantity),
                    ld := NULL, pd := NULL),
        struct_pack(col := 'unit_price', l := number_text(l.unit_price), p := number_text(p.unit_price),
                    ld := NULL, pd := NULL),
        struct_pack(col := 'tax_rate', l := number_text(l.tax_rate), p := number_text(p.tax_rate),
                    ld := NULL, pd := NULL),
        struct_pack(col := 'net_amount', l := amount_text(l.net_amount, d.digits),
                    p := amount_text(p.net_amount, d.digits), ld := l.net_amount, pd := p.net_amount),
        struct_pack(col := 'tax_amount', l := amount_text(l.tax_amount, d.digits),
                    p := amount_text(p.tax_amount, d.digits), ld := l.tax_amount, pd := p.tax_amount),
        struct_pack(col := 'amount', l := amount_text(l.amount, d.digits), p := amount_text(p.amount, d.digits),
                    ld := l.amount, pd := p.amount),
        struct_pack(col := 'period_start', l := l.period_start::VARCHAR, p := p.period_start::VARCHAR,
                    ld := NULL, pd := NULL),
        struct_pack(col := 'period_end', l := l.period_end::VARCHAR, p := p.period_end::VARCHAR,
                    ld := NULL, pd := NULL),
        struct_pack(col := 'product_code', l := l.product_code, p := p.product_code, ld := NULL, pd := NULL)
    ]) AS c
    FROM l_items l JOIN p_items p USING (item_id) LEFT JOIN dig d ON d.currency = l.currency
),
item_diff AS (
    SELECT 'item_differs', invoice_id, platform_invoice_id, 'debit', item_id, item_id, c.col, c.l, c.p,
           currency, c.pd - c.ld
    FROM item_cols WHERE c.l IS DISTINCT FROM c.p AND list_contains($item_columns, c.col)
),
-- credit items, by the debit item they credit (a credit's item numbers are its own on
-- each side) ----------------------------------------------------------------------------
l_credited AS (
    SELECT it.invoice_id, i.currency, it.credited_item_id, string_agg(it.item_id, ' ' ORDER BY it.item_id) AS ids,
           sum(it.quantity) AS quantity, sum(it.amount) AS amount
    FROM invoice_items it JOIN invoices i USING (invoice_id)
    WHERE i.type = 'credit' AND it.invoice_id IN (SELECT invoice_id FROM both_sides)
    GROUP BY ALL
),
p_credited AS (
    SELECT k.invoice_id, it.invoice_id AS platform_invoice_id, i.currency, it.credited_item_id,
           string_agg(it.item_id, ' ' ORDER BY it.item_id) AS ids,
           sum(it.quantity) AS quantity, sum(it.amount) AS amount
    FROM p_invoice_items it JOIN p_invoices i USING (invoice_id) JOIN cmp_key k ON k.platform_id = it.invoice_id
    WHERE i.type = 'credit' AND k.invoice_id IN (SELECT invoice_id FROM both_sides)
    GROUP BY ALL
),
credited AS (
    SELECT l.invoice_id AS l_inv, p.invoice_id AS p_key, p.platform_invoice_id, l.ids AS l_ids, p.ids AS p_ids,
           coalesce(l.currency, p.currency) AS currency, coalesce(l.credited_item_id, p.credited_item_id) AS credited,
           l.quantity AS lq, p.quantity AS pq, l.amount AS la, p.amount AS pa
    FROM l_credited l FULL JOIN p_credited p USING (invoice_id, credited_item_id)
),
credited_diff AS (
    SELECT CASE WHEN c.l_ids IS NULL THEN 'item_only_in_platform' WHEN c.p_ids IS NULL THEN 'item_only_in_ledger'
                ELSE 'item_differs' END,
           coalesce(c.l_inv, c.p_key), coalesce(c.platform_invoice_id, k.platform_id), 'credit', c.l_ids, c.p_ids,
           x.col, x.l, x.p, c.currency, x.pd - x.ld
    FROM credited c
    LEFT JOIN cmp_key k ON k.invoice_id = c.l_inv
    LEFT JOIN dig d ON d.currency = c.currency,
    LATERAL (SELECT unnest([
        struct_pack(col := 'quantity', l := number_text(c.lq), p := number_text(c.pq),
                    ld := NULL::DECIMAL(18,3), pd := NULL::DECIMAL(18,3)),
        struct_pack(col := 'amount', l := amount_text(c.la, d.digits), p := amount_text(c.pa, d.digits),
                    ld := coalesce(c.la, 0), pd := coalesce(c.pa, 0))
    ]) AS x) AS u(x)
    WHERE x.l IS DISTINCT FROM x.p AND (x.col = 'amount' OR (c.l_ids IS NOT NULL AND c.p_ids IS NOT NULL))
),
-- links: the amount each credit applies to each debit, active links only -------------------
l_links AS (
    SELECT credit_invoice_id, debit_invoice_id, sum(amount) AS amount FROM invoice_links
    WHERE unlinked_on IS NULL GROUP BY ALL
),
p_links AS (
    SELECT kc.invoice_id AS credit_invoice_id, kd.invoice_id AS debit_invoice_id,
           any_value(l.credit_invoice_id) AS p_credit, any_value(l.debit_invoice_id) AS p_debit,
           sum(l.amount) AS amount
    FROM p_invoice_links l JOIN cmp_key kc ON kc.platform_id = l.credit_invoice_id
    JOIN cmp_key kd ON kd.platform_id = l.debit_invoice_id
    WHERE l.unlinked_on IS NULL GROUP BY ALL
),
link_diff AS (
    SELECT CASE WHEN l.amount IS NULL THEN 'link_only_in_platform' WHEN p.amount IS NULL THEN 'link_only_in_ledger'
                ELSE 'link_differs' END,
           CASE WHEN l.amount IS NOT NULL OR lc.invoice_id IS NOT NULL THEN credit_invoice_id END,
           coalesce(p.p_credit, kc.platform_id), 'credit',
           CASE WHEN l.amount IS NOT NULL OR ld.invoice_id IS NOT NULL THEN debit_invoice_id END,
           coalesce(p.p_debit, kd.platform_id), 'amount',
           amount_text(l.amount, d.digits), amount_text(p.amount, d.digits), coalesce(lc.currency, pc.currency),
           coalesce(p.amount, 0) - coalesce(l.amount, 0)
    FROM l_links l FULL JOIN p_links p USING (credit_invoice_id, debit_invoice_id)
    LEFT JOIN invoices lc ON lc.invoice_id = credit_invoice_id
    LEFT JOIN invoices ld ON ld.invoice_id = debit_invoice_id
    LEFT JOIN cmp_key kc ON kc.invoice_id = credit_invoice_id
    LEFT JOIN cmp_key kd ON kd.invoice_id = debit_invoice_id
    LEFT JOIN p_invoices pc ON pc.invoice_id = coalesce(p.p_credit, kc.platform_id)
    LEFT JOIN dig d ON d.currency = coalesce(lc.currency, pc.currency)
    WHERE l.amount IS DISTINCT FROM p.amount
),
-- payments and refunds, by their ids ---------------------------------------------------------
l_pay AS (
    SELECT p.*, i.currency FROM payments p JOIN invoices i USING (invoice_id)
    WHERE p.invoice_id IN (SELECT invoice_id FROM both_sides)
),
p_pay AS (
    SELECT p.*, k.invoice_id AS key, i.currency FROM p_payments p JOIN p_invoices i USING (invoice_id)
    JOIN cmp_key k ON k.platform_id = p.invoice_id WHERE k.invoice_id IN (SELECT invoice_id FROM both_sides)
),
pay_diff AS (
    SELECT CASE WHEN l.payment_id IS NULL THEN 'payment_only_in_platform'
                WHEN p.payment_id IS NULL THEN 'payment_only_in_ledger' ELSE 'payment_differs' END,
           coalesce(l.invoice_id, p.key), coalesce(p.invoice_id, k.platform_id), 'debit',
           l.payment_id, p.payment_id, x.col, x.l, x.p, coalesce(l.currency, p.currency), x.pd - x.ld
    FROM l_pay l FULL JOIN p_pay p USING (payment_id)
    LEFT JOIN cmp_key k ON k.invoice_id = l.invoice_id
    LEFT JOIN dig d ON d.currency = coalesce(l.currency, p.currency),
    LATERAL (SELECT unnest([
        struct_pack(col := 'amount', l := amount_text(l.amount, d.digits), p := amount_text(p.amount, d.digits),
                    ld := coalesce(l.amount, 0), pd := coalesce(p.amount, 0)),
        struct_pack(col := 'invoice_id', l := l.invoice_id, p := p.key, ld := NULL, pd := NULL),
        struct_pack(col := 'paid_on', l := l.paid_on::VARCHAR, p := p.paid_on::VARCHAR, ld := NULL, pd := NULL)
    ]) AS x) AS u(x)
    WHERE x.l IS DISTINCT FROM x.p
      AND (x.col = 'amount' OR (l.payment_id IS NOT NULL AND p.payment_id IS NOT NULL))
      AND list_contains($payment_columns, x.col)
),
l_ref AS (
    SELECT r.*, i.currency FROM refunds r JOIN invoices i ON i.invoice_id = r.credit_invoice_id
    WHERE r.credit_invoice_id IN (SELECT invoice_id FROM both_sides)
),
p_ref AS (
    SELECT r.*, k.invoice_id AS key, i.currency FROM p_refunds r JOIN p_invoices i ON i.invoice_id = r.credit_invoice_id
    JOIN cmp_key k ON k.platform_id = r.credit_invoice_id WHERE k.invoice_id IN (SELECT invoice_id FROM both_sides)
),
ref_diff AS (
    SELECT CASE WHEN l.refund_id IS NULL THEN 'refund_only_in_platform'
                WHEN p.refund_id IS NULL THEN 'refund_only_in_ledger' ELSE 'refund_differs' END,
           coalesce(l.credit_invoice_id, p.key), coalesce(p.credit_invoice_id, k.platform_id), 'credit',
           l.refund_id, p.refund_id, x.col, x.l, x.p, coalesce(l.currency, p.currency), x.pd - x.ld
    FROM l_ref l FULL JOIN p_ref p USING (refund_id)
    LEFT JOIN cmp_key k ON k.invoice_id = l.credit_invoice_id
    LEFT JOIN dig d ON d.currency = coalesce(l.currency, p.currency),
    LATERAL (SELECT unnest([
        struct_pack(col := 'amount', l := amount_text(l.amount, d.digits), p := amount_text(p.amount, d.digits),
                    ld := coalesce(l.amount, 0), pd := coalesce(p.amount, 0)),
        struct_pack(col := 'credit_invoice_id', l := l.credit_invoice_id, p := p.key, ld := NULL, pd := NULL),
        struct_pack(col := 'refunded_on', l := l.refunded_on::VARCHAR, p := p.refunded_on::VARCHAR,
                    ld := NULL, pd := NULL)
    ]) AS x) AS u(x)
    WHERE x.l IS DISTINCT FROM x.p
      AND (x.col = 'amount' OR (l.refund_id IS NOT NULL AND p.refund_id IS NOT NULL))
)
SELECT kind, invoice_id, platform_invoice_id, type, id, platform_id, col AS "column",
       ledger_value, platform_value, currency, difference::DECIMAL(18,3) AS difference
FROM (
    SELECT * FROM inv_one UNION ALL SELECT * FROM inv_diff UNION ALL SELECT * FROM item_one
    UNION ALL SELECT * FROM item_diff UNION ALL SELECT * FROM credited_diff UNION ALL SELECT * FROM link_diff
    UNION ALL SELECT * FROM pay_diff UNION ALL SELECT * FROM ref_diff
) AS all_differences (kind, invoice_id, platform_invoice_id, type, id, platform_id, col,
                      ledger_value, platform_value, currency, difference)
