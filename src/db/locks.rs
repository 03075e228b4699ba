//! Locks where the two backends differ: row locks (`FOR UPDATE`, `FOR SHARE`) and advisory
//! locks on PostgreSQL; on SQLite, whose write transactions (`BEGIN IMMEDIATE`, behind the
//! writer queue) already exclude every other writer, nothing to do.

use super::{AnyConnection, DbConn};

/// Locks row `id` of `table` until the end of the current transaction, so that a
/// read-modify-write inside it loses no concurrent update: `SELECT … FOR UPDATE` on
/// PostgreSQL; nothing on SQLite, whose write transactions (`BEGIN IMMEDIATE`) already exclude
/// every other writer. `table` is a name from the code, never from input.
pub fn lock_row(conn: &mut DbConn, table: &'static str, id: &str) -> diesel::QueryResult<()> {
    lock_row_by(conn, table, "id", id)
}

/// [`lock_row`] on every row of `table` whose id is in `ids`, in one statement, taken in id
/// order (as two transactions locking overlapping sets one row at a time in id order
/// would, so they cannot deadlock).
pub fn lock_rows(
    conn: &mut DbConn,
    table: &'static str,
    ids: &[String],
) -> diesel::QueryResult<()> {
    if let AnyConnection::Postgres(c) = conn.diesel() {
        let query = diesel::sql_query(format!(
            "SELECT 1 FROM {table} WHERE id = ANY($1) ORDER BY id FOR UPDATE"
        ))
        .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(ids);
        diesel::RunQueryDsl::execute(query, c)?;
    }
    Ok(())
}

/// [`lock_row`] on the row whose `column` is `key` (`table` and `column` from the code).
pub fn lock_row_by(
    conn: &mut DbConn,
    table: &'static str,
    column: &'static str,
    key: &str,
) -> diesel::QueryResult<()> {
    if let AnyConnection::Postgres(c) = conn.diesel() {
        let query = diesel::sql_query(format!(
            "SELECT 1 FROM {table} WHERE {column} = $1 FOR UPDATE"
        ))
        .bind::<diesel::sql_types::Text, _>(key);
        diesel::RunQueryDsl::execute(query, c)?;
    }
    Ok(())
}

/// PostgreSQL: tries to take the session-level advisory lock `key` (`Some(taken)`), held
/// until [`advisory_unlock`] or the session ends. SQLite has none: `None`.
pub fn try_advisory_lock(conn: &mut DbConn, key: i64) -> diesel::QueryResult<Option<bool>> {
    #[derive(diesel::QueryableByName)]
    struct Locked {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        locked: bool,
    }
    match conn.diesel() {
        AnyConnection::Postgres(c) => {
            let got: Locked = diesel::RunQueryDsl::get_result(
                diesel::sql_query("SELECT pg_try_advisory_lock($1) AS locked")
                    .bind::<diesel::sql_types::BigInt, _>(key),
                c,
            )?;
            Ok(Some(got.locked))
        }
        AnyConnection::Sqlite(_) => Ok(None),
    }
}

/// Lets go of an advisory lock taken by [`try_advisory_lock`] (nothing on SQLite).
pub fn advisory_unlock(conn: &mut DbConn, key: i64) -> diesel::QueryResult<()> {
    if let AnyConnection::Postgres(c) = conn.diesel() {
        diesel::RunQueryDsl::execute(
            diesel::sql_query("SELECT pg_advisory_unlock($1)")
                .bind::<diesel::sql_types::BigInt, _>(key),
            c,
        )?;
    }
    Ok(())
}

/// Takes a shared lock on one row until the transaction ends: many holders at once, but no
/// writer of that row meanwhile (`SELECT … FOR SHARE` on PostgreSQL; nothing on SQLite, see
/// [`lock_row`]). `table` is a name from the code, never from input.
pub fn lock_row_shared(
    conn: &mut DbConn,
    table: &'static str,
    id: &str,
) -> diesel::QueryResult<()> {
    if let AnyConnection::Postgres(c) = conn.diesel() {
        let query = diesel::sql_query(format!("SELECT 1 FROM {table} WHERE id = $1 FOR SHARE"))
            .bind::<diesel::sql_types::Text, _>(id);
        diesel::RunQueryDsl::execute(query, c)?;
    }
    Ok(())
}
