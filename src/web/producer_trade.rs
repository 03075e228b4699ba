//! The producer's trade in its office: the hubs it supplies and what each may do, its
//! payment requests asked from the office, and reconverting its local currency to euros.
//!
//! - `GET /producer/{slug}/hubs`: the hubs the producer granted permissions
//!   ([`relationships::list`]), whether each accepted it, and the grant form (a public hub,
//!   offering its products in the hub's cycles, letting the hub see who ordered them);
//!   `POST /producer/{slug}/hubs` grants or changes ([`relationships::grant`], as `PUT
//!   /api/v1/enterprises/{producer}/permissions/{hub}`), `POST …/hubs/{hub}/end` ends it
//!   ([`relationships::revoke`]: its products leave the hub's cycles not open yet). For the
//!   producer's owners and managers ([`Action::ManageEnterprise`]).
//! - `GET/POST /producer/{slug}/payment-requests/new`: a payment request in a local
//!   currency, with its amount or open ([`payment_requests::create`], as `POST
//!   /api/v1/enterprises/{id}/payment-requests`; [`Action::RequestPayments`]). A request moves
//!   no money: a form sent twice makes two requests, and the list shows both.
//! - `GET/POST /producer/{slug}/reconversion`: local currency from one of its wallets back to
//!   euros, less the association's commission ([`ops::reconvert`] and its receipt, as `POST
//!   /api/v1/reconversions`; [`Action::SpendFrom`] the wallet). The form carries the entry's
//!   id (a v7 UUID), chosen when the form is shown: sent twice, it reconverts once.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Serialize;

use super::error::WebError;
use super::i18n::page_locale;
use super::producer_money::producer;
use super::render::Pages;
use super::session::{Form, Visitor};
use super::NoticeQuery;
use super::{field_errors_of, redirect, render_status};
use crate::association::payment_requests::{self, NewRequest};
use crate::auth::policy::{authorize, Action};
use crate::enterprises::{self, relationships, EnterpriseKind, EnterpriseRow, KindFilter};
use crate::error::FieldError;
use crate::ledger::accounts::{self, AccountKind, Owner};
use crate::ledger::journal::Committed;
use crate::ledger::{currencies, history, ops, receipts};
use crate::money::{parse_amount, AmountInput, Sign};
use crate::pagination::PageParams;
use crate::state::AppState;

pub const TEMPLATES: &[(&str, &str)] = crate::web_templates!(
    "producer_hubs.html",
    "producer_request_new.html",
    "producer_reconversion.html",
);

/// This module's pages.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/producer/{slug}/hubs", web::get().to(hubs))
        .route("/producer/{slug}/hubs", web::post().to(grant))
        .route("/producer/{slug}/hubs/{hub}/end", web::post().to(end))
        .route(
            "/producer/{slug}/payment-requests/new",
            web::get().to(new_request_page),
        )
        .route(
            "/producer/{slug}/payment-requests/new",
            web::post().to(create_request),
        )
        .route(
            "/producer/{slug}/reconversion",
            web::get().to(reconversion_page),
        )
        .route("/producer/{slug}/reconversion", web::post().to(reconvert));
}

fn enterprise_json(row: &EnterpriseRow) -> serde_json::Value {
    serde_json::json!({"name": row.name, "slug": row.slug, "base": format!("/producer/{}", row.slug)})
}

/// The notices of this module's redirects (`?notice=`), and their words' keys.
const NOTICES: &[(&str, &str)] = &[
    ("granted", "producer-notice-hub-granted"),
    ("ended", "producer-notice-hub-ended"),
    ("reconverted", "producer-notice-reconverted"),
];

/// The producer `slug`, once the policy allows `action` on it to the reader (404 when it is
/// no producer or hidden from the reader, 403 when the action is not the reader's).
async fn producer_for(
    state: &AppState,
    visitor: &Visitor,
    slug: String,
    action: for<'a> fn(&'a str) -> Action<'a>,
) -> Result<EnterpriseRow, WebError> {
    let reader = visitor.require()?;
    let row = producer(state, reader, slug).await?;
    authorize(&reader.actor, action(&row.id))?;
    Ok(row)
}

/// Its owners and managers: which hubs it supplies.
fn manage(enterprise_id: &str) -> Action<'_> {
    Action::ManageEnterprise { enterprise_id }
}

/// Who may ask payments for it.
fn request(enterprise_id: &str) -> Action<'_> {
    Action::RequestPayments { enterprise_id }
}

