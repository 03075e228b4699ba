//! Checkout, cancellation and the euro payment of an order, each one transaction.
//!
//! **Checkout** turns the customer's cart into a confirmed order:
//! 1. the cycle must be open and the cart not empty; the cart row is locked (so one cart is
//!    checked out once);
//! 2. the lines are priced again against the offer ([`super::quote`]: VAT per line,
//!    half-up; local maximum per line, rounded down), the cycle's fees are computed
//!    ([`super::fees`]; customer fees are added, producer fees are kept for the close) and
//!    the chosen pickup or delivery method adds its fee (its own VAT rate and local share);
//! 3. stock is reserved with one conditional `UPDATE … WHERE stock_on_hand >= quantity` per
//!    stocked variant, in variant id order: concurrent checkouts never oversell and never
//!    deadlock;
//! 4. the customer chooses the local-currency part, from 0 to the most the lines and fee
//!    allow; it becomes a **hold** on the customer's wallet in favour of the hub's wallet
//!    (the ledger's two-phase transfer, expiring [`HOLD_GRACE_DAYS`] days after the cycle
//!    closes in case the close never runs); the euro part becomes **due** to the hub, paid
//!    at pickup or by transfer and marked paid by the hub ([`super::payment`]);
//! 5. the lines are snapshotted (name, unit, price, VAT, local share) and the confirmation
//!    mails are put in the outbox.
//!
//! A delivery method needs an address (typed in, or one of the customer's saved ones), parsed
//! and snapshotted on the order before anything is reserved; a pickup ignores it
//! ([`super::addresses`]).
//!
//! Any refusal — a line no longer offered, stock gone, funds short — rolls everything back.
//! Locks are always taken in the same order — order row, variants, the hub's order counter
//! (checkout only: [`super::numbers`]), ledger accounts, chain head — by checkout and by
//! cancel.

use chrono::Duration;
use diesel::prelude::*;

use super::cart;
use super::close::sums::Shift;
use super::cycles::{self, OfferedVariant};
use super::fees;
use super::order::{self, EuroState, Order, OrderRow, OrderState};
use super::payment::{self, EuroCollection};
use super::quote::{self, share_floor, vat_included, QuoteRequest, MAX_BASKET_MINOR};
use super::shipping::{self, ShippingMethodRow};
use crate::db::schema::{
    order_allocations, order_fees, order_lines, order_receipts, orders, variants,
};
use crate::db::DbConn;
use crate::enterprises;
use crate::ids::{CycleId, EntryId, OrderId, TransferId, UserId};
use crate::ledger::accounts::Owner;
use crate::ledger::rules::posted;
use crate::ledger::{currencies, holds, ops};
use crate::money::{parse_amount, Amount, AmountInput, Sign};
use crate::orders::OrderError;

/// Days a checkout's hold outlives its cycle's settlement (or close, settling at once).
pub const HOLD_GRACE_DAYS: i64 = 30;

/// What the customer chooses at checkout.
#[derive(Debug, Clone, Default)]
pub struct CheckoutRequest {
    /// One of the cycle's pickup or delivery methods.
    pub shipping_method_id: String,
    /// The part paid in local currency (one the hub accepts), from 0 to the most allowed;
    /// absent or zero: everything in euros.
    pub local_amount: Option<AmountInput>,
    /// The part of the euro part paid from the customer's credit with the hub (legal
    /// currency, up to that credit and the euro part); absent: none.
    pub credit_amount: Option<String>,
    /// How much more than ordered (percent, 0 to [`MAX_WEIGHT_TOLERANCE_PERCENT`]) the
    /// customer accepts for weighed lines; absent: [`DEFAULT_WEIGHT_TOLERANCE_PERCENT`].
    pub weight_tolerance_percent: Option<i32>,
    /// Where to deliver (a delivery method needs it or `address_id`; a pickup ignores it).
    pub address: Option<super::addresses::AddressInput>,
    /// One of the customer's saved addresses, instead of `address`.
    pub address_id: Option<String>,
    /// Keep `address` in the customer's saved addresses.
    pub save_address: bool,
    /// The cart this checkout is for (the id of the cart reviewed before confirming), when the
    /// caller knows it: another cart — or none, this one being an order already — is refused
    /// as checked out already, so a second submit of the same confirmation never places a
    /// second order. Absent (the API): whatever the customer's cart is.
    pub cart_id: Option<String>,
}

