-- Orders: carts, checkouts, cancellations. Keep in step with the other backend's copy.

-- How a cycle's orders reach consumers: pickup points and delivery rounds, each with its fee
-- (tax included, at its own VAT rate) and the share of that fee payable in local currency.
CREATE TABLE cycle_shipping_methods (
    id                   TEXT PRIMARY KEY NOT NULL,
    order_cycle_id       TEXT NOT NULL REFERENCES order_cycles (id),
    kind                 TEXT NOT NULL CHECK (kind IN ('pickup', 'delivery')),
    name                 TEXT NOT NULL,
    address              TEXT NOT NULL DEFAULT '',
    instructions         TEXT NOT NULL DEFAULT '',
    at_time              TIMESTAMP NOT NULL,
    fee_minor            BIGINT NOT NULL DEFAULT 0 CHECK (fee_minor >= 0),
    vat_rate_bp          INTEGER NOT NULL DEFAULT 2000,
    local_share_percent  INTEGER NOT NULL DEFAULT 100 CHECK (local_share_percent BETWEEN 0 AND 100),
    created_at           TIMESTAMP NOT NULL
);
CREATE INDEX cycle_shipping_methods_by_cycle ON cycle_shipping_methods (order_cycle_id);

-- An order: a cart until checkout, then confirmed, then cancelled or fulfilled. Amounts are
-- euro cents (tax included); the local part is held on the customer's wallet (hold_id is
-- the ledger's pending transfer), the euro part is due to the hub (euro_state).
CREATE TABLE orders (
    id                   TEXT PRIMARY KEY NOT NULL,
    number               TEXT,
    order_cycle_id       TEXT NOT NULL REFERENCES order_cycles (id),
    hub_id               TEXT NOT NULL REFERENCES enterprises (id),
    customer_id          TEXT NOT NULL REFERENCES users (id),
    state                TEXT NOT NULL CHECK (state IN ('cart', 'confirmed', 'cancelled', 'fulfilled')),
    shipping_method_id   TEXT REFERENCES cycle_shipping_methods (id),
    items_total_minor    BIGINT NOT NULL DEFAULT 0,
    shipping_fee_minor   BIGINT NOT NULL DEFAULT 0,
    total_minor          BIGINT NOT NULL DEFAULT 0,
    vat_total_minor      BIGINT NOT NULL DEFAULT 0,
    local_currency       TEXT REFERENCES currencies (code),
    local_minor          BIGINT NOT NULL DEFAULT 0,
    local_eur_minor      BIGINT NOT NULL DEFAULT 0,
    euro_minor           BIGINT NOT NULL DEFAULT 0,
    hold_id              TEXT REFERENCES ledger_transfers (id),
    euro_state           TEXT NOT NULL DEFAULT 'none' CHECK (euro_state IN ('none', 'due', 'paid', 'cancelled')),
    euro_paid_at         TIMESTAMP,
    confirmed_at         TIMESTAMP,
    cancelled_at         TIMESTAMP,
    created_at           TIMESTAMP NOT NULL,
    updated_at           TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX orders_one_cart ON orders (order_cycle_id, customer_id) WHERE state = 'cart';
CREATE UNIQUE INDEX orders_number ON orders (number);
CREATE INDEX orders_by_customer ON orders (customer_id, created_at);
CREATE INDEX orders_by_cycle ON orders (order_cycle_id, state);

-- Lines: in a cart only variant and quantity count; checkout snapshots the rest.
CREATE TABLE order_lines (
    order_id             TEXT NOT NULL REFERENCES orders (id),
    variant_id           TEXT NOT NULL REFERENCES variants (id),
    position             INTEGER NOT NULL,
    quantity             BIGINT NOT NULL CHECK (quantity > 0),
    producer_id          TEXT,
    name                 TEXT NOT NULL DEFAULT '',
    unit                 TEXT NOT NULL DEFAULT '',
    unit_price_minor     BIGINT NOT NULL DEFAULT 0,
    total_minor          BIGINT NOT NULL DEFAULT 0,
    vat_rate_bp          INTEGER NOT NULL DEFAULT 0,
    vat_minor            BIGINT NOT NULL DEFAULT 0,
    local_share_percent  INTEGER NOT NULL DEFAULT 0,
    local_max_minor      BIGINT NOT NULL DEFAULT 0,
    -- whether checkout took the quantity from the variant's stock (cancel gives it back)
    stock_reserved       BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (order_id, variant_id)
);

-- Idempotency-Key of a request that changes state: the saved response is returned to a
-- retry with the same key and body; another body with the same key is refused.
CREATE TABLE idempotency_keys (
    user_id        TEXT NOT NULL REFERENCES users (id),
    idem_key       TEXT NOT NULL,
    route          TEXT NOT NULL,
    request_hash   TEXT NOT NULL,
    status         INTEGER NOT NULL,
    body           TEXT NOT NULL,
    created_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, idem_key)
);
