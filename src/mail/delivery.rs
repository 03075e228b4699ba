//! Sending what the outbox holds.
//!
//! One pass ([`Mailer::deliver_due`]):
//! 1. **Claim** up to a batch of due mails in one statement that sets a lease
//!    (`claimed_until`, 5 minutes) and counts the attempt. On PostgreSQL the candidates are
//!    selected `FOR UPDATE SKIP LOCKED`, so several server instances can run workers at once
//!    and never claim the same mail; on SQLite the write transaction is exclusive.
//! 2. **Send** each one, rendered in the recipient's language, with a stable
//!    `Message-ID: <OUTBOX-ID@DOMAIN>`. The claim's lease covers the sends of its first
//!    minute (each mail is read first: still there, unsent and ours); a mail sent later in a
//!    slow batch has its lease renewed first (a write).
//! 3. **Mark** it sent (tokens in its values are then blanked: a sent link is not kept in
//!    clear), or failed for now with the reason and the next attempt after an exponential
//!    back-off (30 s, 1 min, 2 min… at most 1 h), or failed for good after `max_attempts`
//!    or when it cannot be rendered.
//!
//! **Guarantee: at least once.** A mail enqueued in a transaction that rolls back never
//! exists. A process that dies after the server accepted a mail but before marking it leaves
//! the lease to expire; the mail is then sent again, with the same `Message-ID`, so the two
//! copies can be recognised as one. Nothing is ever lost: a mail is sent, pending, or
//! marked failed with its reason (`comptoir mail status`, `comptoir mail retry`).

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text, Timestamp};
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::Message;

use super::templates::Templates;
use super::transport::Transport;
use super::MailError;
use crate::db::schema::mail_outbox;
use crate::db::DbConn;

/// How long a claimed mail is reserved for the worker that claimed it.
pub const LEASE_SECONDS: i64 = 300;
/// Mails claimed per statement.
pub const BATCH: i64 = 20;
/// How long after a claim its lease is renewed before each send. Until then at least 240 s
/// of it are left: more than one SMTP send may take (8 exchanges — connect, greeting, EHLO,
/// STARTTLS, log-in, envelope, data, end — at most 30 s each, the transport's timeout), so
/// the claim's own lease covers the send and the mail is only read before it, not written.
/// A batch normally takes a second or two (BENCHMARKS.md): renewals are for a slow server.
const RENEW_AFTER: std::time::Duration = std::time::Duration::from_secs(60);

/// Delay before attempt `attempts + 1`: 30 s doubled each time, at most one hour.
pub fn backoff(attempts: i32) -> Duration {
    let exponent = attempts.clamp(1, 12) - 1;
    Duration::seconds((30_i64 << exponent).min(3600))
}

#[derive(Debug, Clone, QueryableByName)]
struct Claimed {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    recipient: String,
    #[diesel(sql_type = Text)]
    template: String,
    #[diesel(sql_type = Text)]
    locale: String,
    #[diesel(sql_type = Text)]
    payload: String,
    #[diesel(sql_type = Integer)]
    attempts: i32,
    #[diesel(sql_type = Timestamp)]
    claimed_until: NaiveDateTime,
}

