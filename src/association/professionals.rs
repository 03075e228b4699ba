//! Approved professionals: who may take a local currency.
//!
//! A producer or hub asks to accept a local currency by listing it among the currencies it
//! accepts (`enterprises::manage::set_currencies`: the request, and a mail to the currency's
//! association). The association's owners and treasurers then decide, here:
//!
//! - [`approve`]: the enterprise's wallet in the currency opens (the ledger opens an
//!   enterprise's local wallet for approved professionals only), it shows as accepting the
//!   currency, its hub checkouts and producer settlements take it, it may reconvert. Approving
//!   a suspended professional reinstates it (its wallet reactivated). Approving twice changes
//!   nothing the second time.
//! - [`refuse`] a request, with a reason (it may ask again by listing the currency again).
//! - [`suspend`] an approval, with a reason: the wallet is frozen (no payment in or out; the
//!   balance kept), it no longer shows as accepting the currency, and its settlements are paid
//!   in the legal currency instead. A suspension stays until lifted by [`approve`].
//!
//! Each decision is one transaction with its audit event (`professional.approve`,
//! `professional.refuse`, `professional.suspend`) and a mail to the enterprise's owners
//! (`professional_decided`). [`list`] is the association's view, by state; [`of_enterprise`]
//! the enterprise's own.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;

use super::AssociationError;
use crate::audit::{Act, Who};
use crate::auth::actor::Actor;
use crate::auth::policy::{authorize, Action};
use crate::auth::users::Role;
use crate::db::schema::{enterprise_currencies as ec, enterprises};
use crate::db::DbConn;
use crate::ledger::accounts::{self, AccountKind, AccountStatus, Owner};
use crate::ledger::currencies::{self, CurrencyRow};
use crate::ledger::ops;

/// Where an enterprise stands with a local currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Requested,
    Approved,
    Refused,
    Suspended,
}

impl State {
    pub const ALL: &'static [State] = &[
        State::Requested,
        State::Approved,
        State::Refused,
        State::Suspended,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Requested => "requested",
            State::Approved => "approved",
            State::Refused => "refused",
            State::Suspended => "suspended",
        }
    }

    pub fn parse(text: &str) -> Option<State> {
        State::ALL.iter().copied().find(|s| s.as_str() == text)
    }
}

/// An enterprise and a local currency: its request and the association's decision.
#[derive(Debug, Clone, Serialize)]
pub struct Professional {
    pub enterprise_id: String,
    pub enterprise_slug: String,
    pub enterprise_name: String,
    pub kind: String,
    pub city: String,
    pub currency: String,
    pub state: State,
    /// Why it was refused or suspended (empty otherwise).
    pub reason: String,
    pub requested_at: Option<NaiveDateTime>,
    pub decided_at: Option<NaiveDateTime>,
}

type Row = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
);

fn professional(row: Row) -> Result<Professional, AssociationError> {
    let (enterprise_id, slug, name, kind, city, currency, state, reason, requested, decided) = row;
    Ok(Professional {
        state: State::parse(&state)
            .ok_or_else(|| AssociationError::internal(format!("approval state {state}")))?,
        enterprise_id,
        enterprise_slug: slug,
        enterprise_name: name,
        kind,
        city,
        currency,
        reason,
        requested_at: requested,
        decided_at: decided,
    })
}

macro_rules! rows {
    () => {
        ec::table.inner_join(enterprises::table).select((
            ec::enterprise_id,
            enterprises::slug,
            enterprises::name,
            enterprises::kind,
            enterprises::city,
            ec::currency_code,
            ec::state,
            ec::reason,
            ec::requested_at,
            ec::decided_at,
        ))
    };
}

fn local(conn: &mut DbConn, code: &str) -> Result<(CurrencyRow, String), AssociationError> {
    let currency = currencies::get(conn, code)?;
    let issuer = currency.issuer_id.clone().ok_or_else(|| {
        AssociationError::field(
            "currency",
            "not_local",
            format!("{code} is not a local currency: it has no professionals to approve"),
        )
    })?;
    Ok((currency, issuer))
}

