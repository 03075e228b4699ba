//! Storage: one diesel schema for SQLite (default, embedded) and PostgreSQL, chosen by URL.
//!
//! Queries are written once, in plain diesel, on [`DbConn::diesel`]: an [`AnyConnection`]
//! (`#[derive(diesel::MultiConnection)]`) that runs them on whichever backend the URL named —
//! the design vaultwarden moved to. What truly differs per backend stays here, behind small
//! functions: [`per_backend`] (upserts), [`lock_row`], transaction modes ([`DbConn::transaction`],
//! [`DbConn::read_snapshot`]), migrations. Blocking diesel work runs on the runtime's blocking thread
//! pool through [`Db::run`], never on the async workers.
//!
//! Conventions shared by both schemas (see `migrations/`):
//! - ids are UUID v7 stored as lowercase hyphenated `TEXT` (their text order is time order,
//!   which cursor pagination relies on);
//! - amounts are `BIGINT` minor units; rates are integer basis points or percents;
//! - timestamps are `TIMESTAMP` columns holding UTC (`NaiveDateTime` in Rust, converted to
//!   `DateTime<Utc>` at the API edge).
//!
//! SQLite connections are opened with WAL, `synchronous = FULL` (a committed payment survives a
//! power cut), `busy_timeout` and `foreign_keys = ON`.

pub mod backup;
mod locks;
pub mod schema;

