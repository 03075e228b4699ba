//! Amounts and dates as each language writes them: `1 234,50 €` and `jeudi 26 novembre 2026
//! à 18:00` in French, `1.234,50 €` and `Donnerstag, 26. November 2026 um 18:00` in German,
//! `€1,234.50` and `Thursday 26 November 2026 at 18:00` in English. Local currencies are
//! written with their code after the amount (`12,50 LEM`, `12.50 LEM`); the Swiss franc as
//! Switzerland writes it, whatever the language (`CHF 1'234.50`).

use chrono::{Datelike, NaiveDateTime, Timelike};

/// A language of Comptoir: its mails are written in it, and an account chooses one among its
/// deployment's country's ([`crate::deployment::Country::languages`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum Locale {
    Fr,
    De,
    En,
}

impl Locale {
    pub fn parse(s: &str) -> Option<Locale> {
        match s {
            "fr" => Some(Locale::Fr),
            "de" => Some(Locale::De),
            "en" => Some(Locale::En),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Locale::Fr => "fr",
            Locale::De => "de",
            Locale::En => "en",
        }
    }
}

const NBSP: char = '\u{a0}';
const NARROW_NBSP: char = '\u{202f}';

/// A decimal as the language writes it: `5.5` → `5,5` in French and German.
pub fn decimal(text: &str, locale: Locale) -> String {
    match locale {
        Locale::Fr | Locale::De => text.replace('.', ","),
        Locale::En => text.to_string(),
    }
}

/// Formats an exact decimal amount (`"-1234.5"`) of `currency`: the euro as the language
/// writes it (`1 234,50 €`, `1.234,50 €`, `€1,234.50`), the Swiss franc as Switzerland writes it whatever
/// the language (`CHF 1'234.50`), any other code after the number.
pub fn money(amount: &str, currency: &str, locale: Locale) -> String {
    let (negative, digits) = match amount.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, amount),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let frac = format!("{frac:0<2}");
    let (group, decimal) = match (currency, locale) {
        ("CHF", _) => ('\'', '.'),
        (_, Locale::Fr) => (NARROW_NBSP, ','),
        (_, Locale::De) => ('.', ','),
        (_, Locale::En) => (',', '.'),
    };
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(group);
        }
        grouped.push(c);
    }
    let number = format!(
        "{}{grouped}{decimal}{frac}",
        if negative { "-" } else { "" }
    );
    match (locale, currency) {
        (_, "CHF") => format!("CHF{NBSP}{number}"),
        (Locale::Fr | Locale::De, "EUR") => format!("{number}{NBSP}€"),
        (Locale::En, "EUR") => match number.strip_prefix('-') {
            Some(n) => format!("-€{n}"),
            None => format!("€{number}"),
        },
        (_, code) => format!("{number}{NBSP}{code}"),
    }
}

