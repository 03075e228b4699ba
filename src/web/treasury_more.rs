//! More of the treasurer's office of a currency association ([`super::treasury`]): the
//! wallets in its currency, and the ledger's audit.
//!
//! Every page is under `/treasury/{association}` and loads the association with
//! `super::treasury::office` (its treasurers and platform admins, `RunCurrency`; anyone
//! else 403).
//!
//! - `GET /treasury/{slug}/wallets[?q=&page=]`: the wallets (a person's or an enterprise's)
//!   in the association's currency, searched by their owner's name, address or an
//!   enterprise's slug ([`accounts::wallets`]), 50 a page, each with its balance, status and
//!   credit limit.
//!   `POST …/wallets/{account}/status` (`status=active|frozen`): freezes or reactivates it
//!   ([`ops::set_status`], as `PUT /api/v1/accounts/{id}/status`, the same policy).
//!   `POST …/wallets/{account}/limit` (`limit-{account}`): an enterprise wallet's mutual
//!   credit limit ([`ops::set_overdraft_limit`], as `PUT
//!   /api/v1/accounts/{id}/overdraft-limit`); a bad amount, or a wallet already below the
//!   limit, is answered 422 beside the field.
//! - `GET /treasury/{slug}/verify`: what the ledger's audit checks, and a button;
//!   `POST …/verify` runs it ([`verify::verify`], what `comptoir ledger verify` runs,
//!   read-only) and shows its report: every check, ok or what is wrong, and how long it
//!   took. For those who keep the books ([`export::may_keep_books`]), as the exports.
//! - `GET /treasury/{slug}/periods`: the closed accounting periods ([`periods::list`]) and
//!   the form to close one; `POST …/periods` (`from`, `to`) first shows what closing means
//!   (no entry may be written before the day after), then with `confirmed=yes` closes it
//!   ([`periods::close`], as `POST /api/v1/accounting/periods`, the same policy); bad days
//!   are answered 422 beside the field, a period overlapping a closed one 409.

use std::time::Instant;

use chrono::NaiveDate;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use super::error::WebError;
use super::render::Pages;
use super::session::{Form, Visitor};
use super::treasury::{books_office, office, Office};
use super::NoticeQuery;
use super::{field_errors_of, redirect, render, render_status};
use crate::accounting::{export, periods, AccountingError};
use crate::auth::policy::{authorize, Action};
use crate::error::FieldError;
use crate::ledger::accounts::{self, AccountKind, AccountStatus};
use crate::ledger::{currencies, history, ops, verify, LedgerError};
use crate::mail::format::mail_time;
use crate::money::{Money, Sign};
use crate::state::AppState;

pub const TEMPLATES: &[(&str, &str)] = crate::web_templates!(
    "treasury_wallets.html",
    "treasury_verify.html",
    "treasury_periods.html",
);

/// The wallets a page shows.
const WALLETS_PAGE: i64 = 50;

/// This module's pages.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/treasury/{slug}/wallets", web::get().to(wallets_page))
        .route(
            "/treasury/{slug}/wallets/{account}/{what}",
            web::post().to(change_wallet),
        )
        .route("/treasury/{slug}/verify", web::get().to(verify_page))
        .route("/treasury/{slug}/verify", web::post().to(run_verify))
        .route("/treasury/{slug}/periods", web::get().to(periods_page))
        .route("/treasury/{slug}/periods", web::post().to(close_period));
}

#[derive(Debug, Deserialize)]
pub struct WalletsQuery {
    pub q: Option<String>,
    pub page: Option<u32>,
    pub notice: Option<String>,
}

/// One wallet's row.
#[derive(Debug, Serialize)]
struct WalletRow {
    id: String,
    owner: String,
    email: Option<String>,
    /// `member` or `enterprise`.
    kind: &'static str,
    balance: Money,
    /// `active`, `frozen` or `closed`.
    status: String,
    /// Mutual credit (enterprise wallets only).
    limit: Option<Money>,
    /// The limit as typed in its form.
    limit_value: String,
}

#[derive(Debug, Serialize)]
struct WalletsPage {
    office: serde_json::Value,
    q: String,
    page: u32,
    wallets: Vec<WalletRow>,
    previous: Option<u32>,
    next: Option<u32>,
    errors: serde_json::Value,
    values: serde_json::Value,
    notice: Option<String>,
}

/// The notices of this module's redirects (`?notice=`), and their words' keys.
const NOTICES: &[(&str, &str)] = &[
    ("frozen", "treasury-wallets-notice-frozen"),
    ("active", "treasury-wallets-notice-active"),
    ("limit", "treasury-wallets-notice-limit"),
];

