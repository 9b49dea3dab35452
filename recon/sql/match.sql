-- `recon match` (match.py): credit lines that name an account, a product code, a
-- quantity or a net amount and a date, but not the debit item they reverse (a
-- retailer's cancellation lines), matched to the account's earlier debit items of that
-- product, oldest first, up to what is still creditable. Staged lines: m_lines (_row,
-- credit_number, account_id, product_code, quantity, amount, credit_date, currency,
-- reason, memo). $allow_paid: items of paid debits may be credited too.
--
-- The allocation is set-based, as apply_credits.sql lays credits against debits: per
-- pool (account, currency, product) the creditable items are laid end to end, oldest
-- first (running sums: item k covers [hi − left, hi)), and so are the lines, in date
-- order. A line may only use items invoiced on or before its date: with L_r the
-- capacity of those items and S_r the lines' running sum, the greedy "each line takes
-- the oldest units left, up to L_r" ends line r at
--     E_r = min(E_(r−1) + asked_r, L_r) = S_r + min(0, min over k ≤ r of (L_k − S_k))
-- (a running minimum, no loop); line r takes [E_(r−1), E_r) and its pieces are that
-- stretch's overlap with the items'. Quantity lines go first, in units; amount lines
-- then take net amounts from what is left of each item's net after them (the credit
-- engine's cumulative rounding: round_half_up(N × c / Q) credited after a quantity c).
--
-- What each line's currency is: the line's own, else the one the account bills the
-- product in (several: the line cannot be matched without one).
CREATE OR REPLACE TEMP TABLE m_item AS
WITH credited AS (
    SELECT ci.credited_item_id AS item_id, sum(ci.quantity) AS q, sum(ci.net_amount) AS net
    FROM invoice_items ci
    WHERE ci.credited_item_id IS NOT NULL
      AND ci.invoice_id NOT IN (SELECT invoice_id FROM invoices WHERE voided_on IS NOT NULL)
    GROUP BY ci.credited_item_id
)
SELECT it.item_id, it.invoice_id, it.line_no, it.product_code, i.account_id, i.currency, i.invoice_date,
       i.status = 'paid' AS paid, it.quantity, it.net_amount, cur.step_milli,
       it.quantity - coalesce(c.q, 0) AS q_left, it.net_amount - coalesce(c.net, 0) AS net_left
FROM invoice_items it JOIN invoices i USING (invoice_id)
JOIN currencies cur ON cur.currency = i.currency
LEFT JOIN credited c ON c.item_id = it.item_id
WHERE i.type = 'debit' AND i.voided_on IS NULL AND it.product_code IS NOT NULL
  AND EXISTS (SELECT 1 FROM m_lines l WHERE l.account_id = i.account_id AND l.product_code = it.product_code);
CREATE OR REPLACE TEMP TABLE m_line AS
WITH billed AS (
    SELECT account_id, product_code, min(currency) AS currency, count(DISTINCT currency) AS currencies
    FROM m_item GROUP BY ALL
),
numbers AS (
    -- one credit invoice per credit number: one account and currency
    SELECT credit_number, count(DISTINCT account_id || ' ' || coalesce(currency, '')) AS owners
    FROM m_lines GROUP BY ALL
)
SELECT l.*, coalesce(l.currency, b.currency) AS cur,
       CASE WHEN l.credit_number IN (SELECT invoice_id FROM invoices) THEN 'already_in_ledger'
            WHEN n.owners > 1 THEN 'mixed_credit_number'
            WHEN l.currency IS NULL AND b.currencies > 1 THEN 'several_currencies' END AS refused
FROM m_lines l LEFT JOIN billed b USING (account_id, product_code) JOIN numbers n USING (credit_number);
-- pass 1: quantity lines, in units ---------------------------------------------------------
CREATE OR REPLACE TEMP TABLE m_cand AS
SELECT *, sum(q_left) OVER (PARTITION BY account_id, currency, product_code
                            ORDER BY invoice_date, invoice_id, line_no ROWS UNBOUNDED PRECEDING) AS hi
FROM m_item WHERE q_left > 0 AND net_left > 0 AND ($allow_paid OR NOT paid);
CREATE OR REPLACE TEMP TABLE m_take AS
WITH req AS (
    SELECT _row, account_id, cur AS currency, product_code, credit_date, quantity AS asked,
           sum(quantity) OVER w AS s
    FROM m_line WHERE refused IS NULL AND quantity IS NOT NULL
    WINDOW w AS (PARTITION BY account_id, cur, product_code ORDER BY credit_date, credit_number, _row
                 ROWS UNBOUNDED PRECEDING)
),
by_day AS (  -- the capacity of the items invoiced up to each day
    SELECT account_id, currency, product_code, invoice_date, max(hi) AS cap FROM m_cand GROUP BY ALL
),
lim AS (
    SELECT r.*, coalesce(d.cap, 0) AS cap
    FROM req r ASOF LEFT JOIN by_day d
      ON d.account_id = r.account_id AND d.currency = r.currency AND d.product_code = r.product_code
     AND r.credit_date >= d.invoice_date
),
ends AS (
    SELECT *, s + least(0, min(cap - s) OVER w) AS e_hi
    FROM lim
    WINDOW w AS (PARTITION BY account_id, currency, product_code ORDER BY s, _row ROWS UNBOUNDED PRECEDING)
)
SELECT *, coalesce(lag(e_hi) OVER (PARTITION BY account_id, currency, product_code ORDER BY s, _row), 0) AS e_lo
FROM ends;
CREATE OR REPLACE TEMP TABLE m_piece AS
SELECT t._row, c.item_id, c.invoice_id, c.paid, c.invoice_date, c.line_no,
       (least(t.e_hi, c.hi) - greatest(t.e_lo, c.hi - c.q_left))::DECIMAL(18,6) AS quantity,
       NULL::DECIMAL(18,3) AS amount
FROM m_take t JOIN m_cand c
  ON c.account_id = t.account_id AND c.currency = t.currency AND c.product_code = t.product_code
 AND c.hi > t.e_lo AND c.hi - c.q_left < t.e_hi;
-- pass 2: amount lines, in net amounts left after pass 1 ---------------------------------------
CREATE OR REPLACE TEMP TABLE m_cand_net AS
WITH after AS (
    SELECT i.*, p.q AS q_taken,
           CASE WHEN p.q IS NULL THEN milli(i.net_left)
                ELSE milli(i.net_amount) - share_milli(milli(i.net_amount), micro(i.quantity - i.q_left + p.q),
                                                       micro(i.quantity), i.step_milli) END AS left_milli
    FROM m_item i LEFT JOIN (SELECT item_id, sum(quantity) AS q FROM m_piece GROUP BY ALL) p USING (item_id)
    WHERE i.q_left > coalesce(p.q, 0) AND ($allow_paid OR NOT i.paid)
)
SELECT *, from_milli(left_milli) AS left_net,
       sum(from_milli(left_milli)) OVER (PARTITION BY account_id, currency, product_code
                                         ORDER BY invoice_date, invoice_id, line_no ROWS UNBOUNDED PRECEDING) AS hi
FROM after WHERE left_milli > 0;
CREATE OR REPLACE TEMP TABLE m_take_net AS
WITH req AS (
    SELECT _row, account_id, cur AS currency, product_code, credit_date, amount AS asked,
           sum(amount) OVER w AS s
    FROM m_line WHERE refused IS NULL AND quantity IS NULL AND amount IS NOT NULL
    WINDOW w AS (PARTITION BY account_id, cur, product_code ORDER BY credit_date, credit_number, _row
                 ROWS UNBOUNDED PRECEDING)
),
by_day AS (
    SELECT account_id, currency, product_code, invoice_date, max(hi) AS cap FROM m_cand_net GROUP BY ALL
),
lim AS (
    SELECT r.*, coalesce(d.cap, 0) AS cap
    FROM req r ASOF LEFT JOIN by_day d
      ON d.account_id = r.account_id AND d.currency = r.currency AND d.product_code = r.product_code
     AND r.credit_date >= d.invoice_date
),
ends AS (
    SELECT *, s + least(0, min(cap - s) OVER w) AS e_hi
    FROM lim
    WINDOW w AS (PARTITION BY account_id, currency, product_code ORDER BY s, _row ROWS UNBOUNDED PRECEDING)
)
SELECT *, coalesce(lag(e_hi) OVER (PARTITION BY account_id, currency, product_code ORDER BY s, _row), 0) AS e_lo
FROM ends;
INSERT INTO m_piece
SELECT t._row, c.item_id, c.invoice_id, c.paid, c.invoice_date, c.line_no, NULL,
       (least(t.e_hi, c.hi) - greatest(t.e_lo, c.hi - c.left_net))::DECIMAL(18,3)
FROM m_take_net t JOIN m_cand_net c
  ON c.account_id = t.account_id AND c.currency = t.currency AND c.product_code = t.product_code
 AND c.hi > t.e_lo AND c.hi - c.left_net < t.e_hi;
-- what each line could not take, and why --------------------------------------------------------
CREATE OR REPLACE TEMP TABLE m_unmatched AS
WITH got AS (
    SELECT _row, sum(quantity) AS q, sum(amount) AS a FROM m_piece GROUP BY ALL
),
earlier AS (  -- the line's product invoiced to its account on or before its date, at all
    SELECT l._row, count(i.item_id) AS items,
           count(i.item_id) FILTER (i.paid AND i.q_left > 0 AND i.net_left > 0) AS paid_left
    FROM m_line l LEFT JOIN m_item i
      ON i.account_id = l.account_id AND i.currency = l.cur AND i.product_code = l.product_code
     AND i.invoice_date <= l.credit_date
    GROUP BY ALL
)
SELECT l._row,
       CASE WHEN l.quantity IS NOT NULL THEN l.quantity - coalesce(g.q, 0) END AS unmatched_quantity,
       CASE WHEN l.quantity IS NULL THEN l.amount - coalesce(g.a, 0) END AS unmatched_amount,
       coalesce(l.refused, CASE WHEN e.items = 0 THEN 'no_earlier_debit'
                                WHEN e.paid_left > 0 AND NOT $allow_paid THEN 'paid_debits'
                                ELSE 'beyond_invoiced' END) AS code
FROM m_line l LEFT JOIN got g USING (_row) JOIN earlier e USING (_row)
WHERE l.refused IS NOT NULL OR coalesce(l.quantity - coalesce(g.q, 0), l.amount - coalesce(g.a, 0)) > 0
