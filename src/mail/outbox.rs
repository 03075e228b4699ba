//! The transactional outbox: a mail is a row written in the same transaction as the event
//! that causes it, so it is sent if and only if the event committed.

use diesel::prelude::*;
use serde::Serialize;

use super::MailError;
use crate::db::schema::mail_outbox;
use crate::db::DbConn;

/// Queues `template` for `recipient` with its values; call inside the event's transaction.
pub fn enqueue(
    conn: &mut DbConn,
    recipient: &str,
    template: &str,
    locale: &str,
    payload: &impl Serialize,
) -> Result<String, MailError> {
    let id = crate::time::new_id();
    let now = crate::time::now();
    let payload = serde_json::to_string(payload)?;
    diesel::insert_into(mail_outbox::table)
        .values((
            mail_outbox::id.eq(&id),
            mail_outbox::recipient.eq(recipient),
            mail_outbox::template.eq(template),
            mail_outbox::locale.eq(locale),
            mail_outbox::payload.eq(&payload),
            mail_outbox::created_at.eq(now),
            mail_outbox::next_attempt_at.eq(now),
        ))
        .execute(conn.diesel())?;
    Ok(id)
}

/// Counts of the outbox by state, and the mails that failed for good.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Status {
    pub pending: i64,
    /// Pending after at least one failed attempt.
    pub retrying: i64,
    pub sent: i64,
    pub failed: i64,
    /// `(id, recipient, template, attempts, last error)` of the latest failed mails.
    pub recent_failures: Vec<(String, String, String, i32, String)>,
}

/// The state of the outbox.
pub fn status(conn: &mut DbConn) -> Result<Status, MailError> {
    use mail_outbox::dsl as m;
    Ok({
        let conn = conn.diesel();
        let pending: i64 = m::mail_outbox
            .filter(m::sent_at.is_null().and(m::failed_at.is_null()))
            .count()
            .get_result(conn)?;
        let retrying: i64 = m::mail_outbox
            .filter(
                m::sent_at
                    .is_null()
                    .and(m::failed_at.is_null())
                    .and(m::attempts.gt(0)),
            )
            .count()
            .get_result(conn)?;
        let sent: i64 = m::mail_outbox
            .filter(m::sent_at.is_not_null())
            .count()
            .get_result(conn)?;
        let failed: i64 = m::mail_outbox
            .filter(m::failed_at.is_not_null())
            .count()
            .get_result(conn)?;
        let recent: Vec<(String, String, String, i32, Option<String>)> = m::mail_outbox
            .filter(m::failed_at.is_not_null())
            .order(m::failed_at.desc())
            .limit(20)
            .select((m::id, m::recipient, m::template, m::attempts, m::last_error))
            .load(conn)?;
        Ok::<_, diesel::result::Error>(Status {
            pending,
            retrying,
            sent,
            failed,
            recent_failures: recent
                .into_iter()
                .map(|(a, b, c, d, e)| (a, b, c, d, e.unwrap_or_default()))
                .collect(),
        })
    }?)
}

/// Puts failed mails (one, or all when `id` is `None`) back in the queue, due now, with
/// their attempts counted afresh. Returns how many.
pub fn retry(conn: &mut DbConn, id: Option<&str>) -> Result<usize, MailError> {
    use mail_outbox::dsl as m;
    let now = crate::time::now();
    Ok({
        let conn = conn.diesel();
        let mut query = diesel::update(m::mail_outbox)
            .filter(m::failed_at.is_not_null())
            .into_boxed();
        if let Some(id) = id {
            query = query.filter(m::id.eq(id.to_string()));
        }
        query
            .set((
                m::failed_at.eq(None::<chrono::NaiveDateTime>),
                m::attempts.eq(0),
                m::next_attempt_at.eq(now),
            ))
            .execute(conn)
    }?)
}
