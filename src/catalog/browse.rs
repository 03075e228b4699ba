//! Browsing the catalogue: the public catalogue, one producer's, or a hub's offer (the
//! variants of every producer that lets the hub sell its products), with search, filters,
//! sorting and keyset (cursor) pagination.
//!
//! Items are variants, each with its product and producer, because stock, price and local
//! share — what shoppers filter on — belong to variants. Only active variants are listed;
//! the public catalogue lists public producers only, while a hub's offer also includes hidden
//! producers that sell through the hub alone.
//!
//! - `q`: every word must appear in the product or variant name, ignoring case and accents;
//! - `category`: that category and the ones below it;
//! - `in_stock=true`: on-demand variants and those with stock; `min_local_share=N`: variants
//!   payable at least N % in local currency;
//! - `sort`: `name` (default), `price`, `-price`, `newest`.
//!
//! Sorting and searching run on `variants.name_key` (folded names, one index), so a page
//! costs the same on page 1 and page 200.

use diesel::prelude::*;

use super::{categories, Variant, VariantRow};
use crate::catalog::CatalogError;
use crate::db::schema::{enterprise_relationships as rel, enterprises, products, variants};
use crate::db::DbConn;
use crate::error::FieldError;
use crate::pagination::{Page, DEFAULT_LIMIT, MAX_LIMIT};

/// The longest search term, in characters (SQLite refuses a `LIKE` pattern of ~50,000).
pub const MAX_QUERY_CHARS: usize = 200;

/// Sort orders of a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    Name,
    Price,
    PriceDesc,
    Newest,
}

impl Sort {
    fn parse(s: &str) -> Option<Sort> {
        match s {
            "name" => Some(Sort::Name),
            "price" => Some(Sort::Price),
            "-price" => Some(Sort::PriceDesc),
            "newest" => Some(Sort::Newest),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Sort::Name => "name",
            Sort::Price => "price",
            Sort::PriceDesc => "-price",
            Sort::Newest => "newest",
        }
    }
}

/// Query parameters of a catalogue listing.
#[derive(Debug, Clone, Default)]
pub struct BrowseParams {
    /// Words to find in product and variant names (case and accents ignored); at most 200
    /// characters.
    pub q: Option<String>,
    /// A category slug; its sub-categories are included.
    pub category: Option<String>,
    /// A producer's id or slug.
    pub producer: Option<String>,
    /// `true`: only variants that can be ordered now (on demand or with stock).
    pub in_stock: Option<bool>,
    /// Only variants payable at least this percent in local currency (0–100).
    pub min_local_share: Option<i32>,
    /// `name` (default), `price`, `-price` or `newest`.
    pub sort: Option<String>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u32>,
    /// Cursor from the previous page's `next` link.
    pub after: Option<String>,
}

/// Where to look.
#[derive(Debug, Clone)]
pub enum Scope {
    /// Every public producer.
    Public,
    /// The producers that let this hub add their products to its cycles, once the hub
    /// accepted them (and the hub's own products when it is a producer-hub).
    HubOffer(String),
}

/// A checked listing request.
#[derive(Debug, Clone)]
pub struct Browse {
    words: Vec<String>,
    categories: Option<Vec<String>>,
    producer: Option<String>,
    in_stock: bool,
    min_local_share: Option<i32>,
    sort: Sort,
    limit: u32,
    after: Option<(String, String)>,
}

