//! Authorization: the one place that decides who may do what. Handlers name the action; they
//! never check roles themselves.
//!
//! | action | allowed to |
//! |---|---|
//! | administer the platform (create currencies) | platform admins |
//! | run a local currency (issue, reverse, pay out, credit limits, statement, commissions) | the issuing association's treasurers, platform admins |
//! | spend from an account (pay, hold, reconvert) | a user: its owner; an enterprise: its owners and treasurers |
//! | read an account (balance, history, CSV) | those who may spend from it, the enterprise's managers, the currency's treasurers, platform admins |
//! | manage an enterprise's money (list and open its wallets) | its owners, treasurers (and managers to list) |
//! | approve, refuse or suspend the professionals of a local currency (who may hold a wallet in it, be paid in it and reconvert it) | the issuing association's owners and treasurers, platform admins |
//! | ask for payments in a local currency (payment requests: create, list, cancel, read their payments) | the enterprise's owners, managers and treasurers |
//! | read a currency's statement | its treasurers, platform admins |
//! | read or manage one's own account (own accounts, wallets, password, API keys, saved delivery addresses — the queries name the caller, so another's is not found) | oneself |
//! | create a producer, hub or producer-hub | any person (who becomes its owner) |
//! | create a currency association | platform admins |
//! | manage an enterprise (profile, the local currencies it asks to accept — its wallet in one opens once the currency's association approves —, permissions it grants, suppliers it accepts) | its owners and managers, platform admins |
//! | manage a producer's catalogue (products, variants, CSV import and export) | its owners and managers, platform admins |
//! | shop (cart, checkout) | any person, for themselves |
//! | read an order | its customer, the hub's owners, managers and treasurers, platform admins |
//! | cancel an order | its customer, the hub's owners and managers |
//! | manage a hub's cycles and orders (create and copy cycles, fees, pickup and delivery methods, the cycle's orders, weighed-item adjustments, fulfilment) | the hub's owners and managers, platform admins |
//! | record an order's euro payment | the hub's owners, managers and treasurers (the manager runs the pickup's till) |
//! | close a hub's cycle by hand, read its reports | the hub's owners, managers and treasurers, platform admins |
//! | keep the books (chart mapping, FEC and Odoo exports, period close) | the currency associations' owners and treasurers, platform admins |
//!
//! A request made with an API key may only do what its scopes allow: the `read` scope covers
//! the read actions above, the `catalog` scope the catalogue actions, the `accounting` scope
//! keeping the books; moving money, opening
//! wallets, creating or managing enterprises and managing keys or passwords always need a
//! person's session.

use super::actor::Actor;
use super::api_keys::Scope;
use super::users::Role;
use super::AuthError;
use crate::ledger::accounts::{AccountRow, OwnerKind};

/// What the caller wants to do.
#[derive(Debug, Clone, Copy)]
pub enum Action<'a> {
    AdministerPlatform,
    RunCurrency {
        issuer_id: &'a str,
    },
    SpendFrom {
        account: &'a AccountRow,
    },
    ReadAccount {
        account: &'a AccountRow,
        issuer_id: Option<&'a str>,
    },
    ListEnterpriseAccounts {
        enterprise_id: &'a str,
    },
    OpenEnterpriseWallet {
        enterprise_id: &'a str,
    },
    ReadStatement {
        issuer_id: &'a str,
    },
    ReadOwnAccounts,
    ManageOwnAccount,
    CreateEnterprise {
        association: bool,
    },
    ManageEnterprise {
        enterprise_id: &'a str,
    },
    ManageCatalogue {
        producer_id: &'a str,
    },
    Shop,
    ReadOrder {
        customer_id: &'a str,
        hub_id: &'a str,
    },
    CancelOrder {
        customer_id: &'a str,
        hub_id: &'a str,
    },
    ManageHubOrders {
        hub_id: &'a str,
    },
    CollectPayment {
        hub_id: &'a str,
    },
    /// Give back euros an order owes its customer: a refund, or credit with the hub.
    RecordRefund {
        hub_id: &'a str,
    },
    /// Close a hub's cycle by hand (it closes by itself at `closes_at`).
    CloseCycle {
        hub_id: &'a str,
    },
    /// Read the reports of a hub's cycles.
    ReadHubReports {
        hub_id: &'a str,
    },
    /// Keep the deployment's books: chart mapping, exports, period close. `associations`:
    /// the currency associations' enterprise ids.
    KeepBooks {
        associations: &'a [String],
    },
    /// Export an enterprise's own books (its owners and treasurers).
    KeepEnterpriseBooks {
        enterprise_id: &'a str,
    },
    /// Name and remove the people of an enterprise (its owners).
    ManageRoles {
        enterprise_id: &'a str,
    },
    /// Ask for payments into an enterprise's wallets and follow them (payment requests: its
    /// owners, managers and treasurers).
    RequestPayments {
        enterprise_id: &'a str,
    },
    /// Approve, refuse or suspend the professionals of a local currency, and list them (the
    /// issuing association's owners and treasurers).
    DecideProfessionals {
        issuer_id: &'a str,
    },
    /// Read the audit trail: about one enterprise (its owners and treasurers), or all of it
    /// (`None`: platform admins).
    ReadAudit {
        enterprise_id: Option<&'a str>,
    },
}

