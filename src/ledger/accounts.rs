//! Ledger accounts: one currency each, an owner, a kind, a limit policy and a status, with
//! posted and pending totals cached on the row (recomputable from the transfers).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::engine::AccountState;
pub use super::kinds::{AccountKind, AccountStatus, OwnerKind};
use super::LedgerError;
use crate::db::schema::ledger_accounts;
use crate::db::DbConn;
use crate::ids::AccountId;
use crate::money::{Amount, CurrencyCode};

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = ledger_accounts)]
pub struct AccountRow {
    pub id: String,
    pub currency: String,
    pub kind: String,
    pub owner_kind: String,
    pub owner_id: Option<String>,
    pub name: String,
    pub overdraft_limit: Option<i64>,
    pub pays_professionals_only: bool,
    /// The local currency an association account or a euro payable serves.
    pub for_currency: Option<String>,
    pub status: String,
    pub debits_posted: i64,
    pub credits_posted: i64,
    pub debits_pending: i64,
    pub credits_pending: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl AccountRow {
    pub fn state(&self) -> Result<AccountState, LedgerError> {
        Ok(AccountState {
            id: AccountId::from(&self.id),
            currency: self.currency()?,
            kind: AccountKind::parse(&self.kind)?,
            status: AccountStatus::parse(&self.status)?,
            overdraft_limit: self.overdraft_limit,
            debits_posted: self.debits_posted,
            credits_posted: self.credits_posted,
            debits_pending: self.debits_pending,
            credits_pending: self.credits_pending,
        })
    }

    /// Its id, typed.
    pub fn id(&self) -> AccountId {
        AccountId::from(&self.id)
    }

    /// Its currency's code, typed (stored codes were parsed when the currency was created).
    pub fn currency(&self) -> Result<CurrencyCode, LedgerError> {
        super::currencies::stored_code(&self.currency)
    }

    /// `minor` units of this account's currency.
    pub fn amount(&self, minor: i64) -> Result<Amount, LedgerError> {
        Ok(Amount::new(minor, self.currency()?))
    }

    pub fn kind(&self) -> Result<AccountKind, LedgerError> {
        AccountKind::parse(&self.kind)
    }

    pub fn owner_kind(&self) -> Result<OwnerKind, LedgerError> {
        OwnerKind::parse(&self.owner_kind)
    }

    pub fn balance(&self) -> i64 {
        self.credits_posted - self.debits_posted
    }
}

/// The owner of a new account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    User(crate::ids::UserId),
    Enterprise(crate::ids::EnterpriseId),
    System,
}

impl Owner {
    fn parts(&self) -> (OwnerKind, Option<String>) {
        match self {
            Owner::User(id) => (OwnerKind::User, Some(id.to_string())),
            Owner::Enterprise(id) => (OwnerKind::Enterprise, Some(id.to_string())),
            Owner::System => (OwnerKind::System, None),
        }
    }
}

/// What to open.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub owner: Owner,
    pub currency: String,
    pub kind: AccountKind,
    pub name: String,
    pub overdraft_limit: Option<i64>,
    /// The local currency served (association accounts and payables), if any.
    pub for_currency: Option<String>,
}

/// The account of `owner` of this kind and currency, opened when missing.
pub fn open(conn: &mut DbConn, new: NewAccount) -> Result<AccountRow, LedgerError> {
    if new.overdraft_limit.is_none() && !new.kind.may_be_unlimited() {
        return Err(LedgerError::Invariant(format!(
            "a {} account needs a limit",
            new.kind.as_str()
        )));
    }
    let (owner_kind, owner_id) = new.owner.parts();
    let served = new.for_currency.clone();
    if let Some(existing) =
        find_by_owner(conn, &new.owner, &new.currency, new.kind, served.as_deref())?
    {
        return Ok(existing);
    }
    let now = crate::time::now();
    let row = AccountRow {
        id: crate::time::new_id(),
        currency: new.currency,
        kind: new.kind.as_str().to_string(),
        owner_kind: owner_kind.as_str().to_string(),
        owner_id,
        name: new.name,
        overdraft_limit: new.overdraft_limit,
        pays_professionals_only: false,
        for_currency: new.for_currency,
        status: AccountStatus::Active.as_str().to_string(),
        debits_posted: 0,
        credits_posted: 0,
        debits_pending: 0,
        credits_pending: 0,
        created_at: now,
        updated_at: now,
    };
    // opened concurrently by another request: keep that one (no error, so an enclosing
    // PostgreSQL transaction is not aborted)
    crate::db::execute(
        conn.diesel(),
        diesel::insert_into(ledger_accounts::table)
            .values(&row)
            .on_conflict_do_nothing(),
    )?;
    find_by_owner(conn, &new.owner, &row.currency, new.kind, served.as_deref())?
        .ok_or_else(|| LedgerError::Invariant("an account just opened cannot be found".into()))
}

