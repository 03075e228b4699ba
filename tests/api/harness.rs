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
use comptoir::demo::{self, Demo};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each listed `async fn name(backend: Backend)` on SQLite and on PostgreSQL.
///
/// After `; per_demo:`, each listed `async fn name(backend: Backend, demo: &'static
/// DemoFacts)` runs on both backends with each demo: the French one (euros) in a module
/// `eur`, the Swiss one (francs) in a module `chf`, so a failure is named by its backend and
/// its deployment (`sqlite::chf::name`).
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)? $(; per_demo: $($demo_name:ident),* $(,)?)?) => {
        mod sqlite {
            $(
                #[actix_web::test]
                async fn $name() {
                    super::$name($crate::harness::Backend::Sqlite).await
                }
            )*
            $(
                mod eur {
                    $(
                        #[actix_web::test]
                        async fn $demo_name() {
                            super::super::$demo_name(
                                $crate::harness::Backend::Sqlite,
                                &$crate::harness::FRENCH_DEMO,
                            )
                            .await
                        }
                    )*
                }
                mod chf {
                    $(
                        #[actix_web::test]
                        async fn $demo_name() {
                            super::super::$demo_name(
                                $crate::harness::Backend::Sqlite,
                                &$crate::harness::SWISS_DEMO,
                            )
                            .await
                        }
                    )*
                }
            )?
        }
        mod postgres {
            $(
                #[actix_web::test]
                #[cfg_attr(not(comptoir_pg_tests), ignore = "COMPTOIR_TEST_POSTGRES_URL is not set")]
                async fn $name() {
                    super::$name($crate::harness::Backend::Postgres).await
                }
            )*
            $(
                mod eur {
                    $(
                        #[actix_web::test]
                        #[cfg_attr(not(comptoir_pg_tests), ignore = "COMPTOIR_TEST_POSTGRES_URL is not set")]
                        async fn $demo_name() {
                            super::super::$demo_name(
                                $crate::harness::Backend::Postgres,
                                &$crate::harness::FRENCH_DEMO,
                            )
                            .await
                        }
                    )*
                }
                mod chf {
                    $(
                        #[actix_web::test]
                        #[cfg_attr(not(comptoir_pg_tests), ignore = "COMPTOIR_TEST_POSTGRES_URL is not set")]
                        async fn $demo_name() {
                            super::super::$demo_name(
                                $crate::harness::Backend::Postgres,
                                &$crate::harness::SWISS_DEMO,
                            )
                            .await
                        }
                    )*
                }
            )?
        }
    };
}

