PRAGMA foreign_keys = OFF;
BEGIN;
DELETE FROM enterprise_roles WHERE role = 'cashier';
CREATE TABLE enterprise_roles_new (
    enterprise_id  TEXT NOT NULL REFERENCES enterprises (id) ON DELETE CASCADE,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role           TEXT NOT NULL CHECK (role IN ('owner', 'manager', 'treasurer', 'member')),
    created_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (enterprise_id, user_id, role)
);
INSERT INTO enterprise_roles_new (enterprise_id, user_id, role, created_at)
SELECT enterprise_id, user_id, role, created_at FROM enterprise_roles;
DROP TABLE enterprise_roles;
ALTER TABLE enterprise_roles_new RENAME TO enterprise_roles;
CREATE INDEX enterprise_roles_by_user ON enterprise_roles (user_id);
DROP TABLE order_counters;
DROP INDEX enterprises_order_prefix;
ALTER TABLE enterprises DROP COLUMN time_zone;
ALTER TABLE enterprises DROP COLUMN order_prefix;
COMMIT;
PRAGMA foreign_keys = ON;
