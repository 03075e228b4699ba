DROP TABLE odoo_reconciled;
DROP TABLE odoo_sync;
