//! An enterprise's **order prefix**, what its hub's order numbers start with (`CAG`;
//! the numbers themselves are taken at checkout, by the orders' `numbers` module).
//!
//! - 2 to 6 uppercase ASCII letters or digits, a letter first. It is **unique in the
//!   deployment**, so that a number names one order of one hub wherever it travels — mails,
//!   reports, the FEC's `PieceRef`, Odoo's `ref` — and a prefix that another hub's orders
//!   already carry is refused too (those numbers stay). Given in lower case, it is written in
//!   upper case.
//! - When none is given at creation it is derived from the name: the first three letters or
//!   digits of its first significant word (`La Cagette du Quartier` → `CAG`; `E` first when
//!   that starts with a digit), with `2`, `3`, … appended while taken (`CAG2`). The
//!   enterprise's owners and managers may change it (`PATCH /api/v1/enterprises/{id}`);
//!   orders keep the numbers they got, and the year's sequence goes on under the new prefix.

use diesel::prelude::*;

use crate::db::schema::{enterprises, orders};
use crate::db::DbConn;

/// Words skipped when deriving a prefix from a name (articles and the like, in the
/// deployments' languages).
const STOP_WORDS: &[&str] = &[
    "a", "au", "aux", "chez", "d", "de", "des", "du", "en", "et", "l", "la", "le", "les", "the",
    "of", "and", "der", "die", "das", "den", "dem", "und", "von", "zum", "zur",
];

/// The prefix of a new enterprise's numbers when none is given, when nothing better can be
/// read from its name.
const FALLBACK_PREFIX: &str = "CMD";

/// `prefix` is 2 to 6 uppercase ASCII letters or digits, a letter first.
pub fn valid_prefix(prefix: &str) -> bool {
    (2..=6).contains(&prefix.len())
        && prefix.starts_with(|c: char| c.is_ascii_uppercase())
        && prefix
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// The message of a prefix refused by [`valid_prefix`].
pub const PREFIX_RULE: &str =
    "must be 2 to 6 uppercase letters or digits, a letter first (e.g. CAG)";

/// A prefix read from `name` (see the module documentation), before any is found taken.
pub fn derive_prefix(name: &str) -> String {
    let folded = crate::text::fold(name);
    let words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
    let word = words
        .iter()
        .find(|w| !STOP_WORDS.contains(w))
        .or(words.first())
        .copied()
        .unwrap_or("");
    let of = |text: &str| -> String {
        let mut p: String = text
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(3)
            .collect::<String>()
            .to_ascii_uppercase();
        if p.starts_with(|c: char| c.is_ascii_digit()) {
            p.insert(0, 'E');
            p.truncate(3);
        }
        p
    };
    let mut prefix = of(word);
    if prefix.len() < 2 {
        prefix = of(&folded.replace(' ', ""));
    }
    if valid_prefix(&prefix) {
        prefix
    } else {
        FALLBACK_PREFIX.to_string()
    }
}

/// `prefix` is used by another enterprise than `own_id`, or carried by another hub's orders.
pub fn prefix_taken(conn: &mut DbConn, prefix: &str, own_id: &str) -> QueryResult<bool> {
    let conn = conn.diesel();
    let held: i64 = enterprises::table
        .filter(enterprises::order_prefix.eq(prefix))
        .filter(enterprises::id.ne(own_id))
        .count()
        .get_result(conn)?;
    if held > 0 {
        return Ok(true);
    }
    let carried: i64 = orders::table
        .filter(orders::number.like(format!("{prefix}-%")))
        .filter(orders::hub_id.ne(own_id))
        .count()
        .get_result(conn)?;
    Ok(carried > 0)
}

/// `base`, or `base` with the first of 2, 3, … appended that is free for enterprise `own_id`;
/// `None` when all are taken (a prefix must then be given).
pub fn free_prefix(conn: &mut DbConn, base: &str, own_id: &str) -> QueryResult<Option<String>> {
    // the enterprises' prefixes in one read; the orders' only for a candidate free of them
    let held: std::collections::HashSet<String> = enterprises::table
        .filter(enterprises::order_prefix.like(format!("{base}%")))
        .filter(enterprises::id.ne(own_id))
        .select(enterprises::order_prefix)
        .load::<String>(conn.diesel())?
        .into_iter()
        .collect();
    let candidates = std::iter::once(base.to_string())
        .chain((2..1000).map(|n| format!("{base}{n}")))
        .take_while(|c| c.len() <= 6);
    for candidate in candidates {
        if !held.contains(&candidate) && !prefix_taken(conn, &candidate, own_id)? {
            return Ok(Some(candidate));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_follow_the_rule() {
        for (p, ok) in [
            ("CAG", true),
            ("AB", true),
            ("CAG2", true),
            ("ABCDEF", true),
            ("ABCDEFG", false),
            ("A", false),
            ("2CAG", false),
            ("cag", false),
            ("CA-G", false),
            ("ÉPI", false),
        ] {
            assert_eq!(valid_prefix(p), ok, "{p}");
        }
    }

    #[test]
    fn prefixes_are_read_from_names() {
        assert_eq!(derive_prefix("La Cagette du Quartier"), "CAG");
        assert_eq!(derive_prefix("Le Cabas"), "CAB");
        assert_eq!(derive_prefix("Épicerie « Solidaire »"), "EPI");
        assert_eq!(derive_prefix("Ferme des Trois Chênes"), "FER");
        assert_eq!(derive_prefix("1001 Légumes"), "E10");
        assert_eq!(derive_prefix("Z Market"), "ZMA");
        assert_eq!(derive_prefix("Le"), "LE");
        assert_eq!(derive_prefix("X"), "CMD");
        assert_eq!(derive_prefix("!!!"), "CMD");
    }
}
