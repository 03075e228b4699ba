//! `comptoir bench office-data`: the data the office pages are measured on, and what to
//! measure. On the French demo (loaded when the database is empty) it checks out `orders`
//! split-payment orders in a new copy of La Cagette's open cycle ([`super::close::seed`],
//! the close benchmark's seeding), starts a week-long page session for the hub's manager,
//! the Lem's treasurer and a producer's owner, and writes one line per page to measure:
//!
//! ```text
//! <Cookie header value> <path>
//! ```
//!
//! `benches/office.sh SERVER_PID BASE_URL FILE` then drives each page with wrk, its session
//! cookie in the request (`benches/server-cpu.sh`). The sessions are real ones (the table a
//! browser's sign-in writes): run it against a scratch database.

use std::io::Write;

use anyhow::{Context, Result};
use diesel::prelude::*;

use super::close::{seed, Seeded};
use crate::db::schema::orders;
use crate::db::Db;

/// The demo's hub, its manager, the Lem's association and treasurer, and a producer's owner.
const HUB: &str = super::orders::HUB;
const HUB_MANAGER: &str = "gerance@lacagette.example.org";
const ASSOCIATION: &str = "monnaie-lem";
const TREASURER: &str = "tresorerie@lem.example.org";
const PRODUCER: &str = "ferme-des-trois-chenes";
const PRODUCER_OWNER: &str = "ferme@troischenes.example.org";

/// How long the benchmark's sessions last.
const SESSION_SECONDS: u64 = 7 * 24 * 3600;

/// The pages of one office: its reader's address and the paths.
fn pages(cycle: &str, order: &str) -> Vec<(&'static str, Vec<String>)> {
    let hub = format!("/hub/{HUB}");
    let c = format!("{hub}/cycles/{cycle}");
    let mut hub_pages = vec![
        hub.clone(),
        c.clone(),
        format!("{c}/orders"),
        format!("{c}/orders?q=customer"),
        format!("{hub}/orders/{order}"),
        format!("{c}/offer"),
        format!("{c}/fees"),
        format!("{c}/reports"),
    ];
    for name in crate::orders::reports::NAMES {
        hub_pages.push(format!("{c}/reports/{name}"));
    }
    hub_pages.push(format!("{c}/reports/packing_by_customer/print"));
    hub_pages.push(format!("{c}/close"));
    hub_pages.push(format!("{hub}/suppliers"));
    let t = format!("/treasury/{ASSOCIATION}");
    let treasury = vec![
        t.clone(),
        format!("{t}/top-ups"),
        format!("{t}/professionals"),
        format!("{t}/wallets"),
        format!("{t}/statement"),
        format!("{t}/exports"),
        format!("{t}/periods"),
        format!("{t}/odoo"),
        format!("{t}/payouts"),
        format!("{t}/chart"),
    ];
    let p = format!("/producer/{PRODUCER}");
    let producer = vec![
        p.clone(),
        format!("{p}/products"),
        format!("{p}/deliveries"),
        format!("{p}/wallets"),
        format!("{p}/hubs"),
    ];
    vec![
        (HUB_MANAGER, hub_pages),
        (TREASURER, treasury),
        (PRODUCER_OWNER, producer),
    ]
}

/// Seeds the cycle and the sessions, and writes the pages to `out`; returns the seeding.
pub fn seed_office(db: &Db, orders: usize, threads: usize, out: &mut dyn Write) -> Result<Seeded> {
    let seeded = seed(db, "Bench office", orders, threads)?;
    let conn = &mut db.conn()?;
    let order: String = orders::table
        .filter(orders::order_cycle_id.eq(&seeded.cycle_id))
        .order(orders::id.asc())
        .select(orders::id)
        .first(conn.diesel())
        .context("finding an order of the cycle")?;
    for (email, paths) in pages(&seeded.cycle_id, &order) {
        let user = crate::auth::registration::find_user(conn, email)?
            .with_context(|| format!("the demo has no account `{email}`"))?;
        let session = crate::auth::sessions::start(conn, &user.id, SESSION_SECONDS)?;
        for path in paths {
            writeln!(out, "comptoir_session={} {path}", session.token)?;
        }
    }
    Ok(seeded)
}
