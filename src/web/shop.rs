//! A hub's shop and a producer's page (Open Food Network's shopfront is the anchor).
//!
//! - `GET /hubs/{slug}`: the hub, its open cycles (`?cycle=ID` chooses, the soonest to close
//!   by default; none open: when the next opens), and one page of the cycle's offer grouped
//!   by producer and category, with search (`q`), filters (`producer`, `category`) and pages
//!   of [`shopfront::MAX_PER_PAGE`] products (`page`) whose links keep the filters. The page
//!   is read in SQL ([`shopfront::offer_page`]), never the whole offer.
//! - `POST /cart/add` (`cycle`, `variant`, `quantity`, `next`): adds to the reader's cart
//!   in that cycle (the API's `set_cart`: [`crate::orders::cart::set`]), then back to the
//!   shop with a notice naming what was added. A refusal (not a whole number, more than the
//!   stock, the cycle closed) shows the shop again (422) with the error by the item's
//!   quantity. A signed-out reader is sent to log in first, then back to the shop.
//! - `GET /producers/{slug}`: the producer, its public catalogue (pages by `after`), and
//!   the hubs with an open cycle offering its products.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::error::WebError;
use super::render::Pages;
use super::session::{Form, Visitor};
use super::{local_path, redirect, render_status};
use crate::auth::policy::{authorize, Action};
use crate::catalog::categories;
use crate::error::FieldError;
use crate::mail::format::{mail_time, Locale};
use crate::money::{share_floor, CurrencyCode, Money};
use crate::orders::cycles::{OfferedVariant, OrderCycleRow};
use crate::orders::quote::{QuoteLineRequest, QuoteRequest, MAX_QUANTITY};
use crate::orders::{cart, shopfront, OrderError};
use crate::pagination::PageParams;
use crate::state::AppState;

pub const TEMPLATES: &[(&str, &str)] = crate::web_templates!("shop.html", "producer.html");

/// Stock at or below this is shown as "only N left".
const FEW_LEFT: i64 = 5;

/// This module's pages.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/hubs/{slug}", web::get().to(shop))
        .route("/cart/add", web::post().to(add_to_cart))
        .route("/producers/{slug}", web::get().to(producer));
}

/// The shop's query: which cycle, the filters, the page, a notice to show.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ShopQuery {
    pub cycle: Option<String>,
    pub q: Option<String>,
    pub producer: Option<String>,
    pub category: Option<String>,
    pub page: Option<String>,
    pub notice: Option<String>,
    /// With `notice=added`: the variant added and how many.
    pub added: Option<String>,
    pub qty: Option<String>,
}

fn non_empty(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

impl ShopQuery {
    fn page(&self) -> u32 {
        self.page
            .as_deref()
            .and_then(|p| p.trim().parse::<u32>().ok())
            .filter(|p| (1..=100_000).contains(p))
            .unwrap_or(1)
    }

    fn filter(&self) -> shopfront::ShopFilter {
        shopfront::ShopFilter {
            q: non_empty(&self.q),
            producer: non_empty(&self.producer),
            category: non_empty(&self.category),
        }
    }

    /// The shop's address with these filters, on page `page`.
    fn link(&self, slug: &str, cycle: &str, page: u32) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.append_pair("cycle", cycle);
        for (name, value) in [
            ("q", &self.q),
            ("producer", &self.producer),
            ("category", &self.category),
        ] {
            if let Some(v) = non_empty(value) {
                query.append_pair(name, &v);
            }
        }
        if page > 1 {
            query.append_pair("page", &page.to_string());
        }
        format!("/hubs/{slug}?{}", query.finish())
    }
}

/// What a shopper reads of an offered variant.
#[derive(Serialize)]
struct VariantView<'a> {
    id: &'a str,
    name: &'a str,
    unit: &'a str,
    price: &'a Money,
    local_share: i32,
    local_max: Option<Money>,
    sold_out: bool,
    few_left: Option<i64>,
    max: i64,
}

