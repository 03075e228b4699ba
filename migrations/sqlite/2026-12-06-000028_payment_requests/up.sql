-- Payment requests (src/association/payment_requests.rs): a professional asks for a payment
-- in a local currency (an amount or an open one, a label, an optional expiry, single use or
-- reusable at a stall); members pay it from their wallets. Each payment is a ledger entry,
-- written with its row here in one transaction. Keep in step with the other backend's copy.
CREATE TABLE payment_requests (
    id            TEXT PRIMARY KEY NOT NULL,
    enterprise_id TEXT NOT NULL REFERENCES enterprises (id),
    -- the professional's wallet in the currency, where payments go
    wallet_id     TEXT NOT NULL REFERENCES ledger_accounts (id),
    currency      TEXT NOT NULL REFERENCES currencies (code),
    -- NULL: the payer types the amount
    amount_minor  BIGINT NULL CHECK (amount_minor IS NULL OR amount_minor > 0),
    label         TEXT NOT NULL,
    reusable      BOOLEAN NOT NULL,
    expires_at    TIMESTAMP NULL,
    state         TEXT NOT NULL CHECK (state IN ('open', 'paid', 'cancelled')),
    paid_count    BIGINT NOT NULL DEFAULT 0,
    paid_minor    BIGINT NOT NULL DEFAULT 0,
    created_by    TEXT NOT NULL REFERENCES users (id),
    created_at    TIMESTAMP NOT NULL,
    closed_at     TIMESTAMP NULL
);
CREATE INDEX payment_requests_enterprise ON payment_requests (enterprise_id, created_at);

CREATE TABLE payment_request_payments (
    -- the ledger entry of the payment
    entry_id        TEXT PRIMARY KEY NOT NULL,
    request_id      TEXT NOT NULL REFERENCES payment_requests (id),
    payer_id        TEXT NOT NULL REFERENCES users (id),
    from_account_id TEXT NOT NULL REFERENCES ledger_accounts (id),
    amount_minor    BIGINT NOT NULL CHECK (amount_minor > 0),
    created_at      TIMESTAMP NOT NULL
);
CREATE INDEX payment_request_payments_request ON payment_request_payments (request_id, created_at);
