-- What a hub needs to run a real week (#20). Keep in step with the other backend's copy.
--
-- 1. Order numbers per hub: each enterprise has an order prefix (2–6 uppercase letters or
--    digits, a letter first, unique in the deployment; src/orders/numbers.rs), and a counter
--    per hub and year gives the next number (`CAG-2026-000123`) inside the checkout's
--    transaction. The enterprises here get a prefix from their slug (its first three letters
--    or digits, `E` first when it starts with a digit, padded with `X`), a rank appended when
--    two share one (`CAG`, `CAG2`); their owners may change it. Orders keep their numbers.
-- 2. A time zone per enterprise (IANA name): the mails show its times in it. A Swiss
--    enterprise's is Europe/Zurich, any other's Europe/Paris.
-- 3. A hub's cashier: a role of its own (src/auth/policy.rs).
--
-- SQLite cannot change a CHECK: `enterprise_roles` is written again, foreign keys off
-- meanwhile (as in 000029), hence outside diesel's transaction (metadata.toml), in one of its
-- own.
PRAGMA foreign_keys = OFF;
BEGIN;
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

CREATE TABLE enterprise_roles_new (
    enterprise_id  TEXT NOT NULL REFERENCES enterprises (id) ON DELETE CASCADE,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role           TEXT NOT NULL CHECK (role IN ('owner', 'manager', 'cashier', 'treasurer', 'member')),
    created_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (enterprise_id, user_id, role)
);
INSERT INTO enterprise_roles_new (enterprise_id, user_id, role, created_at)
SELECT enterprise_id, user_id, role, created_at FROM enterprise_roles;
DROP TABLE enterprise_roles;
ALTER TABLE enterprise_roles_new RENAME TO enterprise_roles;
CREATE INDEX enterprise_roles_by_user ON enterprise_roles (user_id);
COMMIT;
PRAGMA foreign_keys = ON;
