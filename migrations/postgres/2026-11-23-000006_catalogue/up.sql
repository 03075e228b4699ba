-- Catalogue (PostgreSQL). Keep in step with ../../sqlite/.
-- SIRET beside SIREN; the currencies an enterprise accepts; a folded name key on variants
-- (product name + variant name, lowercase, accents removed) that both sorts and searches the
-- catalogue through one index; product names unique per producer (CSV import matches on it).

ALTER TABLE enterprises ADD COLUMN siret TEXT;

-- A producer's grant takes effect in the hub's offer once the hub accepts it.
ALTER TABLE enterprise_relationships ADD COLUMN hub_accepted_at TIMESTAMP;

CREATE TABLE enterprise_currencies (
    enterprise_id  TEXT NOT NULL REFERENCES enterprises (id) ON DELETE CASCADE,
    currency_code  TEXT NOT NULL REFERENCES currencies (code),
    PRIMARY KEY (enterprise_id, currency_code)
);

CREATE UNIQUE INDEX products_name_per_producer ON products (producer_id, name);

ALTER TABLE variants ADD COLUMN name_key TEXT COLLATE "C" NOT NULL DEFAULT '';
CREATE INDEX variants_by_name_key ON variants (name_key, id);
CREATE INDEX variants_by_price ON variants (price_eur_minor, id);
CREATE INDEX variants_by_producer ON variants (producer_id, id);

-- Substring search (`name_key LIKE '%word%'`) through trigrams: without it every search reads
-- the whole catalogue. pg_trgm ships with PostgreSQL (contrib) and is a trusted extension.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX variants_name_key_trgm ON variants USING gin (name_key gin_trgm_ops);
