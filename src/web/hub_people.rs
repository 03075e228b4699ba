//! The hub's suppliers, its team and its own books (see [`super::hub`]).
//!
//! - `GET /hub/{slug}/suppliers`: the producers that granted the hub permissions
//!   ([`relationships::list`], as `GET /api/v1/enterprises/{id}/permissions`), what each
//!   allows (offering its products, seeing its customers' orders) and whether the hub
//!   accepted it; `POST …/suppliers/{producer}/accept` ([`relationships::accept`], as `PUT
//!   /api/v1/enterprises/{hub}/suppliers/{producer}`) and `POST …/suppliers/{producer}/end`
//!   ([`relationships::revoke`], as `DELETE …/suppliers/{producer}`: its products leave the
//!   cycles not open yet). For the hub's owners and managers ([`Action::ManageEnterprise`]).
//! - `GET /hub/{slug}/team`: who holds which role ([`roles::list`], as `GET
//!   /api/v1/enterprises/{id}/roles`: owners, managers and treasurers read it);
//!   `POST /hub/{slug}/team` names someone by the address of their account
//!   ([`roles::grant`]), `POST …/team/{user}/{role}/remove` takes a role away
//!   ([`roles::revoke`]; the last owner stays) — both for owners ([`Action::ManageRoles`]).
//! - `GET /hub/{slug}/books` and `…/books/download`: the hub's own books
//!   ([`super::books`], `Book::Enterprise`), for its owners and treasurers
//!   ([`Action::KeepEnterpriseBooks`]).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use super::books::{self, BooksPage, ExportQuery};
use super::error::WebError;
use super::hub::{hub, HubView};
use super::i18n::page_locale;
use super::render::Pages;
use super::session::{Form, Visitor};
use super::NoticeQuery;
use super::{field_errors_of, redirect, render_status};
use crate::accounting::books::Book;
use crate::auth::policy::{authorize, Action};
use crate::auth::registration::Email;
use crate::auth::users::Role;
use crate::enterprises::relationships;
use crate::enterprises::roles;
use crate::error::FieldError;
use crate::state::AppState;

pub const TEMPLATES: &[(&str, &str)] = crate::web_templates!("hub_suppliers.html", "hub_team.html");

/// The roles a hub gives, in the order the form offers them.
const ROLES: &[Role] = &[
    Role::Owner,
    Role::Manager,
    Role::Cashier,
    Role::Treasurer,
    Role::Member,
];

/// This module's pages.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/hub/{slug}/suppliers", web::get().to(suppliers))
        .route(
            "/hub/{slug}/suppliers/{producer}/{decision}",
            web::post().to(decide_supplier),
        )
        .route("/hub/{slug}/team", web::get().to(team))
        .route("/hub/{slug}/team", web::post().to(grant))
        .route(
            "/hub/{slug}/team/{user}/{role}/remove",
            web::post().to(remove),
        )
        .route("/hub/{slug}/books", web::get().to(books_form))
        .route("/hub/{slug}/books/download", web::get().to(books_download));
}

/// The notices of this module's redirects (`?notice=`), and their words' keys.
const NOTICES: &[(&str, &str)] = &[
    ("accepted", "hub-notice-supplier-accepted"),
    ("ended", "hub-notice-supplier-ended"),
    ("granted", "hub-notice-role-granted"),
    ("removed", "hub-notice-role-removed"),
];

#[derive(Serialize)]
struct Supplier {
    id: String,
    name: String,
    can_add_to_order_cycles: bool,
    can_see_orders: bool,
    granted_on: String,
    accepted: bool,
}

#[derive(Serialize)]
struct SuppliersPage {
    hub: HubView,
    suppliers: Vec<Supplier>,
    notice: Option<String>,
}