pub use locks::{
    advisory_unlock, lock_row, lock_row_by, lock_row_shared, lock_rows, try_advisory_lock,
};

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{CustomizeConnection, Pool, PooledConnection};
use diesel::Connection;
use diesel::{PgConnection, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use secrecy::ExposeSecret;

use crate::config::DatabaseUrl;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// How long a request waits for a pooled connection before the database counts as unavailable.
const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a SQLite writer waits for the write lock before giving up.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 5_000;

/// One diesel connection to either backend: queries are written once, against
/// `MultiBackend`, and run on whichever database the URL named (vaultwarden's design since
/// diesel 2.1). What truly differs per backend — upserts, row locks, `SKIP LOCKED`,
/// transaction modes — lives in this module ([`per_backend`], [`lock_row`], …).
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

/// Opens connections of the one backend a URL names. (The derived `establish` would try each
/// backend in turn: a PostgreSQL URL whose server is down would then open a SQLite file named
/// after the URL.)
#[derive(Debug)]
pub struct Manager {
    backend: Backend,
    location: String,
}

impl diesel::r2d2::ManageConnection for Manager {
    type Connection = AnyConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<AnyConnection, Self::Error> {
        let open = match self.backend {
            Backend::Sqlite => {
                SqliteConnection::establish(&self.location).map(AnyConnection::Sqlite)
            }
            Backend::Postgres => {
                PgConnection::establish(&self.location).map(AnyConnection::Postgres)
            }
        };
        open.map_err(diesel::r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), Self::Error> {
        use diesel::r2d2::R2D2Connection;
        conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        use diesel::r2d2::R2D2Connection;
        conn.is_broken()
    }
}

/// Which database engine a pool talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A pool of connections to one database.
#[derive(Clone)]
pub struct Db {
    pool: Pool<Manager>,
    shared: std::sync::Arc<Shared>,
    backend: Backend,
}

/// What the connections of one pool share: SQLite's queue of writers, and values the domain
/// keeps per pool, by type ([`Shared::extension`]: the ledger's group commit of concurrent
/// journal commits) — so the pool knows no domain type.
#[derive(Default)]
pub struct Shared {
    writes: WriteQueue,
    extensions: std::sync::RwLock<
        std::collections::HashMap<
            std::any::TypeId,
            std::sync::Arc<dyn std::any::Any + Send + Sync>,
        >,
    >,
}

/// Values read from the database and kept for a while, per pool (a [`Shared::extension`]):
/// what pages read on every visit but changes rarely (a cycle's filters, a producer's
/// products in shop order, the taxonomy). Each value is read again once it is older than
/// the `ttl` its reader gives; expired values are dropped whenever a new one is kept.
/// Extensions are found by type: give each use a key or value type of its own.
pub struct Kept<K, V>(std::sync::Mutex<std::collections::HashMap<K, (std::time::Instant, V)>>);

impl<K, V> Default for Kept<K, V> {
    fn default() -> Self {
        Kept(std::sync::Mutex::new(std::collections::HashMap::new()))
    }
}

impl<K: std::hash::Hash + Eq, V: Clone> Kept<K, V> {
    /// The value of `key` read less than `ttl` ago, else `read`'s, kept from now. A value
    /// whose reading fails is not kept; a poisoned lock only costs a reading.
    pub fn get_or_read<E>(
        &self,
        key: K,
        ttl: std::time::Duration,
        read: impl FnOnce() -> Result<V, E>,
    ) -> Result<V, E> {
        if let Ok(kept) = self.0.lock() {
            if let Some((at, value)) = kept.get(&key) {
                if at.elapsed() < ttl {
                    return Ok(value.clone());
                }
            }
        }
        let value = read()?;
        if let Ok(mut kept) = self.0.lock() {
            kept.retain(|_, (at, _)| at.elapsed() < ttl);
            kept.insert(key, (std::time::Instant::now(), value.clone()));
        }
        Ok(value)
    }
}

impl Shared {
    /// This pool's value of type `T`, created (by `Default`) the first time it is asked for.
    pub fn extension<T: Default + Send + Sync + 'static>(&self) -> std::sync::Arc<T> {
        let key = std::any::TypeId::of::<T>();
        let found = self
            .extensions
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(&key)
            .cloned();
        if let Some(Ok(value)) = found.map(|v| v.downcast::<T>()) {
            return value;
        }
        let mut map = self
            .extensions
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let entry = map
            .entry(key)
            .or_insert_with(|| std::sync::Arc::new(T::default()));
        match entry.clone().downcast::<T>() {
            Ok(value) => value,
            Err(_) => {
                // keyed by its type: never another type's value, but never a panic either
                let value = std::sync::Arc::new(T::default());
                *entry = value.clone();
                value
            }
        }
    }
}

/// One pooled connection, returned to its pool on drop. Diesel queries run on
/// [`DbConn::diesel`]; transactions go through [`DbConn::transaction`] (SQLite's writers
/// queue, [`WriteQueue`]) and [`DbConn::read_snapshot`].
pub struct DbConn {
    conn: PooledConnection<Manager>,
    shared: std::sync::Arc<Shared>,
}

impl DbConn {
    /// The diesel connection, for one query or a few in a row.
    pub fn diesel(&mut self) -> &mut AnyConnection {
        &mut self.conn
    }

    pub fn backend(&self) -> Backend {
        match &*self.conn {
            AnyConnection::Sqlite(_) => Backend::Sqlite,
            AnyConnection::Postgres(_) => Backend::Postgres,
        }
    }

    /// What this connection's pool shares (the SQLite write queue, the domain's extensions).
    pub fn shared(&self) -> &std::sync::Arc<Shared> {
        &self.shared
    }
}

/// Runs a statement `MultiBackend` cannot express on the concrete connection: a batch insert
/// (SQLite's needs one statement per row when a value is left to its default), an insert
/// leaving columns to their defaults, an upsert (`ON CONFLICT`). The statement is built once,
/// in plain diesel, by the caller.
pub fn execute<Q>(conn: &mut AnyConnection, statement: Q) -> diesel::QueryResult<usize>
where
    Q: diesel::query_dsl::methods::ExecuteDsl<SqliteConnection>
        + diesel::query_dsl::methods::ExecuteDsl<PgConnection>,
{
    use diesel::query_dsl::methods::ExecuteDsl;
    match conn {
        AnyConnection::Sqlite(c) => ExecuteDsl::<SqliteConnection>::execute(statement, c),
        AnyConnection::Postgres(c) => ExecuteDsl::<PgConnection>::execute(statement, c),
    }
}

/// Runs code written for each backend on the concrete connection: the ledger journal's store,
/// whose PostgreSQL commit is one array statement and SQLite's one cached statement per row.
pub fn per_backend<T>(
    conn: &mut DbConn,
    sqlite: impl FnOnce(&mut SqliteConnection) -> T,
    postgres: impl FnOnce(&mut PgConnection) -> T,
) -> T {
    match conn.diesel() {
        AnyConnection::Sqlite(c) => sqlite(c),
        AnyConnection::Postgres(c) => postgres(c),
    }
}

/// The writers of one SQLite database take turns in arrival order.
///
/// SQLite makes a writer that finds the write lock taken poll for it, sleeping longer and
/// longer (up to 100 ms) with no queue: under load one writer can miss its turn until the
/// busy timeout and fail (a 503), and the slowest requests wait seconds (measured by
/// `comptoir bench checkout`). Each pool's connections therefore queue for write transactions
/// in the process — a ticket lock, first come first served — and only the writer whose turn
/// it is asks SQLite for the lock. Other processes (a command run beside the server) still
/// meet SQLite's own lock.
#[derive(Default)]
pub struct WriteQueue {
    /// (next ticket to give, ticket being served)
    tickets: std::sync::Mutex<(u64, u64)>,
    turn: std::sync::Condvar,
}

/// A writer's turn: the next writer goes when it is dropped.
pub struct WriteTurn(std::sync::Arc<Shared>);

impl WriteQueue {
    fn enter(shared: &std::sync::Arc<Shared>) -> WriteTurn {
        let queue = &shared.writes;
        let mut tickets = queue.tickets.lock().unwrap_or_else(|p| p.into_inner());
        let mine = tickets.0;
        tickets.0 += 1;
        while tickets.1 != mine {
            tickets = queue.turn.wait(tickets).unwrap_or_else(|p| p.into_inner());
        }
        WriteTurn(shared.clone())
    }
}

impl Drop for WriteTurn {
    fn drop(&mut self) {
        let queue = &self.0.writes;
        let mut tickets = queue.tickets.lock().unwrap_or_else(|p| p.into_inner());
        tickets.1 += 1;
        queue.turn.notify_all();
    }
}

/// A failure of the database layer itself; each domain's errors carry their own (a query's
/// `diesel::result::Error` among them), and the HTTP edge maps both to problems.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The database cannot be reached now (no pooled connection in time, a failed ping, an
    /// unreadable migration state): worth retrying.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The blocking task running the work failed (it panicked or was cancelled).
    #[error("database task failed: {0}")]
    Task(String),
}

