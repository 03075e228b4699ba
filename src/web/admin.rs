//! The platform admin's office (platform admins only, [`Action::AdministerPlatform`]): the
//! deployment's currencies and currency associations, and its accounts.
//!
//! - `GET /admin`: the office's home — how many currencies, associations and accounts.
//! - `GET /admin/currencies`: every currency (its kind, decimals, parity, issuer); `POST
//!   /admin/currencies` creates a local currency for an association that has none
//!   ([`ops::create_currency`], as `POST /api/v1/currencies`: its issuance, commission,
//!   guarantee-fund and euro-clearing accounts are opened with it).
//! - `GET /admin/associations`: every currency association, public or hidden, with its
//!   currency and the link to its treasury; `POST /admin/associations` creates one
//!   ([`manage::create`], as `POST /api/v1/enterprises` with `kind = currency_association`),
//!   owned by the account at the address given (its first treasurer names the others).
//! - `GET /admin/users[?q=&after=]`: accounts by address, searched by address or name, 50 a
//!   page; `POST /admin/users/{id}/disable|enable` ([`admins::set_disabled`]: a disabled
//!   account cannot sign in and its sessions end at once; an admin cannot disable their own
//!   account nor the last admin).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use super::error::WebError;
use super::i18n::page_locale;
use super::render::Pages;
use super::session::{Form, Reader, Visitor};
use super::NoticeQuery;
use super::{field_errors_of, redirect, render_status};
use crate::auth::admins;
use crate::auth::policy::{authorize, Action};
use crate::auth::registration::{find_user, Email};
use crate::enterprises::manage::{self, AddressInput, EnterpriseInput};
use crate::enterprises::{self, EnterpriseKind};
use crate::error::FieldError;
use crate::ledger::currencies;
use crate::ledger::ops::{self, LocalTerms, NewCurrency};
use crate::state::AppState;

pub const TEMPLATES: &[(&str, &str)] = crate::web_templates!(
    "admin.html",
    "admin_nav.html",
    "admin_currencies.html",
    "admin_associations.html",
    "admin_users.html",
);

/// Accounts a page of the users' list shows.
const USERS_PAGE: i64 = 50;

/// This module's pages.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin", web::get().to(home))
        .route("/admin/currencies", web::get().to(currencies_page))
        .route("/admin/currencies", web::post().to(create_currency))
        .route("/admin/associations", web::get().to(associations_page))
        .route("/admin/associations", web::post().to(create_association))
        .route("/admin/users", web::get().to(users_page))
        .route("/admin/users/{id}/{decision}", web::post().to(decide_user));
}

/// The reader, once the policy says they administer the platform.
fn admin(visitor: &Visitor) -> Result<&Reader, WebError> {
    let reader = visitor.require()?;
    authorize(&reader.actor, Action::AdministerPlatform)?;
    Ok(reader)
}

/// The notices of this module's redirects (`?notice=`), and their words' keys.
const NOTICES: &[(&str, &str)] = &[
    ("currency-created", "admin-notice-currency-created"),
    ("association-created", "admin-notice-association-created"),
    ("disabled", "admin-notice-user-disabled"),
    ("enabled", "admin-notice-user-enabled"),
];

#[derive(Serialize)]
struct HomePage {
    currencies: usize,
    associations: usize,
}

/// `GET /admin`.
pub async fn home(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
) -> Result<HttpResponse, WebError> {
    admin(&visitor)?;
    let values = state
        .db
        .run(|conn| -> Result<HomePage, WebError> {
            Ok(HomePage {
                currencies: currencies::list(conn)?.len(),
                associations: enterprises::all_of_kind(conn, EnterpriseKind::CurrencyAssociation)?
                    .len(),
            })
        })
        .await?;
    render_status(&pages, &visitor, "admin.html", values, StatusCode::OK)
}

#[derive(Serialize)]
struct CurrencyLine {
    code: String,
    name: String,
    symbol: String,
    scale: i32,
    local: bool,
    parity: Option<String>,
    issuer: Option<String>,
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
}

#[derive(Serialize)]
struct CurrenciesPage {
    currencies: Vec<CurrencyLine>,
    /// The associations that issue no currency yet: the issuer picker.
    issuers: Vec<Choice>,
    errors: serde_json::Value,
    values: serde_json::Value,
    notice: Option<String>,
}

