//! Permissions a producer grants a hub (Open Food Network's enterprise relationships):
//! - `can_add_to_order_cycles`: the hub may offer the producer's variants in its cycles (and
//!   lists them in its offer, see [`crate::catalog::browse`]);
//! - `can_see_orders`: the hub's reports may name the producer's customers.
//!
//! The producer's people grant; the hub's people accept (until then the grant does nothing
//! in the hub's offer, so nobody can push products into a shop that did not ask for them).
//! Either side may end the relationship. Ending it removes the producer's variants from the
//! hub's cycles that have not opened yet; a cycle already open keeps them until it closes,
//! because consumers may already have ordered them.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::EnterpriseError;
use super::EnterpriseKind;
use crate::db::schema::{
    enterprise_relationships as rel, enterprises, order_cycle_variants, order_cycles, variants,
};
use crate::db::DbConn;

/// One permission, as shown to its producer and hub.
#[derive(Debug, Clone)]
pub struct Permission {
    pub producer_id: String,
    pub producer_name: String,
    pub hub_id: String,
    pub hub_name: String,
    pub can_add_to_order_cycles: bool,
    pub can_see_orders: bool,
    pub granted_at: DateTime<Utc>,
    /// When the hub accepted the producer as a supplier; `null`: not yet (not in its offer).
    pub hub_accepted_at: Option<DateTime<Utc>>,
}

fn kind_of(conn: &mut DbConn, id: &str) -> Result<EnterpriseKind, EnterpriseError> {
    let kind: Option<String> = enterprises::table
        .find(id)
        .select(enterprises::kind)
        .first(conn.diesel())
        .optional()?;
    kind.as_deref()
        .and_then(EnterpriseKind::parse)
        .ok_or_else(|| EnterpriseError::NotFound(format!("no enterprise `{id}`")))
}

/// Grants (or changes) the permissions of `hub_id` over `producer_id`'s products.
pub fn grant(
    conn: &mut DbConn,
    producer_id: &str,
    hub_id: &str,
    can_add_to_order_cycles: bool,
    can_see_orders: bool,
) -> Result<Permission, EnterpriseError> {
    if !kind_of(conn, producer_id)?.is_producer() {
        return Err(EnterpriseError::Conflict(
            "only a producer grants permissions over its products".into(),
        ));
    }
    if !kind_of(conn, hub_id)?.is_hub() {
        return Err(EnterpriseError::field(
            "hub_id",
            "not_a_hub",
            "is not a hub",
        ));
    }
    if producer_id == hub_id {
        return Err(EnterpriseError::field(
            "hub_id",
            "same_enterprise",
            "a producer-hub always sells its own products: no permission is needed",
        ));
    }
    let now = crate::time::now();
    conn.transaction(|conn| {
        let exists: i64 = rel::table
            .filter(rel::producer_id.eq(producer_id))
            .filter(rel::hub_id.eq(hub_id))
            .count()
            .get_result(conn.diesel())?;
        if exists > 0 {
            diesel::update(rel::table.find((producer_id, hub_id)))
                .set((
                    rel::can_add_to_order_cycles.eq(can_add_to_order_cycles),
                    rel::can_see_orders.eq(can_see_orders),
                ))
                .execute(conn.diesel())?;
        } else {
            diesel::insert_into(rel::table)
                .values((
                    rel::producer_id.eq(producer_id),
                    rel::hub_id.eq(hub_id),
                    rel::can_add_to_order_cycles.eq(can_add_to_order_cycles),
                    rel::can_see_orders.eq(can_see_orders),
                    rel::created_at.eq(now),
                ))
                .execute(conn.diesel())?;
        }
        if !can_add_to_order_cycles {
            withdraw_from_upcoming_cycles(conn, producer_id, hub_id)?;
        }
        Ok::<_, EnterpriseError>(())
    })?;
    list(conn, producer_id)?
        .into_iter()
        .find(|p| p.hub_id == hub_id && p.producer_id == producer_id)
        .ok_or_else(|| EnterpriseError::internal("the permission just written is missing"))
}

