//! The ledger on both backends: operations with exact balances, holds, idempotency,
//! reversal, mutual credit, append-only storage, tamper detection, concurrency, and a
//! property test replaying random operations with every invariant checked after each step.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use comptoir::db::schema::{currencies, enterprises, ledger_accounts, ledger_entries, users};
use comptoir::db::{AnyConnection, Db, DbConn};
use comptoir::ledger::accounts::{self, AccountRow, Owner};
use comptoir::ledger::batch::{self, Issuance, Payment};
use comptoir::ledger::engine::{Movement, TransferDraft};
use comptoir::ledger::journal::{self, Committed, EntryRequest};
use comptoir::ledger::ops::{self, EuroMethod};
use comptoir::ledger::verify::verify;
use comptoir::ledger::LedgerError;
use comptoir::ledger::{group, holds};

use crate::backend_tests;
use crate::harness::{Backend, DemoFacts, TestDb, FRENCH_DEMO};
use crate::support::key;
use comptoir::ids::{AccountId, EntryId, TransferId};
use comptoir::money::Amount;

backend_tests!(
    issue_pay_reconvert_and_pay_out_with_exact_balances,
    flow_rules_and_reconversion_are_enforced,
    holds_reserve_post_for_less_void_and_expire,
    idempotent_replays_and_conflicts,
    reversal_restores_balances_once,
    mutual_credit_down_to_the_limit,
    the_database_refuses_updates_and_deletes,
    verify_detects_rows_altered_behind_the_application,
    concurrent_spends_never_overdraw,
    crossing_payments_do_not_deadlock,
    reconversion_never_spends_a_credit_line,
    each_local_currency_has_its_own_fund_and_payables,
    a_retry_after_the_checks_changed_still_replays,
    a_batch_resolves_a_hold_and_reverses_an_entry_once,
    concurrent_batches_never_overdraw,
    concurrent_commits_are_grouped_and_keep_their_own_results;
    // the properties, on the French demo (euros) and the Swiss one (francs)
    per_demo:
    random_operations_keep_every_invariant,
    batches_commit_like_one_entry_after_another,
);

/// The demo marketplace with wallets of its local currency (LEM in the French demo) for two
/// members and two producers.
pub struct World {
    pub db: TestDb,
    pub members: Vec<String>,
    pub pros: Vec<String>,
}

fn id_of(conn: &mut DbConn, email: Option<&str>, slug: Option<&str>) -> String {
    {
        let conn = conn.diesel();
        match (email, slug) {
            (Some(email), _) => users::table
                .filter(users::email.eq(email))
                .select(users::id)
                .first::<String>(conn),
            (_, Some(slug)) => enterprises::table
                .filter(enterprises::slug.eq(slug))
                .select(enterprises::id)
                .first::<String>(conn),
            _ => unreachable!(),
        }
    }
    .expect("demo id")
}

pub fn world(backend: Backend) -> World {
    world_of(backend, &FRENCH_DEMO)
}

/// [`world`] on the demo `demo`: its two consumers and its first two producers, on an
/// empty ledger (the demo without its history: these tests count every unit from zero).
pub fn world_of(backend: Backend, demo: &DemoFacts) -> World {
    let db = TestDb::with_bare_demo_of(backend, demo.demo);
    let mut conn = db.db.conn().expect("conn");
    let mut members = Vec::new();
    for email in demo.consumers {
        let user = id_of(&mut conn, Some(email), None);
        members.push(
            ops::wallet(&mut conn, Owner::User(user.into()), demo.local)
                .expect("wallet")
                .id,
        );
    }
    let mut pros = Vec::new();
    for slug in &demo.producers[..2] {
        let enterprise = id_of(&mut conn, None, Some(slug));
        pros.push(
            ops::wallet(&mut conn, Owner::Enterprise(enterprise.into()), demo.local)
                .expect("wallet")
                .id,
        );
    }
    drop(conn);
    World { db, members, pros }
}

fn balance(conn: &mut DbConn, account: &str) -> i64 {
    accounts::get(conn, account).expect("account").balance()
}

fn available(conn: &mut DbConn, account: &str) -> i64 {
    let row = accounts::get(conn, account).expect("account");
    row.balance() - row.debits_pending
}

#[track_caller]
fn assert_verified(conn: &mut DbConn) -> comptoir::ledger::verify::Report {
    let report = verify(conn, &mut |_| {}).expect("verify runs");
    assert!(report.ok(), "{report}");
    report
}

fn association_account(conn: &mut DbConn, kind: &str, currency: &str) -> AccountRow {
    ledger_accounts::table
        .filter(ledger_accounts::kind.eq(kind))
        .filter(ledger_accounts::currency.eq(currency))
        .select(AccountRow::as_select())
        .first(conn.diesel())
        .expect("association account")
}

/// The euro payable on which `wallet`'s owner is owed its reconversions of `currency`.
fn payable_of(conn: &mut DbConn, wallet: &str, currency: &str) -> AccountRow {
    let owner = accounts::get(conn, wallet)
        .expect("wallet")
        .owner_id
        .expect("owner");
    ledger_accounts::table
        .filter(ledger_accounts::kind.eq("euro_payable"))
        .filter(ledger_accounts::owner_id.eq(owner))
        .filter(ledger_accounts::for_currency.eq(currency))
        .select(AccountRow::as_select())
        .first(conn.diesel())
        .expect("payable")
}

async fn issue_pay_reconvert_and_pay_out_with_exact_balances(backend: Backend) {
    let w = world(backend);
    let conn = &mut w.db.db.conn().expect("conn");
    let (camille, ferme) = (&w.members[0], &w.pros[0]);
    ops::issue(
        conn,
        &crate::support::operator(),
        &key(),
        camille,
        5000,
        EuroMethod::BankTransfer,
        "VIR-2026-001",
    )
    .expect("issue");
    assert_eq!(balance(conn, camille), 5000);
    assert_eq!(
        {
            let a = association_account(conn, "guarantee_fund", "EUR");
            a.balance()
        },
        5000
    );
    ops::pay(conn, &key(), camille, ferme, 2000, "order 42").expect("pay");
    assert_eq!((balance(conn, camille), balance(conn, ferme)), (3000, 2000));
    ops::set_commission_rule(conn, &crate::support::operator(), "LEM", None, 300, 0)
        .expect("3 % commission");
    let entry = ops::reconvert(conn, &key(), ferme, 1000, "reconversion 1")
        .expect("reconvert")
        .into_entry();
    assert_eq!(entry.transfers.len(), 3);
    assert_eq!(balance(conn, ferme), 1000);
    assert_eq!(
        {
            let a = association_account(conn, "commission_income", "LEM");
            a.balance()
        },
        30
    );
    assert_eq!(
        {
            let a = association_account(conn, "issuance", "LEM");
            a.balance()
        },
        -(5000 - 970)
    );
    assert_eq!(
        {
            let a = association_account(conn, "guarantee_fund", "EUR");
            a.balance()
        },
        5000 - 970
    );
    let payable = payable_of(conn, ferme, "LEM");
    assert_eq!(payable.balance(), 970);
    ops::reconversion_paid(
        conn,
        &crate::support::operator(),
        &key(),
        &payable.id,
        "LEM",
        970,
        "VIR-OUT-1",
    )
    .expect("paid");
    assert_eq!(balance(conn, &payable.id), 0);
    assert_eq!(
        {
            let a = association_account(conn, "euro_clearing", "EUR");
            a.balance()
        },
        -5000 + 970
    );
    let report = assert_verified(conn);
    assert_eq!(report.entries, 4);
    let lem = report
        .currencies
        .iter()
        .find(|c| c.code == "LEM")
        .expect("LEM statement");
    assert_eq!(
        (lem.circulation, lem.fund_eur, lem.difference_eur),
        (4030, 4030, 0)
    );
}

