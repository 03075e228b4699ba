//! The demo marketplace in `fixtures/demo/`: an association issuing the Lem, a hub, three
//! producers with 30 variants, people with roles, and order cycles (one open now).
//!
//! The files are embedded in the binary, so a release build loads them from anywhere;
//! `--dir` loads another copy instead. Every file is parsed and checked before anything is
//! written, and the whole load is one transaction: a bad file leaves the database untouched.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::Deserialize;

use crate::auth::users::{normalise_email, EnterpriseRoleRow, Role, UserRow};
use crate::catalog::{ProductRow, UnitKind, VariantRow};
use crate::db::schema::{
    currencies, cycle_fees, cycle_shipping_methods, enterprise_currencies,
    enterprise_relationships, enterprise_roles, enterprises, idempotency_keys, ledger_accounts,
    ledger_entries, order_cycle_variants, order_cycles, order_fees, order_lines, orders,
    producer_settlements, products, reconversion_rules, users, variants,
};
use crate::db::DbConn;
use crate::enterprises::{EnterpriseKind, EnterpriseRow};
use crate::ledger::currencies::CurrencyRow;
use crate::money::{parse_amount, CurrencyCode, Sign};
use crate::orders::cycles::{OfferRow, OrderCycleRow};
use crate::orders::shipping::{ShippingKind, ShippingMethodRow};
use crate::time::new_id;

/// The demo files, by name, as shipped in the binary.
pub const EMBEDDED: &[(&str, &str)] = &[
    (
        "enterprises.toml",
        include_str!("../../fixtures/demo/enterprises.toml"),
    ),
    (
        "currencies.toml",
        include_str!("../../fixtures/demo/currencies.toml"),
    ),
    ("users.toml", include_str!("../../fixtures/demo/users.toml")),
    (
        "relationships.toml",
        include_str!("../../fixtures/demo/relationships.toml"),
    ),
    (
        "order_cycles.toml",
        include_str!("../../fixtures/demo/order_cycles.toml"),
    ),
    (
        "products.csv",
        include_str!("../../fixtures/demo/products.csv"),
    ),
];

/// The password of every demo user (a demo is public: never load it in production).
pub const DEMO_PASSWORD: &str = "comptoir-demo";

/// Where the demo files come from.
pub enum Source<'a> {
    Embedded,
    Dir(&'a Path),
}