/// Removes the producer's variants from the hub's cycles that have not opened yet; returns
/// how many offers were removed.
fn withdraw_from_upcoming_cycles(
    conn: &mut DbConn,
    producer_id: &str,
    hub_id: &str,
) -> Result<usize, EnterpriseError> {
    let now = crate::time::now();
    Ok({
        let conn = conn.diesel();
        let cycles = order_cycles::table
            .filter(order_cycles::hub_id.eq(hub_id))
            .filter(order_cycles::opens_at.gt(now))
            .select(order_cycles::id);
        let producer_variants = variants::table
            .filter(variants::producer_id.eq(producer_id))
            .select(variants::id);
        diesel::delete(
            order_cycle_variants::table
                .filter(order_cycle_variants::order_cycle_id.eq_any(cycles))
                .filter(order_cycle_variants::variant_id.eq_any(producer_variants)),
        )
        .execute(conn)
    }?)
}

/// What a revocation did.
#[derive(Debug, Clone)]
pub struct Revoked {
    /// Offers removed from the hub's cycles that have not opened yet.
    pub removed_from_upcoming_cycles: usize,
}

/// The hub accepts `producer_id` as a supplier: its grant now shows in the hub's offer.
pub fn accept(
    conn: &mut DbConn,
    hub_id: &str,
    producer_id: &str,
) -> Result<Permission, EnterpriseError> {
    let now = crate::time::now();
    // accepting twice keeps the first date
    diesel::update(rel::table.find((producer_id, hub_id)))
        .filter(rel::hub_accepted_at.is_null())
        .set(rel::hub_accepted_at.eq(now))
        .execute(conn.diesel())?;
    let found = list(conn, hub_id)?
        .into_iter()
        .find(|p| p.hub_id == hub_id && p.producer_id == producer_id);
    found.ok_or_else(|| {
        EnterpriseError::NotFound(format!(
            "`{producer_id}` has granted `{hub_id}` nothing to accept"
        ))
    })
}

/// Ends the relationship between `producer_id` and `hub_id` (either side may).
pub fn revoke(
    conn: &mut DbConn,
    producer_id: &str,
    hub_id: &str,
) -> Result<Revoked, EnterpriseError> {
    conn.transaction(|conn| {
        let deleted =
            diesel::delete(rel::table.find((producer_id, hub_id))).execute(conn.diesel())?;
        if deleted == 0 {
            return Err(EnterpriseError::NotFound(format!(
                "`{hub_id}` holds no permission from `{producer_id}`"
            )));
        }
        let removed = withdraw_from_upcoming_cycles(conn, producer_id, hub_id)?;
        Ok(Revoked {
            removed_from_upcoming_cycles: removed,
        })
    })
}

type Row = (
    String,
    String,
    bool,
    bool,
    NaiveDateTime,
    Option<NaiveDateTime>,
);

/// Permissions an enterprise granted (as a producer) or received (as a hub).
pub fn list(conn: &mut DbConn, enterprise_id: &str) -> Result<Vec<Permission>, EnterpriseError> {
    let rows: Vec<Row> = rel::table
        .filter(
            rel::producer_id
                .eq(enterprise_id)
                .or(rel::hub_id.eq(enterprise_id)),
        )
        .select((
            rel::producer_id,
            rel::hub_id,
            rel::can_add_to_order_cycles,
            rel::can_see_orders,
            rel::created_at,
            rel::hub_accepted_at,
        ))
        .order((rel::producer_id, rel::hub_id))
        .load(conn.diesel())?;
    let mut ids: Vec<String> = rows
        .iter()
        .flat_map(|r| [r.0.clone(), r.1.clone()])
        .collect();
    ids.sort();
    ids.dedup();
    let names: Vec<(String, String)> = enterprises::table
        .filter(enterprises::id.eq_any(&ids))
        .select((enterprises::id, enterprises::name))
        .load(conn.diesel())?;
    let name = |id: &str| {
        names
            .iter()
            .find(|(i, _)| i == id)
            .map(|(_, n)| n.clone())
            .unwrap_or_default()
    };
    Ok(rows
        .into_iter()
        .map(|(producer_id, hub_id, add, see, at, accepted)| Permission {
            producer_name: name(&producer_id),
            hub_name: name(&hub_id),
            producer_id,
            hub_id,
            can_add_to_order_cycles: add,
            can_see_orders: see,
            granted_at: crate::time::utc(at),
            hub_accepted_at: accepted.map(crate::time::utc),
        })
        .collect())
}
