DROP TABLE odoo_lease;
DROP TABLE odoo_reconciled;
DROP TABLE odoo_sync;