/// The tolerance a customer accepts for weighed lines unless they say otherwise: a piece of
/// cheese cut "about 500 g" may weigh up to 550 g (the euro part takes the difference).
pub const DEFAULT_WEIGHT_TOLERANCE_PERCENT: i32 = 10;
/// The most a customer may accept.
pub const MAX_WEIGHT_TOLERANCE_PERCENT: i32 = 25;

/// Why an order is cancelled (shown to the customer).
#[derive(Debug, Clone, Default)]
pub struct CancelRequest {
    pub reason: String,
}

fn state_conflict(detail: String) -> OrderError {
    OrderError::OrderState(detail)
}

/// Checks out the customer's cart in `cycle_id` (see the module documentation).
pub fn checkout(
    conn: &mut DbConn,
    cycle_id: &CycleId,
    customer_id: &UserId,
    request: &CheckoutRequest,
) -> Result<Order, OrderError> {
    conn.transaction(|conn| {
        let cycle = cycles::find_open_for_order(conn, cycle_id)?;
        let Some(found) = cart::find(conn, cycle_id, customer_id)? else {
            return Err(state_conflict("the cart is empty".into()));
        };
        if request.cart_id.as_ref().is_some_and(|id| *id != found.id) {
            return Err(state_conflict("this cart was checked out already".into()));
        }
        let row = order::lock(conn, &found.id)?;
        if row.state()? != OrderState::Cart {
            return Err(state_conflict("this cart was checked out already".into()));
        }
        let mut cart_lines = order::lines(conn, &row.id)?;
        let basket = cart::request_of(&cart_lines);
        if basket.lines.is_empty() {
            return Err(state_conflict("the cart is empty".into()));
        }
        let offer = cycles::offer(conn, cycle_id)?;
        let cycle_fees = fees::for_cycle(conn, cycle_id)?;
        let legal = currencies::legal(conn)?;
        let priced = quote::price_for_checkout(legal, &offer, &cycle_fees, &basket)?;
        let quote = &priced.quote;
        let method = shipping_method(conn, cycle_id, &request.shipping_method_id)?;
        super::addresses::at_checkout(
            conn,
            customer_id,
            &row.id,
            &method.kind,
            super::addresses::CheckoutChoice {
                address: request.address.as_ref(),
                address_id: request.address_id.as_deref(),
                save_address: request.save_address,
            },
        )?;
        let fee = method.fee_minor;
        let total = quote.total.minor.checked_add(fee).unwrap_or(i64::MAX);
        if total > MAX_BASKET_MINOR {
            return Err(OrderError::field(
                "lines",
                "too_large",
                "the order total is too large",
            ));
        }
        let vat_total = quote.vat_total.minor + vat_included(fee, method.vat_rate_bp);
        let local_max = local_max_with(quote, &method);

        reserve_stock(conn, &offer, &basket)?;

        // the hub's next number this year, rolled back with the checkout if it fails
        let number = super::numbers::next(conn, &row.hub_id, crate::time::now())?;
        let local = local_part(conn, &row.hub_id, request.local_amount.as_ref(), local_max)?;
        let mut hold_id = None;
        if let Some(part) = &local {
            let owner = Owner::User(customer_id.clone());
            let kind = crate::ledger::kinds::AccountKind::MemberWallet;
            let Some(wallet) = crate::ledger::accounts::find_by_owner(
                conn,
                &owner,
                part.amount.currency.as_str(),
                kind,
                None,
            )?
            else {
                // not "insufficient funds": what to do is to open and top up a wallet
                return Err(OrderError::field(
                    "local_amount",
                    "no_wallet",
                    format!(
                        "you have no {} wallet: open one (POST /api/v1/me/wallets) and top it \
                         up, or pay this order in euros",
                        part.amount.currency
                    ),
                ));
            };
            // the hub must be able to take the currency (an approved professional: its
            // wallet opens); the hold is in favour of its holding account until settlement
            ops::wallet(
                conn,
                Owner::Enterprise(row.hub_id.clone().into()),
                part.amount.currency.as_str(),
            )?;
            let held = super::close::holding(conn, &row.hub_id, part.amount.currency.as_str())?;
            let expires =
                cycle.settles_at.unwrap_or(cycle.closes_at) + Duration::days(HOLD_GRACE_DAYS);
            let committed = holds::hold(
                conn,
                &EntryId::generate(),
                &wallet.id(),
                &held.id(),
                part.amount,
                Some(expires),
                &format!("order {number}"),
            )?;
            hold_id = Some(
                committed
                    .entry()
                    .transfers
                    .first()
                    .map(|t| t.id.clone())
                    .ok_or_else(|| OrderError::internal("a hold entry without its transfer"))?,
            );
        }
        let local_eur = local.as_ref().map_or(0, |p| p.eur.minor);
        let euro = total - local_eur;
        let tolerance = match request.weight_tolerance_percent {
            None => DEFAULT_WEIGHT_TOLERANCE_PERCENT,
            Some(p) if (0..=MAX_WEIGHT_TOLERANCE_PERCENT).contains(&p) => p,
            Some(_) => {
                return Err(OrderError::field(
                    "weight_tolerance_percent",
                    "out_of_range",
                    format!("must be 0 to {MAX_WEIGHT_TOLERANCE_PERCENT}"),
                ))
            }
        };
        let credit = match request.credit_amount.as_deref() {
            None => 0,
            Some(text) => {
                let minor = parse_amount(text, legal.scale, Sign::NonNegative)
                    .map_err(|e| OrderError::field("credit_amount", e.code(), e.to_string()))?;
                if minor > euro {
                    return Err(OrderError::field(
                        "credit_amount",
                        "above_euro_part",
                        format!(
                            "at most the part not paid in local currency, {} {}",
                            legal.money(euro).amount_string(),
                            legal.code
                        ),
                    ));
                }
                minor
            }
        };
        let euro_state = if credit > 0 && credit == euro {
            EuroState::Paid
        } else {
            payment::collector().open(euro)
        };

        let now = crate::time::now();
        let confirmed = OrderRow {
            number: Some(number),
            state: OrderState::Confirmed.as_str().into(),
            shipping_method_id: Some(method.id.clone()),
            items_total_minor: quote.items_total.minor,
            fees_total_minor: quote.fees_total.minor,
            shipping_fee_minor: fee,
            total_minor: total,
            vat_total_minor: vat_total,
            local_currency: local.as_ref().map(|p| p.amount.currency.to_string()),
            local_minor: local.as_ref().map_or(0, |p| p.amount.minor),
            local_held_minor: local.as_ref().map_or(0, |p| p.amount.minor),
            local_eur_minor: local_eur,
            euro_minor: euro,
            hold_id,
            euro_state: euro_state.as_str().into(),
            euro_received_minor: credit,
            credit_used_minor: credit,
            weight_tolerance_percent: tolerance,
            confirmed_at: Some(now),
            updated_at: now,
            ..row
        };
        let by_id = |id: &str| offer.iter().find(|o| o.variant.id == id);
        // the cart's lines (in position order) become the order's, priced as quoted
        for line in cart_lines.iter_mut() {
            let mut quoted = quote.lines.iter().zip(&priced.bases);
            let Some((q, base)) = quoted.find(|(q, _)| q.variant_id == line.variant_id) else {
                return Err(OrderError::internal("a cart line left out of its quote"));
            };
            let offered = by_id(&line.variant_id);
            line.producer_id = offered.map(|o| o.producer_id.clone());
            line.name = q.name.clone();
            line.unit = q.unit.clone();
            line.unit_price_minor = q.unit_price.minor;
            line.total_minor = q.total.minor;
            line.vat_rate_bp = offered.map_or(0, |o| o.variant.vat_rate_bp);
            line.vat_minor = q.vat.minor;
            line.local_share_percent = offered.map_or(0, |o| o.variant.local_share_percent);
            line.local_max_minor = q.local_max.minor;
            line.stock_reserved = offered.is_some_and(|o| !o.variant.on_demand);
            line.weight_grams = base.weight_grams;
        }
        let mut fee_rows = fees::order_fee_rows(&confirmed.id, &priced.fees);
        // the local part allocated as booking will (the close's preview sums it)
        let allocation = super::close::allocate_order(
            &confirmed,
            &mut cart_lines,
            &mut fee_rows,
            std::slice::from_ref(&method),
        )?;
        {
            let conn = conn.diesel();
            diesel::update(orders::table.find(&confirmed.id))
                .set(&confirmed)
                .execute(conn)?;
            crate::db::execute(
                conn,
                diesel::insert_into(order_fees::table).values(&fee_rows),
            )?;
            for line in &cart_lines {
                diesel::update(
                    order_lines::table
                        .filter(order_lines::order_id.eq(&confirmed.id))
                        .filter(order_lines::variant_id.eq(&line.variant_id)),
                )
                .set((
                    order_lines::producer_id.eq(&line.producer_id),
                    order_lines::name.eq(&line.name),
                    order_lines::unit.eq(&line.unit),
                    order_lines::unit_price_minor.eq(line.unit_price_minor),
                    order_lines::total_minor.eq(line.total_minor),
                    order_lines::vat_rate_bp.eq(line.vat_rate_bp),
                    order_lines::vat_minor.eq(line.vat_minor),
                    order_lines::local_share_percent.eq(line.local_share_percent),
                    order_lines::local_max_minor.eq(line.local_max_minor),
                    order_lines::local_alloc_minor.eq(line.local_alloc_minor),
                    order_lines::stock_reserved.eq(line.stock_reserved),
                    order_lines::weight_grams.eq(line.weight_grams),
                ))
                .execute(conn)?;
            }
            diesel::insert_into(order_allocations::table)
                .values(&allocation)
                .execute(conn)?;
            Ok::<_, diesel::result::Error>(())
        }?;
        super::refunds::use_credit(conn, &confirmed, credit)?;
        // the cycle's running sums count the order from now on (the last rows locked: the
        // mails below are new rows)
        Shift::confirmed(conn, &confirmed, &cart_lines, &fee_rows, &allocation)?;
        let view = order::view(conn, confirmed)?;
        super::mails::confirmed(conn, &view, &cycle.name, &method)?;
        Ok(view)
    })
}

