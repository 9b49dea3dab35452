-- Write checked refund requests (rf_req). A refund without an id gets the next number of
-- the one refund counter in `numbering`, like credit invoice numbers (credit_write.sql):
-- RF-<year of the refund>-<counter>, never reused.
INSERT INTO numbering VALUES ('RF', 0) ON CONFLICT DO NOTHING;
CREATE OR REPLACE TEMP TABLE rf_new AS
SELECT r.req_no, r.src_row, r.credit_invoice_id, r.amount, r.refunded_on, r.reference,
       coalesce(r.refund_id,
                'RF-' || year(r.refunded_on)::VARCHAR || '-'
                -- printf widens past 999999 (lpad would cut the number and repeat an id)
                || printf('%06d', (SELECT last_no FROM numbering WHERE prefix = 'RF')
                          + row_number() OVER (PARTITION BY r.refund_id IS NULL ORDER BY r.req_no))
       ) AS refund_id,
       r.refund_id IS NULL AS numbered
FROM rf_req r;
-- A new number the ledger (or this run) already has: the numbering table was set back
-- outside recon. refunds.py refuses the run before anything is kept.
CREATE OR REPLACE TEMP TABLE rf_clash AS
SELECT refund_id FROM rf_new
WHERE numbered AND (refund_id IN (SELECT refund_id FROM refunds)
                    OR refund_id IN (SELECT refund_id FROM rf_new WHERE NOT numbered))
LIMIT 1;
UPDATE numbering SET last_no = last_no + (SELECT count(*) FROM rf_new WHERE numbered)
WHERE prefix = 'RF';
INSERT INTO refunds BY NAME
SELECT refund_id, credit_invoice_id, amount, refunded_on, reference FROM rf_new
WHERE NOT EXISTS (SELECT 1 FROM rf_clash)
ORDER BY req_no;
INSERT INTO touched SELECT DISTINCT credit_invoice_id FROM rf_new