async fn flow_rules_and_reconversion_are_enforced(backend: Backend) {
    let w = world(backend);
    let conn = &mut w.db.db.conn().expect("conn");
    let (camille, yanis, ferme) = (&w.members[0], &w.members[1], &w.pros[0]);
    ops::issue(
        conn,
        &crate::support::operator(),
        &key(),
        camille,
        1000,
        EuroMethod::Cash,
        "cash office",
    )
    .expect("issue");
    ops::pay(conn, &key(), camille, yanis, 100, "gift")
        .expect("member to member allowed by default");
    diesel::update(currencies::table.find("LEM"))
        .set(currencies::allow_member_to_member.eq(false))
        .execute(conn.diesel())
        .expect("rule");
    let err = ops::pay(conn, &key(), camille, yanis, 100, "gift").unwrap_err();
    assert!(matches!(err, LedgerError::FlowNotAllowed(_)), "{err:?}");
    ops::pay(conn, &key(), camille, ferme, 100, "vegetables").expect("member to professional");
    let err = ops::reconvert(conn, &key(), camille, 100, "x").unwrap_err();
    assert!(
        matches!(err, LedgerError::ReconversionNotAllowed(_)),
        "{err:?}"
    );
    diesel::update(ledger_accounts::table.find(ferme))
        .set(ledger_accounts::pays_professionals_only.eq(true))
        .execute(conn.diesel())
        .expect("restrict");
    let err = ops::pay(conn, &key(), ferme, camille, 50, "refund").unwrap_err();
    assert!(matches!(err, LedgerError::FlowNotAllowed(_)), "{err:?}");
    ops::pay(conn, &key(), ferme, &w.pros[1], 50, "bread").expect("professional to professional");
    let err = ops::pay(conn, &key(), camille, ferme, 100_000, "too much").unwrap_err();
    assert!(
        matches!(
            err,
            LedgerError::InsufficientFunds {
                available: 800,
                requested: 100_000,
                ..
            }
        ),
        "{err:?}"
    );
    let fund = association_account(conn, "guarantee_fund", "EUR");
    let err = ops::pay(conn, &key(), camille, &fund.id, 10, "x").unwrap_err();
    assert!(
        matches!(err, LedgerError::CurrencyMismatch { .. }),
        "{err:?}"
    );
    assert_verified(conn);
}

async fn holds_reserve_post_for_less_void_and_expire(backend: Backend) {
    let w = world(backend);
    let conn = &mut w.db.db.conn().expect("conn");
    let (camille, ferme) = (&w.members[0], &w.pros[0]);
    ops::issue(
        conn,
        &crate::support::operator(),
        &key(),
        camille,
        5000,
        EuroMethod::Card,
        "card",
    )
    .expect("issue");
    let hold = place_hold(conn, &key(), camille, ferme, 3000, None, "order 7")
        .expect("hold")
        .into_entry();
    let hold_id = hold.transfers[0].id.clone();
    assert_eq!(
        (balance(conn, camille), available(conn, camille)),
        (5000, 2000)
    );
    let err = ops::pay(conn, &key(), camille, ferme, 2500, "x").unwrap_err();
    assert!(
        matches!(
            err,
            LedgerError::InsufficientFunds {
                available: 2000,
                ..
            }
        ),
        "{err:?}"
    );
    let err = post_hold(conn, &key(), &hold_id, Some(3001), "more").unwrap_err();
    assert!(matches!(err, LedgerError::Invalid { .. }), "{err:?}");
    post_hold(conn, &key(), &hold_id, Some(2500), "weighed: less").expect("post for less");
    assert_eq!(
        (
            balance(conn, camille),
            available(conn, camille),
            balance(conn, ferme)
        ),
        (2500, 2500, 2500)
    );
    let err = post_hold(conn, &key(), &hold_id, None, "again").unwrap_err();
    assert!(matches!(err, LedgerError::HoldResolved(_)), "{err:?}");
    let err = void_hold(conn, &key(), &hold_id, "late").unwrap_err();
    assert!(matches!(err, LedgerError::HoldResolved(_)), "{err:?}");

    let second = place_hold(conn, &key(), camille, ferme, 1000, None, "order 8")
        .expect("hold")
        .into_entry();
    void_hold(conn, &key(), &second.transfers[0].id, "cancelled").expect("void");
    assert_eq!(available(conn, camille), 2500);

    let soon = comptoir::time::now() + chrono::Duration::milliseconds(300);
    let expiring = place_hold(conn, &key(), camille, ferme, 700, Some(soon), "order 9")
        .expect("hold")
        .into_entry();
    assert_eq!(
        holds::void_expired_holds(conn, comptoir::time::now()).expect("job"),
        0
    );
    std::thread::sleep(std::time::Duration::from_millis(400));
    let err = post_hold(conn, &key(), &expiring.transfers[0].id, None, "too late").unwrap_err();
    assert!(matches!(err, LedgerError::HoldExpired(_)), "{err:?}");
    assert_eq!(
        holds::void_expired_holds(conn, comptoir::time::now()).expect("job"),
        1
    );
    assert_eq!(
        holds::void_expired_holds(conn, comptoir::time::now()).expect("job again"),
        0
    );
    assert_eq!(available(conn, camille), 2500);
    let err = place_hold(
        conn,
        &key(),
        camille,
        ferme,
        1,
        Some(comptoir::time::now()),
        "past",
    )
    .unwrap_err();
    assert!(matches!(err, LedgerError::Invalid { .. }), "{err:?}");
    assert_verified(conn);
}

