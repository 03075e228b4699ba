use chrono::NaiveDate;

use super::{balanced_on, letter_code, number_moves, AccountingError};

fn day(text: &str) -> NaiveDate {
    text.parse().expect("a date")
}

#[test]
fn letter_codes_run_a_to_z_then_aa() {
    let cases = [
        (0, "A"),
        (1, "B"),
        (25, "Z"),
        (26, "AA"),
        (27, "AB"),
        (51, "AZ"),
        (52, "BA"),
        (701, "ZZ"),
        (702, "AAA"),
    ];
    for (n, code) in cases {
        assert_eq!(letter_code(n), code, "code {n}");
    }
}

#[test]
fn moves_are_numbered_per_journal_and_year_after_the_closed_periods() {
    // closed: all of 2025, and March 2026 (then April 1st is the first open day)
    let closed = [
        (day("2025-01-01"), day("2025-12-31")),
        (day("2026-03-01"), day("2026-03-31")),
    ];
    // already stored: VT 2026 up to 41, BQ 2027 up to 3
    let stored = |journal: &str, year: i32| -> Result<Option<i64>, AccountingError> {
        Ok(match (journal, year) {
            ("VT", 2026) => Some(41),
            ("BQ", 2027) => Some(3),
            _ => None,
        })
    };
    // (journal, source's day, has lines) → (day, number)
    type Case<'a> = ((&'a str, &'a str, bool), (&'a str, Option<i64>));
    let cases: [Case; 9] = [
        // a late entry of the closed 2025 is dated 2026-01-01
        (("VT", "2025-06-30", true), ("2026-01-01", Some(42))),
        (("VT", "2026-02-01", true), ("2026-02-01", Some(43))),
        // no line: recorded without a number, which the next move takes
        (("VT", "2026-02-02", false), ("2026-02-02", None)),
        (("VT", "2026-03-15", true), ("2026-04-01", Some(44))),
        // another journal counts on its own, from 1
        (("BQ", "2026-03-31", true), ("2026-04-01", Some(1))),
        (("BQ", "2026-12-31", true), ("2026-12-31", Some(2))),
        // another year too
        (("BQ", "2027-01-01", true), ("2027-01-01", Some(4))),
        (("VT", "2027-01-01", true), ("2027-01-01", Some(1))),
        (("VT", "2026-12-31", true), ("2026-12-31", Some(45))),
    ];
    let placed = number_moves(
        &closed,
        cases.iter().map(|((j, d, lines), _)| (*j, day(d), *lines)),
        stored,
    )
    .expect("numbered");
    let expected: Vec<(NaiveDate, Option<i64>)> =
        cases.iter().map(|(_, (d, n))| (day(d), *n)).collect();
    assert_eq!(placed, expected);
}

#[test]
fn a_group_is_lettered_the_day_it_balances() {
    let line = |date: &str, debit: i64, credit: i64| ("m".to_string(), 1, day(date), debit, credit);
    let cases = [
        (vec![], None),
        // nothing moves: nothing to letter
        (vec![line("2026-01-01", 0, 0)], None),
        (vec![line("2026-01-01", 500, 0)], None),
        (
            vec![line("2026-01-03", 500, 0), line("2026-01-01", 0, 500)],
            Some("2026-01-03"),
        ),
        (
            vec![
                line("2026-01-01", 500, 0),
                line("2026-01-02", 0, 200),
                line("2026-01-05", 0, 300),
            ],
            Some("2026-01-05"),
        ),
        (
            vec![line("2026-01-01", 500, 0), line("2026-01-02", 0, 200)],
            None,
        ),
    ];
    for (open, on) in cases {
        assert_eq!(balanced_on(&open), on.map(day), "{open:?}");
    }
}
