-- API keys for machine clients (SQLite). Keep in step with ../../postgres/.
-- The key is shown once at creation; only its SHA-256 is kept, with a short prefix to
-- recognise it in listings.

CREATE TABLE api_keys (
    id            TEXT PRIMARY KEY NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    prefix        TEXT NOT NULL,
    key_hash      TEXT NOT NULL UNIQUE,
    -- comma-separated: read, orders, accounting
    scopes        TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    expires_at    TIMESTAMP NOT NULL,
    revoked_at    TIMESTAMP,
    last_used_at  TIMESTAMP
);
CREATE INDEX api_keys_by_user ON api_keys (user_id);