pub fn find_by_owner(
    conn: &mut DbConn,
    owner: &Owner,
    currency: &str,
    kind: AccountKind,
    for_currency: Option<&str>,
) -> Result<Option<AccountRow>, LedgerError> {
    let (owner_kind, owner_id) = owner.parts();
    let row = {
        let conn = conn.diesel();
        let mut query = ledger_accounts::table
            .filter(ledger_accounts::owner_kind.eq(owner_kind.as_str()))
            .filter(ledger_accounts::currency.eq(currency))
            .filter(ledger_accounts::kind.eq(kind.as_str()))
            .select(AccountRow::as_select())
            .into_boxed();
        query = match &owner_id {
            Some(id) => query.filter(ledger_accounts::owner_id.eq(id.clone())),
            None => query.filter(ledger_accounts::owner_id.is_null()),
        };
        query = match for_currency {
            Some(code) => query.filter(ledger_accounts::for_currency.eq(code.to_string())),
            None => query.filter(ledger_accounts::for_currency.is_null()),
        };
        query.first(conn).optional()
    }?;
    Ok(row)
}

pub fn get(conn: &mut DbConn, id: &str) -> Result<AccountRow, LedgerError> {
    let row: Option<AccountRow> = ledger_accounts::table
        .find(id)
        .select(AccountRow::as_select())
        .first(conn.diesel())
        .optional()?;
    row.ok_or_else(|| LedgerError::AccountNotFound(id.to_string()))
}

/// Every account of an owner, by currency then kind.
pub fn list_for_owner(conn: &mut DbConn, owner: &Owner) -> Result<Vec<AccountRow>, LedgerError> {
    let (owner_kind, owner_id) = owner.parts();
    let rows = {
        let conn = conn.diesel();
        let mut query = ledger_accounts::table
            .filter(ledger_accounts::owner_kind.eq(owner_kind.as_str()))
            .select(AccountRow::as_select())
            .order((ledger_accounts::currency.asc(), ledger_accounts::kind.asc()))
            .into_boxed();
        query = match &owner_id {
            Some(id) => query.filter(ledger_accounts::owner_id.eq(id.clone())),
            None => query.filter(ledger_accounts::owner_id.is_null()),
        };
        query.load(conn)
    }?;
    Ok(rows)
}

/// Every account (for verification and tests), by id.
pub fn all(conn: &mut DbConn) -> Result<Vec<AccountRow>, LedgerError> {
    Ok(ledger_accounts::table
        .select(AccountRow::as_select())
        .order(ledger_accounts::id.asc())
        .load(conn.diesel())?)
}

/// A wallet found by [`wallets`], with its owner's name and address.
#[derive(Debug, Clone)]
pub struct WalletFound {
    pub account: AccountRow,
    /// The person's display name, or the enterprise's name.
    pub owner_name: String,
    /// The person's address, or the enterprise's (when it has one).
    pub owner_email: Option<String>,
}