/// A failure to reach or prepare the database at start-up.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("cannot create the database directory {path}: {source}")]
    CreateDir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot open the database {url}: {reason}")]
    Open { url: String, reason: String },
    #[error("cannot apply migrations to {url}: {reason}")]
    Migrate { url: String, reason: String },
}

/// Reads go through a shared memory map instead of a `pread` per page into each
/// connection's private cache: under concurrent reads the syscalls, not SQLite, were the
/// bottleneck (measured with the catalogue benchmark, see BENCHMARKS.md). Writes still go
/// through the WAL with `synchronous = FULL`.
const SQLITE_MMAP_BYTES: u64 = 256 * 1024 * 1024;

#[derive(Debug)]
struct SqlitePragmas;

impl CustomizeConnection<AnyConnection, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut AnyConnection) -> Result<(), diesel::r2d2::Error> {
        conn.batch_execute(&format!(
            "PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS};
             PRAGMA synchronous = FULL;
             PRAGMA foreign_keys = ON;
             PRAGMA mmap_size = {SQLITE_MMAP_BYTES};"
        ))
        .map_err(diesel::r2d2::Error::QueryError)
    }
}

/// Statements are prepared once per connection (diesel's cache), and PostgreSQL would then
/// switch them to a generic plan — one that cannot use the catalogue's trigram index for a
/// `LIKE` pattern it does not know. Custom plans cost a little planning per statement and
/// doubled the throughput of catalogue searches (BENCHMARKS.md).
#[derive(Debug)]
struct PostgresSettings;

impl CustomizeConnection<AnyConnection, diesel::r2d2::Error> for PostgresSettings {
    fn on_acquire(&self, conn: &mut AnyConnection) -> Result<(), diesel::r2d2::Error> {
        conn.batch_execute("SET plan_cache_mode = force_custom_plan")
            .map_err(diesel::r2d2::Error::QueryError)
    }
}