/// `GET /hub/{slug}/suppliers`.
pub async fn suppliers(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    slug: web::Path<String>,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let hub = hub(&state, reader, slug.into_inner(), |enterprise_id| {
        Action::ManageEnterprise { enterprise_id }
    })
    .await?;
    let hub_id = hub.id.clone();
    let mut suppliers: Vec<Supplier> = state
        .db
        .run(move |conn| relationships::list(conn, &hub_id))
        .await?
        .into_iter()
        .filter(|p| p.hub_id == hub.id)
        .map(|p| Supplier {
            id: p.producer_id,
            name: p.producer_name,
            can_add_to_order_cycles: p.can_add_to_order_cycles,
            can_see_orders: p.can_see_orders,
            granted_on: p.granted_at.date_naive().to_string(),
            accepted: p.hub_accepted_at.is_some(),
        })
        .collect();
    // those waiting for the hub's answer first
    suppliers.sort_by(|a, b| (a.accepted, &a.name).cmp(&(b.accepted, &b.name)));
    let notice = pages.notice(
        super::i18n::page_locale(visitor.locale),
        query.notice.as_deref(),
        NOTICES,
    );
    render_status(
        &pages,
        &visitor,
        "hub_suppliers.html",
        SuppliersPage {
            hub,
            suppliers,
            notice,
        },
        StatusCode::OK,
    )
}

/// `POST /hub/{slug}/suppliers/{producer}/accept|end`.
pub async fn decide_supplier(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<(String, String, String)>,
    _form: Form,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let (slug, producer, decision) = path.into_inner();
    let hub = hub(&state, reader, slug, |enterprise_id| {
        Action::ManageEnterprise { enterprise_id }
    })
    .await?;
    let hub_id = hub.id.clone();
    let notice = match decision.as_str() {
        "accept" => {
            state
                .db
                .run(move |conn| relationships::accept(conn, &hub_id, &producer))
                .await?;
            "accepted"
        }
        "end" => {
            state
                .db
                .run(move |conn| relationships::revoke(conn, &producer, &hub_id))
                .await?;
            "ended"
        }
        _ => return Err(WebError::NotFound(format!("no decision `{decision}`"))),
    };
    Ok(redirect(&format!("{}/suppliers?notice={notice}", hub.base)))
}

#[derive(Serialize)]
struct TeamMember {
    user_id: String,
    name: String,
    email: String,
    role: String,
    since: String,
}

#[derive(Serialize)]
struct TeamPage {
    hub: HubView,
    members: Vec<TeamMember>,
    /// Whether the reader may name and remove people (its owners).
    may_manage: bool,
    /// The role picker's options: `value` and `label`.
    roles: Vec<serde_json::Value>,
    errors: serde_json::Value,
    values: serde_json::Value,
    notice: Option<String>,
}

/// The team page, with a form's errors and values.
#[allow(clippy::too_many_arguments)]
async fn team_page(
    state: &AppState,
    pages: &Pages,
    visitor: &Visitor,
    hub: HubView,
    errors: &[FieldError],
    values: serde_json::Value,
    notice: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let may_manage = authorize(
        &reader.actor,
        Action::ManageRoles {
            enterprise_id: &hub.id,
        },
    )
    .is_ok();
    let hub_id = hub.id.clone();
    let members = state
        .db
        .run(move |conn| roles::list(conn, &hub_id))
        .await?
        .into_iter()
        .map(|m| TeamMember {
            user_id: m.user_id,
            name: m.display_name,
            email: m.email,
            role: m.role,
            since: m.since.date().to_string(),
        })
        .collect();
    render_status(
        pages,
        visitor,
        "hub_team.html",
        TeamPage {
            hub,
            members,
            may_manage,
            roles: ROLES
                .iter()
                .map(|r| {
                    let label = pages.text(
                        page_locale(visitor.locale),
                        &format!("hub-role-{}", r.as_str()),
                    );
                    serde_json::json!({"value": r.as_str(), "label": label})
                })
                .collect(),
            errors: field_errors_of(pages, visitor, "hub-team", errors),
            values,
            notice,
        },
        status,
    )
}

