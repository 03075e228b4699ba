//! `comptoir bench checkout` and `comptoir bench close`: the order path end to end.
//!
//! **checkout** measures what a customer waits for, over real HTTP against a real server: it
//! seeds customers (one argon2 hash reused for all) with funded LEM wallets, raises the stock
//! of the open cycle, then starts `comptoir serve` as a child process on a free local port
//! (same executable, same `--config` and `--database-url`, a temporary data directory). For
//! each concurrency level, C client threads, each with its own customer, keep-alive
//! connection and address (`X-Forwarded-For`, the server trusting 127.0.0.1 as its reverse
//! proxy), loop for S seconds over one *iteration*: log in (`POST /api/v1/auth/login`),
//! set a cart of 5 distinct variants (`PUT …/cart`), check out with part of it in LEM
//! (`POST …/checkout`, half the cart's `local_max`, with an `Idempotency-Key`). Each level
//! is run twice: with one log-in per client before the clock starts (argon2 is deliberately
//! expensive and would otherwise hide the rest), then, after all levels, with the log-in in
//! every iteration. Latency is the whole iteration's; any non-2xx counts as an error (the
//! first bodies are kept). The server's peak RSS (`VmHWM`, reset between lines through
//! `clear_refs`) and its peak private memory (`RssAnon`, sampled every 20 ms) are read from
//! `/proc`.
//!
//! **close** is [`super::close`]'s; it shares this module's seeding.
//!
//! Both load the demo into an empty database, and both write orders, customers and ledger
//! entries: run them against a **scratch database**, with the release build:
//!
//! ```sh
//! comptoir bench checkout --database-url sqlite:///tmp/bench.db --concurrency 1,8,32 --seconds 10
//! comptoir bench close --database-url sqlite:///tmp/bench-close.db --orders 10000
//! ```

use std::ffi::OsString;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use diesel::prelude::*;
use serde_json::{json, Value};

use crate::db::schema::{users, variants};
use crate::db::{Backend, Db, DbConn};
use crate::ledger::accounts::Owner;
use crate::ledger::ops::{self, EuroMethod};
use crate::money::{parse_amount, Sign};

/// The password of every benchmark customer.
const PASSWORD: &str = "bench-password-not-secret";
/// LEM issued to each customer (minor units): enough for every hold of a long run.
const FUNDING: i64 = 100_000_000;
/// Distinct variants per cart.
pub(super) const LINES: usize = 5;
/// The demo's hub.
pub(super) const HUB: &str = "la-cagette";
/// Error bodies kept per measurement.
const KEPT_ERRORS: usize = 5;

pub(super) fn backend_name(db: &Db) -> &'static str {
    match db.backend() {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    }
}

/// Loads the demo into an empty database, and makes every stocked variant plentiful.
pub(super) fn prepare(conn: &mut DbConn) -> Result<()> {
    if crate::demo::is_empty(conn)? {
        let summary = crate::demo::load(
            conn,
            crate::demo::Demo::France,
            crate::demo::Source::Embedded,
            false,
        )
        .context("loading the demo")?;
        eprintln!("demo loaded: {summary}");
    }
    diesel::update(variants::table.filter(variants::on_demand.eq(false)))
        .set(variants::stock_on_hand.eq(Some(1_000_000i64)))
        .execute(conn.diesel())
        .context("raising the stock")?;
    Ok(())
}

/// Creates `count` verified customers with funded LEM wallets; returns (id, email) pairs.
pub(super) fn customers(
    conn: &mut DbConn,
    count: usize,
    password_hash: Option<&str>,
    progress: &dyn Fn(),
) -> Result<Vec<(String, String)>> {
    let run = &crate::time::new_id()[24..];
    let mut made = Vec::with_capacity(count);
    for n in 0..count {
        let id = crate::time::new_id();
        let email = format!("buyer-{run}-{n}@bench.example.org");
        let now = crate::time::now();
        diesel::insert_into(users::table)
            .values((
                users::id.eq(&id),
                users::email.eq(&email),
                users::display_name.eq(format!("Bench buyer {n}")),
                users::password_hash.eq(password_hash),
                users::email_verified_at.eq(Some(now)),
                users::created_at.eq(now),
                users::updated_at.eq(now),
            ))
            .execute(conn.diesel())
            .context("creating a customer")?;
        let wallet = ops::wallet(conn, Owner::User(id.clone().into()), "LEM")?;
        ops::issue(
            conn,
            &crate::audit::Who::command_line(),
            &crate::time::new_id(),
            &wallet.id,
            FUNDING,
            EuroMethod::BankTransfer,
            "bench top-up",
        )?;
        made.push((id, email));
        progress();
    }
    Ok(made)
}

