ALTER TABLE enterprises DROP COLUMN uid;