/// The most of a basket priced as `quote` that may be paid in local currency (in minor units
/// of the legal currency) when handed over by `method`: the lines' and fees' shares, and the
/// method's share of its own fee.
fn local_max_with(quote: &quote::Quote, method: &ShippingMethodRow) -> i64 {
    quote.local_max.minor + share_floor(method.fee_minor, method.local_share_percent)
}

/// What [`checkout`] would make of `request` now, nothing kept: the same checks (the cycle
/// open, stock, the address, the wallet's funds, the credit) and the same numbers, in a
/// transaction rolled back whatever happens. The order it answers has no lasting number
/// (the one shown is the next free one) and nothing of it is stored, reserved, held or mailed.
/// For the "check your answers" page before a customer confirms.
pub fn preview(
    conn: &mut DbConn,
    cycle_id: &CycleId,
    customer_id: &UserId,
    request: &CheckoutRequest,
) -> Result<Order, OrderError> {
    /// Rolls the preview back (carrying nothing: the outcome is kept aside).
    struct RolledBack;
    impl From<diesel::result::Error> for RolledBack {
        fn from(_: diesel::result::Error) -> Self {
            RolledBack
        }
    }
    let mut outcome = None;
    let rolled = conn.transaction(|conn| {
        outcome = Some(checkout(conn, cycle_id, customer_id, request));
        Err::<(), RolledBack>(RolledBack)
    });
    match (outcome, rolled) {
        (Some(result), _) => result,
        (None, _) => Err(OrderError::internal(
            "the checkout preview could not start a transaction",
        )),
    }
}

