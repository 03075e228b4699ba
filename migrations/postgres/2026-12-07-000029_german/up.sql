-- German (#19): an account's language may be `de`, a language of a Swiss deployment (which
-- languages a deployment offers is its country's: src/deployment.rs). Keep in step with the
-- other backend's copy.
ALTER TABLE users DROP CONSTRAINT users_locale_check;
ALTER TABLE users ADD CONSTRAINT users_locale_check CHECK (locale IN ('fr', 'de', 'en'));
