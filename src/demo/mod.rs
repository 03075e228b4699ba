//! The demo marketplaces, one per country profile ([`Demo`]):
//!
//! - France's, in `fixtures/demo/`: an association issuing the Lem in Lyon, a hub, three
//!   producers with 30 variants, people with roles, and order cycles (one open now);
//! - Switzerland's, in `fixtures/demo_ch/`: an association issuing the Moléson (MOL, at par
//!   with the franc), a hub in Lausanne, three producers of Vaud and Fribourg with 22
//!   variants, people with roles, and order cycles (one open now).
//!
//! Each also has a past, `history.toml` ([`history`]): top-ups approved, a cycle of last week
//! ordered, weighed, paid, closed and settled, a reconversion paid out — played through the
//! domain functions once the rows are in, so that the ledger, the books and the reports of a
//! fresh demo hold real figures.
//!
//! A demo is made for its deployment (legal currency and country): loading it into an empty
//! database records that deployment, which may change only while the ledger holds no entry
//! ([`crate::setup::adopt`]). The files are embedded in the binary, so a release build loads
//! them from anywhere; `--dir` loads another copy instead. Every file is parsed and checked
//! before anything is written, and the whole load — rows and history — is one transaction
//! (the domain functions' own transactions are savepoints in it): a bad file, or a history
//! that does not play as declared, leaves the database untouched. Since the history puts
//! entries in the ledger, a loaded demo is never replaced (`--force` refuses a ledger with
//! entries: it is append-only).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::Deserialize;

use crate::auth::users::{normalise_email, EnterpriseRoleRow, Role, UserRow};
use crate::catalog::{ProductRow, UnitKind, VariantRow};
use crate::db::schema::{
    currencies, cycle_fees, cycle_shipping_methods, cycle_unbooked_sums, enterprise_currencies,
    enterprise_relationships, enterprise_roles, enterprises, idempotency_keys, ledger_accounts,
    ledger_entries, order_allocations, order_cycle_variants, order_cycles, order_fees, order_lines,
    orders, producer_settlements, products, reconversion_rules, users, variants,
};
use crate::db::DbConn;
use crate::deployment::{Country, Deployment};
use crate::enterprises::manage::{AddressInput, EnterpriseInput};
use crate::enterprises::{EnterpriseKind, EnterpriseRow};
use crate::ledger::currencies::CurrencyRow;
use crate::money::{parse_amount, CurrencyCode, Sign};
use crate::orders::cycles::{OfferRow, OrderCycleRow};
use crate::orders::shipping::{ShippingKind, ShippingMethodRow};
use crate::time::new_id;

pub mod history;

/// The French demo's files, by name, as shipped in the binary.
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
    (
        "history.toml",
        include_str!("../../fixtures/demo/history.toml"),
    ),
];

/// The Swiss demo's files, by name, as shipped in the binary.
pub const EMBEDDED_CH: &[(&str, &str)] = &[
    (
        "enterprises.toml",
        include_str!("../../fixtures/demo_ch/enterprises.toml"),
    ),
    (
        "currencies.toml",
        include_str!("../../fixtures/demo_ch/currencies.toml"),
    ),
    (
        "users.toml",
        include_str!("../../fixtures/demo_ch/users.toml"),
    ),
    (
        "relationships.toml",
        include_str!("../../fixtures/demo_ch/relationships.toml"),
    ),
    (
        "order_cycles.toml",
        include_str!("../../fixtures/demo_ch/order_cycles.toml"),
    ),
    (
        "products.csv",
        include_str!("../../fixtures/demo_ch/products.csv"),
    ),
    (
        "history.toml",
        include_str!("../../fixtures/demo_ch/history.toml"),
    ),
];

/// A demo marketplace, by the country whose deployment it is made for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Demo {
    /// The Lem in Lyon: euros, France (`fixtures/demo/`).
    France,
    /// The Moléson in Lausanne: francs, Switzerland (`fixtures/demo_ch/`).
    Switzerland,
}

impl Demo {
    pub const ALL: &'static [Demo] = &[Demo::France, Demo::Switzerland];

