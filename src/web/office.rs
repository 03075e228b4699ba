//! `GET /office`: the enterprises the reader works for (a role other than `member`: a
//! consumer member of a hub has no office there), each with the link to its office by kind —
//! a producer's `/producer/{slug}`, a hub's `/hub/{slug}`, a currency association's
//! `/treasury/{slug}`; and for a platform admin, the platform's (`/admin`). The layout's
//! "Offices" link shows when there is any ([`has_office`]).

use actix_web::{web, HttpResponse};
use serde_json::{json, Value};

use super::error::WebError;
use super::render;
use super::render::Pages;
use super::session::Visitor;
use crate::auth::actor::Actor;
use crate::auth::policy::{authorize, Action};
use crate::auth::users::Role;
use crate::enterprises::{self, EnterpriseKind};
use crate::state::AppState;

pub const TEMPLATES: &[(&str, &str)] = crate::web_templates!("office.html");

/// This module's pages.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/office", web::get().to(office));
}

/// The enterprises `actor` works for (a role other than `member`), without repeats.
fn office_enterprises(actor: &Actor) -> Vec<String> {
    let mut ids: Vec<String> = actor
        .roles
        .iter()
        .filter(|(_, r)| *r != Role::Member)
        .map(|(e, _)| e.clone())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// Whether `actor` has an office: a role other than `member` in an enterprise, or the
/// platform's administration.
pub fn has_office(actor: &Actor) -> bool {
    actor.is_platform_admin || actor.roles.iter().any(|(_, r)| *r != Role::Member)
}

/// The offices of an enterprise of `kind`: `(path prefix, catalogue key of its name)`.
fn offices_of(kind: EnterpriseKind) -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    if kind.is_producer() {
        out.push(("/producer/", "office-link-producer"));
    }
    if kind.is_hub() {
        out.push(("/hub/", "office-link-hub"));
    }
    if kind == EnterpriseKind::CurrencyAssociation {
        out.push(("/treasury/", "office-link-treasury"));
    }
    out
}

/// `GET /office`.
pub async fn office(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    authorize(&reader.actor, Action::ReadOwnAccounts)?;
    let actor = reader.actor.clone();
    let ids = office_enterprises(&actor);
    let list = state
        .db
        .run(move |conn| -> Result<Vec<Value>, WebError> {
            let mut out = Vec::new();
            for id in ids {
                let row = enterprises::get_row(conn, &id)?;
                let Some(kind) = EnterpriseKind::parse(&row.kind) else {
                    continue;
                };
                let roles: Vec<&str> = actor
                    .roles
                    .iter()
                    .filter(|(e, r)| *e == id && *r != Role::Member)
                    .map(|(_, r)| r.as_str())
                    .collect();
                let links: Vec<Value> = offices_of(kind)
                    .into_iter()
                    .map(|(prefix, key)| json!({"href": format!("{prefix}{}", row.slug), "key": key}))
                    .collect();
                out.push(json!({
                    "name": row.name,
                    "kind": kind.as_str().replace('_', "-"),
                    "roles": roles,
                    "links": links,
                }));
            }
            out.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
            Ok(out)
        })
        .await?;
    render(
        &pages,
        &visitor,
        "office.html",
        json!({ "enterprises": list, "admin": reader.actor.is_platform_admin }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(roles: &[(&str, Role)], admin: bool) -> Actor {
        Actor {
            user_id: crate::ids::UserId::from("u"),
            is_platform_admin: admin,
            roles: roles.iter().map(|(e, r)| (e.to_string(), *r)).collect(),
            key_scopes: None,
        }
    }

    #[test]
    fn members_have_no_office_and_workers_do() {
        assert!(!has_office(&actor(&[("hub", Role::Member)], false)));
        assert!(has_office(&actor(&[("farm", Role::Owner)], false)));
        assert!(has_office(&actor(&[], true)));
        let a = actor(
            &[
                ("farm", Role::Owner),
                ("farm", Role::Manager),
                ("hub", Role::Member),
            ],
            false,
        );
        assert_eq!(office_enterprises(&a), vec!["farm".to_string()]);
    }

    #[test]
    fn each_kind_links_to_its_offices() {
        assert_eq!(offices_of(EnterpriseKind::Producer).len(), 1);
        assert_eq!(offices_of(EnterpriseKind::ProducerHub).len(), 2);
        assert_eq!(offices_of(EnterpriseKind::Hub)[0].0, "/hub/");
        assert_eq!(
            offices_of(EnterpriseKind::CurrencyAssociation)[0].0,
            "/treasury/"
        );
    }
}
