//! The demo's past (`history.toml`): what a newcomer's first look at the reports, the
//! statements, the FEC, the Odoo CSV and `ledger verify` should find — a week of trade that
//! really happened, with real figures.
//!
//! It is **played through the domain**, the functions the API calls, never written as rows:
//! the association gives its bank account ([`crate::association::bank::set`], as a platform
//! admin) and its reconversion commission ([`ops::set_commission_rule`]); the members ask for
//! top-ups ([`topups::request`]) and the association's treasurer approves them
//! ([`topups::approve`]: the issuance, euros to the guarantee fund); the hub's past cycle
//! takes the orders ([`cart::set`] then [`checkout::checkout`]: stock, holds), records what
//! weighed lines really weighed ([`adjust::adjust`]), marks the euro parts paid
//! ([`checkout::mark_euro_paid`]) and is closed by hand ([`close::close`], which books and
//! settles in one go for a cycle without a settlement date: producers are paid); producers
//! reconvert ([`ops::reconvert`]) and the treasurer pays the euros out
//! ([`ops::reconversion_paid`]). So the hash chain, the holds, the books and the guarantee
//! fund are the genuine article.
//!
//! **Dates.** The ledger stamps every entry at the moment of loading: the journal is never
//! backdated (its hash chain and the period rules follow the order of entries). Only the
//! past cycle's own dates read as last week: checkout takes orders only in an open cycle, so
//! the cycle row is written with its fixture's opening time but closing an hour after the
//! load; once its orders are taken, its `closes_at` is set back to the fixture's (a rewrite
//! of that one row's planned dates, nothing else), and the close runs — so `closed_at` and
//! `settled_at` say when the close really ran, as they would for a cycle closed by hand late.
//!
//! **Mails.** The history's mails (payment instructions, receipts, order confirmations,
//! producer reports) are of the past: they are dropped from the outbox once it is played, so
//! that loading a demo mails nobody.
//!
//! **All or nothing.** The history is planned (every name, SKU, amount and quantity
//! resolved and checked) with the rest of the demo, before anything is written, and played
//! in the demo's one transaction (each domain function's own transaction is then a
//! savepoint): a step that fails leaves the database as it was. Once played, the wallet
//! balances the fixture expects (`[[expect]]`) are checked, in the same transaction.

use std::collections::HashMap;

use anyhow::{anyhow, bail, Context, Result};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Deserialize;

use super::{plan_cycle, CycleContext, CycleFixture, EnterpriseLookup, PlannedCycles};
use crate::association::topups::{self, Method};
use crate::audit::Who;
use crate::auth::actor::Actor;
use crate::auth::users::{normalise_email, EnterpriseRoleRow, Role, UserRow};
use crate::db::schema::{mail_outbox, order_cycles};
use crate::db::DbConn;
use crate::ids::{CycleId, EntryId, OrderId, UserId};
use crate::ledger::accounts::{self, AccountKind, Owner};
use crate::ledger::currencies::{self, CurrencyRow};
use crate::ledger::journal::Committed;
use crate::ledger::{ops, receipts};
use crate::money::{parse_amount, AmountInput, CurrencyCode, Sign};
use crate::orders::adjust::{self, AdjustRequest, DeliveredLine};
use crate::orders::checkout::{self, CheckoutRequest};
use crate::orders::quote::{QuoteLineRequest, QuoteRequest};
use crate::orders::{cart, close};

const FILE: &str = "history.toml";

