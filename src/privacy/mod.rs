//! A person's personal data: everything Comptoir holds about them, as one document (GDPR
//! articles 15 and 20), and its erasure (article 17).
//!
//! Decisions (the README's *Personal data* section says the same for members):
//! - **What is erased**: the name and address become a pseudonym (`erased-<6 characters of
//!   the id>`, at `erased.invalid`); the password, sessions, API keys and pending links go;
//!   roles end; mail not sent yet is dropped, and mail already sent keeps only that it was
//!   sent (template and dates); saved API responses (idempotency) are deleted; saved delivery
//!   addresses and the delivery addresses of the person's orders are deleted (the orders
//!   stay, without where they went). The account
//!   stays as a disabled shell so that what refers to it (orders, ledger accounts) still
//!   does.
//! - **What is kept, and why**: the ledger (entries, transfers, accounts: amounts and ids,
//!   no name), the orders (what was bought, for the hub's and the producers' accounting), and
//!   the books already validated — including a person's name in an auxiliary-account label
//!   of a move validated before the erasure — are accounting records kept 10 years
//!   (Code de commerce, art. L123-22; GDPR art. 17(3)(b)). The ledger's hashes cover amounts,
//!   ids and references only, never a name or an address: `ledger verify` stays clean. The
//!   audit trail names people by id only.
//! - **When it is refused**: while a wallet holds money or a hold (spend it, or ask for it to
//!   be moved), while an order is confirmed and not yet booked by its cycle's close, while the
//!   person is a platform admin or holds a role other than member (hand it over first).

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;

use crate::audit::{self, Act, AuditEvent, Who};
use crate::db::schema::{
    account_tokens, api_keys, enterprise_roles, enterprises, idempotency_keys, ledger_accounts,
    ledger_entries, ledger_transfers, mail_outbox, orders, refresh_tokens, users,
};
use crate::db::DbConn;
use crate::ids::UserId;
use crate::ledger::accounts::{AccountRow, OwnerKind};
use crate::money::Money;
use crate::orders::order::{self, Order, OrderState};

