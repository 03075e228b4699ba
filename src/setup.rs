//! Bringing a database up to date: the migrations ([`crate::db::Db::migrate`]), then what the
//! deployment chose ([`crate::deployment`]: its legal currency and country, recorded at the
//! first run), then the reference data every deployment needs and the domain owns — its
//! legal tender, the shipped product taxonomy, the products' search keys. Above the domain
//! modules and below the edges, so that `db` imports none of them.

use diesel::prelude::*;

use crate::config::DeploymentConfig;
use crate::db::schema::{currencies, ledger_accounts, ledger_entries};
use crate::db::{ConnectError, Db, DbConn};
use crate::deployment::{self, Deployment};

/// Applies pending migrations, records the deployment's choice (the configuration's, `asked`,
/// at the first run) or checks the configuration against the recorded one, then inserts the
/// reference data that is missing; returns the versions applied, oldest first.
pub fn migrate(db: &Db, asked: &DeploymentConfig) -> Result<Vec<String>, ConnectError> {
    let fail = |reason: String| ConnectError::Migrate {
        url: db.describe(),
        reason,
    };
    let applied = db.migrate()?;
    let mut conn = db.conn().map_err(|e| fail(e.to_string()))?;
    let chosen = settle(&mut conn, asked).map_err(fail)?;
    crate::ledger::currencies::ensure_legal(&mut conn, chosen.tender())
        .map_err(|e| fail(e.to_string()))?;
    crate::catalog::categories::ensure_defaults(&mut conn).map_err(|e| fail(e.to_string()))?;
    crate::catalog::products::backfill_name_keys(&mut conn).map_err(|e| fail(e.to_string()))?;
    Ok(applied)
}

/// The deployment's choice. At the first run: what the configuration asks (the euro and
/// France for what it leaves unset), or the euro and France for a database whose ledger
/// holds entries from before the choice existed. Afterwards the recorded one: a
/// configuration naming another may change it only while the ledger holds no entry and no
/// account is in the old legal currency.
fn settle(conn: &mut DbConn, asked: &DeploymentConfig) -> Result<Deployment, String> {
    let entries = ledger_holds_an_entry(conn)?;
    // a database from before the choice existed holds the euro as reference data (and maybe
    // wallets in it, or entries): it was a euro deployment in France
    let euro_row = currencies::table
        .find("EUR")
        .select(currencies::code)
        .first::<String>(conn.diesel())
        .optional()
        .map_err(|e| e.to_string())?
        .is_some();
    let recorded = match deployment::stored(conn).map_err(|e| e.to_string())? {
        Some(recorded) => Some(recorded),
        None if entries || euro_row => {
            deployment::record(conn, Deployment::EURO_FRANCE).map_err(|e| e.to_string())?;
            Some(Deployment::EURO_FRANCE)
        }
        None => None,
    };
    let base = recorded.unwrap_or(Deployment::EURO_FRANCE);
    let wanted = Deployment::from_codes(
        asked
            .currency
            .as_deref()
            .unwrap_or(base.legal.code.as_str()),
        asked.country.as_deref().unwrap_or(base.country.code()),
    )?;
    let Some(recorded) = recorded else {
        deployment::record(conn, wanted).map_err(|e| e.to_string())?;
        return Ok(wanted);
    };
    if recorded == wanted {
        return Ok(recorded);
    }
    let (was, asked) = (recorded.legal.code, wanted.legal.code);
    let (was_country, asked_country) = (recorded.country.code(), wanted.country.code());
    if entries {
        return Err(format!(
            "this database's deployment is {was} in {was_country}, recorded at its first run; \
             the configuration asks for {asked} in {asked_country}. The legal currency and the \
             country cannot change once the ledger holds an entry: leave deployment.currency \
             and deployment.country unset, or set them to \"{was}\" and \"{was_country}\""
        ));
    }
    if was != asked {
        let accounts = accounts_in(conn, was.as_str())?;
        if accounts > 0 {
            return Err(format!(
                "the configuration asks for {asked} as the legal currency, but {accounts} \
                 account(s) of this database are in {was}: start from an empty database, or \
                 keep deployment.currency = \"{was}\""
            ));
        }
    }
    replace(conn, recorded, wanted)?;
    Ok(wanted)
}

/// Whether the ledger holds an entry (not how many: a count scans a large journal).
fn ledger_holds_an_entry(conn: &mut DbConn) -> Result<bool, String> {
    Ok(ledger_entries::table
        .select(ledger_entries::seq)
        .limit(1)
        .first::<i64>(conn.diesel())
        .optional()
        .map_err(|e| e.to_string())?
        .is_some())
}

/// How many ledger accounts are in `currency`.
fn accounts_in(conn: &mut DbConn, currency: &str) -> Result<i64, String> {
    ledger_accounts::table
        .filter(ledger_accounts::currency.eq(currency))
        .count()
        .get_result(conn.diesel())
        .map_err(|e| e.to_string())
}

/// Records `wanted` in place of `was`: the old tender's row goes with the new choice, or
/// neither does.
fn replace(conn: &mut DbConn, was: Deployment, wanted: Deployment) -> Result<(), String> {
    conn.transaction(|conn| {
        if was.legal.code != wanted.legal.code {
            diesel::delete(currencies::table.find(was.legal.code.as_str()))
                .execute(conn.diesel())?;
        }
        deployment::record(conn, wanted)
    })
    .map_err(|e| e.to_string())
}

/// Makes `wanted` the deployment's choice, for a migrated database that is to hold data made
/// for it (a demo): nothing to do when it is the recorded one; otherwise the recorded one may
/// change only while the ledger holds no entry and no account is in the old legal currency.
/// The new legal tender's row is inserted. Says why not, naming both, when it cannot.
pub fn adopt(conn: &mut DbConn, wanted: Deployment) -> Result<(), String> {
    let recorded = deployment::get(conn).map_err(|e| e.to_string())?;
    if recorded != wanted {
        let (was, was_country) = (recorded.legal.code, recorded.country.code());
        let (asked, asked_country) = (wanted.legal.code, wanted.country.code());
        if ledger_holds_an_entry(conn)? {
            return Err(format!(
                "this database's deployment is {was} in {was_country} and its ledger holds \
                 entries, so it cannot become {asked} in {asked_country}: use a fresh database"
            ));
        }
        if was != asked {
            let accounts = accounts_in(conn, was.as_str())?;
            if accounts > 0 {
                return Err(format!(
                    "this database's deployment is {was} in {was_country} and {accounts} \
                     account(s) are in {was}, so it cannot become {asked} in \
                     {asked_country}: use a fresh database"
                ));
            }
        }
        replace(conn, recorded, wanted)?;
    }
    crate::ledger::currencies::ensure_legal(conn, wanted.tender()).map_err(|e| e.to_string())
}
