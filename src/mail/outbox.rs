//! The transactional outbox: a mail is a row written in the same transaction as the event
//! that causes it, so it is sent if and only if the event committed.

use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::mail_outbox;
use crate::db::DbConn;
use crate::db_run;
use crate::error::ApiError;

/// Queues `template` for `recipient` with its values; call inside the event's transaction.
pub fn enqueue(
    conn: &mut DbConn,
    recipient: &str,
    template: &str,
    locale: &str,
    payload: &impl Serialize,
) -> Result<String, ApiError> {
    let id = crate::time::new_id();
    let now = crate::time::now();
    let payload = serde_json::to_string(payload).map_err(ApiError::internal)?;
    db_run!(conn => diesel::insert_into(mail_outbox::table)
        .values((
            mail_outbox::id.eq(&id),
            mail_outbox::recipient.eq(recipient),
            mail_outbox::template.eq(template),
            mail_outbox::locale.eq(locale),
            mail_outbox::payload.eq(&payload),
            mail_outbox::created_at.eq(now),
            mail_outbox::next_attempt_at.eq(now),
        ))
        .execute(conn))?;
    Ok(id)
}
