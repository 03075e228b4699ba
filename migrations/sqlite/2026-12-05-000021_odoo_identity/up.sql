-- Odoo identity and operability (see src/accounting/odoo.rs). Keep in step with the other
-- backend's copy.
--
-- The deployment's identity, written by the first Odoo sync (a UUID): each move pushed to
-- Odoo carries the external id comptoir.move_<deployment>_<ledger entry>, which no other
-- deployment, restore or staging copy can produce for another move.
ALTER TABLE accounting_state ADD COLUMN deployment_id TEXT NOT NULL DEFAULT '';
-- When the running sync took its lease (odoo status shows the holder and its age).
ALTER TABLE odoo_lease ADD COLUMN taken_at TIMESTAMP NULL;
-- A move Odoo holds differently (another timeline, re-dated before its lock date): both
-- sides, for odoo status; the state is then 'conflict' until odoo retry.
-- (SQLite cannot change a CHECK: the table is written again)
CREATE TABLE odoo_sync_new (
    ledger_entry_id  TEXT PRIMARY KEY NOT NULL REFERENCES accounting_moves (ledger_entry_id),
    state            TEXT NOT NULL CHECK (state IN ('pending', 'pushed', 'failed', 'conflict')),
    odoo_move_id     BIGINT,
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    next_attempt_at  TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    conflict         TEXT NULL
);
INSERT INTO odoo_sync_new (ledger_entry_id, state, odoo_move_id, attempts, last_error, next_attempt_at, updated_at)
SELECT ledger_entry_id, state, odoo_move_id, attempts, last_error, next_attempt_at, updated_at FROM odoo_sync;
DROP TABLE odoo_sync;
ALTER TABLE odoo_sync_new RENAME TO odoo_sync;
CREATE INDEX odoo_sync_due ON odoo_sync (state, next_attempt_at);
-- Reconciliations that failed, for odoo status and the sync's exit code.
CREATE TABLE odoo_reconcile_failures (
    account_code TEXT NOT NULL,
    letter TEXT NOT NULL,
    error TEXT NOT NULL,
    failed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (account_code, letter)
);
