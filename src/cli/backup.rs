//! `comptoir backup FILE` and `comptoir restore FILE`: the embedded database copied while
//! the server runs, checked, and put back (see [`crate::db::backup`]).
//!
//! Decisions:
//! - A backup is checked before it is called one: `ledger verify` runs on the copy (hash
//!   chain, zero sums, cached totals, limits, guarantee funds); a copy that fails is kept for
//!   inspection but the command fails.
//! - A restore refuses a backup that fails verification, and refuses to replace a database
//!   that holds later ledger entries or writes unless `--force`; it says how many moves the
//!   database being replaced has pushed to Odoo that the backup does not know (Odoo keeps
//!   them: see the README).
//! - The database being replaced is kept beside it (`FILE.replaced-<time>`), never deleted;
//!   the backup is copied in, then renamed over the database (one atomic step).
//! - The server must be stopped for a restore (its open connections would keep writing to
//!   the replaced file); the command says so.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::config::{Config, DatabaseUrl};
use crate::db::backup::{self, Holdings};
use crate::db::Db;

fn sqlite_path(config: &Config) -> Result<PathBuf> {
    match &config.database_url {
        DatabaseUrl::Sqlite(path) if path.as_os_str() != ":memory:" => Ok(path.clone()),
        DatabaseUrl::Sqlite(_) => bail!("an in-memory database has nothing to back up"),
        DatabaseUrl::Postgres(_) => bail!(
            "this is a PostgreSQL database: use pg_dump and pg_restore, then \
             `comptoir ledger verify` (see the README, section Backups)"
        ),
    }
}

fn url_of(path: &Path) -> Result<DatabaseUrl> {
    let text = path
        .to_str()
        .with_context(|| format!("{} is not a UTF-8 path", path.display()))?;
    DatabaseUrl::try_from(format!("sqlite://{text}")).map_err(anyhow::Error::msg)
}

/// Verifies the ledger of the database at `path` and reads what it holds.
fn check(path: &Path) -> Result<(Holdings, usize)> {
    let db = Db::connect(&url_of(path)?, 1)?;
    let mut conn = db.conn()?;
    let report = crate::ledger::verify::verify(&mut conn, &mut |_| {})
        .with_context(|| format!("verifying {}", path.display()))?;
    let holdings = backup::holdings(&mut conn)?;
    Ok((holdings, report.violations.len()))
}

fn show(holdings: &Holdings) {
    for (table, n) in &holdings.counts {
        println!("  {table:<18} {n}");
    }
    println!(
        "  ledger             last entry #{}{}",
        holdings.ledger_seq,
        holdings
            .last_entry_at
            .map(|t| format!(" at {t} UTC"))
            .unwrap_or_default()
    );
    println!("  pushed to Odoo     {} moves", holdings.pushed_to_odoo);
}

/// `comptoir backup FILE`.
pub fn backup(config: &Config, target: &Path) -> Result<()> {
    let source = sqlite_path(config)?;
    if !source.exists() {
        bail!("{} does not exist: nothing to back up", source.display());
    }
    {
        let db = Db::connect(&config.database_url, 1)?;
        let mut conn = db.conn()?;
        backup::sqlite_copy(&mut conn, target).map_err(anyhow::Error::msg)?;
    }
    let (holdings, violations) = check(target)?;
    if violations > 0 {
        bail!(
            "the copy at {} fails ledger verification ({violations} violations): run \
             `comptoir ledger verify` on the database itself",
            target.display()
        );
    }
    println!(
        "backed up {} to {} (ledger verified), holding:",
        source.display(),
        target.display()
    );
    show(&holdings);
    Ok(())
}

/// `comptoir restore FILE [--force]`.
pub fn restore(config: &Config, file: &Path, force: bool) -> Result<()> {
    let target = sqlite_path(config)?;
    if !file.exists() {
        bail!("{} does not exist", file.display());
    }
    let (incoming, violations) = check(file)?;
    if violations > 0 {
        bail!(
            "{} fails ledger verification ({violations} violations): not restored",
            file.display()
        );
    }
    let mut replaced_note = String::new();
    if target.exists() {
        let (current, _) = check(&target)?;
        let newer = current.ledger_seq > incoming.ledger_seq
            || current.last_write_at > incoming.last_write_at;
        let forgotten = {
            let db = Db::connect(&config.database_url, 1)?;
            let mut conn = db.conn()?;
            backup::pushed_only_here(&mut conn, file).map_err(anyhow::Error::msg)?
        };
        if forgotten > 0 {
            eprintln!(
                "warning: {forgotten} moves of {} were pushed to Odoo after this backup: Odoo \
                 keeps them, the restored database will not know them (see the README, \
                 section Backups, before the next `odoo sync`)",
                target.display()
            );
        }
        if newer && !force {
            bail!(
                "{} is newer than the backup (ledger entry #{} against #{}; last write {} \
                 against {}): restoring would lose that; add --force to restore anyway",
                target.display(),
                current.ledger_seq,
                incoming.ledger_seq,
                shown(current.last_write_at),
                shown(incoming.last_write_at)
            );
        }
        let kept = keep_aside(&target)?;
        replaced_note = format!(" (the database it replaced is kept as {})", kept.display());
    }
    put_in_place(file, &target)?;
    println!(
        "restored {} to {}{replaced_note}; stop the server before a restore and start it \
         again after. It holds:",
        file.display(),
        target.display()
    );
    show(&incoming);
    Ok(())
}

fn shown(at: Option<chrono::NaiveDateTime>) -> String {
    at.map(|t| format!("{t} UTC"))
        .unwrap_or_else(|| "none".into())
}

/// Moves the database (and its WAL files) aside; returns where it went.
fn keep_aside(target: &Path) -> Result<PathBuf> {
    let stamp = crate::time::now().format("%Y%m%dT%H%M%S");
    let kept = PathBuf::from(format!("{}.replaced-{stamp}", target.display()));
    // the WAL holds committed pages not yet in the main file: checkpoint it into the file
    // first, so that the copy kept aside is whole
    {
        let db = Db::connect(&url_of(target)?, 1)?;
        let mut conn = db.conn()?;
        crate::db::checkpoint(&mut conn).context("checkpointing the database")?;
    }
    std::fs::rename(target, &kept).with_context(|| format!("moving {} aside", target.display()))?;
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", target.display()));
        if side.exists() {
            std::fs::remove_file(&side).with_context(|| format!("removing {}", side.display()))?;
        }
    }
    Ok(kept)
}

/// Copies `file` next to `target`, flushes it, and renames it over `target`.
fn put_in_place(file: &Path, target: &Path) -> Result<()> {
    let partial = PathBuf::from(format!("{}.restoring", target.display()));
    std::fs::copy(file, &partial).with_context(|| format!("copying {}", file.display()))?;
    std::fs::File::open(&partial)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("flushing {}", partial.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&partial, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("making {} private", partial.display()))?;
    }
    std::fs::rename(&partial, target)
        .with_context(|| format!("putting the backup in place at {}", target.display()))?;
    Ok(())
}
