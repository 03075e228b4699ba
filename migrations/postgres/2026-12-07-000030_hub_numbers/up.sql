-- What a hub needs to run a real week (#20). Keep in step with the other backend's copy, whose
-- notes say what each part is for: order prefixes and counters, time zones, the cashier role.
ALTER TABLE enterprises ADD COLUMN order_prefix TEXT NOT NULL DEFAULT '';
ALTER TABLE enterprises ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'Europe/Paris';
UPDATE enterprises SET time_zone = 'Europe/Zurich' WHERE country_code = 'CH';
UPDATE enterprises SET order_prefix = ranked.prefix
FROM (
    SELECT id, CASE WHEN rn = 1 THEN base ELSE base || rn END AS prefix
    FROM (
        SELECT id, base, ROW_NUMBER() OVER (PARTITION BY base ORDER BY created_at, id) AS rn
        FROM (
            SELECT id, created_at,
                   CASE WHEN SUBSTR(s, 1, 1) BETWEEN '0' AND '9'
                        THEN SUBSTR('E' || s || 'XX', 1, 3)
                        ELSE SUBSTR(s || 'XX', 1, 3) END AS base
            FROM (SELECT id, created_at, UPPER(REPLACE(slug, '-', '')) AS s FROM enterprises) AS folded
        ) AS based
    ) AS numbered
) AS ranked
WHERE enterprises.id = ranked.id;
CREATE UNIQUE INDEX enterprises_order_prefix ON enterprises (order_prefix);

CREATE TABLE order_counters (
    hub_id       TEXT NOT NULL REFERENCES enterprises (id) ON DELETE CASCADE,
    year         INTEGER NOT NULL,
    last_number  BIGINT NOT NULL CHECK (last_number > 0),
    PRIMARY KEY (hub_id, year)
);

ALTER TABLE enterprise_roles DROP CONSTRAINT enterprise_roles_role_check;
ALTER TABLE enterprise_roles ADD CONSTRAINT enterprise_roles_role_check
    CHECK (role IN ('owner', 'manager', 'cashier', 'treasurer', 'member'));
