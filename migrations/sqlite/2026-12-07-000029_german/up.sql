-- German (#19): an account's language may be `de`, a language of a Swiss deployment (which
-- languages a deployment offers is its country's: src/deployment.rs). Keep in step with the
-- other backend's copy.
--
-- SQLite cannot change a CHECK: the table is written again, by SQLite's own procedure for
-- other kinds of table schema changes — foreign keys off meanwhile, so that dropping the old
-- table neither deletes nor breaks the rows that refer to it (the other tables' references
-- name `users` and hold on to the new one). Hence outside diesel's transaction
-- (metadata.toml), in a transaction of its own.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE users_new (
    id                 TEXT PRIMARY KEY NOT NULL,
    email              TEXT NOT NULL UNIQUE,
    display_name       TEXT NOT NULL,
    password_hash      TEXT,
    locale             TEXT NOT NULL DEFAULT 'fr' CHECK (locale IN ('fr', 'de', 'en')),
    is_platform_admin  BOOLEAN NOT NULL DEFAULT FALSE,
    email_verified_at  TIMESTAMP,
    disabled_at        TIMESTAMP,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL
);
INSERT INTO users_new (id, email, display_name, password_hash, locale, is_platform_admin, email_verified_at, disabled_at, created_at, updated_at)
SELECT id, email, display_name, password_hash, locale, is_platform_admin, email_verified_at, disabled_at, created_at, updated_at FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
COMMIT;
PRAGMA foreign_keys = ON;