/// How much a customer may pay in local currency at checkout, before choosing.
#[derive(Debug, Clone)]
pub struct LocalOffer {
    /// The local currency the hub accepts (the first one the customer has a wallet in, else
    /// the first one).
    pub currency: crate::money::CurrencyCode,
    /// The most, in that currency: the lines', fees' and method's local shares
    /// ([`checkout`]'s rule), converted at the currency's parity, and no more than the
    /// wallet's available balance; rounded down to what converts exactly.
    pub most: crate::money::Money,
    /// The wallet's available balance (balance less holds, without any overdraft); `None`
    /// without a wallet.
    pub available: Option<crate::money::Money>,
    /// The shares' maximum alone, in the legal currency.
    pub share_max: crate::money::Money,
}

/// The local-currency offer of the customer's cart in `cycle_id` with the method
/// `shipping_method_id` (none or unknown: the method with the smallest local share of its
/// fee, so the amount fits whichever is chosen). `None` when the hub accepts no local currency
/// orders can be paid in; an error when the cycle is not open, the cart is empty or a line no
/// longer offered.
pub fn local_offer(
    conn: &mut DbConn,
    cycle_id: &CycleId,
    customer_id: &UserId,
    shipping_method_id: Option<&str>,
) -> Result<Option<LocalOffer>, OrderError> {
    let cycle = cycles::find_open(conn, cycle_id)?;
    let Some(found) = cart::find(conn, cycle_id, customer_id)? else {
        return Err(state_conflict("the cart is empty".into()));
    };
    let basket = cart::request(conn, &found.id)?;
    if basket.lines.is_empty() {
        return Err(state_conflict("the cart is empty".into()));
    }
    let quote = quote::at_cycle(conn, cycle_id, &basket)?;
    let methods = shipping::for_cycle(conn, cycle_id)?;
    let method = shipping_method_id
        .and_then(|id| methods.iter().find(|m| m.id == id))
        .or_else(|| {
            methods
                .iter()
                .min_by_key(|m| share_floor(m.fee_minor, m.local_share_percent))
        });
    let share_max = match method {
        Some(m) => local_max_with(&quote, m),
        None => quote.local_max.minor,
    };
    let legal = currencies::legal(conn)?;
    let accepted = enterprises::accepted_currencies(conn, std::slice::from_ref(&cycle.hub_id))?;
    let codes = accepted.get(&cycle.hub_id).cloned().unwrap_or_default();
    let mut usable = Vec::new();
    for code in codes {
        let currency = match currencies::get(conn, &code) {
            Ok(c) => c,
            Err(crate::ledger::LedgerError::CurrencyNotFound(_)) => continue,
            Err(e) => return Err(e.into()),
        };
        // the currencies `local_part` accepts: local, a legal minor unit a whole number of it
        if !currency.is_local() || currency.from_legal_minor(legal, 1).is_err() {
            continue;
        }
        let wallet = crate::ledger::accounts::find_by_owner(
            conn,
            &Owner::User(customer_id.clone()),
            &code,
            crate::ledger::kinds::AccountKind::MemberWallet,
            None,
        )?;
        usable.push((currency, wallet));
    }
    let pick = usable
        .iter()
        .position(|(_, w)| w.is_some())
        .or_else(|| (!usable.is_empty()).then_some(0));
    let Some(pick) = pick else {
        return Ok(None);
    };
    let (currency, wallet) = usable.swap_remove(pick);
    let per_legal_minor = currency.from_legal_minor(legal, 1)?;
    let by_shares = currency.from_legal_minor(legal, share_max)?;
    let available = wallet.as_ref().map(|w| w.balance() - w.debits_pending);
    // what a hold may take: the available balance and the wallet's overdraft, if any
    let spendable = wallet.as_ref().map_or(0, |w| {
        (w.balance() - w.debits_pending).saturating_add(w.overdraft_limit.unwrap_or(0))
    });
    let most = by_shares.min(spendable).max(0);
    // down to a whole number of the legal currency's minor units (converts back exactly)
    let most = most - most % per_legal_minor.max(1);
    Ok(Some(LocalOffer {
        most: currency.money(most)?,
        available: available.map(|a| currency.money(a)).transpose()?,
        currency: currency.code()?,
        share_max: legal.money(share_max),
    }))
}

