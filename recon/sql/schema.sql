-- The ledger (SPEC §2). Facts are stored; total, unpaid_amount and status are derived
-- and rewritten only by recompute.sql. Money is DECIMAL(18,3): three decimals hold every
-- currency's minor unit exactly; each amount is rounded to its own currency's unit.
--
-- Keys and references (measured for `recon apply`, benchmarks/RESULTS.md): DuckDB keeps
-- every PRIMARY KEY, UNIQUE, FOREIGN KEY and CREATE INDEX as an ART index that each
-- insert updates and each checkpoint rewrites; on a 1M-item bulk run that was over half
-- of the wall time. So the three big tables have no index at all:
--   * invoices.invoice_id is unique without a PRIMARY KEY (0.06 s of a 1M-item run, for
--     200,000 new credit invoices): ids come either from an import (the text schema
--     refuses a repeated id, import_checks.sql an id already in the ledger) or from the
--     credit numbering (credit_write.sql refuses a number the ledger already has).
--     integrity.sql reports a repeated id (rule duplicate_invoice_id).
--   * invoice_items.item_id is unique without a PRIMARY KEY: ids come either from an
--     import (the text schema refuses a repeated id, import_checks.sql an id already in
--     the ledger) or from the credit engine (<credit invoice>-<line>, unique per credit
--     invoice; credit_write.sql refuses an id the ledger already has). integrity.sql
--     reports a repeated id (rule duplicate_item_id).
--   * invoice_links.link_id and audit_log.audit_id are the table's highest id + 1 (+ the
--     row's place in its statement), given explicitly by every insert: a DuckDB sequence
--     hands out numbers a rolled-back dry run never gives back, and an export must be
--     imported again with its ids as they were.
--   * References (items and payments to invoices, links to both sides, invoices to
--     currencies) are checked by the code that writes them (credit_checks.sql,
--     import_checks.sql, links.py) and reported by integrity.sql (rules *_orphan), not
--     by FOREIGN KEY clauses, which cost an index probe per inserted row.
-- Ledgers created before these changes keep their keys (CREATE ... IF NOT EXISTS); they
-- only make writes slower.
--
-- The id columns marked USING COMPRESSION zstd below are not stored as zstd by recon:
-- its engine disables zstd (db.py, _Engine), and that setting wins over the clause.
-- DuckDB then picks dictionary + FSST for them (pragma_storage_info of a 1M-item ledger
-- made by `recon init`, and after a 1M-row apply: every segment DICT_FSST). A later
-- measurement chose that: finding a few ids among 200k took 7.1 ms as zstd, 5.2 ms as
-- DICT_FSST, and the file is 11 % smaller (benchmarks/RESULTS.md). The clauses only
-- matter to a process that writes a ledger without recon's engine; they are left as
-- they were, since ledgers already made have them too.
CREATE TABLE IF NOT EXISTS meta (
    key VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS currencies (
    currency VARCHAR PRIMARY KEY,
    digits TINYINT NOT NULL CHECK (digits BETWEEN 0 AND 3),
    -- one minor unit in thousandths: EUR 10, JPY 1000, BHD 1
    step_milli INTEGER NOT NULL CHECK (step_milli IN (1, 10, 100, 1000))
);
CREATE TABLE IF NOT EXISTS invoices (
    invoice_id VARCHAR NOT NULL USING COMPRESSION zstd,  -- unique, see above
    account_id VARCHAR NOT NULL,
    type VARCHAR NOT NULL CHECK (type IN ('debit', 'credit')),
    status VARCHAR NOT NULL CHECK (status IN ('unpaid', 'paid', 'void')),
    invoice_date DATE NOT NULL,
    due_date DATE,
    currency VARCHAR NOT NULL,
    total DECIMAL(18,3) NOT NULL DEFAULT 0,
    unpaid_amount DECIMAL(18,3) NOT NULL DEFAULT 0 CHECK (unpaid_amount >= 0),
    reason VARCHAR,
    memo VARCHAR,
    origin VARCHAR CHECK (origin IN ('manual', 'full', 'bulk', 'cancellation')),
    batch_id VARCHAR,
    voided_on DATE,
    created_at TIMESTAMP NOT NULL DEFAULT current_localtimestamp(),
    account_name VARCHAR,
    CHECK (type = 'credit' OR origin IS NULL)
);
CREATE TABLE IF NOT EXISTS invoice_items (
    item_id VARCHAR NOT NULL USING COMPRESSION zstd,
    invoice_id VARCHAR NOT NULL,
    line_no INTEGER NOT NULL CHECK (line_no > 0),
    description VARCHAR,
    quantity DECIMAL(18,6) NOT NULL CHECK (quantity > 0),
    unit_price DECIMAL(18,6) NOT NULL CHECK (unit_price >= 0),
    tax_rate DECIMAL(9,6) NOT NULL CHECK (tax_rate >= 0),
    net_amount DECIMAL(18,3) NOT NULL CHECK (net_amount >= 0),
    tax_amount DECIMAL(18,3) NOT NULL CHECK (tax_amount >= 0),
    amount DECIMAL(18,3) NOT NULL,
    period_start DATE,
    period_end DATE,
    credited_item_id VARCHAR USING COMPRESSION zstd,
    cancelled_on DATE,
    -- on a credit item, the units of the debit item it takes out of service: a
    -- cancellation's cancelled quantity (its `quantity` is the equivalent share), a
    -- quantity credit's own quantity, 0 for an amount or percentage credit
    -- (recon/cancellations.py: the quantity still in service). NULL: older rows.
    cancelled_quantity DECIMAL(18,6),
    -- the day the item takes effect in the books: its invoice's date, or for an item
    -- added to an existing credit invoice (`recon credit --into`) the day it was added
    added_on DATE NOT NULL,
    product_code VARCHAR,
    CHECK (amount = net_amount + tax_amount),
    CHECK (period_start IS NULL OR period_end IS NULL OR period_start <= period_end)
);
-- Items taken off a credit invoice (`recon remove-items`): a dated fact like any other,
-- so the item leaves invoice_items (what every current figure reads) and is kept here
-- with the day it stopped counting; the ledger as of an earlier day still sees it.
-- Same columns as invoice_items (tests/test_periods.py checks they stay the same), no
-- checks: rows arrive only from invoice_items.
CREATE TABLE IF NOT EXISTS removed_items (
    item_id VARCHAR NOT NULL,
    invoice_id VARCHAR NOT NULL,
    line_no INTEGER NOT NULL,
    description VARCHAR,
    quantity DECIMAL(18,6) NOT NULL,
    unit_price DECIMAL(18,6) NOT NULL,
    tax_rate DECIMAL(9,6) NOT NULL,
    net_amount DECIMAL(18,3) NOT NULL,
    tax_amount DECIMAL(18,3) NOT NULL,
    amount DECIMAL(18,3) NOT NULL,
    period_start DATE,
    period_end DATE,
    credited_item_id VARCHAR,
    cancelled_on DATE,
    cancelled_quantity DECIMAL(18,6),
    added_on DATE NOT NULL,
    product_code VARCHAR,
    removed_on DATE NOT NULL,
    CHECK (removed_on >= added_on)
);
-- A payment the platform reverses (a bounced transfer, a charge-back) is a dated fact
-- too: reversed_on, from which day it no longer counts; the ledger as of an earlier day
-- still sees it (never deleted).
CREATE TABLE IF NOT EXISTS payments (
    payment_id VARCHAR PRIMARY KEY,
    invoice_id VARCHAR NOT NULL,
    amount DECIMAL(18,3) NOT NULL CHECK (amount > 0),
    paid_on DATE NOT NULL,
    reversed_on DATE,
    CHECK (reversed_on IS NULL OR reversed_on >= paid_on)
);
-- A due date the platform moved (taken by `recon import --update`): invoices.due_date is
-- the current one, each change is kept with its day and the due date before it, so the
-- ledger as of an earlier day (the aging of a past month) sees the due date of then.
CREATE TABLE IF NOT EXISTS due_date_changes (
    invoice_id VARCHAR NOT NULL,
    changed_on DATE NOT NULL,
    due_date_before DATE,
    due_date DATE
);
-- A link is a dated fact: unlinking (or voiding the credit) sets unlinked_on instead of
-- deleting the row, so that the ledger as of an earlier date can be rebuilt.
CREATE TABLE IF NOT EXISTS invoice_links (
    link_id BIGINT NOT NULL,
    credit_invoice_id VARCHAR NOT NULL USING COMPRESSION zstd,
    debit_invoice_id VARCHAR NOT NULL USING COMPRESSION zstd,
    amount DECIMAL(18,3) NOT NULL CHECK (amount > 0),
    linked_on DATE NOT NULL,
    unlinked_on DATE,
    CHECK (unlinked_on IS NULL OR unlinked_on >= linked_on)
);
-- Money paid back to the customer from a credit invoice's available amount.
CREATE TABLE IF NOT EXISTS refunds (
    refund_id VARCHAR PRIMARY KEY,
    credit_invoice_id VARCHAR NOT NULL,
    amount DECIMAL(18,3) NOT NULL CHECK (amount > 0),
    refunded_on DATE NOT NULL,
    reference VARCHAR
);
-- Credit invoice numbers: one counter, never reused (CN-<year>-<counter>).
CREATE TABLE IF NOT EXISTS numbering (
    prefix VARCHAR PRIMARY KEY,
    last_no BIGINT NOT NULL
);
-- Batches applied, so a rerun of the same batch changes nothing.
CREATE TABLE IF NOT EXISTS batches (
    batch_id VARCHAR PRIMARY KEY,
    command VARCHAR NOT NULL,
    source VARCHAR,
    rows_in BIGINT NOT NULL,
    applied_at TIMESTAMP NOT NULL
);
-- Every change, who made it and what it did.
CREATE TABLE IF NOT EXISTS audit_log (
    audit_id BIGINT PRIMARY KEY,
    logged_at TIMESTAMP NOT NULL,
    os_user VARCHAR,
    command VARCHAR NOT NULL,
    batch_id VARCHAR,
    invoices_created BIGINT NOT NULL DEFAULT 0,
    items_created BIGINT NOT NULL DEFAULT 0,
    links_changed BIGINT NOT NULL DEFAULT 0,
    totals VARCHAR,
    detail VARCHAR
);
-- Closed months (periods.py). A closed month's report tables are kept as digests, so a
-- later report of that month can show it still reads as signed off; nothing may be
-- dated on or before the end of the last closed month until it is reopened.
CREATE TABLE IF NOT EXISTS period_closes (
    period VARCHAR PRIMARY KEY,          -- YYYY-MM
    period_start DATE NOT NULL,
    period_end DATE NOT NULL,
    closed_by VARCHAR NOT NULL,
    closed_at TIMESTAMP NOT NULL,
    digest VARCHAR NOT NULL,             -- sha256 over the table digests
    table_digests VARCHAR NOT NULL,      -- JSON {table: sha256 of its CSV}
    reviewed_by VARCHAR,
    reviewed_at TIMESTAMP
);
-- Every close, review and reopen, with who, when and why (the audit of the closes).
CREATE TABLE IF NOT EXISTS period_events (
    event_id BIGINT PRIMARY KEY,
    period VARCHAR NOT NULL,
    action VARCHAR NOT NULL CHECK (action IN ('close', 'review', 'reopen')),
    by_name VARCHAR NOT NULL,
    event_at TIMESTAMP NOT NULL,
    reason VARCHAR,
    digest VARCHAR
);
INSERT INTO numbering VALUES ('CN', 0) ON CONFLICT DO NOTHING;
INSERT INTO meta VALUES ('schema_version', '3') ON CONFLICT DO NOTHING
