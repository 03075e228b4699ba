//! What was really delivered: between checkout and the cycle's settlement — before the
//! close and after it, when the hub packs — the hub records the weight of a weighed line (a
//! cheese sold "about 500 g" weighs 430 g), marks a line missing, or substituted (with a
//! note saying by what), and the order is priced again. The settlement then captures what
//! it now costs.
//!
//! Rules (one transaction, the order row locked):
//! - only a confirmed order not yet booked, of a cycle open or closed and not settled
//!   ([`super::cycles::find_unsettled_for_order`]); by the hub's owners, managers and
//!   cashiers;
//! - the delivered quantity is given in units with up to 3 decimals (`"0.86"` of a 500 g
//!   piece), from 0 up to the quantity ordered plus the tolerance the customer accepted at
//!   checkout (`weight_tolerance_percent`, 10 % unless they chose otherwise): a piece may
//!   weigh a little more, never more than that. Setting it again replaces the earlier value;
//! - `missing` sets the line to nothing delivered; `substituted` needs a note (what was
//!   given instead) and keeps the line's price and producer, with the quantity given (the
//!   ordered one by default): a substitute is the same producer's goods at the ordered
//!   price or less. A line with neither is delivered as ordered or weighed;
//! - the line total becomes `unit price × delivered`, half-up to the cent; its VAT and local
//!   maximum follow the usual line rules ([`super::quote`]); the weight counted by per-kg
//!   fees follows the quantity, and the order's fees are computed again from the same
//!   cycle fees ([`super::fees`]); the pickup or delivery fee does not change;
//! - the payment split: the local part is the part chosen at checkout (what is held) unless
//!   that now exceeds the order's local maximum or total (then it is lowered to fit) — so
//!   correcting a mistaken weight brings it back; a hold never captures more than it holds,
//!   so an order weighed up takes the difference in euros. The euro part is the rest: when
//!   the hub holds less than it, the euros are due (again); when it holds more (paid, then
//!   weighed down or a line missing), the difference is owed back to the customer, to
//!   refund or turn into credit ([`super::refunds`]);
//! - the fees are those in force at checkout (the cycle's fees created before it), so a fee
//!   that came to zero comes back when a correction makes it due again;
//! - stock is not given back: the goods were packed.

use diesel::prelude::*;

use super::close::sums::Shift;
use super::cycles;
use super::fees::{self, ChargedTo, CycleFeeRow, FeeBase};
use super::order::{self, Order, OrderRow, OrderState};
use super::quote::{mul_div_half_up, share_floor, vat_included};
use super::shipping;
use crate::db::schema::{cycle_fees, order_fees, order_lines, orders};
use crate::db::DbConn;
use crate::error::FieldError;
use crate::ledger::currencies;
use crate::money::{parse_amount, Sign};
use crate::orders::OrderError;

/// What was delivered of some lines of an order.
#[derive(Debug, Clone)]
pub struct AdjustRequest {
    pub lines: Vec<DeliveredLine>,
}

#[derive(Debug, Clone)]
pub struct DeliveredLine {
    pub variant_id: String,
    /// Units delivered, up to 3 decimals, at most the quantity ordered plus the tolerance
    /// (e.g. "0.86"); absent: nothing for a missing line, the quantity ordered otherwise.
    pub delivered: Option<String>,
    /// What the hub found: missing, substituted, or (absent) delivered.
    pub status: Option<LineStatus>,
    /// Required for a substituted line: what was given instead (up to 200 characters).
    pub note: Option<String>,
}

/// What the hub found of a line when packing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineStatus {
    Missing,
    Substituted,
}

impl LineStatus {
    pub const ALL: &'static [LineStatus] = &[LineStatus::Missing, LineStatus::Substituted];

    pub fn as_str(self) -> &'static str {
        match self {
            LineStatus::Missing => "missing",
            LineStatus::Substituted => "substituted",
        }
    }
}

fn conflict(detail: String) -> OrderError {
    OrderError::OrderState(detail)
}

