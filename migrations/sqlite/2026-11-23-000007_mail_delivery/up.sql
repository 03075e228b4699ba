-- Mail delivery state on the outbox. Keep in step with the other backend's copy.
-- A row is pending until sent_at or failed_at is set. A worker claims due rows by setting
-- claimed_until (a lease): a crash between sending and marking leaves the lease to expire,
-- and the mail is sent again with the same Message-ID (at-least-once).
ALTER TABLE mail_outbox ADD COLUMN claimed_until TIMESTAMP;
ALTER TABLE mail_outbox ADD COLUMN failed_at TIMESTAMP;
ALTER TABLE mail_outbox ADD COLUMN message_id TEXT NOT NULL DEFAULT '';
DROP INDEX mail_outbox_due;
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;
