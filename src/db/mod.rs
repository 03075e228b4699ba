//! Storage: one diesel schema for SQLite (default, embedded) and PostgreSQL, chosen by URL.
//!
//! Queries are written once and compiled for each backend through [`db_run!`]: the macro
//! matches on the pooled connection and runs the same block with a concrete
//! `SqliteConnection` or `PgConnection` (the approach vaultwarden uses). Blocking diesel work
//! runs on actix's blocking thread pool through [`Db::run`], never on the async workers.
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

pub mod schema;

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool, PooledConnection};
use diesel::Connection;
use diesel::{PgConnection, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use secrecy::ExposeSecret;

use crate::config::DatabaseUrl;
use crate::error::ApiError;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// How long a request waits for a pooled connection before the database counts as unavailable.
const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a SQLite writer waits for the write lock before giving up.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 5_000;

/// Runs `$body` with `$conn` bound to the concrete connection of either backend.
///
/// `$conn` must be a `&mut DbConn`. The body is compiled twice, once per backend.
#[macro_export]
macro_rules! db_run {
    ($conn:ident => $body:expr) => {
        match $conn {
            $crate::db::DbConn::Sqlite(pooled, _) => {
                let $conn: &mut ::diesel::SqliteConnection = &mut **pooled;
                $body
            }
            $crate::db::DbConn::Postgres(pooled, _) => {
                let $conn: &mut ::diesel::PgConnection = &mut **pooled;
                $body
            }
        }
    };
}

/// Which database engine a pool talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A pool of connections to one database.
#[derive(Clone)]
pub enum Db {
    Sqlite(
        Pool<ConnectionManager<SqliteConnection>>,
        std::sync::Arc<Shared>,
    ),
    Postgres(
        Pool<ConnectionManager<PgConnection>>,
        std::sync::Arc<Shared>,
    ),
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

/// One pooled connection, returned to its pool on drop.
pub enum DbConn {
    Sqlite(
        PooledConnection<ConnectionManager<SqliteConnection>>,
        std::sync::Arc<Shared>,
    ),
    Postgres(
        PooledConnection<ConnectionManager<PgConnection>>,
        std::sync::Arc<Shared>,
    ),
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

impl CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut SqliteConnection) -> Result<(), diesel::r2d2::Error> {
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

impl CustomizeConnection<PgConnection, diesel::r2d2::Error> for PostgresSettings {
    fn on_acquire(&self, conn: &mut PgConnection) -> Result<(), diesel::r2d2::Error> {
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
                if !memory {
                    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                        std::fs::create_dir_all(dir).map_err(|source| ConnectError::CreateDir {
                            path: dir.display().to_string(),
                            source,
                        })?;
                    }
                }
                let location = path.to_string_lossy().to_string();
                if !memory {
                    // WAL is a property of the file: set it once, before the pool opens
                    // several connections that would race for the lock to switch modes.
                    let mut first =
                        SqliteConnection::establish(&location).map_err(|e| open_err(&e))?;
                    first
                        .batch_execute(&format!(
                            "PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}; PRAGMA journal_mode = WAL;"
                        ))
                        .map_err(|e| open_err(&e))?;
                }
                let manager = ConnectionManager::<SqliteConnection>::new(location);
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
                Ok(Db::Sqlite(pool, Default::default()))
            }
            DatabaseUrl::Postgres(secret) => {
                let location = with_connect_timeout(secret.expose_secret());
                // One direct attempt first: an unreachable server fails at once with its own
                // message, instead of the pool retrying until its timeout.
                PgConnection::establish(&location).map_err(|e| open_err(&e))?;
                let manager = ConnectionManager::<PgConnection>::new(location);
                let pool = Pool::builder()
                    .max_size(pool_size)
                    .connection_timeout(CHECKOUT_TIMEOUT)
                    .connection_customizer(Box::new(PostgresSettings))
                    .build(manager)
                    .map_err(|e| open_err(&e))?;
                Ok(Db::Postgres(pool, Default::default()))
            }
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(..) => Backend::Sqlite,
            Db::Postgres(..) => Backend::Postgres,
        }
    }

    /// Takes a connection from the pool (blocking; call from blocking code only).
    pub fn conn(&self) -> Result<DbConn, ApiError> {
        let conn = match self {
            Db::Sqlite(pool, queue) => pool.get().map(|c| DbConn::Sqlite(c, queue.clone())),
            Db::Postgres(pool, shared) => pool.get().map(|c| DbConn::Postgres(c, shared.clone())),
        };
        conn.map_err(|e| ApiError::Unavailable(format!("database connection: {e}")))
    }

    /// Runs blocking database work on the blocking thread pool.
    pub async fn run<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let db = self.clone();
        actix_web::web::block(move || {
            let mut conn = db.conn()?;
            work(&mut conn)
        })
        .await
        .map_err(|e| ApiError::internal(format!("blocking task failed: {e}")))?
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
        let applied = match &mut conn {
            DbConn::Sqlite(c, _) => c
                .run_pending_migrations(SQLITE_MIGRATIONS)
                .map(|v| v.iter().map(|m| m.to_string()).collect()),
            DbConn::Postgres(c, _) => {
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
    pub fn has_pending_migrations(conn: &mut DbConn) -> Result<bool, ApiError> {
        let pending = match conn {
            DbConn::Sqlite(c, _) => c.has_pending_migration(SQLITE_MIGRATIONS),
            DbConn::Postgres(c, _) => c.has_pending_migration(POSTGRES_MIGRATIONS),
        };
        pending.map_err(|e| ApiError::Unavailable(format!("migration state: {e}")))
    }

    pub fn describe(&self) -> String {
        match self {
            Db::Sqlite(..) => "the SQLite database".into(),
            Db::Postgres(..) => "the PostgreSQL database".into(),
        }
    }
}

impl DbConn {
    /// On SQLite, outside any transaction: waits for this writer's turn ([`WriteQueue`]),
    /// held until the returned value is dropped. `None` otherwise (PostgreSQL locks rows; a
    /// nested transaction already has the turn).
    pub fn write_turn(&mut self) -> Option<WriteTurn> {
        match self {
            DbConn::Sqlite(c, queue) => {
                (!sqlite_in_transaction(c)).then(|| WriteQueue::enter(queue))
            }
            DbConn::Postgres(..) => None,
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
        match self {
            DbConn::Sqlite(c, _) => sqlite_begin(c)?,
            DbConn::Postgres(c, _) => AnsiTransactionManager::begin_transaction(&mut **c)?,
        }
        match work(self) {
            Ok(value) => {
                let conn = &mut *self;
                db_run!(conn => AnsiTransactionManager::commit_transaction(conn))?;
                Ok(value)
            }
            Err(error) => {
                let conn = &mut *self;
                // the work's error is the one worth reporting; a failed rollback poisons the
                // connection, which the pool then discards
                let _ = db_run!(conn => AnsiTransactionManager::rollback_transaction(conn));
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
        match self {
            DbConn::Sqlite(c, _) => {
                AnsiTransactionManager::begin_transaction_sql(&mut **c, "BEGIN DEFERRED")?
            }
            DbConn::Postgres(c, _) => AnsiTransactionManager::begin_transaction_sql(
                &mut **c,
                "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
            )?,
        }
        let result = work(self);
        let conn = &mut *self;
        // read-only: ending it either way changes nothing
        let _ = db_run!(conn => AnsiTransactionManager::commit_transaction(conn));
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

/// Locks row `id` of `table` until the end of the current transaction, so that a
/// read-modify-write inside it loses no concurrent update: `SELECT … FOR UPDATE` on
/// PostgreSQL; nothing on SQLite, whose write transactions (`BEGIN IMMEDIATE`) already exclude
/// every other writer. `table` is a name from the code, never from input.
pub fn lock_row(conn: &mut DbConn, table: &'static str, id: &str) -> diesel::QueryResult<()> {
    if let DbConn::Postgres(c, _) = conn {
        let query = diesel::sql_query(format!("SELECT 1 FROM {table} WHERE id = $1 FOR UPDATE"))
            .bind::<diesel::sql_types::Text, _>(id);
        diesel::RunQueryDsl::execute(query, &mut **c)?;
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
    if let DbConn::Postgres(c, _) = conn {
        let query = diesel::sql_query(format!("SELECT 1 FROM {table} WHERE id = $1 FOR SHARE"))
            .bind::<diesel::sql_types::Text, _>(id);
        diesel::RunQueryDsl::execute(query, &mut **c)?;
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

/// Checks that the database answers a trivial query.
pub fn ping(conn: &mut DbConn) -> Result<(), ApiError> {
    db_run!(conn => conn.batch_execute("SELECT 1"))
        .map_err(|e| ApiError::Unavailable(format!("database ping: {e}")))
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
        match self {
            // a broken transaction manager (`Err`) is not grouped either
            DbConn::Sqlite(c, shared) => {
                let depth = AnsiTransactionManager::transaction_manager_status_mut(&mut **c)
                    .transaction_depth();
                matches!(depth, Ok(None)).then(|| shared.clone())
            }
            DbConn::Postgres(c, shared) => {
                let depth = AnsiTransactionManager::transaction_manager_status_mut(&mut **c)
                    .transaction_depth();
                matches!(depth, Ok(None)).then(|| shared.clone())
            }
        }
    }
}

#[cfg(test)]
mod tests {
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
