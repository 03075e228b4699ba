//! Test harness: the real application over real HTTP on a fresh database per test.
//!
//! - SQLite: a new database file in a temporary directory, deleted with it.
//! - PostgreSQL: a new database `comptoir_test_<uuid>` created from
//!   `COMPTOIR_TEST_POSTGRES_URL` and dropped (`WITH (FORCE)`) when the test ends.
//!
//! Migrating and loading the demo are done once per test process and backend, into a
//! template ([`Template`]): each test then gets a copy — the file copied on SQLite,
//! `CREATE DATABASE … TEMPLATE` on PostgreSQL — as crates.io's test harness does. Only
//! [`TestDb::blank`] (the migration tests) starts from nothing.
//!
//! [`backend_tests!`] runs the same test body on both backends. Without
//! `COMPTOIR_TEST_POSTGRES_URL` the PostgreSQL cases are compiled `#[ignore]`d (see
//! `build.rs`), so the runner reports them as ignored, never as passed.

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Mutex;

use actix_web::dev::ServerHandle;
use awc::http::StatusCode;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use serde_json::Value;

use comptoir::config::{CliOverrides, Config};
use comptoir::db::Db;
use comptoir::demo;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each listed `async fn name(backend: Backend)` on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[actix_web::test]
                async fn $name() {
                    super::$name($crate::harness::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[actix_web::test]
                #[cfg_attr(not(comptoir_pg_tests), ignore = "COMPTOIR_TEST_POSTGRES_URL is not set")]
                async fn $name() {
                    super::$name($crate::harness::Backend::Postgres).await
                }
            )*
        }
    };
}

/// A fresh, empty, migrated database, removed on drop.
pub struct TestDb {
    pub url: String,
    pub db: Db,
    cleanup: Cleanup,
}

enum Cleanup {
    Dir(tempfile::TempDir),
    PgDatabase {
        admin_url: String,
        name: String,
    },
    /// Nothing to remove (a template, kept for the process).
    Kept,
}

pub fn postgres_admin_url() -> String {
    std::env::var("COMPTOIR_TEST_POSTGRES_URL")
        .expect("COMPTOIR_TEST_POSTGRES_URL must be set for PostgreSQL tests")
}

/// `postgres://user@host/db?x` with the database name replaced.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let prefix = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{prefix}/{name}?{q}"),
        None => format!("{prefix}/{name}"),
    }
}

