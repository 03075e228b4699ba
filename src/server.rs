//! Start-up of the HTTP service: bind first (a port in use fails before anything is
//! created), then open and migrate the database, then serve until SIGINT/SIGTERM, when actix
//! stops accepting connections and lets in-flight requests finish (graceful shutdown).

use std::net::TcpListener;

use actix_web::{dev::Server, HttpServer};
use anyhow::{Context, Result};

use crate::accounting::AccountingError;
use crate::api::{self, AppState};
use crate::config::Config;
use crate::db::Db;

/// How long in-flight requests may take to finish after a shutdown signal.
const SHUTDOWN_TIMEOUT_SECONDS: u64 = 30;

/// Reserves the listening address.
pub fn bind(config: &Config) -> Result<TcpListener> {
    TcpListener::bind(config.bind).with_context(|| format!("cannot listen on {}", config.bind))
}

/// Opens the database named by the configuration and applies pending migrations.
pub fn open_database(config: &Config) -> Result<Db> {
    let db = Db::connect(&config.database_url, config.database_pool_size)?;
    for version in crate::setup::migrate(&db, &config.deployment)? {
        tracing::info!(%version, "migration applied");
    }
    let chosen = crate::deployment::get(&mut db.conn()?)?;
    tracing::info!(
        legal_currency = %chosen.legal.code,
        country = chosen.country.code(),
        "deployment"
    );
    Ok(db)
}

/// How often expired ledger holds are voided.
const HOLD_EXPIRY_INTERVAL: std::time::Duration = std::time::Duration::from_secs(30);

/// How often saved Idempotency-Key responses older than their keeping time are purged.
const IDEMPOTENCY_PURGE_EVERY_TICKS: u64 = 120;

/// Background jobs of a serving instance (on the current actix runtime): closing the cycles
/// whose close time has passed and voiding expired ledger holds every 30 s, and purging saved Idempotency-Key responses hourly. Safe with
/// several instances: each void's entry id derives from the hold, so a hold is voided once.
pub fn spawn_jobs(db: Db) {
    actix_web::rt::spawn(async move {
        let mut ticks = actix_web::rt::time::interval(HOLD_EXPIRY_INTERVAL);
        let mut tick: u64 = 0;
        loop {
            ticks.tick().await;
            tick += 1;
            if tick % IDEMPOTENCY_PURGE_EVERY_TICKS == 1 {
                let before =
                    crate::time::now() - chrono::Duration::hours(crate::idempotency::KEEP_HOURS);
                match db
                    .run(move |conn| {
                        crate::idempotency::purge(conn, before).map_err(api::error::ApiError::from)
                    })
                    .await
                {
                    Ok(0) => {}
                    Ok(purged) => tracing::info!(purged, "old Idempotency-Key responses purged"),
                    Err(e) => {
                        tracing::warn!(error = %e, "purging Idempotency-Key responses failed")
                    }
                }
            }
            close_due_cycles(&db).await;
            let result = db
                .run(|conn| crate::ledger::holds::void_expired_holds(conn, crate::time::now()))
                .await;
            match result {
                Ok(0) => {}
                Ok(voided) => tracing::info!(voided, "expired holds voided"),
                Err(e) => {
                    tracing::warn!(error = %e, "voiding expired holds failed; retrying later")
                }
            }
        }
    });
}

/// The Odoo push of a serving instance: every `odoo.sync_seconds`, validates the ledger up
/// to today and pushes what is due ([`crate::accounting::odoo::sync`]); nothing when Odoo is
/// not configured or the interval is 0. A sync already running elsewhere (a cron job,
/// another instance) holds the lease: this one skips its turn.
pub fn spawn_odoo_sync(db: Db, config: &Config) {
    use crate::accounting::odoo;
    let memory = config.database_url.is_sqlite_memory();
    let config = config.odoo.clone();
    if config.sync_seconds == 0 {
        return;
    }
    if memory {
        // a sync holds a connection while it talks to Odoo: the only one of a memory database
        tracing::info!("no background Odoo sync on an in-memory database");
        return;
    }
    if let Err(e) = odoo::Client::from_config(&config) {
        tracing::info!(reason = %e, "no background Odoo sync");
        return;
    }
    tracing::info!(every_seconds = config.sync_seconds, "background Odoo sync");
    actix_web::rt::spawn(async move {
        let mut ticks =
            actix_web::rt::time::interval(std::time::Duration::from_secs(config.sync_seconds));
        loop {
            ticks.tick().await;
            let config = config.clone();
            let result = db
                .run(move |conn| {
                    let mut client = odoo::Client::from_config(&config)
                        .map_err(|e| AccountingError::RetryLater(e.to_string()))?;
                    crate::accounting::moves::validate_until(
                        conn,
                        crate::time::now().date(),
                        &mut |_| {},
                    )?;
                    odoo::sync(conn, &mut client, &mut |_| {})
                })
                .await;
            match result {
                Ok(r) if r.pushed + r.found + r.reconciled == 0 && r.ok() => {}
                Ok(r) if !r.ok() => tracing::warn!(
                    pushed = r.pushed,
                    found = r.found,
                    conflicts = r.conflicts,
                    failed = r.failed,
                    reconciled = r.reconciled,
                    reconcile_failed = r.reconcile_failed,
                    "Odoo sync: some moves need a person (comptoir odoo status)"
                ),
                Ok(r) => tracing::info!(
                    pushed = r.pushed,
                    found = r.found,
                    reconciled = r.reconciled,
                    "Odoo sync"
                ),
                Err(AccountingError::SyncRunning(_)) => {
                    tracing::debug!("an Odoo sync is running elsewhere; skipping this turn")
                }
                Err(e) => tracing::warn!(error = %e, "Odoo sync failed; trying again later"),
            }
        }
    });
}