impl Db {
    /// Opens a pool (creating the SQLite file and its directory when needed) and checks that
    /// one connection can be made. Nothing is created for an unreachable PostgreSQL.
    pub fn connect(url: &DatabaseUrl, pool_size: u32) -> Result<Db, ConnectError> {
        let shown = url.to_string();
        let password = url.password();
        // driver messages may quote the URL (e.g. a bad percent-encoding): scrub the password
        let open_err = |e: &dyn std::fmt::Display| {
            let mut reason = first_line(&e.to_string());
            if let Some(password) = password.as_deref() {
                reason = reason.replace(password, "***");
            }
            ConnectError::Open {
                url: shown.clone(),
                reason,
            }
        };
        match url {
            DatabaseUrl::Sqlite(path) => {
                let memory = url.is_sqlite_memory();
                let fresh = !memory && !path.exists();
                if !memory {
                    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                        let created = !dir.exists();
                        std::fs::create_dir_all(dir).map_err(|source| ConnectError::CreateDir {
                            path: dir.display().to_string(),
                            source,
                        })?;
                        if created {
                            owner_only(dir, 0o700).map_err(|e| open_err(&e))?;
                        }
                    }
                }
                let location = path.to_string_lossy().to_string();
                if !memory {
                    // WAL is a property of the file: set it once, before the pool opens
                    // several connections that would race for the lock to switch modes.
                    let mut first =
                        SqliteConnection::establish(&location).map_err(|e| open_err(&e))?;
                    // it holds password hashes and session tokens: the owner's alone, and so
                    // are the WAL and shared-memory files SQLite makes with the file's mode
                    if fresh {
                        owner_only(path, 0o600).map_err(|e| open_err(&e))?;
                    }
                    first
                        .batch_execute(&format!(
                            "PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}; PRAGMA journal_mode = WAL;"
                        ))
                        .map_err(|e| open_err(&e))?;
                }
                let manager = Manager {
                    backend: Backend::Sqlite,
                    location,
                };
                // An in-memory database lives as long as its one connection: keep it forever.
                let builder = if memory {
                    Pool::builder()
                        .max_size(1)
                        .min_idle(Some(1))
                        .idle_timeout(None)
                        .max_lifetime(None)
                } else {
                    Pool::builder().max_size(pool_size)
                };
                let pool = builder
                    .connection_timeout(CHECKOUT_TIMEOUT)
                    .connection_customizer(Box::new(SqlitePragmas))
                    .build(manager)
                    .map_err(|e| open_err(&e))?;
                Ok(Db {
                    pool,
                    shared: Default::default(),
                    backend: Backend::Sqlite,
                })
            }
            DatabaseUrl::Postgres(secret) => {
                let location = with_connect_timeout(secret.expose_secret());
                // One direct attempt first: an unreachable server fails at once with its own
                // message, instead of the pool retrying until its timeout.
                PgConnection::establish(&location).map_err(|e| open_err(&e))?;
                let manager = Manager {
                    backend: Backend::Postgres,
                    location,
                };
                let pool = Pool::builder()
                    .max_size(pool_size)
                    .connection_timeout(CHECKOUT_TIMEOUT)
                    .connection_customizer(Box::new(PostgresSettings))
                    .build(manager)
                    .map_err(|e| open_err(&e))?;
                Ok(Db {
                    pool,
                    shared: Default::default(),
                    backend: Backend::Postgres,
                })
            }
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// What this pool's connections share (the SQLite write queue, the domain's extensions).
    pub fn shared(&self) -> &std::sync::Arc<Shared> {
        &self.shared
    }

    /// The pool's connections: open, and idle among them.
    pub fn pool_state(&self) -> (u32, u32) {
        let state = self.pool.state();
        (state.connections, state.idle_connections)
    }

    /// Takes a connection from the pool (blocking; call from blocking code only).
    pub fn conn(&self) -> Result<DbConn, DbError> {
        let conn = self.pool.get().map(|conn| DbConn {
            conn,
            shared: self.shared.clone(),
        });
        conn.map_err(|e| DbError::Unavailable(format!("no connection: {e}")))
    }

    /// Runs blocking database work on the blocking thread pool.
    pub async fn run<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let db = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = db.conn()?;
            work(&mut conn)
        })
        .await
        .map_err(|e| DbError::Task(e.to_string()))?
    }

    /// Applies pending migrations and returns the versions applied, oldest first (the
    /// reference data every deployment needs is the domain's: [`crate::setup::migrate`]).
    ///
    /// On PostgreSQL an advisory lock serialises concurrent starts of several instances.
    pub fn migrate(&self) -> Result<Vec<String>, ConnectError> {
        let fail = |reason: String| ConnectError::Migrate {
            url: self.describe(),
            reason,
        };
        let mut conn = self.conn().map_err(|e| fail(e.to_string()))?;
        let applied = match conn.diesel() {
            AnyConnection::Sqlite(c) => c
                .run_pending_migrations(SQLITE_MIGRATIONS)
                .map(|v| v.iter().map(|m| m.to_string()).collect()),
            AnyConnection::Postgres(c) => {
                const LOCK: &str = "SELECT pg_advisory_lock(7242012026)";
                const UNLOCK: &str = "SELECT pg_advisory_unlock(7242012026)";
                c.batch_execute(LOCK).map_err(|e| fail(e.to_string()))?;
                let applied = c
                    .run_pending_migrations(POSTGRES_MIGRATIONS)
                    .map(|v| v.iter().map(|m| m.to_string()).collect());
                c.batch_execute(UNLOCK).map_err(|e| fail(e.to_string()))?;
                applied
            }
        };
        applied.map_err(|e| fail(e.to_string()))
    }

    /// Whether migrations embedded in this binary are still waiting to be applied.
    pub fn has_pending_migrations(conn: &mut DbConn) -> Result<bool, DbError> {
        let pending = match conn.diesel() {
            AnyConnection::Sqlite(c) => c.has_pending_migration(SQLITE_MIGRATIONS),
            AnyConnection::Postgres(c) => c.has_pending_migration(POSTGRES_MIGRATIONS),
        };
        pending.map_err(|e| DbError::Unavailable(format!("migration state: {e}")))
    }

    pub fn describe(&self) -> String {
        match self.backend {
            Backend::Sqlite => "the SQLite database".into(),
            Backend::Postgres => "the PostgreSQL database".into(),
        }
    }
}