/// What tests need to know of a demo marketplace, so that one test body runs on either:
/// its currencies, people, enterprises, a few variants and the codes of its chart of
/// accounts. Every value is written out as the demo's files have it (never read back from
/// the database), so a demo that changes is caught.
#[derive(Debug)]
pub struct DemoFacts {
    pub demo: Demo,
    /// The deployment's legal currency: `EUR`, `CHF`.
    pub legal: &'static str,
    /// The local currency the association issues: `LEM`, `MOL`.
    pub local: &'static str,
    /// The currency association's slug.
    pub association: &'static str,
    /// The treasurer of the association (and of the hub).
    pub treasurer: &'static str,
    /// The hub's slug, and the email of its manager.
    pub hub: &'static str,
    pub hub_manager: &'static str,
    /// Two consumers, members of the hub.
    pub consumers: [&'static str; 2],
    /// The three producers' slugs, in slug order.
    pub producers: [&'static str; 3],
    /// Four variants of the open cycle: carrots (1 kg, weighed, reduced VAT, all local), a
    /// drink at the standard VAT rate half local, a variant the hub prices itself, and a
    /// weighed variant of another producer.
    pub skus: [&'static str; 4],
    /// The open cycle's pickup point and bike delivery, by name.
    pub pickup: &'static str,
    pub bike: &'static str,
    pub time_zone: &'static str,
    /// The country's reduced (food) and standard VAT rates, as the API writes them.
    pub reduced_vat: &'static str,
    pub standard_vat: &'static str,
    /// The standard rate in basis points.
    pub standard_vat_bp: i32,
    pub chart: ChartFacts,
}

/// Account codes of a country's default chart (`fixtures/chart_fr.toml`,
/// `fixtures/chart_ch.toml`): the deployment's books and the enterprise books.
#[derive(Debug)]
pub struct ChartFacts {
    /// The deployment's guarantee fund.
    pub fund: &'static str,
    /// Enterprise books: the customers' receivable, the producers' and the hubs' third-party
    /// accounts, the bank and the local currency held.
    pub customers: &'static str,
    /// What the hub owes its customers as credit.
    pub customer_credit: &'static str,
    pub producers: &'static str,
    pub hubs: &'static str,
    pub bank: &'static str,
    pub local_cash: &'static str,
    /// Prefixes of every rate's account: goods sold, fees sold, VAT due, input VAT; and of a
    /// producer's commissions to hubs.
    pub goods: &'static str,
    pub fees: &'static str,
    pub vat_collected: &'static str,
    pub vat_deductible: &'static str,
    pub commissions: &'static str,
    /// Prefixes of the cash accounts (bank and local currency).
    pub cash: [&'static str; 2],
}

/// The French demo: the Lem in Lyon, a euro deployment in France (`fixtures/demo/`).
pub static FRENCH_DEMO: DemoFacts = DemoFacts {
    demo: Demo::France,
    legal: "EUR",
    local: "LEM",
    association: "monnaie-lem",
    treasurer: "tresorerie@lem.example.org",
    hub: "la-cagette",
    hub_manager: "gerance@lacagette.example.org",
    consumers: ["camille@example.org", "yanis@example.org"],
    producers: [
        "ferme-des-trois-chenes",
        "fournil-de-la-colline",
        "rucher-du-val",
    ],
    skus: [
        "FERME-CAR-1KG",
        "RUCH-HYD-75CL",
        "FOUR-BAG-TRAD",
        "RUCH-POL-250G",
    ],
    pickup: "Local de la Cagette",
    bike: "Livraison à vélo",
    time_zone: "Europe/Paris",
    reduced_vat: "5.5",
    standard_vat: "20",
    standard_vat_bp: 2000,
    chart: ChartFacts {
        fund: "512100",
        customers: "411000",
        customer_credit: "419100",
        producers: "467100",
        hubs: "467200",
        bank: "512000",
        local_cash: "530100",
        goods: "707",
        fees: "708",
        vat_collected: "4457",
        vat_deductible: "4456",
        commissions: "622",
        cash: ["512", "530"],
    },
};

/// The Swiss demo: the Moléson in Lausanne, a franc deployment in Switzerland
/// (`fixtures/demo_ch/`).
pub static SWISS_DEMO: DemoFacts = DemoFacts {
    demo: Demo::Switzerland,
    legal: "CHF",
    local: "MOL",
    association: "monnaie-moleson",
    treasurer: "tresorerie@moleson.example.org",
    hub: "le-cabas",
    hub_manager: "gerance@lecabas.example.org",
    consumers: ["lea@example.org", "nicolas@example.org"],
    producers: [
        "domaine-des-trois-chemins",
        "ferme-du-grand-pre",
        "laiterie-des-alpettes",
    ],
    skus: ["FGP-CAR-1KG", "DTC-CHA-75CL", "FGP-SAL-1", "LDA-GRU-250G"],
    pickup: "Local du Cabas",
    bike: "Livraison à vélo",
    time_zone: "Europe/Zurich",
    reduced_vat: "2.6",
    standard_vat: "8.1",
    standard_vat_bp: 810,
    chart: ChartFacts {
        fund: "1020",
        customers: "1100",
        customer_credit: "2030",
        producers: "2000",
        hubs: "1190",
        bank: "1020",
        local_cash: "1001",
        goods: "300",
        fees: "340",
        vat_collected: "220",
        vat_deductible: "1170",
        commissions: "3803",
        cash: ["1020", "1001"],
    },
};

impl DemoFacts {
    /// The facts of `demo`.
    pub fn of(demo: Demo) -> &'static DemoFacts {
        match demo {
            Demo::France => &FRENCH_DEMO,
            Demo::Switzerland => &SWISS_DEMO,
        }
    }

    /// An amount in the legal currency, as the API writes it.
    pub fn legal_amount(&self, amount: &str) -> Value {
        serde_json::json!({"amount": amount, "currency": self.legal})
    }

    /// An amount in the local currency, as the API writes it.
    pub fn local_amount(&self, amount: &str) -> Value {
        serde_json::json!({"amount": amount, "currency": self.local})
    }
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

    /// A migrated database holding the French demo marketplace (a copy of this process's
    /// template).
    pub fn with_demo(backend: Backend) -> TestDb {
        TestDb::with_demo_of(backend, Demo::France)
    }

    /// A migrated database holding the demo marketplace `demo`, recorded for its deployment
    /// (a copy of this process's template of that demo).
    pub fn with_demo_of(backend: Backend, demo: Demo) -> TestDb {
        TestDb::from_template(backend, Template::Demo(demo))
    }

    /// The French demo without its history (an empty ledger), for tests that count from
    /// zero what they do.
    pub fn with_bare_demo(backend: Backend) -> TestDb {
        TestDb::with_bare_demo_of(backend, Demo::France)
    }

    /// Demo `demo` without its history (an empty ledger).
    pub fn with_bare_demo_of(backend: Backend, demo: Demo) -> TestDb {
        TestDb::from_template(backend, Template::BareDemo(demo))
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Template {
    /// Migrated, with the reference data every deployment has.
    Migrated,
    /// Migrated for the demo's deployment, then the demo marketplace loaded.
    Demo(Demo),
    /// The same, without the demo's history: an empty ledger.
    BareDemo(Demo),
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
static TEMPLATES: Mutex<Option<HashMap<(Backend, &'static str), Built>>> = Mutex::new(None);

impl Template {
    fn built(self, backend: Backend) -> Built {
        let mut templates = TEMPLATES.lock().unwrap_or_else(|p| p.into_inner());
        let templates = templates.get_or_insert_with(HashMap::new);
        if let Some(built) = templates.get(&(backend, self.slug())) {
            return built.clone();
        }
        let built = self.build(backend);
        templates.insert((backend, self.slug()), built.clone());
        built
    }

    fn build(self, backend: Backend) -> Built {
        let mut test_db = TestDb::blank(backend);
        let deployment = match self {
            Template::Swiss => comptoir::config::DeploymentConfig {
                currency: Some("CHF".into()),
                country: Some("CH".into()),
            },
            Template::Demo(demo) | Template::BareDemo(demo) => {
                let made_for = demo.deployment();
                comptoir::config::DeploymentConfig {
                    currency: Some(made_for.legal.code.as_str().to_string()),
                    country: Some(made_for.country.code().into()),
                }
            }
            Template::Migrated => test_config(&test_db.url).deployment,
        };
        comptoir::setup::migrate(&test_db.db, &deployment).expect("migrations apply");
        if let Template::Demo(demo) = self {
            let mut conn = test_db.db.conn().expect("connection");
            demo::load(&mut conn, demo, demo::Source::Embedded, false).expect("demo loads");
        }
        if let Template::BareDemo(demo) = self {
            let mut conn = test_db.db.conn().expect("connection");
            demo::load_without_history(&mut conn, demo, demo::Source::Embedded, false)
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
            Template::Demo(Demo::France) => "demo",
            Template::Demo(Demo::Switzerland) => "demo_ch",
            Template::BareDemo(Demo::France) => "bare_demo",
            Template::BareDemo(Demo::Switzerland) => "bare_demo_ch",
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

impl TestDb {
    /// The same database through a pool of its own, removed by nobody (its first owner
    /// removes it): what a second instance of the server opens.
    pub fn another_pool(&self) -> TestDb {
        TestDb {
            url: self.url.clone(),
            db: connect(&self.url),
            cleanup: Cleanup::Kept,
        }
    }
}

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

    /// Serves the demo marketplace `demo`.
    pub async fn with_demo_of(backend: Backend, demo: Demo) -> TestApp {
        TestApp::serve(TestDb::with_demo_of(backend, demo)).await
    }

    /// Serves the French demo without its history (an empty ledger).
    pub async fn with_bare_demo(backend: Backend) -> TestApp {
        TestApp::serve(TestDb::with_bare_demo(backend)).await
    }

    /// Serves demo `demo` without its history (an empty ledger).
    pub async fn with_bare_demo_of(backend: Backend, demo: Demo) -> TestApp {
        TestApp::serve(TestDb::with_bare_demo_of(backend, demo)).await
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

    /// A second server on this one's database, with a pool and a state of its own, as a
    /// second `comptoir serve` behind the same proxy would be. Drop it before this one.
    pub async fn another_instance(&self) -> TestApp {
        TestApp::serve(self.db.another_pool()).await
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

pub async fn read<S>(sent: Result<awc::ClientResponse<S>, awc::error::SendRequestError>) -> Reply
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
