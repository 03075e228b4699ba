//! The wallet: balances first, the money set aside for orders (holds), then one account's
//! history page by page with its CSV; opening a wallet in a local currency; asking for a
//! top-up and how to pay it; paying a payment request from its QR code's link.
//!
//! - `GET /wallet[?account=&after=]`: each of the reader's accounts (`GET
//!   /api/v1/me/accounts`), their open holds ([`crate::ledger::history::open_holds`]), and the
//!   history of the chosen account, newest first, 20 transfers a page, older ones after a
//!   cursor (the API's `account_history` reads the same transfers oldest first).
//!   `GET /wallet/accounts/{id}/history.csv`: the API's `account_history_csv`
//!   ([`crate::ledger::history::csv_stream`]) as an attachment, with the cookie session.
//! - `POST /wallet/open`: the API's `open_my_wallet` ([`crate::ledger::ops::wallet`]) in a
//!   local currency the reader has no wallet of.
//! - `GET/POST /wallet/top-up` → `GET /wallet/top-ups/{id}`: the API's top-up request
//!   ([`crate::association::topups::request`]), then the request with how to pay it (the
//!   association's account, the amount, the reference) and the transfer's QR code, drawn by
//!   `GET /wallet/top-ups/{id}/qr.svg` with the cookie session (the API's `…/qr.svg` reads a
//!   bearer token only). The form carries a one-time key made when it is drawn, claimed with
//!   the [`crate::idempotency`] record the API's `Idempotency-Key` uses: the same form sent twice (a double click,
//!   back and send again) asks once and lands on the same request. Below the form, the
//!   reader's latest requests ([`crate::association::topups::mine`]): amount, state, date,
//!   reference, a link to how to pay.
//! - `POST /wallet/top-ups/{id}/cancel`: the member cancels a pending request
//!   ([`crate::association::topups::cancel`], as the API's `…/cancel`).
//! - `GET /pay/{id}`, the URL of a payment request's QR code: who asks, how much, what for,
//!   and a button; `POST /pay/{id}` pays ([`crate::association::payment_requests::pay`], with
//!   a key the page made, so a double submission pays once) → `GET /pay/{id}/paid/{entry}`.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::error::WebError;
use super::i18n::page_locale;
use super::render::Pages;
use super::session::{Form, Visitor};
use super::NoticeQuery;
use super::{redirect, render, render_status};
use crate::association::{payment_requests, topups};
use crate::auth::policy::{authorize, Action};
use crate::error::FieldError;
use crate::idempotency::Refusal;
use crate::ledger::accounts::{self, AccountKind, AccountRow, Owner};
use crate::ledger::history::{self, Range};
use crate::ledger::{currencies, ops, LedgerError};
use crate::mail::format::mail_time;
use crate::money::AmountInput;
use crate::pagination::PageParams;
use crate::state::AppState;

pub const TEMPLATES: &[(&str, &str)] = crate::web_templates!(
    "wallet.html",
    "wallet_topup.html",
    "wallet_topup_request.html",
    "pay.html",
    "pay_paid.html",
);

/// Transfers a history page shows.
const HISTORY_PAGE: u32 = 20;

/// This module's pages.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/wallet", web::get().to(wallet))
        .route("/wallet/open", web::post().to(open_wallet))
        .route(
            "/wallet/accounts/{id}/history.csv",
            web::get().to(history_csv),
        )
        .route("/wallet/top-up", web::get().to(topup_page))
        .route("/wallet/top-up", web::post().to(topup))
        .route("/wallet/top-ups/{id}", web::get().to(topup_request))
        .route("/wallet/top-ups/{id}/qr.svg", web::get().to(topup_qr))
        .route("/wallet/top-ups/{id}/cancel", web::post().to(cancel_topup))
        .route("/pay/{id}", web::get().to(pay_page))
        .route("/pay/{id}", web::post().to(pay))
        .route("/pay/{id}/paid/{entry}", web::get().to(paid));
}