impl<'a> VariantView<'a> {
    fn of(v: &'a OfferedVariant, local: Option<CurrencyCode>) -> VariantView<'a> {
        let variant = &v.variant;
        let stock = variant.stock_on_hand.unwrap_or(0);
        let sold_out = !variant.on_demand && stock <= 0;
        let few_left = (!variant.on_demand && !sold_out)
            .then_some(stock)
            .filter(|n| *n <= FEW_LEFT);
        let local_max = local
            .filter(|_| variant.local_share_percent > 0)
            .map(|code| {
                Money::new(
                    share_floor(v.cycle_price.minor, variant.local_share_percent),
                    code,
                    v.cycle_price.scale,
                )
            });
        VariantView {
            id: &variant.id,
            name: &variant.display_name,
            unit: &variant.unit.label,
            price: &v.cycle_price,
            local_share: variant.local_share_percent,
            local_max,
            sold_out,
            few_left,
            max: if variant.on_demand {
                MAX_QUANTITY
            } else {
                stock.clamp(0, MAX_QUANTITY)
            },
        }
    }
}

/// A product of the page, with its variants and its quantity field.
#[derive(Serialize)]
struct ProductView<'a> {
    id: &'a str,
    name: &'a str,
    description: &'a str,
    variants: Vec<VariantView<'a>>,
    orderable: bool,
    field: String,
    posted: Option<&'a Value>,
    /// The message of a refused add to the cart, for this product's quantity.
    error: Option<&'a str>,
}

#[derive(Serialize)]
struct CategoryView<'a> {
    name: std::borrow::Cow<'a, str>,
    products: Vec<ProductView<'a>>,
}

#[derive(Serialize)]
struct ProducerView<'a> {
    slug: &'a str,
    name: &'a str,
    categories: Vec<CategoryView<'a>>,
}

#[derive(Serialize)]
struct SlugName<'a> {
    slug: &'a str,
    name: std::borrow::Cow<'a, str>,
}

#[derive(Serialize)]
struct CycleView<'a> {
    id: &'a str,
    name: &'a str,
    closes_at: String,
}

#[derive(Serialize)]
struct CycleLink<'a> {
    id: &'a str,
    name: &'a str,
    closes_at: String,
    link: String,
    current: bool,
}

#[derive(Serialize)]
struct NextCycle<'a> {
    name: &'a str,
    opens_at: String,
}

#[derive(Serialize)]
struct Facets<'a> {
    producers: Vec<SlugName<'a>>,
    categories: Vec<SlugName<'a>>,
}

#[derive(Serialize)]
struct Filters {
    q: String,
    producer: String,
    category: String,
}

/// The chosen cycle's part of the page.
#[derive(Serialize)]
struct ShopView<'a> {
    cycle: CycleView<'a>,
    producers: Vec<ProducerView<'a>>,
    empty: bool,
    filtering: bool,
    facets: Facets<'a>,
    filters: Filters,
    page: u32,
    previous: Option<String>,
    next: Option<String>,
    here: String,
    notice: Option<String>,
    local: Option<String>,
}

#[derive(Serialize)]
struct HubView<'a> {
    slug: &'a str,
    name: &'a str,
    description: &'a str,
    city: &'a str,
}

/// Everything the shop page shows. Written as types, not a JSON tree: the page's values are
/// serialised once, straight into the template's (about a third of a page's time went into
/// building and dropping a tree before).
#[derive(Serialize)]
struct ShopPageView<'a> {
    hub: HubView<'a>,
    cycles: Vec<CycleLink<'a>>,
    next_cycle: Option<NextCycle<'a>>,
    shop: Option<ShopView<'a>>,
    errors: &'a Value,
}

/// The products of a page (in producer, category order) grouped by producer, then category.
fn grouped<'a>(
    products: &'a [shopfront::ShopProduct],
    local: Option<CurrencyCode>,
    (posted, errors): (&'a Value, &'a Value),
    locale: Locale,
) -> Vec<ProducerView<'a>> {
    let mut producers: Vec<ProducerView<'a>> = Vec::new();
    for p in products {
        if producers
            .last()
            .is_none_or(|last| last.slug != p.producer_slug)
        {
            producers.push(ProducerView {
                slug: &p.producer_slug,
                name: &p.producer_name,
                categories: Vec::new(),
            });
        }
        let Some(producer) = producers.last_mut() else {
            continue;
        };
        let category_name = categories::name_in(&p.category_slug, &p.category_name, locale);
        if producer
            .categories
            .last()
            .is_none_or(|last| last.name != category_name)
        {
            producer.categories.push(CategoryView {
                name: category_name,
                products: Vec::new(),
            });
        }
        let Some(category) = producer.categories.last_mut() else {
            continue;
        };
        let variants: Vec<VariantView> = p
            .variants
            .iter()
            .map(|v| VariantView::of(v, local))
            .collect();
        let field = format!("quantity-{}", p.product_id);
        category.products.push(ProductView {
            id: &p.product_id,
            name: &p.name,
            description: &p.description,
            orderable: variants.iter().any(|v| !v.sold_out),
            variants,
            posted: posted.get(&field),
            error: errors.as_array().and_then(|list| {
                list.iter()
                    .find(|e| e["field"].as_str() == Some(field.as_str()))
                    .and_then(|e| e["message"].as_str())
            }),
            field,
        });
    }
    producers
}