async fn idempotent_replays_and_conflicts(backend: Backend) {
    let w = world(backend);
    let conn = &mut w.db.db.conn().expect("conn");
    let (camille, ferme) = (&w.members[0], &w.pros[0]);
    let issue_id = key();
    let first = ops::issue(
        conn,
        &crate::support::operator(),
        &issue_id,
        camille,
        1000,
        EuroMethod::BankTransfer,
        "VIR-9",
    )
    .expect("issue");
    let again = ops::issue(
        conn,
        &crate::support::operator(),
        &issue_id,
        camille,
        1000,
        EuroMethod::BankTransfer,
        "VIR-9",
    )
    .expect("replay");
    assert!(matches!(first, Committed::New(_)) && matches!(again, Committed::Replayed(_)));
    assert_eq!(first.entry(), again.entry());
    assert_eq!(balance(conn, camille), 1000, "a replay moves nothing");
    let err = ops::issue(
        conn,
        &crate::support::operator(),
        &issue_id,
        camille,
        1001,
        EuroMethod::BankTransfer,
        "VIR-9",
    )
    .unwrap_err();
    assert!(
        matches!(err, LedgerError::IdempotencyConflict(_)),
        "{err:?}"
    );
    let err = ops::pay(conn, &issue_id, camille, ferme, 10, "VIR-9").unwrap_err();
    assert!(
        matches!(err, LedgerError::IdempotencyConflict(_)),
        "{err:?}"
    );
    // a replayed post returns the original even though the hold is now resolved
    let hold = place_hold(conn, &key(), camille, ferme, 300, None, "o")
        .expect("hold")
        .into_entry();
    let post_id = key();
    let posted = post_hold(conn, &post_id, &hold.transfers[0].id, None, "o").expect("post");
    let replayed = post_hold(conn, &post_id, &hold.transfers[0].id, None, "o").expect("replay");
    assert_eq!(posted.entry(), replayed.entry());
    let entries: i64 = ledger_entries::table
        .count()
        .get_result(conn.diesel())
        .expect("count");
    assert_eq!(entries, 3);
    assert_verified(conn);
}

async fn reversal_restores_balances_once(backend: Backend) {
    let w = world(backend);
    let conn = &mut w.db.db.conn().expect("conn");
    let (camille, yanis, ferme) = (&w.members[0], &w.members[1], &w.pros[0]);
    ops::issue(
        conn,
        &crate::support::operator(),
        &key(),
        camille,
        1000,
        EuroMethod::Cash,
        "c",
    )
    .expect("issue");
    let payment = ops::pay(conn, &key(), camille, ferme, 400, "wrong shop")
        .expect("pay")
        .into_entry();
    let reversal = ops::reverse(
        conn,
        &crate::support::operator(),
        &key(),
        &payment.row.id,
        "paid the wrong shop",
    )
    .expect("reverse")
    .into_entry();
    assert_eq!(
        reversal.row.reverses_entry_id.as_deref(),
        Some(payment.row.id.as_str())
    );
    assert_eq!((balance(conn, camille), balance(conn, ferme)), (1000, 0));
    let err = ops::reverse(
        conn,
        &crate::support::operator(),
        &key(),
        &payment.row.id,
        "twice",
    )
    .unwrap_err();
    assert!(matches!(err, LedgerError::AlreadyReversed(_)), "{err:?}");
    // a reversal cannot overdraw the account the money went to
    let spent = ops::pay(conn, &key(), camille, yanis, 500, "x")
        .expect("pay")
        .into_entry();
    ops::pay(conn, &key(), yanis, ferme, 500, "spent it").expect("pay on");
    let err = ops::reverse(
        conn,
        &crate::support::operator(),
        &key(),
        &spent.row.id,
        "too late",
    )
    .unwrap_err();
    assert!(
        matches!(err, LedgerError::InsufficientFunds { .. }),
        "{err:?}"
    );
    let err =
        ops::reverse(conn, &crate::support::operator(), &key(), &key(), "nothing").unwrap_err();
    assert!(matches!(err, LedgerError::EntryNotFound(_)), "{err:?}");
    assert_verified(conn);
}

async fn mutual_credit_down_to_the_limit(backend: Backend) {
    let w = world(backend);
    let conn = &mut w.db.db.conn().expect("conn");
    let (ferme, fournil) = (&w.pros[0], &w.pros[1]);
    let err = ops::pay(conn, &key(), ferme, fournil, 1, "no credit yet").unwrap_err();
    assert!(
        matches!(err, LedgerError::InsufficientFunds { .. }),
        "{err:?}"
    );
    ops::set_overdraft_limit(conn, &crate::support::operator(), ferme, 10_000).expect("limit");
    ops::pay(conn, &key(), ferme, fournil, 8000, "flour").expect("on credit");
    assert_eq!(balance(conn, ferme), -8000);
    let err = ops::pay(conn, &key(), ferme, fournil, 2001, "more flour").unwrap_err();
    assert!(
        matches!(
            err,
            LedgerError::InsufficientFunds {
                available: 2000,
                overdraft_limit: 10_000,
                ..
            }
        ),
        "{err:?}"
    );
    let err = ops::set_overdraft_limit(conn, &crate::support::operator(), ferme, 5000).unwrap_err();
    assert!(
        matches!(err, LedgerError::InsufficientFunds { .. }),
        "{err:?}"
    );
    let err = ops::set_overdraft_limit(conn, &crate::support::operator(), &w.members[0], 100)
        .unwrap_err();
    assert!(
        matches!(err, LedgerError::Invalid { .. }),
        "individuals have no mutual credit: {err:?}"
    );
    assert_verified(conn);
}

fn try_sql(conn: &mut DbConn, sql: &str) -> Result<(), String> {
    conn.diesel().batch_execute(sql).map_err(|e| e.to_string())
}

async fn the_database_refuses_updates_and_deletes(backend: Backend) {
    let w = world(backend);
    let conn = &mut w.db.db.conn().expect("conn");
    ops::issue(
        conn,
        &crate::support::operator(),
        &key(),
        &w.members[0],
        1000,
        EuroMethod::Cash,
        "c",
    )
    .expect("issue");
    for sql in [
        "UPDATE ledger_transfers SET amount = amount + 1",
        "DELETE FROM ledger_transfers",
        "UPDATE ledger_entries SET description = 'edited'",
        "DELETE FROM ledger_entries",
    ] {
        let err = try_sql(conn, sql).expect_err(sql);
        assert!(err.contains("append-only"), "{sql}: {err}");
    }
    assert_verified(conn);
}

fn disable_append_only(conn: &mut DbConn, backend: Backend) {
    let sql = match backend {
        Backend::Sqlite => "DROP TRIGGER ledger_transfers_no_update; DROP TRIGGER ledger_entries_no_update;",
        Backend::Postgres => "ALTER TABLE ledger_transfers DISABLE TRIGGER USER; ALTER TABLE ledger_entries DISABLE TRIGGER USER;",
    };
    try_sql(conn, sql).expect("triggers disabled");
}

