-- Slots of the debit invoices whose requests must be walked in order (walk_invoice,
-- credit_stage.sql): each item's requests numbered in run order, its turns.
CREATE OR REPLACE TEMP TABLE walk_slot AS
SELECT e.*, row_number() OVER (PARTITION BY e.item_id ORDER BY e.req_no) AS nth
FROM (
    SELECT a.* REPLACE (d.item_id AS item_id, d.line_no AS debit_line_no, d.description AS description,
                        d.product_code AS product_code,
                        d.quantity AS q_orig, d.unit_price AS unit_price, d.tax_rate AS tax_rate,
                        d.net_amount AS n_orig, d.tax_amount AS t_orig,
                        d.period_start AS item_period_start, d.period_end AS item_period_end)
    FROM asked a JOIN invoice_items d
      ON d.invoice_id = a.debit_invoice_id AND (a.item_id IS NULL OR d.item_id = a.item_id)
    WHERE a.debit_invoice_id IN (SELECT debit_invoice_id FROM walk_invoice)
) e;