/// The first local currency among a hub's accepted ones (the legal currency is first).
fn local_currency(accepted: &[String], legal: &str) -> Option<CurrencyCode> {
    accepted
        .iter()
        .find(|c| c.as_str() != legal)
        .and_then(|c| c.parse().ok())
}

/// Everything the shop page shows, read in one go.
struct ShopData {
    hub: crate::enterprises::Enterprise,
    cycles: Vec<OrderCycleRow>,
    chosen: Option<OrderCycleRow>,
    next: Option<OrderCycleRow>,
    page: Option<shopfront::ShopPage>,
    facets: Option<shopfront::Facets>,
    added: Option<(OfferedVariant, i64)>,
}

async fn shop_data(state: &AppState, slug: String, query: ShopQuery) -> Result<ShopData, WebError> {
    state
        .db
        .run(move |conn| -> Result<ShopData, WebError> {
            let hub = crate::enterprises::find_public(conn, &slug)?;
            if !hub.kind.is_hub() {
                return Err(WebError::NotFound(format!("`{slug}` is not a hub")));
            }
            let cycles = shopfront::open_cycles(conn, &hub.id)?;
            let wanted = non_empty(&query.cycle);
            let chosen = wanted
                .and_then(|id| cycles.iter().find(|c| c.id == id))
                .or(cycles.first())
                .cloned();
            let (next, page, facets, added) = match &chosen {
                None => (shopfront::next_cycle(conn, &hub.id)?, None, None, None),
                Some(cycle) => {
                    let page = shopfront::offer_page(
                        conn,
                        &cycle.id,
                        &query.filter(),
                        query.page(),
                        shopfront::MAX_PER_PAGE,
                    )?;
                    let facets = shopfront::facets(conn, &cycle.id)?;
                    let added = match (query.notice.as_deref(), non_empty(&query.added)) {
                        (Some("added"), Some(variant)) => {
                            let qty = query
                                .qty
                                .as_deref()
                                .and_then(|q| q.parse::<i64>().ok())
                                .filter(|q| (1..=MAX_QUANTITY).contains(q));
                            let found = shopfront::offered_variants(conn, &cycle.id, &[variant])?;
                            found.into_iter().next().zip(qty)
                        }
                        _ => None,
                    };
                    (None, Some(page), Some(facets), added)
                }
            };
            Ok(ShopData {
                hub,
                cycles,
                chosen,
                next,
                page,
                facets,
                added,
            })
        })
        .await
}