impl DbConn {
    /// On SQLite, outside any transaction: waits for this writer's turn ([`WriteQueue`]),
    /// held until the returned value is dropped. `None` otherwise (PostgreSQL locks rows; a
    /// nested transaction already has the turn).
    pub fn write_turn(&mut self) -> Option<WriteTurn> {
        match &mut *self.conn {
            AnyConnection::Sqlite(c) => {
                (!sqlite_in_transaction(c)).then(|| WriteQueue::enter(&self.shared))
            }
            AnyConnection::Postgres(..) => None,
        }
    }

    /// Runs `work` in one transaction on this connection (a savepoint when already inside
    /// one): committed when it returns `Ok`, rolled back when it returns `Err`.
    pub fn transaction<T, E>(
        &mut self,
        work: impl FnOnce(&mut DbConn) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<diesel::result::Error>,
    {
        use diesel::connection::{AnsiTransactionManager, TransactionManager};
        let _turn = self.write_turn();
        match self.diesel() {
            AnyConnection::Sqlite(c) => sqlite_begin(c)?,
            AnyConnection::Postgres(c) => AnsiTransactionManager::begin_transaction(c)?,
        }
        match work(self) {
            Ok(value) => {
                AnyConnection::commit_transaction(self.diesel())?;
                Ok(value)
            }
            Err(error) => {
                // the work's error is the one worth reporting; a failed rollback poisons the
                // connection, which the pool then discards
                let _ = AnyConnection::rollback_transaction(self.diesel());
                Err(error)
            }
        }
    }
}

impl DbConn {
    /// Runs read-only `work` on one consistent snapshot: `BEGIN DEFERRED` on SQLite (a WAL
    /// read transaction, which takes no write lock), `REPEATABLE READ READ ONLY` on PostgreSQL.
    pub fn read_snapshot<T, E>(
        &mut self,
        work: impl FnOnce(&mut DbConn) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<diesel::result::Error>,
    {
        use diesel::connection::{AnsiTransactionManager, TransactionManager};
        match self.diesel() {
            AnyConnection::Sqlite(c) => {
                AnsiTransactionManager::begin_transaction_sql(c, "BEGIN DEFERRED")?
            }
            AnyConnection::Postgres(c) => AnsiTransactionManager::begin_transaction_sql(
                c,
                "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
            )?,
        }
        let result = work(self);
        // read-only: ending it either way changes nothing
        let _ = AnyConnection::commit_transaction(self.diesel());
        result
    }
}

/// Whether `e` is a unique violation of one of these constraints (PostgreSQL names the
/// constraint; SQLite names the columns in its message).
pub fn violates_unique(e: &diesel::result::Error, names: &[&str]) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match e {
        Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
            let text = format!(
                "{} {}",
                info.message(),
                info.constraint_name().unwrap_or("")
            );
            names.iter().any(|n| text.contains(n))
        }
        _ => false,
    }
}

