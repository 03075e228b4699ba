DROP TABLE odoo_sync;