/// `GET /hub/{slug}/team`.
pub async fn team(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    slug: web::Path<String>,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let hub = hub(&state, reader, slug.into_inner(), |hub_id| {
        Action::ListHubOrders { hub_id }
    })
    .await?;
    authorize(
        &reader.actor,
        Action::ReadTeam {
            enterprise_id: &hub.id,
        },
    )?;
    let notice = pages.notice(
        super::i18n::page_locale(visitor.locale),
        query.notice.as_deref(),
        NOTICES,
    );
    let values = serde_json::json!({"email": "", "role": "cashier"});
    team_page(
        &state,
        &pages,
        &visitor,
        hub,
        &[],
        values,
        notice,
        StatusCode::OK,
    )
    .await
}

/// `POST /hub/{slug}/team`: gives `role` to the account at `email`.
pub async fn grant(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    slug: web::Path<String>,
    form: Form,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let hub = hub(&state, reader, slug.into_inner(), |enterprise_id| {
        Action::ManageRoles { enterprise_id }
    })
    .await?;
    let (typed_email, typed_role) = (form.get("email").to_string(), form.get("role").to_string());
    let mut errors = Vec::new();
    let email = Email::parse(&typed_email)
        .map_err(|_| errors.push(FieldError::new("email", "invalid", "an email address")))
        .ok();
    let role = roles::role(&typed_role)
        .map_err(|_| errors.push(FieldError::new("role", "invalid", "choose a role")))
        .ok();
    let granted = match (email, role) {
        (Some(email), Some(role)) => {
            let (hub_id, who) = (hub.id.clone(), reader.who(&req));
            let result = state
                .db
                .run(move |conn| roles::grant(conn, &who, &hub_id, &email, role))
                .await;
            match result {
                Ok(_) => true,
                Err(crate::enterprises::EnterpriseError::Invalid(invalid)) => {
                    errors.extend(invalid.0);
                    false
                }
                Err(other) => return Err(other.into()),
            }
        }
        _ => false,
    };
    if granted {
        return Ok(redirect(&format!("{}/team?notice=granted", hub.base)));
    }
    let values = serde_json::json!({"email": typed_email, "role": typed_role});
    team_page(
        &state,
        &pages,
        &visitor,
        hub,
        &errors,
        values,
        None,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

/// `POST /hub/{slug}/team/{user}/{role}/remove`.
pub async fn remove(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<(String, String, String)>,
    _form: Form,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let (slug, user_id, role) = path.into_inner();
    let hub = hub(&state, reader, slug, |enterprise_id| Action::ManageRoles {
        enterprise_id,
    })
    .await?;
    let role = Role::parse(&role).ok_or_else(|| WebError::NotFound(format!("no role `{role}`")))?;
    let (hub_id, who) = (hub.id.clone(), reader.who(&req));
    state
        .db
        .run(move |conn| roles::revoke(conn, &who, &hub_id, &user_id, role))
        .await?;
    Ok(redirect(&format!("{}/team?notice=removed", hub.base)))
}

/// The hub's own books, as [`super::books`] shows them.
async fn books_page(
    state: &AppState,
    visitor: &Visitor,
    slug: String,
) -> Result<BooksPage, WebError> {
    let reader = visitor.require()?;
    let hub = hub(state, reader, slug, |enterprise_id| {
        Action::KeepEnterpriseBooks { enterprise_id }
    })
    .await?;
    let hub_id = hub.id.clone();
    let siren = state
        .db
        .run(move |conn| crate::accounting::books::siren_of(conn, &hub_id))
        .await?;
    Ok(BooksPage {
        book: Book::Enterprise(hub.id.clone()),
        nav: "hub_nav.html",
        office_key: "hub",
        action: format!("{}/books/download", hub.base),
        lead: "books-lead-enterprise",
        name: hub.name.clone(),
        office: serde_json::to_value(&hub).map_err(|e| WebError::Internal(e.to_string()))?,
        siren,
    })
}

/// `GET /hub/{slug}/books`.
pub async fn books_form(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    slug: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let page = books_page(&state, &visitor, slug.into_inner()).await?;
    books::form(&pages, &visitor, &page)
}

/// `GET /hub/{slug}/books/download`.
pub async fn books_download(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    slug: web::Path<String>,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, WebError> {
    let page = books_page(&state, &visitor, slug.into_inner()).await?;
    books::download(&state, &pages, &visitor, page, query.into_inner()).await
}
