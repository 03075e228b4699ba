//! Pagination at the edge: a domain [`Page`] becomes a [`PageResponse`] whose `next` link
//! repeats the request's own path and filters with the new cursor (see
//! [`crate::pagination`] for the parameters and the cursor).

use actix_web::HttpRequest;
use serde::Serialize;
use utoipa::ToSchema;

pub use crate::api::views::PageQuery;
pub use crate::pagination::{Page, DEFAULT_LIMIT, MAX_LIMIT};

/// A page as sent to clients.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageResponse<T> {
    pub items: Vec<T>,
    /// Link to the next page (same filters), or `null` on the last page.
    pub next: Option<String>,
}

impl<T> PageResponse<T> {
    /// Builds the `next` link from the request's own path and query, replacing `after`.
    pub fn from_page(page: Page<T>, req: &HttpRequest) -> PageResponse<T> {
        let next = page.next_cursor.map(|cursor| {
            let mut pairs: Vec<(String, String)> = url_pairs(req.query_string())
                .into_iter()
                .filter(|(k, _)| k != "after")
                .collect();
            pairs.push(("after".to_string(), cursor));
            let query = pairs
                .iter()
                .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
                .collect::<Vec<_>>()
                .join("&");
            format!("{}?{}", req.path(), query)
        });
        PageResponse {
            items: page.items,
            next,
        }
    }
}

fn url_pairs(query: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str(query).unwrap_or_default()
}

fn encode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|e| e.trim_start_matches('=').to_string())
        .unwrap_or_default()
}