/// The claim statement; `$lock` is what the backend adds to the candidates' selection.
macro_rules! claim_sql {
    ($lock:literal) => {
        concat!(
            "UPDATE mail_outbox SET claimed_until = $1, attempts = attempts + 1
    WHERE id IN (SELECT id FROM mail_outbox
        WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $2
          AND (claimed_until IS NULL OR claimed_until < $2)
        ORDER BY next_attempt_at LIMIT $3 ",
            $lock,
            ")
    RETURNING id, recipient, template, locale, payload, attempts, claimed_until"
        )
    };
}

const CLAIM_POSTGRES: &str = claim_sql!("FOR UPDATE SKIP LOCKED");
const CLAIM_SQLITE: &str = claim_sql!("");

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pass {
    pub sent: usize,
    /// Failed this time, to be retried later.
    pub retrying: usize,
    /// Failed for good.
    pub failed: usize,
}

/// Renders and sends mail.
pub struct Mailer {
    pub templates: Templates,
    pub transport: Box<dyn Transport>,
    pub from: Mailbox,
    pub app_url: String,
    pub max_attempts: i32,
}

impl Mailer {
    /// Claims, sends and marks every mail due now (batch after batch).
    pub fn deliver_due(&self, conn: &mut DbConn) -> Result<Pass, MailError> {
        self.deliver_due_until(conn, &std::sync::atomic::AtomicBool::new(false))
    }

    /// [`Mailer::deliver_due`], stopping between two mails once `stop` is set (the claimed
    /// mails not yet sent are released for the next pass).
    pub fn deliver_due_until(
        &self,
        conn: &mut DbConn,
        stop: &std::sync::atomic::AtomicBool,
    ) -> Result<Pass, MailError> {
        let mut pass = Pass::default();
        loop {
            // the lease runs on the database's clock: every instance judges it alike
            let leased = std::time::Instant::now();
            let now = crate::db::clock(conn)?;
            let claimed = claim(conn, now)?;
            if claimed.is_empty() {
                return Ok(pass);
            }
            let mut rest = claimed.into_iter();
            for mail in rest.by_ref() {
                if stop.load(std::sync::atomic::Ordering::SeqCst) {
                    release(conn, &mail)?;
                    break;
                }
                self.deliver_one(conn, mail, leased.elapsed() >= RENEW_AFTER, &mut pass);
            }
            for mail in rest {
                release(conn, &mail)?;
            }
            if stop.load(std::sync::atomic::Ordering::SeqCst) {
                return Ok(pass);
            }
        }
    }

    /// Sends one claimed mail and records the outcome. A failure to record it is logged, not
    /// returned: the other claimed mails still go out, and this one is retried when its lease
    /// expires (at least once). `renew`: the claim's lease may end before the send does.
    fn deliver_one(
        &self,
        conn: &mut DbConn,
        mut mail: Claimed,
        renew_lease: bool,
        pass: &mut Pass,
    ) {
        // a mail claimed more often than allowed (its worker died while sending it, again and
        // again) is given up instead of blocking the queue
        if mail.attempts > self.max_attempts {
            let reason = format!(
                "gave up after {} claims without a result",
                mail.attempts - 1
            );
            if record(mark_failed(conn, &mail, &reason, None), &mail.id) {
                pass.failed += 1;
            }
            return;
        }
        // late in a slow batch, renew the lease just before sending: another worker must not
        // take this mail meanwhile. Either way the mail must still be ours and unsent: a
        // lease taken over means someone else has it, and a mail gone was erased with its
        // recipient's personal data (`privacy::erase`) while it waited in the batch
        let ours = if renew_lease {
            renew(conn, &mail).map(|lease| lease.map(|lease| mail.claimed_until = lease).is_some())
        } else {
            still_held(conn, &mail)
        };
        match ours {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => {
                tracing::warn!(mail = %mail.id, error = %e, "cannot check the lease; left for a later pass");
                return;
            }
        }
        match self.send(&mail) {
            Ok(message_id) => {
                if record(mark_sent(conn, &mail, &message_id), &mail.id) {
                    pass.sent += 1;
                }
            }
            Err(Failure::Permanent(reason)) => {
                if record(mark_failed(conn, &mail, &reason, None), &mail.id) {
                    pass.failed += 1;
                }
            }
            Err(Failure::Transient(reason)) if mail.attempts >= self.max_attempts => {
                if record(mark_failed(conn, &mail, &reason, None), &mail.id) {
                    pass.failed += 1;
                }
            }
            Err(Failure::Transient(reason)) => {
                let next = crate::time::now() + backoff(mail.attempts);
                if record(mark_failed(conn, &mail, &reason, Some(next)), &mail.id) {
                    pass.retrying += 1;
                }
            }
        }
    }

    fn send(&self, mail: &Claimed) -> Result<String, Failure> {
        let message_id = format!("<{}@{}>", mail.id, self.from.email.domain());
        let message = self.build(mail, &message_id).map_err(Failure::Permanent)?;
        self.transport
            .send(&mail.id, &message)
            .map_err(Failure::Transient)?;
        Ok(message_id)
    }

    /// The message of an outbox row.
    fn build(&self, mail: &Claimed, message_id: &str) -> Result<Message, String> {
        let mut values: serde_json::Value =
            serde_json::from_str(&mail.payload).map_err(|e| format!("bad mail values: {e}"))?;
        if let serde_json::Value::Object(map) = &mut values {
            map.entry("app_url")
                .or_insert_with(|| self.app_url.clone().into());
        }
        let rendered = self
            .templates
            .render(&mail.template, &mail.locale, &values)?;
        let name = values
            .get("display_name")
            .or_else(|| values.get("customer_name"))
            .and_then(|v| v.as_str())
            .map(str::to_string);
        let to = Mailbox::new(
            name,
            mail.recipient
                .parse()
                .map_err(|e| format!("recipient `{}`: {e}", mail.recipient))?,
        );
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(rendered.subject)
            .message_id(Some(message_id.to_string()))
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(rendered.text),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(rendered.html),
                    ),
            )
            .map_err(|e| format!("building the message: {e}"))
    }
}

