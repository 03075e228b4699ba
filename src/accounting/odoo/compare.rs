//! Is the move Odoo holds the move Comptoir validated? Pure comparison of the two sides —
//! journal, date, and the lines as a multiset of (account, partner, debit, credit, currency,
//! amount in currency); labels are not compared (an accountant may reword them in Odoo) —
//! and the text `odoo status` shows for a conflict, both sides in full.

use std::fmt::Write as _;

use chrono::NaiveDate;
use rust_decimal::Decimal;

/// One line, as both sides can say it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Line {
    /// The account's code.
    pub account: String,
    /// The partner's reference (the auxiliary code), empty for none.
    pub partner: String,
    /// Euro cents.
    pub debit: i64,
    pub credit: i64,
    /// A foreign currency's code and the signed amount in it (positive on a debit line);
    /// empty and zero for a line in the company's currency.
    pub currency: String,
    pub amount_currency: Decimal,
}

/// A move, as one side holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Side {
    pub journal: String,
    pub date: NaiveDate,
    pub lines: Vec<Line>,
}

impl Side {
    fn sorted_lines(&self) -> Vec<Line> {
        let mut lines = self.lines.clone();
        lines.sort();
        lines
    }
}

/// What differs between Comptoir's move and Odoo's, in plain words; empty when they agree.
pub fn differences(ours: &Side, theirs: &Side) -> Vec<String> {
    let mut found = Vec::new();
    if ours.journal != theirs.journal {
        found.push(format!(
            "journal {} in Comptoir, {} in Odoo",
            ours.journal, theirs.journal
        ));
    }
    if ours.date != theirs.date {
        found.push(format!(
            "dated {} in Comptoir, {} in Odoo",
            ours.date, theirs.date
        ));
    }
    if ours.sorted_lines() != theirs.sorted_lines() {
        found.push("the lines differ".to_string());
    }
    found
}

/// An amount of the books (the legal currency) as Odoo shows it.
fn cents(minor: i64) -> String {
    crate::deployment::legal_text(minor)
}

/// `2026-12-05 MLC: D 512100 50.00 · C 580000 50.00 · …`
pub fn show(side: &Side) -> String {
    let mut text = format!("{} {}:", side.date, side.journal);
    for (i, l) in side.sorted_lines().iter().enumerate() {
        let sep = if i == 0 { " " } else { " · " };
        let (letter, amount) = if l.debit > 0 || l.credit == 0 {
            ("D", l.debit)
        } else {
            ("C", l.credit)
        };
        let _ = write!(text, "{sep}{letter} {} {}", l.account, cents(amount));
        if !l.partner.is_empty() {
            let _ = write!(text, " ({})", l.partner);
        }
        if !l.currency.is_empty() {
            let _ = write!(text, " [{} {}]", l.amount_currency.normalize(), l.currency);
        }
    }
    text
}

/// The conflict's text: what differs, then both sides.
pub fn conflict(what: &str, ours: &Side, theirs: &Side) -> String {
    format!(
        "{what}\n  Comptoir: {}\n  Odoo:     {}",
        show(ours),
        show(theirs)
    )
}

/// Euro cents of an amount Odoo sends as a JSON number (`69.0`, `0.1`, `1e-2`), exactly: the
/// number's text is read as a decimal, never as a float.
pub fn cents_of(number: &serde_json::Value) -> Option<i64> {
    let amount = decimal_of(number)?;
    (amount * Decimal::ONE_HUNDRED)
        .round_dp(0)
        .to_string()
        .parse()
        .ok()
}

/// An exact decimal from a JSON number's text.
pub fn decimal_of(number: &serde_json::Value) -> Option<Decimal> {
    let text = match number {
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::Bool(false) => return Some(Decimal::ZERO),
        _ => return None,
    };
    text.parse::<Decimal>()
        .ok()
        .or_else(|| Decimal::from_scientific(&text).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn line(account: &str, debit: i64, credit: i64) -> Line {
        Line {
            account: account.into(),
            partner: String::new(),
            debit,
            credit,
            currency: String::new(),
            amount_currency: Decimal::ZERO,
        }
    }

    fn side(date: (i32, u32, u32), lines: Vec<Line>) -> Side {
        Side {
            journal: "MLC".into(),
            date: NaiveDate::from_ymd_opt(date.0, date.1, date.2).expect("date"),
            lines,
        }
    }

    #[test]
    fn the_same_move_in_another_line_order_agrees() {
        let ours = side(
            (2026, 12, 5),
            vec![line("512100", 5000, 0), line("580000", 0, 5000)],
        );
        let theirs = side(
            (2026, 12, 5),
            vec![line("580000", 0, 5000), line("512100", 5000, 0)],
        );
        assert!(differences(&ours, &theirs).is_empty());
    }

    #[test]
    fn every_difference_is_named() {
        let ours = side(
            (2026, 12, 5),
            vec![line("467100", 6900, 0), line("512100", 0, 6900)],
        );
        // table: (what Odoo holds, what must be said)
        let cases: Vec<(Side, &str)> = vec![
            (
                side(
                    (2026, 12, 6),
                    vec![line("467100", 6900, 0), line("512100", 0, 6900)],
                ),
                "dated 2026-12-05 in Comptoir, 2026-12-06 in Odoo",
            ),
            (
                side(
                    (2026, 12, 5),
                    vec![line("467100", 6400, 0), line("512100", 0, 6400)],
                ),
                "the lines differ",
            ),
            (
                side(
                    (2026, 12, 5),
                    vec![line("467200", 6900, 0), line("512100", 0, 6900)],
                ),
                "the lines differ",
            ),
            (
                Side {
                    journal: "OD".into(),
                    ..ours.clone()
                },
                "journal MLC in Comptoir, OD in Odoo",
            ),
        ];
        for (theirs, said) in cases {
            let found = differences(&ours, &theirs);
            assert_eq!(found, vec![said.to_string()], "{theirs:?}");
        }
        let mut partnered = ours.clone();
        partnered.lines[0].partner = "LA-CAGETTE".into();
        assert_eq!(differences(&ours, &partnered), vec!["the lines differ"]);
        let mut in_lem = ours.clone();
        in_lem.lines[0].currency = "LEM".into();
        in_lem.lines[0].amount_currency = Decimal::new(69, 0);
        assert_eq!(differences(&ours, &in_lem), vec!["the lines differ"]);
    }

    #[test]
    fn a_conflict_shows_both_sides() {
        let ours = side(
            (2026, 12, 5),
            vec![line("467100", 6900, 0), line("512100", 0, 6900)],
        );
        let theirs = side(
            (2026, 12, 5),
            vec![line("467100", 6400, 0), line("512100", 0, 6400)],
        );
        let text = conflict("Odoo's MLC2026-000052 holds other lines", &ours, &theirs);
        assert!(text.contains("Comptoir: 2026-12-05 MLC: D 467100 69.00 · C 512100 69.00"));
        assert!(text.contains("Odoo:     2026-12-05 MLC: D 467100 64.00 · C 512100 64.00"));
    }

    #[test]
    fn odoo_numbers_are_read_exactly() {
        for (number, expected) in [
            (json!(69.0), Some(6900)),
            (json!(0.1), Some(10)),
            (json!(1234567.89), Some(123456789)),
            (json!(0), Some(0)),
            (json!(false), Some(0)),
            (json!("12"), None),
        ] {
            assert_eq!(cents_of(&number), expected, "{number}");
        }
        assert_eq!(
            decimal_of(&json!(-12.5)),
            Some(Decimal::new(-125, 1)),
            "signed currency amounts"
        );
    }
}
