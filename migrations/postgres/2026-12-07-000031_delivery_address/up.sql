-- Delivery addresses (#20, item 1; src/orders/addresses.rs): a person's saved addresses (their
-- address book, at most 20) and the address an order is delivered to, snapshotted at checkout
-- so that editing or deleting a saved address later never changes a past order. Pickup orders
-- have no row. Both are personal data: in the person's export, deleted by the erasure.
-- Keep in step with the other backend's copy.
CREATE TABLE user_addresses (
    id         TEXT PRIMARY KEY NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id),
    name       TEXT NOT NULL,
    line1      TEXT NOT NULL,
    line2      TEXT NULL,
    postcode   TEXT NOT NULL,
    city       TEXT NOT NULL,
    -- ISO 3166-1 alpha-2
    country    TEXT NOT NULL CHECK (length(country) = 2),
    phone      TEXT NOT NULL,
    note       TEXT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX user_addresses_user ON user_addresses (user_id, created_at);

CREATE TABLE order_addresses (
    order_id TEXT PRIMARY KEY NOT NULL REFERENCES orders (id),
    name     TEXT NOT NULL,
    line1    TEXT NOT NULL,
    line2    TEXT NULL,
    postcode TEXT NOT NULL,
    city     TEXT NOT NULL,
    country  TEXT NOT NULL CHECK (length(country) = 2),
    phone    TEXT NOT NULL,
    note     TEXT NULL
);