/// The professionals of local currency `code` (by state when given), longest waiting first.
pub fn list(
    conn: &mut DbConn,
    actor: &Actor,
    code: &str,
    state: Option<State>,
) -> Result<Vec<Professional>, AssociationError> {
    let (_, issuer) = local(conn, code)?;
    authorize(actor, Action::DecideProfessionals { issuer_id: &issuer })?;
    let mut query = rows!()
        .filter(ec::currency_code.eq(code))
        .filter(enterprises::id.ne(&issuer))
        .order((ec::requested_at.asc(), enterprises::name.asc()))
        .into_boxed();
    if let Some(state) = state {
        query = query.filter(ec::state.eq(state.as_str()));
    }
    let rows: Vec<Row> = query.load(conn.diesel())?;
    rows.into_iter().map(professional).collect()
}

/// Where enterprise `enterprise_id` stands with each local currency it asked for (its owners
/// and managers).
pub fn of_enterprise(
    conn: &mut DbConn,
    actor: &Actor,
    enterprise_id: &str,
) -> Result<Vec<Professional>, AssociationError> {
    authorize(actor, Action::ManageEnterprise { enterprise_id })?;
    let rows: Vec<Row> = rows!()
        .filter(ec::enterprise_id.eq(enterprise_id))
        .order(ec::currency_code.asc())
        .load(conn.diesel())?;
    rows.into_iter().map(professional).collect()
}

/// What the association decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision<'a> {
    Approve,
    Refuse { reason: &'a str },
    Suspend { reason: &'a str },
}

/// Approves `enterprise_id` as a professional of `code` (or reinstates a suspended one).
pub fn approve(
    conn: &mut DbConn,
    actor: &Actor,
    who: &Who,
    code: &str,
    enterprise_id: &str,
) -> Result<Professional, AssociationError> {
    decide(conn, actor, who, code, enterprise_id, Decision::Approve)
}

/// Refuses `enterprise_id`'s request to accept `code`.
pub fn refuse(
    conn: &mut DbConn,
    actor: &Actor,
    who: &Who,
    code: &str,
    enterprise_id: &str,
    reason: &str,
) -> Result<Professional, AssociationError> {
    decide(
        conn,
        actor,
        who,
        code,
        enterprise_id,
        Decision::Refuse { reason },
    )
}

/// Suspends `enterprise_id`'s approval for `code`: its wallet frozen, its balance kept.
pub fn suspend(
    conn: &mut DbConn,
    actor: &Actor,
    who: &Who,
    code: &str,
    enterprise_id: &str,
    reason: &str,
) -> Result<Professional, AssociationError> {
    decide(
        conn,
        actor,
        who,
        code,
        enterprise_id,
        Decision::Suspend { reason },
    )
}

fn reason_of(decision: Decision<'_>) -> Result<&str, AssociationError> {
    let reason = match decision {
        Decision::Approve => return Ok(""),
        Decision::Refuse { reason } | Decision::Suspend { reason } => reason.trim(),
    };
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(AssociationError::field(
            "reason",
            "required",
            "say why, in 1 to 500 characters: the enterprise reads it",
        ));
    }
    Ok(reason)
}

