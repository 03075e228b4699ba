-- The deployment: its legal currency and its country (see src/deployment/). Keep in step with
-- the other backend's copy.
--
-- One row, written at the first run from the configuration (`deployment.currency`,
-- `deployment.country`); the legal currency is fixed once the ledger holds an entry. A
-- database from before this table is a euro deployment in France: the first run after the
-- upgrade records it so.
CREATE TABLE deployment (
    id              INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    -- ISO 4217 code of the legal tender (a row of `currencies`, kind `fiat`)
    legal_currency  TEXT NOT NULL,
    -- ISO 3166-1 alpha-2 code of the country profile (VAT, chart, identifiers, exports)
    country         TEXT NOT NULL,
    chosen_at       TIMESTAMP NOT NULL
);