#[derive(Debug, Deserialize)]
pub struct WalletQuery {
    pub account: Option<String>,
    pub after: Option<String>,
    pub notice: Option<String>,
}

/// The notices of this module's redirects (`?notice=`), and their words' keys.
const NOTICES: &[(&str, &str)] = &[("opened", "wallet-notice-opened")];

/// May `actor` read `account` (its owner, the treasurers of its currency)? The API's check.
fn may_read(
    conn: &mut crate::db::DbConn,
    actor: &crate::auth::actor::Actor,
    account: &AccountRow,
) -> Result<(), WebError> {
    let issuer = currencies::get(conn, &account.currency)?.issuer_id;
    authorize(
        actor,
        Action::ReadAccount {
            account,
            issuer_id: issuer.as_deref(),
        },
    )?;
    Ok(())
}

/// `GET /wallet`.
pub async fn wallet(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    query: web::Query<WalletQuery>,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    authorize(&reader.actor, Action::ReadOwnAccounts)?;
    let page = PageParams {
        limit: Some(HISTORY_PAGE),
        after: query.after.clone(),
    };
    if page.validate().is_err() {
        return Err(WebError::NotFound("no such page of the history".into()));
    }
    let actor = reader.actor.clone();
    let chosen = query.account.clone();
    let zone = pages.deployment.country.time_zone();
    let legal = pages.deployment.legal.clone();
    let values = state
        .db
        .run(move |conn| -> Result<serde_json::Value, WebError> {
            let owner = Owner::User(actor.user_id.clone());
            let mut mine = accounts::list_for_owner(conn, &owner)?;
            // the local currencies first, then the legal one
            mine.sort_by_key(|a| (a.currency == legal, a.currency.clone(), a.id.clone()));
            let scales = history::scales(conn)?;
            let money = |minor: i64, currency: &str| history::money(&scales, minor, currency);
            let locals: Vec<String> = currencies::list(conn)?
                .into_iter()
                .filter(|c| c.issuer_id.is_some())
                .map(|c| c.code)
                .collect();
            let to_open: Vec<&String> = locals
                .iter()
                .filter(|code| {
                    !mine.iter().any(|a| {
                        &a.currency == *code && a.kind == AccountKind::MemberWallet.as_str()
                    })
                })
                .collect();
            let selected = match &chosen {
                Some(id) => Some(
                    mine.iter()
                        .find(|a| &a.id == id)
                        .ok_or_else(|| WebError::NotFound("no such account of yours".into()))?,
                ),
                None => mine.first(),
            };
            let mut balances = Vec::new();
            let mut holds = Vec::new();
            for a in &mine {
                balances.push(json!({
                    "id": a.id,
                    "currency": a.currency,
                    "local": locals.contains(&a.currency),
                    "balance": money(a.balance(), &a.currency),
                    "available": money(a.balance() - a.debits_pending, &a.currency),
                    "set_aside": money(a.debits_pending, &a.currency),
                    "has_holds": a.debits_pending != 0,
                    "status": a.status,
                    "selected": selected.is_some_and(|s| s.id == a.id),
                }));
                if a.debits_pending != 0 {
                    for (t, reference) in history::open_holds(conn, &a.id)? {
                        holds.push(json!({
                            "amount": money(t.amount, &t.currency),
                            "order": reference.strip_prefix("order ").map(str::to_string),
                            "reference": reference,
                            "expires_at": t.expires_at.map(|e| mail_time(e, zone)),
                        }));
                    }
                }
            }
            let history = match selected {
                Some(account) => {
                    may_read(conn, &actor, account)?;
                    let rows = history::transfers_newest_first(
                        conn,
                        &account.id,
                        page.after.as_deref(),
                        page.fetch_limit(),
                    )?;
                    let found = page.paginate(rows, |r| r.0.id.clone());
                    let lines: Vec<_> = found
                        .items
                        .into_iter()
                        .map(|(t, code, reference, description)| {
                            json!({
                                "when": mail_time(t.created_at, zone),
                                "incoming": t.credit_account_id == account.id,
                                "pending": t.kind == "pending",
                                "amount": money(t.amount, &t.currency),
                                "code": code,
                                "reference": reference,
                                "description": description,
                            })
                        })
                        .collect();
                    json!({
                        "account": account.id,
                        "currency": account.currency,
                        "lines": lines,
                        "next": found.next_cursor,
                        "first_page": page.after.is_none(),
                    })
                }
                None => serde_json::Value::Null,
            };
            Ok(json!({
                "balances": balances,
                "holds": holds,
                "history": history,
                "to_open": to_open,
                "locals": locals,
            }))
        })
        .await?;
    let mut values = values;
    values["notice"] = json!(pages.notice(
        super::i18n::page_locale(visitor.locale),
        query.notice.as_deref(),
        NOTICES
    ));
    // an entry's kind in words when the catalogue has them, else its description
    let locale = page_locale(visitor.locale);
    if let Some(lines) = values
        .get_mut("history")
        .and_then(|h| h.get_mut("lines"))
        .and_then(|l| l.as_array_mut())
    {
        for line in lines {
            let key = format!(
                "wallet-entry-{}",
                line["code"].as_str().unwrap_or("").replace('_', "-")
            );
            if pages.catalogue.has(locale, &key) {
                line["label"] = pages.text(locale, &key).into();
            } else {
                line["label"] = line["description"].clone();
            }
        }
    }
    render(&pages, &visitor, "wallet.html", values)
}