async fn verify_detects_rows_altered_behind_the_application(backend: Backend) {
    let w = world(backend);
    let conn = &mut w.db.db.conn().expect("conn");
    ops::issue(
        conn,
        &crate::support::operator(),
        &key(),
        &w.members[0],
        1000,
        EuroMethod::Cash,
        "c",
    )
    .expect("issue");
    let payment = ops::pay(conn, &key(), &w.members[0], &w.pros[0], 300, "p")
        .expect("pay")
        .into_entry();
    ops::pay(conn, &key(), &w.members[0], &w.pros[0], 200, "p2").expect("pay");
    assert_verified(conn);
    // the CLI agrees while the ledger is intact
    let dir = tempfile::tempdir().expect("dir");
    let cli = |dir: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_comptoir"))
            .args(["ledger", "verify", "--database-url", &w.db.url])
            .current_dir(dir)
            .env("RUST_LOG", "error")
            .output()
            .expect("runs")
    };
    let good = cli(dir.path());
    assert!(
        good.status.success(),
        "{}",
        String::from_utf8_lossy(&good.stdout)
    );
    assert!(String::from_utf8_lossy(&good.stdout).contains("OK:"));

    disable_append_only(conn, backend);
    let sql = format!(
        "UPDATE ledger_transfers SET amount = 3000 WHERE entry_id = '{}'",
        payment.row.id
    );
    try_sql(conn, &sql).expect("tamper");
    let report = verify(conn, &mut |_| {}).expect("verify runs");
    let text = report.to_string();
    assert!(!report.ok());
    assert!(text.contains("content does not match its hash"), "{text}");
    assert!(text.contains("cached totals"), "{text}");
    let bad = cli(dir.path());
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stdout).contains("VIOLATION"));

    // a fresh entry whose link to its predecessor is rewritten is caught, by its own id
    let fresh = ops::pay(conn, &key(), &w.members[0], &w.pros[0], 100, "p3")
        .expect("pay")
        .into_entry();
    let sql = format!(
        "UPDATE ledger_entries SET prev_hash = '{}' WHERE id = '{}'",
        comptoir::ledger::journal::GENESIS_HASH,
        fresh.row.id
    );
    try_sql(conn, &sql).expect("tamper");
    let text = verify(conn, &mut |_| {}).expect("verify").to_string();
    assert!(
        text.contains(&format!(
            "entry {} (seq {}): does not chain",
            fresh.row.id, fresh.row.seq
        )),
        "{text}"
    );
}

fn big_pool(db: &TestDb) -> Db {
    let config = crate::harness::test_config(&db.url);
    Db::connect(&config.database_url, 16).expect("pool")
}

async fn concurrent_spends_never_overdraw(backend: Backend) {
    let w = world(backend);
    let pool = big_pool(&w.db);
    let (camille, ferme) = (w.members[0].clone(), w.pros[0].clone());
    ops::issue(
        &mut pool.conn().expect("conn"),
        &crate::support::operator(),
        &key(),
        &camille,
        3000,
        EuroMethod::Cash,
        "c",
    )
    .expect("issue");
    let results: Vec<Result<(), String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..50)
            .map(|i| {
                let (pool, camille, ferme) = (&pool, &camille, &ferme);
                scope.spawn(move || {
                    let mut conn = pool.conn().map_err(|e| e.to_string())?;
                    match ops::pay(
                        &mut conn,
                        &key(),
                        camille,
                        ferme,
                        100,
                        &format!("spend {i}"),
                    ) {
                        Ok(_) => Ok(()),
                        Err(LedgerError::InsufficientFunds { .. }) => Err("insufficient".into()),
                        Err(e) => panic!("unexpected error: {e}"),
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    let succeeded = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(succeeded, 30, "{results:?}");
    let conn = &mut pool.conn().expect("conn");
    assert_eq!((balance(conn, &camille), balance(conn, &ferme)), (0, 3000));
    assert_verified(conn);
}

async fn crossing_payments_do_not_deadlock(backend: Backend) {
    let w = world(backend);
    let pool = big_pool(&w.db);
    let (a, b) = (w.pros[0].clone(), w.pros[1].clone());
    {
        let conn = &mut pool.conn().expect("conn");
        ops::set_overdraft_limit(conn, &crate::support::operator(), &a, 100_000).expect("limit");
        ops::set_overdraft_limit(conn, &crate::support::operator(), &b, 100_000).expect("limit");
    }
    std::thread::scope(|scope| {
        for i in 0..16 {
            let (pool, a, b) = (&pool, &a, &b);
            scope.spawn(move || {
                let mut conn = pool.conn().expect("conn");
                for j in 0..10 {
                    let (from, to) = if i % 2 == 0 { (a, b) } else { (b, a) };
                    ops::pay(&mut conn, &key(), from, to, 10 + j, "crossing")
                        .expect("no deadlock, no refusal");
                }
            });
        }
    });
    let conn = &mut pool.conn().expect("conn");
    // eight threads each way, the same amounts: the two wallets end where they started
    assert_eq!((balance(conn, &a), balance(conn, &b)), (0, 0));
    let report = assert_verified(conn);
    assert_eq!(report.entries, 160);
}

mod property {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    pub enum Op {
        Issue { to: usize, amount: i64 },
        Pay { from: usize, to: usize, amount: i64 },
        Hold { from: usize, to: usize, amount: i64 },
        Post { hold: usize, percent: i64 },
        Void { hold: usize },
        Reverse { entry: usize },
        Reconvert { from: usize, amount: i64 },
        ReplayLast,
    }

    pub fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0..4usize, 1..5000i64).prop_map(|(to, amount)| Op::Issue { to, amount }),
            (0..4usize, 0..4usize, 1..4000i64).prop_map(|(from, to, amount)| Op::Pay {
                from,
                to,
                amount
            }),
            (0..4usize, 0..4usize, 1..3000i64).prop_map(|(from, to, amount)| Op::Hold {
                from,
                to,
                amount
            }),
            (0..8usize, 0..=100i64).prop_map(|(hold, percent)| Op::Post { hold, percent }),
            (0..8usize).prop_map(|hold| Op::Void { hold }),
            (0..16usize).prop_map(|entry| Op::Reverse { entry }),
            (2..4usize, 1..3000i64).prop_map(|(from, amount)| Op::Reconvert { from, amount }),
            Just(Op::ReplayLast),
        ]
    }

    /// Everything that must not change when an operation fails.
    fn snapshot(conn: &mut DbConn) -> (Vec<AccountRow>, i64) {
        let entries: i64 = ledger_entries::table
            .count()
            .get_result(conn.diesel())
            .expect("count");
        (accounts::all(conn).expect("accounts"), entries)
    }

    pub fn run(
        conn: &mut DbConn,
        wallets: &[String],
        ops_list: &[Op],
    ) -> Result<(), TestCaseError> {
        let mut holds: Vec<String> = Vec::new();
        let mut entries: Vec<String> = Vec::new();
        let mut last: Option<(String, Op)> = None;
        for op in ops_list {
            let before = snapshot(conn);
            let id = key();
            let replaying = matches!(op, Op::ReplayLast);
            let (id, op) = match op {
                Op::ReplayLast => match &last {
                    Some((id, op)) => (id.clone(), op.clone()),
                    None => continue,
                },
                other => (id, other.clone()),
            };
            let result = match &op {
                Op::Issue { to, amount } => ops::issue(
                    conn,
                    &crate::support::operator(),
                    &id,
                    &wallets[*to],
                    *amount,
                    EuroMethod::BankTransfer,
                    "p",
                ),
                Op::Pay { from, to, amount } => {
                    ops::pay(conn, &id, &wallets[*from], &wallets[*to], *amount, "p")
                }
                Op::Hold { from, to, amount } => place_hold(
                    conn,
                    &id,
                    &wallets[*from],
                    &wallets[*to],
                    *amount,
                    None,
                    "p",
                ),
                Op::Post { hold, percent } => match holds.get(*hold) {
                    Some(h) => {
                        let amount = holds::find_hold(conn, &TransferId::from(h))
                            .map(|t| t.amount * percent / 100)
                            .unwrap_or(0)
                            .max(1);
                        post_hold(conn, &id, h, Some(amount), "p")
                    }
                    None => continue,
                },
                Op::Void { hold } => match holds.get(*hold) {
                    Some(h) => void_hold(conn, &id, h, "p"),
                    None => continue,
                },
                Op::Reverse { entry } => match entries.get(*entry) {
                    Some(e) => ops::reverse(conn, &crate::support::operator(), &id, e, "p"),
                    None => continue,
                },
                Op::Reconvert { from, amount } => {
                    ops::reconvert(conn, &id, &wallets[*from], *amount, "p")
                }
                Op::ReplayLast => continue,
            };
            match result {
                Ok(Committed::New(entry)) => {
                    if matches!(op, Op::Hold { .. }) {
                        holds.push(entry.transfers[0].id.clone());
                    }
                    entries.push(entry.row.id.clone());
                    last = Some((id, op.clone()));
                }
                Ok(Committed::Replayed(_)) => {
                    prop_assert!(replaying, "{:?} was answered as a replay", op);
                    prop_assert_eq!(snapshot(conn), before, "a replay changed state");
                }
                Err(LedgerError::Db(e)) => {
                    return Err(TestCaseError::fail(format!("database error: {e}")))
                }
                Err(LedgerError::Invariant(e)) => {
                    return Err(TestCaseError::fail(format!("invariant: {e}")))
                }
                Err(e) => {
                    // the last operation succeeded: repeating it must replay, never fail
                    prop_assert!(!replaying, "replaying {:?} failed: {}", op, e);
                    prop_assert_eq!(snapshot(conn), before, "a refused operation changed state");
                }
            }
            let report =
                verify(conn, &mut |_| {}).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(report.ok(), "after {:?}: {}", op, report);
            // and the deployment's books, validated up to now, agree by account nature
            crate::natures::deployment_books_agree(conn)
                .map_err(|e| TestCaseError::fail(format!("after {op:?}: {e}")))?;
        }
        Ok(())
    }
}

async fn random_operations_keep_every_invariant(backend: Backend, demo: &'static DemoFacts) {
    let cases = match backend {
        Backend::Sqlite => 24,
        Backend::Postgres => 12,
    };
    let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config {
        cases,
        max_shrink_iters: 64,
        failure_persistence: None,
        ..Default::default()
    });
    let strategy = proptest::collection::vec(property::op(), 1..40);
    runner
        .run(&strategy, |ops_list| {
            let w = world_of(backend, demo);
            let conn = &mut w.db.db.conn().expect("conn");
            ops::set_commission_rule(conn, &crate::support::operator(), demo.local, None, 250, 5)
                .expect("rule");
            let wallets = [
                w.members[0].clone(),
                w.members[1].clone(),
                w.pros[0].clone(),
                w.pros[1].clone(),
            ];
            ops::set_overdraft_limit(conn, &crate::support::operator(), &wallets[3], 2000)
                .expect("mutual credit");
            property::run(conn, &wallets, &ops_list)
        })
        .unwrap_or_else(|e| panic!("{e}"));
}

