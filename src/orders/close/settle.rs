//! Step 3 of the close, settling: load the cycle's sums, [`plan::settlement`] them (pure),
//! commit the payments and the fees' VAT as one ledger batch.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel::sql_types::Text;

use super::super::cycles::{self, OrderCycleRow};
use super::super::order::OrderState;
use super::book::booking_failed;
use super::{account_of, euro_clearing, holding, hub_account, plan, SettlementRow};
use crate::db::schema::{enterprise_currencies, order_cycles, orders, producer_settlements};
use crate::db::DbConn;
use crate::ledger::accounts::{AccountKind, AccountRow, Owner};
use crate::ledger::currencies;
use crate::ledger::journal::{self, EntryRequest};
use crate::ledger::rules::posted;
use crate::ledger::{group, ops};
use crate::orders::OrderError;

pub(super) const GOODS: &str = "SELECT l.producer_id AS producer_id, o.local_currency AS currency,
        CAST(COALESCE(SUM(l.total_minor), 0) AS BIGINT) AS total,
        CAST(COALESCE(SUM(l.local_alloc_minor), 0) AS BIGINT) AS local
    FROM order_lines l JOIN orders o ON o.id = l.order_id
    WHERE o.order_cycle_id = $1 AND o.booked_at IS NOT NULL
    GROUP BY l.producer_id, o.local_currency";

pub(super) const PRODUCER_FEES: &str =
    "SELECT f.producer_id AS producer_id, o.local_currency AS currency,
        CAST(COALESCE(SUM(f.amount_minor), 0) AS BIGINT) AS total,
        CAST(COALESCE(SUM(f.local_alloc_minor), 0) AS BIGINT) AS local
    FROM order_fees f JOIN orders o ON o.id = f.order_id
    WHERE o.order_cycle_id = $1 AND o.booked_at IS NOT NULL AND f.charged_to = 'producer'
    GROUP BY f.producer_id, o.local_currency";

/// VAT of every fee of the cycle (`total`) and its part paid in local currency (`local`).
pub(super) const FEE_VAT: &str = "SELECT NULL AS producer_id, o.local_currency AS currency,
        CAST(COALESCE(SUM(f.vat_minor), 0) AS BIGINT) AS total,
        CAST(COALESCE(SUM(f.vat_local_minor), 0) AS BIGINT) AS local
    FROM order_fees f JOIN orders o ON o.id = f.order_id
    WHERE o.order_cycle_id = $1 AND o.booked_at IS NOT NULL
    GROUP BY o.local_currency";

pub(super) fn sums(
    conn: &mut DbConn,
    sql: &'static str,
    cycle_id: &str,
) -> Result<Vec<plan::Sums>, OrderError> {
    Ok(diesel::sql_query(sql)
        .bind::<Text, _>(cycle_id)
        .load::<plan::Sums>(conn.diesel())?)
}

/// Plans the settlement of `cycle` from its sums ([`plan::settlement`]): what each producer
/// takes, the cycle's currencies and policy read here. Reads only.
pub(super) fn plan_of(
    conn: &mut DbConn,
    cycle: &OrderCycleRow,
    goods: &[plan::Sums],
    producer_fees: &[plan::Sums],
    fee_vat: &[plan::Sums],
) -> Result<(plan::Settlement, crate::deployment::Legal), OrderError> {
    let producer_ids: Vec<String> = {
        let mut ids: Vec<String> = goods.iter().filter_map(|g| g.producer_id.clone()).collect();
        ids.sort();
        ids.dedup();
        ids
    };
    let accepted: Vec<(String, String)> = enterprise_currencies::table
        .filter(enterprise_currencies::enterprise_id.eq_any(&producer_ids))
        // a producer not approved (or suspended) in a local currency is paid in the legal one
        .filter(enterprise_currencies::state.eq("approved"))
        .select((
            enterprise_currencies::enterprise_id,
            enterprise_currencies::currency_code,
        ))
        .load(conn.diesel())?;
    let legal = currencies::legal(conn)?;
    let mut local_currencies = HashMap::new();
    for code in goods
        .iter()
        .chain(fee_vat)
        .filter_map(|s| s.currency.as_ref())
    {
        if !local_currencies.contains_key(code) {
            local_currencies.insert(code.clone(), currencies::get(conn, code)?);
        }
    }
    let planned = plan::settlement(&plan::SettlementInput {
        pay_local: cycle.producer_settlement == "as_paid",
        goods,
        producer_fees,
        fee_vat,
        accepted: &accepted,
        currencies: &local_currencies,
        legal,
    })
    .map_err(|e| match e {
        plan::PlanError::Ledger(e) => OrderError::from(e),
        other => OrderError::internal(format!("settling cycle {}: {other}", cycle.id)),
    })?;
    Ok((planned, legal))
}