/// `LINES` distinct variants of `offer`, rotated by `n` so that clients spread over the offer.
pub(super) fn pick(offer: &[String], n: usize) -> impl Iterator<Item = &String> {
    (0..LINES).map(move |j| &offer[(n + j) % offer.len()])
}

/// Half of a `local_max` amount, as a LEM amount string (1 LEM = 1 EUR in the demo).
pub(super) fn half(local_max_minor: i64) -> String {
    crate::money::format_minor(local_max_minor / 2, 2)
}

// ---------------------------------------------------------------------------------------
// The HTTP client: one ureq agent per client thread (its connections are kept alive).

struct Reply {
    status: u16,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Result<Value> {
        serde_json::from_slice(&self.body).context("the response body is not JSON")
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body)
            .chars()
            .take(400)
            .collect()
    }
}

struct Http {
    base: String,
    agent: ureq::Agent,
    /// The client's own address, as the reverse proxy in front would forward it
    /// (`X-Forwarded-For`; the server trusts 127.0.0.1 as its proxy).
    forwarded_for: Option<String>,
}

impl Http {
    fn new(addr: SocketAddr) -> Http {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(120)))
            .http_status_as_error(false)
            .build()
            .into();
        Http {
            base: format!("http://{addr}"),
            agent,
            forwarded_for: None,
        }
    }

    /// Client `c`'s connection, from an address of its own in the benchmarking range
    /// 198.18.0.0/15 (RFC 2544): customers come from many addresses, not one, so the
    /// per-address log-in throttle (30 attempts in flight or failed) sees them apart.
    fn of_client(addr: SocketAddr, c: usize) -> Http {
        Http {
            forwarded_for: Some(format!("198.18.{}.{}", c / 250, c % 250 + 1)),
            ..Http::new(addr)
        }
    }

    /// Sends a request (statuses are answers, not errors).
    fn send(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        idempotency_key: Option<&str>,
        body: Option<&Value>,
    ) -> Result<Reply> {
        let url = format!("{}{path}", self.base);
        let bearer = token.map(|t| format!("Bearer {t}"));
        let response = if method == "GET" {
            let mut request = self.agent.get(&url);
            if let Some(bearer) = &bearer {
                request = request.header("Authorization", bearer);
            }
            if let Some(client) = &self.forwarded_for {
                request = request.header("X-Forwarded-For", client);
            }
            request.call()
        } else {
            let mut request = match method {
                "POST" => self.agent.post(&url),
                "PUT" => self.agent.put(&url),
                "PATCH" => self.agent.patch(&url),
                other => bail!("the bench sends no {other}"),
            }
            .header("Content-Type", "application/json");
            if let Some(bearer) = &bearer {
                request = request.header("Authorization", bearer);
            }
            if let Some(key) = idempotency_key {
                request = request.header("Idempotency-Key", key);
            }
            if let Some(client) = &self.forwarded_for {
                request = request.header("X-Forwarded-For", client);
            }
            request.send(body.map(Value::to_string).unwrap_or_default())
        };
        let mut response = response.with_context(|| format!("{method} {path}"))?;
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_vec()
            .with_context(|| format!("{method} {path}: reading the answer"))?;
        Ok(Reply { status, body })
    }
}

/// A successful reply, or `what: status body` as the error.
fn expect(reply: Result<Reply>, what: &str) -> std::result::Result<Reply, String> {
    match reply {
        Ok(r) if (200..300).contains(&r.status) => Ok(r),
        Ok(r) => Err(format!("{what}: {} {}", r.status, r.text())),
        Err(e) => Err(format!("{what}: {e:#}")),
    }
}

// ---------------------------------------------------------------------------------------
// The server under test, a child process.

struct Server {
    child: Child,
    addr: SocketAddr,
    data_dir: PathBuf,
}

