//! `comptoir bench ledger`: throughput of the ledger's domain API against the durability
//! limit of the same database, measured in the same run.
//!
//! For 1 and N concurrent writers it measures, each for a fixed duration:
//! - **raw**: single-row `INSERT` + `COMMIT` into a scratch table (what the disk allows);
//! - **single**: `ops::pay`, one transfer between two random wallets per entry;
//! - **2-leg**: `ops::issue`, an entry of two transfers in two currencies (four accounts);
//! - the same two in **batches** of [`BATCH`] entries per call (`batch::pay_many`,
//!   `batch::issue_many`): one write transaction, one durable commit for all of them.
//!
//! Run it against a scratch database: it creates its own association, currency (`BCH`),
//! wallets and entries (the ledger is append-only), and drops only its scratch table.

pub mod catalog;
pub mod close;
pub mod mail;
pub mod office;
pub mod orders;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use rust_decimal::Decimal;

use crate::db::schema::enterprises;
use crate::db::{Db, DbConn};
use crate::enterprises::{EnterpriseKind, EnterpriseRow};
use crate::ledger::accounts::Owner;
use crate::ledger::batch::{self, Issuance, Payment};
use crate::ledger::journal;
use crate::ledger::ops::{self, EuroMethod, LocalTerms, NewCurrency};
use crate::ledger::LedgerError;

const WALLETS: usize = 64;
/// Entries per call in the batched workloads.
pub const BATCH: usize = 100;

/// One measured configuration.
#[derive(Debug, Clone)]
pub struct Measure {
    pub workload: &'static str,
    pub writers: usize,
    pub operations: u64,
    pub transfers_per_op: u64,
    pub seconds: f64,
    /// Commit calls per group commit (see `ledger::group`), when the journal was used.
    pub calls_per_group: Option<f64>,
}

impl Measure {
    pub fn per_second(&self) -> f64 {
        self.operations as f64 / self.seconds
    }

    pub fn transfers_per_second(&self) -> f64 {
        (self.operations * self.transfers_per_op) as f64 / self.seconds
    }
}

struct Setup {
    wallets: Vec<String>,
}

fn setup(conn: &mut DbConn) -> Result<Setup> {
    let suffix = &crate::time::new_id()[24..];
    let association = EnterpriseRow::new(
        format!("bench-association-{suffix}"),
        "Benchmark association".into(),
        EnterpriseKind::CurrencyAssociation,
        "hidden",
    );
    diesel::insert_into(enterprises::table)
        .values(&association)
        .execute(conn.diesel())?;
    // the euro is reference data, inserted by the migrations
    let code = "BCH";
    match crate::ledger::currencies::get(conn, code) {
        Ok(existing) => ops::open_association_accounts(conn, &existing).map(|_| ())?,
        Err(_) => {
            let local = LocalTerms {
                parity_to_eur: Decimal::ONE,
                issuer_id: association.id.clone(),
                allow_member_to_member: true,
            };
            ops::create_currency(
                conn,
                &crate::audit::Who::command_line(),
                NewCurrency {
                    code: code.parse().map_err(anyhow::Error::msg)?,
                    name: "Bench".into(),
                    symbol: "B".into(),
                    scale: 2,
                    local: Some(local),
                },
            )?;
        }
    }
    let mut wallets = Vec::new();
    for i in 0..WALLETS {
        let owner = Owner::Enterprise(association.id.clone().into());
        // one association owns one wallet per currency: make the others plain enterprises
        let owner = if i == 0 {
            owner
        } else {
            let mut row = association.clone();
            row.id = crate::time::new_id();
            row.slug = format!("bench-shop-{suffix}-{i}");
            row.kind = "producer".into();
            diesel::insert_into(enterprises::table)
                .values(&row)
                .execute(conn.diesel())?;
            Owner::Enterprise(row.id.into())
        };
        // a bench shop is an approved professional of the bench currency (the ledger opens
        // an enterprise's local wallet for those only)
        if let Owner::Enterprise(id) = &owner {
            use crate::db::schema::enterprise_currencies as ec;
            crate::db::execute(
                conn.diesel(),
                diesel::insert_into(ec::table)
                    .values((
                        ec::enterprise_id.eq(id.as_str()),
                        ec::currency_code.eq(code),
                        ec::state.eq("approved"),
                    ))
                    .on_conflict_do_nothing(),
            )?;
        }
        let wallet = ops::wallet(conn, owner, code)?;
        ops::set_overdraft_limit(
            conn,
            &crate::audit::Who::command_line(),
            &wallet.id,
            1_000_000_000,
        )?;
        wallets.push(wallet.id);
    }
    Ok(Setup { wallets })
}

