DELETE FROM enterprise_roles WHERE role = 'cashier';
ALTER TABLE enterprise_roles DROP CONSTRAINT enterprise_roles_role_check;
ALTER TABLE enterprise_roles ADD CONSTRAINT enterprise_roles_role_check
    CHECK (role IN ('owner', 'manager', 'treasurer', 'member'));
DROP TABLE order_counters;
DROP INDEX enterprises_order_prefix;
ALTER TABLE enterprises DROP COLUMN time_zone;
ALTER TABLE enterprises DROP COLUMN order_prefix;
