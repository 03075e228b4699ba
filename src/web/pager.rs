//! A long list cut into pages: which page this is, which rows it shows of how many, and the
//! links to the pages before and after it (`?page=N`, from 1; the list's other parameters
//! kept). The page reads only its own rows from the database; a page past the end shows the
//! last one.
//!
//! Rendered by the `pager` macro of `macros.html`: "Orders 51 to 100 of 1,000", "Previous",
//! "Page 2 of 20", "Next", in a `nav` the reader names.

use serde::{Deserialize, Serialize};

/// `?page=` as a list's link sends it (absent, empty or not a number: the first page).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    pub page: String,
}

impl PageQuery {
    /// The page asked for, from 1.
    pub fn number(&self) -> u32 {
        self.page.trim().parse::<u32>().unwrap_or(1).max(1)
    }
}

/// One page of a list of `total` rows, `per_page` a page.
#[derive(Debug, Clone, Serialize)]
pub struct Pager {
    /// This page, from 1.
    pub page: u32,
    /// How many pages there are (1 for an empty list).
    pub pages: u32,
    /// The first and last rows shown, from 1 (0 and 0 for an empty list).
    pub first: i64,
    pub last: i64,
    pub total: i64,
    pub previous: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    /// Page `asked` (brought within the pages there are) of `total` rows; `link(n)` is the
    /// address of page `n`.
    pub fn new(asked: u32, per_page: i64, total: i64, link: impl Fn(u32) -> String) -> Pager {
        let per_page = per_page.max(1);
        let total = total.max(0);
        let pages = u32::try_from(((total + per_page - 1) / per_page).max(1)).unwrap_or(u32::MAX);
        let page = asked.clamp(1, pages);
        let first = (i64::from(page) - 1) * per_page;
        let last = (first + per_page).min(total);
        Pager {
            page,
            pages,
            first: if total == 0 { 0 } else { first + 1 },
            last,
            total,
            previous: (page > 1).then(|| link(page - 1)),
            next: (page < pages).then(|| link(page + 1)),
        }
    }

    /// How many rows come before this page's first.
    pub fn offset(&self) -> i64 {
        (self.first - 1).max(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (asked, per page, total) → (page, pages, first, last, previous, next)
    type Case = (
        (u32, i64, i64),
        (u32, u32, i64, i64, Option<u32>, Option<u32>),
    );

    fn link(n: u32) -> String {
        format!("?page={n}")
    }

    #[test]
    fn pages_cut_a_list_and_link_their_neighbours() {
        let table: &[Case] = &[
            ((1, 50, 0), (1, 1, 0, 0, None, None)),
            ((1, 50, 1), (1, 1, 1, 1, None, None)),
            ((1, 50, 50), (1, 1, 1, 50, None, None)),
            ((1, 50, 51), (1, 2, 1, 50, None, Some(2))),
            ((2, 50, 51), (2, 2, 51, 51, Some(1), None)),
            ((2, 50, 1000), (2, 20, 51, 100, Some(1), Some(3))),
            ((20, 50, 1000), (20, 20, 951, 1000, Some(19), None)),
            // past the end: the last page; zero: the first
            ((99, 50, 1000), (20, 20, 951, 1000, Some(19), None)),
            ((0, 50, 1000), (1, 20, 1, 50, None, Some(2))),
        ];
        for &((asked, per, total), (page, pages, first, last, previous, next)) in table {
            let p = Pager::new(asked, per, total, link);
            let case = format!("page {asked}, {per} a page, {total} rows");
            assert_eq!(
                (p.page, p.pages, p.first, p.last),
                (page, pages, first, last),
                "{case}"
            );
            assert_eq!(p.previous, previous.map(link), "{case}");
            assert_eq!(p.next, next.map(link), "{case}");
            assert_eq!(p.offset(), (i64::from(page) - 1) * per, "{case}");
        }
    }

    #[test]
    fn a_page_asked_as_text_is_read_or_taken_as_the_first() {
        for (text, page) in [("", 1), ("3", 3), (" 2 ", 2), ("0", 1), ("-1", 1), ("x", 1)] {
            let q = PageQuery { page: text.into() };
            assert_eq!(q.number(), page, "{text:?}");
        }
    }
}