/// Whether the customer may still cancel `row` themselves ([`cancel`] with
/// [`Canceller::Customer`]): a confirmed order, not settled, its cycle still open.
pub fn customer_may_cancel(conn: &mut DbConn, row: &OrderRow) -> Result<bool, OrderError> {
    if row.state()? != OrderState::Confirmed || row.booked_at.is_some() {
        return Ok(false);
    }
    let cycle = cycles::find_row(conn, &row.order_cycle_id)?;
    Ok(cycle.state(crate::time::now()) == cycles::CycleState::Open)
}

/// The cycle's method `id`, or a field error.
fn shipping_method(
    conn: &mut DbConn,
    cycle_id: &str,
    id: &str,
) -> Result<ShippingMethodRow, OrderError> {
    let methods = shipping::for_cycle(conn, cycle_id)?;
    if methods.is_empty() {
        return Err(state_conflict(
            "this cycle has no pickup or delivery method yet: the hub must add one".into(),
        ));
    }
    methods.into_iter().find(|m| m.id == id).ok_or_else(|| {
        OrderError::field(
            "shipping_method_id",
            "unknown",
            "is not a pickup or delivery method of this cycle",
        )
    })
}

/// Takes each stocked line's quantity from its variant, in variant id order.
fn reserve_stock(
    conn: &mut DbConn,
    offer: &[OfferedVariant],
    basket: &QuoteRequest,
) -> Result<(), OrderError> {
    let mut lines: Vec<_> = basket.lines.iter().collect();
    lines.sort_by(|a, b| a.variant_id.cmp(&b.variant_id));
    let now = crate::time::now();
    for line in lines {
        let Some(offered) = offer.iter().find(|o| o.variant.id == line.variant_id) else {
            continue; // priced above: cannot happen
        };
        if offered.variant.on_demand {
            continue;
        }
        let taken = diesel::update(
            variants::table
                .filter(variants::id.eq(&line.variant_id))
                .filter(variants::on_demand.eq(false))
                .filter(variants::stock_on_hand.ge(line.quantity)),
        )
        .set((
            variants::stock_on_hand.eq(variants::stock_on_hand - line.quantity),
            variants::updated_at.eq(now),
        ))
        .execute(conn.diesel())?;
        if taken == 0 {
            let left: Option<i64> = variants::table
                .find(&line.variant_id)
                .select(variants::stock_on_hand)
                .first(conn.diesel())?;
            return Err(OrderError::OutOfStock(format!(
                "not enough {} ({}): {} left, {} requested; lower the quantity in the cart",
                offered.product_name,
                offered.variant.display_name,
                left.unwrap_or(0).max(0),
                line.quantity
            )));
        }
    }
    Ok(())
}

