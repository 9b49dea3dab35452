-- Turn 1 of every item: the requests that are their item's only one in the run, the
-- whole-invoice requests expanded to their items, and the first turn of walked items.
-- credits.py leaves out a branch the run has no rows for ("-- only with:", sql.pruned):
-- DuckDB plans every branch of the view in the statement that reads it, ~7 ms of a
-- one-item credit's pieces for the two that find nothing.
CREATE OR REPLACE TEMP VIEW slot AS
SELECT a.*, 1::BIGINT AS nth
FROM asked a
WHERE NOT a.whole_invoice AND a.debit_invoice_id NOT IN (SELECT debit_invoice_id FROM walk_invoice)
UNION ALL BY NAME
-- only with: whole_invoice
SELECT a.* REPLACE (d.item_id AS item_id, d.line_no AS debit_line_no, d.description AS description,
                    d.product_code AS product_code,
                    d.quantity AS q_orig, d.unit_price AS unit_price, d.tax_rate AS tax_rate,
                    d.net_amount AS n_orig, d.tax_amount AS t_orig,
                    d.period_start AS item_period_start, d.period_end AS item_period_end),
       1::BIGINT AS nth
FROM asked a JOIN invoice_items d ON d.invoice_id = a.debit_invoice_id
WHERE a.whole_invoice AND a.debit_invoice_id NOT IN (SELECT debit_invoice_id FROM walk_invoice)
UNION ALL BY NAME
-- only with: walked
SELECT * FROM walk_slot WHERE nth = 1