/// Where the history's acts are said to come from in the audit trail.
pub const ORIGIN: &str = "demo history";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct HistoryFile {
    /// The local currency of the top-ups, local parts, reconversions and balances.
    currency: String,
    /// The reconversion commission, in percent (two decimals at most).
    commission_percent: Option<String>,
    bank_account: Option<BankFixture>,
    #[serde(default)]
    topup: Vec<TopUpFixture>,
    cycle: CycleFixture,
    #[serde(default)]
    order: Vec<OrderFixture>,
    #[serde(default)]
    reconversion: Vec<ReconversionFixture>,
    #[serde(default)]
    expect: Vec<ExpectFixture>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BankFixture {
    iban: String,
    bic: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TopUpFixture {
    member: String,
    amount: String,
    method: Method,
    /// What the treasurer saw arrive (a bank statement's line, a receipt number).
    #[serde(default)]
    received: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OrderFixture {
    customer: String,
    /// The pickup or delivery method, by name.
    shipping: String,
    /// `"all"`, an amount of the local currency, or absent: all in the legal currency.
    local: Option<String>,
    lines: Vec<LineFixture>,
    #[serde(default)]
    weighed: Vec<WeighedFixture>,
    #[serde(default = "super::yes")]
    euro_paid: bool,
    /// Where a delivery goes (checked at checkout, as a customer's would be).
    address: Option<AddressFixture>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddressFixture {
    name: String,
    line1: String,
    postcode: String,
    city: String,
    phone: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LineFixture {
    sku: String,
    quantity: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WeighedFixture {
    sku: String,
    /// Units delivered, up to 3 decimals, at most the quantity ordered.
    delivered: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReconversionFixture {
    producer: String,
    amount: String,
    #[serde(default)]
    reference: String,
    /// The treasurer pays the euros owed out (by transfer).
    #[serde(default)]
    paid_out: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectFixture {
    /// A person's email, or an enterprise's slug.
    wallet: String,
    balance: String,
}

/// What the rest of the plan knows, to resolve the history's names.
pub(super) struct Known<'a> {
    pub users: &'a [UserRow],
    pub roles: &'a [EnterpriseRoleRow],
    pub currencies: &'a [CurrencyRow],
    pub sku_ids: &'a HashMap<String, String>,
}

/// The local part an order pays.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Local {
    /// All in the legal currency.
    None,
    /// The most the order allows.
    All,
    /// This many minor units of the local currency.
    Minor(i64),
}

struct TopUp {
    member_id: String,
    amount: AmountInput,
    method: Method,
    received: String,
}

struct Order {
    customer_id: String,
    customer: String,
    shipping_method_id: String,
    local: Local,
    lines: Vec<QuoteLineRequest>,
    weighed: Vec<DeliveredLine>,
    euro_paid: bool,
    address: Option<crate::orders::addresses::AddressInput>,
}

struct Reconversion {
    producer_id: String,
    producer: String,
    minor: i64,
    reference: String,
    paid_out: bool,
}

/// A wallet balance the history must end with.
pub struct Expected {
    /// The person's email or the enterprise's slug, as the fixture names it.
    pub wallet: String,
    pub owner: Owner,
    /// Minor units of the history's local currency.
    pub balance: i64,
}

/// The history, checked and resolved, ready to play.
pub(super) struct History {
    currency: String,
    commission_bp: Option<i32>,
    bank_account: Option<(String, Option<String>)>,
    /// The platform admin who gives the bank account, the treasurer who approves and pays out.
    admin_id: String,
    treasurer_id: String,
    topups: Vec<TopUp>,
    pub(super) cycle_id: String,
    /// The past cycle's closing time, set back once its orders are taken.
    pub(super) closes_at: NaiveDateTime,
    orders: Vec<Order>,
    reconversions: Vec<Reconversion>,
    expect: Vec<Expected>,
}

impl History {
    /// How many top-ups, orders and reconversions it plays.
    pub(super) fn counts(&self) -> (usize, usize, usize) {
        (
            self.topups.len(),
            self.orders.len(),
            self.reconversions.len(),
        )
    }
}

/// Checks and resolves `file`, planning its past cycle into `cycles` (last).
pub(super) fn plan(
    file: HistoryFile,
    cycles: &mut PlannedCycles,
    known: &Known,
    enterprise: EnterpriseLookup,
    context: &CycleContext,
) -> Result<History> {
    let at = |what: String| anyhow!("{FILE}: {what}");
    let currency = known
        .currencies
        .iter()
        .find(|c| c.code == file.currency && c.is_local())
        .ok_or_else(|| {
            at(format!(
                "`{}` is not a local currency of the demo",
                file.currency
            ))
        })?;
    let code = currency
        .code
        .parse::<CurrencyCode>()
        .map_err(|e| at(e.to_string()))?;
    let decimals = crate::money::minor_scale(currency.scale);
    let amount = |text: &str, sign: Sign, what: &str| {
        parse_amount(text, decimals, sign).map_err(|e| at(format!("{what}: {text}: {e}")))
    };
    let user = |email: &str| -> Result<String> {
        let email = normalise_email(email);
        known
            .users
            .iter()
            .find(|u| u.email == email)
            .map(|u| u.id.clone())
            .ok_or_else(|| at(format!("no demo user `{email}`")))
    };

    let issuer_id = currency
        .issuer_id
        .clone()
        .ok_or_else(|| at(format!("{} has no issuing association", currency.code)))?;
    let treasurer_id = known
        .roles
        .iter()
        .find(|r| r.enterprise_id == issuer_id && r.role == Role::Treasurer.as_str())
        .map(|r| r.user_id.clone())
        .ok_or_else(|| at(format!("the association issuing {code} has no treasurer")))?;
    let admin_id = known
        .users
        .iter()
        .find(|u| u.is_platform_admin)
        .map(|u| u.id.clone())
        .ok_or_else(|| at("the demo has no platform admin to give the bank account".into()))?;
    let commission_bp = match &file.commission_percent {
        Some(percent) => {
            let bp = parse_amount(percent, 2, Sign::NonNegative)
                .ok()
                .and_then(|bp| i32::try_from(bp).ok())
                .filter(|bp| *bp <= 10_000)
                .ok_or_else(|| at(format!("commission_percent {percent}: between 0 and 100")))?;
            Some(bp)
        }
        None => None,
    };
    let bank_account = match file.bank_account {
        Some(b) => {
            crate::banking::Iban::parse(&b.iban)
                .map_err(|e| at(format!("bank_account: {}: {e}", b.iban)))?;
            Some((b.iban, b.bic))
        }
        None => None,
    };

    let mut topups = Vec::new();
    for t in file.topup {
        let minor = amount(
            &t.amount,
            Sign::Positive,
            &format!("top-up of {}", t.member),
        )?;
        topups.push(TopUp {
            member_id: user(&t.member)?,
            amount: AmountInput {
                amount: crate::money::format_minor(minor, decimals),
                currency: code,
            },
            method: t.method,
            received: t.received,
        });
    }

    // the past cycle, planned like the others (its offer and methods)
    let name = file.cycle.name.clone();
    let (opens, closes) = (file.cycle.opens_in_hours, file.cycle.closes_in_hours);
    if closes >= 0 || opens >= closes {
        bail!("{FILE}: the cycle `{name}` must open, then close, before the load (negative hours)");
    }
    plan_cycle(cycles, file.cycle, FILE, enterprise, context)?;
    let cycle = cycles
        .rows
        .last_mut()
        .ok_or_else(|| at("the past cycle was not planned".into()))?;
    // taking orders until an hour after the load: its closing time is set back before the
    // close (see the module documentation)
    let closes_at = cycle.closes_at;
    cycle.closes_at = context.now + chrono::Duration::hours(1);
    let cycle_id = cycle.id.clone();
    let offered: Vec<&str> = cycles
        .offers
        .iter()
        .filter(|o| o.order_cycle_id == cycle_id)
        .map(|o| o.variant_id.as_str())
        .collect();

    let mut orders = Vec::new();
    for (n, o) in file.order.into_iter().enumerate() {
        let which = format!("order {} (of {})", n + 1, o.customer);
        let shipping_method_id = cycles
            .shipping
            .iter()
            .find(|m| m.order_cycle_id == cycle_id && m.name == o.shipping)
            .map(|m| m.id.clone())
            .ok_or_else(|| at(format!("{which}: no method `{}` in `{name}`", o.shipping)))?;
        if o.lines.is_empty() {
            bail!("{FILE}: {which} has no line");
        }
        let mut lines: Vec<QuoteLineRequest> = Vec::new();
        for l in &o.lines {
            let variant_id = known
                .sku_ids
                .get(&l.sku)
                .filter(|id| offered.contains(&id.as_str()))
                .ok_or_else(|| at(format!("{which}: `{}` is not offered in `{name}`", l.sku)))?;
            if !(1..=1000).contains(&l.quantity) {
                bail!(
                    "{FILE}: {which}: the quantity of `{}` must be 1 to 1000",
                    l.sku
                );
            }
            if lines.iter().any(|q| &q.variant_id == variant_id) {
                bail!("{FILE}: {which}: `{}` appears twice", l.sku);
            }
            lines.push(QuoteLineRequest {
                variant_id: variant_id.clone(),
                quantity: l.quantity,
            });
        }
        let mut weighed = Vec::new();
        for w in o.weighed {
            let line =
                o.lines.iter().find(|l| l.sku == w.sku).ok_or_else(|| {
                    at(format!("{which}: `{}` is weighed but not ordered", w.sku))
                })?;
            let milli = parse_amount(&w.delivered, 3, Sign::NonNegative)
                .map_err(|e| at(format!("{which}: delivered {}: {e}", w.delivered)))?;
            if milli > line.quantity * 1000 {
                bail!(
                    "{FILE}: {which}: {} delivered of `{}`, more than the {} ordered",
                    w.delivered,
                    w.sku,
                    line.quantity
                );
            }
            weighed.push(DeliveredLine {
                variant_id: known.sku_ids.get(&w.sku).cloned().unwrap_or_default(),
                delivered: Some(w.delivered),
                status: None,
                note: None,
            });
        }
        let local = match o.local.as_deref().map(str::trim) {
            None => Local::None,
            Some("all") => Local::All,
            Some(text) => Local::Minor(amount(text, Sign::Positive, &format!("{which}: local"))?),
        };
        orders.push(Order {
            customer_id: user(&o.customer)?,
            customer: o.customer,
            shipping_method_id,
            local,
            lines,
            weighed,
            euro_paid: o.euro_paid,
            address: o.address.map(|a| crate::orders::addresses::AddressInput {
                name: a.name,
                line1: a.line1,
                postcode: a.postcode,
                city: a.city,
                phone: a.phone,
                ..Default::default()
            }),
        });
    }

    let mut reconversions = Vec::new();
    for r in file.reconversion {
        let (producer_id, _) = enterprise(FILE, &r.producer)?;
        reconversions.push(Reconversion {
            minor: amount(
                &r.amount,
                Sign::Positive,
                &format!("reconversion of {}", r.producer),
            )?,
            producer_id,
            producer: r.producer,
            reference: r.reference,
            paid_out: r.paid_out,
        });
    }

    let mut expect = Vec::new();
    for e in file.expect {
        let owner = if e.wallet.contains('@') {
            Owner::User(UserId::from(user(&e.wallet)?))
        } else {
            Owner::Enterprise(enterprise(FILE, &e.wallet)?.0.into())
        };
        expect.push(Expected {
            balance: amount(
                &e.balance,
                Sign::NonNegative,
                &format!("balance of {}", e.wallet),
            )?,
            wallet: e.wallet,
            owner,
        });
    }

    Ok(History {
        currency: currency.code.clone(),
        commission_bp,
        bank_account,
        admin_id,
        treasurer_id,
        topups,
        cycle_id,
        closes_at,
        orders,
        reconversions,
        expect,
    })
}

/// The balances `demo`'s history ends with, as its embedded fixture declares them (for
/// tests and for the README's figures): `(wallet, balance in minor units of the local
/// currency)`, the wallet a person's email or an enterprise's slug.
pub fn expected_balances(demo: super::Demo) -> Result<(String, Vec<(String, i64)>)> {
    let text = super::read(&super::Source::Embedded, demo, FILE)?;
    let file: HistoryFile = toml::from_str(&text).with_context(|| format!("demo file {FILE}"))?;
    // the demo's local currencies all have two decimals; the plan checks it against the
    // currency's own scale
    let balances = file
        .expect
        .iter()
        .map(|e| {
            parse_amount(&e.balance, 2, Sign::NonNegative)
                .map(|minor| (e.wallet.clone(), minor))
                .map_err(|err| anyhow!("{FILE}: balance of {}: {err}", e.wallet))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((file.currency, balances))
}

fn actor(conn: &mut DbConn, user_id: &str) -> Result<Actor> {
    crate::auth::actor::load(conn, user_id)
        .map_err(|e| anyhow!("{e}"))?
        .ok_or_else(|| anyhow!("demo user {user_id} is missing"))
}

fn who(user_id: &str) -> Who {
    Who::user(UserId::from(user_id), ORIGIN)
}

/// Plays the history (see the module documentation); call inside the demo's transaction,
/// once its rows are written. Returns the ledger entries it committed.
pub(super) fn play(conn: &mut DbConn, history: &History) -> Result<usize> {
    let started = crate::time::now();
    let currency = currencies::get(conn, &history.currency)?;
    let admin = actor(conn, &history.admin_id)?;
    let treasurer = actor(conn, &history.treasurer_id)?;
    let treasurer_who = who(&history.treasurer_id);
    let issuer_id = currency
        .issuer_id
        .clone()
        .ok_or_else(|| anyhow!("{} has no issuer", currency.code))?;

    if let Some((iban, bic)) = &history.bank_account {
        crate::association::bank::set(
            conn,
            &admin,
            &who(&history.admin_id),
            &issuer_id,
            iban,
            bic.as_deref(),
        )
        .map_err(|e| anyhow!("{FILE}: the bank account: {e}"))?;
    }
    if let Some(bp) = history.commission_bp {
        ops::set_commission_rule(conn, &treasurer_who, &currency.code, None, bp, 0)
            .map_err(|e| anyhow!("{FILE}: the commission: {e}"))?;
    }

    for t in &history.topups {
        let member = actor(conn, &t.member_id)?;
        let asked = topups::request(conn, &member, &currency.code, &t.amount, t.method)
            .map_err(|e| anyhow!("{FILE}: top-up of {}: {e}", t.amount.amount))?;
        topups::approve(conn, &treasurer, &treasurer_who, &asked.id, &t.received)
            .map_err(|e| anyhow!("{FILE}: approving top-up {}: {e}", asked.reference))?;
    }

    let cycle_id = CycleId::from(history.cycle_id.as_str());
    for (n, o) in history.orders.iter().enumerate() {
        let fail = |what: &str, e: &dyn std::fmt::Display| {
            anyhow!("{FILE}: order {} (of {}): {what}: {e}", n + 1, o.customer)
        };
        let basket = QuoteRequest {
            lines: o.lines.clone(),
        };
        let cart = cart::set(conn, &cycle_id, &o.customer_id, &basket)
            .map_err(|e| fail("the cart", &e))?;
        let local_minor = match &o.local {
            Local::None => None,
            Local::Minor(minor) => Some(*minor),
            Local::All => {
                // the most the lines and the pickup or delivery fee allow, as checkout counts it
                let quote = cart
                    .quote
                    .as_ref()
                    .ok_or_else(|| fail("the cart", &"is not priced"))?;
                let method = crate::orders::shipping::for_cycle(conn, &cycle_id)
                    .map_err(|e| fail("the methods", &e))?
                    .into_iter()
                    .find(|m| m.id == o.shipping_method_id)
                    .ok_or_else(|| fail("the method", &"is gone"))?;
                let legal = currencies::legal(conn)?;
                let legal_max = quote.local_max.minor
                    + crate::money::share_floor(method.fee_minor, method.local_share_percent);
                Some(currency.from_legal_minor(legal, legal_max)?)
            }
        };
        let code = currency.code()?;
        let request = CheckoutRequest {
            shipping_method_id: o.shipping_method_id.clone(),
            local_amount: local_minor.map(|minor| AmountInput {
                amount: crate::money::format_minor(minor, currency.decimals()),
                currency: code,
            }),
            address: o.address.clone(),
            ..Default::default()
        };
        let customer = UserId::from(o.customer_id.as_str());
        let order = checkout::checkout(conn, &cycle_id, &customer, &request)
            .map_err(|e| fail("checkout", &e))?;
        let order_id = OrderId::from(order.id.as_str());
        if !o.weighed.is_empty() {
            adjust::adjust(
                conn,
                &order_id,
                &AdjustRequest {
                    lines: o.weighed.clone(),
                },
            )
            .map_err(|e| fail("weighing", &e))?;
        }
        if o.euro_paid {
            let due = crate::orders::order::find_row(conn, &order_id)?;
            if due.euro_minor > 0 {
                checkout::mark_euro_paid(conn, &order_id).map_err(|e| fail("the euro part", &e))?;
            }
        }
    }

    // the orders are in: the cycle closed last week, and is closed (booked and settled) now
    diesel::update(order_cycles::table.find(&history.cycle_id))
        .set((
            order_cycles::closes_at.eq(history.closes_at),
            order_cycles::updated_at.eq(crate::time::now()),
        ))
        .execute(conn.diesel())?;
    close::close(conn, &cycle_id, &mut |_| {})
        .map_err(|e| anyhow!("{FILE}: closing the past cycle: {e}"))?;

    for r in &history.reconversions {
        let fail = |what: &str, e: &dyn std::fmt::Display| {
            anyhow!("{FILE}: reconversion of {}: {what}: {e}", r.producer)
        };
        let owner = Owner::Enterprise(r.producer_id.as_str().into());
        let wallet =
            ops::wallet(conn, owner.clone(), &currency.code).map_err(|e| fail("the wallet", &e))?;
        let entry_id = EntryId::generate();
        let committed = ops::reconvert(conn, entry_id.as_str(), &wallet.id, r.minor, &r.reference)
            .map_err(|e| fail("reconverting", &e))?;
        if let Committed::New(entry) = &committed {
            receipts::reconversion(conn, entry, &wallet.id, &currency, r.minor)?;
        }
        if r.paid_out {
            let legal = currencies::legal(conn)?;
            let payable = accounts::find_by_owner(
                conn,
                &owner,
                legal.code.as_str(),
                AccountKind::EuroPayable,
                Some(&currency.code),
            )?
            .ok_or_else(|| fail("paying out", &"no euro payable"))?;
            // what the fund owes the producer: its reconversions less their payouts
            let owed = payable.balance();
            if owed > 0 {
                ops::reconversion_paid(
                    conn,
                    &treasurer_who,
                    EntryId::generate().as_str(),
                    &payable.id,
                    &currency.code,
                    owed,
                    &r.reference,
                )
                .map_err(|e| fail("paying out", &e))?;
            }
        }
    }

    // the past's mails were sent in the past: loading the demo mails nobody
    diesel::delete(mail_outbox::table.filter(mail_outbox::created_at.ge(started)))
        .execute(conn.diesel())?;

    for e in &history.expect {
        let kind = match e.owner {
            Owner::User(_) => AccountKind::MemberWallet,
            _ => AccountKind::EnterpriseWallet,
        };
        let balance = accounts::find_by_owner(conn, &e.owner, &currency.code, kind, None)?
            .map_or(0, |w| w.balance());
        if balance != e.balance {
            bail!(
                "{FILE}: the wallet of {} ends with {} {}, not the {} expected",
                e.wallet,
                crate::money::format_minor(balance, currency.decimals()),
                currency.code,
                crate::money::format_minor(e.balance, currency.decimals())
            );
        }
    }
    let entries: i64 = crate::db::schema::ledger_entries::table
        .count()
        .get_result(conn.diesel())?;
    usize::try_from(entries).context("counting the ledger's entries")
}
