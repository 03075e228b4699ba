//! One Odoo sync at a time, and a sync that dies lets go at once.
//!
//! The running sync holds the lease row (`odoo_lease`: who, since when, until when it
//! lapses), renewed at every move. Who holds it is what `odoo status` shows. A lease dies
//! with its holder, without waiting for it to lapse:
//! - **PostgreSQL**: the sync first takes a session advisory lock on its connection
//!   (`pg_try_advisory_lock`). PostgreSQL drops it when the connection ends — a `kill -9`
//!   included — so whoever gets the lock may take the row whatever it says.
//! - **SQLite** (one machine by construction): the holder is named `host:pid:id`; a holder on
//!   this machine whose process is gone (`/proc/<pid>`) has died, and the row is taken over.
//!   Elsewhere than Linux, the row lapses after [`LEASE_MINUTES`].

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::accounting::AccountingError;
use crate::db::schema::odoo_lease;
use crate::db::DbConn;

/// Minutes a lease lasts without being renewed (a holder that hangs without dying).
pub const LEASE_MINUTES: i64 = 10;

/// The advisory lock's key on PostgreSQL (any constant unique to this use).
pub const ADVISORY_KEY: i64 = 0x436f_6d70_746f_6f01; // "Comptoo" 01

/// This process's name for a lease it takes: `host:pid:id`.
pub fn holder_name() -> String {
    format!(
        "{}:{}:{}",
        host_name(),
        std::process::id(),
        crate::time::new_id()
    )
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// Whether the holder named `holder` has died: it ran on this machine and its process is
/// gone. Unknown (another machine, not Linux): false.
fn holder_died(holder: &str) -> bool {
    let mut parts = holder.split(':');
    let (Some(host), Some(pid)) = (parts.next(), parts.next()) else {
        return false;
    };
    if host != host_name() || !std::path::Path::new("/proc/self").exists() {
        return false;
    }
    match pid.parse::<u32>() {
        Ok(pid) => !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        Err(_) => false,
    }
}

/// Who holds the lease and since when, as `odoo status` shows it: "pid 4242 on host".
#[derive(Debug, Clone, serde::Serialize)]
pub struct Holder {
    pub holder: String,
    pub since: NaiveDateTime,
}

impl Holder {
    /// `pid 4242 on host`.
    pub fn who(&self) -> String {
        let mut parts = self.holder.split(':');
        match (parts.next(), parts.next()) {
            (Some(host), Some(pid)) => format!("pid {pid} on {host}"),
            _ => self.holder.clone(),
        }
    }
}

/// The lease's holder, when a sync runs (or died without its lease lapsing yet).
pub fn current(conn: &mut DbConn) -> Result<Option<Holder>, AccountingError> {
    let row: Option<(Option<String>, Option<NaiveDateTime>, Option<NaiveDateTime>)> =
        odoo_lease::table
            .find(1)
            .select((odoo_lease::holder, odoo_lease::until, odoo_lease::taken_at))
            .first(conn.diesel())
            .optional()?;
    let now = crate::db::clock(conn)?;
    Ok(match row {
        Some((Some(holder), Some(until), taken_at)) if until > now => Some(Holder {
            since: taken_at.unwrap_or(until - chrono::Duration::minutes(LEASE_MINUTES)),
            holder,
        }),
        _ => None,
    })
}

/// Takes the lease for `holder`; `Err(holder)` names the live sync holding it.
pub fn take(conn: &mut DbConn, holder: &str) -> Result<Result<(), Holder>, AccountingError> {
    // the database's clock: instances whose clocks differ agree on when a lease ends
    let now = crate::db::clock(conn)?;
    let until = now + chrono::Duration::minutes(LEASE_MINUTES);
    let forced = match crate::db::try_advisory_lock(conn, ADVISORY_KEY)? {
        // a live session holds it
        Some(false) => return Ok(Err(holding(conn, now)?)),
        Some(true) => true,
        // SQLite: no session lock; a holder whose process is gone has let go
        None => current(conn)?.is_some_and(|h| holder_died(&h.holder)),
    };
    let taken = {
        let conn = conn.diesel();
        let target = odoo_lease::table.find(1);
        let set = (
            odoo_lease::holder.eq(holder),
            odoo_lease::until.eq(until),
            odoo_lease::taken_at.eq(now),
        );
        if forced {
            diesel::update(target).set(set).execute(conn)
        } else {
            diesel::update(
                target.filter(
                    odoo_lease::until
                        .is_null()
                        .or(odoo_lease::until.lt(now))
                        .or(odoo_lease::holder.eq(holder)),
                ),
            )
            .set(set)
            .execute(conn)
        }
    }?;
    if taken == 1 {
        return Ok(Ok(()));
    }
    Ok(Err(holding(conn, now)?))
}

/// Who holds the lease, as far as its row says (a session may hold the advisory lock
/// before writing the row).
fn holding(conn: &mut DbConn, now: NaiveDateTime) -> Result<Holder, AccountingError> {
    Ok(current(conn)?.unwrap_or(Holder {
        holder: "another process".into(),
        since: now,
    }))
}

/// Renews the lease; false when `holder` lost it.
pub fn renew(conn: &mut DbConn, holder: &str) -> Result<bool, AccountingError> {
    let until = crate::db::clock(conn)? + chrono::Duration::minutes(LEASE_MINUTES);
    let renewed = diesel::update(
        odoo_lease::table
            .find(1)
            .filter(odoo_lease::holder.eq(holder)),
    )
    .set(odoo_lease::until.eq(until))
    .execute(conn.diesel())?;
    Ok(renewed == 1)
}

/// Lets the lease go (and, on PostgreSQL, the advisory lock).
pub fn release(conn: &mut DbConn, holder: &str) -> Result<(), AccountingError> {
    diesel::update(
        odoo_lease::table
            .find(1)
            .filter(odoo_lease::holder.eq(holder)),
    )
    .set((
        odoo_lease::holder.eq(None::<String>),
        odoo_lease::until.eq(None::<NaiveDateTime>),
        odoo_lease::taken_at.eq(None::<NaiveDateTime>),
    ))
    .execute(conn.diesel())?;
    crate::db::advisory_unlock(conn, ADVISORY_KEY)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_holder_on_this_machine_whose_process_is_gone_has_died() {
        let me = holder_name();
        assert!(!holder_died(&me), "this process is alive");
        let host = host_name();
        // pids are below 2^22 on Linux
        assert!(holder_died(&format!("{host}:4194304999:x")));
        assert!(!holder_died("another-host:4194304999:x"), "unknown");
        assert!(!holder_died("garbage"));
    }

    #[test]
    fn a_holder_is_shown_by_pid_and_host() {
        let h = Holder {
            holder: "box:42:0190".into(),
            since: crate::time::now(),
        };
        assert_eq!(h.who(), "pid 42 on box");
    }
}