impl Server {
    /// Starts `serve` on a free port and waits until `GET /health` answers.
    fn start(global_args: &[OsString]) -> Result<Server> {
        let addr = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .context("finding a free port")?;
        let data_dir = std::env::temp_dir().join(format!("comptoir-bench-{}", std::process::id()));
        std::fs::create_dir_all(&data_dir)
            .with_context(|| format!("creating {}", data_dir.display()))?;
        let exe = std::env::current_exe().context("locating the comptoir executable")?;
        let child = Command::new(exe)
            .args(global_args)
            .args(["serve", "--bind", &addr.to_string()])
            // the JWT key is generated there, and confirmation mails written there
            .env("COMPTOIR_DATA_DIR", &data_dir)
            .env("COMPTOIR_LOG_LEVEL", "warn")
            // the clients say their own addresses (`Http::of_client`), as through a proxy
            .env("COMPTOIR_TRUSTED_PROXIES", r#"["127.0.0.1"]"#)
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .context("starting `comptoir serve`")?;
        let mut server = Server {
            child,
            addr,
            data_dir,
        };
        let started = Instant::now();
        let mut http = Http::new(addr);
        loop {
            if let Some(status) = server.child.try_wait()? {
                bail!("`comptoir serve` exited at start-up ({status})");
            }
            if let Ok(reply) = http.send("GET", "/health", None, None, None) {
                if reply.status == 200 {
                    return Ok(server);
                }
            }
            if started.elapsed() > Duration::from_secs(60) {
                bail!("`comptoir serve` did not answer /health within 60 s");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// A `/proc/PID/status` field in KiB (`VmHWM`, `RssAnon`…).
    fn status_kib(&self, field: &str) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
    }

    /// Resets `VmHWM` to the current RSS (Linux: `5` in `clear_refs`); false if refused.
    fn reset_peak(&self) -> bool {
        std::fs::write(format!("/proc/{}/clear_refs", self.child.id()), "5").is_ok()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

// ---------------------------------------------------------------------------------------
// bench checkout

/// What the clients need to know about the shop.
struct Shop {
    cycle: String,
    offer: Vec<String>,
    method: String,
}

fn discover(http: &mut Http) -> Result<Shop> {
    let cycles = http
        .send(
            "GET",
            &format!("/api/v1/enterprises/{HUB}/order-cycles"),
            None,
            None,
            None,
        )?
        .json()?;
    let cycle = cycles["items"]
        .as_array()
        .and_then(|items| items.iter().find(|c| c["state"] == "open"))
        .and_then(|c| c["id"].as_str())
        .with_context(|| format!("no open cycle for `{HUB}`: {cycles}"))?
        .to_string();
    let detail = http
        .send(
            "GET",
            &format!("/api/v1/order-cycles/{cycle}"),
            None,
            None,
            None,
        )?
        .json()?;
    let offer: Vec<String> = detail["offer"]
        .as_array()
        .map(|o| {
            o.iter()
                .filter_map(|v| v["id"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    if offer.len() < LINES {
        bail!(
            "the open cycle offers {} variants, fewer than {LINES}",
            offer.len()
        );
    }
    let methods = http
        .send(
            "GET",
            &format!("/api/v1/order-cycles/{cycle}/shipping-methods"),
            None,
            None,
            None,
        )?
        .json()?;
    // the method with the highest fee: its fee is split between the currencies too
    let method = methods
        .as_array()
        .and_then(|ms| {
            ms.iter().max_by_key(|m| {
                m["fee"]["amount"]
                    .as_str()
                    .and_then(|a| parse_amount(a, 2, Sign::NonNegative).ok())
                    .unwrap_or(0)
            })
        })
        .and_then(|m| m["id"].as_str())
        .with_context(|| format!("no shipping method: {methods}"))?
        .to_string();
    Ok(Shop {
        cycle,
        offer,
        method,
    })
}

fn login(http: &mut Http, email: &str) -> std::result::Result<String, String> {
    let body = json!({"email": email, "password": PASSWORD});
    let reply = expect(
        http.send("POST", "/api/v1/auth/login", None, None, Some(&body)),
        "login",
    )?;
    reply
        .json()
        .ok()
        .and_then(|v| v["access_token"].as_str().map(String::from))
        .ok_or_else(|| format!("login: no access_token in {}", reply.text()))
}

/// Cart of `LINES` variants, then checkout with half the cart's `local_max` in LEM.
fn cart_and_checkout(
    http: &mut Http,
    shop: &Shop,
    token: &str,
    n: usize,
) -> std::result::Result<(), String> {
    let lines: Vec<Value> = pick(&shop.offer, n)
        .map(|id| json!({"variant_id": id, "quantity": 1}))
        .collect();
    let cart = expect(
        http.send(
            "PUT",
            &format!("/api/v1/order-cycles/{}/cart", shop.cycle),
            Some(token),
            None,
            Some(&json!({ "lines": lines })),
        ),
        "PUT cart",
    )?;
    let cart = cart.json().map_err(|e| format!("PUT cart: {e:#}"))?;
    let local_max = cart["quote"]["local_max"]["amount"]
        .as_str()
        .and_then(|a| parse_amount(a, 2, Sign::NonNegative).ok())
        .ok_or_else(|| format!("PUT cart: no quote.local_max in {cart}"))?;
    let body = json!({
        "shipping_method_id": shop.method,
        "local_amount": {"amount": half(local_max), "currency": "LEM"},
        // the dearest method is the demo's delivery by bike (a pickup ignores it)
        "address": {"name": "Customer", "line1": "3 rue des Lilas", "postcode": "69004",
                    "city": "Lyon", "country": "FR", "phone": "0612345678"},
    });
    expect(
        http.send(
            "POST",
            &format!("/api/v1/order-cycles/{}/checkout", shop.cycle),
            Some(token),
            Some(&uuid::Uuid::now_v7().to_string()),
            Some(&body),
        ),
        "POST checkout",
    )?;
    Ok(())
}

/// One line of the checkout table.
#[derive(Debug, Clone)]
pub struct CheckoutMeasure {
    pub backend: &'static str,
    /// Whether each iteration logs in.
    pub login: bool,
    pub concurrency: usize,
    pub checkouts: u64,
    pub errors: u64,
    pub seconds: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// The server's `VmHWM` during this line (since start-up if it could not be reset).
    pub peak_rss_kib: Option<u64>,
    /// The server's highest `RssAnon` sampled during this line.
    pub peak_anon_kib: Option<u64>,
    /// The first error responses.
    pub first_errors: Vec<String>,
}

impl CheckoutMeasure {
    pub fn per_second(&self) -> f64 {
        self.checkouts as f64 / self.seconds
    }
}

/// Nearest-rank percentile of sorted latencies, in milliseconds.
fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1000.0
}

fn measure(
    server: &Server,
    shop: &Shop,
    emails: &[String],
    backend: &'static str,
    concurrency: usize,
    duration: Duration,
    with_login: bool,
) -> Result<CheckoutMeasure> {
    let errors = AtomicU64::new(0);
    let kept: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let record = |e: String| {
        errors.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut kept) = kept.lock() {
            if kept.len() < KEPT_ERRORS {
                kept.push(e);
            }
        }
    };
    // without a log-in per iteration, each client logs in once beforehand, one at a time:
    // concurrent argon2 hashes (19 MiB each) would set the memory peak of the line
    let mut tokens = Vec::new();
    if !with_login {
        let mut http = Http::new(server.addr);
        for email in &emails[..concurrency] {
            tokens.push(login(&mut http, email).map_err(|e| anyhow!(e))?);
        }
    }
    let reset = server.reset_peak();
    let done = AtomicBool::new(false);
    let peak_anon = AtomicU64::new(0);
    let started = Instant::now();
    let latencies = std::thread::scope(|scope| -> Result<Vec<Duration>> {
        let sampler = scope.spawn(|| {
            while !done.load(Ordering::Relaxed) {
                if let Some(kib) = server.status_kib("RssAnon") {
                    peak_anon.fetch_max(kib, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        let clients: Vec<_> = (0..concurrency)
            .map(|c| {
                let (record, email, tokens) = (&record, &emails[c], &tokens);
                scope.spawn(move || {
                    let mut http = Http::of_client(server.addr, c);
                    let mut latencies = Vec::new();
                    let token = tokens.get(c);
                    let mut n = c * 7;
                    while started.elapsed() < duration {
                        let begun = Instant::now();
                        let result = match token {
                            Some(t) => cart_and_checkout(&mut http, shop, t, n),
                            None => login(&mut http, email)
                                .and_then(|t| cart_and_checkout(&mut http, shop, &t, n)),
                        };
                        match result {
                            Ok(()) => latencies.push(begun.elapsed()),
                            Err(e) => {
                                record(e);
                                std::thread::sleep(Duration::from_millis(10));
                            }
                        }
                        n += 1;
                    }
                    latencies
                })
            })
            .collect();
        let joined: Vec<_> = clients.into_iter().map(|c| c.join()).collect();
        // the sampler stops before any error is returned, or the scope would wait for it
        done.store(true, Ordering::Relaxed);
        sampler
            .join()
            .map_err(|_| anyhow!("the memory sampler panicked"))?;
        let mut all = Vec::new();
        for latencies in joined {
            all.extend(latencies.map_err(|_| anyhow!("a client thread panicked"))?);
        }
        Ok(all)
    })?;
    let seconds = started.elapsed().as_secs_f64();
    let mut latencies = latencies;
    latencies.sort_unstable();
    let peak_anon = peak_anon.load(Ordering::Relaxed);
    Ok(CheckoutMeasure {
        backend,
        login: with_login,
        concurrency,
        checkouts: latencies.len() as u64,
        errors: errors.load(Ordering::Relaxed),
        seconds,
        p50_ms: percentile(&latencies, 50.0),
        p99_ms: percentile(&latencies, 99.0),
        peak_rss_kib: if reset {
            server.status_kib("VmHWM")
        } else {
            None
        },
        peak_anon_kib: (peak_anon > 0).then_some(peak_anon),
        first_errors: kept.into_inner().unwrap_or_default(),
    })
}

/// Seeds `users` customers, starts the server (`global_args`: the `--config` and
/// `--database-url` to give it) and measures every concurrency level, with and without a
/// log-in per iteration, `seconds` each.
pub fn checkout(
    db: Db,
    global_args: &[OsString],
    users: usize,
    concurrency: &[usize],
    seconds: u64,
    progress: &mut dyn FnMut(&CheckoutMeasure),
) -> Result<Vec<CheckoutMeasure>> {
    let highest = concurrency.iter().copied().max().unwrap_or(1);
    anyhow::ensure!(
        users >= highest,
        "--users ({users}) must be at least the highest concurrency ({highest})"
    );
    let backend = backend_name(&db);
    let emails: Vec<String> = {
        let conn = &mut db.conn()?;
        prepare(conn)?;
        let hash = crate::auth::passwords::hash(PASSWORD)?;
        let bar = indicatif::ProgressBar::new(users as u64);
        bar.set_message("customers");
        let made = customers(conn, users, Some(&hash), &|| bar.inc(1))?;
        bar.finish_and_clear();
        made.into_iter().map(|(_, email)| email).collect()
    };
    drop(db);
    let server = Server::start(global_args)?;
    eprintln!(
        "server pid {} on {} (start-up VmHWM {} KiB)",
        server.child.id(),
        server.addr,
        server.status_kib("VmHWM").unwrap_or(0)
    );
    let shop = discover(&mut Http::new(server.addr)).context("reading the shop over HTTP")?;
    let duration = Duration::from_secs(seconds);
    let mut results = Vec::new();
    // the log-in rows last: argon2's memory stays with the process once used (allocator), so
    // it would be counted in the peak memory of the rows after it
    for with_login in [false, true] {
        for &c in concurrency {
            let m = measure(&server, &shop, &emails, backend, c, duration, with_login)?;
            progress(&m);
            results.push(m);
        }
    }
    Ok(results)
}

fn mib(kib: Option<u64>) -> String {
    kib.map(|k| format!("{:.0}", k as f64 / 1024.0))
        .unwrap_or_else(|| "—".into())
}

/// The checkout results as a Markdown table.
pub fn checkout_table(results: &[CheckoutMeasure]) -> String {
    let mut out = String::from(
        "| backend | iteration | concurrency | checkouts | checkouts/s | p50 ms | p99 ms | errors | server peak RSS MiB | server peak private MiB |\n|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for m in results {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {:.1} | {:.1} | {:.1} | {} | {} | {} |\n",
            m.backend,
            if m.login {
                "login + cart + checkout"
            } else {
                "cart + checkout"
            },
            m.concurrency,
            m.checkouts,
            m.per_second(),
            m.p50_ms,
            m.p99_ms,
            m.errors,
            mib(m.peak_rss_kib),
            mib(m.peak_anon_kib),
        ));
    }
    out
}

// ---------------------------------------------------------------------------------------
// bench close
