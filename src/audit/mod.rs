//! The audit trail: who did which administrative act, when, from where, and what it changed.
//!
//! Every act that changes who may do what or that moves money by decision rather than by
//! trade (granting or revoking a platform admin, issuing currency, paying out a
//! reconversion, approvals, freezes and limits, chart changes, period closes, erasures) is
//! recorded by the domain function that does it, **in the same transaction**: an act
//! without its event, or an event without its act, cannot be committed.
//!
//! The table is append-only: the database itself refuses an update or a delete (a trigger on
//! each backend). Events name people by their user id only, never by name or address, so
//! erasing a person's data leaves the trail whole; the command line is named by the
//! operating-system user who ran it.
//!
//! Who may read: platform admins read everything; an enterprise's owners and treasurers read
//! the events about it (`enterprise_id`). The policy decides at the edge.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::audit_events;
use crate::db::DbConn;
use crate::ids::UserId;
use crate::pagination::{Page, PageParams};

/// What can go wrong with the audit trail.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(transparent)]
    Invalid(#[from] crate::error::Invalid),
    /// A failure that is no one's input (an event that cannot be written as JSON).
    #[error("{0}")]
    Internal(String),
    #[error("database: {0}")]
    Db(#[from] diesel::result::Error),
    #[error(transparent)]
    Unavailable(#[from] crate::db::DbError),
}

crate::error::domain_error!(AuditError);

/// Who acts, and from where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Who {
    /// The person, when a logged-in person acts.
    pub user_id: Option<UserId>,
    /// `user`, or `cli:<operating-system user>` for the command line.
    pub actor: String,
    /// The client's address, or `local` for the command line.
    pub origin: String,
}

impl Who {
    /// A logged-in person, calling from `origin` (the client's address as the server saw
    /// it).
    pub fn user(user_id: UserId, origin: impl Into<String>) -> Who {
        Who {
            user_id: Some(user_id),
            actor: "user".into(),
            origin: origin.into(),
        }
    }

    /// The command line, run by the operating-system user named by `USER` (or `LOGNAME`).
    pub fn command_line() -> Who {
        let os_user = std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .unwrap_or_else(|_| "unknown".into());
        Who {
            user_id: None,
            actor: format!("cli:{os_user}"),
            origin: "local".into(),
        }
    }
}

/// One act, as the domain function that did it describes it.
#[derive(Debug, Clone)]
pub struct Act<'a> {
    /// `admin.create`, `admin.grant`, `admin.revoke`, `ledger.issue`…
    pub action: &'a str,
    /// What the act was done to: `user`, `account`, `currency`, `period`…
    pub subject_kind: &'a str,
    pub subject_id: &'a str,
    /// The enterprise whose owners and treasurers may read the event.
    pub enterprise_id: Option<&'a str>,
    /// The ledger entry the act wrote, when it moved money.
    pub ledger_entry_id: Option<&'a str>,
    /// What changed (amounts as exact decimal strings, reasons, before and after).
    pub details: serde_json::Value,
}

/// An act that writes a ledger entry, carried by the entry's request: the journal records
/// it in the transaction that writes the entry (an entry that moves money by decision never
/// exists without its event), and not again when the request is replayed.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub who: Who,
    pub action: String,
    pub subject_kind: String,
    pub subject_id: String,
    pub enterprise_id: Option<String>,
    pub details: serde_json::Value,
}

impl Draft {
    /// The event of this act, which wrote `ledger_entry_id` at `at`.
    pub fn event(
        &self,
        ledger_entry_id: &str,
        at: NaiveDateTime,
    ) -> Result<AuditEvent, AuditError> {
        let act = Act {
            action: &self.action,
            subject_kind: &self.subject_kind,
            subject_id: &self.subject_id,
            enterprise_id: self.enterprise_id.as_deref(),
            ledger_entry_id: Some(ledger_entry_id),
            details: self.details.clone(),
        };
        AuditEvent::of(&self.who, &act, at)
    }
}

impl<'a> Act<'a> {
    /// An act on a person's account (`subject_kind` `user`), about `enterprise_id` if any.
    pub fn on_user(
        action: &'a str,
        user_id: &'a str,
        enterprise_id: Option<&'a str>,
        details: serde_json::Value,
    ) -> Act<'a> {
        Act {
            action,
            subject_kind: "user",
            subject_id: user_id,
            enterprise_id,
            ledger_entry_id: None,
            details,
        }
    }
}

/// A recorded event.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = audit_events)]
pub struct AuditEvent {
    pub id: String,
    pub at: NaiveDateTime,
    pub actor_id: Option<String>,
    pub actor: String,
    pub origin: String,
    pub action: String,
    pub subject_kind: String,
    pub subject_id: String,
    pub enterprise_id: Option<String>,
    pub ledger_entry_id: Option<String>,
    pub details: String,
}

impl AuditEvent {
    /// The event of `act` by `who` at `at`.
    fn of(who: &Who, act: &Act<'_>, at: NaiveDateTime) -> Result<AuditEvent, AuditError> {
        Ok(AuditEvent {
            id: crate::time::new_id(),
            at,
            actor_id: who.user_id.as_ref().map(|u| u.to_string()),
            actor: who.actor.clone(),
            origin: who.origin.clone(),
            action: act.action.to_string(),
            subject_kind: act.subject_kind.to_string(),
            subject_id: act.subject_id.to_string(),
            enterprise_id: act.enterprise_id.map(str::to_string),
            ledger_entry_id: act.ledger_entry_id.map(str::to_string),
            details: serde_json::to_string(&act.details).map_err(AuditError::internal)?,
        })
    }
}

/// Records `act` by `who`, in the caller's transaction.
pub fn record(conn: &mut DbConn, who: &Who, act: Act<'_>) -> Result<AuditEvent, AuditError> {
    let event = AuditEvent::of(who, &act, crate::time::now())?;
    diesel::insert_into(audit_events::table)
        .values(&event)
        .execute(conn.diesel())?;
    Ok(event)
}

/// Which events to read.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only the events about this enterprise (none: every event).
    pub enterprise_id: Option<String>,
    /// Only events of this action.
    pub action: Option<String>,
}

/// One page of events, in the order they happened.
pub fn list(
    conn: &mut DbConn,
    filter: &Filter,
    page: &PageParams,
) -> Result<Page<AuditEvent>, AuditError> {
    let mut query = audit_events::table
        .select(AuditEvent::as_select())
        .order(audit_events::id.asc())
        .limit(page.fetch_limit())
        .into_boxed();
    if let Some(enterprise) = &filter.enterprise_id {
        query = query.filter(audit_events::enterprise_id.eq(enterprise.clone()));
    }
    if let Some(action) = &filter.action {
        query = query.filter(audit_events::action.eq(action.clone()));
    }
    if let Some(after) = &page.after {
        query = query.filter(audit_events::id.gt(after.clone()));
    }
    let rows = query.load(conn.diesel())?;
    Ok(page.paginate(rows, |e: &AuditEvent| e.id.clone()))
}

/// The events of one person's acts, in the order they happened (for their data export).
pub fn by_actor(conn: &mut DbConn, user: &UserId) -> Result<Vec<AuditEvent>, AuditError> {
    Ok(audit_events::table
        .filter(audit_events::actor_id.eq(user.as_str()))
        .order(audit_events::id.asc())
        .select(AuditEvent::as_select())
        .load(conn.diesel())?)
}