fn decide(
    conn: &mut DbConn,
    actor: &Actor,
    who: &Who,
    code: &str,
    enterprise_id: &str,
    decision: Decision<'_>,
) -> Result<Professional, AssociationError> {
    let (currency, issuer) = local(conn, code)?;
    authorize(actor, Action::DecideProfessionals { issuer_id: &issuer })?;
    let reason = reason_of(decision)?;
    conn.transaction(|conn| {
        crate::db::lock_row(conn, "enterprises", enterprise_id)?;
        let current: Option<String> = ec::table
            .find((enterprise_id, code))
            .select(ec::state)
            .first(conn.diesel())
            .optional()?;
        let Some(current) = current.as_deref().and_then(State::parse) else {
            return Err(AssociationError::NotFound(format!(
                "`{enterprise_id}` has not asked to accept {code}: it lists {code} among the \
                 currencies it accepts first"
            )));
        };
        let (to, action) = match (decision, current) {
            // already so: nothing changes, nobody is mailed again
            (Decision::Approve, State::Approved)
            | (Decision::Suspend { .. }, State::Suspended)
            | (Decision::Refuse { .. }, State::Refused) => return get(conn, enterprise_id, code),
            (Decision::Approve, _) => (State::Approved, "professional.approve"),
            (Decision::Refuse { .. }, State::Requested) => (State::Refused, "professional.refuse"),
            (Decision::Suspend { .. }, State::Approved) => {
                (State::Suspended, "professional.suspend")
            }
            (Decision::Refuse { .. }, _) => {
                return Err(AssociationError::Conflict(format!(
                "only a request can be refused, and this one is {}: suspend an approval instead",
                current.as_str()
            )))
            }
            (Decision::Suspend { .. }, _) => {
                return Err(AssociationError::Conflict(format!(
                    "only an approval can be suspended, and this one is {}",
                    current.as_str()
                )))
            }
        };
        diesel::update(ec::table.find((enterprise_id, code)))
            .set((
                ec::state.eq(to.as_str()),
                ec::reason.eq(reason),
                ec::decided_at.eq(Some(crate::time::now())),
                ec::decided_by.eq(Some(actor.user_id.as_str())),
            ))
            .execute(conn.diesel())?;
        let owner = Owner::Enterprise(enterprise_id.to_string().into());
        match to {
            State::Approved => {
                let wallet = ops::wallet(conn, owner, code)?;
                if wallet.status == AccountStatus::Frozen.as_str() {
                    ops::set_status(conn, who, &wallet.id, AccountStatus::Active)?;
                }
            }
            State::Suspended => {
                let wallet = accounts::find_by_owner(
                    conn,
                    &owner,
                    code,
                    AccountKind::EnterpriseWallet,
                    None,
                )?;
                if let Some(wallet) = wallet.filter(|w| w.status == AccountStatus::Active.as_str())
                {
                    ops::set_status(conn, who, &wallet.id, AccountStatus::Frozen)?;
                }
            }
            State::Requested | State::Refused => {}
        }
        crate::audit::record(
            conn,
            who,
            Act {
                action,
                subject_kind: "enterprise",
                subject_id: enterprise_id,
                enterprise_id: Some(&issuer),
                ledger_entry_id: None,
                details: json!({"currency": code, "reason": reason}),
            },
        )?;
        let decided = get(conn, enterprise_id, code)?;
        tell_enterprise(conn, &decided, &currency, &issuer)?;
        Ok(decided)
    })
}

fn get(
    conn: &mut DbConn,
    enterprise_id: &str,
    code: &str,
) -> Result<Professional, AssociationError> {
    let row: Row = rows!()
        .filter(ec::enterprise_id.eq(enterprise_id))
        .filter(ec::currency_code.eq(code))
        .first(conn.diesel())?;
    professional(row)
}

/// Mails the enterprise's owners the association's decision (in their language).
fn tell_enterprise(
    conn: &mut DbConn,
    decided: &Professional,
    currency: &CurrencyRow,
    issuer: &str,
) -> Result<(), AssociationError> {
    let association: String = enterprises::table
        .find(issuer)
        .select(enterprises::name)
        .first(conn.diesel())?;
    let owners =
        crate::enterprises::roles::recipients(conn, &decided.enterprise_id, &[Role::Owner])?;
    for owner in owners {
        let values = json!({
            "display_name": owner.display_name,
            "association_name": association,
            "enterprise_name": decided.enterprise_name,
            "currency": currency.code,
            "decision": decided.state.as_str(),
            "reason": decided.reason,
        });
        crate::mail::outbox::enqueue(
            conn,
            &owner.email,
            "professional_decided",
            &owner.locale,
            &values,
        )?;
    }
    Ok(())
}

/// Approves, as the demo loader, every local currency the loaded enterprises asked for: the
/// demo's professionals are approved, as an association running Comptoir would have done.
pub fn approve_all_requested(conn: &mut DbConn) -> Result<usize, AssociationError> {
    let asked: Vec<(String, String)> = ec::table
        .filter(ec::state.eq(State::Requested.as_str()))
        .select((ec::enterprise_id, ec::currency_code))
        .load(conn.diesel())?;
    for (enterprise_id, code) in &asked {
        diesel::update(ec::table.find((enterprise_id, code)))
            .set((
                ec::state.eq(State::Approved.as_str()),
                ec::decided_at.eq(Some(crate::time::now())),
            ))
            .execute(conn.diesel())?;
        ops::wallet(conn, Owner::Enterprise(enterprise_id.clone().into()), code)?;
    }
    Ok(asked.len())
}