const DAYS_FR: [&str; 7] = [
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
];
const DAYS_EN: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const DAYS_DE: [&str; 7] = [
    "Montag",
    "Dienstag",
    "Mittwoch",
    "Donnerstag",
    "Freitag",
    "Samstag",
    "Sonntag",
];
const MONTHS_FR: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];
const MONTHS_DE: [&str; 12] = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Parses the local date and time at the start of `text` (`2026-11-26T18:00`, seconds and an
/// offset are allowed: times reach templates already in the local time of the enterprise
/// concerned, with its offset — [`mail_time`]).
pub fn parse_local(text: &str) -> Option<NaiveDateTime> {
    let head = text.get(..16)?;
    NaiveDateTime::parse_from_str(head, "%Y-%m-%dT%H:%M").ok()
}

/// A stored UTC instant as a mail carries it: in the local time of the IANA zone `zone` (the
/// hub's, or the enterprise's the mail is about), with its offset — `2026-11-26T18:00+01:00`.
/// The `datetime` filter writes it in words with the offset (`… à 18:00 (UTC+1)`).
pub fn mail_time(t: NaiveDateTime, zone: &str) -> String {
    crate::time::local(t, zone)
        .format("%Y-%m-%dT%H:%M%:z")
        .to_string()
}

/// The offset at the end of a time as [`mail_time`] writes it, in words: `UTC+1`, `UTC-3`,
/// `UTC+5:30`, `UTC`; `None` when the time carries none (`Z` is UTC).
pub fn offset_words(text: &str) -> Option<String> {
    if text.ends_with('Z') {
        return Some("UTC".into());
    }
    let tail = text.get(16..)?;
    // past the minutes: optional seconds (and fraction), then the offset
    let at = tail.find(['+', '-'])?;
    let (sign, rest) = tail[at..].split_at(1);
    let (hours, minutes) = rest.split_once(':').unwrap_or((rest, "00"));
    let hours: u32 = hours.parse().ok()?;
    let minutes: u32 = minutes.parse().ok()?;
    Some(match (hours, minutes) {
        (0, 0) => "UTC".into(),
        (h, 0) => format!("UTC{sign}{h}"),
        (h, m) => format!("UTC{sign}{h}:{m:02}"),
    })
}

/// A local date and time in words.
pub fn datetime(t: NaiveDateTime, locale: Locale) -> String {
    let day = t.weekday().num_days_from_monday() as usize;
    let month = t.month0() as usize;
    match locale {
        Locale::Fr => format!(
            "{} {} {} {} à {:02}:{:02}",
            DAYS_FR[day],
            if t.day() == 1 {
                "1er".to_string()
            } else {
                t.day().to_string()
            },
            MONTHS_FR[month],
            t.year(),
            t.hour(),
            t.minute()
        ),
        Locale::De => format!(
            "{}, {}. {} {} um {:02}:{:02}",
            DAYS_DE[day],
            t.day(),
            MONTHS_DE[month],
            t.year(),
            t.hour(),
            t.minute()
        ),
        Locale::En => format!(
            "{} {} {} {} at {:02}:{:02}",
            DAYS_EN[day],
            t.day(),
            MONTHS_EN[month],
            t.year(),
            t.hour(),
            t.minute()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_per_language() {
        assert_eq!(money("12.50", "EUR", Locale::Fr), "12,50\u{a0}€");
        assert_eq!(money("12.50", "LEM", Locale::En), "12.50\u{a0}LEM");
        assert_eq!(money("1234.5", "EUR", Locale::En), "€1,234.50");
        assert_eq!(
            money("1234567.00", "EUR", Locale::Fr),
            "1\u{202f}234\u{202f}567,00\u{a0}€"
        );
        assert_eq!(money("-3.20", "EUR", Locale::En), "-€3.20");
        assert_eq!(money("1234.5", "CHF", Locale::Fr), "CHF\u{a0}1'234.50");
        assert_eq!(money("12.50", "CHF", Locale::En), "CHF\u{a0}12.50");
        assert_eq!(
            money("-1234567.00", "CHF", Locale::Fr),
            "CHF\u{a0}-1'234'567.00"
        );
        assert_eq!(money("0", "LEM", Locale::Fr), "0,00\u{a0}LEM");
    }

    #[test]
    fn money_in_german() {
        assert_eq!(money("1234.5", "EUR", Locale::De), "1.234,50\u{a0}€");
        assert_eq!(
            money("1234567.00", "EUR", Locale::De),
            "1.234.567,00\u{a0}€"
        );
        assert_eq!(money("-3.20", "EUR", Locale::De), "-3,20\u{a0}€");
        assert_eq!(money("12.5", "LEM", Locale::De), "12,50\u{a0}LEM");
        // the franc as Switzerland writes it, in German too
        assert_eq!(money("1234.5", "CHF", Locale::De), "CHF\u{a0}1'234.50");
        assert_eq!(money("-0.05", "CHF", Locale::De), "CHF\u{a0}-0.05");
        assert_eq!(Locale::parse("de"), Some(Locale::De));
        assert_eq!(Locale::De.as_str(), "de");
    }

    #[test]
    fn dates_in_words() {
        let t = parse_local("2026-11-26T18:00:00Z").unwrap();
        assert_eq!(datetime(t, Locale::Fr), "jeudi 26 novembre 2026 à 18:00");
        assert_eq!(
            datetime(t, Locale::En),
            "Thursday 26 November 2026 at 18:00"
        );
        let first = parse_local("2026-12-01T09:05").unwrap();
        assert_eq!(
            datetime(first, Locale::Fr),
            "mardi 1er décembre 2026 à 09:05"
        );
        assert!(parse_local("26/11/2026").is_none());
    }

    #[test]
    fn mail_times_are_local_with_their_offset() {
        let winter = chrono::NaiveDate::from_ymd_opt(2026, 11, 26)
            .and_then(|d| d.and_hms_opt(17, 0, 0))
            .unwrap();
        assert_eq!(mail_time(winter, "Europe/Paris"), "2026-11-26T18:00+01:00");
        assert_eq!(mail_time(winter, "Europe/Zurich"), "2026-11-26T18:00+01:00");
        assert_eq!(
            mail_time(winter, "America/Sao_Paulo"),
            "2026-11-26T14:00-03:00"
        );
        let summer = chrono::NaiveDate::from_ymd_opt(2026, 6, 4)
            .and_then(|d| d.and_hms_opt(16, 30, 0))
            .unwrap();
        assert_eq!(mail_time(summer, "Europe/Paris"), "2026-06-04T18:30+02:00");
        assert_eq!(
            offset_words("2026-06-04T18:30+02:00").as_deref(),
            Some("UTC+2")
        );
        assert_eq!(
            offset_words("2026-06-04T18:30:00-03:00").as_deref(),
            Some("UTC-3")
        );
        assert_eq!(
            offset_words("2026-06-04T18:30+05:30").as_deref(),
            Some("UTC+5:30")
        );
        assert_eq!(
            offset_words("2026-06-04T18:30+00:00").as_deref(),
            Some("UTC")
        );
        assert_eq!(offset_words("2026-06-04T18:30Z").as_deref(), Some("UTC"));
        assert_eq!(offset_words("2026-06-04T18:30"), None);
        assert_eq!(offset_words("2026-06-04T18:30:00"), None);
    }

    #[test]
    fn dates_in_german_words() {
        let t = parse_local("2026-11-26T18:00:00Z").unwrap();
        assert_eq!(
            datetime(t, Locale::De),
            "Donnerstag, 26. November 2026 um 18:00"
        );
        let first = parse_local("2026-03-01T09:05").unwrap();
        assert_eq!(
            datetime(first, Locale::De),
            "Sonntag, 1. März 2026 um 09:05"
        );
        let monday = parse_local("2026-11-23T10:15").unwrap();
        assert_eq!(
            datetime(monday, Locale::De),
            "Montag, 23. November 2026 um 10:15"
        );
    }
}
