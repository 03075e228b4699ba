//! What both edges (the JSON API in `api/`, the pages in `web/`) share of a running server:
//! the application state every handler reaches, the client's address, the request's id.

use actix_web::web;

use crate::db::Db;

/// The id of the request being served (in request extensions), set by
/// [`crate::api::middleware::request_context`].
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub tokens: std::sync::Arc<crate::auth::tokens::TokenKeys>,
    pub login_throttle: std::sync::Arc<crate::auth::throttle::LoginThrottle>,
    pub catalog: std::sync::Arc<crate::catalog::rules::CatalogRules>,
    /// Largest CSV body the catalogue import accepts.
    pub max_import_bytes: usize,
    /// The catalogue imports the import page started in this process, with their progress.
    pub import_jobs: std::sync::Arc<crate::catalog::import_jobs::ImportJobs>,
    /// How long the import page waits for an import before answering with its progress page
    /// (`catalog.import_wait_seconds`).
    pub import_wait: std::time::Duration,
    /// The web application's base URL (`mail.app_url`): payment requests' URLs and QR codes.
    pub app_url: std::sync::Arc<str>,
    /// Client addresses allowed to read `GET /metrics`.
    pub metrics_from: std::sync::Arc<Vec<std::net::IpAddr>>,
    /// Reverse proxies whose `X-Forwarded-For` is believed ([`client_ip`]).
    pub trusted_proxies: std::sync::Arc<Vec<std::net::IpAddr>>,
}

/// The client's address: the connection's peer, unless that peer is a trusted proxy
/// (`trusted_proxies`), in which case the last address of `X-Forwarded-For` that is not itself
/// a trusted proxy (proxies append what they saw; the addresses before it could have been
/// written by the client). Used for the log-in throttle, the audit trail's origin and the
/// metrics' access check. Without trusted proxies the header is ignored: anyone can write it.
pub fn client_ip(req: &actix_web::HttpRequest) -> Option<std::net::IpAddr> {
    let peer = req.peer_addr()?.ip().to_canonical();
    let trusted = req
        .app_data::<web::Data<AppState>>()
        .map(|state| state.trusted_proxies.clone())
        .unwrap_or_default();
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let forwarded: Vec<std::net::IpAddr> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse::<std::net::IpAddr>().ok())
        .map(|ip| ip.to_canonical())
        .collect();
    Some(
        forwarded
            .into_iter()
            .rev()
            .find(|ip| !trusted.contains(ip))
            .unwrap_or(peer),
    )
}

/// Counts an attempt against each key of the log-in throttles before the work is done
/// ([`crate::auth::throttle::LoginThrottle::reserve_all`]); `Throttled` (each edge's 429) at
/// the first one locked out.
pub async fn reserve_attempts(
    state: &AppState,
    keys: Vec<(crate::auth::throttle::Limit, String)>,
) -> Result<(), crate::auth::AuthError> {
    let throttle = state.login_throttle.clone();
    state
        .db
        .run(move |conn| throttle.reserve_all(conn, &keys))
        .await
}

/// Gives back an attempt [`reserve_attempts`] counted, once the attempt turned out not to
/// fail; `clear`: forgets the key's attempts (a password proven right).
pub async fn give_back_attempt(
    state: &AppState,
    limit: crate::auth::throttle::Limit,
    key: String,
    clear: bool,
) -> Result<(), crate::auth::AuthError> {
    let throttle = state.login_throttle.clone();
    state
        .db
        .run(move |conn| {
            let throttle = throttle.of(limit);
            if clear {
                throttle.clear(conn, &key)
            } else {
                throttle.release(conn, &key)
            }
        })
        .await
}

/// A 200 response of `content_type` that browsers download as `filename` (CSV and FEC
/// exports, from the API and the pages); finish it with `.body(…)` or `.streaming(…)`.
pub fn attachment(content_type: &str, filename: &str) -> actix_web::HttpResponseBuilder {
    let mut response = actix_web::HttpResponse::Ok();
    response.content_type(content_type).insert_header((
        actix_web::http::header::CONTENT_DISPOSITION,
        format!("attachment; filename=\"{filename}\""),
    ));
    response
}