/// The wallets' page: `q` searched, page `page` (from 1), with a form's errors.
#[allow(clippy::too_many_arguments)]
async fn wallets_view(
    state: &AppState,
    pages: &Pages,
    visitor: &Visitor,
    office: &Office,
    q: String,
    page: u32,
    errors: serde_json::Value,
    values: serde_json::Value,
    notice: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let page = page.max(1);
    let code = office.currency.code.clone();
    let query = q.clone();
    let (found, scales) = state
        .db
        .run(move |conn| -> Result<_, LedgerError> {
            let offset = i64::from(page - 1) * WALLETS_PAGE;
            let found = accounts::wallets(conn, &code, &query, offset, WALLETS_PAGE + 1)?;
            Ok((found, history::scales(conn)?))
        })
        .await?;
    let more = found.len() as i64 > WALLETS_PAGE;
    let wallets = found
        .into_iter()
        .take(WALLETS_PAGE as usize)
        .map(|w| {
            let a = &w.account;
            let enterprise = a.kind == AccountKind::EnterpriseWallet.as_str();
            let limit = enterprise
                .then(|| history::money(&scales, a.overdraft_limit.unwrap_or(0), &a.currency));
            WalletRow {
                id: a.id.clone(),
                owner: w.owner_name.clone(),
                email: w.owner_email.clone(),
                kind: if enterprise { "enterprise" } else { "member" },
                balance: history::money(&scales, a.balance(), &a.currency),
                status: a.status.clone(),
                limit_value: limit.as_ref().map(Money::amount_string).unwrap_or_default(),
                limit,
            }
        })
        .collect();
    let values = WalletsPage {
        office: office.json(),
        q,
        page,
        wallets,
        previous: (page > 1).then(|| page - 1),
        next: more.then(|| page + 1),
        errors,
        values,
        notice,
    };
    render_status(pages, visitor, "treasury_wallets.html", values, status)
}

/// `GET /treasury/{slug}/wallets[?q=&page=]`: the wallets found, 50 a page.
pub async fn wallets_page(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    slug: web::Path<String>,
    query: web::Query<WalletsQuery>,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let office = office(&state, reader, slug.into_inner()).await?;
    let query = query.into_inner();
    let text = pages.notice(
        super::i18n::page_locale(visitor.locale),
        query.notice.as_deref(),
        NOTICES,
    );
    let q: String = query
        .q
        .unwrap_or_default()
        .trim()
        .chars()
        .take(100)
        .collect();
    wallets_view(
        &state,
        &pages,
        &visitor,
        &office,
        q,
        query.page.unwrap_or(1),
        serde_json::json!([]),
        serde_json::json!({}),
        text,
        StatusCode::OK,
    )
    .await
}

