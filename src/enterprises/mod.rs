//! Enterprises: producers, hubs (shops, consumer cooperatives), both, and currency
//! associations. Each is public or hidden; only public ones are listed to everyone.

use chrono::{DateTime, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::pagination::{Page, PageParams};
use crate::db::schema::enterprises;
use crate::db::DbConn;
use crate::db_run;
use crate::error::ApiError;

/// What an enterprise does in the marketplace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
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
}

/// Postal address.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Address {
    pub line: String,
    pub postcode: String,
    pub city: String,
    /// ISO 3166-1 alpha-2.
    pub country_code: String,
}

/// An enterprise as shown by the API.
#[derive(Debug, Clone, Serialize, ToSchema)]
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
    pub vat_number: Option<String>,
    pub created_at: DateTime<chrono::Utc>,
}

impl TryFrom<EnterpriseRow> for Enterprise {
    type Error = ApiError;

    fn try_from(row: EnterpriseRow) -> Result<Self, ApiError> {
        let kind = EnterpriseKind::parse(&row.kind)
            .ok_or_else(|| ApiError::internal(format!("unknown enterprise kind {}", row.kind)))?;
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
            vat_number: row.vat_number,
            created_at: crate::time::utc(row.created_at),
        })
    }
}

/// Filter of the public directory: `producer` also matches producer-hubs, and so does `hub`.
#[derive(Debug, Clone, Copy, serde::Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KindFilter {
    Producer,
    Hub,
    CurrencyAssociation,
}

impl KindFilter {
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
) -> Result<Page<Enterprise>, ApiError> {
    let limit = page.fetch_limit();
    let rows: Vec<EnterpriseRow> = db_run!(conn => {
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
    })?;
    page.paginate(rows, |r| r.id.clone())?
        .try_map(Enterprise::try_from)
}

/// A public enterprise by id or slug.
pub fn find_public(conn: &mut DbConn, id_or_slug: &str) -> Result<Enterprise, ApiError> {
    let row: Option<EnterpriseRow> = db_run!(conn => enterprises::table
        .filter(enterprises::visibility.eq("public"))
        .filter(enterprises::id.eq(id_or_slug).or(enterprises::slug.eq(id_or_slug)))
        .select(EnterpriseRow::as_select())
        .first(conn)
        .optional())?;
    row.ok_or_else(|| ApiError::NotFound(format!("no enterprise `{id_or_slug}`")))?
        .try_into()
}
