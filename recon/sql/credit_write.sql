-- Write the planned credits: number new credit invoices, insert headers, items and
-- links, and mark every invoice touched for the recompute.
CREATE OR REPLACE TEMP TABLE credit_head AS
WITH heads AS (
    SELECT credit_key,
           min(req_no) AS first_req,
           arg_min(account_id, req_no) AS account_id,
           arg_min(currency, req_no) AS currency,
           coalesce(min(credit_date), $today) AS invoice_date,
           arg_min(reason, req_no) FILTER (WHERE reason IS NOT NULL) AS reason,
           arg_min(memo, req_no) FILTER (WHERE memo IS NOT NULL) AS memo,
           arg_min(origin, req_no) AS origin,
           arg_min(into_credit_id, req_no) AS into_credit_id,
           arg_min(into_date, req_no) AS into_date
    FROM req GROUP BY credit_key
),
numbered AS (
    SELECT *, row_number() OVER (PARTITION BY into_credit_id IS NULL ORDER BY first_req) AS n
    FROM heads
)
SELECT credit_key, first_req, account_id, currency, invoice_date, reason, memo, origin,
       into_credit_id IS NULL AS is_new,
       -- items added to an existing credit link from the day they are added
       CASE WHEN into_credit_id IS NULL THEN invoice_date ELSE greatest(into_date, invoice_date) END AS link_date,
       coalesce(into_credit_id,
                'CN-' || year(invoice_date)::VARCHAR || '-'
                -- printf widens past 999999 (lpad would cut the number and repeat an id)
                || printf('%06d', (SELECT last_no FROM numbering WHERE prefix = 'CN') + n)
       ) AS credit_invoice_id
FROM numbered;
UPDATE numbering SET last_no = last_no + (SELECT count(*) FROM credit_head WHERE is_new)
WHERE prefix = 'CN';
INSERT INTO invoices BY NAME
SELECT credit_invoice_id AS invoice_id, account_id, 'credit' AS type, 'unpaid' AS status,
       invoice_date, currency, reason, memo, origin, $batch_id AS batch_id,
       current_localtimestamp() AS created_at
FROM credit_head WHERE is_new;
-- Line numbers: which piece becomes which line of which credit invoice. Only these
-- columns go through the window (sorting the whole piece along was most of its cost);
-- the inserts and results join the piece back by its rowid.
CREATE OR REPLACE TEMP TABLE credit_line AS
SELECT p.rowid AS piece_row, h.credit_invoice_id,
       -- new lines go after the lines an existing credit invoice already has
       coalesce(x.last_line, 0)
         + row_number() OVER (PARTITION BY h.first_req ORDER BY p.req_no, p.debit_line_no) AS line_no
FROM piece p JOIN credit_head h USING (credit_key)
LEFT JOIN (
    SELECT invoice_id AS credit_invoice_id, max(line_no) AS last_line FROM invoice_items
    WHERE invoice_id IN (SELECT credit_invoice_id FROM credit_head WHERE NOT is_new)
    GROUP BY invoice_id
) x USING (credit_invoice_id)
WHERE p.quantity > 0;
-- Item ids are unique without a key (schema.sql): an id the ledger already has (an
-- imported item named like ours) is refused by credits.py before anything is kept.
CREATE OR REPLACE TEMP TABLE credit_clash AS
WITH span AS (
    SELECT min(credit_invoice_id) AS lo, max(credit_invoice_id || '-:') AS hi FROM credit_head
),
candidate AS (
    -- every new id is <credit>-<digits>, so lies between lo and hi (':' follows '9'):
    -- only the few existing ids in that range are compared
    SELECT e.item_id, e.invoice_id, regexp_extract(e.item_id, '^(.*)-[0-9]+$', 1) AS head
    FROM invoice_items e, span WHERE e.item_id BETWEEN span.lo AND span.hi
)
SELECT c.item_id, c.invoice_id FROM candidate c
JOIN credit_line l ON l.credit_invoice_id = c.head
WHERE c.item_id = line_id(l.credit_invoice_id, l.line_no)
LIMIT 1;
INSERT INTO invoice_items BY NAME
SELECT line_id(l.credit_invoice_id, l.line_no) AS item_id,
       l.credit_invoice_id AS invoice_id, l.line_no, p.description, p.quantity, p.unit_price, p.tax_rate,
       p.net_amount, p.tax_amount, p.amount, p.period_start, p.period_end, p.item_id AS credited_item_id,
       p.cancelled_on
FROM credit_line l JOIN piece p ON p.rowid = l.piece_row;
-- Link amount: what each request credits on its debit, capped at what the debit still
-- owes after the requests before it; the excess stays available on the credit.
CREATE OR REPLACE TEMP TABLE credit_link AS
WITH lines AS (
    SELECT h.credit_invoice_id, p.debit_invoice_id, p.debit_unpaid, p.amount, p.req_no
    FROM piece p JOIN credit_head h USING (credit_key) WHERE p.quantity > 0
),
per_debit AS (
    SELECT debit_invoice_id, any_value(debit_unpaid) AS unpaid, sum(amount) AS amount,
           count(DISTINCT credit_invoice_id) AS credits
    FROM lines GROUP BY debit_invoice_id
),
capped_debits AS (
    -- only a debit that this run credits beyond its unpaid amount, from more than one
    -- credit invoice, needs the running total; for every other debit each credit's
    -- link is simply min(its amount, unpaid)
    SELECT debit_invoice_id FROM per_debit WHERE amount > unpaid AND credits > 1
),
per_req AS (
    SELECT credit_invoice_id, debit_invoice_id, req_no, any_value(debit_unpaid) AS unpaid,
           sum(amount) AS amount
    FROM lines WHERE debit_invoice_id IN (SELECT debit_invoice_id FROM capped_debits)
    GROUP BY credit_invoice_id, debit_invoice_id, req_no
),
capped AS (
    SELECT *, sum(amount) OVER (PARTITION BY debit_invoice_id ORDER BY req_no) AS cum
    FROM per_req
),
amounts AS (
    SELECT credit_invoice_id, debit_invoice_id,
           sum(least(unpaid, cum) - least(unpaid, cum - amount)) AS amount
    FROM capped GROUP BY credit_invoice_id, debit_invoice_id
    UNION ALL
    SELECT credit_invoice_id, debit_invoice_id, least(any_value(debit_unpaid), sum(amount)) AS amount
    FROM lines WHERE debit_invoice_id NOT IN (SELECT debit_invoice_id FROM capped_debits)
    GROUP BY credit_invoice_id, debit_invoice_id
)
SELECT a.credit_invoice_id, a.debit_invoice_id, a.amount::DECIMAL(18,3) AS amount, h.link_date AS linked_on
FROM amounts a JOIN credit_head h USING (credit_invoice_id);
INSERT INTO invoice_links BY NAME
SELECT credit_invoice_id, debit_invoice_id, amount, linked_on FROM credit_link WHERE amount > 0
-- in a fixed order, so identical runs give identical link ids
ORDER BY credit_invoice_id, debit_invoice_id;
INSERT INTO touched
SELECT credit_invoice_id FROM credit_head UNION SELECT debit_invoice_id FROM piece WHERE quantity > 0