/// Closes every cycle whose close time has passed (see [`crate::orders::close`]); a failure
/// is logged and retried at the next tick. Closing is idempotent, so instances may race.
async fn close_due_cycles(db: &Db) {
    let due = match db
        .run(|conn| {
            // the database's clock: every instance finds the same cycles due
            let now = crate::db::clock(conn)?;
            crate::orders::close::due(conn, now)
        })
        .await
    {
        Ok(due) => due,
        Err(e) => {
            tracing::warn!(error = %e, "listing the cycles to close failed; retrying later");
            return;
        }
    };
    for id in due {
        let cycle = id.clone();
        match db
            .run(move |conn| crate::orders::close::close(conn, &cycle, &mut |_| {}))
            .await
        {
            Ok(report) => {
                tracing::info!(cycle = %id, booked = report.orders_booked, "cycle closed")
            }
            Err(e) => {
                tracing::error!(cycle = %id, error = %e, "closing a cycle failed; retrying later")
            }
        }
    }
}

/// Builds the HTTP server on an already bound listener. `workers = None` uses one per core.
pub fn http_server(
    listener: TcpListener,
    db: Db,
    config: &Config,
    workers: Option<usize>,
) -> Result<Server> {
    let tokens = crate::auth::tokens::TokenKeys::from_config(config)
        .context("preparing the token signing key")?;
    // the recorded country's VAT rates; a database not migrated yet (the server answers
    // `/ready` with 503 until it is) has none recorded: France's until then. Any other
    // failure to read it stops the start: the wrong country's rates would stay all along
    let country = {
        let mut conn = db.conn()?;
        match crate::deployment::stored(&mut conn) {
            Ok(found) => found.map(|d| d.country),
            Err(_) if Db::has_pending_migrations(&mut conn)? => None,
            Err(e) => return Err(anyhow::Error::new(e).context("reading the deployment's country")),
        }
        .unwrap_or(crate::deployment::Country::France)
    };
    let catalog = crate::catalog::rules::CatalogRules::for_country(&config.catalog, country)
        .map_err(anyhow::Error::msg)?;
    let state = AppState {
        db,
        tokens: std::sync::Arc::new(tokens),
        login_throttle: std::sync::Arc::new(Default::default()),
        catalog: std::sync::Arc::new(catalog),
        max_import_bytes: config.catalog.max_import_bytes,
        import_jobs: std::sync::Arc::new(crate::catalog::import_jobs::ImportJobs::new()),
        import_wait: std::time::Duration::from_secs(config.catalog.import_wait_seconds),
        app_url: std::sync::Arc::from(config.mail.app_url.trim_end_matches('/')),
        trusted_proxies: std::sync::Arc::new(
            config
                .trusted_proxies
                .iter()
                .map(|ip| ip.to_canonical())
                .collect(),
        ),
        metrics_from: std::sync::Arc::new(
            config
                .metrics
                .allowed_addresses
                .iter()
                .map(|ip| ip.to_canonical())
                .collect(),
        ),
    };
    let legal = {
        let mut conn = state.db.conn()?;
        match crate::deployment::stored(&mut conn) {
            Ok(Some(d)) => d.legal.code.to_string(),
            _ => "EUR".to_string(),
        }
    };
    let pages = actix_web::web::Data::new(
        crate::web::pages(
            config.web.templates_dir.clone(),
            crate::web::render::Deployment {
                legal,
                country,
                secure_cookies: config.mail.app_url.starts_with("https://"),
            },
        )
        .map_err(anyhow::Error::msg)
        .context("preparing the web pages")?,
    );
    let body_limit = config.max_body_bytes;
    let cors_origins = config.cors_allowed_origins.clone();
    let mut server =
        HttpServer::new(move || api::app(state.clone(), pages.clone(), body_limit, &cors_origins))
            .shutdown_timeout(SHUTDOWN_TIMEOUT_SECONDS);
    if let Some(workers) = workers {
        server = server.workers(workers);
    }
    Ok(server
        .listen(listener)
        .context("cannot serve on the listener")?
        .run())
}
