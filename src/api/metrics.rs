//! `GET /metrics` in the Prometheus text format, served only to the addresses in
//! `metrics.allowed_addresses` (default: this machine).
//!
//! - `comptoir_http_requests_total{method,route,status}` and
//!   `comptoir_http_request_duration_seconds{method,route}`: every request, by route template
//!   (`/api/v1/orders/{order_id}`, never the id itself: the labels stay few), counted by the
//!   request middleware.
//! - `comptoir_db_pool_connections{state}`: the pool's connections, idle and in use.
//! - `comptoir_mail_outbox{state}`, `comptoir_odoo_moves{state}`: the backlogs.
//! - `comptoir_totals{what="ledger_entries"|"checkouts"}`: totals, read from the database at
//!   each scrape (so every instance reports the same, whoever wrote them).
//!
//! The registry is the process's (several servers in one process, as in the tests, share
//! it): a restart starts the counters again, as Prometheus expects.

use std::sync::LazyLock;
use std::time::Duration;

use actix_web::{get, web, HttpRequest, HttpResponse};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry,
};

use crate::api::error::{ApiError, Problem};
use crate::api::AppState;

struct Http {
    registry: Registry,
    requests: IntCounterVec,
    duration: HistogramVec,
}

static HTTP: LazyLock<Option<Http>> = LazyLock::new(|| {
    let registry = Registry::new();
    let requests = IntCounterVec::new(
        Opts::new("comptoir_http_requests_total", "HTTP requests answered"),
        &["method", "route", "status"],
    )
    .ok()?;
    let duration = HistogramVec::new(
        HistogramOpts::new(
            "comptoir_http_request_duration_seconds",
            "Time to answer an HTTP request",
        )
        .buckets(vec![
            0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
        ]),
        &["method", "route"],
    )
    .ok()?;
    registry.register(Box::new(requests.clone())).ok()?;
    registry.register(Box::new(duration.clone())).ok()?;
    Some(Http {
        registry,
        requests,
        duration,
    })
});

/// Counts one answered request (the request middleware calls it). `route` is the matched
/// template, or `unmatched`.
pub fn observe(method: &str, route: &str, status: u16, elapsed: Duration) {
    if let Some(http) = HTTP.as_ref() {
        http.requests
            .with_label_values(&[method, route, &status.to_string()])
            .inc();
        http.duration
            .with_label_values(&[method, route])
            .observe(elapsed.as_secs_f64());
    }
}

fn gauge(
    registry: &Registry,
    name: &str,
    help: &str,
    label: &str,
) -> Result<IntGaugeVec, ApiError> {
    let gauge = IntGaugeVec::new(Opts::new(name, help), &[label]).map_err(ApiError::internal)?;
    registry
        .register(Box::new(gauge.clone()))
        .map_err(ApiError::internal)?;
    Ok(gauge)
}

/// The Prometheus metrics (text format 0.0.4). Only for the addresses in
/// `metrics.allowed_addresses`: others get 403.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "Prometheus text format", content_type = "text/plain", body = String),
        (status = 403, body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/metrics")]
pub async fn metrics(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let peer = crate::api::client_ip(&req);
    if !peer.is_some_and(|ip| state.metrics_from.contains(&ip.to_canonical())) {
        return Err(ApiError::Forbidden(
            "the metrics are served only to the addresses in `metrics.allowed_addresses`".into(),
        ));
    }
    let backlog = state
        .db
        .run(|conn| Ok::<_, ApiError>(crate::db::backup::backlog(conn)?))
        .await?;
    let (open, idle) = state.db.pool_state();
    // the database's figures, fresh at each scrape, in a registry of their own
    let scraped = Registry::new();
    let pool = gauge(
        &scraped,
        "comptoir_db_pool_connections",
        "Database pool connections",
        "state",
    )?;
    pool.with_label_values(&["idle"]).set(i64::from(idle));
    pool.with_label_values(&["in_use"])
        .set(i64::from(open.saturating_sub(idle)));
    let mail = gauge(
        &scraped,
        "comptoir_mail_outbox",
        "Mail not sent yet, and failed",
        "state",
    )?;
    mail.with_label_values(&["pending"])
        .set(backlog.mail_pending);
    mail.with_label_values(&["failed"]).set(backlog.mail_failed);
    let odoo = gauge(
        &scraped,
        "comptoir_odoo_moves",
        "Validated moves by Odoo sync state",
        "state",
    )?;
    for (s, n) in &backlog.odoo {
        odoo.with_label_values(&[s.as_str()]).set(*n);
    }
    let totals = gauge(
        &scraped,
        "comptoir_totals",
        "Ledger entries and orders checked out",
        "what",
    )?;
    totals
        .with_label_values(&["ledger_entries"])
        .set(backlog.ledger_entries);
    totals
        .with_label_values(&["checkouts"])
        .set(backlog.checkouts);

    let mut families = scraped.gather();
    if let Some(http) = HTTP.as_ref() {
        families.extend(http.registry.gather());
    }
    let encoder = prometheus::TextEncoder::new();
    let mut body = Vec::new();
    encoder
        .encode(&families, &mut body)
        .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type(encoder.format_type())
        .body(body))
}
