//! Weighed items: before the cycle closes, the hub records what was really delivered of a
//! line (a cheese sold "about 500 g" weighs 430 g), and the order is priced again. The close
//! then captures less than was held.
//!
//! Rules (one transaction, the order row locked):
//! - only a confirmed order of an open cycle; by the hub's managers;
//! - the delivered quantity is given in units with up to 3 decimals (`"0.86"` of a 500 g
//!   piece), from 0 to the quantity ordered: **never more** — the customer's hold and stock
//!   were taken for what was ordered. Setting it again replaces the earlier value;
//! - the line total becomes `unit price × delivered`, half-up to the cent; its VAT and local
//!   maximum follow the usual line rules ([`super::quote`]); the weight counted by per-kg
//!   fees shrinks in proportion, and the order's fees are computed again from the same
//!   cycle fees ([`super::fees`]); the pickup or delivery fee does not change;
//! - the payment split: while the euro part is not paid, the local part is the part chosen
//!   at checkout (what is held) unless that now exceeds the order's local maximum or total
//!   (then it is lowered to fit) — so correcting a mistaken weight brings it back — and the
//!   euro part is the rest. Once the euro part is marked paid it is kept, and the local part
//!   takes the change; an adjustment that would need euros refunded is refused (Comptoir
//!   does not record euro refunds yet);
//! - the fees are those in force at checkout (the cycle's fees created before it), so a fee
//!   that came to zero comes back when a correction makes it due again;
//! - stock is not given back: the goods were packed.

use diesel::prelude::*;

use super::cycles;
use super::fees::{self, ChargedTo, CycleFeeRow, FeeBase};
use super::order::{self, EuroState, Order, OrderRow, OrderState};
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
    /// Units delivered, up to 3 decimals, at most the quantity ordered (e.g. "0.86").
    pub delivered: String,
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
        cycles::find_open_for_order(conn, &row.order_cycle_id)?;
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
            match parse_amount(&wanted.delivered, 3, Sign::NonNegative) {
                Ok(milli) if milli <= line.quantity * 1000 => line.delivered_milli = Some(milli),
                Ok(_) => errors.push(FieldError::new(
                    format!("lines[{i}].delivered"),
                    "above_ordered",
                    format!("at most the {} ordered", line.quantity),
                )),
                Err(e) => errors.push(FieldError::new(
                    format!("lines[{i}].delivered"),
                    e.code(),
                    e.to_string(),
                )),
            }
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
        let euro_state = EuroState::parse(&row.euro_state)?;
        let (local_eur, euro) = if euro_state == EuroState::Paid {
            let local_eur = total - row.euro_minor;
            if local_eur < 0 || local_eur > local_max.min(held_eur) {
                return Err(conflict(format!(
                    "the euro part of order {} is paid and this adjustment would need euros \
                     refunded or more local currency than held; Comptoir does not record euro \
                     refunds yet",
                    row.number.as_deref().unwrap_or(&row.id)
                )));
            }
            (local_eur, row.euro_minor)
        } else {
            let local_eur = held_eur.min(local_max).min(total);
            (local_eur, total - local_eur)
        };
        let local_minor = match &currency {
            Some(c) if local_eur > 0 => c.from_legal_minor(legal, local_eur)?,
            _ => 0,
        };
        let euro_state = match euro_state {
            EuroState::Paid => EuroState::Paid,
            _ if euro > 0 => EuroState::Due,
            _ => EuroState::None,
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
            euro_state: euro_state.as_str().into(),
            adjusted_at: Some(now),
            updated_at: now,
            ..row
        };
        let fee_rows = fees::order_fee_rows(&adjusted.id, &computed);
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
                    order_lines::total_minor.eq(line.total_minor),
                    order_lines::vat_minor.eq(line.vat_minor),
                    order_lines::local_max_minor.eq(line.local_max_minor),
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
        order::view(conn, adjusted)
    })
}