/// Gives back what checkout took from stock.
fn release_stock(conn: &mut DbConn, order_id: &str) -> Result<(), OrderError> {
    let mut lines = order::lines(conn, order_id)?;
    lines.sort_by(|a, b| a.variant_id.cmp(&b.variant_id));
    let now = crate::time::now();
    for line in lines.iter().filter(|l| l.stock_reserved) {
        diesel::update(
            variants::table
                .filter(variants::id.eq(&line.variant_id))
                .filter(variants::stock_on_hand.is_not_null()),
        )
        .set((
            variants::stock_on_hand.eq(variants::stock_on_hand + line.quantity),
            variants::updated_at.eq(now),
        ))
        .execute(conn.diesel())?;
    }
    Ok(())
}

/// The local-currency part as chosen: the amount (in the local currency) and its euro value.
struct LocalPart {
    amount: Amount,
    eur: Amount,
}

fn local_part(
    conn: &mut DbConn,
    hub_id: &str,
    input: Option<&AmountInput>,
    local_max: i64,
) -> Result<Option<LocalPart>, OrderError> {
    let Some(input) = input else {
        return Ok(None);
    };
    let legal = currencies::legal(conn)?;
    let code = input.currency.as_str().to_string();
    let accepted = enterprises::accepted_currencies(conn, &[hub_id.to_string()])?;
    let currency = match currencies::get(conn, &code) {
        Ok(currency) => Some(currency),
        Err(crate::ledger::LedgerError::CurrencyNotFound(_)) => None,
        Err(e) => return Err(e.into()),
    };
    let currency = currency.filter(|c| {
        c.is_local()
            && accepted
                .get(hub_id)
                .is_some_and(|codes| codes.contains(&code))
    });
    let Some(currency) = currency else {
        return Err(OrderError::field(
            "local_amount.currency",
            "not_accepted",
            format!("the hub does not accept {code} as a local currency"),
        ));
    };
    // orders split, adjust and settle in minor units of the legal currency: one must be a
    // whole number of the local currency's units (true at parity 1 with as many decimals or
    // more), so that every split converts back exactly
    if currency.from_legal_minor(legal, 1).is_err() {
        return Err(OrderError::field(
            "local_amount.currency",
            "not_accepted",
            format!(
                "{code} cannot pay orders: a minor unit of {} is not a whole number of its \
                 units (parity {}, {} decimals)",
                legal.code,
                currency.parity_to_eur.as_deref().unwrap_or("1"),
                currency.scale
            ),
        ));
    }
    let minor = parse_amount(&input.amount, currency.decimals(), Sign::NonNegative)
        .map_err(|e| OrderError::field("local_amount.amount", e.code(), e.to_string()))?;
    let amount = Amount::new(minor, input.currency);
    if amount.is_zero() {
        return Ok(None);
    }
    let eur = currency
        .to_legal(legal, amount)
        .map_err(|e| OrderError::field("local_amount.amount", "not_convertible", e.to_string()))?;
    if eur.minor > local_max {
        return Err(OrderError::field(
            "local_amount.amount",
            "above_local_max",
            format!(
                "at most {} {} of this order may be paid in local currency",
                legal.money(local_max).amount_string(),
                legal.code
            ),
        ));
    }
    Ok(Some(LocalPart { amount, eur }))
}