/// `GET /wallet/accounts/{id}/history.csv`: the API's CSV of the account, as a download.
pub async fn history_csv(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    use futures_util::StreamExt;
    let reader = visitor.require()?;
    let (actor, id) = (reader.actor.clone(), id.into_inner());
    let checked = id.clone();
    state
        .db
        .run(move |conn| -> Result<(), WebError> {
            let account = accounts::get(conn, &checked)?;
            may_read(conn, &actor, &account)
        })
        .await?;
    let body = history::csv_stream(state.db.clone(), id, Range::default()).map(|chunk| {
        chunk
            .map(web::Bytes::from)
            .map_err(|e| actix_web::error::ErrorInternalServerError(e.to_string()))
    });
    Ok(crate::state::attachment("text/csv; charset=utf-8", "transfers.csv").streaming(body))
}

/// `POST /wallet/open`: opens the reader's wallet in `currency` (a local currency).
pub async fn open_wallet(
    state: web::Data<AppState>,
    visitor: Visitor,
    form: Form,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    authorize(&reader.actor, Action::ManageOwnAccount)?;
    let owner = Owner::User(reader.actor.user_id.clone());
    let currency = form.get("currency").to_string();
    let opened = state
        .db
        .run(move |conn| ops::wallet(conn, owner, &currency))
        .await?;
    Ok(redirect(&format!(
        "/wallet?account={}&notice=opened",
        opened.id
    )))
}

/// An amount typed in a form: `12,50` or `12.50`.
fn typed_amount(text: &str, currency: &str) -> Result<AmountInput, FieldError> {
    let currency = currency
        .parse()
        .map_err(|_| FieldError::new("currency", "unknown_currency", "choose a currency"))?;
    let amount = text.trim().replace([' ', '\u{a0}', '\u{202f}'], "");
    if amount.is_empty() {
        return Err(FieldError::new("amount", "required", "enter an amount"));
    }
    Ok(AmountInput {
        amount: amount.replace(',', "."),
        currency,
    })
}

/// The field errors of a refusal, on the form's own fields (`amount.amount` → `amount`).
fn on_fields(errors: Vec<FieldError>) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|mut e| {
            e.field = match e.field.as_str() {
                "amount.amount" | "amount" => "amount".into(),
                "amount.currency" | "currency" => "currency".into(),
                other => other.to_string(),
            };
            e
        })
        .collect()
}

