UPDATE users SET locale = 'fr' WHERE locale = 'de';
ALTER TABLE users DROP CONSTRAINT users_locale_check;
ALTER TABLE users ADD CONSTRAINT users_locale_check CHECK (locale IN ('fr', 'en'));