/// Step 3 (one transaction): pays the producers and books the fees' VAT; returns the cycle
/// and whether this run settled it.
pub(super) fn settle(
    conn: &mut DbConn,
    cycle_id: &str,
) -> Result<(OrderCycleRow, bool), OrderError> {
    crate::db::lock_row(conn, "order_cycles", cycle_id)?;
    let cycle = cycles::find_row(conn, cycle_id)?;
    if cycle.settled_at.is_some() {
        return Ok((cycle, false));
    }
    // a concurrent close may still be booking: settle only once every order is booked
    let unbooked: i64 = orders::table
        .filter(orders::order_cycle_id.eq(cycle_id))
        .filter(orders::state.eq(OrderState::Confirmed.as_str()))
        .filter(orders::booked_at.is_null())
        .count()
        .get_result(conn.diesel())?;
    if unbooked > 0 {
        return Err(OrderError::OrderState(format!(
            "{unbooked} orders of cycle `{}` are still being booked by another close; \
                 try again in a moment",
            cycle.name
        )));
    }
    // load, plan
    let goods = sums(conn, GOODS, cycle_id)?;
    let producer_fees = sums(conn, PRODUCER_FEES, cycle_id)?;
    let fee_vat = sums(conn, FEE_VAT, cycle_id)?;
    let (planned, legal) = plan_of(conn, &cycle, &goods, &producer_fees, &fee_vat)?;
    // commit
    let hub_id = cycle.hub_id.clone();
    let mut hub_wallets: HashMap<String, AccountRow> = HashMap::new();
    let mut holdings: HashMap<String, AccountRow> = HashMap::new();
    // what leaves the holding accounts, per currency: the rest of the cycle's money there is
    // the hub's
    let mut paid_out: HashMap<String, i64> = HashMap::new();
    let mut requests = Vec::new();
    let mut settlement_rows = Vec::new();
    let now = crate::time::now();
    let clearing = if planned
        .producers
        .iter()
        .any(|(_, payouts)| payouts.iter().any(|p| p.from_clearing.is_positive()))
    {
        Some(euro_clearing(conn, &hub_id)?)
    } else {
        None
    };
    for (producer, payouts) in &planned.producers {
        // a producer-hub's own goods: the money is in its wallets already
        let is_hub = *producer == hub_id;
        let id = journal::derived_id(&format!("close:settle:{cycle_id}:{producer}"));
        let mut transfers = Vec::new();
        let mut hash_parts = vec![
            "settle".to_string(),
            cycle_id.to_string(),
            producer.to_string(),
        ];
        for payout in payouts {
            let code = payout.paid.currency.as_str();
            hash_parts.push(format!("{code}:{}", payout.paid.minor));
            settlement_rows.push(SettlementRow {
                order_cycle_id: cycle_id.into(),
                producer_id: producer.to_string(),
                currency: code.to_string(),
                goods_minor: payout.goods.minor,
                fees_minor: payout.fees.minor,
                paid_minor: payout.paid.minor,
                entry_id: None,
                created_at: now,
            });
            if is_hub {
                continue;
            }
            let to = ops::wallet(conn, Owner::Enterprise(producer.clone()), code)?;
            let from = account_of(conn, &mut holdings, &hub_id, code, holding)?;
            if let (Some(clearing), true) = (&clearing, payout.from_clearing.is_positive()) {
                transfers.push(posted(clearing, &to, payout.from_clearing));
            }
            let from_held = payout.paid.checked_sub(payout.from_clearing)?;
            if from_held.is_positive() {
                transfers.push(posted(&from, &to, from_held));
                *paid_out.entry(code.to_string()).or_default() += from_held.minor;
            }
        }
        if !transfers.is_empty() {
            let parts: Vec<&str> = hash_parts.iter().map(String::as_str).collect();
            requests.push(EntryRequest {
                audit: None,
                id: id.clone(),
                code: "settle".into(),
                reference: format!("cycle {}", cycle.name),
                description: format!("producer paid for cycle {}", cycle.name),
                request_hash: journal::request_hash(&parts),
                reverses_entry_id: None,
                transfers,
            });
            for row in settlement_rows
                .iter_mut()
                .filter(|r| producer == &r.producer_id)
            {
                row.entry_id = Some(id.clone());
            }
        }
    }
    // the VAT in the hub's fees, in the currency it was paid in
    let mut vat_transfers = Vec::new();
    let mut vat_hash = vec!["vat".to_string(), cycle_id.to_string()];
    for amount in &planned.vat {
        let code = amount.currency.as_str();
        let from = account_of(conn, &mut holdings, &hub_id, code, holding)?;
        *paid_out.entry(code.to_string()).or_default() += amount.minor;
        let vat_account = hub_account(
            conn,
            &hub_id,
            code,
            AccountKind::VatCollected,
            "VAT collected on fees",
            Some(0),
        )?;
        vat_transfers.push(posted(&from, &vat_account, *amount));
        vat_hash.push(format!("{code}:{}", amount.minor));
    }
    if !vat_transfers.is_empty() {
        let parts: Vec<&str> = vat_hash.iter().map(String::as_str).collect();
        requests.push(EntryRequest {
            audit: None,
            id: journal::derived_id(&format!("close:vat:{cycle_id}")),
            code: "vat".into(),
            reference: format!("cycle {}", cycle.name),
            description: format!("VAT on the hub's fees, cycle {}", cycle.name),
            request_hash: journal::request_hash(&parts),
            reverses_entry_id: None,
            transfers: vat_transfers,
        });
    }
    // the rest of what the cycle put in the holding accounts is the hub's: its fees net of
    // VAT, its own goods, the local currency it kept when paying a producer in euros
    let mut kept_transfers = Vec::new();
    let mut kept_hash = vec!["kept".to_string(), cycle_id.to_string()];
    for (code, held) in held_by_cycle(conn, cycle_id, legal.code.as_str())? {
        let out = paid_out.get(&code).copied().unwrap_or(0);
        let rest = held - out;
        if rest < 0 {
            return Err(OrderError::internal(format!(
                "settling cycle {cycle_id}: {out} {code} to pay out of {held} held"
            )));
        }
        if rest > 0 {
            let from = account_of(conn, &mut holdings, &hub_id, &code, holding)?;
            let to = account_of(conn, &mut hub_wallets, &hub_id, &code, wallet)?;
            kept_transfers.push(posted(&from, &to, from.amount(rest)?));
            kept_hash.push(format!("{code}:{rest}"));
        }
    }
    if !kept_transfers.is_empty() {
        let parts: Vec<&str> = kept_hash.iter().map(String::as_str).collect();
        requests.push(EntryRequest {
            audit: None,
            id: journal::derived_id(&format!("close:kept:{cycle_id}")),
            code: "settle".into(),
            reference: format!("cycle {}", cycle.name),
            description: format!("the hub's share of cycle {}", cycle.name),
            request_hash: journal::request_hash(&parts),
            reverses_entry_id: None,
            transfers: kept_transfers,
        });
    }
    for result in group::commit_batch(conn, &requests)? {
        if let Err(error) = result {
            return Err(booking_failed(&hub_id, error));
        }
    }
    {
        let conn = conn.diesel();
        crate::db::execute(
            conn,
            diesel::insert_into(producer_settlements::table).values(&settlement_rows),
        )?;
        diesel::update(order_cycles::table.find(cycle_id))
            .set((
                order_cycles::settled_at.eq(now),
                order_cycles::updated_at.eq(now),
                order_cycles::close_attempted_at.eq(None::<chrono::NaiveDateTime>),
                order_cycles::close_error.eq(None::<String>),
            ))
            .execute(conn)
    }?;
    let paid: Vec<String> = planned
        .producers
        .iter()
        .map(|(p, _)| p.to_string())
        .collect();
    super::super::reports::send_producer_reports(conn, &cycle, &paid)?;
    Ok((
        OrderCycleRow {
            settled_at: Some(now),
            updated_at: now,
            close_attempted_at: None,
            close_error: None,
            ..cycle
        },
        true,
    ))
}

