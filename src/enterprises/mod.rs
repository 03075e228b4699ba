//! Enterprises: producers, hubs (shops, consumer cooperatives), both, and currency
//! associations. Each is public or hidden; only public ones are listed to everyone.
//!
//! - [`manage`]: creating and editing an enterprise (with its legal identifiers and the
//!   currencies it accepts; its wallets are opened with it).
//! - [`relationships`]: the permissions a producer grants a hub.
//! - [`roles`]: the people of an enterprise and their roles, named by its owners.
//! - [`identifiers`]: SIREN, SIRET and VAT numbers, checked by their check digits.
//! - [`prefix`]: the order prefix a hub's order numbers start with (`CAG`).

pub mod identifiers;
pub mod manage;
pub mod prefix;
pub mod relationships;
pub mod roles;

/// What can go wrong with enterprises and their relationships.
#[derive(Debug, thiserror::Error)]
pub enum EnterpriseError {
    #[error(transparent)]
    Invalid(#[from] crate::error::Invalid),
    #[error("{0}")]
    NotFound(String),
    /// Not possible in the current state (e.g. a hub granting permissions).
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Internal(String),
    #[error(transparent)]
    Auth(#[from] crate::auth::AuthError),
    #[error(transparent)]
    Ledger(#[from] crate::ledger::LedgerError),
    #[error(transparent)]
    Audit(#[from] crate::audit::AuditError),
    #[error("database: {0}")]
    Db(#[from] diesel::result::Error),
    #[error(transparent)]
    Unavailable(#[from] crate::db::DbError),
}

crate::error::domain_error!(EnterpriseError);

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::{enterprise_currencies, enterprises};
use crate::db::DbConn;

use crate::pagination::{Page, PageParams};

/// What an enterprise does in the marketplace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnterpriseKind {
    Producer,
    Hub,
    /// Both a producer and a hub (a farm shop selling its own and others' products).
    ProducerHub,
    /// Issues a local currency and holds its guarantee fund.
    CurrencyAssociation,
}

impl EnterpriseKind {
    pub const ALL: &'static [EnterpriseKind] = &[
        EnterpriseKind::Producer,
        EnterpriseKind::Hub,
        EnterpriseKind::ProducerHub,
        EnterpriseKind::CurrencyAssociation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EnterpriseKind::Producer => "producer",
            EnterpriseKind::Hub => "hub",
            EnterpriseKind::ProducerHub => "producer_hub",
            EnterpriseKind::CurrencyAssociation => "currency_association",
        }
    }

    pub fn parse(s: &str) -> Option<EnterpriseKind> {
        [
            Self::Producer,
            Self::Hub,
            Self::ProducerHub,
            Self::CurrencyAssociation,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    pub fn is_producer(self) -> bool {
        matches!(self, EnterpriseKind::Producer | EnterpriseKind::ProducerHub)
    }

    pub fn is_hub(self) -> bool {
        matches!(self, EnterpriseKind::Hub | EnterpriseKind::ProducerHub)
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = enterprises)]
pub struct EnterpriseRow {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub kind: String,
    pub description: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address_line: String,
    pub postcode: String,
    pub city: String,
    pub country_code: String,
    pub siren: Option<String>,
    pub vat_number: Option<String>,
    pub visibility: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub siret: Option<String>,
    /// A Swiss enterprise's UID, as shown (`CHE-123.456.788`).
    pub uid: Option<String>,
    /// What its order numbers start with (`CAG`: [`prefix`]).
    pub order_prefix: String,
    /// The IANA time zone its people read times in (`Europe/Paris`).
    pub time_zone: String,
}

impl EnterpriseRow {
    /// A new enterprise with empty contact details and no legal identifiers, its order prefix
    /// read from its name (not checked against the others': [`manage::create`] does) and in
    /// France's time zone.
    pub fn new(
        slug: String,
        name: String,
        kind: EnterpriseKind,
        visibility: &str,
    ) -> EnterpriseRow {
        let now = crate::time::now();
        EnterpriseRow {
            id: crate::time::new_id(),
            slug,
            order_prefix: prefix::derive_prefix(&name),
            name,
            kind: kind.as_str().to_string(),
            description: String::new(),
            email: None,
            phone: None,
            address_line: String::new(),
            postcode: String::new(),
            city: String::new(),
            country_code: "FR".into(),
            siren: None,
            vat_number: None,
            visibility: visibility.to_string(),
            created_at: now,
            updated_at: now,
            siret: None,
            uid: None,
            time_zone: crate::deployment::Country::France.time_zone().to_string(),
        }
    }
}

/// Postal address.
#[derive(Debug, Clone)]
pub struct Address {
    pub line: String,
    pub postcode: String,
    pub city: String,
    /// ISO 3166-1 alpha-2.
    pub country_code: String,
}

/// An enterprise as shown by the API.
#[derive(Debug, Clone)]
pub struct Enterprise {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub kind: EnterpriseKind,
    pub description: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Address,
    pub siren: Option<String>,
    pub siret: Option<String>,
    pub uid: Option<String>,
    pub vat_number: Option<String>,
    /// `public` (listed in the directory) or `hidden` (seen by its own people only).
    pub visibility: String,
    /// Currencies the enterprise takes payment in: always the legal currency, plus local
    /// currencies.
    pub accepted_currencies: Vec<String>,
    /// What its order numbers start with (`CAG-2026-000123`).
    pub order_prefix: String,
    /// The IANA time zone its mails show times in.
    pub time_zone: String,
    pub created_at: DateTime<chrono::Utc>,
}

impl TryFrom<EnterpriseRow> for Enterprise {
    type Error = EnterpriseError;

    fn try_from(row: EnterpriseRow) -> Result<Self, EnterpriseError> {
        let kind = EnterpriseKind::parse(&row.kind).ok_or_else(|| {
            EnterpriseError::internal(format!("unknown enterprise kind {}", row.kind))
        })?;
        Ok(Enterprise {
            id: row.id,
            slug: row.slug,
            name: row.name,
            kind,
            description: row.description,
            email: row.email,
            phone: row.phone,
            address: Address {
                line: row.address_line,
                postcode: row.postcode,
                city: row.city,
                country_code: row.country_code,
            },
            siren: row.siren,
            siret: row.siret,
            uid: row.uid,
            vat_number: row.vat_number,
            visibility: row.visibility,
            // filled by `with_currencies`, from `accepted_currencies`
            accepted_currencies: Vec::new(),
            order_prefix: row.order_prefix,
            time_zone: row.time_zone,
            created_at: crate::time::utc(row.created_at),
        })
    }
}

/// Filter of the public directory: `producer` also matches producer-hubs, and so does `hub`.
#[derive(Debug, Clone, Copy, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KindFilter {
    Producer,
    Hub,
    CurrencyAssociation,
}

impl KindFilter {
    pub const ALL: &'static [KindFilter] = &[
        KindFilter::Producer,
        KindFilter::Hub,
        KindFilter::CurrencyAssociation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            KindFilter::Producer => "producer",
            KindFilter::Hub => "hub",
            KindFilter::CurrencyAssociation => "currency_association",
        }
    }

    fn kinds(self) -> Vec<&'static str> {
        match self {
            KindFilter::Producer => vec!["producer", "producer_hub"],
            KindFilter::Hub => vec!["hub", "producer_hub"],
            KindFilter::CurrencyAssociation => vec!["currency_association"],
        }
    }
}

/// Public enterprises in id (creation) order.
pub fn list_public(
    conn: &mut DbConn,
    kind: Option<KindFilter>,
    page: &PageParams,
) -> Result<Page<Enterprise>, EnterpriseError> {
    let limit = page.fetch_limit();
    let rows: Vec<EnterpriseRow> = {
        let conn = conn.diesel();
        let mut query = enterprises::table
            .filter(enterprises::visibility.eq("public"))
            .select(EnterpriseRow::as_select())
            .order(enterprises::id.asc())
            .limit(limit)
            .into_boxed();
        if let Some(kind) = kind {
            query = query.filter(enterprises::kind.eq_any(kind.kinds()));
        }
        if let Some(after) = &page.after {
            query = query.filter(enterprises::id.gt(after.clone()));
        }
        query.load(conn)
    }?;
    let page = page.paginate(rows, |r| r.id.clone());
    let ids: Vec<String> = page.items.iter().map(|r| r.id.clone()).collect();
    let mut accepted = accepted_currencies(conn, &ids)?;
    page.try_map(|row| with_currencies(row, &mut accepted))
}

/// The API view of `row`, with its accepted currencies taken from `accepted`.
fn with_currencies(
    row: EnterpriseRow,
    accepted: &mut HashMap<String, Vec<String>>,
) -> Result<Enterprise, EnterpriseError> {
    let id = row.id.clone();
    let mut view = Enterprise::try_from(row)?;
    view.accepted_currencies = accepted.remove(&id).unwrap_or_default();
    Ok(view)
}

/// The accepted currencies of each enterprise in `ids` (the legal currency first, then the
/// local ones its currency's association approved).
pub fn accepted_currencies(
    conn: &mut DbConn,
    ids: &[String],
) -> Result<HashMap<String, Vec<String>>, EnterpriseError> {
    let rows: Vec<(String, String)> = enterprise_currencies::table
        .filter(enterprise_currencies::enterprise_id.eq_any(ids))
        // only what its association approved (`association::professionals`)
        .filter(enterprise_currencies::state.eq("approved"))
        .select((
            enterprise_currencies::enterprise_id,
            enterprise_currencies::currency_code,
        ))
        .order((
            enterprise_currencies::enterprise_id,
            enterprise_currencies::currency_code,
        ))
        .load(conn.diesel())?;
    let legal = crate::ledger::currencies::legal(conn)?.code.to_string();
    let mut map: HashMap<String, Vec<String>> = ids
        .iter()
        .map(|id| (id.clone(), vec![legal.clone()]))
        .collect();
    for (id, code) in rows {
        if code != legal {
            map.entry(id).or_default().push(code);
        }
    }
    Ok(map)
}

/// An enterprise (public or hidden) as shown, with its accepted currencies.
pub fn view(conn: &mut DbConn, row: EnterpriseRow) -> Result<Enterprise, EnterpriseError> {
    let mut accepted = accepted_currencies(conn, std::slice::from_ref(&row.id))?;
    with_currencies(row, &mut accepted)
}

/// The id of the enterprise (public or hidden) with this id or slug.
pub fn find_id(conn: &mut DbConn, id_or_slug: &str) -> Result<Option<String>, EnterpriseError> {
    Ok(enterprises::table
        .filter(
            enterprises::id
                .eq(id_or_slug)
                .or(enterprises::slug.eq(id_or_slug)),
        )
        .select(enterprises::id)
        .first::<String>(conn.diesel())
        .optional()?)
}

/// Every enterprise of `kind`, public or hidden, by name (a platform admin's lists).
pub fn all_of_kind(
    conn: &mut DbConn,
    kind: EnterpriseKind,
) -> Result<Vec<EnterpriseRow>, EnterpriseError> {
    Ok(enterprises::table
        .filter(enterprises::kind.eq(kind.as_str()))
        .select(EnterpriseRow::as_select())
        .order((enterprises::name.asc(), enterprises::id.asc()))
        .load(conn.diesel())?)
}

/// The id of the enterprise `key` names (its id or its slug), as `actor` may see it: a public
/// one, or a hidden one the actor holds a role in (or any, for a platform admin). Otherwise
/// `NotFound`, the same whether it does not exist or is hidden from the actor. Every route
/// that names an enterprise resolves it here, then asks the policy.
pub fn resolve(
    conn: &mut DbConn,
    actor: &crate::auth::actor::Actor,
    key: &str,
) -> Result<String, EnterpriseError> {
    let found: Option<(String, String)> = enterprises::table
        .filter(enterprises::id.eq(key).or(enterprises::slug.eq(key)))
        .select((enterprises::id, enterprises::visibility))
        .first(conn.diesel())
        .optional()?;
    match found {
        Some((id, visibility))
            if visibility == "public"
                || actor.is_platform_admin
                || actor.roles.iter().any(|(e, _)| *e == id) =>
        {
            Ok(id)
        }
        _ => Err(EnterpriseError::NotFound(format!("no enterprise `{key}`"))),
    }
}

/// The time zone of enterprise `id` (its mails show times in it); France's when there is no
/// such enterprise.
pub fn time_zone(conn: &mut DbConn, id: &str) -> Result<String, diesel::result::Error> {
    Ok(enterprises::table
        .find(id)
        .select(enterprises::time_zone)
        .first::<String>(conn.diesel())
        .optional()?
        .unwrap_or_else(|| crate::deployment::Country::France.time_zone().to_string()))
}

/// Any enterprise (public or hidden) by id; 404 when missing.
pub fn get_row(conn: &mut DbConn, id: &str) -> Result<EnterpriseRow, EnterpriseError> {
    let row: Option<EnterpriseRow> = enterprises::table
        .find(id)
        .select(EnterpriseRow::as_select())
        .first(conn.diesel())
        .optional()?;
    row.ok_or_else(|| EnterpriseError::NotFound(format!("no enterprise `{id}`")))
}

/// A public enterprise by id or slug.
pub fn find_public(conn: &mut DbConn, id_or_slug: &str) -> Result<Enterprise, EnterpriseError> {
    let row: Option<EnterpriseRow> = enterprises::table
        .filter(enterprises::visibility.eq("public"))
        .filter(
            enterprises::id
                .eq(id_or_slug)
                .or(enterprises::slug.eq(id_or_slug)),
        )
        .select(EnterpriseRow::as_select())
        .first(conn.diesel())
        .optional()?;
    let row =
        row.ok_or_else(|| EnterpriseError::NotFound(format!("no enterprise `{id_or_slug}`")))?;
    view(conn, row)
}
