DROP INDEX mail_outbox_due;
CREATE INDEX mail_outbox_due ON mail_outbox (sent_at, next_attempt_at);
ALTER TABLE mail_outbox DROP COLUMN message_id;
ALTER TABLE mail_outbox DROP COLUMN failed_at;
ALTER TABLE mail_outbox DROP COLUMN claimed_until;