/// What can go wrong with a person's data.
#[derive(Debug, thiserror::Error)]
pub enum PrivacyError {
    #[error(transparent)]
    Invalid(#[from] crate::error::Invalid),
    #[error("{0}")]
    NotFound(String),
    /// Not possible now: what to do first is in the message.
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Internal(String),
    #[error(transparent)]
    Order(#[from] crate::orders::OrderError),
    #[error(transparent)]
    Ledger(#[from] crate::ledger::LedgerError),
    #[error(transparent)]
    Audit(#[from] crate::audit::AuditError),
    #[error(transparent)]
    Association(#[from] crate::association::AssociationError),
    #[error("database: {0}")]
    Db(#[from] diesel::result::Error),
    #[error(transparent)]
    Unavailable(#[from] crate::db::DbError),
}

crate::error::domain_error!(PrivacyError);

fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

/// Everything held about one person.
#[derive(Debug, Serialize)]
pub struct Export {
    pub exported_at: DateTime<Utc>,
    pub account: AccountData,
    pub roles: Vec<RoleData>,
    pub wallets: Vec<WalletData>,
    /// Every movement of the person's wallets, oldest first.
    pub wallet_movements: Vec<MovementData>,
    pub orders: Vec<Order>,
    /// Mail sent (or to be sent) to the person's address: which, and when.
    pub mails: Vec<MailData>,
    pub sessions: Vec<SessionData>,
    pub api_keys: Vec<ApiKeyData>,
    /// What the person did that the audit trail records.
    pub audit_events: Vec<AuditEvent>,
    /// The person's top-up requests, oldest first.
    pub topup_requests: Vec<crate::association::topups::TopUp>,
    /// What the person paid to professionals' payment requests, oldest first.
    pub payment_request_payments: Vec<crate::association::payment_requests::Payment>,
    /// The person's saved delivery addresses (each order's own is in `orders`).
    pub addresses: Vec<crate::orders::addresses::SavedAddress>,
}

#[derive(Debug, Serialize)]
pub struct AccountData {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub locale: String,
    pub is_platform_admin: bool,
    pub email_verified_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize)]
pub struct RoleData {
    pub enterprise_id: String,
    pub enterprise_name: String,
    pub role: String,
    pub since: DateTime<Utc>,
}

#[derive(Debug, Serialize)]
pub struct WalletData {
    pub id: String,
    pub status: String,
    pub balance: Money,
    /// The balance less what holds reserve.
    pub available: Money,
}

#[derive(Debug, Serialize)]
pub struct MovementData {
    pub entry_id: String,
    pub at: DateTime<Utc>,
    pub code: String,
    pub reference: String,
    pub from_account_id: String,
    pub to_account_id: String,
    pub amount: Money,
    /// `posted`, `pending` (a hold), `post_pending`, `void_pending`.
    pub kind: String,
}

#[derive(Debug, Serialize)]
pub struct MailData {
    pub template: String,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize)]
pub struct SessionData {
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize)]
pub struct ApiKeyData {
    pub name: String,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A transfer of one of the person's wallets, with its entry's time, code and reference.
#[derive(Queryable)]
struct MovedRow {
    entry_id: String,
    at: NaiveDateTime,
    code: String,
    reference: String,
    from: String,
    to: String,
    currency: String,
    amount: i64,
    kind: String,
}

fn user_row(conn: &mut DbConn, user: &UserId) -> Result<crate::auth::users::UserRow, PrivacyError> {
    users::table
        .find(user.as_str())
        .select(crate::auth::users::UserRow::as_select())
        .first(conn.diesel())
        .optional()?
        .ok_or_else(|| PrivacyError::NotFound(format!("no person `{user}`")))
}

fn wallets_of(conn: &mut DbConn, user: &UserId) -> Result<Vec<AccountRow>, PrivacyError> {
    Ok(ledger_accounts::table
        .filter(ledger_accounts::owner_kind.eq(OwnerKind::User.as_str()))
        .filter(ledger_accounts::owner_id.eq(user.as_str()))
        .order(ledger_accounts::id.asc())
        .select(AccountRow::as_select())
        .load(conn.diesel())?)
}

/// Everything Comptoir holds about `user`, read in one snapshot.
pub fn export(conn: &mut DbConn, user: &UserId) -> Result<Export, PrivacyError> {
    conn.read_snapshot(|conn| {
        let row = user_row(conn, user)?;
        let roles: Vec<(String, String, String, NaiveDateTime)> = enterprise_roles::table
            .inner_join(enterprises::table)
            .filter(enterprise_roles::user_id.eq(user.as_str()))
            .order((enterprises::name.asc(), enterprise_roles::role.asc()))
            .select((
                enterprise_roles::enterprise_id,
                enterprises::name,
                enterprise_roles::role,
                enterprise_roles::created_at,
            ))
            .load(conn.diesel())?;
        let accounts = wallets_of(conn, user)?;
        let mut scales = std::collections::HashMap::new();
        let mut wallets = Vec::with_capacity(accounts.len());
        for a in &accounts {
            let currency = crate::ledger::currencies::get(conn, &a.currency)?;
            let available = a.balance() - a.debits_pending;
            wallets.push(WalletData {
                id: a.id.clone(),
                status: a.status.clone(),
                balance: currency.money(a.balance())?,
                available: currency.money(available)?,
            });
            scales.insert(a.currency.clone(), currency);
        }
        let ids: Vec<&str> = accounts.iter().map(|a| a.id.as_str()).collect();
        let moved: Vec<MovedRow> = ledger_transfers::table
            .inner_join(ledger_entries::table)
            .filter(
                ledger_transfers::debit_account_id
                    .eq_any(&ids)
                    .or(ledger_transfers::credit_account_id.eq_any(&ids)),
            )
            .order((ledger_entries::seq.asc(), ledger_transfers::position.asc()))
            .select((
                ledger_transfers::entry_id,
                ledger_entries::created_at,
                ledger_entries::code,
                ledger_entries::reference,
                ledger_transfers::debit_account_id,
                ledger_transfers::credit_account_id,
                ledger_transfers::currency,
                ledger_transfers::amount,
                ledger_transfers::kind,
            ))
            .load(conn.diesel())?;
        let mut wallet_movements = Vec::with_capacity(moved.len());
        for MovedRow {
            entry_id,
            at,
            code,
            reference,
            from,
            to,
            currency,
            amount,
            kind,
        } in moved
        {
            let currency = match scales.get(&currency) {
                Some(c) => c.clone(),
                None => crate::ledger::currencies::get(conn, &currency)?,
            };
            wallet_movements.push(MovementData {
                entry_id,
                at: utc(at),
                code,
                reference,
                from_account_id: from,
                to_account_id: to,
                amount: currency.money(amount)?,
                kind,
            });
        }
        let orders = order::for_customer(conn, user)?;
        let mails = mail_outbox::table
            .filter(mail_outbox::recipient.eq(&row.email))
            .order(mail_outbox::created_at.asc())
            .select((
                mail_outbox::template,
                mail_outbox::created_at,
                mail_outbox::sent_at,
            ))
            .load::<(String, NaiveDateTime, Option<NaiveDateTime>)>(conn.diesel())?
            .into_iter()
            .map(|(template, created_at, sent_at)| MailData {
                template,
                created_at: utc(created_at),
                sent_at: sent_at.map(utc),
            })
            .collect();
        let sessions = refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(user.as_str()))
            .order(refresh_tokens::created_at.asc())
            .select((
                refresh_tokens::created_at,
                refresh_tokens::expires_at,
                refresh_tokens::revoked_at,
            ))
            .load::<(NaiveDateTime, NaiveDateTime, Option<NaiveDateTime>)>(conn.diesel())?
            .into_iter()
            .map(|(created_at, expires_at, revoked_at)| SessionData {
                created_at: utc(created_at),
                expires_at: utc(expires_at),
                revoked_at: revoked_at.map(utc),
            })
            .collect();
        type KeyRow = (
            String,
            String,
            NaiveDateTime,
            NaiveDateTime,
            Option<NaiveDateTime>,
            Option<NaiveDateTime>,
        );
        let keys = api_keys::table
            .filter(api_keys::user_id.eq(user.as_str()))
            .order(api_keys::created_at.asc())
            .select((
                api_keys::name,
                api_keys::prefix,
                api_keys::created_at,
                api_keys::expires_at,
                api_keys::revoked_at,
                api_keys::last_used_at,
            ))
            .load::<KeyRow>(conn.diesel())?
            .into_iter()
            .map(
                |(name, prefix, created_at, expires_at, revoked_at, last_used_at)| ApiKeyData {
                    name,
                    prefix,
                    created_at: utc(created_at),
                    expires_at: utc(expires_at),
                    revoked_at: revoked_at.map(utc),
                    last_used_at: last_used_at.map(utc),
                },
            )
            .collect();
        let audit_events = audit::by_actor(conn, user)?;
        let topup_requests = crate::association::topups::of_user(conn, user.as_str())?;
        let payment_request_payments =
            crate::association::payment_requests::paid_by(conn, user.as_str())?;
        let addresses = crate::orders::addresses::list(conn, user.as_str())?;
        Ok(Export {
            exported_at: utc(crate::time::now()),
            account: AccountData {
                id: row.id,
                email: row.email,
                display_name: row.display_name,
                locale: row.locale,
                is_platform_admin: row.is_platform_admin,
                email_verified_at: row.email_verified_at.map(utc),
                created_at: utc(row.created_at),
            },
            roles: roles
                .into_iter()
                .map(|(enterprise_id, enterprise_name, role, since)| RoleData {
                    enterprise_id,
                    enterprise_name,
                    role,
                    since: utc(since),
                })
                .collect(),
            wallets,
            wallet_movements,
            orders,
            mails,
            sessions,
            api_keys: keys,
            audit_events,
            topup_requests,
            payment_request_payments,
            addresses,
        })
    })
}

/// What an erasure did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Erased {
    pub user_id: String,
    /// The pseudonym now shown in place of the name.
    pub pseudonym: String,
    pub mails_dropped: usize,
}

/// Why `user`'s data cannot be erased now, if it cannot: the first obstacle, in words that
/// say what to do.
fn obstacle(
    conn: &mut DbConn,
    user: &UserId,
    row: &crate::auth::users::UserRow,
) -> Result<Option<String>, PrivacyError> {
    if row.is_platform_admin {
        return Ok(Some(
            "a platform admin's data cannot be erased: revoke the admin right first \
             (`comptoir admin revoke`)"
                .into(),
        ));
    }
    let roles: Vec<(String, String)> = enterprise_roles::table
        .inner_join(enterprises::table)
        .filter(enterprise_roles::user_id.eq(user.as_str()))
        .filter(enterprise_roles::role.ne("member"))
        .select((enterprises::name, enterprise_roles::role))
        .load(conn.diesel())?;
    if let Some((enterprise, role)) = roles.first() {
        return Ok(Some(format!(
            "you are {role} of {enterprise}: hand the role over before your data is erased"
        )));
    }
    for wallet in wallets_of(conn, user)? {
        if wallet.balance() != 0 || wallet.debits_pending != 0 || wallet.credits_pending != 0 {
            let currency = crate::ledger::currencies::get(conn, &wallet.currency)?;
            return Ok(Some(format!(
                "your {} wallet holds {} {} (with {} reserved by holds): spend it or have it \
                 moved first — money cannot be erased",
                wallet.currency,
                currency.money(wallet.balance())?.amount_string(),
                wallet.currency,
                currency.money(wallet.debits_pending)?.amount_string(),
            )));
        }
    }
    let open: Option<Option<String>> = orders::table
        .filter(orders::customer_id.eq(user.as_str()))
        .filter(orders::state.eq(OrderState::Confirmed.as_str()))
        .filter(orders::booked_at.is_null())
        .select(orders::number)
        .first(conn.diesel())
        .optional()?;
    if let Some(number) = open {
        return Ok(Some(format!(
            "order {} is open until its cycle closes: cancel it, or wait for the close",
            number.unwrap_or_default()
        )));
    }
    Ok(None)
}

/// Erases `user`'s personal data (see the module documentation), by `who`, in one
/// transaction; refused with the reason while something still needs them.
pub fn erase(conn: &mut DbConn, who: &Who, user: &UserId) -> Result<Erased, PrivacyError> {
    conn.transaction(|conn| {
        crate::db::lock_row(conn, "users", user)?;
        let row = user_row(conn, user)?;
        if row.email.ends_with("@erased.invalid") {
            return Err(PrivacyError::Conflict(format!(
                "`{user}` was erased already"
            )));
        }
        if let Some(reason) = obstacle(conn, user, &row)? {
            return Err(PrivacyError::Conflict(reason));
        }
        // ids are UUIDs (ASCII): their last six characters
        let short = row
            .id
            .get(row.id.len().saturating_sub(6)..)
            .unwrap_or(&row.id);
        let pseudonym = format!("erased-{short}");
        let now = crate::time::now();
        let c = conn.diesel();
        diesel::update(users::table.find(user.as_str()))
            .set((
                users::email.eq(format!("{pseudonym}.{}@erased.invalid", row.id)),
                users::display_name.eq(&pseudonym),
                users::password_hash.eq(None::<String>),
                users::disabled_at.eq(Some(now)),
                users::updated_at.eq(now),
            ))
            .execute(c)?;
        diesel::update(
            refresh_tokens::table
                .filter(refresh_tokens::user_id.eq(user.as_str()))
                .filter(refresh_tokens::revoked_at.is_null()),
        )
        .set(refresh_tokens::revoked_at.eq(Some(now)))
        .execute(c)?;
        diesel::update(
            api_keys::table
                .filter(api_keys::user_id.eq(user.as_str()))
                .filter(api_keys::revoked_at.is_null()),
        )
        .set(api_keys::revoked_at.eq(Some(now)))
        .execute(c)?;
        diesel::delete(account_tokens::table.filter(account_tokens::user_id.eq(user.as_str())))
            .execute(c)?;
        diesel::delete(enterprise_roles::table.filter(enterprise_roles::user_id.eq(user.as_str())))
            .execute(c)?;
        diesel::delete(idempotency_keys::table.filter(idempotency_keys::user_id.eq(user.as_str())))
            .execute(c)?;
        let mails_dropped = diesel::delete(
            mail_outbox::table
                .filter(mail_outbox::recipient.eq(&row.email))
                .filter(mail_outbox::sent_at.is_null()),
        )
        .execute(c)?;
        crate::orders::addresses::erase(conn, user.as_str())?;
        crate::auth::throttle::forget_account(conn, &row.email)?;
        let c = conn.diesel();
        // mail already sent: only that it was sent stays
        diesel::update(mail_outbox::table.filter(mail_outbox::recipient.eq(&row.email)))
            .set((
                mail_outbox::recipient.eq(format!("{pseudonym}@erased.invalid")),
                mail_outbox::payload.eq("{}"),
            ))
            .execute(c)?;
        audit::record(
            conn,
            who,
            Act {
                action: "person.erase",
                subject_kind: "user",
                subject_id: user,
                enterprise_id: None,
                ledger_entry_id: None,
                details: json!({"mails_dropped": mails_dropped}),
            },
        )?;
        Ok(Erased {
            user_id: user.to_string(),
            pseudonym,
            mails_dropped,
        })
    })
}