/// The errors as this module's templates show them (its own words first).
fn wallet_errors(pages: &Pages, visitor: &Visitor, errors: &[FieldError]) -> serde_json::Value {
    super::field_errors_of(pages, visitor, "wallet", errors)
}

async fn local_currencies(state: &AppState) -> Result<Vec<String>, WebError> {
    Ok(state
        .db
        .run(currencies::list)
        .await?
        .into_iter()
        .filter(|c| c.issuer_id.is_some())
        .map(|c| c.code)
        .collect())
}

/// Top-up requests the form's page lists (the latest ones).
const TOPUP_LIST: u32 = 20;

/// The reader's latest top-up requests, newest first ([`topups::mine`], the API's
/// `GET /api/v1/me/topup-requests`).
async fn my_topups(
    state: &AppState,
    pages: &Pages,
    visitor: &Visitor,
) -> Result<serde_json::Value, WebError> {
    let reader = visitor.require()?;
    let actor = reader.actor.clone();
    let zone = pages.deployment.country.time_zone();
    let page = PageParams {
        limit: Some(TOPUP_LIST),
        after: None,
    };
    let found = state
        .db
        .run(move |conn| topups::mine(conn, &actor, &page))
        .await?;
    Ok(found
        .items
        .into_iter()
        .map(|t| {
            json!({
                "id": t.id,
                "number": t.number,
                "amount": t.amount,
                "to_pay": t.to_pay,
                "method": t.method.as_str(),
                "reference": t.reference,
                "state": t.state.as_str(),
                "created_at": mail_time(t.created_at, zone),
            })
        })
        .collect())
}

/// A fresh one-time key for a form: submitting the form twice does its work once.
fn form_key() -> String {
    crate::time::new_id()
}

/// The one-time key a form posted back; a form without one (or a forged one) is refused.
fn posted_key(form: &Form) -> Result<String, WebError> {
    let key = form.get("key");
    if !(8..=64).contains(&key.len()) || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(WebError::BadForm);
    }
    Ok(key.to_string())
}

/// The top-up form (with `key`, its one-time key) and the reader's requests below it.
#[allow(clippy::too_many_arguments)]
async fn topup_form(
    state: &AppState,
    pages: &Pages,
    visitor: &Visitor,
    locals: &[String],
    errors: &[FieldError],
    values: serde_json::Value,
    key: &str,
    notice: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let requests = my_topups(state, pages, visitor).await?;
    render_status(
        pages,
        visitor,
        "wallet_topup.html",
        json!({
            "errors": wallet_errors(pages, visitor, errors),
            "values": values,
            "locals": locals,
            "legal": pages.deployment.legal,
            "key": key,
            "requests": requests,
            "notice": notice,
        }),
        status,
    )
}

/// `GET /wallet/top-up`: how much, in which local currency, paid how; then my requests.
pub async fn topup_page(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    visitor.require()?;
    let locals = local_currencies(&state).await?;
    let values = json!({"currency": locals.first(), "method": "bank_transfer"});
    let notice = match query.notice.as_deref() {
        Some("cancelled") => {
            Some(pages.text(page_locale(visitor.locale), "wallet-topup-notice-cancelled"))
        }
        _ => None,
    };
    topup_form(
        &state,
        &pages,
        &visitor,
        &locals,
        &[],
        values,
        &form_key(),
        notice,
        StatusCode::OK,
    )
    .await
}

/// What a top-up form asked for, as its one-time key's record keeps it.
#[derive(Debug, serde::Serialize)]
struct AskedTopUp<'a> {
    currency: &'a str,
    amount: &'a str,
    method: &'a str,
}