/// One unit of work of a writer: `(connection, writer number, iteration)` → entries done.
type Work<'a> = dyn Fn(&mut DbConn, usize, u64) -> Result<u64> + Sync + 'a;

fn run_for(db: &Db, writers: usize, duration: Duration, work: &Work<'_>) -> Result<(u64, f64)> {
    let done = AtomicU64::new(0);
    let started = Instant::now();
    std::thread::scope(|scope| -> Result<()> {
        let handles: Vec<_> = (0..writers)
            .map(|w| {
                let done = &done;
                scope.spawn(move || -> Result<()> {
                    let mut conn = db.conn()?;
                    let mut n = 0u64;
                    while started.elapsed() < duration {
                        let entries = work(&mut conn, w, n)?;
                        n += 1;
                        done.fetch_add(entries, Ordering::Relaxed);
                    }
                    Ok(())
                })
            })
            .collect();
        for handle in handles {
            handle
                .join()
                .map_err(|_| anyhow::anyhow!("a writer panicked"))??;
        }
        Ok(())
    })?;
    Ok((
        done.load(Ordering::Relaxed),
        started.elapsed().as_secs_f64(),
    ))
}

/// A cheap deterministic pseudo-random pair of distinct wallets.
fn pair(writer: usize, n: u64) -> (usize, usize) {
    let x = (n
        .wrapping_mul(6364136223846793005)
        .wrapping_add(writer as u64 * 1442695040888963407))
        >> 33;
    let a = (x % WALLETS as u64) as usize;
    let b = (a + 1 + ((x >> 8) % (WALLETS as u64 - 1)) as usize) % WALLETS;
    (a, b)
}

