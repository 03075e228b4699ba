//! Bringing a database up to date: the migrations ([`crate::db::Db::migrate`]), then the
//! reference data every deployment needs and the domain owns — the euro, the shipped product
//! taxonomy, the products' search keys. Above the domain modules and below the edges, so
//! that `db` imports none of them.

use crate::db::{ConnectError, Db};

/// Applies pending migrations, then inserts the reference data that is missing; returns the
/// versions applied, oldest first.
pub fn migrate(db: &Db) -> Result<Vec<String>, ConnectError> {
    let applied = db.migrate()?;
    let fail = |reason: String| ConnectError::Migrate {
        url: db.describe(),
        reason,
    };
    let mut conn = db.conn().map_err(|e| fail(e.to_string()))?;
    crate::ledger::currencies::ensure_euro(&mut conn).map_err(|e| fail(e.to_string()))?;
    crate::catalog::categories::ensure_defaults(&mut conn).map_err(|e| fail(e.to_string()))?;
    crate::catalog::products::backfill_name_keys(&mut conn).map_err(|e| fail(e.to_string()))?;
    Ok(applied)
}
