PRAGMA foreign_keys = OFF;
BEGIN;
UPDATE users SET locale = 'fr' WHERE locale = 'de';
CREATE TABLE users_new (
    id                 TEXT PRIMARY KEY NOT NULL,
    email              TEXT NOT NULL UNIQUE,
    display_name       TEXT NOT NULL,
    password_hash      TEXT,
    locale             TEXT NOT NULL DEFAULT 'fr' CHECK (locale IN ('fr', 'en')),
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