/// SQLite: writes the WAL's committed pages into the main file and empties the WAL (before
/// the file is moved or copied by a tool that knows nothing of the WAL). PostgreSQL: nothing.
pub fn checkpoint(conn: &mut DbConn) -> diesel::QueryResult<()> {
    if let AnyConnection::Sqlite(c) = conn.diesel() {
        diesel::connection::SimpleConnection::batch_execute(c, "PRAGMA wal_checkpoint(TRUNCATE)")?;
    }
    Ok(())
}

/// Begins a transaction on SQLite: `BEGIN IMMEDIATE` at the outermost level (the write lock
/// is taken at once, so two writers never deadlock upgrading a read lock), a savepoint inside.
pub fn sqlite_begin(conn: &mut SqliteConnection) -> diesel::QueryResult<()> {
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    if sqlite_in_transaction(conn) {
        AnsiTransactionManager::begin_transaction(conn)
    } else {
        AnsiTransactionManager::begin_transaction_sql(conn, "BEGIN IMMEDIATE")
    }
}

/// Whether a transaction is open on this SQLite connection.
pub fn sqlite_in_transaction(conn: &mut SqliteConnection) -> bool {
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    matches!(
        AnsiTransactionManager::transaction_manager_status_mut(conn).transaction_depth(),
        Ok(Some(_))
    )
}

/// The database's clock, in whole seconds since 1970: the one clock every instance on the
/// database shares (the log-in throttle's windows), whatever each server's own says.
pub fn clock_seconds(conn: &mut DbConn) -> diesel::QueryResult<i64> {
    #[derive(diesel::QueryableByName)]
    struct Now {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        now: i64,
    }
    let sql = match conn.backend() {
        Backend::Sqlite => "SELECT CAST(strftime('%s', 'now') AS BIGINT) AS now",
        Backend::Postgres => "SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS BIGINT) AS now",
    };
    use diesel::RunQueryDsl;
    Ok(diesel::sql_query(sql).get_result::<Now>(conn.diesel())?.now)
}

/// The database's clock as a naive UTC timestamp: what leases are taken, renewed and judged
/// expired by, so instances whose own clocks drift apart still agree on whose a lease is (the
/// mail outbox, the Odoo sync, the cycle close's due list).
///
/// PostgreSQL's reads to the microsecond. SQLite's reads to the millisecond: the answer is
/// the *end* of that millisecond, so that a row stamped "now" by this process a moment ago
/// (a mail enqueued for now, to the microsecond) is never in the clock's future — read as
/// the millisecond's start, a mail enqueued within the same millisecond would wait for the
/// worker's next pass.
pub fn clock(conn: &mut DbConn) -> diesel::QueryResult<chrono::NaiveDateTime> {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Now {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        micros: i64,
    }
    let sql = match conn.backend() {
        Backend::Sqlite => {
            "SELECT CAST((julianday('now') - 2440587.5) * 86400000.0 AS BIGINT) * 1000 + 999
                AS micros"
        }
        Backend::Postgres => {
            "SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000 AS BIGINT) AS micros"
        }
    };
    let micros = diesel::sql_query(sql)
        .get_result::<Now>(conn.diesel())?
        .micros;
    chrono::DateTime::from_timestamp_micros(micros)
        .map(|t| t.naive_utc())
        .ok_or_else(|| {
            diesel::result::Error::DeserializationError(
                format!("the database's clock reads {micros} µs").into(),
            )
        })
}