async fn currencies_view(
    state: &AppState,
    pages: &Pages,
    visitor: &Visitor,
    errors: &[FieldError],
    values: serde_json::Value,
    notice: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let (list, associations) = state
        .db
        .run(|conn| -> Result<_, WebError> {
            Ok((
                currencies::list(conn)?,
                enterprises::all_of_kind(conn, EnterpriseKind::CurrencyAssociation)?,
            ))
        })
        .await?;
    let name_of = |id: &str| {
        associations
            .iter()
            .find(|a| a.id == id)
            .map(|a| a.name.clone())
    };
    let issuers = associations
        .iter()
        .filter(|a| {
            !list
                .iter()
                .any(|c| c.issuer_id.as_deref() == Some(a.id.as_str()))
        })
        .map(|a| Choice {
            value: a.id.clone(),
            label: a.name.clone(),
        })
        .collect();
    let currencies = list
        .iter()
        .map(|c| CurrencyLine {
            code: c.code.clone(),
            name: c.name.clone(),
            symbol: c.symbol.clone(),
            scale: c.scale,
            local: c.issuer_id.is_some(),
            parity: c.parity_to_eur.clone(),
            issuer: c.issuer_id.as_deref().and_then(name_of),
        })
        .collect();
    render_status(
        pages,
        visitor,
        "admin_currencies.html",
        CurrenciesPage {
            currencies,
            issuers,
            errors: field_errors_of(pages, visitor, "admin", errors),
            values,
            notice,
        },
        status,
    )
}

/// `GET /admin/currencies`.
pub async fn currencies_page(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    admin(&visitor)?;
    let notice = pages.notice(
        page_locale(visitor.locale),
        query.notice.as_deref(),
        NOTICES,
    );
    let values = serde_json::json!({"scale": "2", "parity": "1", "member_to_member": true});
    currencies_view(
        &state,
        &pages,
        &visitor,
        &[],
        values,
        notice,
        StatusCode::OK,
    )
    .await
}

/// The local currency a form describes, or its fields' errors.
fn new_currency(form: &Form) -> Result<NewCurrency, Vec<FieldError>> {
    let mut errors = Vec::new();
    let code = form.get("code").to_uppercase();
    let code = code
        .parse()
        .map_err(|_| errors.push(FieldError::new("code", "invalid", "three letters")))
        .ok();
    let name = form.get("name").to_string();
    if name.is_empty() || name.chars().count() > 100 {
        errors.push(FieldError::new("name", "invalid", "1 to 100 characters"));
    }
    let symbol = form.get("symbol").to_string();
    if symbol.is_empty() || symbol.chars().count() > 8 {
        errors.push(FieldError::new("symbol", "invalid", "1 to 8 characters"));
    }
    let scale = form
        .get("scale")
        .parse::<i32>()
        .ok()
        .filter(|s| (0..=4).contains(s));
    if scale.is_none() {
        errors.push(FieldError::new("scale", "invalid", "0 to 4"));
    }
    let parity = rust_decimal::Decimal::from_str_exact(&form.get("parity").replace(',', "."))
        .ok()
        .filter(|p| *p > rust_decimal::Decimal::ZERO);
    if parity.is_none() {
        errors.push(FieldError::new("parity", "invalid", "a decimal above zero"));
    }
    let issuer = form.get("issuer").to_string();
    if issuer.is_empty() {
        errors.push(FieldError::new(
            "issuer",
            "required",
            "choose the association",
        ));
    }
    match (code, scale, parity, errors.is_empty()) {
        (Some(code), Some(scale), Some(parity), true) => Ok(NewCurrency {
            code,
            name,
            symbol,
            scale,
            local: Some(LocalTerms {
                parity_to_eur: parity,
                issuer_id: issuer,
                allow_member_to_member: form.get("member_to_member") == "yes",
            }),
        }),
        _ => Err(errors),
    }
}

