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
//! | read an order, list a cycle's orders | its customer (their own), the hub's owners, managers, cashiers and treasurers, platform admins |
//! | cancel an order | its customer, the hub's owners and managers |
//! | manage a hub's cycles (create and copy cycles, fees, pickup and delivery methods) | the hub's owners and managers, platform admins |
//! | weigh an order (weighed-item adjustments, substitutions, missing items), hand it over (fulfilment) | the hub's owners, managers and cashiers, platform admins |
//! | record an order's euro payment, a refund, a customer's credit | the hub's owners, managers, cashiers and treasurers (at the pickup's till, or from the bank statement) |
//! | read a hub's reports | the hub's owners, managers, cashiers and treasurers, platform admins |
//! | close a hub's cycle by hand | the hub's owners, managers and treasurers, platform admins |
//! | keep the books (chart mapping, FEC and Odoo exports, period close) | the currency associations' owners and treasurers, platform admins |
//!
//! A hub's **cashier** (#20) works the pickup's till — often a volunteer on duty: it records
//! euro payments, refunds and credit, weighs and hands orders over, and reads the orders and
//! reports that needs; it edits neither cycles nor catalogue, and reaches no wallet. A
//! manager may do all of that and run the hub's cycles; an owner also names its people.
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
    /// A hub's cycles: create and copy them, their fees, pickup and delivery methods.
    ManageHubOrders {
        hub_id: &'a str,
    },
    /// List the orders of a hub's cycle.
    ListHubOrders {
        hub_id: &'a str,
    },
    /// Record what was really delivered of an order (weighed items, substitutions, missing
    /// items).
    WeighOrder {
        hub_id: &'a str,
    },
    /// Record that an order was handed over (picked up or delivered).
    HandOverOrder {
        hub_id: &'a str,
    },
    /// Record an order's euro payment.
    CollectPayment {
        hub_id: &'a str,
    },
    /// Record a refund to a customer, or credit with the hub, for an order.
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
    /// See the people of an enterprise and their roles (its owners, managers and
    /// treasurers; an API key needs the `read` scope).
    ReadTeam {
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
            | Action::ListHubOrders { .. }
            | Action::ReadHubReports { .. }
            | Action::ReadTeam { .. } => Some(Scope::Read),
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
/// A hub's till: weighing, handing over.
const TILL_ROLES: &[Role] = &[Role::Owner, Role::Manager, Role::Cashier];
/// A hub's orders and the money they bring: reading them, recording payments and refunds.
const HUB_ROLES: &[Role] = &[Role::Owner, Role::Manager, Role::Cashier, Role::Treasurer];

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
                || actor.has_role(hub_id, HUB_ROLES)
        }
        Action::CancelOrder {
            customer_id,
            hub_id,
        } => actor.user_id == customer_id || actor.has_role(hub_id, MANAGER_ROLES),
        Action::ManageHubOrders { hub_id } => {
            actor.is_platform_admin || actor.has_role(hub_id, MANAGER_ROLES)
        }
        Action::ListHubOrders { hub_id } | Action::ReadHubReports { hub_id } => {
            actor.is_platform_admin || actor.has_role(hub_id, HUB_ROLES)
        }
        Action::WeighOrder { hub_id } | Action::HandOverOrder { hub_id } => {
            actor.is_platform_admin || actor.has_role(hub_id, TILL_ROLES)
        }
        Action::CollectPayment { hub_id } | Action::RecordRefund { hub_id } => {
            actor.has_role(hub_id, HUB_ROLES)
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
        Action::ReadTeam { enterprise_id } => {
            actor.is_platform_admin || actor.has_role(enterprise_id, READ_ROLES)
        }
        Action::ManageRoles { enterprise_id } => {
            actor.is_platform_admin || actor.has_role(enterprise_id, &[Role::Owner])
        }
        Action::ReadAudit { enterprise_id } => {
            actor.is_platform_admin || enterprise_id.is_some_and(|e| actor.has_role(e, MONEY_ROLES))
        }
        Action::CloseCycle { hub_id } => {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Someone holding `role` in hub `hub` (or nothing: a customer), or a platform admin.
    fn actor(role: Option<Role>, admin: bool) -> Actor {
        Actor {
            user_id: "someone".into(),
            is_platform_admin: admin,
            roles: role
                .map(|r| vec![("hub".to_string(), r)])
                .unwrap_or_default(),
            key_scopes: None,
        }
    }

    /// What each of a hub's people may do with its cycles, orders and till (the README's table).
    #[test]
    fn a_hubs_people_and_what_they_may_do() {
        let hub = "hub";
        let actions: [(&str, Action); 9] = [
            ("edit cycles", Action::ManageHubOrders { hub_id: hub }),
            ("list orders", Action::ListHubOrders { hub_id: hub }),
            ("weigh", Action::WeighOrder { hub_id: hub }),
            ("hand over", Action::HandOverOrder { hub_id: hub }),
            ("record payment", Action::CollectPayment { hub_id: hub }),
            ("record refund", Action::RecordRefund { hub_id: hub }),
            ("close cycle", Action::CloseCycle { hub_id: hub }),
            (
                "edit the hub",
                Action::ManageEnterprise { enterprise_id: hub },
            ),
            ("see the team", Action::ReadTeam { enterprise_id: hub }),
        ];
        // per action, in the order above: may they?
        let matrix: [(&str, Actor, [bool; 9]); 7] = [
            ("owner", actor(Some(Role::Owner), false), [true; 9]),
            ("manager", actor(Some(Role::Manager), false), [true; 9]),
            (
                "cashier",
                actor(Some(Role::Cashier), false),
                [false, true, true, true, true, true, false, false, false],
            ),
            (
                "treasurer",
                actor(Some(Role::Treasurer), false),
                [false, true, false, false, true, true, true, false, true],
            ),
            ("member", actor(Some(Role::Member), false), [false; 9]),
            ("customer", actor(None, false), [false; 9]),
            (
                "platform admin",
                actor(None, true),
                [true, true, true, true, false, false, true, true, true],
            ),
        ];
        for (who, actor, allowed) in &matrix {
            for ((what, action), allowed) in actions.iter().zip(allowed) {
                assert_eq!(
                    authorize(actor, *action).is_ok(),
                    *allowed,
                    "{who} may {what}: expected {allowed}"
                );
            }
        }
        // the customer reads their own order, the cashier any of the hub's
        let own = Action::ReadOrder {
            customer_id: "someone",
            hub_id: "elsewhere",
        };
        assert!(authorize(&actor(None, false), own).is_ok());
        let other = Action::ReadOrder {
            customer_id: "another",
            hub_id: hub,
        };
        assert!(authorize(&actor(Some(Role::Cashier), false), other).is_ok());
        assert!(authorize(&actor(Some(Role::Member), false), other).is_err());
        // a cashier cancels nothing and runs no catalogue
        let cancel = Action::CancelOrder {
            customer_id: "another",
            hub_id: hub,
        };
        assert!(authorize(&actor(Some(Role::Cashier), false), cancel).is_err());
        let catalogue = Action::ManageCatalogue { producer_id: hub };
        assert!(authorize(&actor(Some(Role::Cashier), false), catalogue).is_err());
    }
}
