//! Cursor pagination: `?limit=&after=`; responses carry `items` and a `next` link.
//!
//! The cursor is the id of the last item of the page (ids are UUID v7, so id order is
//! creation order). Clients must treat it as opaque and follow `next` until it is `null`.

use actix_web::HttpRequest;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, FieldError};

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;

/// `?limit=&after=` query parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u32>,
    /// Cursor from the previous page's `next` link.
    pub after: Option<String>,
}

impl PageParams {
    pub fn validate(&self) -> Result<(), ApiError> {
        let mut errors = Vec::new();
        if let Some(limit) = self.limit {
            if !(1..=MAX_LIMIT).contains(&limit) {
                errors.push(FieldError::new(
                    "limit",
                    "out_of_range",
                    format!("must be between 1 and {MAX_LIMIT}"),
                ));
            }
        }
        if let Some(after) = &self.after {
            // only the canonical form sorts like the stored ids
            let canonical = uuid::Uuid::parse_str(after).map(|u| u.hyphenated().to_string());
            if canonical.ok().as_deref() != Some(after.as_str()) {
                errors.push(FieldError::new(
                    "after",
                    "invalid_cursor",
                    "is not a cursor from a `next` link",
                ));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(errors))
        }
    }

    pub fn limit(&self) -> u32 {
        self.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT)
    }

    /// How many rows to fetch: one more than the page, to know whether a next page exists.
    pub fn fetch_limit(&self) -> i64 {
        i64::from(self.limit()) + 1
    }

    /// Cuts the extra row off and remembers the cursor of the last item kept.
    pub fn paginate<T>(
        &self,
        mut rows: Vec<T>,
        key: impl Fn(&T) -> String,
    ) -> Result<Page<T>, ApiError> {
        let limit = self.limit() as usize;
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next_cursor = if more { rows.last().map(key) } else { None };
        Ok(Page {
            items: rows,
            next_cursor,
        })
    }
}

/// One page of a domain listing.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    pub fn try_map<U, E>(self, f: impl FnMut(T) -> Result<U, E>) -> Result<Page<U>, E> {
        Ok(Page {
            items: self.items.into_iter().map(f).collect::<Result<_, _>>()?,
            next_cursor: self.next_cursor,
        })
    }
}

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