/// Renders the shop of `slug` with `query`; after a refused add, `refused` holds its errors
/// (by field) and the values posted (by field), and the page is answered 422.
async fn render_shop(
    state: &AppState,
    pages: &Pages,
    visitor: &Visitor,
    slug: String,
    query: ShopQuery,
    refused: Option<(Value, Value)>,
) -> Result<HttpResponse, WebError> {
    let (status, (errors, posted)) = match refused {
        Some(refused) => (StatusCode::UNPROCESSABLE_ENTITY, refused),
        None => (StatusCode::OK, (json!([]), json!({}))),
    };
    let data = shop_data(state, slug.clone(), query.clone()).await?;
    let locale = super::i18n::page_locale(visitor.locale);
    let legal = pages.deployment.legal.clone();
    let local = local_currency(&data.hub.accepted_currencies, &legal);
    let cycles: Vec<CycleLink> = data
        .cycles
        .iter()
        .map(|c| CycleLink {
            id: &c.id,
            name: &c.name,
            closes_at: mail_time(c.closes_at, &c.time_zone),
            link: format!("/hubs/{slug}?cycle={}", c.id),
            current: data.chosen.as_ref().is_some_and(|x| x.id == c.id),
        })
        .collect();
    let next_cycle = data.next.as_ref().map(|c| NextCycle {
        name: &c.name,
        opens_at: mail_time(c.opens_at, &c.time_zone),
    });
    let shop = match (&data.chosen, &data.page, &data.facets) {
        (Some(cycle), Some(page), Some(facets)) => {
            let current_page = query.page();
            let filter = query.filter();
            let notice = data.added.as_ref().map(|(v, qty)| {
                pages.catalogue.text(
                    locale,
                    "shop-notice-added",
                    &[
                        ("count", super::i18n::Arg::Number(*qty)),
                        (
                            "name",
                            super::i18n::Arg::Text(format!(
                                "{} ({})",
                                v.product_name, v.variant.display_name
                            )),
                        ),
                    ],
                )
            });
            Some(ShopView {
                cycle: CycleView {
                    id: &cycle.id,
                    name: &cycle.name,
                    closes_at: mail_time(cycle.closes_at, &cycle.time_zone),
                },
                producers: grouped(&page.products, local, (&posted, &errors), locale),
                empty: page.products.is_empty(),
                filtering: filter.q.is_some()
                    || filter.producer.is_some()
                    || filter.category.is_some(),
                facets: Facets {
                    producers: facets
                        .producers
                        .iter()
                        .map(|p| SlugName {
                            slug: &p.slug,
                            name: std::borrow::Cow::Borrowed(&p.name),
                        })
                        .collect(),
                    categories: facets
                        .categories
                        .iter()
                        .map(|c| SlugName {
                            slug: &c.slug,
                            name: categories::name_in(&c.slug, &c.name, locale),
                        })
                        .collect(),
                },
                filters: Filters {
                    q: filter.q.unwrap_or_default(),
                    producer: filter.producer.unwrap_or_default(),
                    category: filter.category.unwrap_or_default(),
                },
                page: current_page,
                previous: (current_page > 1)
                    .then(|| query.link(&slug, &cycle.id, current_page - 1)),
                next: page
                    .has_next
                    .then(|| query.link(&slug, &cycle.id, current_page + 1)),
                here: query.link(&slug, &cycle.id, current_page),
                notice,
                local: local.map(|c| c.to_string()),
            })
        }
        _ => None,
    };
    render_status(
        pages,
        visitor,
        "shop.html",
        &ShopPageView {
            hub: HubView {
                slug: &data.hub.slug,
                name: &data.hub.name,
                description: &data.hub.description,
                city: &data.hub.address.city,
            },
            cycles,
            next_cycle,
            shop,
            errors: &errors,
        },
        status,
    )
}

/// `GET /hubs/{slug}`.
pub async fn shop(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    slug: web::Path<String>,
    query: web::Query<ShopQuery>,
) -> Result<HttpResponse, WebError> {
    render_shop(
        &state,
        &pages,
        &visitor,
        slug.into_inner(),
        query.into_inner(),
        None,
    )
    .await
}

/// `next` with the added notice's query (any older notice dropped).
fn with_notice(next: &str, variant: &str, quantity: i64) -> String {
    let (path, query) = next.split_once('?').unwrap_or((next, ""));
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        if !matches!(k.as_ref(), "notice" | "added" | "qty") {
            out.append_pair(&k, &v);
        }
    }
    out.append_pair("notice", "added")
        .append_pair("added", variant)
        .append_pair("qty", &quantity.to_string());
    format!("{path}?{}", out.finish())
}

/// A quantity as a shopper typed it: a whole number from 1 to [`MAX_QUANTITY`] (0 allowed
/// when `zero_ok`: the cart's "0 removes").
pub fn parse_quantity(text: &str, field: &str, zero_ok: bool) -> Result<i64, FieldError> {
    let min = if zero_ok { 0 } else { 1 };
    match text.trim().parse::<i64>() {
        Ok(n) if (min..=MAX_QUANTITY).contains(&n) => Ok(n),
        Ok(_) => Err(FieldError::new(
            field,
            "shop_quantity_out_of_range",
            format!("enter a number from {min} to {MAX_QUANTITY}"),
        )),
        Err(_) => Err(FieldError::new(
            field,
            "shop_quantity_not_whole",
            "enter a whole number, like 2",
        )),
    }
}

