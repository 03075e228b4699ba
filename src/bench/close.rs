//! `comptoir bench close`: times [`crate::orders::close::close`] on a cycle of N confirmed
//! orders. It copies the demo's open cycle (its offer, fees and shipping methods), checks out N
//! split-payment orders through the library (several threads; one customer per ten orders),
//! runs `ANALYZE` on PostgreSQL (as autovacuum would have by then), closes the cycle, and
//! runs `ledger verify` afterwards. Like `bench checkout`
//! ([`super::orders`]) it loads the demo and writes orders: run it against a scratch database.

use std::time::Instant;

use anyhow::{anyhow, Context, Result};
use chrono::Utc;
use diesel::prelude::*;

use super::orders::{backend_name, customers, half, pick, prepare, HUB, LINES};
use crate::db::schema::order_cycles;
use crate::db::{Db, DbConn};
use crate::ids::{CycleId, UserId};
use crate::money::AmountInput;
use crate::orders::addresses::AddressInput;
use crate::orders::checkout::CheckoutRequest;
use crate::orders::quote::{QuoteLineRequest, QuoteRequest};
use crate::orders::{cart, checkout, close as closing, planning, shipping};

/// Orders per customer in the close benchmark.
const ORDERS_PER_CUSTOMER: usize = 10;

/// What the close benchmark measured.
#[derive(Debug, Clone)]
pub struct CloseMeasure {
    pub backend: &'static str,
    pub cycle_id: String,
    pub customers: usize,
    pub orders: usize,
    pub seed_seconds: f64,
    pub orders_booked: usize,
    pub producers_paid: usize,
    pub close_seconds: f64,
    pub verify_seconds: f64,
    pub ledger_ok: bool,
    pub violations: usize,
}

/// The demo hub's open cycle (the copy's source).
fn open_cycle(conn: &mut DbConn) -> Result<String> {
    let now = crate::time::now();
    let hub = crate::enterprises::find_id(conn, HUB)?
        .with_context(|| format!("no enterprise `{HUB}`"))?;
    order_cycles::table
        .filter(order_cycles::hub_id.eq(&hub))
        .filter(order_cycles::opens_at.lt(now))
        .filter(order_cycles::closes_at.gt(now))
        .filter(order_cycles::closed_at.is_null())
        .order(order_cycles::opens_at.asc())
        .select(order_cycles::id)
        .first::<String>(conn.diesel())
        .context("finding the demo's open cycle")
}

/// A cycle seeded with orders.
#[derive(Debug, Clone)]
pub struct Seeded {
    pub cycle_id: String,
    pub customers: usize,
    pub seed_seconds: f64,
}

