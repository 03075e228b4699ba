//! What a hub's shop shows (the pages' `/hubs/{slug}`, `/producers/{slug}` and `/cart`): a
//! hub's open cycles, one page of a cycle's offer, the producers and categories to filter it
//! by, the hubs a producer supplies now, a customer's carts.
//!
//! One page of the offer is read in SQL, never the whole offer: [`offer_page`] picks the
//! products of one page (filtered, ordered by producer, category and product name, with a
//! `LIMIT`, producer by producer), then reads their offered variants, priced as [`super::cycles::offer`] prices them
//! ([`OfferedVariant::of`]: the hub's price when it set one). Both databases give the same
//! page in the same order:
//! - the order is on ASCII keys — the producer's slug, the category's slug, the variants'
//!   folded `name_key` (the product's name, accents off, lowercase) — compared byte by byte
//!   (`COLLATE "C"` on PostgreSQL, SQLite's own binary order);
//! - a search word, folded the same way ([`crate::text::fold`]), must appear in a variant's
//!   `name_key` (product and variant names) or in its producer's slug (its folded name):
//!   case and accents are ignored on both sides, identically on both backends.
//!
//! A cycle's producers and categories ([`facets`]) are kept [`FACETS_TTL`] per database
//! pool: the filters (and the order of the walk) follow a change of the offer that late.

use chrono::NaiveDateTime;
use std::sync::Arc;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::cycles::{OfferedVariant, OrderCycleRow};
use super::order::OrderState;
use crate::catalog::{categories, VariantRow};
use crate::db::schema::{
    enterprises, order_cycle_variants, order_cycles, orders, products, variants,
};
use crate::db::{Backend, DbConn, Kept};
use crate::orders::OrderError;

/// The most products on one page of a shop.
pub const MAX_PER_PAGE: u32 = 50;
/// The most words of a search (more are ignored).
const MAX_WORDS: usize = 8;
/// The longest search, in characters (longer is cut).
pub const MAX_QUERY_CHARS: usize = 200;

/// The cycles of `hub_id` taking orders now, closing soonest first.
pub fn open_cycles(conn: &mut DbConn, hub_id: &str) -> Result<Vec<OrderCycleRow>, OrderError> {
    let now = crate::time::now();
    Ok(order_cycles::table
        .filter(order_cycles::hub_id.eq(hub_id))
        .filter(order_cycles::closed_at.is_null())
        .filter(order_cycles::settled_at.is_null())
        .filter(order_cycles::opens_at.le(now))
        .filter(order_cycles::closes_at.gt(now))
        .order((order_cycles::closes_at.asc(), order_cycles::id.asc()))
        .select(OrderCycleRow::as_select())
        .limit(20)
        .load(conn.diesel())?)
}

/// The next cycle of `hub_id` to open, if one is planned.
pub fn next_cycle(conn: &mut DbConn, hub_id: &str) -> Result<Option<OrderCycleRow>, OrderError> {
    let now = crate::time::now();
    Ok(order_cycles::table
        .filter(order_cycles::hub_id.eq(hub_id))
        .filter(order_cycles::closed_at.is_null())
        .filter(order_cycles::opens_at.gt(now))
        .order((order_cycles::opens_at.asc(), order_cycles::id.asc()))
        .select(OrderCycleRow::as_select())
        .first(conn.diesel())
        .optional()?)
}

/// What a shopper narrows the offer by.
#[derive(Debug, Clone, Default)]
pub struct ShopFilter {
    /// Words to find in product, variant and producer names (case and accents ignored).
    pub q: Option<String>,
    /// A producer's slug.
    pub producer: Option<String>,
    /// A category's slug (its sub-categories included).
    pub category: Option<String>,
}

/// One product of a shop page, with its variants in the cycle (by name).
#[derive(Debug, Clone)]
pub struct ShopProduct {
    pub product_id: String,
    pub name: String,
    pub description: String,
    pub producer_slug: String,
    pub producer_name: String,
    pub category_slug: String,
    pub category_name: String,
    pub variants: Vec<OfferedVariant>,
}