    /// How the command line names it: `fr`, `ch`.
    pub fn code(self) -> &'static str {
        match self {
            Demo::France => "fr",
            Demo::Switzerland => "ch",
        }
    }

    /// The demo named `code` (`fr`, `ch`, in any case).
    pub fn parse(code: &str) -> Option<Demo> {
        Demo::ALL
            .iter()
            .copied()
            .find(|d| d.code().eq_ignore_ascii_case(code.trim()))
    }

    /// The deployment it is made for: its legal currency and country.
    pub fn deployment(self) -> Deployment {
        match self {
            Demo::France => Deployment::EURO_FRANCE,
            Demo::Switzerland => Deployment::FRANC_SWITZERLAND,
        }
    }

    /// Its files, as shipped in the binary.
    pub fn embedded(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Demo::France => EMBEDDED,
            Demo::Switzerland => EMBEDDED_CH,
        }
    }

    /// Where its files are in the source tree.
    pub fn dir(self) -> &'static str {
        match self {
            Demo::France => "fixtures/demo",
            Demo::Switzerland => "fixtures/demo_ch",
        }
    }
}

impl std::fmt::Display for Demo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Demo::France => "the French demo",
            Demo::Switzerland => "the Swiss demo",
        })
    }
}

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
    /// The history played: top-ups approved, orders of the past cycle, reconversions, and
    /// the ledger entries the load ends with.
    pub topups: usize,
    pub orders: usize,
    pub reconversions: usize,
    pub ledger_entries: usize,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} enterprises, {} users, {} currencies, {} products ({} variants), {} order cycles; \
             history: {} top-ups, {} orders, {} reconversions, {} ledger entries",
            self.enterprises,
            self.users,
            self.currencies,
            self.products,
            self.variants,
            self.order_cycles,
            self.topups,
            self.orders,
            self.reconversions,
            self.ledger_entries
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
    /// A Swiss enterprise's UID (`CHE-123.456.789`).
    uid: Option<String>,
    vat_number: Option<String>,
    /// What its order numbers start with (`CAG`); read from the name when absent.
    order_prefix: Option<String>,
    /// IANA time zone; the demo country's when absent.
    time_zone: Option<String>,
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
    /// One of the demo's country's languages; by default its first.
    #[serde(default)]
    locale: Option<String>,
    #[serde(default)]
    platform_admin: bool,
    #[serde(default)]
    roles: Vec<RoleFixture>,
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
    history: history::History,
}