/// Who cancels: the customer may while the cycle is open; the hub (its managers) until the
/// cycle's settlement books the order — between the close and the settlement too, when it
/// cannot deliver. The caller (the API's policy) says which.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Canceller {
    Customer,
    Hub,
}

/// Cancels a confirmed order: stock given back, the hold voided, the customer credit it used
/// given back to credit. Euros already paid stay owed back to the customer until the hub
/// refunds them or turns them into credit ([`super::refunds`]).
pub fn cancel(
    conn: &mut DbConn,
    order_id: &OrderId,
    reason: &str,
    by: Canceller,
) -> Result<Order, OrderError> {
    conn.transaction(|conn| {
        let row = order::lock(conn, order_id)?;
        if row.state()? != OrderState::Confirmed {
            return Err(state_conflict(format!(
                "order {} is {}: only a confirmed order can be cancelled",
                row.number.as_deref().unwrap_or(&row.id),
                row.state
            )));
        }
        let cycle = match by {
            Canceller::Customer => cycles::find_open_for_order(conn, &row.order_cycle_id)?,
            Canceller::Hub => cycles::find_unsettled_for_order(conn, &row.order_cycle_id)?,
        };
        if row.booked_at.is_some() {
            return Err(state_conflict(format!(
                "order {} is settled: it can no longer be cancelled",
                row.number.as_deref().unwrap_or(&row.id),
            )));
        }
        let uncounted = Shift::before(conn, vec![row.id.clone()])?;
        release_stock(conn, &row.id)?;
        if let Some(hold) = &row.hold_id {
            holds::void_hold(
                conn,
                &EntryId::generate(),
                &TransferId::from(hold),
                &format!("order {} cancelled", row.number.as_deref().unwrap_or("")),
            )?;
        }
        let now = crate::time::now();
        let euro_state = if row.net_received() > 0 {
            EuroState::Paid
        } else {
            match EuroState::parse(&row.euro_state)? {
                EuroState::Due => EuroState::Cancelled,
                other => other,
            }
        };
        let cancelled = OrderRow {
            state: OrderState::Cancelled.as_str().into(),
            euro_state: euro_state.as_str().into(),
            cancelled_at: Some(now),
            updated_at: now,
            ..row
        };
        diesel::update(orders::table.find(&cancelled.id))
            .set(&cancelled)
            .execute(conn.diesel())?;
        let cancelled = super::refunds::return_credit(conn, cancelled)?;
        let view = order::view(conn, cancelled)?;
        super::mails::cancelled(conn, &view, &cycle.name, reason)?;
        // the cycle's running sums no longer count it (last: see `Shift::apply`)
        uncounted.apply(conn)?;
        Ok(view)
    })
}