/// Its owners and treasurers: its money.
fn keep_books(enterprise_id: &str) -> Action<'_> {
    Action::KeepEnterpriseBooks { enterprise_id }
}

#[derive(Serialize)]
struct HubLine {
    id: String,
    name: String,
    can_add_to_order_cycles: bool,
    can_see_orders: bool,
    accepted: bool,
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
}

#[derive(Serialize)]
struct HubsPage {
    enterprise: serde_json::Value,
    hubs: Vec<HubLine>,
    /// The grant form's hubs: those not supplied yet, then those supplied (to change what
    /// they may do).
    choices: Vec<Choice>,
    errors: serde_json::Value,
    notice: Option<String>,
}

/// `GET /producer/{slug}/hubs`.
pub async fn hubs(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    slug: web::Path<String>,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    let notice = pages.notice(
        page_locale(visitor.locale),
        query.notice.as_deref(),
        NOTICES,
    );
    hubs_view(
        &state,
        &pages,
        &visitor,
        slug.into_inner(),
        &[],
        notice,
        StatusCode::OK,
    )
    .await
}

async fn hubs_view(
    state: &AppState,
    pages: &Pages,
    visitor: &Visitor,
    slug: String,
    errors: &[FieldError],
    notice: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let row = producer_for(state, visitor, slug, manage).await?;
    let id = row.id.clone();
    let (permissions, public) = state
        .db
        .run(move |conn| -> Result<_, WebError> {
            let page = PageParams {
                limit: Some(crate::pagination::MAX_LIMIT),
                after: None,
            };
            Ok((
                relationships::list(conn, &id)?,
                enterprises::list_public(conn, Some(KindFilter::Hub), &page)?.items,
            ))
        })
        .await?;
    let hubs: Vec<HubLine> = permissions
        .into_iter()
        .filter(|p| p.producer_id == row.id)
        .map(|p| HubLine {
            id: p.hub_id,
            name: p.hub_name,
            can_add_to_order_cycles: p.can_add_to_order_cycles,
            can_see_orders: p.can_see_orders,
            accepted: p.hub_accepted_at.is_some(),
        })
        .collect();
    let mut others: Vec<Choice> = public
        .into_iter()
        .filter(|h| h.id != row.id && !hubs.iter().any(|l| l.id == h.id))
        .map(|h| Choice {
            value: h.id,
            label: h.name,
        })
        .collect();
    others.sort_by(|a, b| a.label.cmp(&b.label));
    others.extend(hubs.iter().map(|h| Choice {
        value: h.id.clone(),
        label: h.name.clone(),
    }));
    render_status(
        pages,
        visitor,
        "producer_hubs.html",
        HubsPage {
            enterprise: enterprise_json(&row),
            hubs,
            choices: others,
            errors: field_errors_of(pages, visitor, "producer-hubs", errors),
            notice,
        },
        status,
    )
}