async fn reconversion_never_spends_a_credit_line(backend: Backend) {
    let w = world(backend);
    let conn = &mut w.db.db.conn().expect("conn");
    let (camille, ferme, fournil) = (&w.members[0], &w.pros[0], &w.pros[1]);
    ops::issue(
        conn,
        &crate::support::operator(),
        &key(),
        camille,
        1000,
        EuroMethod::BankTransfer,
        "v",
    )
    .expect("issue");
    ops::set_overdraft_limit(conn, &crate::support::operator(), ferme, 10_000)
        .expect("credit line");
    // nothing of its own: refused, although the credit line would allow the debit
    let err = ops::reconvert(conn, &key(), ferme, 1000, "r").unwrap_err();
    assert!(
        matches!(
            err,
            LedgerError::InsufficientFunds {
                available: 0,
                overdraft_limit: 0,
                ..
            }
        ),
        "{err:?}"
    );
    ops::pay(conn, &key(), camille, ferme, 300, "sale").expect("pay");
    let err = ops::reconvert(conn, &key(), ferme, 301, "r").unwrap_err();
    assert!(
        matches!(err, LedgerError::InsufficientFunds { available: 300, .. }),
        "{err:?}"
    );
    ops::reconvert(conn, &key(), ferme, 300, "r").expect("own money");
    // money created on credit shows in the statement
    ops::pay(conn, &key(), ferme, fournil, 2000, "flour on credit").expect("credit");
    let report = assert_verified(conn);
    let lem = report
        .currencies
        .iter()
        .find(|c| c.code == "LEM")
        .expect("LEM");
    assert_eq!(
        (lem.circulation, lem.fund_eur, lem.difference_eur),
        (700, 700, 0)
    );
    assert_eq!((lem.held, lem.credit_outstanding), (2700, 2000));
}

async fn each_local_currency_has_its_own_fund_and_payables(backend: Backend) {
    use comptoir::ledger::ops::{LocalTerms, NewCurrency};
    let w = world(backend);
    let conn = &mut w.db.db.conn().expect("conn");
    let issuer = comptoir::ledger::currencies::get(conn, "LEM")
        .expect("LEM")
        .issuer_id
        .expect("issuer");
    let local = LocalTerms {
        parity_to_eur: rust_decimal::Decimal::ONE,
        issuer_id: issuer.clone(),
        allow_member_to_member: true,
    };
    let xyz = ops::create_currency(
        conn,
        &crate::support::operator(),
        NewCurrency {
            code: "XYZ".parse().expect("code"),
            name: "Xyz".into(),
            symbol: "X".into(),
            scale: 2,
            local: Some(local),
        },
    )
    .expect("second currency of the same association");
    let lem = comptoir::ledger::currencies::get(conn, "LEM").expect("LEM");
    let lem_fund = ops::association_accounts(conn, &lem)
        .expect("lem")
        .guarantee_fund;
    let xyz_fund = ops::association_accounts(conn, &xyz)
        .expect("xyz")
        .guarantee_fund;
    assert_ne!(
        lem_fund.id, xyz_fund.id,
        "each currency is backed by its own fund"
    );
    let ferme_owner = accounts::get(conn, &w.pros[0])
        .expect("wallet")
        .owner_id
        .expect("owner");
    // the farm is an approved professional of XYZ too (as its association would decide)
    diesel::insert_into(comptoir::db::schema::enterprise_currencies::table)
        .values((
            comptoir::db::schema::enterprise_currencies::enterprise_id.eq(&ferme_owner),
            comptoir::db::schema::enterprise_currencies::currency_code.eq("XYZ"),
            comptoir::db::schema::enterprise_currencies::state.eq("approved"),
        ))
        .execute(conn.diesel())
        .expect("approved");
    let ferme_xyz =
        ops::wallet(conn, Owner::Enterprise(ferme_owner.into()), "XYZ").expect("xyz wallet");
    ops::issue(
        conn,
        &crate::support::operator(),
        &key(),
        &w.pros[0],
        500,
        EuroMethod::Cash,
        "l",
    )
    .expect("issue LEM");
    ops::issue(
        conn,
        &crate::support::operator(),
        &key(),
        &ferme_xyz.id,
        800,
        EuroMethod::Cash,
        "x",
    )
    .expect("issue XYZ");
    ops::reconvert(conn, &key(), &w.pros[0], 500, "r").expect("reconvert LEM");
    let lem_payable = payable_of(conn, &w.pros[0], "LEM");
    assert_eq!(lem_payable.balance(), 500);
    // the XYZ side cannot settle what the LEM association owes
    let err = ops::reconversion_paid(
        conn,
        &crate::support::operator(),
        &key(),
        &lem_payable.id,
        "XYZ",
        500,
        "wrong",
    )
    .unwrap_err();
    assert!(matches!(err, LedgerError::Invalid { .. }), "{err:?}");
    ops::reconversion_paid(
        conn,
        &crate::support::operator(),
        &key(),
        &lem_payable.id,
        "LEM",
        500,
        "right",
    )
    .expect("payout");
    let report = assert_verified(conn);
    let line = |code: &str| {
        report
            .currencies
            .iter()
            .find(|c| c.code == code)
            .cloned()
            .expect("statement")
    };
    assert_eq!((line("LEM").circulation, line("LEM").fund_eur), (0, 0));
    assert_eq!((line("XYZ").circulation, line("XYZ").fund_eur), (800, 800));
    // EUR is the fiat euro with two decimals, nothing else
    let bad = NewCurrency {
        code: comptoir::money::CurrencyCode::EUR,
        name: "Euro".into(),
        symbol: "€".into(),
        scale: 4,
        local: None,
    };
    assert!(matches!(
        ops::create_currency(conn, &crate::support::operator(), bad),
        Err(LedgerError::Invalid { .. })
    ));
}