/// A domain error about a cart line, for the shopper's `field`: its code made one the
/// catalogue words (`field-error-shop-…`), its message kept for any other.
pub fn shopper_error(e: FieldError, field: &str) -> FieldError {
    let code = match e.code.as_str() {
        "insufficient_stock" => "shop_insufficient_stock",
        "out_of_range" | "quantity_out_of_range" => "shop_quantity_out_of_range",
        "quantity_not_whole" => "shop_quantity_not_whole",
        "not_offered" => "shop_not_offered",
        "too_large" => "shop_too_large",
        "cycle_not_open" => "shop_cycle_not_open",
        other => other,
    };
    FieldError::new(field, code, e.message)
}

/// What went wrong adding to the cart, for the item's quantity field.
enum AddOutcome {
    Added,
    Refused(Vec<FieldError>),
}

/// `POST /cart/add`.
pub async fn add_to_cart(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    form: Form,
) -> Result<HttpResponse, WebError> {
    let next = form
        .opt("next")
        .as_deref()
        .and_then(local_path)
        .unwrap_or("/cart")
        .to_string();
    let Some(reader) = &visitor.reader else {
        return Err(WebError::SignIn(next));
    };
    authorize(&reader.actor, Action::Shop)?;
    let (cycle_id, variant_id) = (
        form.get("cycle").to_string(),
        form.get("variant").to_string(),
    );
    let user = reader.actor.user_id.to_string();
    // which product the variant belongs to: its quantity field is named after it
    let (cycle_for_lookup, variant_for_lookup) = (cycle_id.clone(), variant_id.clone());
    let offered = state
        .db
        .run(move |conn| {
            shopfront::offered_variants(conn, &cycle_for_lookup, &[variant_for_lookup])
        })
        .await?;
    let Some(offered) = offered.into_iter().next() else {
        return Err(WebError::NotFound(format!(
            "variant `{variant_id}` is not offered in cycle `{cycle_id}`"
        )));
    };
    let field = format!("quantity-{}", offered.product_id);
    let outcome =
        match parse_quantity(form.get("quantity"), &field, false) {
            Err(e) => AddOutcome::Refused(vec![e]),
            Ok(quantity) => {
                let (cycle, variant, f) = (cycle_id.clone(), variant_id.clone(), field.clone());
                state
                    .db
                    .run(move |conn| -> Result<AddOutcome, WebError> {
                        let current = cart::get(conn, &cycle, &user)?;
                        let mut lines: Vec<QuoteLineRequest> = current
                            .lines
                            .iter()
                            .map(|l| QuoteLineRequest {
                                variant_id: l.variant_id.clone(),
                                quantity: l.quantity,
                            })
                            .collect();
                        let at = match lines.iter().position(|l| l.variant_id == variant) {
                            Some(i) => {
                                lines[i].quantity += quantity;
                                i
                            }
                            None => {
                                lines.push(QuoteLineRequest {
                                    variant_id: variant.clone(),
                                    quantity,
                                });
                                lines.len() - 1
                            }
                        };
                        match cart::set(conn, &cycle, &user, &QuoteRequest { lines }) {
                            Ok(_) => Ok(AddOutcome::Added),
                            Err(OrderError::Invalid(invalid)) => {
                                // this line's errors by the item's field; another line's by name
                                let prefix = format!("lines[{at}].");
                                Ok(AddOutcome::Refused(
                                    invalid
                                        .0
                                        .into_iter()
                                        .map(|e| {
                                            if e.field.starts_with(&prefix) || e.field == "lines" {
                                                shopper_error(e, &f)
                                            } else {
                                                e
                                            }
                                        })
                                        .collect(),
                                ))
                            }
                            Err(OrderError::CycleNotOpen(message)) => Ok(AddOutcome::Refused(
                                vec![FieldError::new(f.clone(), "shop_cycle_not_open", message)],
                            )),
                            Err(e) => Err(e.into()),
                        }
                    })
                    .await?
            }
        };
    match outcome {
        AddOutcome::Added => {
            let quantity = form.get("quantity").trim().parse::<i64>().unwrap_or(1);
            Ok(redirect(&with_notice(&next, &variant_id, quantity)))
        }
        AddOutcome::Refused(errors) => {
            let errors = super::field_errors(&pages, &visitor, &errors);
            // the shop page again, from `next` (its filters and page), with the error
            let (path, query) = next.split_once('?').unwrap_or((next.as_str(), ""));
            let Some(slug) = path.strip_prefix("/hubs/").filter(|s| !s.contains('/')) else {
                return Err(WebError::Invalid(vec![FieldError::new(
                    field,
                    "refused",
                    errors[0]["message"].as_str().unwrap_or_default(),
                )]));
            };
            let mut query: ShopQuery = serde_urlencoded::from_str(query).unwrap_or_default();
            query.cycle = Some(cycle_id);
            query.notice = None;
            let posted = json!({ field: form.get("quantity") });
            let mut visitor = visitor.clone();
            visitor.path = next.clone();
            render_shop(
                &state,
                &pages,
                &visitor,
                slug.to_string(),
                query,
                Some((errors, posted)),
            )
            .await
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct ProducerQuery {
    pub after: Option<String>,
}

/// `GET /producers/{slug}`.
pub async fn producer(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    slug: web::Path<String>,
    query: web::Query<ProducerQuery>,
) -> Result<HttpResponse, WebError> {
    let slug = slug.into_inner();
    let params = PageParams {
        limit: Some(50),
        after: query.into_inner().after.filter(|a| !a.is_empty()),
    };
    if params.validate().is_err() {
        return Err(WebError::NotFound("no such page".into()));
    }
    let key = slug.clone();
    let (producer, products, shops) = state
        .db
        .run(move |conn| -> Result<_, WebError> {
            let producer = crate::enterprises::find_public(conn, &key)?;
            if !producer.kind.is_producer() {
                return Err(WebError::NotFound(format!("`{key}` is not a producer")));
            }
            let products = crate::catalog::list_producer_products(conn, &producer.id, &params)?;
            let shops = shopfront::shops_of_producer(conn, &producer.id)?;
            Ok((producer, products, shops))
        })
        .await?;
    let items: Vec<Value> = products
        .items
        .iter()
        .map(|p| {
            json!({
                "name": p.name,
                "description": p.description,
                "variants": p.variants.iter().map(|v| json!({
                    "name": v.display_name,
                    "unit": v.unit.label,
                    "price": &v.price,
                    "local_share": v.local_share_percent,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let shops: Vec<Value> = shops
        .iter()
        .map(|s| {
            json!({
                "slug": s.hub_slug,
                "name": s.hub_name,
                "cycle": s.cycle_name,
                "closes_at": mail_time(s.closes_at, &s.time_zone),
            })
        })
        .collect();
    render_status(
        &pages,
        &visitor,
        "producer.html",
        json!({
            "producer": {
                "slug": producer.slug,
                "name": producer.name,
                "description": producer.description,
                "city": producer.address.city,
            },
            "products": items,
            "next": products.next_cursor.map(|c| format!("/producers/{slug}?after={c}")),
            "first": (params_is_later(&visitor.path)).then(|| format!("/producers/{slug}")),
            "shops": shops,
        }),
        StatusCode::OK,
    )
}

/// Whether the producer page read is a later page (`after=` in its address).
fn params_is_later(path: &str) -> bool {
    path.split_once('?').is_some_and(|(_, q)| {
        form_urlencoded::parse(q.as_bytes()).any(|(k, v)| k == "after" && !v.is_empty())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shop_links_keep_the_filters() {
        let q = ShopQuery {
            q: Some("pommes bio".into()),
            producer: Some("ferme".into()),
            category: Some(String::new()),
            ..Default::default()
        };
        assert_eq!(
            q.link("la-cagette", "c1", 2),
            "/hubs/la-cagette?cycle=c1&q=pommes+bio&producer=ferme&page=2"
        );
        assert_eq!(
            q.link("x", "c1", 1),
            "/hubs/x?cycle=c1&q=pommes+bio&producer=ferme"
        );
    }

    #[test]
    fn the_notice_replaces_an_older_one() {
        assert_eq!(
            with_notice(
                "/hubs/x?cycle=c&notice=added&added=v0&qty=1&page=2",
                "v1",
                3
            ),
            "/hubs/x?cycle=c&page=2&notice=added&added=v1&qty=3"
        );
    }

    #[test]
    fn quantities_are_whole_numbers_in_range() {
        assert_eq!(parse_quantity(" 2 ", "q", false), Ok(2));
        assert!(parse_quantity("0", "q", false).is_err());
        assert_eq!(parse_quantity("0", "q", true), Ok(0));
        assert_eq!(
            parse_quantity("1.5", "q", true).map_err(|e| e.code),
            Err("shop_quantity_not_whole".to_string())
        );
        assert!(parse_quantity("1001", "q", true).is_err());
    }
}