/// `POST /producer/{slug}/hubs`: grants `hub` (or changes what it may do).
pub async fn grant(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    slug: web::Path<String>,
    form: Form,
) -> Result<HttpResponse, WebError> {
    let slug = slug.into_inner();
    let row = producer_for(&state, &visitor, slug.clone(), manage).await?;
    let hub = form.get("hub").to_string();
    let (add, see) = (form.get("offer") == "yes", form.get("see_orders") == "yes");
    let is_hub = {
        let hub = hub.clone();
        state
            .db
            .run(move |conn| -> Result<bool, WebError> {
                Ok(!hub.is_empty()
                    && enterprises::get_row(conn, &hub)
                        .ok()
                        .and_then(|h| EnterpriseKind::parse(&h.kind))
                        .is_some_and(EnterpriseKind::is_hub))
            })
            .await?
    };
    if !is_hub {
        let errors = [FieldError::new("hub", "required", "choose a hub")];
        return hubs_view(
            &state,
            &pages,
            &visitor,
            slug,
            &errors,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let producer_id = row.id.clone();
    state
        .db
        .run(move |conn| relationships::grant(conn, &producer_id, &hub, add, see))
        .await?;
    Ok(redirect(&format!(
        "/producer/{}/hubs?notice=granted",
        row.slug
    )))
}

/// `POST /producer/{slug}/hubs/{hub}/end`.
pub async fn end(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<(String, String)>,
    _form: Form,
) -> Result<HttpResponse, WebError> {
    let (slug, hub) = path.into_inner();
    let row = producer_for(&state, &visitor, slug, manage).await?;
    let producer_id = row.id.clone();
    state
        .db
        .run(move |conn| relationships::revoke(conn, &producer_id, &hub))
        .await?;
    Ok(redirect(&format!(
        "/producer/{}/hubs?notice=ended",
        row.slug
    )))
}

#[derive(Serialize)]
struct RequestPage {
    enterprise: serde_json::Value,
    /// The local currencies it may ask in.
    currencies: Vec<Choice>,
    errors: serde_json::Value,
    values: serde_json::Value,
}

/// The local currencies the producer accepts.
async fn local_currencies(state: &AppState, id: String) -> Result<Vec<Choice>, WebError> {
    state
        .db
        .run(move |conn| -> Result<Vec<Choice>, WebError> {
            let accepted = enterprises::accepted_currencies(conn, std::slice::from_ref(&id))?
                .remove(&id)
                .unwrap_or_default();
            let mut out = Vec::new();
            for code in accepted {
                let currency = currencies::get(conn, &code)?;
                if currency.is_local() {
                    out.push(Choice {
                        label: format!("{} ({})", currency.name, currency.code),
                        value: currency.code,
                    });
                }
            }
            Ok(out)
        })
        .await
}

async fn request_form(
    state: &AppState,
    pages: &Pages,
    visitor: &Visitor,
    row: &EnterpriseRow,
    errors: &[FieldError],
    values: serde_json::Value,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let currencies = local_currencies(state, row.id.clone()).await?;
    render_status(
        pages,
        visitor,
        "producer_request_new.html",
        RequestPage {
            enterprise: enterprise_json(row),
            currencies,
            errors: field_errors_of(pages, visitor, "producer-request", errors),
            values,
        },
        status,
    )
}

/// `GET /producer/{slug}/payment-requests/new`.
pub async fn new_request_page(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    slug: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let row = producer_for(&state, &visitor, slug.into_inner(), request).await?;
    let values = serde_json::json!({"label": "", "amount": "", "currency": "", "reusable": false});
    request_form(&state, &pages, &visitor, &row, &[], values, StatusCode::OK).await
}

/// `POST /producer/{slug}/payment-requests/new`.
pub async fn create_request(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    slug: web::Path<String>,
    form: Form,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let row = producer_for(&state, &visitor, slug.into_inner(), request).await?;
    let currency = form.get("currency").to_string();
    let typed = form
        .get("amount")
        .replace([' ', '\u{a0}', '\u{202f}'], "")
        .replace(',', ".");
    let mut errors = Vec::new();
    let amount = if typed.is_empty() {
        None
    } else {
        match currency.parse() {
            Ok(code) => Some(AmountInput {
                amount: typed,
                currency: code,
            }),
            Err(_) => {
                errors.push(FieldError::new(
                    "currency",
                    "unknown_currency",
                    "choose a currency",
                ));
                None
            }
        }
    };
    if errors.is_empty() {
        let new = NewRequest {
            amount,
            currency: currency.clone(),
            label: form.get("label").to_string(),
            reusable: form.get("reusable") == "yes",
            expires_at: None,
        };
        let (actor, id, app_url) = (reader.actor.clone(), row.id.clone(), state.app_url.clone());
        let created = state
            .db
            .run(move |conn| payment_requests::create(conn, &actor, &id, &new, &app_url))
            .await;
        match created {
            Ok(_) => {
                return Ok(redirect(&format!(
                    "/producer/{}/payment-requests",
                    row.slug
                )))
            }
            Err(crate::association::AssociationError::Invalid(invalid)) => {
                errors.extend(invalid.0.into_iter().map(|mut e| {
                    if e.field.starts_with("amount") {
                        e.field = "amount".into();
                    }
                    e
                }))
            }
            Err(other) => return Err(other.into()),
        }
    }
    let values = serde_json::json!({
        "label": form.get("label"), "amount": form.get("amount"), "currency": currency,
        "reusable": form.get("reusable") == "yes",
    });
    request_form(
        &state,
        &pages,
        &visitor,
        &row,
        &errors,
        values,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

#[derive(Serialize)]
struct WalletChoice {
    value: String,
    label: String,
}

#[derive(Serialize)]
struct ReconversionPage {
    enterprise: serde_json::Value,
    wallets: Vec<WalletChoice>,
    /// The entry's id this form books under (sent twice, it books once).
    entry: String,
    errors: serde_json::Value,
    values: serde_json::Value,
}

async fn reconversion_form(
    state: &AppState,
    pages: &Pages,
    visitor: &Visitor,
    row: &EnterpriseRow,
    errors: &[FieldError],
    values: serde_json::Value,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let entry = values["entry"].as_str().unwrap_or_default().to_string();
    let id = row.id.clone();
    let wallets = state
        .db
        .run(move |conn| -> Result<Vec<WalletChoice>, WebError> {
            let scales = history::scales(conn)?;
            let mut out = Vec::new();
            for a in accounts::list_for_owner(conn, &Owner::Enterprise(id.into()))? {
                let local = currencies::get(conn, &a.currency)?.is_local();
                if local && a.kind == AccountKind::EnterpriseWallet.as_str() {
                    let balance = history::money(&scales, a.balance(), &a.currency);
                    out.push(WalletChoice {
                        label: format!("{} — {}", a.currency, balance.amount()),
                        value: a.id,
                    });
                }
            }
            Ok(out)
        })
        .await?;
    render_status(
        pages,
        visitor,
        "producer_reconversion.html",
        ReconversionPage {
            enterprise: enterprise_json(row),
            wallets,
            entry,
            errors: field_errors_of(pages, visitor, "producer-reconversion", errors),
            values,
        },
        status,
    )
}

/// `GET /producer/{slug}/reconversion`.
pub async fn reconversion_page(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    slug: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let row = producer_for(&state, &visitor, slug.into_inner(), keep_books).await?;
    let entry = uuid::Uuid::now_v7().to_string();
    let values = serde_json::json!({"amount": "", "reference": "", "wallet": "", "entry": entry});
    reconversion_form(&state, &pages, &visitor, &row, &[], values, StatusCode::OK).await
}

/// `POST /producer/{slug}/reconversion`.
pub async fn reconvert(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    slug: web::Path<String>,
    form: Form,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let row = producer_for(&state, &visitor, slug.into_inner(), keep_books).await?;
    let entry = form.get("entry").to_string();
    if uuid::Uuid::parse_str(&entry).map(|u| u.get_version_num()) != Ok(7) {
        return Err(WebError::BadForm);
    }
    let (wallet_id, typed) = (
        form.get("wallet").to_string(),
        form.get("amount").to_string(),
    );
    let reference = form.get("reference").to_string();
    let (actor, owner, entry_id) = (reader.actor.clone(), row.id.clone(), entry.clone());
    let done = state
        .db
        .run(move |conn| -> Result<(), WebError> {
            let wallet = accounts::get(conn, &wallet_id).map_err(|_| {
                WebError::Invalid(vec![FieldError::new(
                    "wallet",
                    "required",
                    "choose a wallet",
                )])
            })?;
            if wallet.owner_id.as_deref() != Some(owner.as_str()) {
                return Err(WebError::Invalid(vec![FieldError::new(
                    "wallet",
                    "required",
                    "choose a wallet",
                )]));
            }
            authorize(&actor, Action::SpendFrom { account: &wallet })?;
            let currency = currencies::get(conn, &wallet.currency)?;
            let cleaned = typed
                .trim()
                .replace([' ', '\u{a0}', '\u{202f}'], "")
                .replace(',', ".");
            let amount =
                parse_amount(&cleaned, currency.decimals(), Sign::Positive).map_err(|_| {
                    WebError::Invalid(vec![FieldError::new(
                        "amount",
                        "invalid",
                        "an amount above zero",
                    )])
                })?;
            conn.transaction(|conn| -> Result<(), WebError> {
                let committed = ops::reconvert(conn, &entry_id, &wallet.id, amount, &reference)?;
                if let Committed::New(entry) = &committed {
                    receipts::reconversion(conn, entry, &wallet.id, &currency, amount)?;
                }
                Ok(())
            })
        })
        .await;
    let errors = match done {
        Ok(()) => {
            return Ok(redirect(&format!(
                "/producer/{}/wallets?notice=reconverted",
                row.slug
            )))
        }
        Err(WebError::Invalid(errors)) => errors,
        Err(WebError::Refused(why)) => vec![FieldError::new("amount", "refused", why)],
        Err(other) => return Err(other),
    };
    let values = serde_json::json!({
        "amount": form.get("amount"), "reference": form.get("reference"),
        "wallet": form.get("wallet"), "entry": entry,
    });
    reconversion_form(
        &state,
        &pages,
        &visitor,
        &row,
        &errors,
        values,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}
