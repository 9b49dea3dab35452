-- Write the planned credits: number new credit invoices, insert headers, items and
-- links, and mark every invoice touched for the recompute.
CREATE OR REPLACE TEMP TABLE credit_head AS
WITH numbered AS (
    -- new credit invoices are numbered in the order of their first request (only the
    -- two columns go through the sort); one whose number the file gives keeps it
    SELECT credit_key, row_number() OVER (ORDER BY first_req) AS n
    FROM key_agg WHERE into_credit_id IS NULL AND given_id IS NULL
),
base AS (
    -- numbers of our own form that the file gives are never handed out again
    SELECT greatest((SELECT last_no FROM numbering WHERE prefix = 'CN'), coalesce(max(TRY_CAST(
               regexp_extract(given_id, '^CN-[0-9]{4}-([0-9]+)$', 1) AS BIGINT)), 0)) AS last_no
    FROM key_agg WHERE given_id IS NOT NULL
),
named AS (
    SELECT k.*, n.n, coalesce(k.credit_date, $today) AS invoice_date, c.invoice_date AS into_date
    FROM key_agg k LEFT JOIN numbered n USING (credit_key)
    LEFT JOIN (SELECT invoice_id, invoice_date FROM invoices
               WHERE invoice_id IN (SELECT into_credit_id FROM key_agg)) c ON c.invoice_id = k.into_credit_id
)
SELECT h.credit_key, h.first_req, h.dense, h.requests, h.account_id, h.currency, h.invoice_date,
       h.reason, h.memo, h.into_credit_id IS NULL AS is_new, h.n IS NOT NULL AS numbered,
       -- items added to an existing credit take effect, and link, on the day they are
       -- added (credit_checks.sql refuses a day before the credit invoice's own)
       h.invoice_date AS link_date,
       coalesce(h.into_credit_id, h.given_id,
                'CN-' || year(h.invoice_date)::VARCHAR || '-'
                -- printf widens past 999999 (lpad would cut the number and repeat an id)
                || printf('%06d', (SELECT last_no FROM base) + h.n)
       ) AS credit_invoice_id,
       -- new lines go after the lines an existing credit invoice already has
       coalesce(x.last_line, 0) AS line_offset
FROM named h
LEFT JOIN (
    SELECT invoice_id, max(line_no) AS last_line FROM invoice_items
    WHERE invoice_id IN (SELECT into_credit_id FROM key_agg) GROUP BY invoice_id
) x ON x.invoice_id = h.into_credit_id;
UPDATE numbering SET last_no = greatest(last_no, coalesce((SELECT max(TRY_CAST(
        regexp_extract(credit_invoice_id, '^CN-[0-9]{4}-([0-9]+)$', 1) AS BIGINT))
        FROM credit_head WHERE is_new AND NOT numbered), 0))
    + (SELECT count(*) FROM credit_head WHERE numbered)
WHERE prefix = 'CN';
-- Invoice ids are unique without a key (schema.sql): a new number the ledger already has
-- is refused by credits.py before anything is kept. New numbers lie between the first
-- and the last, so only the existing ids in that range are compared.
CREATE OR REPLACE TEMP TABLE credit_number_clash AS
WITH span AS (
    SELECT min(credit_invoice_id) AS lo, max(credit_invoice_id) AS hi FROM credit_head WHERE numbered
)
SELECT i.invoice_id
FROM invoices i JOIN credit_head h ON h.credit_invoice_id = i.invoice_id AND h.numbered
CROSS JOIN span
WHERE i.invoice_id BETWEEN span.lo AND span.hi
LIMIT 1;
INSERT INTO invoices BY NAME
SELECT credit_invoice_id AS invoice_id, account_id, 'credit' AS type, 'unpaid' AS status,
       invoice_date, currency, reason, memo, $origin AS origin, $batch_id AS batch_id,
       current_localtimestamp() AS created_at
FROM credit_head WHERE is_new;
-- Line numbers, in request order (then the debit's line order) within each credit key.
-- A dense key's piece is line req_no − first_req + 1 (credit_stage.sql), no window; only
-- the other keys' pieces (whole-invoice requests, interleaved groups) are numbered here.
CREATE OR REPLACE TEMP TABLE credit_line AS
SELECT p.rowid AS piece_row, p.credit_key,
       row_number() OVER (PARTITION BY p.credit_key ORDER BY p.req_no, p.debit_line_no) AS key_line
FROM piece p
WHERE p.quantity > 0 AND p.credit_key IN (SELECT credit_key FROM credit_head WHERE NOT dense);
-- How many lines each credit invoice gets: the new ones are line_offset + 1 .. + lines.
CREATE OR REPLACE TEMP TABLE credit_span AS
SELECT h.credit_invoice_id, h.credit_key, h.line_offset,
       CASE WHEN h.dense THEN h.requests ELSE coalesce(n.lines, 0) END AS lines
FROM credit_head h
LEFT JOIN (SELECT credit_key, count(*) AS lines FROM credit_line GROUP BY credit_key) n USING (credit_key);
-- Item ids are unique without a key (schema.sql): an id the ledger already has (an
-- imported item named like ours) is refused by credits.py before anything is kept.
CREATE OR REPLACE TEMP TABLE credit_clash AS
WITH span AS (
    SELECT min(credit_invoice_id) AS lo, max(credit_invoice_id || '-:') AS hi FROM credit_span
),
candidate AS (
    -- every new id is <credit>-<digits>, so lies between lo and hi (':' follows '9'):
    -- only the few existing ids in that range are compared
    SELECT e.item_id, e.invoice_id, regexp_extract(e.item_id, '^(.*)-([0-9]+)$', ['head', 'line']) AS id
    FROM invoice_items e, span WHERE e.item_id BETWEEN span.lo AND span.hi
)
SELECT c.item_id, c.invoice_id FROM candidate c
JOIN credit_span s ON s.credit_invoice_id = c.id.head
WHERE TRY_CAST(c.id.line AS BIGINT) BETWEEN s.line_offset + 1 AND s.line_offset + s.lines
  AND c.item_id = line_id(s.credit_invoice_id, TRY_CAST(c.id.line AS BIGINT))
LIMIT 1;
CREATE OR REPLACE TEMP VIEW credit_item AS
-- the run's credit items, as written to invoice_items (and shown in a run's result)
SELECT line_id(invoice_id, line_no) AS item_id, *
FROM (
    SELECT h.credit_invoice_id AS invoice_id,
           h.line_offset + CASE WHEN h.dense THEN p.req_no - h.first_req + 1 ELSE l.key_line END AS line_no,
           p.description, p.quantity, p.unit_price, p.tax_rate, p.net_amount, p.tax_amount, p.amount,
           p.period_start, p.period_end, p.item_id AS credited_item_id, p.cancelled_on, p.product_code,
           h.link_date AS added_on,
           p.cancelled_quantity,
           p.debit_invoice_id, p.currency
    FROM piece p JOIN credit_head h USING (credit_key)
    LEFT JOIN credit_line l ON l.piece_row = p.rowid
    WHERE p.quantity > 0
);
INSERT INTO invoice_items BY NAME
SELECT * EXCLUDE (debit_invoice_id, currency) FROM credit_item;
-- Link amount: what each request credits on its debit, capped at what the debit still
-- owes after the requests before it; the excess stays available on the credit.
CREATE OR REPLACE TEMP TABLE credit_link AS
WITH pair AS (
    -- what each credit invoice credits on each debit invoice
    SELECT credit_key, debit_invoice_id, any_value(debit_unpaid) AS unpaid, sum(amount) AS amount
    FROM piece WHERE quantity > 0 GROUP BY credit_key, debit_invoice_id
),
capped_debits AS (
    -- only a debit that this run credits beyond its unpaid amount, from more than one
    -- credit invoice, needs the running total; for every other debit each credit's
    -- link is simply min(its amount, unpaid)
    SELECT debit_invoice_id FROM pair GROUP BY debit_invoice_id
    HAVING sum(amount) > any_value(unpaid) AND count(*) > 1
),
per_req AS (
    SELECT credit_key, debit_invoice_id, req_no, any_value(debit_unpaid) AS unpaid, sum(amount) AS amount
    FROM piece WHERE quantity > 0 AND debit_invoice_id IN (SELECT debit_invoice_id FROM capped_debits)
    GROUP BY credit_key, debit_invoice_id, req_no
),
capped AS (
    SELECT *, sum(amount) OVER (PARTITION BY debit_invoice_id ORDER BY req_no) AS cum
    FROM per_req
),
amounts AS (
    SELECT credit_key, debit_invoice_id, sum(least(unpaid, cum) - least(unpaid, cum - amount)) AS amount
    FROM capped GROUP BY credit_key, debit_invoice_id
    UNION ALL
    SELECT credit_key, debit_invoice_id, least(unpaid, amount) AS amount
    FROM pair WHERE debit_invoice_id NOT IN (SELECT debit_invoice_id FROM capped_debits)
)
SELECT h.credit_invoice_id, a.debit_invoice_id, a.amount::DECIMAL(18,3) AS amount, h.link_date AS linked_on
FROM amounts a JOIN credit_head h USING (credit_key);
INSERT INTO invoice_links BY NAME
SELECT (SELECT coalesce(max(link_id), 0) FROM invoice_links)
       -- in a fixed order, so identical runs give identical link ids
       + row_number() OVER (ORDER BY credit_invoice_id, debit_invoice_id) AS link_id,
       credit_invoice_id, debit_invoice_id, amount, linked_on
FROM credit_link WHERE amount > 0;
-- the debit invoices credited, as they stand before the recompute (for the run's result)
CREATE OR REPLACE TEMP TABLE debit_before AS
SELECT invoice_id, status AS status_before, unpaid_amount AS unpaid_before FROM invoices
WHERE invoice_id IN (SELECT debit_invoice_id FROM credit_link);
-- every credit invoice written and every debit invoice it credits
INSERT INTO touched
SELECT credit_invoice_id FROM credit_head UNION ALL SELECT debit_invoice_id FROM credit_link