/// `POST /treasury/{slug}/wallets/{account}/status` or `…/limit`: freezing or reactivating
/// a wallet, or setting an enterprise wallet's credit limit; back to the list (the search
/// kept) with a notice, or the list again with the error beside the field (422).
pub async fn change_wallet(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    path: web::Path<(String, String, String)>,
    form: Form,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let (slug, account_id, what) = path.into_inner();
    if !matches!(what.as_str(), "status" | "limit") {
        return Err(WebError::NotFound(format!("no change {what}")));
    }
    let office = office(&state, reader, slug).await?;
    let (actor, who) = (reader.actor.clone(), reader.who(&req));
    let field = format!("limit-{account_id}");
    // a row's field: its errors are named `limit` (for the catalogue's words), shown beside
    // `limit-{account}`
    let invalid = |code: &str, message: String| {
        WebError::Invalid(vec![FieldError::new("limit", code, message)])
    };
    let status = match what.as_str() {
        "status" => match form.get("status") {
            "frozen" => Some(AccountStatus::Frozen),
            "active" => Some(AccountStatus::Active),
            _ => return Err(WebError::BadForm),
        },
        _ => None,
    };
    let typed = form
        .get(&field)
        .trim()
        .replace([' ', '\u{a0}', '\u{202f}'], "")
        .replace(',', ".");
    let code = office.currency.code.clone();
    let id = account_id.clone();
    let outcome = state
        .db
        .run(move |conn| -> Result<(), WebError> {
            let account = accounts::get(conn, &id)?;
            let wallet = matches!(
                account.kind()?,
                AccountKind::MemberWallet | AccountKind::EnterpriseWallet
            );
            if account.currency != code || !wallet {
                return Err(WebError::NotFound(format!("no wallet {id} in {code}")));
            }
            let currency = currencies::get(conn, &account.currency)?;
            // the API's policy: the treasurers of the currency's association
            let issuer = currency.issuer_id.clone().unwrap_or_default();
            if issuer.is_empty() {
                authorize(&actor, Action::AdministerPlatform)?;
            } else {
                authorize(&actor, Action::RunCurrency { issuer_id: &issuer })?;
            }
            match status {
                Some(status) => {
                    ops::set_status(conn, &who, &id, status)?;
                }
                None => {
                    if typed.is_empty() {
                        return Err(invalid("required", "enter a limit".into()));
                    }
                    let scale = crate::money::minor_scale(currency.scale);
                    let limit = crate::money::parse_amount(&typed, scale, Sign::NonNegative)
                        .map_err(|e| invalid(e.code(), e.to_string()))?;
                    match ops::set_overdraft_limit(conn, &who, &id, limit) {
                        Ok(_) => {}
                        Err(LedgerError::InsufficientFunds { .. }) => {
                            return Err(invalid(
                                "below",
                                "the wallet is already below this limit".into(),
                            ))
                        }
                        Err(LedgerError::Invalid { message, .. }) => {
                            return Err(invalid("invalid", message))
                        }
                        Err(other) => return Err(other.into()),
                    }
                }
            }
            Ok(())
        })
        .await;
    let q: String = form.get("q").trim().chars().take(100).collect();
    let page: u32 = form.get("page").parse().unwrap_or(1);
    match outcome {
        Ok(()) => {
            let done = match status {
                Some(AccountStatus::Frozen) => "frozen",
                Some(_) => "active",
                None => "limit",
            };
            let mut to = form_urlencoded::Serializer::new(String::new());
            to.append_pair("notice", done);
            if !q.is_empty() {
                to.append_pair("q", &q);
            }
            if page > 1 {
                to.append_pair("page", &page.to_string());
            }
            let to = format!("/treasury/{}/wallets?{}", office.slug, to.finish());
            Ok(redirect(&to))
        }
        Err(WebError::Invalid(errors)) => {
            let mut errors = field_errors_of(&pages, &visitor, "treasury-wallets", &errors);
            if let Some(list) = errors.as_array_mut() {
                for e in list {
                    if e["field"] == "limit" {
                        e["field"] = field.clone().into();
                    }
                }
            }
            wallets_view(
                &state,
                &pages,
                &visitor,
                &office,
                q,
                page,
                errors,
                form.values(),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(other) => Err(other),
    }
}

/// `GET /treasury/{slug}/verify`: what the audit checks, and its button.
pub async fn verify_page(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    slug: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let office = books_office(&state, &visitor, slug.into_inner()).await?;
    render(
        &pages,
        &visitor,
        "treasury_verify.html",
        serde_json::json!({"office": office.json(), "report": null}),
    )
}

/// `POST /treasury/{slug}/verify`: runs the audit (read-only) and shows its report.
pub async fn run_verify(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    slug: web::Path<String>,
    _form: Form,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let office = office(&state, reader, slug.into_inner()).await?;
    let actor = reader.actor.clone();
    let started = Instant::now();
    let (report, scales, legal) = state
        .db
        .run(move |conn| -> Result<_, WebError> {
            export::may_keep_books(conn, &actor)?;
            let report = verify::verify(conn, &mut |_| {})?;
            Ok((report, history::scales(conn)?, currencies::legal(conn)?))
        })
        .await?;
    let took = started.elapsed();
    let currencies: Vec<serde_json::Value> = report
        .currencies
        .iter()
        .map(|c| {
            serde_json::json!({
                "code": c.code,
                "circulation": history::money(&scales, c.circulation, &c.code),
                "fund": legal.money(c.fund_eur),
                "difference": legal.money(c.difference_eur),
                "short": c.difference_eur < 0,
                "held": history::money(&scales, c.held, &c.code),
                "credit": history::money(&scales, c.credit_outstanding, &c.code),
            })
        })
        .collect();
    let ok = report.ok();
    render(
        &pages,
        &visitor,
        "treasury_verify.html",
        serde_json::json!({
            "office": office.json(),
            "report": {
                "ok": ok,
                "entries": report.entries,
                "accounts": report.accounts,
                "audited": report.audited,
                "before_audit": report.before_audit,
                "violations": report.violations,
                "currencies": currencies,
                "milliseconds": u64::try_from(took.as_millis()).unwrap_or(u64::MAX),
            },
        }),
    )
}

/// The periods' page: the closed periods, and the form to close one (its errors, or the
/// step confirming it).
struct PeriodsShown {
    errors: Vec<FieldError>,
    values: serde_json::Value,
    /// The period to confirm (`from`, `to`), once the form is well filled.
    confirm: Option<(NaiveDate, NaiveDate)>,
    /// Why the period could not be closed (409), in the domain's words.
    refused: Option<String>,
    notice: Option<String>,
    status: StatusCode,
}

async fn periods_view(
    state: &AppState,
    pages: &Pages,
    visitor: &Visitor,
    office: &Office,
    shown: PeriodsShown,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let actor = reader.actor.clone();
    let zone = pages.deployment.country.time_zone();
    let list = state
        .db
        .run(move |conn| -> Result<_, WebError> {
            export::may_keep_books(conn, &actor)?;
            Ok(periods::list(conn)?)
        })
        .await?;
    let next_from = list.last().and_then(|p| p.ends_on.succ_opt());
    let closed: Vec<serde_json::Value> = list
        .iter()
        .rev()
        .map(|p| {
            serde_json::json!({
                "from": p.starts_on.to_string(),
                "to": p.ends_on.to_string(),
                "closed_at": mail_time(p.closed_at, zone),
            })
        })
        .collect();
    let mut values = shown.values;
    if values.get("from").is_none() {
        values["from"] = next_from.map(|d| d.to_string()).unwrap_or_default().into();
    }
    render_status(
        pages,
        visitor,
        "treasury_periods.html",
        serde_json::json!({
            "office": office.json(),
            "periods": closed,
            "errors": field_errors_of(pages, visitor, "treasury-periods", &shown.errors),
            "values": values,
            "confirm": shown.confirm.map(|(from, to)| serde_json::json!({
                "from": from.to_string(),
                "to": to.to_string(),
                "after": to.succ_opt().map(|d| d.to_string()),
            })),
            "refused": shown.refused,
            "notice": shown.notice,
        }),
        shown.status,
    )
}

/// `GET /treasury/{slug}/periods`: the closed periods, and the form to close one.
pub async fn periods_page(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    slug: web::Path<String>,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let office = office(&state, reader, slug.into_inner()).await?;
    let notice = pages.notice(
        super::i18n::page_locale(visitor.locale),
        query.notice.as_deref(),
        &[("closed", "treasury-periods-notice-closed")],
    );
    let shown = PeriodsShown {
        errors: Vec::new(),
        values: serde_json::json!({}),
        confirm: None,
        refused: None,
        notice,
        status: StatusCode::OK,
    };
    periods_view(&state, &pages, &visitor, &office, shown).await
}

/// `POST /treasury/{slug}/periods` (`from`, `to`): first the step confirming what closing
/// means; with `confirmed=yes`, closes the period ([`periods::close`], as `POST
/// /api/v1/accounting/periods`, for those who keep the books) and back to the list.
pub async fn close_period(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    slug: web::Path<String>,
    form: Form,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let office = office(&state, reader, slug.into_inner()).await?;
    let (actor, who) = (reader.actor.clone(), reader.who(&req));
    let day = |field: &str, errors: &mut Vec<FieldError>| match NaiveDate::parse_from_str(
        form.get(field).trim(),
        "%Y-%m-%d",
    ) {
        Ok(day) => Some(day),
        Err(_) => {
            errors.push(FieldError::new(field, "not_a_date", "a day as YYYY-MM-DD"));
            None
        }
    };
    let mut errors = Vec::new();
    let (from, to) = (day("from", &mut errors), day("to", &mut errors));
    let shown = |errors, confirm, refused, status| PeriodsShown {
        errors,
        values: form.values(),
        confirm,
        refused,
        notice: None,
        status,
    };
    let (Some(from), Some(to)) = (from, to) else {
        let shown = shown(errors, None, None, StatusCode::UNPROCESSABLE_ENTITY);
        return periods_view(&state, &pages, &visitor, &office, shown).await;
    };
    if form.get("confirmed") != "yes" {
        let shown = shown(Vec::new(), Some((from, to)), None, StatusCode::OK);
        return periods_view(&state, &pages, &visitor, &office, shown).await;
    }
    let request = periods::ClosePeriod { from, to };
    let outcome = state
        .db
        .run(move |conn| -> Result<_, AccountingError> {
            export::may_keep_books(conn, &actor)?;
            periods::close(conn, &who, &request)
        })
        .await;
    let shown = match outcome {
        Ok(_) => {
            return Ok(redirect(&format!(
                "/treasury/{}/periods?notice=closed",
                office.slug
            )))
        }
        Err(AccountingError::Invalid(invalid)) => {
            shown(invalid.0, None, None, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(AccountingError::PeriodClosed(why)) => {
            shown(Vec::new(), None, Some(why), StatusCode::CONFLICT)
        }
        Err(other) => return Err(other.into()),
    };
    periods_view(&state, &pages, &visitor, &office, shown).await
}
