DROP TABLE odoo_reconcile_failures;
DELETE FROM odoo_sync WHERE state = 'conflict';
CREATE TABLE odoo_sync_old (
    ledger_entry_id  TEXT PRIMARY KEY NOT NULL REFERENCES accounting_moves (ledger_entry_id),
    state            TEXT NOT NULL CHECK (state IN ('pending', 'pushed', 'failed')),
    odoo_move_id     BIGINT,
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    next_attempt_at  TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL
);
INSERT INTO odoo_sync_old SELECT ledger_entry_id, state, odoo_move_id, attempts, last_error, next_attempt_at, updated_at FROM odoo_sync;
DROP TABLE odoo_sync;
ALTER TABLE odoo_sync_old RENAME TO odoo_sync;
CREATE INDEX odoo_sync_due ON odoo_sync (state, next_attempt_at);
ALTER TABLE odoo_lease DROP COLUMN taken_at;
ALTER TABLE accounting_state DROP COLUMN deployment_id;
