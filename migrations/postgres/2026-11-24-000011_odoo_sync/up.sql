-- The push of validated moves to Odoo: one row per move once a sync has seen it. Keep in step
-- with the other backend's copy.
CREATE TABLE odoo_sync (
    ledger_entry_id  TEXT PRIMARY KEY NOT NULL REFERENCES accounting_moves (ledger_entry_id),
    state            TEXT NOT NULL CHECK (state IN ('pending', 'pushed', 'failed')),
    odoo_move_id     BIGINT,
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    next_attempt_at  TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL
);
CREATE INDEX odoo_sync_due ON odoo_sync (state, next_attempt_at);

-- Lettered receivable lines reconciled in Odoo (one row per account and letter).
CREATE TABLE odoo_reconciled (
    account_code   TEXT NOT NULL,
    letter         TEXT NOT NULL,
    reconciled_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (account_code, letter)
);

-- One sync at a time: the running sync holds this lease and renews it as it goes; a sync
-- that died lets it lapse.
CREATE TABLE odoo_lease (
    id       INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    holder   TEXT,
    until    TIMESTAMP
);
INSERT INTO odoo_lease (id, holder, until) VALUES (1, NULL, NULL);