fn encode_cursor(sort: Sort, key: &str, id: &str) -> String {
    format!("{}\u{1f}{key}\u{1f}{id}", sort.as_str())
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn decode_cursor(sort: Sort, text: &str) -> Option<(String, String)> {
    if text.len() % 2 != 0 || text.len() > 1024 {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect();
    let decoded = String::from_utf8(bytes?).ok()?;
    let mut parts = decoded.split('\u{1f}');
    let (s, key, id) = (parts.next()?, parts.next()?, parts.next()?);
    (s == sort.as_str() && parts.next().is_none()).then(|| (key.to_string(), id.to_string()))
}

impl BrowseParams {
    /// Checks the parameters (every problem reported at once) against the taxonomy.
    pub fn check(&self, conn: &mut DbConn) -> Result<Browse, CatalogError> {
        let mut errors = Vec::new();
        let sort = match self.sort.as_deref() {
            None => Sort::Name,
            Some(s) => Sort::parse(s).unwrap_or_else(|| {
                errors.push(FieldError::new(
                    "sort",
                    "invalid_choice",
                    "must be name, price, -price or newest",
                ));
                Sort::Name
            }),
        };
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            errors.push(FieldError::new(
                "limit",
                "out_of_range",
                format!("must be between 1 and {MAX_LIMIT}"),
            ));
        }
        let after = match &self.after {
            None => None,
            Some(a) => {
                let c = decode_cursor(sort, a);
                if c.is_none() {
                    errors.push(FieldError::new(
                        "after",
                        "invalid_cursor",
                        "is not a cursor from a `next` link of this sort order",
                    ));
                }
                c
            }
        };
        if self
            .q
            .as_deref()
            .is_some_and(|q| q.chars().count() > MAX_QUERY_CHARS)
        {
            errors.push(FieldError::new(
                "q",
                "too_long",
                format!("must be at most {MAX_QUERY_CHARS} characters"),
            ));
        }
        if let Some(share) = self.min_local_share {
            if !(0..=100).contains(&share) {
                errors.push(FieldError::new(
                    "min_local_share",
                    "out_of_range",
                    "must be between 0 and 100",
                ));
            }
        }
        let words: Vec<String> = self
            .q
            .as_deref()
            .map(super::fold)
            .unwrap_or_default()
            .split(' ')
            .filter(|w| !w.is_empty())
            .take(8)
            .map(str::to_string)
            .collect();
        let categories = match &self.category {
            None => None,
            Some(slug) => {
                let all = categories::list(conn)?;
                let found = categories::with_descendants(&all, slug);
                if found.is_none() {
                    errors.push(FieldError::new(
                        "category",
                        "unknown_category",
                        format!("`{slug}` is not a category"),
                    ));
                }
                found
            }
        };
        let producer = match &self.producer {
            None => None,
            Some(p) => {
                let id: Option<String> = enterprises::table
                    .filter(enterprises::id.eq(p).or(enterprises::slug.eq(p)))
                    .filter(enterprises::visibility.eq("public"))
                    .select(enterprises::id)
                    .first(conn.diesel())
                    .optional()?;
                if id.is_none() {
                    errors.push(FieldError::new(
                        "producer",
                        "unknown_producer",
                        format!("no public producer `{p}`"),
                    ));
                }
                id
            }
        };
        if !errors.is_empty() {
            return Err(CatalogError::invalid(errors));
        }
        Ok(Browse {
            words,
            categories,
            producer,
            in_stock: self.in_stock.unwrap_or(false),
            min_local_share: self.min_local_share,
            sort,
            limit,
            after,
        })
    }
}

/// The product of a listed variant.
#[derive(Debug, Clone)]
pub struct ItemProduct {
    pub id: String,
    pub name: String,
    pub description: String,
    pub category: String,
}

/// The producer of a listed variant.
#[derive(Debug, Clone)]
pub struct ItemProducer {
    pub id: String,
    pub slug: String,
    pub name: String,
}

/// One variant of a listing, with its product and producer.
#[derive(Debug, Clone)]
pub struct CatalogItem {
    pub variant: Variant,
    pub product: ItemProduct,
    pub producer: ItemProducer,
}

type ItemRow = (VariantRow, (String, String, String), (String, String));

/// One page of the catalogue in `scope`.
pub fn list(
    conn: &mut DbConn,
    scope: &Scope,
    b: &Browse,
) -> Result<Page<CatalogItem>, CatalogError> {
    let fetch = i64::from(b.limit) + 1;
    let rows: Vec<ItemRow> = {
        let conn = conn.diesel();
        let mut q = variants::table
            .inner_join(products::table)
            .inner_join(enterprises::table.on(enterprises::id.eq(variants::producer_id)))
            .filter(variants::archived_at.is_null())
            .select((
                VariantRow::as_select(),
                (
                    products::name,
                    products::description,
                    products::category_slug,
                ),
                (enterprises::slug, enterprises::name),
            ))
            .limit(fetch)
            .into_boxed();
        if let Scope::Public = scope {
            q = q.filter(enterprises::visibility.eq("public"));
        }
        if let Scope::HubOffer(hub) = scope {
            // a correlated EXISTS (not `producer_id IN (…)`): the planner then walks the sort
            // index and stops after one page, instead of collecting and sorting the offer
            let granted = rel::table
                .filter(rel::producer_id.eq(variants::producer_id))
                .filter(rel::hub_id.eq(hub.clone()))
                .filter(rel::can_add_to_order_cycles.eq(true))
                .filter(rel::hub_accepted_at.is_not_null());
            q = q.filter(diesel::dsl::exists(granted).or(enterprises::id.eq(hub.clone())));
        }
        for word in &b.words {
            let pattern = format!(
                "%{}%",
                word.replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_")
            );
            q = q.filter(variants::name_key.like(pattern).escape('\\'));
        }
        if let Some(cats) = &b.categories {
            q = q.filter(products::category_slug.eq_any(cats.clone()));
        }
        if let Some(p) = &b.producer {
            q = q.filter(variants::producer_id.eq(p.clone()));
        }
        if b.in_stock {
            q = q.filter(
                variants::on_demand
                    .eq(true)
                    .or(variants::stock_on_hand.gt(0)),
            );
        }
        if let Some(share) = b.min_local_share {
            q = q.filter(variants::local_share_percent.ge(share));
        }
        q = match b.sort {
            Sort::Name => {
                if let Some((key, id)) = &b.after {
                    // `key >= k` first: a range the index can start from (the OR alone is not)
                    q = q.filter(variants::name_key.ge(key.clone())).filter(
                        variants::name_key
                            .gt(key.clone())
                            .or(variants::id.gt(id.clone())),
                    );
                }
                q.order((variants::name_key.asc(), variants::id.asc()))
            }
            Sort::Price | Sort::PriceDesc => {
                if let Some((key, id)) = &b.after {
                    let price: i64 = key.parse().unwrap_or(0);
                    q = if b.sort == Sort::Price {
                        q.filter(variants::price_eur_minor.ge(price)).filter(
                            variants::price_eur_minor
                                .gt(price)
                                .or(variants::id.gt(id.clone())),
                        )
                    } else {
                        q.filter(variants::price_eur_minor.le(price)).filter(
                            variants::price_eur_minor
                                .lt(price)
                                .or(variants::id.lt(id.clone())),
                        )
                    };
                }
                if b.sort == Sort::Price {
                    q.order((variants::price_eur_minor.asc(), variants::id.asc()))
                } else {
                    q.order((variants::price_eur_minor.desc(), variants::id.desc()))
                }
            }
            Sort::Newest => {
                if let Some((_, id)) = &b.after {
                    q = q.filter(variants::id.lt(id.clone()));
                }
                q.order(variants::id.desc())
            }
        };
        q.load(conn)
    }?;
    let more = rows.len() > b.limit as usize;
    let legal = crate::ledger::currencies::legal(conn)?;
    let mut items = Vec::with_capacity(rows.len().min(b.limit as usize));
    let mut next_cursor = None;
    for (i, (variant, (name, description, category), (slug, producer_name))) in
        rows.into_iter().enumerate()
    {
        if i == b.limit as usize {
            break;
        }
        if more && i + 1 == b.limit as usize {
            let key = match b.sort {
                Sort::Name => variant.name_key.clone(),
                Sort::Price | Sort::PriceDesc => variant.price_eur_minor.to_string(),
                Sort::Newest => String::new(),
            };
            next_cursor = Some(encode_cursor(b.sort, &key, &variant.id));
        }
        let product = ItemProduct {
            id: variant.product_id.clone(),
            name,
            description,
            category,
        };
        let producer = ItemProducer {
            id: variant.producer_id.clone(),
            slug,
            name: producer_name,
        };
        items.push(CatalogItem {
            variant: Variant::of(variant, legal)?,
            product,
            producer,
        });
    }
    Ok(Page { items, next_cursor })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_belong_to_their_sort() {
        let c = encode_cursor(Sort::Name, "carottes / 1 kg", "0190-abc");
        assert_eq!(
            decode_cursor(Sort::Name, &c),
            Some(("carottes / 1 kg".into(), "0190-abc".into()))
        );
        assert_eq!(decode_cursor(Sort::Price, &c), None);
        assert_eq!(decode_cursor(Sort::Name, "zz"), None);
        assert_eq!(decode_cursor(Sort::Name, "abc"), None);
    }
}