/// Records delivered quantities and prices the order again (see the module documentation).
pub fn adjust(
    conn: &mut DbConn,
    order_id: &str,
    request: &AdjustRequest,
) -> Result<Order, OrderError> {
    if request.lines.is_empty() || request.lines.len() > super::quote::MAX_LINES {
        return Err(OrderError::field(
            "lines",
            "out_of_range",
            "must hold at least one line",
        ));
    }
    conn.transaction(|conn| {
        let row = order::lock(conn, order_id)?;
        if row.state()? != OrderState::Confirmed {
            return Err(conflict(format!(
                "order {} is {}: only a confirmed order can be adjusted",
                row.number.as_deref().unwrap_or(&row.id),
                row.state
            )));
        }
        if row.booked_at.is_some() {
            return Err(conflict(format!(
                "order {} is settled: its lines are final",
                row.number.as_deref().unwrap_or(&row.id)
            )));
        }
        cycles::find_unsettled_for_order(conn, &row.order_cycle_id)?;
        let counted = Shift::before(conn, vec![row.id.clone()])?;
        let tolerance = i64::from(row.weight_tolerance_percent.clamp(0, 100));
        let mut lines = order::lines(conn, &row.id)?;
        let mut errors = Vec::new();
        for (i, wanted) in request.lines.iter().enumerate() {
            let Some(line) = lines.iter_mut().find(|l| l.variant_id == wanted.variant_id) else {
                errors.push(FieldError::new(
                    format!("lines[{i}].variant_id"),
                    "not_in_order",
                    "is not a line of this order",
                ));
                continue;
            };
            let note = wanted.note.as_deref().map(str::trim).unwrap_or("");
            if note.chars().count() > 200 {
                errors.push(FieldError::new(
                    format!("lines[{i}].note"),
                    "too_long",
                    "must be at most 200 characters",
                ));
            }
            if wanted.status == Some(LineStatus::Substituted) && note.is_empty() {
                errors.push(FieldError::new(
                    format!("lines[{i}].note"),
                    "required",
                    "say what was given instead",
                ));
            }
            let most = line.quantity * 1000 * (100 + tolerance) / 100;
            let delivered = match (&wanted.delivered, wanted.status) {
                (Some(text), _) => match parse_amount(text, 3, Sign::NonNegative) {
                    Ok(milli) if milli <= most => Some(milli),
                    Ok(_) => {
                        errors.push(FieldError::new(
                            format!("lines[{i}].delivered"),
                            "above_ordered",
                            format!(
                                "at most the {} ordered plus the {tolerance} % the customer \
                                 accepted ({})",
                                line.quantity,
                                rust_decimal::Decimal::new(most, 3).normalize()
                            ),
                        ));
                        None
                    }
                    Err(e) => {
                        errors.push(FieldError::new(
                            format!("lines[{i}].delivered"),
                            e.code(),
                            e.to_string(),
                        ));
                        None
                    }
                },
                (None, Some(LineStatus::Missing)) => Some(0),
                (None, _) => None,
            };
            if wanted.status == Some(LineStatus::Missing) && delivered.is_some_and(|m| m != 0) {
                errors.push(FieldError::new(
                    format!("lines[{i}].delivered"),
                    "missing_line",
                    "a missing line delivers nothing: leave delivered out or give 0",
                ));
            }
            line.delivered_milli = delivered;
            line.delivery_status = wanted.status.map(|s| s.as_str().to_string());
            line.delivery_note = note.to_string();
        }
        if !errors.is_empty() {
            return Err(OrderError::invalid(errors));
        }

        let mut bases = Vec::with_capacity(lines.len());
        for line in &mut lines {
            let ordered_milli = line.quantity * 1000;
            let milli = line.delivered_milli.unwrap_or(ordered_milli);
            line.total_minor = mul_div_half_up(line.unit_price_minor, milli, 1000);
            line.vat_minor = vat_included(line.total_minor, line.vat_rate_bp);
            line.local_max_minor = share_floor(line.total_minor, line.local_share_percent);
            bases.push(FeeBase {
                producer_id: line.producer_id.clone().unwrap_or_default(),
                total: line.total_minor,
                quantity_milli: milli,
                weight_grams: mul_div_half_up(line.weight_grams, milli, ordered_milli.max(1)),
            });
        }
        let checked_out = row.confirmed_at.unwrap_or(row.created_at);
        let cycle_fee_rows: Vec<CycleFeeRow> = cycle_fees::table
            .filter(cycle_fees::order_cycle_id.eq(&row.order_cycle_id))
            .filter(cycle_fees::created_at.le(checked_out))
            .order((cycle_fees::created_at.asc(), cycle_fees::id.asc()))
            .select(CycleFeeRow::as_select())
            .load(conn.diesel())?;
        let computed = fees::compute(&cycle_fee_rows, &bases)?;
        let customer = || {
            computed
                .iter()
                .filter(|f| f.charged_to == ChargedTo::Customer)
        };

        let method = match &row.shipping_method_id {
            Some(id) => shipping::for_cycle(conn, &row.order_cycle_id)?
                .into_iter()
                .find(|m| &m.id == id),
            None => None,
        };
        let (ship_vat, ship_local_max) = method.as_ref().map_or((0, 0), |m| {
            (
                vat_included(row.shipping_fee_minor, m.vat_rate_bp),
                share_floor(row.shipping_fee_minor, m.local_share_percent),
            )
        });
        let items_total: i64 = lines.iter().map(|l| l.total_minor).sum();
        let fees_total: i64 = customer().map(|f| f.amount).sum();
        let total = items_total + fees_total + row.shipping_fee_minor;
        let vat_total = lines.iter().map(|l| l.vat_minor).sum::<i64>()
            + customer().map(|f| f.vat).sum::<i64>()
            + ship_vat;
        let local_max = lines.iter().map(|l| l.local_max_minor).sum::<i64>()
            + customer().map(|f| f.local_max).sum::<i64>()
            + ship_local_max;

        let currency = match &row.local_currency {
            Some(code) => Some(currencies::get(conn, code)?),
            None => None,
        };
        let legal = currencies::legal(conn)?;
        let held_eur = match &currency {
            Some(c) => c.to_legal_minor(legal, row.local_held_minor)?,
            None => 0,
        };
        // the local part as held, lowered to fit; the euro part is the rest
        let local_eur = held_eur.min(local_max).min(total);
        let euro = total - local_eur;
        let local_minor = match &currency {
            Some(c) if local_eur > 0 => c.from_legal_minor(legal, local_eur)?,
            _ => 0,
        };
        let now = crate::time::now();
        let adjusted = OrderRow {
            items_total_minor: items_total,
            fees_total_minor: fees_total,
            total_minor: total,
            vat_total_minor: vat_total,
            local_minor,
            local_eur_minor: local_eur,
            euro_minor: euro,
            adjusted_at: Some(now),
            updated_at: now,
            ..row
        };
        let adjusted = OrderRow {
            euro_state: adjusted.euro_state_due().as_str().into(),
            ..adjusted
        };
        let mut fee_rows = fees::order_fee_rows(&adjusted.id, &computed);
        // the local part allocated anew, as booking will (the close's preview sums it)
        let allocation =
            super::close::allocate_order(&adjusted, &mut lines, &mut fee_rows, method.as_slice())?;
        {
            let conn = conn.diesel();
            for line in &lines {
                diesel::update(
                    order_lines::table
                        .filter(order_lines::order_id.eq(&line.order_id))
                        .filter(order_lines::variant_id.eq(&line.variant_id)),
                )
                .set((
                    order_lines::delivered_milli.eq(line.delivered_milli),
                    order_lines::delivery_status.eq(&line.delivery_status),
                    order_lines::delivery_note.eq(&line.delivery_note),
                    order_lines::total_minor.eq(line.total_minor),
                    order_lines::vat_minor.eq(line.vat_minor),
                    order_lines::local_max_minor.eq(line.local_max_minor),
                    order_lines::local_alloc_minor.eq(line.local_alloc_minor),
                ))
                .execute(conn)?;
            }
            diesel::delete(order_fees::table.filter(order_fees::order_id.eq(&adjusted.id)))
                .execute(conn)?;
            crate::db::execute(
                conn,
                diesel::insert_into(order_fees::table).values(&fee_rows),
            )?;
            diesel::update(orders::table.find(&adjusted.id))
                .set(&adjusted)
                .execute(conn)?;
            Ok::<_, diesel::result::Error>(())
        }?;
        super::close::store_allocation(conn, &allocation)?;
        // the cycle's running sums count the order as it is now (last: see `Shift::apply`)
        counted.apply(conn)?;
        order::view(conn, adjusted)
    })
}
