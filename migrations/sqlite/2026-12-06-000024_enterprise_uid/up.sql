-- A Swiss enterprise's identification number (UID, `CHE` + 9 digits, stored as shown:
-- `CHE-123.456.788`), beside France's SIREN and SIRET (see src/enterprises/identifiers.rs). Keep in
-- step with the other backend's copy.
ALTER TABLE enterprises ADD COLUMN uid TEXT NULL;
