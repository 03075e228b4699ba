-- Top-up requests (src/association/topups.rs): a member asks the currency's association for
-- local currency, paid by bank transfer (with the reference generated here, carried by the
-- transfer's QR code) or in cash at an exchange point; a treasurer approves it (the
-- issuance, whose entry id is the request's id) or refuses it with a reason. And the bank
-- account a currency association receives transfers on. Keep in step with the other
-- backend's copy.
ALTER TABLE enterprises ADD COLUMN iban TEXT NULL;
ALTER TABLE enterprises ADD COLUMN bic TEXT NULL;

CREATE TABLE topup_requests (
    id                  TEXT PRIMARY KEY NOT NULL,
    -- gapless across the deployment; the transfer's reference is made from it
    number              BIGINT NOT NULL UNIQUE,
    user_id             TEXT NOT NULL REFERENCES users (id),
    currency            TEXT NOT NULL REFERENCES currencies (code),
    wallet_id           TEXT NOT NULL REFERENCES ledger_accounts (id),
    -- the local currency asked for, and what to pay for it in the legal currency
    amount_minor        BIGINT NOT NULL CHECK (amount_minor > 0),
    legal_minor         BIGINT NOT NULL CHECK (legal_minor > 0),
    method              TEXT NOT NULL CHECK (method IN ('bank_transfer', 'cash')),
    reference           TEXT NOT NULL UNIQUE,
    state               TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'refused', 'cancelled')),
    reason              TEXT NOT NULL DEFAULT '',
    -- what the treasurer saw arrive (a bank statement's line, a receipt number)
    received_reference  TEXT NOT NULL DEFAULT '',
    ledger_entry_id     TEXT NULL,
    created_at          TIMESTAMP NOT NULL,
    decided_at          TIMESTAMP NULL,
    decided_by          TEXT NULL REFERENCES users (id)
);
CREATE INDEX topup_requests_queue ON topup_requests (currency, state, number);
CREATE INDEX topup_requests_of_user ON topup_requests (user_id, number);