enum Failure {
    /// Retrying cannot help (a template error, a malformed address).
    Permanent(String),
    /// The transport failed; try again later.
    Transient(String),
}

fn claim(conn: &mut DbConn, now: NaiveDateTime) -> Result<Vec<Claimed>, MailError> {
    let lease = now + Duration::seconds(LEASE_SECONDS);
    let rows = match conn.backend() {
        crate::db::Backend::Postgres => diesel::sql_query(CLAIM_POSTGRES)
            .bind::<Timestamp, _>(lease)
            .bind::<Timestamp, _>(now)
            .bind::<BigInt, _>(BATCH)
            .load::<Claimed>(conn.diesel())?,
        crate::db::Backend::Sqlite => conn.transaction(|conn| {
            diesel::sql_query(CLAIM_SQLITE)
                .bind::<Timestamp, _>(lease)
                .bind::<Timestamp, _>(now)
                .bind::<BigInt, _>(BATCH)
                .load::<Claimed>(conn.diesel())
        })?,
    };
    Ok(rows)
}

/// Whether a mark was written; logs why not.
fn record(result: Result<bool, MailError>, id: &str) -> bool {
    match result {
        Ok(true) => true,
        Ok(false) => {
            tracing::warn!(
                mail = id,
                "another worker took this mail over; its outcome is theirs"
            );
            false
        }
        Err(e) => {
            tracing::warn!(mail = id, error = %e, "cannot record the outcome; the mail will be retried");
            false
        }
    }
}

/// The rows of `mail` still under this worker's lease (and not yet sent).
macro_rules! held {
    ($mail:expr) => {
        mail_outbox::table
            .filter(mail_outbox::id.eq(&$mail.id))
            .filter(mail_outbox::claimed_until.eq(Some($mail.claimed_until)))
            .filter(mail_outbox::sent_at.is_null())
    };
}

/// Extends the lease of `mail`; `None` when the lease is no longer this worker's.
fn renew(conn: &mut DbConn, mail: &Claimed) -> Result<Option<NaiveDateTime>, MailError> {
    let lease = crate::db::clock(conn)? + Duration::seconds(LEASE_SECONDS);
    let n = diesel::update(held!(mail))
        .set(mail_outbox::claimed_until.eq(Some(lease)))
        .execute(conn.diesel())?;
    Ok((n == 1).then_some(lease))
}

/// Whether `mail` is still there, unsent and under this worker's lease (a read).
fn still_held(conn: &mut DbConn, mail: &Claimed) -> Result<bool, MailError> {
    Ok(held!(mail)
        .select(mail_outbox::id)
        .first::<String>(conn.diesel())
        .optional()?
        .is_some())
}

/// Gives a claimed mail back, unsent, without counting the attempt.
fn release(conn: &mut DbConn, mail: &Claimed) -> Result<(), MailError> {
    diesel::update(held!(mail))
        .set((
            mail_outbox::claimed_until.eq(None::<NaiveDateTime>),
            mail_outbox::attempts.eq(mail.attempts - 1),
        ))
        .execute(conn.diesel())?;
    Ok(())
}