impl TestDb {
    /// An empty database without migrations applied.
    pub fn blank(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("comptoir.db").display());
                let db = connect(&url);
                TestDb {
                    url,
                    db,
                    cleanup: Cleanup::Dir(dir),
                }
            }
            Backend::Postgres => {
                let admin_url = postgres_admin_url();
                let name = format!("comptoir_test_{}", uuid::Uuid::now_v7().simple());
                let mut admin = PgConnection::establish(&admin_url).unwrap_or_else(|e| {
                    panic!("PostgreSQL at COMPTOIR_TEST_POSTGRES_URL is unreachable: {e}")
                });
                admin
                    .batch_execute(&format!("CREATE DATABASE {name}"))
                    .expect("create test database");
                let url = with_database(&admin_url, &name);
                let db = connect(&url);
                TestDb {
                    url,
                    db,
                    cleanup: Cleanup::PgDatabase { admin_url, name },
                }
            }
        }
    }

    /// A migrated, empty database (a copy of this process's template).
    pub fn migrated(backend: Backend) -> TestDb {
        TestDb::from_template(backend, Template::Migrated)
    }

    /// A migrated, empty database of a Swiss deployment: the franc (`CHF`) as its legal
    /// currency, Switzerland as its country.
    pub fn migrated_swiss(backend: Backend) -> TestDb {
        TestDb::from_template(backend, Template::Swiss)
    }

    /// A migrated database holding the demo marketplace (a copy of this process's template).
    pub fn with_demo(backend: Backend) -> TestDb {
        TestDb::from_template(backend, Template::Demo)
    }

    fn from_template(backend: Backend, template: Template) -> TestDb {
        let source = template.built(backend);
        match (backend, source) {
            (Backend::Sqlite, Built::SqliteFile(file)) => {
                let dir = tempfile::tempdir().expect("temp dir");
                let path = dir.path().join("comptoir.db");
                std::fs::copy(&file, &path).expect("template copied");
                let wal = file.with_extension("db-wal");
                if wal.exists() {
                    std::fs::copy(&wal, path.with_extension("db-wal")).expect("WAL copied");
                }
                let url = format!("sqlite://{}", path.display());
                let db = connect(&url);
                TestDb {
                    url,
                    db,
                    cleanup: Cleanup::Dir(dir),
                }
            }
            (Backend::Postgres, Built::PgDatabase(template)) => {
                let admin_url = postgres_admin_url();
                let name = format!("comptoir_test_{}", uuid::Uuid::now_v7().simple());
                let mut admin = PgConnection::establish(&admin_url).unwrap_or_else(|e| {
                    panic!("PostgreSQL at COMPTOIR_TEST_POSTGRES_URL is unreachable: {e}")
                });
                admin
                    .batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
                    .expect("copy the template database");
                let url = with_database(&admin_url, &name);
                let db = connect(&url);
                TestDb {
                    url,
                    db,
                    cleanup: Cleanup::PgDatabase { admin_url, name },
                }
            }
            (backend, built) => panic!("template of another backend for {backend:?}: {built:?}"),
        }
    }
}

/// What a template database holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Template {
    /// Migrated, with the reference data every deployment has.
    Migrated,
    /// Migrated, then the demo marketplace loaded.
    Demo,
    /// Migrated as a Swiss deployment (CHF, CH), empty.
    Swiss,
}

/// Where a built template is.
#[derive(Debug, Clone)]
enum Built {
    SqliteFile(PathBuf),
    PgDatabase(String),
}

/// The templates of this process, built on first use (the demo's cycles are dated from
/// when it is loaded, so templates are never reused by another run).
static TEMPLATES: Mutex<Option<HashMap<(Backend, Template), Built>>> = Mutex::new(None);

impl Template {
    fn built(self, backend: Backend) -> Built {
        let mut templates = TEMPLATES.lock().unwrap_or_else(|p| p.into_inner());
        let templates = templates.get_or_insert_with(HashMap::new);
        if let Some(built) = templates.get(&(backend, self)) {
            return built.clone();
        }
        let built = self.build(backend);
        templates.insert((backend, self), built.clone());
        built
    }

    fn build(self, backend: Backend) -> Built {
        let mut test_db = TestDb::blank(backend);
        let deployment = match self {
            Template::Swiss => comptoir::config::DeploymentConfig {
                currency: Some("CHF".into()),
                country: Some("CH".into()),
            },
            Template::Migrated | Template::Demo => test_config(&test_db.url).deployment,
        };
        comptoir::setup::migrate(&test_db.db, &deployment).expect("migrations apply");
        if self == Template::Demo {
            let mut conn = test_db.db.conn().expect("connection");
            demo::load(&mut conn, demo::Demo::France, demo::Source::Embedded, false)
                .expect("demo loads");
        }
        if backend == Backend::Sqlite {
            let mut conn = test_db.db.conn().expect("connection");
            conn.diesel()
                .batch_execute("PRAGMA wal_checkpoint(TRUNCATE)")
                .expect("the template's WAL folded into its file");
        }
        // every connection closed before the copies: a PostgreSQL template must have no
        // session, and SQLite's last connection folds its WAL into the file
        let cleanup = std::mem::replace(&mut test_db.cleanup, Cleanup::Kept);
        drop(test_db);
        match cleanup {
            Cleanup::Dir(dir) => {
                // kept for the whole process: the directory is never deleted
                Built::SqliteFile(dir.keep().join("comptoir.db"))
            }
            Cleanup::PgDatabase { admin_url, name } => {
                let mut admin = PgConnection::establish(&admin_url).expect("admin connection");
                drop_stale_templates(&mut admin);
                let template = format!("comptoir_tpl_{}_{}", std::process::id(), self.slug());
                admin
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {template} WITH (FORCE)"))
                    .expect("an earlier template of this name dropped");
                admin
                    .batch_execute(&format!("ALTER DATABASE {name} RENAME TO {template}"))
                    .expect("template database named");
                Built::PgDatabase(template)
            }
            Cleanup::Kept => unreachable!("a fresh database is always cleaned up"),
        }
    }

