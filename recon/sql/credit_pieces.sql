-- The credit pieces, set-based. Each request expands to the debit items it credits (a
-- whole-invoice request to every item): a *slot*. A piece is "after − before" on its
-- item (SPEC §3, cumulative rounding; recon/amounts.py for amounts and percentages):
--   a quantity brings the credited quantity to c: net after = round_half_up(N × c / Q),
--     tax after = round_half_up(T × c / Q);
--   an amount (a percentage: round_half_up(N × p / 100), capped at the net left) brings
--     the net to net before + amount: tax after = round_half_up(T × net after / N);
--   a prorated request (a cancellation: unused_days u of period_days P) adds
--     cancelled quantity × u / P to c exactly in the target; its piece carries that
--     quantity rounded half-up to 6 decimals (see recon/cancellations.py for why).
-- "Before" is what non-void credits already hold (turn 1) or, for an item asked again
-- in the same run (rare), the piece of its turn before: credits.py runs
-- credit_piece_turn.sql once for turn 1 over every slot, then once per further turn
-- over the few slots that have one. Arithmetic is in integers (macros.sql).
CREATE OR REPLACE TEMP VIEW asked AS
-- a request as the pieces see it; item requests carry their item (credit_stage.sql)
SELECT req_no, src_row, credit_key, debit_invoice_id, currency, step_milli, debit_unpaid,
       item_id IS NULL AS whole_invoice, quantity AS asked,
       amount AS asked_amount, percent AS asked_percent, coalesce(gross, false) AS gross,
       period_start AS asked_period_start, period_end AS asked_period_end,
       period_days IS NOT NULL AS prorated, cancelled_on,
       coalesce(unused_days, 1) AS u, coalesce(period_days, 1) AS pd,
       item_id, item_line_no AS debit_line_no, item_description AS description,
       item_product_code AS product_code, item_quantity AS q_orig,
       item_unit_price AS unit_price, item_tax_rate AS tax_rate, item_net AS n_orig, item_tax AS t_orig,
       item_period_start, item_period_end
FROM req WHERE is_debit;
-- What non-void credits already took from each item asked for (void credits are few: an
-- anti-join on them, not a join of every credit item with its invoice), in millionths
-- and thousandths as the turns use them.
CREATE OR REPLACE TEMP TABLE prior AS
SELECT item_id, micro(q) AS c, milli(net) AS n, milli(tax) AS t
FROM (
    SELECT ci.credited_item_id AS item_id, sum(ci.quantity) AS q, sum(ci.net_amount) AS net,
           sum(ci.tax_amount) AS tax
    FROM invoice_items ci
    WHERE ci.credited_item_id IS NOT NULL
      AND ci.invoice_id NOT IN (SELECT invoice_id FROM invoices WHERE voided_on IS NOT NULL)
      AND ci.credited_item_id IN (
          SELECT item_id FROM req WHERE item_id IS NOT NULL
          UNION ALL
          SELECT d.item_id FROM invoice_items d
          WHERE d.invoice_id IN (SELECT debit_invoice_id FROM req WHERE item_id IS NULL))
    GROUP BY ci.credited_item_id
);
