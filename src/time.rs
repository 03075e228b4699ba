//! Time conventions: UTC everywhere; `NaiveDateTime` in the database, `DateTime<Utc>` at the edge.
//! People read times in an enterprise's own time zone (`enterprises.time_zone`, an IANA name
//! such as `Europe/Paris`): mails ([`crate::mail::format::mail_time`]) and the year of an
//! order's number ([`crate::orders::numbers`]). The API keeps UTC.

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

/// The IANA time zone named `name` (`Europe/Paris`), if the tz database knows it.
pub fn zone(name: &str) -> Option<chrono_tz::Tz> {
    name.parse().ok()
}

/// A stored naive UTC timestamp in the time zone named `zone` (UTC when the name is unknown,
/// which the enterprise rules never store).
pub fn local(t: NaiveDateTime, zone_name: &str) -> DateTime<chrono::FixedOffset> {
    let utc = t.and_utc();
    match zone(zone_name) {
        Some(tz) => utc.with_timezone(&tz).fixed_offset(),
        None => utc.fixed_offset(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_time_follows_the_zone_and_its_summer_time() {
        let winter = chrono::NaiveDate::from_ymd_opt(2026, 1, 15)
            .and_then(|d| d.and_hms_opt(17, 0, 0))
            .expect("a date");
        let summer = chrono::NaiveDate::from_ymd_opt(2026, 7, 15)
            .and_then(|d| d.and_hms_opt(17, 0, 0))
            .expect("a date");
        assert_eq!(
            local(winter, "Europe/Paris").to_rfc3339(),
            "2026-01-15T18:00:00+01:00"
        );
        assert_eq!(
            local(summer, "Europe/Zurich").to_rfc3339(),
            "2026-07-15T19:00:00+02:00"
        );
        assert_eq!(
            local(winter, "Mars/Olympus").to_rfc3339(),
            "2026-01-15T17:00:00+00:00"
        );
        assert!(zone("Europe/Paris").is_some());
        assert!(zone("Europe/Lyon").is_none());
    }
}
