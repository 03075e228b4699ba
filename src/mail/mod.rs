//! Mail. For now: the transactional outbox that the account flows enqueue into. The sending
//! worker, the transports (SMTP, `.eml` files, in-memory) and the templates come with the
//! mail issue; until then queued mails wait in `mail_outbox`.

pub mod outbox;
