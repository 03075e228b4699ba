DROP TABLE odoo_reconcile_failures;
DELETE FROM odoo_sync WHERE state = 'conflict';
ALTER TABLE odoo_sync DROP CONSTRAINT odoo_sync_state_check;
ALTER TABLE odoo_sync ADD CONSTRAINT odoo_sync_state_check CHECK (state IN ('pending', 'pushed', 'failed'));
ALTER TABLE odoo_sync DROP COLUMN conflict;
ALTER TABLE odoo_lease DROP COLUMN taken_at;
ALTER TABLE accounting_state DROP COLUMN deployment_id;