/// `POST /wallet/top-up`: [`topups::request`] (its mail goes to the member), once per
/// form (its one-time key claimed in [`crate::idempotency`]: a second
/// submission lands on the request the first made), then the request's page.
pub async fn topup(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    form: Form,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let key = posted_key(&form)?;
    let locals = local_currencies(&state).await?;
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    let mut errors = Vec::new();
    let method = topups::Method::parse(form.get("method"));
    if method.is_none() {
        errors.push(FieldError::new("method", "required", "choose how you pay"));
    }
    let amount = match typed_amount(form.get("amount"), form.get("currency")) {
        Ok(a) => Some(a),
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let (Some(method), Some(amount), true) = (method, amount, errors.is_empty()) else {
        return topup_form(
            &state,
            &pages,
            &visitor,
            &locals,
            &errors,
            form.values(),
            &key,
            None,
            unprocessable,
        )
        .await;
    };
    let actor = reader.actor.clone();
    let code = form.get("currency").to_string();
    let typed = form.get("amount").to_string();
    let once = key.clone();
    let outcome = state
        .db
        .run(move |conn| {
            let user = actor.user_id.to_string();
            let asked = AskedTopUp {
                currency: &code,
                amount: &typed,
                method: method.as_str(),
            };
            let saved = crate::idempotency::run(
                conn,
                &user,
                &once,
                "web topup-request",
                &asked,
                StatusCode::SEE_OTHER.as_u16(),
                |conn| topups::request(conn, &actor, &code, &amount, method).map(|t| t.id),
            );
            match saved {
                Ok(saved) => Ok(Ok(saved.body.as_str().unwrap_or_default().to_string())),
                Err(Refusal::Work(refused)) => Ok(Err(refused)),
                Err(Refusal::Reused) => Ok(Err(crate::association::AssociationError::field(
                    "amount",
                    "sent_already",
                    "this form was sent already with other values: check your requests below",
                ))),
                Err(Refusal::Busy) => Err(WebError::Refused(
                    "this form is being sent already: wait a moment, then look at your requests"
                        .into(),
                )),
                Err(Refusal::Store(e)) => Err(WebError::from(e)),
                Err(Refusal::Encode(e)) => Err(WebError::internal(e)),
            }
        })
        .await?;
    let refused = match outcome {
        Ok(id) if !id.is_empty() => return Ok(redirect(&format!("/wallet/top-ups/{id}"))),
        Ok(_) => return Err(WebError::internal("a top-up form's key saved no request")),
        Err(refused) => refused,
    };
    let errors = match refused {
        crate::association::AssociationError::Invalid(invalid) => on_fields(invalid.0),
        // the one conflict of a request: a transfer to an association without an account
        crate::association::AssociationError::Conflict(_) => vec![FieldError::new(
            "method",
            "no_bank_account",
            "the association has given no bank account yet: pay in cash",
        )],
        crate::association::AssociationError::Ledger(LedgerError::CurrencyNotFound(_)) => {
            vec![FieldError::new(
                "currency",
                "unknown_currency",
                "choose a currency",
            )]
        }
        other => return Err(other.into()),
    };
    // a form sent already with other values: a new form, with a new key
    let key = if errors.iter().any(|e| e.code == "sent_already") {
        form_key()
    } else {
        key
    };
    topup_form(
        &state,
        &pages,
        &visitor,
        &locals,
        &errors,
        form.values(),
        &key,
        None,
        unprocessable,
    )
    .await
}

/// `POST /wallet/top-ups/{id}/cancel`: the member cancels their pending request
/// ([`topups::cancel`], the API's `POST /api/v1/topup-requests/{id}/cancel`); a second
/// submission finds it cancelled already and lands on the same page.
pub async fn cancel_topup(
    state: web::Data<AppState>,
    visitor: Visitor,
    _form: Form,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    authorize(&reader.actor, Action::ManageOwnAccount)?;
    let (actor, id) = (reader.actor.clone(), id.into_inner());
    let request = id.clone();
    let outcome = state
        .db
        .run(move |conn| topups::cancel(conn, &actor, &request))
        .await;
    match outcome {
        Ok(_) => Ok(redirect("/wallet/top-up?notice=cancelled")),
        // approved or refused meanwhile: the request's page says which
        Err(crate::association::AssociationError::Conflict(_)) => {
            Ok(redirect(&format!("/wallet/top-ups/{id}")))
        }
        Err(other) => Err(other.into()),
    }
}

/// `GET /wallet/top-ups/{id}`: the request, its state, and how to pay it.
pub async fn topup_request(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let (actor, id) = (reader.actor.clone(), id.into_inner());
    let zone = pages.deployment.country.time_zone();
    let values = state
        .db
        .run(move |conn| -> Result<serde_json::Value, WebError> {
            let topup = topups::get(conn, &actor, &id)?;
            let transfer = match (topup.method, topup.state) {
                (topups::Method::BankTransfer, topups::State::Pending) => {
                    match topups::transfer(conn, &actor, &id) {
                        Ok(t) => Some(t),
                        // no account given (any more): the reference is still shown
                        Err(crate::association::AssociationError::Conflict(_)) => None,
                        Err(e) => return Err(e.into()),
                    }
                }
                _ => None,
            };
            Ok(json!({
                "topup": {
                    "id": topup.id,
                    "number": topup.number,
                    "amount": topup.amount,
                    "to_pay": topup.to_pay,
                    "method": topup.method.as_str(),
                    "reference": topup.reference,
                    "state": topup.state.as_str(),
                    "reason": topup.reason,
                    "created_at": mail_time(topup.created_at, zone),
                },
                "transfer": transfer.map(|t| json!({
                    "creditor": t.creditor,
                    "iban": t.iban,
                    "bic": t.bic,
                    "amount": t.amount,
                    "reference": t.reference,
                    "qr": t.qr.is_some(),
                })),
            }))
        })
        .await?;
    render(&pages, &visitor, "wallet_topup_request.html", values)
}

/// `GET /wallet/top-ups/{id}/qr.svg`: the transfer's QR code, for a banking app.
pub async fn topup_qr(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let (actor, id) = (reader.actor.clone(), id.into_inner());
    let bytes = state
        .db
        .run(move |conn| -> Result<Vec<u8>, WebError> {
            let (code, _number) = topups::code(conn, &actor, &id)?;
            crate::banking::draw(&code, crate::banking::Picture::Svg).map_err(WebError::internal)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("image/svg+xml")
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes))
}

/// The request `id` and what the reader has to pay it with.
async fn pay_values(
    state: &AppState,
    pages: &Pages,
    visitor: &Visitor,
    id: String,
) -> Result<serde_json::Value, WebError> {
    let reader = visitor.require()?;
    let actor = reader.actor.clone();
    let app_url = state.app_url.clone();
    let zone = pages.deployment.country.time_zone();
    state
        .db
        .run(move |conn| -> Result<serde_json::Value, WebError> {
            let request = payment_requests::get(conn, &actor, &id, &app_url)?;
            let wallet = accounts::find_by_owner(
                conn,
                &Owner::User(actor.user_id.clone()),
                &request.currency,
                AccountKind::MemberWallet,
                None,
            )?;
            let scales = history::scales(conn)?;
            let available = wallet
                .as_ref()
                .map(|w| history::money(&scales, w.balance() - w.debits_pending, &w.currency));
            Ok(json!({
                "request": {
                    "id": request.id,
                    "asker": request.enterprise_name,
                    "currency": request.currency,
                    "amount": request.amount,
                    "label": request.label,
                    "state": request.state.as_str(),
                    "expires_at": request.expires_at.map(|t| mail_time(t, zone)),
                },
                "available": available,
                "has_wallet": wallet.is_some(),
            }))
        })
        .await
}

/// `GET /pay/{id}`: who asks, how much, in which currency, what for; one button.
pub async fn pay_page(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let mut values = pay_values(&state, &pages, &visitor, id.into_inner()).await?;
    values["errors"] = json!([]);
    values["values"] = json!({"amount": ""});
    // a key of this page: submitting it twice pays once
    values["key"] = crate::time::new_id().into();
    render(&pages, &visitor, "pay.html", values)
}

/// The pay page again, with `errors` and the values posted (the same key: a retry pays
/// once).
async fn pay_again(
    state: &AppState,
    pages: &Pages,
    visitor: &Visitor,
    id: &str,
    form: &Form,
    errors: &[FieldError],
) -> Result<HttpResponse, WebError> {
    let mut values = pay_values(state, pages, visitor, id.to_string()).await?;
    values["errors"] = wallet_errors(pages, visitor, errors);
    values["values"] = form.values();
    values["key"] = form.get("key").into();
    render_status(
        pages,
        visitor,
        "pay.html",
        values,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
}

/// `POST /pay/{id}`: [`payment_requests::pay`], then the paid page.
pub async fn pay(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    id: web::Path<String>,
    form: Form,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let id = id.into_inner();
    let key = form.get("key").to_string();
    if key.is_empty() || key.len() > 64 {
        return Err(WebError::BadForm);
    }
    let amount = match form.opt("amount") {
        Some(text) => {
            let currency = state
                .db
                .run({
                    let (actor, id, app_url) =
                        (reader.actor.clone(), id.clone(), state.app_url.clone());
                    move |conn| payment_requests::get(conn, &actor, &id, &app_url)
                })
                .await?
                .currency;
            match typed_amount(&text, &currency) {
                Ok(a) => Some(a),
                Err(e) => return pay_again(&state, &pages, &visitor, &id, &form, &[e]).await,
            }
        }
        None => None,
    };
    let (actor, request_id, pay_key) = (reader.actor.clone(), id.clone(), key.clone());
    let outcome = state
        .db
        .run(move |conn| {
            payment_requests::pay(conn, &actor, &request_id, amount.as_ref(), &pay_key)
        })
        .await;
    use crate::association::AssociationError as E;
    match outcome {
        Ok(payment) => Ok(redirect(&format!(
            "/pay/{}/paid/{}",
            payment.request_id, payment.entry_id
        ))),
        Err(E::Invalid(invalid)) => {
            pay_again(&state, &pages, &visitor, &id, &form, &on_fields(invalid.0)).await
        }
        Err(E::Ledger(LedgerError::InsufficientFunds { .. })) => {
            let errors = [FieldError::new(
                "pay",
                "insufficient_funds",
                "your wallet does not hold enough",
            )];
            pay_again(&state, &pages, &visitor, &id, &form, &errors).await
        }
        Err(other) => Err(other.into()),
    }
}

/// `GET /pay/{id}/paid/{entry}`: the reader's payment, done.
pub async fn paid(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let (id, entry) = path.into_inner();
    let (actor, app_url) = (reader.actor.clone(), state.app_url.clone());
    let user_id = reader.actor.user_id.to_string();
    let zone = pages.deployment.country.time_zone();
    let values = state
        .db
        .run(move |conn| -> Result<serde_json::Value, WebError> {
            let request = payment_requests::get(conn, &actor, &id, &app_url)?;
            let payment = payment_requests::paid_by(conn, &user_id)?
                .into_iter()
                .find(|p| p.entry_id == entry && p.request_id == id)
                .ok_or_else(|| WebError::NotFound("no such payment of yours".into()))?;
            Ok(json!({
                "asker": request.enterprise_name,
                "label": request.label,
                "amount": payment.amount,
                "when": mail_time(payment.created_at, zone),
                "entry": payment.entry_id,
            }))
        })
        .await?;
    render(&pages, &visitor, "pay_paid.html", values)
}