async fn a_retry_after_the_checks_changed_still_replays(backend: Backend) {
    let w = world(backend);
    let conn = &mut w.db.db.conn().expect("conn");
    let (camille, yanis, ferme) = (&w.members[0], &w.members[1], &w.pros[0]);
    ops::issue(
        conn,
        &crate::support::operator(),
        &key(),
        camille,
        1000,
        EuroMethod::Cash,
        "c",
    )
    .expect("issue");
    // the original spent everything: a retry must not fail on the balance it emptied
    let pay_id = key();
    let original = ops::pay(conn, &pay_id, camille, yanis, 1000, "all").expect("pay");
    diesel::update(currencies::table.find("LEM"))
        .set(currencies::allow_member_to_member.eq(false))
        .execute(conn.diesel())
        .expect("rule");
    let retry = ops::pay(conn, &pay_id, camille, yanis, 1000, "all")
        .expect("replayed despite the new rule");
    assert!(matches!(retry, Committed::Replayed(_)));
    assert_eq!(retry.entry(), original.entry());
    // a hold retried after it expired still answers with the original
    ops::pay(conn, &key(), yanis, ferme, 500, "x").expect("pay a shop");
    let soon = comptoir::time::now() + chrono::Duration::milliseconds(200);
    let hold_id = key();
    let held = place_hold(conn, &hold_id, yanis, ferme, 100, Some(soon), "o").expect("hold");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let again = place_hold(conn, &hold_id, yanis, ferme, 100, Some(soon), "o")
        .expect("replayed after expiry");
    assert_eq!(again.entry(), held.entry());
    assert_verified(conn);
}

/// One operation of a batch, on wallets by index (so that it can run on two databases).
#[derive(Debug, Clone)]
enum BatchOp {
    Issue {
        to: usize,
        amount: i64,
    },
    Pay {
        from: usize,
        to: usize,
        amount: i64,
    },
    /// The operation `back` places earlier in the list again, with its entry id.
    Repeat {
        back: usize,
    },
    /// The entry id of the operation `back` places earlier, with another amount: a conflict
    /// when that operation was committed, its own result otherwise.
    Reuse {
        back: usize,
    },
}

fn batch_op() -> impl proptest::strategy::Strategy<Value = BatchOp> {
    use proptest::prelude::*;
    prop_oneof![
        (0..4usize, 1..3000i64).prop_map(|(to, amount)| BatchOp::Issue { to, amount }),
        // wallet 4 does not exist: a refusal before the journal
        (0..5usize, 0..4usize, 1..2500i64).prop_map(|(from, to, amount)| BatchOp::Pay {
            from,
            to,
            amount
        }),
        (1..6usize).prop_map(|back| BatchOp::Repeat { back }),
        (1..6usize).prop_map(|back| BatchOp::Reuse { back }),
    ]
}

/// What a result says, without the ids that differ from one database to the other.
fn shape(result: &Result<Committed, LedgerError>) -> String {
    match result {
        Ok(Committed::New(e)) => format!("new {} ({} transfers)", e.row.code, e.transfers.len()),
        Ok(Committed::Replayed(e)) => format!("replayed {}", e.row.code),
        Err(e) => format!("refused: {:?}", std::mem::discriminant(e)),
    }
}

/// Runs `ops` in `chunks`-sized batches (0: one operation at a time, through `ops::pay` and
/// `ops::issue`); returns each result's shape and every wallet's totals.
fn run_batches(
    conn: &mut DbConn,
    wallets: &[String],
    list: &[(String, BatchOp)],
    chunk: usize,
) -> (Vec<String>, Vec<(i64, i64, i64)>) {
    let ghost = key();
    let wallet = |i: usize| wallets.get(i).cloned().unwrap_or_else(|| ghost.clone());
    // a repeat is the operation it repeats, under the same entry id
    let mut resolved: Vec<(String, BatchOp)> = Vec::with_capacity(list.len());
    for (i, (id, op)) in list.iter().enumerate() {
        let item = match op {
            BatchOp::Repeat { back } if *back <= i => resolved[i - back].clone(),
            BatchOp::Reuse { back } if *back <= i => {
                let (id, op) = resolved[i - back].clone();
                let op = match op {
                    BatchOp::Issue { to, amount } => BatchOp::Issue {
                        to,
                        amount: amount + 1,
                    },
                    BatchOp::Pay { from, to, amount } => BatchOp::Pay {
                        from,
                        to,
                        amount: amount + 1,
                    },
                    other => other,
                };
                (id, op)
            }
            BatchOp::Repeat { .. } | BatchOp::Reuse { .. } => {
                (id.clone(), BatchOp::Issue { to: 0, amount: 1 })
            }
            other => (id.clone(), other.clone()),
        };
        resolved.push(item);
    }
    let mut shapes = Vec::new();
    let step = if chunk == 0 { 1 } else { chunk };
    for part in resolved.chunks(step) {
        // a batch mixes kinds through two calls in order: split it where the kind changes
        let mut i = 0;
        while i < part.len() {
            let is_issue = matches!(part[i].1, BatchOp::Issue { .. });
            let mut j = i;
            while j < part.len() && matches!(part[j].1, BatchOp::Issue { .. }) == is_issue {
                j += 1;
            }
            let results = if chunk == 0 {
                part[i..j]
                    .iter()
                    .map(|(id, op)| match op {
                        BatchOp::Issue { to, amount } => ops::issue(
                            conn,
                            &crate::support::operator(),
                            id,
                            &wallet(*to),
                            *amount,
                            EuroMethod::Cash,
                            "b",
                        ),
                        BatchOp::Pay { from, to, amount } => {
                            ops::pay(conn, id, &wallet(*from), &wallet(*to), *amount, "b")
                        }
                        BatchOp::Repeat { .. } | BatchOp::Reuse { .. } => {
                            unreachable!("resolved above")
                        }
                    })
                    .collect::<Vec<_>>()
            } else if is_issue {
                let items: Vec<Issuance> = part[i..j]
                    .iter()
                    .map(|(id, op)| match op {
                        BatchOp::Issue { to, amount } => Issuance {
                            by: crate::support::operator(),
                            entry_id: id.clone(),
                            wallet: wallet(*to),
                            amount: *amount,
                            method: EuroMethod::Cash,
                            reference: "b".into(),
                        },
                        _ => unreachable!("split by kind"),
                    })
                    .collect();
                batch::issue_many(conn, &items).expect("the batch as a whole")
            } else {
                let items: Vec<Payment> = part[i..j]
                    .iter()
                    .map(|(id, op)| match op {
                        BatchOp::Pay { from, to, amount } => Payment {
                            entry_id: id.clone(),
                            from: wallet(*from),
                            to: wallet(*to),
                            amount: *amount,
                            reference: "b".into(),
                        },
                        _ => unreachable!("split by kind"),
                    })
                    .collect();
                batch::pay_many(conn, &items).expect("the batch as a whole")
            };
            shapes.extend(results.iter().map(shape));
            i = j;
        }
    }
    let totals = wallets
        .iter()
        .map(|w| {
            let a = accounts::get(conn, w).expect("wallet");
            (a.debits_posted, a.credits_posted, a.debits_pending)
        })
        .collect();
    (shapes, totals)
}

