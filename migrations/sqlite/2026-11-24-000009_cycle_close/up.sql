-- Enterprise fees, weighed-item adjustments and the close of a cycle. Keep in step with the
-- other backend's copy.

-- How producers of a cycle are paid at close: `as_paid` gives each producer the local
-- currency its goods were paid in and euros for the rest; `euros` pays everything in euros
-- (the hub keeps the local currency). A producer that does not take the local currency is
-- always paid in euros.
ALTER TABLE order_cycles ADD COLUMN producer_settlement TEXT NOT NULL DEFAULT 'as_paid'
    CHECK (producer_settlement IN ('as_paid', 'euros'));
ALTER TABLE order_cycles ADD COLUMN copied_from_id TEXT REFERENCES order_cycles (id);
-- the last close attempt that failed, and why (the background job backs off, the hub sees it)
ALTER TABLE order_cycles ADD COLUMN close_attempted_at TIMESTAMP;
ALTER TABLE order_cycles ADD COLUMN close_error TEXT;

-- The hub's fees in a cycle. Charged to the customer (added to each order) or to the
-- producer (deducted from what the hub owes it). `amount_minor` is cents per order, per item
-- or per kg; `percent_bp` is basis points of the items' total. Tax included, at `vat_rate_bp`.
CREATE TABLE cycle_fees (
    id                   TEXT PRIMARY KEY NOT NULL,
    order_cycle_id       TEXT NOT NULL REFERENCES order_cycles (id),
    name                 TEXT NOT NULL,
    fee_type             TEXT NOT NULL CHECK (fee_type IN ('admin', 'packing', 'transport', 'fundraising', 'sales')),
    calculator           TEXT NOT NULL CHECK (calculator IN ('flat_per_order', 'flat_per_item', 'percent_of_items', 'per_kg')),
    charged_to           TEXT NOT NULL CHECK (charged_to IN ('customer', 'producer')),
    amount_minor         BIGINT NOT NULL DEFAULT 0 CHECK (amount_minor >= 0),
    percent_bp           INTEGER NOT NULL DEFAULT 0 CHECK (percent_bp BETWEEN 0 AND 10000),
    vat_rate_bp          INTEGER NOT NULL DEFAULT 2000,
    local_share_percent  INTEGER NOT NULL DEFAULT 100 CHECK (local_share_percent BETWEEN 0 AND 100),
    created_at           TIMESTAMP NOT NULL
);
CREATE INDEX cycle_fees_by_cycle ON cycle_fees (order_cycle_id);

-- The fees of one order, computed at checkout (and again when a weighed item is adjusted).
-- A producer fee has one row per producer of the order. At close, `local_alloc_minor` is the
-- part paid in local currency (euro value) and `vat_local_minor` the VAT within it.
CREATE TABLE order_fees (
    id                   TEXT PRIMARY KEY NOT NULL,
    order_id             TEXT NOT NULL REFERENCES orders (id),
    fee_id               TEXT REFERENCES cycle_fees (id),
    producer_id          TEXT REFERENCES enterprises (id),
    name                 TEXT NOT NULL,
    fee_type             TEXT NOT NULL,
    charged_to           TEXT NOT NULL,
    amount_minor         BIGINT NOT NULL,
    vat_rate_bp          INTEGER NOT NULL,
    vat_minor            BIGINT NOT NULL,
    local_max_minor      BIGINT NOT NULL DEFAULT 0,
    local_alloc_minor    BIGINT NOT NULL DEFAULT 0,
    vat_local_minor      BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX order_fees_by_order ON order_fees (order_id);

ALTER TABLE orders ADD COLUMN fees_total_minor BIGINT NOT NULL DEFAULT 0;
-- what the local part was when checked out (an adjustment may capture less)
ALTER TABLE orders ADD COLUMN local_held_minor BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN adjusted_at TIMESTAMP;
-- set when the close has posted the hold and booked the sale
ALTER TABLE orders ADD COLUMN booked_at TIMESTAMP;
-- euros recorded as received so far (the euro part may grow if a hold was lost)
ALTER TABLE orders ADD COLUMN euro_received_minor BIGINT NOT NULL DEFAULT 0;
-- the close's work list: confirmed orders not booked yet, by cycle
CREATE INDEX orders_to_book ON orders (order_cycle_id, id) WHERE state = 'confirmed' AND booked_at IS NULL;

-- the weight of the whole line in grams (for per-kg fees); the quantity delivered in
-- thousandths of the unit when the hub adjusted a weighed item; the local part (euro
-- value) of the line, set at close
ALTER TABLE order_lines ADD COLUMN weight_grams BIGINT NOT NULL DEFAULT 0;
ALTER TABLE order_lines ADD COLUMN delivered_milli BIGINT;
ALTER TABLE order_lines ADD COLUMN local_alloc_minor BIGINT NOT NULL DEFAULT 0;

-- What the close paid each producer, per currency: one row per (cycle, producer, currency).
CREATE TABLE producer_settlements (
    order_cycle_id       TEXT NOT NULL REFERENCES order_cycles (id),
    producer_id          TEXT NOT NULL REFERENCES enterprises (id),
    currency             TEXT NOT NULL REFERENCES currencies (code),
    goods_minor          BIGINT NOT NULL,
    fees_minor           BIGINT NOT NULL,
    paid_minor           BIGINT NOT NULL,
    entry_id             TEXT REFERENCES ledger_entries (id),
    created_at           TIMESTAMP NOT NULL,
    PRIMARY KEY (order_cycle_id, producer_id, currency)
);
