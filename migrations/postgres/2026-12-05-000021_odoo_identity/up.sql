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
ALTER TABLE odoo_sync ADD COLUMN conflict TEXT NULL;
ALTER TABLE odoo_sync DROP CONSTRAINT odoo_sync_state_check;
ALTER TABLE odoo_sync ADD CONSTRAINT odoo_sync_state_check
    CHECK (state IN ('pending', 'pushed', 'failed', 'conflict'));
-- Reconciliations that failed, for odoo status and the sync's exit code.
CREATE TABLE odoo_reconcile_failures (
    account_code TEXT NOT NULL,
    letter TEXT NOT NULL,
    error TEXT NOT NULL,
    failed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (account_code, letter)
);