/// What the cycle's booked orders put in the hub's holding accounts, per currency: their
/// captured local parts and their euro parts.
pub(super) fn held_by_cycle(
    conn: &mut DbConn,
    cycle_id: &str,
    legal: &str,
) -> Result<Vec<(String, i64)>, OrderError> {
    let booked: Vec<(Option<String>, i64, i64)> = orders::table
        .filter(orders::order_cycle_id.eq(cycle_id))
        .filter(orders::booked_at.is_not_null())
        .select((
            orders::local_currency,
            orders::local_minor,
            orders::euro_minor,
        ))
        .load(conn.diesel())?;
    let mut held: Vec<(String, i64)> = Vec::new();
    let mut add = |code: &str, minor: i64| {
        if minor == 0 {
            return;
        }
        match held.iter_mut().find(|(c, _)| c == code) {
            Some((_, sum)) => *sum += minor,
            None => held.push((code.to_string(), minor)),
        }
    };
    for (local_currency, local, euro) in booked {
        if let Some(code) = local_currency {
            add(&code, local);
        }
        add(legal, euro);
    }
    held.sort();
    Ok(held)
}

/// Which of the hub's accounts [`account_of`] opens (with [`super::holding`]).
fn wallet(conn: &mut DbConn, hub_id: &str, code: &str) -> Result<AccountRow, OrderError> {
    Ok(ops::wallet(conn, Owner::Enterprise(hub_id.into()), code)?)
}
