//! Time conventions: UTC everywhere; `NaiveDateTime` in the database, `DateTime<Utc>` at the edge.

use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};

/// Now, truncated to microseconds (what both databases store), as a naive UTC timestamp.
pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(6)
}

/// A stored naive UTC timestamp, for the API.
pub fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

/// Serialises a stored naive UTC timestamp as RFC 3339 with its offset (`…Z`), as every
/// timestamp of the API is: `#[serde(serialize_with = "crate::time::as_utc")]`.
pub fn as_utc<S: serde::Serializer>(t: &NaiveDateTime, serializer: S) -> Result<S::Ok, S::Error> {
    serde::Serialize::serialize(&t.and_utc(), serializer)
}

/// [`as_utc`] for an optional timestamp (`null` when absent).
pub fn as_utc_opt<S: serde::Serializer>(
    t: &Option<NaiveDateTime>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serde::Serialize::serialize(&t.map(|t| t.and_utc()), serializer)
}

/// A new time-ordered id (UUID v7) in the text form stored in the database.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