/// Values kept after sending or giving up: secrets (`token`) are blanked.
fn redacted(payload: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(payload) {
        Ok(serde_json::Value::Object(mut map)) => {
            if let Some(token) = map.get_mut("token") {
                *token = "(not kept)".into();
            }
            serde_json::Value::Object(map).to_string()
        }
        _ => payload.to_string(),
    }
}

fn mark_sent(conn: &mut DbConn, mail: &Claimed, message_id: &str) -> Result<bool, MailError> {
    let now = crate::time::now();
    let n = diesel::update(held!(mail))
        .set((
            mail_outbox::sent_at.eq(now),
            mail_outbox::claimed_until.eq(None::<NaiveDateTime>),
            mail_outbox::message_id.eq(message_id),
            mail_outbox::payload.eq(redacted(&mail.payload)),
            mail_outbox::last_error.eq(None::<String>),
        ))
        .execute(conn.diesel())?;
    Ok(n == 1)
}

/// Records a failure: retried at `next`, or for good when `next` is `None` (its secrets are
/// then blanked too).
fn mark_failed(
    conn: &mut DbConn,
    mail: &Claimed,
    reason: &str,
    next: Option<NaiveDateTime>,
) -> Result<bool, MailError> {
    let reason: String = reason.chars().take(1000).collect();
    let now = crate::time::now();
    let payload = match next {
        Some(_) => mail.payload.clone(),
        None => redacted(&mail.payload),
    };
    let n = diesel::update(held!(mail))
        .set((
            mail_outbox::claimed_until.eq(None::<NaiveDateTime>),
            mail_outbox::last_error.eq(&reason),
            mail_outbox::next_attempt_at.eq(next.unwrap_or(now)),
            mail_outbox::failed_at.eq(if next.is_none() { Some(now) } else { None }),
            mail_outbox::payload.eq(payload),
        ))
        .execute(conn.diesel())?;
    tracing::warn!(mail = %mail.id, retry_at = ?next, %reason, "mail not sent");
    Ok(n == 1)
}

/// The background worker of a server process.
pub struct Worker {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Worker {
    /// Starts a thread that delivers due mail every `poll` until [`Worker::stop`].
    pub fn spawn(
        db: crate::db::Db,
        mailer: Mailer,
        poll: std::time::Duration,
    ) -> std::io::Result<Worker> {
        use std::sync::atomic::Ordering;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("mail-worker".into())
            .spawn(move || {
                tracing::info!(transport = %mailer.transport.describe(), "mail worker started");
                while !flag.load(Ordering::SeqCst) {
                    // a bug in one pass must not stop mail for good: log it, keep going
                    let pass = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        db.conn()
                            .map_err(MailError::from)
                            .and_then(|mut conn| mailer.deliver_due_until(&mut conn, &flag))
                    }))
                    .unwrap_or_else(|_| Err(MailError::Panicked));
                    match pass {
                        Ok(p) if p != Pass::default() => {
                            tracing::info!(
                                sent = p.sent,
                                retrying = p.retrying,
                                failed = p.failed,
                                "mail delivered"
                            )
                        }
                        Ok(_) => {}
                        Err(e) => tracing::warn!(error = %e, "mail delivery pass failed; retrying"),
                    }
                    let mut waited = std::time::Duration::ZERO;
                    while waited < poll && !flag.load(Ordering::SeqCst) {
                        let step = std::time::Duration::from_millis(100);
                        std::thread::sleep(step);
                        waited += step;
                    }
                }
            })?;
        Ok(Worker {
            stop,
            thread: Some(thread),
        })
    }

    /// Asks the worker to stop after the mail it is sending (the rest of its batch is
    /// released), and waits for it.
    pub fn stop(mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff(1), Duration::seconds(30));
        assert_eq!(backoff(2), Duration::seconds(60));
        assert_eq!(backoff(5), Duration::seconds(480));
        assert_eq!(backoff(8), Duration::seconds(3600));
        assert_eq!(backoff(50), Duration::seconds(3600));
    }

    #[test]
    fn tokens_are_not_kept_after_sending() {
        let kept = redacted(r#"{"display_name":"A","token":"secret-value"}"#);
        assert!(!kept.contains("secret-value"));
        assert!(kept.contains("display_name"));
    }
}