/// One page of a cycle's offer.
#[derive(Debug, Clone)]
pub struct ShopPage {
    pub products: Vec<ShopProduct>,
    /// Whether a next page has products.
    pub has_next: bool,
}

#[derive(QueryableByName)]
struct ProductKey {
    #[diesel(sql_type = Text)]
    product_id: String,
}

fn escape_like(word: &str) -> String {
    format!(
        "%{}%",
        word.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    )
}

/// The search words of `q`, folded.
pub fn search_words(q: Option<&str>) -> Vec<String> {
    let q: String = q.unwrap_or("").chars().take(MAX_QUERY_CHARS).collect();
    crate::text::fold(&q)
        .split(' ')
        .filter(|w| !w.is_empty())
        .take(MAX_WORDS)
        .map(str::to_string)
        .collect()
}

/// The SQL condition and parameters that pick one producer's products in a cycle, after
/// `$1` (the producer) — the cycle is `$2` — with the search words its slug does not hold
/// and the categories.
fn producer_products(
    producer_slug: &str,
    words: &[String],
    categories: Option<&[String]>,
) -> (String, Vec<String>) {
    let mut binds: Vec<String> = Vec::new();
    // the producer's variants (its index) probed against the offer's key (`CROSS JOIN`
    // keeps SQLite to that order), their products kept: an uncorrelated `IN`, so that
    // neither database turns it into a scan of the whole offer or catalogue
    let mut sql = String::from(
        "FROM products p WHERE p.producer_id = $1 AND p.id IN (\
         SELECT v.product_id FROM variants v CROSS JOIN order_cycle_variants ocv \
         WHERE v.producer_id = $1 AND v.archived_at IS NULL \
         AND ocv.order_cycle_id = $2 AND ocv.variant_id = v.id",
    );
    // a word of the producer's slug matches all its variants: only the others are asked of
    // the variants' names
    for word in words.iter().filter(|w| !producer_slug.contains(w.as_str())) {
        binds.push(escape_like(word));
        sql.push_str(&format!(
            " AND v.name_key LIKE ${} ESCAPE '\\'",
            binds.len() + 2
        ));
    }
    sql.push(')');
    if let Some(slugs) = categories {
        let mut marks = Vec::new();
        for slug in slugs {
            binds.push(slug.clone());
            marks.push(format!("${}", binds.len() + 2));
        }
        sql.push_str(&format!(" AND p.category_slug IN ({})", marks.join(", ")));
    }
    (sql, binds)
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Page `page` (from 1) of the products cycle `cycle_id` offers, `per_page` (at most
/// [`MAX_PER_PAGE`]) a page, filtered by `filter`, ordered by producer, category and product
/// name; each product with its active variants in the cycle at the cycle's prices. An
/// unknown producer or category gives an empty page.
///
/// The producers of the cycle ([`facets`]) are walked in order, one query each for its
/// products (its variants by the producer index, each probed against the offer's key),
/// until the page is full: the first page costs one producer's products, not the
/// offer. A later page counts the products of the producers before it first. Without
/// search words or categories, each producer's order is kept [`FACETS_TTL`]
/// ([`kept_order`]), so a visit reads only the page's own variants.
pub fn offer_page(
    conn: &mut DbConn,
    cycle_id: &str,
    filter: &ShopFilter,
    page: u32,
    per_page: u32,
) -> Result<ShopPage, OrderError> {
    let per_page = per_page.clamp(1, MAX_PER_PAGE);
    let page = page.max(1);
    let all_categories = categories::list_kept(conn)?;
    let category_slugs = match &filter.category {
        Some(slug) => match categories::with_descendants(&all_categories, slug) {
            Some(found) => Some(found),
            None => {
                return Ok(ShopPage {
                    products: Vec::new(),
                    has_next: false,
                })
            }
        },
        None => None,
    };
    let collate = match conn.backend() {
        Backend::Postgres => " COLLATE \"C\"",
        Backend::Sqlite => "",
    };
    let words = search_words(filter.q.as_deref());
    let producers: Vec<FacetProducer> = facets(conn, cycle_id)?
        .producers
        .into_iter()
        .filter(|p| {
            filter
                .producer
                .as_ref()
                .is_none_or(|wanted| *wanted == p.slug)
        })
        .collect();
    // 1. the products of the page, producer by producer; without search words or
    //    categories, each producer's products in order come from [`kept_order`]
    let plain = words.is_empty() && category_slugs.is_none();
    let wanted = per_page as usize + 1;
    let mut skip = i64::from(page - 1) * i64::from(per_page);
    let mut ids: Vec<String> = Vec::with_capacity(wanted);
    for producer in &producers {
        if plain {
            let all = kept_order(conn, cycle_id, producer, collate)?;
            let n = all.len() as i64;
            if n <= skip {
                skip -= n;
                continue;
            }
            let from = usize::try_from(skip).unwrap_or(usize::MAX);
            ids.extend(all.iter().skip(from).take(wanted - ids.len()).cloned());
            skip = 0;
            if ids.len() >= wanted {
                break;
            }
            continue;
        }
        let (condition, binds) =
            producer_products(&producer.slug, &words, category_slugs.as_deref());
        if skip > 0 {
            let mut query = diesel::sql_query(format!("SELECT COUNT(*) AS n {condition}"))
                .into_boxed()
                .bind::<Text, _>(producer.id.clone())
                .bind::<Text, _>(cycle_id.to_string());
            for value in &binds {
                query = query.bind::<Text, _>(value.clone());
            }
            let n = query.get_result::<Count>(conn.diesel())?.n;
            if n <= skip {
                skip -= n;
                continue;
            }
        }
        let keys = ordered_products(
            conn,
            cycle_id,
            producer,
            (&condition, binds),
            collate,
            (wanted - ids.len()) as i64,
            skip,
        )?;
        skip = 0;
        ids.extend(keys);
        if ids.len() >= wanted {
            break;
        }
    }
    let has_next = ids.len() > per_page as usize;
    ids.truncate(per_page as usize);
    if ids.is_empty() {
        return Ok(ShopPage {
            products: Vec::new(),
            has_next,
        });
    }
    // 2. their variants (by the product index), then which of them the cycle offers and at
    //    what price (by the offer's key): two index probes, never a walk of the whole offer
    //    (a join led by the offer read all its 10,000 rows of the benchmark's cycle)
    type Found = (VariantRow, (String, String, String), (String, String));
    let found: Vec<Found> = variants::table
        .inner_join(products::table.inner_join(enterprises::table))
        .filter(variants::product_id.eq_any(&ids))
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
        .load(conn.diesel())?;
    let variant_ids: Vec<&str> = found.iter().map(|f| f.0.id.as_str()).collect();
    let offered: std::collections::HashMap<String, Option<i64>> = order_cycle_variants::table
        .filter(order_cycle_variants::order_cycle_id.eq(cycle_id))
        .filter(order_cycle_variants::variant_id.eq_any(&variant_ids))
        .select((
            order_cycle_variants::variant_id,
            order_cycle_variants::hub_price_eur_minor,
        ))
        .load::<(String, Option<i64>)>(conn.diesel())?
        .into_iter()
        .collect();
    type Row = (
        VariantRow,
        Option<i64>,
        (String, String, String),
        (String, String),
    );
    let rows: Vec<Row> = found
        .into_iter()
        .filter_map(|(variant, product, producer)| {
            let hub_price = *offered.get(&variant.id)?;
            Some((variant, hub_price, product, producer))
        })
        .collect();
    let legal = crate::ledger::currencies::legal(conn)?;
    let mut products: Vec<ShopProduct> = Vec::with_capacity(ids.len());
    let mut rows = rows;
    rows.sort_by(|a, b| (&a.0.name_key, &a.0.id).cmp(&(&b.0.name_key, &b.0.id)));
    for id in &ids {
        let mut product: Option<ShopProduct> = None;
        for (variant, hub_price, (name, description, category), (slug, producer_name)) in
            rows.iter().filter(|r| &r.0.product_id == id).cloned()
        {
            let p = product.get_or_insert_with(|| ShopProduct {
                product_id: id.clone(),
                name: name.clone(),
                description,
                producer_slug: slug,
                producer_name: producer_name.clone(),
                category_name: all_categories
                    .iter()
                    .find(|c| c.slug == category)
                    .map(|c| c.name.clone())
                    .unwrap_or_else(|| category.clone()),
                category_slug: category,
                variants: Vec::new(),
            });
            p.variants.push(OfferedVariant::of(
                variant,
                hub_price,
                name,
                producer_name,
                legal,
            )?);
        }
        products.extend(product);
    }
    Ok(ShopPage { products, has_next })
}

/// The ids of `producer`'s products in `cycle_id` that `condition` picks (from
/// [`producer_products`], with its binds), in shop order (category, then the product's
/// name: the smallest of its variants' keys, which start with it), `limit` from `offset`.
fn ordered_products(
    conn: &mut DbConn,
    cycle_id: &str,
    producer: &FacetProducer,
    (condition, binds): (&str, Vec<String>),
    collate: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<String>, OrderError> {
    let n = binds.len() + 2;
    let sql = format!(
        "SELECT p.id AS product_id {condition} \
         ORDER BY p.category_slug{collate}, \
         (SELECT MIN(k.name_key) FROM variants k \
         WHERE k.product_id = p.id AND k.archived_at IS NULL){collate}, p.id \
         LIMIT ${} OFFSET ${}",
        n + 1,
        n + 2
    );
    let mut query = diesel::sql_query(sql)
        .into_boxed()
        .bind::<Text, _>(producer.id.clone())
        .bind::<Text, _>(cycle_id.to_string());
    for value in binds {
        query = query.bind::<Text, _>(value);
    }
    let keys: Vec<ProductKey> = query
        .bind::<BigInt, _>(limit)
        .bind::<BigInt, _>(offset)
        .load(conn.diesel())?;
    Ok(keys.into_iter().map(|k| k.product_id).collect())
}

/// The key of a producer's products in a cycle, in shop order, kept per pool.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ProducerOrder {
    cycle_id: String,
    producer_id: String,
}

/// All of `producer`'s products in cycle `cycle_id`, in shop order, as read at most
/// [`FACETS_TTL`] ago. The unfiltered shop (most visits) pages through these instead of
/// sorting the producer's products again on every page: a product added to the cycle shows
/// this long after at most, one taken out of it is dropped by the page's second step, which
/// reads the offer itself.
fn kept_order(
    conn: &mut DbConn,
    cycle_id: &str,
    producer: &FacetProducer,
    collate: &str,
) -> Result<Arc<Vec<String>>, OrderError> {
    let key = ProducerOrder {
        cycle_id: cycle_id.to_string(),
        producer_id: producer.id.clone(),
    };
    let kept = conn
        .shared()
        .extension::<Kept<ProducerOrder, Arc<Vec<String>>>>();
    kept.get_or_read(key, FACETS_TTL, || {
        let (condition, binds) = producer_products(&producer.slug, &[], None);
        Ok(Arc::new(ordered_products(
            conn,
            cycle_id,
            producer,
            (&condition, binds),
            collate,
            i64::MAX,
            0,
        )?))
    })
}

/// A producer in a cycle's offer.
#[derive(Debug, Clone)]
pub struct FacetProducer {
    pub id: String,
    pub slug: String,
    pub name: String,
}

/// What a cycle's offer can be filtered by: its producers (by slug) and the categories of
/// its products (by slug).
#[derive(Debug, Clone)]
pub struct Facets {
    pub producers: Vec<FacetProducer>,
    pub categories: Vec<categories::Category>,
}

/// How long the facets of a cycle are kept: a producer who joins or leaves a cycle shows in
/// its filters (and in [`offer_page`]'s walk) this long after at most.
pub const FACETS_TTL: std::time::Duration = std::time::Duration::from_secs(30);

/// The producers (in slug order) and the categories present in cycle `cycle_id`'s offer,
/// kept [`FACETS_TTL`].
pub fn facets(conn: &mut DbConn, cycle_id: &str) -> Result<Facets, OrderError> {
    let kept = conn.shared().extension::<Kept<String, Facets>>();
    kept.get_or_read(cycle_id.to_string(), FACETS_TTL, || {
        read_facets(conn, cycle_id)
    })
}

fn read_facets(conn: &mut DbConn, cycle_id: &str) -> Result<Facets, OrderError> {
    #[derive(QueryableByName)]
    struct Producer {
        #[diesel(sql_type = Text)]
        id: String,
        #[diesel(sql_type = Text)]
        slug: String,
        #[diesel(sql_type = Text)]
        name: String,
    }
    #[derive(QueryableByName)]
    struct Category {
        #[diesel(sql_type = Text)]
        slug: String,
    }
    // one probe per producer (its variants by the producer index, stopping at the first
    // offered one), not a scan of the offer; sorted here, byte order on every backend
    let mut producers: Vec<Producer> = diesel::sql_query(
        "SELECT e.id AS id, e.slug AS slug, e.name AS name FROM enterprises e WHERE EXISTS (\
         SELECT 1 FROM variants v CROSS JOIN order_cycle_variants ocv \
         WHERE v.producer_id = e.id AND v.archived_at IS NULL \
         AND ocv.order_cycle_id = $1 AND ocv.variant_id = v.id)",
    )
    .bind::<Text, _>(cycle_id)
    .load(conn.diesel())?;
    producers.sort_by(|a, b| a.slug.cmp(&b.slug));
    let present: Vec<Category> = diesel::sql_query(
        "SELECT DISTINCT p.category_slug AS slug FROM order_cycle_variants ocv \
         JOIN variants v ON v.id = ocv.variant_id JOIN products p ON p.id = v.product_id \
         WHERE ocv.order_cycle_id = $1 AND v.archived_at IS NULL",
    )
    .bind::<Text, _>(cycle_id)
    .load(conn.diesel())?;
    let mut categories: Vec<categories::Category> = categories::list(conn)?
        .into_iter()
        .filter(|c| present.iter().any(|p| p.slug == c.slug))
        .collect();
    categories.sort_by(|a, b| a.slug.cmp(&b.slug));
    Ok(Facets {
        producers: producers
            .into_iter()
            .map(|p| FacetProducer {
                id: p.id,
                slug: p.slug,
                name: p.name,
            })
            .collect(),
        categories,
    })
}

/// A public hub with a cycle open now that offers a producer's variants.
#[derive(Debug, Clone)]
pub struct SuppliedShop {
    pub hub_slug: String,
    pub hub_name: String,
    pub cycle_name: String,
    pub closes_at: NaiveDateTime,
    pub time_zone: String,
}

/// The public hubs with a cycle open now that offers variants of `producer_id`, closing
/// soonest first.
pub fn shops_of_producer(
    conn: &mut DbConn,
    producer_id: &str,
) -> Result<Vec<SuppliedShop>, OrderError> {
    let now = crate::time::now();
    let offered = order_cycle_variants::table
        .inner_join(variants::table)
        .filter(order_cycle_variants::order_cycle_id.eq(order_cycles::id))
        .filter(variants::producer_id.eq(producer_id.to_string()))
        .filter(variants::archived_at.is_null());
    let rows: Vec<(String, String, String, NaiveDateTime, String)> = order_cycles::table
        .inner_join(enterprises::table.on(enterprises::id.eq(order_cycles::hub_id)))
        .filter(enterprises::visibility.eq("public"))
        .filter(order_cycles::closed_at.is_null())
        .filter(order_cycles::settled_at.is_null())
        .filter(order_cycles::opens_at.le(now))
        .filter(order_cycles::closes_at.gt(now))
        .filter(diesel::dsl::exists(offered))
        .order((order_cycles::closes_at.asc(), order_cycles::id.asc()))
        .select((
            enterprises::slug,
            enterprises::name,
            order_cycles::name,
            order_cycles::closes_at,
            order_cycles::time_zone,
        ))
        .limit(100)
        .load(conn.diesel())?;
    Ok(rows
        .into_iter()
        .map(
            |(hub_slug, hub_name, cycle_name, closes_at, time_zone)| SuppliedShop {
                hub_slug,
                hub_name,
                cycle_name,
                closes_at,
                time_zone,
            },
        )
        .collect())
}

/// A customer's cart in a cycle open now, with its hub.
#[derive(Debug, Clone)]
pub struct OpenCart {
    pub cycle: OrderCycleRow,
    pub hub_slug: String,
    pub hub_name: String,
}

/// The carts of `customer_id` in cycles open now (one per cycle), closing soonest first.
pub fn open_carts(conn: &mut DbConn, customer_id: &str) -> Result<Vec<OpenCart>, OrderError> {
    let now = crate::time::now();
    let rows: Vec<(OrderCycleRow, (String, String))> = orders::table
        .inner_join(order_cycles::table.on(order_cycles::id.eq(orders::order_cycle_id)))
        .inner_join(enterprises::table.on(enterprises::id.eq(order_cycles::hub_id)))
        .filter(orders::customer_id.eq(customer_id))
        .filter(orders::state.eq(OrderState::Cart.as_str()))
        .filter(order_cycles::closed_at.is_null())
        .filter(order_cycles::settled_at.is_null())
        .filter(order_cycles::opens_at.le(now))
        .filter(order_cycles::closes_at.gt(now))
        .order((order_cycles::closes_at.asc(), order_cycles::id.asc()))
        .select((
            OrderCycleRow::as_select(),
            (enterprises::slug, enterprises::name),
        ))
        .load(conn.diesel())?;
    Ok(rows
        .into_iter()
        .map(|(cycle, (hub_slug, hub_name))| OpenCart {
            cycle,
            hub_slug,
            hub_name,
        })
        .collect())
}

/// The variants of `ids` cycle `cycle_id` offers (archived ones too: a cart may still hold
/// one), priced as the cycle prices them: to name a cart's lines when its quote fails.
pub fn offered_variants(
    conn: &mut DbConn,
    cycle_id: &str,
    ids: &[String],
) -> Result<Vec<OfferedVariant>, OrderError> {
    let rows: Vec<(VariantRow, Option<i64>, String, String)> = order_cycle_variants::table
        .inner_join(variants::table.inner_join(products::table.inner_join(enterprises::table)))
        .filter(order_cycle_variants::order_cycle_id.eq(cycle_id))
        .filter(variants::id.eq_any(ids))
        .select((
            VariantRow::as_select(),
            order_cycle_variants::hub_price_eur_minor,
            products::name,
            enterprises::name,
        ))
        .load(conn.diesel())?;
    let legal = crate::ledger::currencies::legal(conn)?;
    rows.into_iter()
        .map(|(variant, hub_price, product, producer)| {
            OfferedVariant::of(variant, hub_price, product, producer, legal)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_words_are_folded_and_bounded() {
        assert_eq!(
            search_words(Some("  Pêches   PLATES ")),
            vec!["peches", "plates"]
        );
        assert!(search_words(None).is_empty());
        assert_eq!(search_words(Some("a b c d e f g h i j")).len(), MAX_WORDS);
        assert_eq!(escape_like("50%_x\\"), "%50\\%\\_x\\\\%");
    }
}