/// Runs every workload for 1 and `writers` writers, `seconds` each.
pub fn ledger(
    db: &Db,
    writers: usize,
    seconds: u64,
    progress: &mut dyn FnMut(&Measure),
) -> Result<Vec<Measure>> {
    let duration = Duration::from_secs(seconds);
    let setup = setup(&mut db.conn()?).context("preparing the benchmark accounts")?;
    {
        let conn = &mut db.conn()?;
        conn.diesel().batch_execute("DROP TABLE IF EXISTS bench_raw; CREATE TABLE bench_raw (id TEXT PRIMARY KEY NOT NULL, v BIGINT NOT NULL)")?;
    }
    let wallets = &setup.wallets;
    let raw = |conn: &mut DbConn, _: usize, n: u64| -> Result<u64> {
        let id = crate::time::new_id();
        diesel::sql_query("INSERT INTO bench_raw (id, v) VALUES ($1, $2)")
            .bind::<diesel::sql_types::Text, _>(&id)
            .bind::<diesel::sql_types::BigInt, _>(n as i64)
            .execute(conn.diesel())?;
        Ok(1)
    };
    let single = |conn: &mut DbConn, w: usize, n: u64| -> Result<u64> {
        let (a, b) = pair(w, n);
        ops::pay(
            conn,
            &crate::time::new_id(),
            &wallets[a],
            &wallets[b],
            1,
            "bench",
        )
        .map(|_| 1)
        .map_err(bench_error)
    };
    let two_legs = |conn: &mut DbConn, w: usize, n: u64| -> Result<u64> {
        let (a, _) = pair(w, n);
        ops::issue(
            conn,
            &crate::audit::Who::command_line(),
            &crate::time::new_id(),
            &wallets[a],
            1,
            EuroMethod::BankTransfer,
            "bench",
        )
        .map(|_| 1)
        .map_err(bench_error)
    };
    let single_batched = |conn: &mut DbConn, w: usize, n: u64| -> Result<u64> {
        let payments: Vec<Payment> = (0..BATCH as u64)
            .map(|i| {
                let (a, b) = pair(w, n * BATCH as u64 + i);
                Payment {
                    entry_id: crate::time::new_id(),
                    from: wallets[a].clone(),
                    to: wallets[b].clone(),
                    amount: 1,
                    reference: "bench".into(),
                }
            })
            .collect();
        all_committed(batch::pay_many(conn, &payments))
    };
    let two_legs_batched = |conn: &mut DbConn, w: usize, n: u64| -> Result<u64> {
        let issuances: Vec<Issuance> = (0..BATCH as u64)
            .map(|i| {
                let (a, _) = pair(w, n * BATCH as u64 + i);
                Issuance {
                    by: crate::audit::Who::command_line(),
                    entry_id: crate::time::new_id(),
                    wallet: wallets[a].clone(),
                    amount: 1,
                    method: EuroMethod::BankTransfer,
                    reference: "bench".into(),
                }
            })
            .collect();
        all_committed(batch::issue_many(conn, &issuances))
    };
    let workloads: [(&'static str, u64, &Work<'_>); 5] = [
        ("raw INSERT+COMMIT", 1, &raw),
        ("ledger: single transfer", 1, &single),
        ("ledger: 2-leg entry", 2, &two_legs),
        (
            "ledger: single transfers, batches of 100",
            1,
            &single_batched,
        ),
        (
            "ledger: 2-leg entries, batches of 100",
            2,
            &two_legs_batched,
        ),
    ];
    let mut results = Vec::new();
    for writer_count in [1, writers] {
        for (workload, transfers_per_op, work) in workloads {
            let before = group_stats(db);
            let (operations, secs) = run_for(db, writer_count, duration, work)?;
            let after = group_stats(db);
            let groups = after.groups - before.groups;
            let measure = Measure {
                workload,
                writers: writer_count,
                operations,
                transfers_per_op,
                seconds: secs,
                calls_per_group: (groups > 0)
                    .then(|| (after.calls - before.calls) as f64 / groups as f64),
            };
            progress(&measure);
            results.push(measure);
        }
    }
    let conn = &mut db.conn()?;
    conn.diesel()
        .batch_execute("DROP TABLE IF EXISTS bench_raw")?;
    Ok(results)
}

fn group_stats(db: &Db) -> crate::ledger::group::GroupStats {
    db.shared()
        .extension::<crate::ledger::group::GroupCommit>()
        .stats()
}

/// How many entries a batch committed; an error if the ledger refused any.
fn all_committed(results: Result<journal::BatchResults, LedgerError>) -> Result<u64> {
    let results = results.map_err(bench_error)?;
    let count = results.len() as u64;
    for result in results {
        result.map_err(bench_error)?;
    }
    Ok(count)
}

fn bench_error(e: LedgerError) -> anyhow::Error {
    anyhow::anyhow!("ledger operation failed during the benchmark: {e}")
}

/// A Markdown table of the results, with each ledger rate as a share of the raw rate.
pub fn table(results: &[Measure]) -> String {
    let mut out = String::from(
        "| workload | writers | entries/s | transfers/s | share of raw rate | calls per group commit |\n|---|---|---|---|---|---|\n",
    );
    for m in results {
        let raw = results
            .iter()
            .find(|r| r.writers == m.writers && r.workload.starts_with("raw"))
            .map(Measure::per_second)
            .unwrap_or(f64::NAN);
        let grouped = m
            .calls_per_group
            .map_or_else(|| "—".to_string(), |g| format!("{g:.1}"));
        out.push_str(&format!(
            "| {} | {} | {:.0} | {:.0} | {:.0} % | {} |\n",
            m.workload,
            m.writers,
            m.per_second(),
            m.transfers_per_second(),
            100.0 * m.per_second() / raw,
            grouped
        ));
    }
    out
}