/// The hub records that a booked order was handed over (picked up or delivered): it becomes
/// `fulfilled`. Only once the cycle's close has booked it.
pub fn fulfil(conn: &mut DbConn, order_id: &OrderId) -> Result<Order, OrderError> {
    conn.transaction(|conn| {
        let row = order::lock(conn, order_id)?;
        if row.state()? != OrderState::Confirmed || row.booked_at.is_none() {
            return Err(state_conflict(format!(
                "order {} is {}{}: only a confirmed order booked by the cycle's close can be \
                 fulfilled",
                row.number.as_deref().unwrap_or(&row.id),
                row.state,
                if row.booked_at.is_none() {
                    ", not booked yet"
                } else {
                    ""
                }
            )));
        }
        let now = crate::time::now();
        let fulfilled = OrderRow {
            state: OrderState::Fulfilled.as_str().into(),
            updated_at: now,
            ..row
        };
        diesel::update(orders::table.find(&fulfilled.id))
            .set(&fulfilled)
            .execute(conn.diesel())?;
        order::view(conn, fulfilled)
    })
}

/// The hub records that the euro part was paid (at pickup or by transfer): what is still due
/// (the euro part less what was received before) moves from the hub's clearing to its
/// receivable.
pub fn mark_euro_paid(conn: &mut DbConn, order_id: &OrderId) -> Result<Order, OrderError> {
    conn.transaction(|conn| {
        let row = order::lock(conn, order_id)?;
        let state = row.state()?;
        if !matches!(state, OrderState::Confirmed | OrderState::Fulfilled)
            || EuroState::parse(&row.euro_state)? != EuroState::Due
        {
            return Err(state_conflict(format!(
                "order {} has no euro part due (order {}, euros {})",
                row.number.as_deref().unwrap_or(&row.id),
                row.state,
                row.euro_state
            )));
        }
        // the euros reach the hub's bank or till: its clearing pays the customer's debt
        let clearing = super::close::euro_clearing(conn, &row.hub_id)?;
        let receivable = super::close::receivable(conn, &row.hub_id)?;
        let number = row.number.clone().unwrap_or_default();
        let received = row.euro_minor - row.net_received();
        let now = crate::time::now();
        if received > 0 {
            let entry_id = crate::ledger::journal::derived_id(&format!(
                "order:euro-paid:{}:{}:{}",
                row.id, row.euro_minor, row.euro_received_minor
            ));
            crate::ledger::group::commit(
                conn,
                &crate::ledger::journal::EntryRequest {
                    audit: None,
                    id: entry_id.clone(),
                    code: "receipt".into(),
                    reference: format!("order {number}"),
                    description: format!("euro part of order {number} received"),
                    request_hash: crate::ledger::journal::request_hash(&[
                        "receipt",
                        &row.id,
                        &received.to_string(),
                    ]),
                    reverses_entry_id: None,
                    transfers: vec![posted(&clearing, &receivable, clearing.amount(received)?)],
                },
            )?;
            // the receipt as a fact of the order (the hub's books read it)
            crate::db::execute(
                conn.diesel(),
                diesel::insert_into(order_receipts::table)
                    .values((
                        order_receipts::entry_id.eq(&entry_id),
                        order_receipts::order_id.eq(&row.id),
                        order_receipts::hub_id.eq(&row.hub_id),
                        order_receipts::amount_minor.eq(received),
                        order_receipts::received_at.eq(now),
                    ))
                    .on_conflict_do_nothing(),
            )?;
        }
        let paid = OrderRow {
            euro_state: EuroState::Paid.as_str().into(),
            euro_received_minor: row.euro_received_minor + received.max(0),
            euro_paid_at: Some(now),
            updated_at: now,
            ..row
        };
        diesel::update(orders::table.find(&paid.id))
            .set(&paid)
            .execute(conn.diesel())?;
        order::view(conn, paid)
    })
}