fn read(source: &Source, demo: Demo, name: &str) -> Result<String> {
    match source {
        Source::Embedded => demo
            .embedded()
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

fn toml_file<T: serde::de::DeserializeOwned>(source: &Source, demo: Demo, name: &str) -> Result<T> {
    toml::from_str(&read(source, demo, name)?).with_context(|| format!("demo file {name}"))
}

/// `country`'s VAT rates, in basis points (`5.5` → 550), highest last.
fn vat_rates_bp(country: Country) -> Result<Vec<i64>> {
    let mut rates = country
        .vat_rates()
        .iter()
        .map(|r| {
            parse_amount(r, 2, Sign::NonNegative)
                .map_err(|e| anyhow!("VAT rate {r} of {}: {e}", country.code()))
        })
        .collect::<Result<Vec<i64>>>()?;
    rates.sort_unstable();
    Ok(rates)
}

/// Parses and checks every file of `demo`; times are relative to `now`.
fn plan(source: &Source, demo: Demo, now: NaiveDateTime) -> Result<Plan> {
    let deployment = demo.deployment();
    let country = deployment.country;
    let vat_rates = vat_rates_bp(country)?;
    // delivery fees carry the standard rate (the highest)
    let standard_rate_bp = vat_rates
        .last()
        .copied()
        .and_then(|r| i32::try_from(r).ok())
        .ok_or_else(|| anyhow!("no VAT rate for {}", country.code()))?;
    let mut enterprise_ids: HashMap<String, (String, EnterpriseKind)> = HashMap::new();
    let mut enterprise_rows = Vec::new();
    for e in toml_file::<EnterprisesFile>(source, demo, "enterprises.toml")?.enterprise {
        let kind = EnterpriseKind::parse(&e.kind).ok_or_else(|| {
            anyhow!(
                "enterprises.toml: `{}` has unknown kind `{}`",
                e.slug,
                e.kind
            )
        })?;
        // checked by the rules of an enterprise created over the API: the slug, contacts,
        // the country's postcodes and legal identifiers (check digits included)
        let mut row = EnterpriseRow::new(e.slug.clone(), e.name.clone(), kind, "public");
        row.country_code = country.code().to_string();
        row.time_zone = country.time_zone().to_string();
        let input = EnterpriseInput {
            name: Some(e.name),
            slug: Some(e.slug.clone()),
            kind: Some(kind),
            description: Some(e.description),
            email: e.email,
            phone: e.phone,
            address: Some(AddressInput {
                line: Some(e.address_line),
                postcode: Some(e.postcode),
                city: Some(e.city),
                country_code: None,
            }),
            siren: e.siren,
            siret: None,
            uid: e.uid,
            vat_number: e.vat_number,
            accepted_currencies: None,
            visibility: None,
            order_prefix: e.order_prefix,
            time_zone: e.time_zone,
        };
        crate::enterprises::manage::prepare(&mut row, &input, country)
            .map_err(|err| anyhow!("enterprises.toml: `{}`: {err}", e.slug))?;
        row.created_at = now;
        row.updated_at = now;
        if enterprise_ids
            .insert(e.slug.clone(), (row.id.clone(), kind))
            .is_some()
        {
            bail!("enterprises.toml: slug `{}` appears twice", e.slug);
        }
        enterprise_rows.push(row);
    }
    // order prefixes are unique in a deployment: a demo's own (given or read from names) too
    let mut prefixes = std::collections::HashSet::new();
    for row in &enterprise_rows {
        if !prefixes.insert(row.order_prefix.as_str()) {
            bail!(
                "enterprises.toml: order prefix `{}` appears twice: give `{}` an order_prefix",
                row.order_prefix,
                row.slug
            );
        }
    }
    let enterprise = |file: &str, slug: &str| -> Result<(String, EnterpriseKind)> {
        enterprise_ids
            .get(slug)
            .cloned()
            .ok_or_else(|| anyhow!("{file}: unknown enterprise `{slug}`"))
    };

    let mut currency_rows = Vec::new();
    for c in toml_file::<CurrenciesFile>(source, demo, "currencies.toml")?.currency {
        c.code
            .parse::<CurrencyCode>()
            .map_err(|e| anyhow!("currencies.toml: {e}"))?;
        if c.kind == "fiat" && !deployment.legal.is(&c.code) {
            bail!(
                "currencies.toml: {} is a {} deployment: its fiat currency is {}, not {}",
                demo,
                deployment.legal.code,
                deployment.legal.code,
                c.code
            );
        }
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
    for u in toml_file::<UsersFile>(source, demo, "users.toml")?.user {
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
            locale: country
                .locale(u.locale.as_deref())
                .map_err(|why| anyhow!("users.toml: `{}`: locale {why}", u.email))?
                .as_str()
                .to_string(),
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
    for r in toml_file::<RelationshipsFile>(source, demo, "relationships.toml")?.relationship {
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
        plan_products(source, demo, &enterprise, &categories, &vat_rates, now)?;

    let mut cycles = PlannedCycles::default();
    let context = CycleContext {
        relationships: &relationships,
        variants: &variant_rows,
        sku_ids: &sku_ids,
        standard_rate_bp,
        now,
    };
    for c in toml_file::<CyclesFile>(source, demo, "order_cycles.toml")?.order_cycle {
        plan_cycle(&mut cycles, c, "order_cycles.toml", &enterprise, &context)?;
    }
    // the past cycle is planned last: its id, the latest, lists it after the others
    let history = history::plan(
        toml_file(source, demo, "history.toml")?,
        &mut cycles,
        &history::Known {
            users: &user_rows,
            roles: &role_rows,
            currencies: &currency_rows,
            sku_ids: &sku_ids,
        },
        &enterprise,
        &context,
    )?;
    let PlannedCycles {
        rows: cycle_rows,
        offers,
        shipping,
    } = cycles;

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
        history,
    })
}

/// The order cycles planned so far: rows, offers and pickup or delivery methods.
#[derive(Default)]
pub(crate) struct PlannedCycles {
    pub(crate) rows: Vec<OrderCycleRow>,
    pub(crate) offers: Vec<OfferRow>,
    pub(crate) shipping: Vec<ShippingMethodRow>,
}

/// What planning a cycle reads: the planned catalogue, the standard VAT rate (of delivery
/// fees) and the moment of loading.
pub(crate) struct CycleContext<'a> {
    relationships: &'a [(String, String)],
    variants: &'a [VariantRow],
    sku_ids: &'a HashMap<String, String>,
    standard_rate_bp: i32,
    now: NaiveDateTime,
}

/// Plans cycle `c` of `file` (times relative to the moment of loading) into `cycles`.
fn plan_cycle(
    cycles: &mut PlannedCycles,
    c: CycleFixture,
    file: &str,
    enterprise: EnterpriseLookup,
    context: &CycleContext,
) -> Result<()> {
    let CycleContext {
        relationships,
        variants: variant_rows,
        sku_ids,
        standard_rate_bp,
        now,
    } = *context;
    let (cycle_rows, offers, shipping) =
        (&mut cycles.rows, &mut cycles.offers, &mut cycles.shipping);
    let (hub_id, _) = enterprise(file, &c.hub)?;
    if c.offer != "all" {
        bail!("{file}: `{}`: only offer = \"all\" is supported", c.name);
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
            .ok_or_else(|| anyhow!("{file}: `{}`: unknown SKU `{sku}`", c.name))?;
        let minor = parse_amount(price, 2, Sign::NonNegative)
            .map_err(|e| anyhow!("{file}: `{}`: price of `{sku}` {e}", c.name))?;
        let offer = offers
            .iter_mut()
            .find(|o| o.order_cycle_id == id && &o.variant_id == variant_id)
            .ok_or_else(|| anyhow!("{file}: `{sku}` is not offered in `{}`", c.name))?;
        offer.hub_price_eur_minor = Some(minor);
    }
    let at = |hours: i64| {
        Duration::try_hours(hours)
            .and_then(|d| now.checked_add_signed(d))
            .ok_or_else(|| anyhow!("{file}: `{}`: {hours} hours is out of range", c.name))
    };
    let (opens_at, closes_at) = (at(c.opens_in_hours)?, at(c.closes_in_hours)?);
    if closes_at <= opens_at {
        bail!("{file}: `{}` must close after it opens", c.name);
    }
    for m in &c.shipping {
        let fee_minor = parse_amount(m.fee_eur.as_deref().unwrap_or("0"), 2, Sign::NonNegative)
            .map_err(|e| anyhow!("{file}: `{}`: fee of `{}` {e}", c.name, m.name))?;
        shipping.push(ShippingMethodRow {
            id: new_id(),
            order_cycle_id: id.clone(),
            kind: m.kind.as_str().into(),
            name: m.name.clone(),
            address: m.address.clone(),
            instructions: m.instructions.clone(),
            at_time: at(c.closes_in_hours + m.after_close_hours)?,
            fee_minor,
            vat_rate_bp: standard_rate_bp,
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
        settles_at: None,
    });
    Ok(())
}

type ProductPlan = (Vec<ProductRow>, Vec<VariantRow>, HashMap<String, String>);
/// Finds an enterprise's id and kind by slug, naming the file in the error.
type EnterpriseLookup<'a> = &'a dyn Fn(&str, &str) -> Result<(String, EnterpriseKind)>;

fn plan_products(
    source: &Source,
    demo: Demo,
    enterprise: EnterpriseLookup,
    categories: &[(String, String, Option<String>)],
    vat_rates: &[i64],
    now: NaiveDateTime,
) -> Result<ProductPlan> {
    let text = read(source, demo, "products.csv")?;
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
        if !vat_rates.contains(&vat_bp) {
            let country = demo.deployment().country;
            return Err(at(format!(
                "vat_rate {} is not a VAT rate of {} ({})",
                line.vat_rate,
                country.code(),
                country.vat_rates().join(", ")
            )));
        }
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

/// Loads `demo`, then plays its history ([`history`]). Refuses a non-empty database unless
/// `force`, which first **deletes all marketplace data** (refused once the ledger holds
/// entries — which it does after a load with history). Records the demo's deployment (legal
/// currency and country) when the database's is another and its ledger holds no entry;
/// refuses otherwise. Everything, the history included, happens in one transaction.
pub fn load(conn: &mut DbConn, demo: Demo, source: Source, force: bool) -> Result<Summary> {
    load_with(conn, demo, source, force, true)
}

/// [`load`] without the demo's history: the catalogue, people and cycles (the past cycle
/// left out), and an empty ledger (`comptoir demo load --no-history`).
pub fn load_without_history(
    conn: &mut DbConn,
    demo: Demo,
    source: Source,
    force: bool,
) -> Result<Summary> {
    load_with(conn, demo, source, force, false)
}

fn load_with(
    conn: &mut DbConn,
    demo: Demo,
    source: Source,
    force: bool,
    with_history: bool,
) -> Result<Summary> {
    let mut plan = plan(&source, demo, crate::time::now())?;
    if !with_history {
        // the history's file is still checked; its cycle is not written
        let past = plan.history.cycle_id.clone();
        plan.cycles.retain(|c| c.id != past);
        plan.offers.retain(|o| o.order_cycle_id != past);
        plan.shipping.retain(|m| m.order_cycle_id != past);
    }
    let wanted = demo.deployment();
    let recorded = crate::deployment::get(conn)?;
    if recorded != wanted && ledger_holds_an_entry(conn)? {
        bail!(
            "{demo} is a {} deployment in {}; this database's is {} in {}, fixed since its \
             ledger holds entries: load the demo into a fresh database",
            wanted.legal.code,
            wanted.country.code(),
            recorded.legal.code,
            recorded.country.code()
        );
    }
    if !force && !is_empty(conn)? {
        bail!("the database is not empty; use --force to replace its data with the demo");
    }
    let (topups, orders, reconversions) = if with_history {
        plan.history.counts()
    } else {
        (0, 0, 0)
    };
    let mut summary = Summary {
        enterprises: plan.enterprises.len(),
        users: plan.users.len(),
        currencies: plan.currencies.len(),
        products: plan.products.len(),
        variants: plan.variants.len(),
        order_cycles: plan.cycles.len(),
        topups,
        orders,
        reconversions,
        ledger_entries: 0,
    };
    if force {
        let entries: i64 = ledger_entries::table.count().get_result(conn.diesel())?;
        if entries > 0 {
            bail!("the ledger holds {entries} entries and is append-only: load the demo into a fresh database instead");
        }
    }
    let written = conn.transaction(|conn| {
        if force {
            delete_all(conn)?;
        }
        // the demo's legal tender and country, recorded (the old tender's row replaced)
        crate::setup::adopt(conn, wanted).map_err(|e| anyhow!(e))?;
        load_rows(conn, &plan)?;
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
        // the past, played through the domain in this same transaction
        if with_history {
            history::play(conn, &plan.history)
        } else {
            Ok(0)
        }
    });
    if written.is_err() {
        // a choice recorded by the rolled-back transaction is not the database's
        crate::deployment::forget(conn);
    }
    summary.ledger_entries = written.context("writing the demo data")?;
    Ok(summary)
}

/// Whether the ledger holds an entry.
fn ledger_holds_an_entry(conn: &mut DbConn) -> Result<bool> {
    Ok(ledger_entries::table
        .select(ledger_entries::seq)
        .limit(1)
        .first::<i64>(conn.diesel())
        .optional()?
        .is_some())
}

/// Deletes all marketplace data (the ledger must hold no entry).
fn delete_all(conn: &mut DbConn) -> Result<(), diesel::result::Error> {
    let conn = conn.diesel();
    diesel::delete(idempotency_keys::table).execute(conn)?;
    diesel::delete(producer_settlements::table).execute(conn)?;
    diesel::delete(order_fees::table).execute(conn)?;
    diesel::delete(cycle_fees::table).execute(conn)?;
    diesel::delete(order_lines::table).execute(conn)?;
    diesel::delete(order_allocations::table).execute(conn)?;
    diesel::delete(cycle_unbooked_sums::table).execute(conn)?;
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
    diesel::delete(crate::db::schema::order_counters::table).execute(conn)?;
    diesel::delete(enterprises::table).execute(conn)?;
    Ok(())
}

fn load_rows(conn: &mut DbConn, plan: &Plan) -> Result<(), diesel::result::Error> {
    {
        let conn = conn.diesel();
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
        let plan = plan(&Source::Embedded, Demo::France, crate::time::now()).expect("demo plans");
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

    #[test]
    fn embedded_swiss_demo_is_consistent() {
        let now = crate::time::now();
        let plan = plan(&Source::Embedded, Demo::Switzerland, now).expect("Swiss demo plans");
        assert_eq!(plan.enterprises.len(), 5);
        assert_eq!(plan.users.len(), 10);
        assert_eq!(plan.variants.len(), 22);
        // every enterprise in Switzerland, with a UID that passed its check digit
        for e in &plan.enterprises {
            assert_eq!(e.country_code, "CH", "{}", e.slug);
            assert_eq!(e.postcode.len(), 4, "{}", e.slug);
            let uid = e.uid.as_deref().expect("a UID");
            crate::enterprises::identifiers::Uid::parse(uid).expect("a valid UID");
            assert!(e.siren.is_none());
        }
        let hub = plan
            .enterprises
            .iter()
            .find(|e| e.slug == "le-cabas")
            .expect("the hub");
        assert_eq!((hub.city.as_str(), hub.kind.as_str()), ("Lausanne", "hub"));
        // its orders numbered CAB-…, every enterprise's times in Zurich's
        assert_eq!(hub.order_prefix, "CAB");
        assert!(plan
            .enterprises
            .iter()
            .all(|e| e.time_zone == "Europe/Zurich"));
        // food at 2.6 %, the rest at 8.1 %; prices in francs
        let rates: std::collections::BTreeSet<i32> =
            plan.variants.iter().map(|v| v.vat_rate_bp).collect();
        assert_eq!(rates, [260, 810].into_iter().collect());
        assert!(plan.shipping.iter().all(|m| m.vat_rate_bp == 810));
        assert!(plan.users.iter().all(|u| u.locale == "fr"));
        assert!(plan
            .cycles
            .iter()
            .any(|c| c.opens_at < now && c.closes_at > now && c.time_zone == "Europe/Zurich"));
        assert!(plan.currencies.iter().any(|c| c.code == "MOL"
            && c.scale == 2
            && c.kind == "local"
            && c.parity_to_eur.as_deref() == Some("1")));
        assert!(plan
            .currencies
            .iter()
            .any(|c| c.code == "CHF" && c.kind == "fiat"));
    }

    #[test]
    fn a_demo_is_named_by_its_country() {
        assert_eq!(Demo::parse("fr"), Some(Demo::France));
        assert_eq!(Demo::parse("CH"), Some(Demo::Switzerland));
        assert_eq!(Demo::parse("be"), None);
        assert_eq!(
            Demo::Switzerland.deployment(),
            crate::deployment::Deployment::from_codes("CHF", "CH").expect("Switzerland")
        );
        for demo in Demo::ALL {
            assert_eq!(Demo::parse(demo.code()), Some(*demo));
        }
    }

    /// The demo's files with `users.toml` changed by `edit`, in a temporary directory.
    fn edited_users(demo: Demo, edit: impl Fn(&str) -> String) -> tempfile::TempDir {
        edited(demo, "users.toml", edit)
    }

    /// The demo's files with `file` changed by `edit`, in a temporary directory.
    fn edited(demo: Demo, file: &str, edit: impl Fn(&str) -> String) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("dir");
        for (name, text) in demo.embedded() {
            let text = if *name == file {
                edit(text)
            } else {
                text.to_string()
            };
            std::fs::write(dir.path().join(name), text).expect("write");
        }
        dir
    }

    #[test]
    fn a_demo_user_speaks_a_language_of_the_demos_country() {
        let german = |text: &str| {
            text.replacen(
                "display_name = \"Léa Consommatrice\"",
                "display_name = \"Léa Consommatrice\"\nlocale = \"de\"",
                1,
            )
        };
        let dir = edited_users(Demo::Switzerland, german);
        let planned = plan(
            &Source::Dir(dir.path()),
            Demo::Switzerland,
            crate::time::now(),
        )
        .expect("German is Swiss");
        let lea = planned
            .users
            .iter()
            .find(|u| u.email == "lea@example.org")
            .expect("Léa");
        assert_eq!(lea.locale, "de");
        assert!(planned
            .users
            .iter()
            .filter(|u| u.email != "lea@example.org")
            .all(|u| u.locale == "fr"));

        let italian = |text: &str| {
            text.replacen(
                "display_name = \"Léa Consommatrice\"",
                "display_name = \"Léa Consommatrice\"\nlocale = \"it\"",
                1,
            )
        };
        let dir = edited_users(Demo::Switzerland, italian);
        let refused = plan(
            &Source::Dir(dir.path()),
            Demo::Switzerland,
            crate::time::now(),
        )
        .err()
        .expect("no Italian yet");
        assert!(
            refused
                .to_string()
                .contains("`lea@example.org`: locale must be `fr`, `de` or `en`"),
            "{refused}"
        );
    }

    #[test]
    fn a_rate_of_another_country_is_refused() {
        let dir = tempfile::tempdir().expect("dir");
        for (name, text) in EMBEDDED_CH {
            let text = if *name == "products.csv" {
                text.replacen(",2.6,", ",5.5,", 1)
            } else {
                text.to_string()
            };
            std::fs::write(dir.path().join(name), text).expect("write");
        }
        let refused = plan(
            &Source::Dir(dir.path()),
            Demo::Switzerland,
            crate::time::now(),
        )
        .err()
        .expect("a French rate in Switzerland");
        assert!(
            refused
                .to_string()
                .contains("vat_rate 5.5 is not a VAT rate of CH"),
            "{refused}"
        );
    }

    #[test]
    fn the_history_is_planned_with_its_past_cycle_last() {
        for demo in Demo::ALL {
            let now = crate::time::now();
            let planned = plan(&Source::Embedded, *demo, now).expect("plans");
            assert_eq!(planned.history.counts(), (2, 3, 1), "{demo}");
            let past = planned.cycles.last().expect("the past cycle");
            assert_eq!(past.id, planned.history.cycle_id);
            // written open (checkout takes orders), its fixture's close kept for later
            assert!(past.opens_at < now && past.closes_at > now, "{demo}");
            assert!(planned.history.closes_at < now, "{demo}");
            assert!(planned.cycles.iter().all(|c| c.id <= past.id));
        }
    }

    #[test]
    fn a_history_is_checked_before_anything_is_written() {
        let refused = |edit: &dyn Fn(&str) -> String| {
            let dir = edited(Demo::France, "history.toml", edit);
            plan(&Source::Dir(dir.path()), Demo::France, crate::time::now())
                .err()
                .expect("refused")
                .to_string()
        };
        let more = refused(&|t| t.replace("delivered = \"1.85\"", "delivered = \"2.5\""));
        assert!(
            more.contains("2.5 delivered of `FERME-BUT-1KG`, more than the 2 ordered"),
            "{more}"
        );
        let future = refused(&|t| t.replace("closes_in_hours = -96", "closes_in_hours = 5"));
        assert!(
            future.contains("must open, then close, before the load"),
            "{future}"
        );
        let nobody = refused(&|t| t.replace("yanis@example.org", "zoe@example.org"));
        assert!(
            nobody.contains("no demo user `zoe@example.org`"),
            "{nobody}"
        );
        let method =
            refused(&|t| t.replacen("shipping = \"Livraison à vélo\"", "shipping = \"Drone\"", 1));
        assert!(method.contains("no method `Drone`"), "{method}");
        let fiat = refused(&|t| t.replace("currency = \"LEM\"", "currency = \"EUR\""));
        assert!(fiat.contains("`EUR` is not a local currency"), "{fiat}");
    }
}