/// A batch gives each request the result it would have had alone, in the same order —
/// refusals, replays of ids used earlier in the same batch included — and the ledger ends
/// in the same state, every invariant holding.
async fn batches_commit_like_one_entry_after_another(backend: Backend, demo: &'static DemoFacts) {
    let cases = match backend {
        Backend::Sqlite => 16,
        Backend::Postgres => 6,
    };
    let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config {
        cases,
        max_shrink_iters: 32,
        failure_persistence: None,
        ..Default::default()
    });
    let strategy = (proptest::collection::vec(batch_op(), 1..40), 1..12usize);
    runner
        .run(&strategy, |(list, chunk)| {
            let list: Vec<(String, BatchOp)> = list.into_iter().map(|op| (key(), op)).collect();
            let mut outcomes = Vec::new();
            for size in [0, chunk] {
                let w = world_of(backend, demo);
                let conn = &mut w.db.db.conn().expect("conn");
                let wallets = [
                    w.members[0].clone(),
                    w.members[1].clone(),
                    w.pros[0].clone(),
                    w.pros[1].clone(),
                ];
                outcomes.push(run_batches(conn, &wallets, &list, size));
                let report = verify(conn, &mut |_| {}).expect("verify runs");
                proptest::prop_assert!(report.ok(), "{}", report);
            }
            proptest::prop_assert_eq!(&outcomes[0], &outcomes[1]);
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
}

/// Inside one batch, a hold is resolved once and an entry reversed once: the second request
/// is refused as it would be in a later transaction, and the first stands.
async fn a_batch_resolves_a_hold_and_reverses_an_entry_once(backend: Backend) {
    let w = world(backend);
    let conn = &mut w.db.db.conn().expect("conn");
    let (camille, ferme) = (&w.members[0], &w.pros[0]);
    ops::issue(
        conn,
        &crate::support::operator(),
        &key(),
        camille,
        5000,
        EuroMethod::Card,
        "card",
    )
    .expect("issue");
    let hold = place_hold(conn, &key(), camille, ferme, 3000, None, "order")
        .expect("hold")
        .into_entry();
    let payment = ops::pay(conn, &key(), camille, ferme, 500, "pay")
        .expect("pay")
        .into_entry();
    let hold_id = hold.transfers[0].id.clone();
    let resolve = |amount: i64, movement: Movement| EntryRequest {
        audit: None,
        id: key(),
        code: "post".into(),
        reference: "batch".into(),
        description: "resolve".into(),
        request_hash: key(),
        reverses_entry_id: None,
        transfers: vec![TransferDraft {
            debit_account_id: camille.into(),
            credit_account_id: ferme.into(),
            amount: Amount::new(amount, "LEM".parse().expect("a code")),
            movement,
            own_funds_only: false,
        }],
    };
    let reversal = |id: String| EntryRequest {
        audit: Some(Box::new(comptoir::audit::Draft {
            who: crate::support::operator(),
            action: "ledger.reverse".into(),
            subject_kind: "entry".into(),
            subject_id: payment.row.id.clone(),
            enterprise_id: None,
            details: serde_json::json!({}),
        })),
        id,
        code: "reverse".into(),
        reference: "batch".into(),
        description: "reverse".into(),
        request_hash: "same".into(),
        reverses_entry_id: Some(payment.row.id.clone()),
        transfers: vec![TransferDraft {
            debit_account_id: ferme.into(),
            credit_account_id: camille.into(),
            amount: Amount::new(500, "LEM".parse().expect("a code")),
            movement: Movement::Posted,
            own_funds_only: false,
        }],
    };
    let post = Movement::PostPending {
        hold_id: hold_id.clone().into(),
        hold_amount: 3000,
    };
    let void = Movement::VoidPending {
        hold_id: hold_id.clone().into(),
        hold_amount: 3000,
    };
    let first_reversal = key();
    let requests = vec![
        resolve(2000, post),
        resolve(3000, void),
        reversal(first_reversal.clone()),
        reversal(key()),
        // the first reversal again: a replay of an entry written earlier in this batch
        reversal(first_reversal),
    ];
    let results = group::commit_batch(conn, &requests).expect("the batch");
    let shapes: Vec<String> = results.iter().map(shape).collect();
    assert!(matches!(results[0], Ok(Committed::New(_))), "{shapes:?}");
    assert!(
        matches!(results[1], Err(LedgerError::HoldResolved(_))),
        "{shapes:?}"
    );
    assert!(matches!(results[2], Ok(Committed::New(_))), "{shapes:?}");
    assert!(
        matches!(results[3], Err(LedgerError::AlreadyReversed(_))),
        "{shapes:?}"
    );
    match (&results[2], &results[4]) {
        (Ok(Committed::New(first)), Ok(Committed::Replayed(again))) => assert_eq!(first, again),
        _ => panic!("the repeated reversal is not a replay of the first: {shapes:?}"),
    }
    // 5000 − 2000 posted; the payment of 500 reversed
    assert_eq!(
        (
            balance(conn, camille),
            available(conn, camille),
            balance(conn, ferme)
        ),
        (3000, 3000, 2000)
    );
    assert_verified(conn);
}

/// Eight threads send batches spending from one wallet at once: no overdraft, and exactly
/// the accepted payments are written.
async fn concurrent_batches_never_overdraw(backend: Backend) {
    let w = world(backend);
    let pool = big_pool(&w.db);
    let (camille, ferme) = (w.members[0].clone(), w.pros[0].clone());
    ops::issue(
        &mut pool.conn().expect("conn"),
        &crate::support::operator(),
        &key(),
        &camille,
        3000,
        EuroMethod::Cash,
        "c",
    )
    .expect("issue");
    let accepted: usize = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let (pool, camille, ferme) = (&pool, &camille, &ferme);
                scope.spawn(move || {
                    let mut conn = pool.conn().expect("conn");
                    let payments: Vec<Payment> = (0..10)
                        .map(|i| Payment {
                            entry_id: key(),
                            from: camille.clone(),
                            to: ferme.clone(),
                            amount: 70,
                            reference: format!("spend {i}"),
                        })
                        .collect();
                    let results = batch::pay_many(&mut conn, &payments).expect("batch");
                    results
                        .iter()
                        .filter(|r| match r {
                            Ok(_) => true,
                            Err(LedgerError::InsufficientFunds { .. }) => false,
                            Err(e) => panic!("unexpected error: {e}"),
                        })
                        .count()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("thread")).sum()
    });
    // 3000 / 70 = 42 payments fit, 80 were asked
    assert_eq!(accepted, 42);
    let conn = &mut pool.conn().expect("conn");
    assert_eq!(
        (balance(conn, &camille), balance(conn, &ferme)),
        (3000 - 42 * 70, 42 * 70)
    );
    let report = assert_verified(conn);
    assert_eq!(report.entries, 1 + 42);
}