/// The wallets (a person's or an enterprise's) in `currency` whose owner's name or address
/// (or an enterprise's slug) contains `query`, ignoring case — every wallet when `query` is
/// blank — oldest first, `limit` of them after the first `offset`. For the currency's
/// treasurers (the caller authorizes).
pub fn wallets(
    conn: &mut DbConn,
    currency: &str,
    query: &str,
    offset: i64,
    limit: i64,
) -> Result<Vec<WalletFound>, LedgerError> {
    use crate::db::schema::{enterprises, users};
    let kinds = [
        AccountKind::MemberWallet.as_str(),
        AccountKind::EnterpriseWallet.as_str(),
    ];
    let mut select = ledger_accounts::table
        .filter(ledger_accounts::currency.eq(currency))
        .filter(ledger_accounts::kind.eq_any(kinds))
        .select(AccountRow::as_select())
        .order(ledger_accounts::id.asc())
        .offset(offset.max(0))
        .limit(limit.max(0))
        .into_boxed();
    let query = query.trim().to_lowercase();
    if !query.is_empty() {
        let pattern = format!(
            "%{}%",
            query
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let people = users::table
            .filter(
                crate::db::lower(users::email)
                    .like(pattern.clone())
                    .escape('\\')
                    .or(crate::db::lower(users::display_name)
                        .like(pattern.clone())
                        .escape('\\')),
            )
            .select(users::id.nullable());
        let businesses = enterprises::table
            .filter(
                crate::db::lower(enterprises::name)
                    .like(pattern.clone())
                    .escape('\\')
                    .or(enterprises::slug.like(pattern.clone()).escape('\\'))
                    .or(crate::db::lower(enterprises::email.assume_not_null())
                        .like(pattern)
                        .escape('\\')),
            )
            .select(enterprises::id.nullable());
        select = select.filter(
            ledger_accounts::owner_kind
                .eq(OwnerKind::User.as_str())
                .and(ledger_accounts::owner_id.eq_any(people))
                .or(ledger_accounts::owner_kind
                    .eq(OwnerKind::Enterprise.as_str())
                    .and(ledger_accounts::owner_id.eq_any(businesses))),
        );
    }
    let rows: Vec<AccountRow> = select.load(conn.diesel())?;
    let ids_of = |kind: OwnerKind| -> Vec<String> {
        rows.iter()
            .filter(|r| r.owner_kind == kind.as_str())
            .filter_map(|r| r.owner_id.clone())
            .collect()
    };
    let (people_ids, business_ids) = (ids_of(OwnerKind::User), ids_of(OwnerKind::Enterprise));
    let people: std::collections::HashMap<String, (String, Option<String>)> = users::table
        .filter(users::id.eq_any(people_ids))
        .select((users::id, users::display_name, users::email))
        .load::<(String, String, String)>(conn.diesel())?
        .into_iter()
        .map(|(id, name, email)| (id, (name, Some(email))))
        .collect();
    let businesses: std::collections::HashMap<String, (String, Option<String>)> =
        enterprises::table
            .filter(enterprises::id.eq_any(business_ids))
            .select((enterprises::id, enterprises::name, enterprises::email))
            .load::<(String, String, Option<String>)>(conn.diesel())?
            .into_iter()
            .map(|(id, name, email)| (id, (name, email)))
            .collect();
    Ok(rows
        .into_iter()
        .map(|account| {
            let owners = if account.owner_kind == OwnerKind::User.as_str() {
                &people
            } else {
                &businesses
            };
            let (owner_name, owner_email) = account
                .owner_id
                .as_ref()
                .and_then(|id| owners.get(id).cloned())
                .unwrap_or_else(|| (account.name.clone(), None));
            WalletFound {
                account,
                owner_name,
                owner_email,
            }
        })
        .collect())
}

/// A professional's euro payable with euros still owed on it, found by [`payables_owed`].
#[derive(Debug, Clone)]
pub struct PayableOwed {
    /// The payable (in the legal currency); what is owed is its balance.
    pub account: AccountRow,
    /// The enterprise owed, by name and slug (the account's name when the enterprise is gone).
    pub enterprise_name: String,
    pub enterprise_slug: Option<String>,
}

/// The euro payables of `currency`'s reconversions (kind `euro_payable`, `for_currency` =
/// `currency`) on which euros are still owed (a non-zero posted balance), each with its
/// enterprise's name, by name — in two queries, whatever their number. What the
/// association's treasurers pay out with [`super::ops::reconversion_paid`] (the caller
/// authorizes: `Action::RunCurrency`).
pub fn payables_owed(conn: &mut DbConn, currency: &str) -> Result<Vec<PayableOwed>, LedgerError> {
    use crate::db::schema::enterprises;
    let rows: Vec<AccountRow> = ledger_accounts::table
        .filter(ledger_accounts::kind.eq(AccountKind::EuroPayable.as_str()))
        .filter(ledger_accounts::for_currency.eq(currency))
        .filter(ledger_accounts::owner_kind.eq(OwnerKind::Enterprise.as_str()))
        .filter(ledger_accounts::credits_posted.ne(ledger_accounts::debits_posted))
        .select(AccountRow::as_select())
        .order(ledger_accounts::id.asc())
        .load(conn.diesel())?;
    let ids: Vec<String> = rows.iter().filter_map(|r| r.owner_id.clone()).collect();
    let names: std::collections::HashMap<String, (String, String)> = enterprises::table
        .filter(enterprises::id.eq_any(ids))
        .select((enterprises::id, enterprises::name, enterprises::slug))
        .load::<(String, String, String)>(conn.diesel())?
        .into_iter()
        .map(|(id, name, slug)| (id, (name, slug)))
        .collect();
    let mut owed: Vec<PayableOwed> = rows
        .into_iter()
        .map(|account| {
            let found = account.owner_id.as_ref().and_then(|id| names.get(id));
            PayableOwed {
                enterprise_name: found
                    .map(|(name, _)| name.clone())
                    .unwrap_or_else(|| account.name.clone()),
                enterprise_slug: found.map(|(_, slug)| slug.clone()),
                account,
            }
        })
        .collect();
    owed.sort_by(|a, b| {
        a.enterprise_name
            .to_lowercase()
            .cmp(&b.enterprise_name.to_lowercase())
    });
    Ok(owed)
}
