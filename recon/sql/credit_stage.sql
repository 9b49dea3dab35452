-- Credit requests (req_in_data, one row per asked credit; req_in is the same with every
-- column) with what the ledger knows of their debit invoice and item. An item request
-- carries its item's figures, so the pieces need not join the items again.
-- req_in_data leaves out the optional columns a run has empty (a bulk file rarely
-- prorates or adds to a credit): the view `req` names them as NULL instead of this wide
-- table holding a million empty cells each (credits.py, _stage).
CREATE OR REPLACE TEMP TABLE req_data AS
SELECT
    r.*,
    -- the debit's type and status as flags: a text column costs a million string
    -- copies in this wide table, a flag next to nothing
    d.invoice_id IS NOT NULL AS debit_known,
    d.type = 'debit' AS is_debit,
    d.status = 'void' AS debit_void,
    d.status = 'paid' AS debit_paid,
    d.account_id,
    d.currency,
    d.invoice_date AS debit_date,
    d.unpaid_amount AS debit_unpaid,
    it.item_id IS NOT NULL AS item_known,
    -- the invoice an item belongs to, kept only when it is not the request's debit
    CASE WHEN it.invoice_id <> r.debit_invoice_id THEN it.invoice_id END AS item_elsewhere,
    it.line_no AS item_line_no,
    it.description AS item_description,
    -- a credit item carries its debit item's product code (recon match finds items by it)
    it.product_code AS item_product_code,
    it.quantity AS item_quantity,
    it.unit_price AS item_unit_price,
    it.tax_rate AS item_tax_rate,
    it.net_amount AS item_net,
    it.tax_amount AS item_tax,
    it.period_start AS item_period_start,
    it.period_end AS item_period_end,
    cur.step_milli,
    -- requests for the same (debit, item) share this; see req_twice
    hash(r.debit_invoice_id, r.item_id) AS pair_hash
FROM req_in_data r
LEFT JOIN invoices d ON d.invoice_id = r.debit_invoice_id
LEFT JOIN invoice_items it ON it.item_id = r.item_id
LEFT JOIN currencies cur ON cur.currency = d.currency;
-- (a table for a few requests: each mention of a view is bound again, and the checks
-- mention it some forty times; a bulk run's view spares a million NULL cells a column)
CREATE TEMP {req_kind} req AS SELECT * {empty_columns} FROM req_data;
-- The credit invoice each `into` request adds to (few rows, none in a bulk run, so kept
-- out of the wide table above).
CREATE OR REPLACE TEMP TABLE req_into AS
SELECT r.req_no,
       c.invoice_id IS NOT NULL AS into_known,
       c.type AS into_type,
       c.account_id AS into_account,
       c.currency AS into_currency,
       c.voided_on AS into_voided_on,
       c.invoice_date AS into_date
FROM req_in r LEFT JOIN invoices c ON c.invoice_id = r.into_credit_id
WHERE r.into_credit_id IS NOT NULL;
-- (debit, item) pairs asked more than once (an item twice, or a debit invoice's whole-
-- invoice request twice), by hash: a rare collision only adds a candidate. The duplicate-
-- row check and the pieces' ordered walk look at these rows only.
CREATE OR REPLACE TEMP TABLE req_twice AS
SELECT pair_hash FROM req GROUP BY pair_hash HAVING count(*) > 1;
-- Debit invoices whose pieces must walk their requests in order (SPEC §3, cumulative
-- rounding): a pair asked twice, or a whole-invoice request beside any other request.
-- Every other request is its item's only one in the run.
CREATE OR REPLACE TEMP TABLE walk_invoice AS
SELECT debit_invoice_id FROM req WHERE pair_hash IN (SELECT pair_hash FROM req_twice)
UNION
SELECT debit_invoice_id FROM req
WHERE debit_invoice_id IN (SELECT debit_invoice_id FROM req WHERE item_id IS NULL)
GROUP BY debit_invoice_id HAVING count(*) > 1;
-- What a credit key's requests say about its header beyond the core below: credit date,
-- memo, the credit invoice it adds to, its own number. A bulk file often leaves these columns empty
-- (the view `req` then names them as NULL, so the WHERE is false and this is empty);
-- aggregating a million empty cells would cost as much as the rest of key_agg.
CREATE OR REPLACE TEMP TABLE key_extra AS
SELECT credit_key,
       min(credit_date) AS credit_date, max(credit_date) AS max_credit_date,
       arg_min(memo, req_no) FILTER (WHERE memo IS NOT NULL) AS memo,
       min(into_credit_id) AS into_credit_id,
       -- the platform's own number for the credit, if the file gives one
       min(credit_invoice_id) AS given_id, max(credit_invoice_id) AS max_given_id
FROM req
WHERE credit_date IS NOT NULL OR memo IS NOT NULL OR into_credit_id IS NOT NULL
   OR credit_invoice_id IS NOT NULL
GROUP BY credit_key;
-- One row per credit key (the credit invoice it becomes): what the group checks and the
-- credit headers need, in one pass over the requests. `dense`: every request names an
-- item and the key's requests are consecutive, so its lines are simply req_no order
-- (credit_write.sql numbers them without a window).
CREATE OR REPLACE TEMP TABLE key_agg AS
SELECT k.*, x.* EXCLUDE (credit_key)
FROM (
    SELECT credit_key,
           min(req_no) AS first_req,
           count(*) = max(req_no) - min(req_no) + 1 AND bool_and(item_id IS NOT NULL) AS dense,
           count(*) AS requests,
           -- (rows of unknown debits count here too; the checks refuse them anyway, and
           -- group_dates itself looks at known debits only)
           min(currency) AS currency, max(currency) AS max_currency,
           min(account_id) AS account_id, max(account_id) AS max_account,
           arg_min(reason, req_no) FILTER (WHERE reason IS NOT NULL) AS reason
    FROM req GROUP BY credit_key
) k
LEFT JOIN key_extra x USING (credit_key)
