//! Cursor pagination: `?limit=&after=`; a listing returns one [`Page`] of items and the
//! cursor of its last item ([`crate::api::pagination`] turns it into a `next` link).
//!
//! The cursor is the id of the last item of the page (ids are UUID v7, so id order is
//! creation order). Clients must treat it as opaque and follow `next` until it is `null`.

use serde::Deserialize;

use crate::error::{FieldError, Invalid};

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;

/// `?limit=&after=` query parameters.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PageParams {
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u32>,
    /// Cursor from the previous page's `next` link.
    pub after: Option<String>,
}

impl PageParams {
    pub fn validate(&self) -> Result<(), Invalid> {
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
            Err(Invalid(errors))
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
    pub fn paginate<T>(&self, mut rows: Vec<T>, key: impl Fn(&T) -> String) -> Page<T> {
        let limit = self.limit() as usize;
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next_cursor = if more { rows.last().map(key) } else { None };
        Page {
            items: rows,
            next_cursor,
        }
    }
}

/// One page of a domain listing.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }

    pub fn try_map<U, E>(self, f: impl FnMut(T) -> Result<U, E>) -> Result<Page<U>, E> {
        Ok(Page {
            items: self.items.into_iter().map(f).collect::<Result<_, _>>()?,
            next_cursor: self.next_cursor,
        })
    }
}