/// `POST /admin/currencies`: a new local currency.
pub async fn create_currency(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    form: Form,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let reader = admin(&visitor)?;
    let errors = match new_currency(&form) {
        Ok(new) => {
            let who = reader.who(&req);
            let created = state
                .db
                .run(move |conn| -> Result<(), WebError> {
                    // the treasury's office reads one currency per association
                    let issuer = new.local.as_ref().map(|l| l.issuer_id.clone());
                    if currencies::list(conn)?
                        .iter()
                        .any(|c| c.issuer_id.is_some() && c.issuer_id == issuer)
                    {
                        return Err(WebError::Invalid(vec![FieldError::new(
                            "issuer",
                            "issues_one",
                            "this association issues a currency already",
                        )]));
                    }
                    ops::create_currency(conn, &who, new)?;
                    Ok(())
                })
                .await;
            match created {
                Ok(_) => return Ok(redirect("/admin/currencies?notice=currency-created")),
                Err(WebError::Invalid(errors)) => errors,
                Err(other) => return Err(other),
            }
        }
        Err(errors) => errors,
    };
    let values = serde_json::json!({
        "code": form.get("code"), "name": form.get("name"), "symbol": form.get("symbol"),
        "scale": form.get("scale"), "parity": form.get("parity"), "issuer": form.get("issuer"),
        "member_to_member": form.get("member_to_member") == "yes",
    });
    currencies_view(
        &state,
        &pages,
        &visitor,
        &errors,
        values,
        None,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

#[derive(Serialize)]
struct AssociationLine {
    name: String,
    slug: String,
    city: String,
    currency: Option<String>,
    hidden: bool,
}

#[derive(Serialize)]
struct AssociationsPage {
    associations: Vec<AssociationLine>,
    errors: serde_json::Value,
    values: serde_json::Value,
    notice: Option<String>,
}

async fn associations_view(
    state: &AppState,
    pages: &Pages,
    visitor: &Visitor,
    errors: &[FieldError],
    values: serde_json::Value,
    notice: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let (list, rows) = state
        .db
        .run(|conn| -> Result<_, WebError> {
            Ok((
                currencies::list(conn)?,
                enterprises::all_of_kind(conn, EnterpriseKind::CurrencyAssociation)?,
            ))
        })
        .await?;
    let associations = rows
        .into_iter()
        .map(|a| AssociationLine {
            currency: list
                .iter()
                .find(|c| c.issuer_id.as_deref() == Some(a.id.as_str()))
                .map(|c| c.code.clone()),
            hidden: a.visibility != "public",
            name: a.name,
            slug: a.slug,
            city: a.city,
        })
        .collect();
    render_status(
        pages,
        visitor,
        "admin_associations.html",
        AssociationsPage {
            associations,
            errors: field_errors_of(pages, visitor, "admin", errors),
            values,
            notice,
        },
        status,
    )
}

/// `GET /admin/associations`.
pub async fn associations_page(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    admin(&visitor)?;
    let notice = pages.notice(
        page_locale(visitor.locale),
        query.notice.as_deref(),
        NOTICES,
    );
    let values = serde_json::json!({});
    associations_view(
        &state,
        &pages,
        &visitor,
        &[],
        values,
        notice,
        StatusCode::OK,
    )
    .await
}

/// `POST /admin/associations`: a new currency association, owned by the account at `owner`.
pub async fn create_association(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    form: Form,
) -> Result<HttpResponse, WebError> {
    admin(&visitor)?;
    let input = EnterpriseInput {
        name: Some(form.get("name").to_string()).filter(|n| !n.is_empty()),
        kind: Some(EnterpriseKind::CurrencyAssociation),
        email: Some(form.get("email").to_string()).filter(|n| !n.is_empty()),
        address: Some(AddressInput {
            line: Some(form.get("line").to_string()),
            postcode: Some(form.get("postcode").to_string()),
            city: Some(form.get("city").to_string()),
            country_code: None,
        }),
        ..EnterpriseInput::default()
    };
    let owner = form.get("owner").to_string();
    let country = pages.deployment.country;
    let created = state
        .db
        .run(move |conn| -> Result<(), WebError> {
            let found = match Email::parse(&owner) {
                Ok(email) => find_user(conn, email.as_str())?.filter(|u| u.disabled_at.is_none()),
                Err(_) => None,
            };
            let owner_error =
                FieldError::new("owner", "no_account", "no active account has this address");
            let Some(user) = found else {
                // the other fields' errors too, in one answer
                let mut errors = vec![owner_error];
                let mut row = crate::enterprises::EnterpriseRow::new(
                    String::new(),
                    String::new(),
                    EnterpriseKind::CurrencyAssociation,
                    "public",
                );
                if let Err(crate::enterprises::EnterpriseError::Invalid(more)) =
                    manage::prepare(&mut row, &input, country)
                {
                    errors.extend(more.0);
                }
                return Err(WebError::Invalid(errors));
            };
            manage::create(conn, &user.id, &input)?;
            Ok(())
        })
        .await;
    let errors = match created {
        Ok(()) => return Ok(redirect("/admin/associations?notice=association-created")),
        Err(WebError::Invalid(errors)) => errors,
        Err(other) => return Err(other),
    };
    let values = serde_json::json!({
        "name": form.get("name"), "email": form.get("email"), "line": form.get("line"),
        "postcode": form.get("postcode"), "city": form.get("city"), "owner": form.get("owner"),
    });
    associations_view(
        &state,
        &pages,
        &visitor,
        &errors,
        values,
        None,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct UsersQuery {
    pub q: Option<String>,
    pub after: Option<String>,
    pub notice: Option<String>,
}

#[derive(Serialize)]
struct UserLine {
    id: String,
    email: String,
    name: String,
    admin: bool,
    disabled: bool,
    verified: bool,
    since: String,
    /// The reader's own account: no button to disable it.
    me: bool,
}

#[derive(Serialize)]
struct UsersPage {
    users: Vec<UserLine>,
    q: String,
    /// The address the next page starts after.
    next: Option<String>,
    errors: serde_json::Value,
    notice: Option<String>,
}

async fn users_view(
    state: &AppState,
    pages: &Pages,
    visitor: &Visitor,
    query: UsersQuery,
    errors: &[FieldError],
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let reader = admin(visitor)?;
    let q = query.q.unwrap_or_default();
    let (text, after) = (q.clone(), query.after.clone());
    let mut rows = state
        .db
        .run(move |conn| admins::find_users(conn, &text, after.as_deref(), USERS_PAGE + 1))
        .await?;
    let next = (rows.len() as i64 > USERS_PAGE).then(|| {
        rows.truncate(USERS_PAGE as usize);
        rows.last().map(|u| u.email.clone())
    });
    let me = reader.actor.user_id.as_str().to_string();
    let users = rows
        .into_iter()
        .map(|u| UserLine {
            me: u.id == me,
            admin: u.is_platform_admin,
            disabled: u.disabled_at.is_some(),
            verified: u.email_verified_at.is_some(),
            since: u.created_at.date().to_string(),
            id: u.id,
            email: u.email,
            name: u.display_name,
        })
        .collect();
    let notice = pages.notice(
        page_locale(visitor.locale),
        query.notice.as_deref(),
        NOTICES,
    );
    render_status(
        pages,
        visitor,
        "admin_users.html",
        UsersPage {
            users,
            q,
            next: next.flatten(),
            errors: field_errors_of(pages, visitor, "admin", errors),
            notice,
        },
        status,
    )
}

/// `GET /admin/users[?q=&after=]`.
pub async fn users_page(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    query: web::Query<UsersQuery>,
) -> Result<HttpResponse, WebError> {
    users_view(
        &state,
        &pages,
        &visitor,
        query.into_inner(),
        &[],
        StatusCode::OK,
    )
    .await
}

/// `POST /admin/users/{id}/disable|enable`: back to the list searched for the address.
pub async fn decide_user(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    path: web::Path<(String, String)>,
    _form: Form,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let reader = admin(&visitor)?;
    let (user_id, decision) = path.into_inner();
    let disabled = match decision.as_str() {
        "disable" => true,
        "enable" => false,
        _ => return Err(WebError::NotFound(format!("no decision `{decision}`"))),
    };
    let who = reader.who(&req);
    let done = state
        .db
        .run(move |conn| admins::set_disabled(conn, &who, &user_id, disabled))
        .await
        .map_err(WebError::from);
    match done {
        Ok((user, _)) => {
            let q: String = form_urlencoded::byte_serialize(user.email.as_bytes()).collect();
            Ok(redirect(&format!(
                "/admin/users?q={q}&notice={}",
                if disabled { "disabled" } else { "enabled" }
            )))
        }
        Err(WebError::Invalid(errors)) => {
            let query = UsersQuery {
                q: None,
                after: None,
                notice: None,
            };
            users_view(
                &state,
                &pages,
                &visitor,
                query,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(other) => Err(other),
    }
}
