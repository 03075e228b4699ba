//! Copies of an embedded (SQLite) database while the server runs, and what a copy holds.
//!
//! The copy is SQLite's `VACUUM INTO`: one read transaction, so it is the database as of one
//! instant (WAL mode lets writers go on meanwhile), compacted, and complete — the main file
//! alone, no `-wal` to carry along. PostgreSQL deployments use `pg_dump`/`pg_restore` (see
//! the README); the [`Holdings`] report works on both.

use std::path::Path;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};

use super::{AnyConnection, DbConn};

/// Writes a consistent copy of the SQLite database behind `conn` to `target`, which must
/// not exist yet. The copy is made readable by its owner only.
pub fn sqlite_copy(conn: &mut DbConn, target: &Path) -> Result<(), String> {
    if target.exists() {
        return Err(format!(
            "{} exists already: choose a new file name",
            target.display()
        ));
    }
    let AnyConnection::Sqlite(c) = conn.diesel() else {
        return Err(
            "this is a PostgreSQL database: back it up with pg_dump (see the README)".into(),
        );
    };
    let path = target
        .to_str()
        .ok_or_else(|| format!("{} is not a UTF-8 path", target.display()))?;
    diesel::sql_query("VACUUM INTO ?")
        .bind::<Text, _>(path)
        .execute(c)
        .map_err(|e| format!("copying the database to {}: {e}", target.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(target, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| format!("making {} private: {e}", target.display()))?;
    }
    Ok(())
}

/// What a database holds, to print after a backup and to compare before a restore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holdings {
    /// Rows per table that people care about, in a fixed order.
    pub counts: Vec<(&'static str, i64)>,
    /// The ledger's last entry: its sequence number (0: none) and time.
    pub ledger_seq: i64,
    pub last_entry_at: Option<NaiveDateTime>,
    /// The latest write seen in the main tables (entries, orders, users, mail).
    pub last_write_at: Option<NaiveDateTime>,
    /// Moves pushed to Odoo.
    pub pushed_to_odoo: i64,
}

/// The tables counted in [`Holdings`], with the words shown for them.
pub const COUNTED: &[&str] = &[
    "users",
    "enterprises",
    "currencies",
    "ledger_accounts",
    "ledger_entries",
    "order_cycles",
    "orders",
    "accounting_moves",
    "audit_events",
    "mail_outbox",
];

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Latest {
    #[diesel(sql_type = Nullable<Timestamp>)]
    at: Option<NaiveDateTime>,
}

/// The ledger's last entry number (0: none).
const LAST_SEQ: &str = "SELECT CAST(COALESCE(MAX(seq), 0) AS BIGINT) AS n FROM ledger_entries";

fn count(conn: &mut DbConn, sql: &str) -> QueryResult<i64> {
    Ok(diesel::sql_query(sql).get_result::<Count>(conn.diesel())?.n)
}

fn latest(conn: &mut DbConn, sql: &str) -> QueryResult<Option<NaiveDateTime>> {
    Ok(diesel::sql_query(sql)
        .get_result::<Latest>(conn.diesel())?
        .at)
}

/// What the database behind `conn` holds.
pub fn holdings(conn: &mut DbConn) -> QueryResult<Holdings> {
    let mut counts = Vec::with_capacity(COUNTED.len());
    for table in COUNTED {
        // table names from the list above, never from input
        let n = count(
            conn,
            &format!("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM {table}"),
        )?;
        counts.push((*table, n));
    }
    let ledger_seq = count(conn, LAST_SEQ)?;
    let last_entry_at = latest(conn, "SELECT MAX(created_at) AS at FROM ledger_entries")?;
    let mut last_write_at = last_entry_at;
    for sql in [
        "SELECT MAX(updated_at) AS at FROM orders",
        "SELECT MAX(updated_at) AS at FROM users",
        "SELECT MAX(created_at) AS at FROM mail_outbox",
        "SELECT MAX(at) AS at FROM audit_events",
    ] {
        last_write_at = last_write_at.max(latest(conn, sql)?);
    }
    let pushed_to_odoo = count(
        conn,
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM odoo_sync WHERE state = 'pushed'",
    )?;
    Ok(Holdings {
        counts,
        ledger_seq,
        last_entry_at,
        last_write_at,
        pushed_to_odoo,
    })
}

/// What is waiting, for the metrics: mail not sent yet and failed, moves per Odoo state, the
/// ledger's last entry number, and the orders checked out so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backlog {
    pub mail_pending: i64,
    pub mail_failed: i64,
    /// `(state, moves)`: pending, pushed, failed, conflict.
    pub odoo: Vec<(String, i64)>,
    pub ledger_entries: i64,
    pub checkouts: i64,
}

#[derive(QueryableByName)]
struct StateCount {
    #[diesel(sql_type = Text)]
    state: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

pub fn backlog(conn: &mut DbConn) -> QueryResult<Backlog> {
    Ok(Backlog {
        mail_pending: count(
            conn,
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM mail_outbox \
             WHERE sent_at IS NULL AND failed_at IS NULL",
        )?,
        mail_failed: count(
            conn,
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM mail_outbox WHERE failed_at IS NOT NULL",
        )?,
        odoo: diesel::sql_query(
            "SELECT state, CAST(COUNT(*) AS BIGINT) AS n FROM odoo_sync GROUP BY state ORDER BY state",
        )
        .load::<StateCount>(conn.diesel())?
        .into_iter()
        .map(|s| (s.state, s.n))
        .collect(),
        ledger_entries: count(conn, LAST_SEQ)?,
        checkouts: count(
            conn,
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM orders WHERE confirmed_at IS NOT NULL",
        )?,
    })
}

/// SQLite: moves the database behind `conn` pushed to Odoo that the database at `other`
/// does not have as pushed (what a restore of `other` would forget Odoo holds).
pub fn pushed_only_here(conn: &mut DbConn, other: &Path) -> Result<i64, String> {
    let AnyConnection::Sqlite(c) = conn.diesel() else {
        return Err("comparing with another database needs SQLite".into());
    };
    let path = other
        .to_str()
        .ok_or_else(|| format!("{} is not a UTF-8 path", other.display()))?;
    let err = |e: diesel::result::Error| format!("comparing with {}: {e}", other.display());
    diesel::sql_query("ATTACH DATABASE ? AS other")
        .bind::<Text, _>(path)
        .execute(c)
        .map_err(err)?;
    let counted = diesel::sql_query(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM main.odoo_sync t
         WHERE t.state = 'pushed' AND NOT EXISTS (
             SELECT 1 FROM other.odoo_sync o
             WHERE o.ledger_entry_id = t.ledger_entry_id AND o.state = 'pushed')",
    )
    .get_result::<Count>(c)
    .map(|c| c.n);
    let detached = diesel::sql_query("DETACH DATABASE other").execute(c);
    let n = counted.map_err(err)?;
    detached.map_err(err)?;
    Ok(n)
}