/// Commits that arrive while the journal is busy wait and go together in one write
/// transaction (group commit), each with its own result: payments beyond the balance are
/// refused, the same entry sent twice is committed once and replayed once, the same id with
/// another content is a conflict — and nothing else in the group is affected.
async fn concurrent_commits_are_grouped_and_keep_their_own_results(backend: Backend) {
    let w = world(backend);
    let pool = big_pool(&w.db);
    let (camille, ferme) = (w.members[0].clone(), w.pros[0].clone());
    ops::issue(
        &mut pool.conn().expect("conn"),
        &crate::support::operator(),
        &key(),
        &camille,
        500,
        EuroMethod::Cash,
        "c",
    )
    .expect("issue");
    let shared = pool.shared().clone();
    // hold the journal up: on SQLite the write turn, on PostgreSQL the chain head's lock
    let mut blocker = pool.conn().expect("conn");
    let turn = blocker.write_turn();
    if let AnyConnection::Postgres(c) = blocker.diesel() {
        c.batch_execute("BEGIN; SELECT 1 FROM ledger_head FOR UPDATE")
            .expect("head locked");
    }
    let twice = key();
    let threads = 12;
    let results: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|i| {
                let (pool, camille, ferme, twice) = (&pool, &camille, &ferme, &twice);
                scope.spawn(move || {
                    let mut conn = pool.conn().expect("conn");
                    // threads 0 and 1 send the same payment; thread 2 the same id for another
                    let (id, reference) = match i {
                        0 | 1 => (twice.clone(), "grouped"),
                        2 => (twice.clone(), "another"),
                        _ => (key(), "grouped"),
                    };
                    // each caller gets its own entry back: its id, its reference
                    let mine = |entry: &journal::Entry| {
                        assert_eq!(
                            (entry.row.id.as_str(), entry.row.reference.as_str()),
                            (id.as_str(), reference),
                            "thread {i} got another caller's answer"
                        );
                    };
                    match ops::pay(&mut conn, &id, camille, ferme, 100, reference) {
                        Ok(Committed::New(entry)) => {
                            mine(&entry);
                            "new".to_string()
                        }
                        Ok(Committed::Replayed(entry)) => {
                            mine(&entry);
                            "replayed".to_string()
                        }
                        Err(LedgerError::InsufficientFunds { .. }) => "insufficient".to_string(),
                        Err(LedgerError::IdempotencyConflict(_)) => "conflict".to_string(),
                        Err(e) => panic!("unexpected error: {e}"),
                    }
                })
            })
            .collect();
        // one commit leads (and waits for the journal), every other one queues behind it
        // (released whatever happens, so that a failure does not hang the test)
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while shared
            .extension::<comptoir::ledger::group::GroupCommit>()
            .stats()
            .waiting
            < threads - 1
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let queued = shared
            .extension::<comptoir::ledger::group::GroupCommit>()
            .stats()
            .waiting;
        drop(turn);
        if let AnyConnection::Postgres(c) = blocker.diesel() {
            c.batch_execute("ROLLBACK").expect("released");
        }
        let results = handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect();
        assert_eq!(queued, threads - 1, "the commits queued behind the leader");
        results
    });
    assert!(
        shared
            .extension::<comptoir::ledger::group::GroupCommit>()
            .stats()
            .largest
            >= threads - 1,
        "the queued commits went as one group: {:?}",
        shared
            .extension::<comptoir::ledger::group::GroupCommit>()
            .stats()
    );
    let count = |what: &str| results.iter().filter(|r| *r == what).count();
    // 500 buys five payments of 100, whichever five came first; the twice-sent one once
    assert_eq!(count("new"), 5, "{results:?}");
    assert_eq!(
        count("new") + count("insufficient") + count("replayed") + count("conflict"),
        threads
    );
    // the id sent three times: whichever came first decides
    match results[..3].iter().position(|r| r == "new") {
        // a "grouped" one: its twin replays it, "another" conflicts
        Some(0 | 1) => {
            assert_eq!(
                (count("replayed"), count("conflict")),
                (1, 1),
                "{results:?}"
            )
        }
        // "another": both "grouped" conflict
        Some(_) => assert_eq!(
            (count("replayed"), count("conflict")),
            (0, 2),
            "{results:?}"
        ),
        // refused for lack of funds: nothing stored under that id
        None => assert_eq!(
            (count("replayed"), count("conflict")),
            (0, 0),
            "{results:?}"
        ),
    }
    let conn = &mut pool.conn().expect("conn");
    assert_eq!((balance(conn, &camille), balance(conn, &ferme)), (0, 500));
    assert_verified(conn);
}

// The ledger's hold calls take typed ids and amounts; these tests name accounts and entries by
// their bare ids and amounts in the debited account's minor units.

fn place_hold(
    conn: &mut DbConn,
    entry: &str,
    from: &str,
    to: &str,
    minor: i64,
    expires_at: Option<chrono::NaiveDateTime>,
    reference: &str,
) -> Result<Committed, LedgerError> {
    let amount = accounts::get(conn, from)?.amount(minor)?;
    holds::hold(
        conn,
        &EntryId::from(entry),
        &AccountId::from(from),
        &AccountId::from(to),
        amount,
        expires_at,
        reference,
    )
}

fn post_hold(
    conn: &mut DbConn,
    entry: &str,
    hold: &str,
    minor: Option<i64>,
    reference: &str,
) -> Result<Committed, LedgerError> {
    let hold = TransferId::from(hold);
    let currency = holds::find_hold(conn, &hold)
        .and_then(|t| t.moved())
        .map(|a| a.currency)
        .unwrap_or(comptoir::money::CurrencyCode::EUR);
    let amount = minor.map(|m| comptoir::money::Amount::new(m, currency));
    holds::post_hold(conn, &EntryId::from(entry), &hold, amount, reference)
}

fn void_hold(
    conn: &mut DbConn,
    entry: &str,
    hold: &str,
    reference: &str,
) -> Result<Committed, LedgerError> {
    holds::void_hold(
        conn,
        &EntryId::from(entry),
        &TransferId::from(hold),
        reference,
    )
}
