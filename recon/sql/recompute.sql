-- Rewrite the derived columns (derived.sql) of the invoices in temp table `touched`, or
-- of every invoice when $everything. The one place where total, unpaid_amount and
-- status are written.
UPDATE invoices AS i
SET total = d.total, unpaid_amount = d.unpaid_amount, status = d.status
FROM (
    SELECT * FROM ({derived}) AS derived
    WHERE $everything OR invoice_id IN (SELECT invoice_id FROM touched)
) AS d
WHERE i.invoice_id = d.invoice_id
  AND (i.total <> d.total OR i.unpaid_amount <> d.unpaid_amount OR i.status <> d.status)
