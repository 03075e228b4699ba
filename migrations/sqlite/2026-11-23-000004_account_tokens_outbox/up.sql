-- One-time account tokens and the mail outbox (SQLite). Keep in step with ../../postgres/.

-- Email verification and password reset tokens: single use, expiring, stored as SHA-256.
CREATE TABLE account_tokens (
    id          TEXT PRIMARY KEY NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose     TEXT NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    used_at     TIMESTAMP
);
CREATE INDEX account_tokens_by_user ON account_tokens (user_id, purpose);

-- Transactional outbox: a mail is enqueued in the transaction of the event that causes it
-- and sent later by a worker (so it is never lost, nor sent for a rolled-back event).
CREATE TABLE mail_outbox (
    id          TEXT PRIMARY KEY NOT NULL,
    recipient   TEXT NOT NULL,
    template    TEXT NOT NULL,
    locale      TEXT NOT NULL,
    -- JSON object of the template's values
    payload     TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    sent_at     TIMESTAMP,
    last_error  TEXT
);
CREATE INDEX mail_outbox_due ON mail_outbox (sent_at, next_attempt_at);