    fn slug(self) -> &'static str {
        match self {
            Template::Migrated => "migrated",
            Template::Demo => "demo",
            Template::Swiss => "swiss",
        }
    }
}

/// Drops the PostgreSQL templates of test processes that have ended.
fn drop_stale_templates(admin: &mut PgConnection) {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        datname: String,
    }
    let names: Vec<Name> =
        diesel::sql_query("SELECT datname FROM pg_database WHERE datname LIKE 'comptoir_tpl_%'")
            .load(admin)
            .unwrap_or_default();
    for Name { datname } in names {
        let pid = datname
            .trim_start_matches("comptoir_tpl_")
            .split('_')
            .next()
            .and_then(|p| p.parse::<u32>().ok());
        let alive = pid.is_some_and(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists());
        if !alive {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {datname} WITH (FORCE)"));
        }
    }
}

fn connect(url: &str) -> Db {
    let config = test_config(url);
    Db::connect(&config.database_url, 4).expect("test database opens")
}

pub fn test_config(url: &str) -> Config {
    let cli = CliOverrides {
        bind: Some("127.0.0.1:0".into()),
        database_url: Some(url.to_string()),
    };
    let mut config = Config::load(None, &cli).expect("test configuration");
    config.jwt.secret = Some(secrecy::SecretString::from(TEST_JWT_SECRET.to_string()));
    config
}