impl Action<'_> {
    /// The API-key scope that covers this action; `None`: a person's session is needed.
    fn scope(&self) -> Option<Scope> {
        match self {
            Action::ReadAccount { .. }
            | Action::ListEnterpriseAccounts { .. }
            | Action::ReadStatement { .. }
            | Action::ReadOwnAccounts
            | Action::ReadOrder { .. }
            | Action::ReadHubReports { .. } => Some(Scope::Read),
            Action::KeepBooks { .. } | Action::KeepEnterpriseBooks { .. } => {
                Some(Scope::Accounting)
            }
            Action::ManageCatalogue { .. } => Some(Scope::Catalog),
            _ => None,
        }
    }
}

const MONEY_ROLES: &[Role] = &[Role::Owner, Role::Treasurer];
const READ_ROLES: &[Role] = &[Role::Owner, Role::Treasurer, Role::Manager];
const MANAGER_ROLES: &[Role] = &[Role::Owner, Role::Manager];

fn may_spend(actor: &Actor, account: &AccountRow) -> bool {
    let owner = account.owner_id.as_deref().unwrap_or("");
    match OwnerKind::parse(&account.owner_kind) {
        Ok(OwnerKind::User) => actor.user_id == owner,
        Ok(OwnerKind::Enterprise) => actor.has_role(owner, MONEY_ROLES),
        _ => false,
    }
}

/// `Ok` when `actor` may perform `action`; 403 otherwise.
pub fn authorize(actor: &Actor, action: Action) -> Result<(), AuthError> {
    if let Some(scopes) = &actor.key_scopes {
        match action.scope() {
            Some(needed) if scopes.contains(&needed) => {}
            Some(needed) => {
                return Err(AuthError::Forbidden(format!(
                    "this API key lacks the `{}` scope",
                    needed.as_str()
                )))
            }
            None => {
                return Err(AuthError::Forbidden(
                    "an API key cannot do this: it needs a person's session".into(),
                ))
            }
        }
    }
    let allowed = match action {
        Action::AdministerPlatform => actor.is_platform_admin,
        Action::RunCurrency { issuer_id } => {
            actor.is_platform_admin || actor.has_role(issuer_id, &[Role::Treasurer])
        }
        Action::SpendFrom { account } => may_spend(actor, account),
        Action::ReadAccount { account, issuer_id } => {
            may_spend(actor, account)
                || actor.is_platform_admin
                || issuer_id.is_some_and(|i| actor.has_role(i, &[Role::Treasurer]))
                || (account.owner_kind == OwnerKind::Enterprise.as_str()
                    && actor.has_role(account.owner_id.as_deref().unwrap_or(""), READ_ROLES))
        }
        Action::ListEnterpriseAccounts { enterprise_id } => {
            actor.is_platform_admin || actor.has_role(enterprise_id, READ_ROLES)
        }
        Action::OpenEnterpriseWallet { enterprise_id } => {
            actor.has_role(enterprise_id, MONEY_ROLES)
        }
        Action::RequestPayments { enterprise_id } => actor.has_role(enterprise_id, READ_ROLES),
        Action::DecideProfessionals { issuer_id } => {
            actor.is_platform_admin || actor.has_role(issuer_id, MONEY_ROLES)
        }
        Action::ReadStatement { issuer_id } => {
            actor.is_platform_admin || actor.has_role(issuer_id, &[Role::Treasurer])
        }
        Action::ReadOwnAccounts | Action::ManageOwnAccount => true,
        Action::CreateEnterprise { association } => !association || actor.is_platform_admin,
        Action::ManageEnterprise { enterprise_id } => {
            actor.is_platform_admin || actor.has_role(enterprise_id, MANAGER_ROLES)
        }
        Action::ManageCatalogue { producer_id } => {
            actor.is_platform_admin || actor.has_role(producer_id, MANAGER_ROLES)
        }
        Action::Shop => true,
        Action::ReadOrder {
            customer_id,
            hub_id,
        } => {
            actor.user_id == customer_id
                || actor.is_platform_admin
                || actor.has_role(hub_id, READ_ROLES)
        }
        Action::CancelOrder {
            customer_id,
            hub_id,
        } => actor.user_id == customer_id || actor.has_role(hub_id, MANAGER_ROLES),
        Action::ManageHubOrders { hub_id } => {
            actor.is_platform_admin || actor.has_role(hub_id, MANAGER_ROLES)
        }
        Action::CollectPayment { hub_id } | Action::RecordRefund { hub_id } => {
            actor.has_role(hub_id, READ_ROLES)
        }
        Action::KeepBooks { associations } => {
            actor.is_platform_admin
                || associations
                    .iter()
                    .any(|a| actor.has_role(a, &[Role::Owner, Role::Treasurer]))
        }
        Action::KeepEnterpriseBooks { enterprise_id } => {
            actor.is_platform_admin || actor.has_role(enterprise_id, MONEY_ROLES)
        }
        Action::ManageRoles { enterprise_id } => {
            actor.is_platform_admin || actor.has_role(enterprise_id, &[Role::Owner])
        }
        Action::ReadAudit { enterprise_id } => {
            actor.is_platform_admin || enterprise_id.is_some_and(|e| actor.has_role(e, MONEY_ROLES))
        }
        Action::CloseCycle { hub_id } | Action::ReadHubReports { hub_id } => {
            actor.is_platform_admin || actor.has_role(hub_id, READ_ROLES)
        }
    };
    if allowed {
        Ok(())
    } else {
        Err(AuthError::Forbidden(
            "your roles do not allow this action".into(),
        ))
    }
}