/// What a load wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub enterprises: usize,
    pub users: usize,
    pub currencies: usize,
    pub products: usize,
    pub variants: usize,
    pub order_cycles: usize,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} enterprises, {} users, {} currencies, {} products ({} variants), {} order cycles",
            self.enterprises,
            self.users,
            self.currencies,
            self.products,
            self.variants,
            self.order_cycles
        )
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EnterprisesFile {
    enterprise: Vec<EnterpriseFixture>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EnterpriseFixture {
    slug: String,
    name: String,
    kind: String,
    #[serde(default)]
    description: String,
    email: Option<String>,
    phone: Option<String>,
    #[serde(default)]
    address_line: String,
    #[serde(default)]
    postcode: String,
    #[serde(default)]
    city: String,
    siren: Option<String>,
    vat_number: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CurrenciesFile {
    currency: Vec<CurrencyFixture>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CurrencyFixture {
    code: String,
    name: String,
    symbol: String,
    scale: i32,
    kind: String,
    parity_to_eur: Option<String>,
    issuer: Option<String>,
    #[serde(default = "yes")]
    allow_member_to_member: bool,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UsersFile {
    user: Vec<UserFixture>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserFixture {
    email: String,
    display_name: String,
    #[serde(default = "default_locale")]
    locale: String,
    #[serde(default)]
    platform_admin: bool,
    #[serde(default)]
    roles: Vec<RoleFixture>,
}

fn default_locale() -> String {
    "fr".to_string()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleFixture {
    enterprise: String,
    role: Role,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RelationshipsFile {
    relationship: Vec<RelationshipFixture>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RelationshipFixture {
    producer: String,
    hub: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CyclesFile {
    order_cycle: Vec<CycleFixture>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CycleFixture {
    hub: String,
    name: String,
    opens_in_hours: i64,
    closes_in_hours: i64,
    time_zone: String,
    offer: String,
    #[serde(default)]
    hub_prices: BTreeMap<String, String>,
    #[serde(default)]
    shipping: Vec<ShippingFixture>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ShippingFixture {
    kind: ShippingKind,
    name: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    instructions: String,
    /// Hours after the cycle closes.
    after_close_hours: i64,
    #[serde(default)]
    fee_eur: Option<String>,
    #[serde(default)]
    local_share_percent: Option<i32>,
}

#[derive(Deserialize)]
struct ProductLine {
    producer: String,
    product: String,
    category: String,
    description: String,
    sku: String,
    variant: String,
    unit_kind: String,
    unit_value: i64,
    unit_name: String,
    price_eur: String,
    vat_rate: String,
    local_share_percent: i32,
    stock: Option<i64>,
}

/// Every row of the demo, checked and ready to insert.
struct Plan {
    enterprises: Vec<EnterpriseRow>,
    users: Vec<UserRow>,
    roles: Vec<EnterpriseRoleRow>,
    currencies: Vec<CurrencyRow>,
    relationships: Vec<(String, String)>,
    products: Vec<ProductRow>,
    variants: Vec<VariantRow>,
    cycles: Vec<OrderCycleRow>,
    offers: Vec<OfferRow>,
    shipping: Vec<ShippingMethodRow>,
}

fn read(source: &Source, name: &str) -> Result<String> {
    match source {
        Source::Embedded => EMBEDDED
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, text)| text.to_string())
            .ok_or_else(|| anyhow!("no embedded demo file {name}")),
        Source::Dir(dir) => {
            let path = dir.join(name);
            std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))
        }
    }
}

fn toml_file<T: serde::de::DeserializeOwned>(source: &Source, name: &str) -> Result<T> {
    toml::from_str(&read(source, name)?).with_context(|| format!("demo file {name}"))
}

/// Parses and checks every demo file; times are relative to `now`.
fn plan(source: &Source, now: NaiveDateTime) -> Result<Plan> {
    let mut enterprise_ids: HashMap<String, (String, EnterpriseKind)> = HashMap::new();
    let mut enterprise_rows = Vec::new();
    for e in toml_file::<EnterprisesFile>(source, "enterprises.toml")?.enterprise {
        let kind = EnterpriseKind::parse(&e.kind).ok_or_else(|| {
            anyhow!(
                "enterprises.toml: `{}` has unknown kind `{}`",
                e.slug,
                e.kind
            )
        })?;
        let id = new_id();
        if enterprise_ids
            .insert(e.slug.clone(), (id.clone(), kind))
            .is_some()
        {
            bail!("enterprises.toml: slug `{}` appears twice", e.slug);
        }
        enterprise_rows.push(EnterpriseRow {
            id,
            slug: e.slug,
            name: e.name,
            kind: kind.as_str().to_string(),
            description: e.description,
            email: e.email,
            phone: e.phone,
            address_line: e.address_line,
            postcode: e.postcode,
            city: e.city,
            country_code: "FR".to_string(),
            siren: e.siren,
            siret: None,
            uid: None,
            vat_number: e.vat_number,
            visibility: "public".to_string(),
            created_at: now,
            updated_at: now,
        });
    }
    let enterprise = |file: &str, slug: &str| -> Result<(String, EnterpriseKind)> {
        enterprise_ids
            .get(slug)
            .cloned()
            .ok_or_else(|| anyhow!("{file}: unknown enterprise `{slug}`"))
    };

    let mut currency_rows = Vec::new();
    for c in toml_file::<CurrenciesFile>(source, "currencies.toml")?.currency {
        c.code
            .parse::<CurrencyCode>()
            .map_err(|e| anyhow!("currencies.toml: {e}"))?;
        let issuer_id = match &c.issuer {
            Some(slug) => Some(enterprise("currencies.toml", slug)?.0),
            None => None,
        };
        currency_rows.push(CurrencyRow {
            code: c.code,
            name: c.name,
            symbol: c.symbol,
            scale: c.scale,
            kind: c.kind,
            parity_to_eur: c.parity_to_eur,
            issuer_id,
            created_at: now,
            allow_member_to_member: c.allow_member_to_member,
        });
    }

    let mut user_rows = Vec::new();
    let mut role_rows = Vec::new();
    // every demo user shares the documented demo password (one hash, computed once)
    let demo_hash = crate::auth::passwords::hash(DEMO_PASSWORD).map_err(|e| anyhow!("{e}"))?;
    for u in toml_file::<UsersFile>(source, "users.toml")?.user {
        let id = new_id();
        for r in &u.roles {
            role_rows.push(EnterpriseRoleRow {
                enterprise_id: enterprise("users.toml", &r.enterprise)?.0,
                user_id: id.clone(),
                role: r.role.as_str().to_string(),
                created_at: now,
            });
        }
        user_rows.push(UserRow {
            id,
            email: normalise_email(&u.email),
            display_name: u.display_name,
            password_hash: Some(demo_hash.clone()),
            locale: u.locale,
            is_platform_admin: u.platform_admin,
            email_verified_at: Some(now),
            disabled_at: None,
            created_at: now,
            updated_at: now,
        });
    }

    // products use the shipped taxonomy (inserted with the migrations)
    let categories: Vec<_> = crate::catalog::categories::defaults()
        .map_err(|e| anyhow!(e))?
        .into_iter()
        .map(|c| (c.slug, c.name, c.parent_slug))
        .collect();

    let mut relationships = Vec::new();
    for r in toml_file::<RelationshipsFile>(source, "relationships.toml")?.relationship {
        let (producer_id, producer_kind) = enterprise("relationships.toml", &r.producer)?;
        let (hub_id, hub_kind) = enterprise("relationships.toml", &r.hub)?;
        if !producer_kind.is_producer() || !hub_kind.is_hub() {
            bail!(
                "relationships.toml: `{}` → `{}` must link a producer to a hub",
                r.producer,
                r.hub
            );
        }
        relationships.push((producer_id, hub_id));
    }

    let (product_rows, variant_rows, sku_ids) =
        plan_products(source, &enterprise, &categories, now)?;

    let mut cycle_rows = Vec::new();
    let mut offers = Vec::new();
    let mut shipping = Vec::new();
    for c in toml_file::<CyclesFile>(source, "order_cycles.toml")?.order_cycle {
        let (hub_id, _) = enterprise("order_cycles.toml", &c.hub)?;
        if c.offer != "all" {
            bail!(
                "order_cycles.toml: `{}`: only offer = \"all\" is supported",
                c.name
            );
        }
        let id = new_id();
        let granted: Vec<&String> = relationships
            .iter()
            .filter(|(_, h)| *h == hub_id)
            .map(|(p, _)| p)
            .collect();
        for v in variant_rows
            .iter()
            .filter(|v| granted.contains(&&v.producer_id))
        {
            offers.push(OfferRow {
                order_cycle_id: id.clone(),
                variant_id: v.id.clone(),
                hub_price_eur_minor: None,
            });
        }
        for (sku, price) in &c.hub_prices {
            let variant_id = sku_ids
                .get(sku)
                .ok_or_else(|| anyhow!("order_cycles.toml: `{}`: unknown SKU `{sku}`", c.name))?;
            let minor = parse_amount(price, 2, Sign::NonNegative)
                .map_err(|e| anyhow!("order_cycles.toml: `{}`: price of `{sku}` {e}", c.name))?;
            let offer = offers
                .iter_mut()
                .find(|o| o.order_cycle_id == id && &o.variant_id == variant_id)
                .ok_or_else(|| {
                    anyhow!("order_cycles.toml: `{sku}` is not offered in `{}`", c.name)
                })?;
            offer.hub_price_eur_minor = Some(minor);
        }
        let at = |hours: i64| {
            Duration::try_hours(hours)
                .and_then(|d| now.checked_add_signed(d))
                .ok_or_else(|| {
                    anyhow!(
                        "order_cycles.toml: `{}`: {hours} hours is out of range",
                        c.name
                    )
                })
        };
        let (opens_at, closes_at) = (at(c.opens_in_hours)?, at(c.closes_in_hours)?);
        if closes_at <= opens_at {
            bail!("order_cycles.toml: `{}` must close after it opens", c.name);
        }
        for m in &c.shipping {
            let fee_minor = parse_amount(m.fee_eur.as_deref().unwrap_or("0"), 2, Sign::NonNegative)
                .map_err(|e| anyhow!("order_cycles.toml: `{}`: fee of `{}` {e}", c.name, m.name))?;
            shipping.push(ShippingMethodRow {
                id: new_id(),
                order_cycle_id: id.clone(),
                kind: m.kind.as_str().into(),
                name: m.name.clone(),
                address: m.address.clone(),
                instructions: m.instructions.clone(),
                at_time: at(c.closes_in_hours + m.after_close_hours)?,
                fee_minor,
                vat_rate_bp: 2000,
                local_share_percent: m.local_share_percent.unwrap_or(100),
                created_at: now,
            });
        }
        cycle_rows.push(OrderCycleRow {
            id,
            hub_id,
            name: c.name,
            opens_at,
            closes_at,
            time_zone: c.time_zone,
            closed_at: None,
            settled_at: None,
            created_at: now,
            updated_at: now,
            producer_settlement: "as_paid".into(),
            copied_from_id: None,
            close_attempted_at: None,
            close_error: None,
        });
    }

    Ok(Plan {
        enterprises: enterprise_rows,
        users: user_rows,
        roles: role_rows,
        currencies: currency_rows,
        relationships,
        products: product_rows,
        variants: variant_rows,
        cycles: cycle_rows,
        shipping,
        offers,
    })
}

type ProductPlan = (Vec<ProductRow>, Vec<VariantRow>, HashMap<String, String>);
/// Finds an enterprise's id and kind by slug, naming the file in the error.
type EnterpriseLookup<'a> = &'a dyn Fn(&str, &str) -> Result<(String, EnterpriseKind)>;

fn plan_products(
    source: &Source,
    enterprise: EnterpriseLookup,
    categories: &[(String, String, Option<String>)],
    now: NaiveDateTime,
) -> Result<ProductPlan> {
    let text = read(source, "products.csv")?;
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut products: Vec<ProductRow> = Vec::new();
    let mut product_ids: HashMap<(String, String), String> = HashMap::new();
    let mut variants = Vec::new();
    let mut sku_ids = HashMap::new();
    for (i, line) in reader.deserialize::<ProductLine>().enumerate() {
        let n = i + 2; // 1-based, after the header line
        let line = line.with_context(|| format!("products.csv line {n}"))?;
        let at = |what: String| anyhow!("products.csv line {n}: {what}");
        let (producer_id, kind) = enterprise("products.csv", &line.producer)?;
        if !kind.is_producer() {
            return Err(at(format!("`{}` is not a producer", line.producer)));
        }
        if !categories.iter().any(|(slug, _, _)| *slug == line.category) {
            return Err(at(format!("unknown category `{}`", line.category)));
        }
        let unit_kind = UnitKind::parse(&line.unit_kind)
            .ok_or_else(|| at(format!("unknown unit kind `{}`", line.unit_kind)))?;
        let price = parse_amount(&line.price_eur, 2, Sign::NonNegative)
            .map_err(|e| at(format!("price_eur {e}")))?;
        let vat_bp = parse_amount(&line.vat_rate, 2, Sign::NonNegative)
            .map_err(|e| at(format!("vat_rate {e}")))?;
        let product_id = product_ids
            .entry((producer_id.clone(), line.product.clone()))
            .or_insert_with(|| {
                let id = new_id();
                products.push(ProductRow {
                    id: id.clone(),
                    producer_id: producer_id.clone(),
                    name: line.product.clone(),
                    description: line.description.clone(),
                    category_slug: line.category.clone(),
                    created_at: now,
                    updated_at: now,
                });
                id
            })
            .clone();
        let id = new_id();
        if sku_ids.insert(line.sku.clone(), id.clone()).is_some() {
            return Err(at(format!("SKU `{}` appears twice", line.sku)));
        }
        variants.push(VariantRow {
            id,
            product_id,
            producer_id,
            name_key: crate::catalog::name_key(&line.product, &line.variant),
            sku: line.sku,
            display_name: line.variant,
            unit_kind: unit_kind.as_str().to_string(),
            unit_value: line.unit_value,
            unit_name: Some(line.unit_name).filter(|n| !n.is_empty()),
            price_eur_minor: price,
            vat_rate_bp: i32::try_from(vat_bp).map_err(|_| at("vat_rate too large".into()))?,
            local_share_percent: line.local_share_percent,
            on_demand: line.stock.is_none(),
            stock_on_hand: line.stock,
            archived_at: None,
            created_at: now,
            updated_at: now,
        });
    }
    Ok((products, variants, sku_ids))
}

/// Whether the database already holds marketplace data.
pub fn is_empty(conn: &mut DbConn) -> Result<bool> {
    let count: i64 = {
        let conn = conn.diesel();
        let e: i64 = enterprises::table.count().get_result(conn)?;
        let u: i64 = users::table.count().get_result(conn)?;
        // the legal tender is reference data, present in every migrated database
        let c: i64 = currencies::table
            .filter(currencies::kind.ne("fiat"))
            .count()
            .get_result(conn)?;
        Ok::<_, diesel::result::Error>(e + u + c)
    }?;
    Ok(count == 0)
}

/// Loads the demo. Refuses a non-empty database unless `force`, which first **deletes all
/// marketplace data**. Everything happens in one transaction.
pub fn load(conn: &mut DbConn, source: Source, force: bool) -> Result<Summary> {
    let deployment = crate::deployment::get(conn)?;
    if deployment != crate::deployment::Deployment::EURO_FRANCE {
        bail!(
            "the demo marketplace is a euro deployment in France; this database's is {} in {} \
             (deployment.currency and deployment.country, fixed at its first run)",
            deployment.legal.code,
            deployment.country.code()
        );
    }
    let plan = plan(&source, crate::time::now())?;
    if !force && !is_empty(conn)? {
        bail!("the database is not empty; use --force to replace its data with the demo");
    }
    let summary = Summary {
        enterprises: plan.enterprises.len(),
        users: plan.users.len(),
        currencies: plan.currencies.len(),
        products: plan.products.len(),
        variants: plan.variants.len(),
        order_cycles: plan.cycles.len(),
    };
    if force {
        let entries: i64 = ledger_entries::table.count().get_result(conn.diesel())?;
        if entries > 0 {
            bail!("the ledger holds {entries} entries and is append-only: load the demo into a fresh database instead");
        }
    }
    conn.transaction(|conn| {
        load_rows(conn, &plan, force)?;
        for currency in plan.currencies.iter().filter(|c| c.is_local()) {
            crate::ledger::ops::open_association_accounts(conn, currency)?;
        }
        // producers and hubs take the demo's local currencies, with a wallet in each
        let locals: Vec<String> = plan
            .currencies
            .iter()
            .filter(|c| c.is_local())
            .map(|c| c.code.clone())
            .collect();
        for enterprise in &plan.enterprises {
            crate::enterprises::manage::set_currencies(conn, enterprise, &locals)
                .map_err(|e| anyhow!("opening the wallets of {}: {e}", enterprise.slug))?;
        }
        // the demo's professionals are approved by their currency's association
        crate::association::professionals::approve_all_requested(conn)
            .map_err(|e| anyhow!("approving the demo's professionals: {e}"))?;
        Ok::<_, anyhow::Error>(())
    })
    .context("writing the demo data")?;
    Ok(summary)
}

fn load_rows(conn: &mut DbConn, plan: &Plan, force: bool) -> Result<(), diesel::result::Error> {
    {
        let conn = conn.diesel();
        if force {
            diesel::delete(idempotency_keys::table).execute(conn)?;
            diesel::delete(producer_settlements::table).execute(conn)?;
            diesel::delete(order_fees::table).execute(conn)?;
            diesel::delete(cycle_fees::table).execute(conn)?;
            diesel::delete(order_lines::table).execute(conn)?;
            diesel::delete(orders::table).execute(conn)?;
            diesel::delete(cycle_shipping_methods::table).execute(conn)?;
            diesel::delete(ledger_accounts::table).execute(conn)?;
            diesel::delete(reconversion_rules::table).execute(conn)?;
            diesel::delete(order_cycle_variants::table).execute(conn)?;
            diesel::delete(order_cycles::table).execute(conn)?;
            diesel::delete(variants::table).execute(conn)?;
            diesel::delete(products::table).execute(conn)?;
            diesel::delete(enterprise_relationships::table).execute(conn)?;
            diesel::delete(enterprise_currencies::table).execute(conn)?;
            diesel::delete(currencies::table.filter(currencies::kind.ne("fiat"))).execute(conn)?;
            diesel::delete(enterprise_roles::table).execute(conn)?;
            diesel::delete(users::table).execute(conn)?;
            diesel::delete(enterprises::table).execute(conn)?;
        }
        crate::db::execute(
            conn,
            diesel::insert_into(enterprises::table).values(&plan.enterprises),
        )?;
        crate::db::execute(conn, diesel::insert_into(users::table).values(&plan.users))?;
        crate::db::execute(
            conn,
            diesel::insert_into(enterprise_roles::table).values(&plan.roles),
        )?;
        for currency in plan.currencies.iter().filter(|c| c.kind != "fiat") {
            diesel::insert_into(currencies::table)
                .values(currency)
                .execute(conn)?;
        }
        for (producer_id, hub_id) in &plan.relationships {
            diesel::insert_into(enterprise_relationships::table)
                .values((
                    enterprise_relationships::producer_id.eq(producer_id),
                    enterprise_relationships::hub_id.eq(hub_id),
                    enterprise_relationships::can_add_to_order_cycles.eq(true),
                    enterprise_relationships::can_see_orders.eq(true),
                    enterprise_relationships::created_at.eq(crate::time::now()),
                    enterprise_relationships::hub_accepted_at.eq(Some(crate::time::now())),
                ))
                .execute(conn)?;
        }
        crate::db::execute(
            conn,
            diesel::insert_into(products::table).values(&plan.products),
        )?;
        crate::db::execute(
            conn,
            diesel::insert_into(variants::table).values(&plan.variants),
        )?;
        crate::db::execute(
            conn,
            diesel::insert_into(order_cycles::table).values(&plan.cycles),
        )?;
        crate::db::execute(
            conn,
            diesel::insert_into(order_cycle_variants::table).values(&plan.offers),
        )?;
        crate::db::execute(
            conn,
            diesel::insert_into(cycle_shipping_methods::table).values(&plan.shipping),
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_demo_is_consistent() {
        let plan = plan(&Source::Embedded, crate::time::now()).expect("demo plans");
        assert_eq!(plan.enterprises.len(), 5);
        assert_eq!(plan.variants.len(), 30);
        let producers: std::collections::HashSet<_> = plan
            .variants
            .iter()
            .map(|v| v.producer_id.clone())
            .collect();
        assert_eq!(producers.len(), 3);
        assert!(plan
            .cycles
            .iter()
            .any(|c| c.opens_at < crate::time::now() && c.closes_at > crate::time::now()));
        assert!(plan
            .currencies
            .iter()
            .any(|c| c.code == "LEM" && c.scale == 2 && c.kind == "local"));
    }
}