/// Checks that the database answers a trivial query.
pub fn ping(conn: &mut DbConn) -> Result<(), DbError> {
    conn.diesel()
        .batch_execute("SELECT 1")
        .map_err(|e| DbError::Unavailable(format!("ping: {e}")))
}

/// Gives `path` the Unix permissions `mode` (owner only); nothing elsewhere.
fn owner_only(path: &std::path::Path, mode: u32) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
    }
    #[cfg(not(unix))]
    {
        let _ = (path, mode);
        Ok(())
    }
}

/// Adds `connect_timeout` (seconds) to a PostgreSQL URL that has none, so that a firewalled
/// or mistyped host fails in seconds rather than after the kernel's TCP timeout.
fn with_connect_timeout(url: &str) -> String {
    if url.contains("connect_timeout=") {
        return url.to_string();
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    format!(
        "{url}{separator}connect_timeout={}",
        CHECKOUT_TIMEOUT.as_secs()
    )
}

fn first_line(s: &str) -> String {
    s.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(s)
        .trim()
        .to_string()
}

impl DbConn {
    /// The ledger's group commit of this connection's pool, unless a transaction is open on
    /// the connection (a commit inside a caller's transaction must stay in it).
    pub fn group_commit(&mut self) -> Option<std::sync::Arc<Shared>> {
        use diesel::connection::{AnsiTransactionManager, TransactionManager};
        let depth = match self.diesel() {
            AnyConnection::Sqlite(c) => {
                AnsiTransactionManager::transaction_manager_status_mut(c).transaction_depth()
            }
            AnyConnection::Postgres(c) => {
                AnsiTransactionManager::transaction_manager_status_mut(c).transaction_depth()
            }
        };
        // a broken transaction manager (`Err`) is not grouped either
        matches!(depth, Ok(None)).then(|| self.shared.clone())
    }
}

#[cfg(test)]
mod tests {
    /// A database made on first start is the owner's alone, and so is the directory made
    /// for it; a directory that was there keeps its mode.
    #[cfg(unix)]
    #[test]
    fn a_new_sqlite_database_and_its_directory_are_owner_only() {
        use diesel::connection::SimpleConnection;
        use std::os::unix::fs::PermissionsExt;
        let scratch = tempfile::tempdir().expect("temp dir");
        let file = scratch.path().join("data").join("comptoir.db");
        let url = crate::config::DatabaseUrl::try_from(format!("sqlite://{}", file.display()))
            .expect("a SQLite URL");
        let before = std::fs::metadata(scratch.path())
            .expect("exists")
            .permissions()
            .mode()
            & 0o777;
        let db = super::Db::connect(&url, 2).expect("opens");
        db.conn()
            .expect("connection")
            .diesel()
            .batch_execute("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);")
            .expect("writes");
        let mode = |p: &std::path::Path| {
            std::fs::metadata(p).expect("exists").permissions().mode() & 0o777
        };
        assert_eq!(mode(&file), 0o600);
        assert_eq!(mode(&file.with_extension("db-wal")), 0o600);
        assert_eq!(mode(file.parent().expect("dir")), 0o700);
        assert_eq!(
            mode(scratch.path()),
            before,
            "a directory that was there: untouched"
        );
    }

    #[test]
    fn sqlite_writers_take_turns_one_at_a_time() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let queue = std::sync::Arc::new(super::Shared::default());
        let (now, most, done) = (
            AtomicUsize::new(0),
            AtomicUsize::new(0),
            AtomicUsize::new(0),
        );
        std::thread::scope(|scope| {
            for _ in 0..16 {
                scope.spawn(|| {
                    let _turn = super::WriteQueue::enter(&queue);
                    let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(n, Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(2));
                    now.fetch_sub(1, Ordering::SeqCst);
                    done.fetch_add(1, Ordering::SeqCst);
                });
            }
        });
        assert_eq!(most.load(Ordering::SeqCst), 1);
        assert_eq!(done.load(Ordering::SeqCst), 16);
    }
}

diesel::define_sql_function! {
    /// SQL's `lower(text)`, the same on SQLite and PostgreSQL (ASCII on SQLite): for
    /// comparisons that ignore case.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}
