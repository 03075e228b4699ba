DROP INDEX enterprise_currencies_queue;
ALTER TABLE enterprise_currencies DROP COLUMN decided_by;
ALTER TABLE enterprise_currencies DROP COLUMN decided_at;
ALTER TABLE enterprise_currencies DROP COLUMN requested_at;
ALTER TABLE enterprise_currencies DROP COLUMN reason;
ALTER TABLE enterprise_currencies DROP COLUMN state;