/// The signing key of test servers (so tests can forge tokens to check they are refused).
pub const TEST_JWT_SECRET: &str = "test-only-signing-key-0123456789abcdef0123456789";

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Cleanup::PgDatabase { admin_url, name } = &self.cleanup {
            if let Ok(mut admin) = PgConnection::establish(admin_url) {
                let _ =
                    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}

/// The application served on a free local port.
pub struct TestApp {
    pub base: String,
    pub client: awc::Client,
    pub db: TestDb,
    handle: ServerHandle,
}

/// A response, read whole.
pub struct Reply {
    pub status: StatusCode,
    pub headers: awc::http::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    /// Asserts a problem+json answer with this status and `type`, and returns it.
    #[track_caller]
    pub fn problem(&self, status: u16, slug: &str) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "body: {}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(
            self.header("content-type").as_deref(),
            Some("application/problem+json")
        );
        let problem = self.json();
        assert_eq!(problem["type"], format!("/problems/{slug}"), "{problem}");
        assert_eq!(problem["status"], status);
        assert!(problem["title"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(problem["detail"].as_str().is_some_and(|t| !t.is_empty()));
        problem
    }
}

impl TestApp {
    /// Serves the demo marketplace.
    pub async fn with_demo(backend: Backend) -> TestApp {
        TestApp::serve(TestDb::with_demo(backend)).await
    }

    /// Serves an empty, migrated database.
    pub async fn empty(backend: Backend) -> TestApp {
        TestApp::serve(TestDb::migrated(backend)).await
    }

    pub async fn serve(db: TestDb) -> TestApp {
        TestApp::serve_with(db, |_| {}).await
    }

    /// Serves with a configuration adjusted by `adjust`.
    pub async fn serve_with(db: TestDb, adjust: impl FnOnce(&mut Config)) -> TestApp {
        let mut config = test_config(&db.url);
        adjust(&mut config);
        let listener = TcpListener::bind("127.0.0.1:0").expect("free port");
        let port = listener.local_addr().expect("address").port();
        let server = comptoir::server::http_server(listener, db.db.clone(), &config, Some(1))
            .expect("server starts");
        let handle = server.handle();
        actix_web::rt::spawn(server);
        TestApp {
            base: format!("http://127.0.0.1:{port}"),
            client: awc::Client::builder()
                .timeout(std::time::Duration::from_secs(30))
                .finish(),
            db,
            handle,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> Reply {
        read(self.client.get(self.url(path)).send().await).await
    }

    pub async fn request(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Reply {
        let method = awc::http::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self.client.request(method, self.url(path));
        if let Some(ct) = content_type {
            request = request.insert_header(("content-type", ct));
        }
        read(request.send_body(body).await).await
    }

    /// A request with an optional bearer credential (token or API key) and JSON body.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        bearer: Option<&str>,
        body: Option<&Value>,
    ) -> Reply {
        let method = awc::http::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self.client.request(method, self.url(path));
        if let Some(bearer) = bearer {
            request = request.insert_header(("authorization", format!("Bearer {bearer}")));
        }
        match body {
            Some(body) => {
                read(
                    request
                        .insert_header(("content-type", "application/json"))
                        .send_body(body.to_string())
                        .await,
                )
                .await
            }
            None => read(request.send().await).await,
        }
    }

    /// A request with an optional bearer credential, extra headers and a raw body with its
    /// content type.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        bearer: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<(&str, Vec<u8>)>,
    ) -> Reply {
        let method = awc::http::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self.client.request(method, self.url(path));
        if let Some(bearer) = bearer {
            request = request.insert_header(("authorization", format!("Bearer {bearer}")));
        }
        for (name, value) in headers {
            request = request.insert_header((*name, *value));
        }
        match body {
            Some((content_type, bytes)) => {
                read(
                    request
                        .insert_header(("content-type", content_type))
                        .send_body(bytes)
                        .await,
                )
                .await
            }
            None => read(request.send().await).await,
        }
    }

    /// Logs a demo user in (demo password) and returns the access token.
    pub async fn access_token(&self, email: &str) -> String {
        let body = serde_json::json!({"email": email, "password": comptoir::demo::DEMO_PASSWORD});
        let reply = self.post_json("/api/v1/auth/login", &body).await;
        assert_eq!(
            reply.status,
            200,
            "{email}: {}",
            String::from_utf8_lossy(&reply.body)
        );
        reply.json()["access_token"]
            .as_str()
            .expect("token")
            .to_string()
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Reply {
        self.request(
            "POST",
            path,
            Some("application/json"),
            body.to_string().into_bytes(),
        )
        .await
    }

    /// Path of the demo hub's open cycle.
    pub async fn open_cycle_id(&self) -> String {
        self.open_cycle_of("la-cagette").await
    }

    /// The id of the open cycle of hub `hub` (a slug).
    pub async fn open_cycle_of(&self, hub: &str) -> String {
        let cycles = self
            .get(&format!("/api/v1/enterprises/{hub}/order-cycles"))
            .await
            .json();
        cycles["items"]
            .as_array()
            .and_then(|items| items.iter().find(|c| c["state"] == "open"))
            .and_then(|c| c["id"].as_str())
            .expect("the demo has an open cycle")
            .to_string()
    }
}

async fn read<S>(sent: Result<awc::ClientResponse<S>, awc::error::SendRequestError>) -> Reply
where
    S: futures_util::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>> + Unpin,
{
    let mut response = sent.expect("request reaches the server");
    let body = response
        .body()
        .limit(16 * 1024 * 1024)
        .await
        .expect("body")
        .to_vec();
    Reply {
        status: response.status(),
        headers: response.headers().clone(),
        body,
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // the stop command is sent at once; its completion future is not needed
        drop(self.handle.stop(false));
    }
}