/// Loads the demo when the database is empty, copies its open cycle (named `name` and a
/// random suffix, open for a week) and checks out `orders` split-payment orders in it with
/// `threads` threads, one customer per ten orders, each customer a new account with a funded
/// Lem wallet.
pub fn seed(db: &Db, name: &str, orders: usize, threads: usize) -> Result<Seeded> {
    let conn = &mut db.conn()?;
    prepare(conn)?;
    let source = open_cycle(conn)?;
    let suffix = &crate::time::new_id()[24..];
    let detail = planning::copy(
        conn,
        &source,
        &planning::CopyCycle {
            name: Some(format!("{name} {suffix}")),
            opens_at: Utc::now() - chrono::Duration::hours(1),
            closes_at: Utc::now() + chrono::Duration::days(7),
            settles_at: None,
        },
    )
    .context("copying the open cycle")?;
    let cycle = detail.cycle.id.clone();
    let offer: Vec<String> = detail.offer.iter().map(|o| o.variant.id.clone()).collect();
    anyhow::ensure!(offer.len() >= LINES, "the cycle offers too few variants");
    let method = shipping::for_cycle(conn, &cycle)?
        .into_iter()
        .max_by_key(|m| m.fee_minor)
        .context("the cycle has no shipping method")?
        .id;

    let seeding = Instant::now();
    let count = orders.div_ceil(ORDERS_PER_CUSTOMER).max(1);
    let bar = indicatif::ProgressBar::new(count as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} customers ({elapsed})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let buyers: Vec<String> = customers(conn, count, None, &|| bar.inc(1))?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    bar.finish_and_clear();

    let bar = indicatif::ProgressBar::new(orders as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} orders checked out ({per_sec}, {elapsed})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    std::thread::scope(|scope| -> Result<()> {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let (bar, buyers, offer, cycle, method) = (&bar, &buyers, &offer, &cycle, &method);
                scope.spawn(move || -> Result<()> {
                    let conn = &mut db.conn()?;
                    // order i belongs to customer i % customers, and each customer to one thread
                    for i in (0..orders).filter(|i| (i % buyers.len()) % threads == t) {
                        let customer = &buyers[i % buyers.len()];
                        let request = QuoteRequest {
                            lines: pick(offer, i)
                                .map(|id| QuoteLineRequest {
                                    variant_id: id.clone(),
                                    quantity: 1,
                                })
                                .collect(),
                        };
                        let cart =
                            cart::set(conn, cycle, customer, &request).context("setting a cart")?;
                        let local_max = cart.quote.map(|q| q.local_max.minor).unwrap_or(0);
                        let request = CheckoutRequest {
                            shipping_method_id: method.clone(),
                            local_amount: Some(AmountInput {
                                amount: half(local_max),
                                currency: "LEM".parse().map_err(|e| anyhow!("{e:?}"))?,
                            }),
                            // the dearest method is the demo's delivery by bike
                            address: Some(AddressInput {
                                name: format!("Customer {i}"),
                                line1: "3 rue des Lilas".into(),
                                postcode: "69004".into(),
                                city: "Lyon".into(),
                                phone: "0612345678".into(),
                                ..AddressInput::default()
                            }),
                            ..CheckoutRequest::default()
                        };
                        checkout::checkout(
                            conn,
                            &CycleId::from(cycle),
                            &UserId::from(customer),
                            &request,
                        )
                        .context("checking out")?;
                        bar.inc(1);
                    }
                    Ok(())
                })
            })
            .collect();
        for worker in workers {
            worker
                .join()
                .map_err(|_| anyhow!("a seeding thread panicked"))??;
        }
        Ok(())
    })?;
    bar.finish_and_clear();
    let seed_seconds = seeding.elapsed().as_secs_f64();
    eprintln!(
        "{orders} orders from {} customers checked out in {seed_seconds:.1} s",
        buyers.len()
    );
    Ok(Seeded {
        cycle_id: cycle,
        customers: buyers.len(),
        seed_seconds,
    })
}

/// Checks out `orders` orders in a new copy of the demo's open cycle with `threads`
/// threads, closes it, and verifies the ledger.
pub fn close(db: &Db, orders: usize, threads: usize) -> Result<CloseMeasure> {
    let backend = backend_name(db);
    let Seeded {
        cycle_id: cycle,
        customers,
        seed_seconds,
    } = seed(db, "Bench close", orders, threads)?;
    let conn = &mut db.conn()?;
    // what autovacuum does in a deployment between the checkouts and the close (it may be
    // off on a benchmark machine): without statistics PostgreSQL plans a chunk's lines of
    // 200 orders as a scan of every line
    if let crate::db::AnyConnection::Postgres(c) = conn.diesel() {
        diesel::sql_query("ANALYZE").execute(c)?;
    }

    let bar = indicatif::ProgressBar::new(orders as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} orders booked ({elapsed})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let started = Instant::now();
    let report = closing::close(conn, &CycleId::from(&cycle), &mut |n| bar.inc(n as u64))
        .context("closing the cycle")?;
    let close_seconds = started.elapsed().as_secs_f64();
    bar.finish_and_clear();

    let started = Instant::now();
    let verified = crate::ledger::verify::verify(conn, &mut |_| {})?;
    Ok(CloseMeasure {
        backend,
        cycle_id: cycle,
        customers,
        orders,
        seed_seconds,
        orders_booked: report.orders_booked,
        producers_paid: report.settlements.len(),
        close_seconds,
        verify_seconds: started.elapsed().as_secs_f64(),
        ledger_ok: verified.ok(),
        violations: verified.violations.len(),
    })
}

/// The close result as a Markdown table.
pub fn close_table(m: &CloseMeasure) -> String {
    format!(
        "| backend | orders | customers | seeding (customers + checkouts) | close | orders booked/s | settlements | ledger verify |\n|---|---|---|---|---|---|---|---|\n| {} | {} | {} | {:.1} s ({:.0}/s) | {:.1} s | {:.0} | {} | {} ({:.1} s) |\n",
        m.backend,
        m.orders_booked,
        m.customers,
        m.seed_seconds,
        m.orders as f64 / m.seed_seconds,
        m.close_seconds,
        m.orders_booked as f64 / m.close_seconds,
        m.producers_paid,
        if m.ledger_ok {
            "ok".to_string()
        } else {
            format!("{} violations", m.violations)
        },
        m.verify_seconds,
    )
}
