//! The books on the command line: `comptoir export …` (FEC, Odoo CSV, trial balance),
//! `comptoir chart show|load`, `comptoir odoo prepare|sync|status|retry`.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Subcommand;

use crate::config::Config;
use crate::server;

#[derive(Debug, Subcommand)]
pub(super) enum ExportCommand {
    /// The FEC of a period (written to --output, or to `<SIREN>FEC<to>.txt` in the current
    /// directory).
    Fec {
        /// First day, YYYY-MM-DD.
        #[arg(long)]
        from: chrono::NaiveDate,
        /// Last day, YYYY-MM-DD.
        #[arg(long)]
        to: chrono::NaiveDate,
        /// SIREN of the books' owner (9 digits, checked); for an enterprise's books, its
        /// own SIREN by default.
        #[arg(long)]
        siren: Option<String>,
        /// An enterprise's own books (slug or id) instead of the deployment's.
        #[arg(long, value_name = "SLUG")]
        enterprise: Option<String>,
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// The moves of a period as Odoo's journal-entry import CSV (to --output, or stdout).
    OdooCsv {
        #[arg(long)]
        from: chrono::NaiveDate,
        #[arg(long)]
        to: chrono::NaiveDate,
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// An enterprise's own books (slug or id) instead of the deployment's.
        #[arg(long, value_name = "SLUG")]
        enterprise: Option<String>,
    },
    /// The general ledger of a period as CSV (grand livre): per account its opening
    /// balance, each line with the running balance, and its totals (to --output, or stdout).
    /// Switzerland's legal export, with the trial balance.
    GeneralLedger {
        #[arg(long)]
        from: chrono::NaiveDate,
        #[arg(long)]
        to: chrono::NaiveDate,
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// An enterprise's own books (slug or id) instead of the deployment's.
        #[arg(long, value_name = "SLUG")]
        enterprise: Option<String>,
    },
    /// The trial balance of a period (balance générale): per account, opening, debit,
    /// credit and closing balances, then the totals; CSV (default) or JSON, to --output or
    /// stdout.
    Balance {
        #[arg(long)]
        from: chrono::NaiveDate,
        #[arg(long)]
        to: chrono::NaiveDate,
        /// `csv` or `json`.
        #[arg(long, default_value = "csv", value_parser = ["csv", "json"])]
        format: String,
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// An enterprise's own books (slug or id) instead of the deployment's.
        #[arg(long, value_name = "SLUG")]
        enterprise: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub(super) enum ChartCommand {
    /// Print the chart mapping as TOML (the format of fixtures/chart_fr.toml).
    Show,
    /// Replace the chart mapping with a TOML file (checked first; moves validated already
    /// keep their accounts).
    Load { file: PathBuf },
}

#[derive(Debug, Subcommand)]
pub(super) enum OdooCommand {
    /// Push the moves not pushed yet (validating the ledger up to today first);
    /// idempotent: a move already in Odoo is found, not created again. Exits 1 when a move
    /// failed or conflicts with Odoo, or a reconciliation failed.
    Sync,
    /// Moves pending, pushed, failed and in conflict (by number, with both sides), the
    /// running sync and its age; exits 1 when something needs a person.
    Status,
    /// Send failed or conflicting moves again at the next sync, after fixing Odoo.
    Retry {
        /// One move by number (e.g. MLC2026-000052).
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        number: Option<String>,
        /// Every failed and conflicting move.
        #[arg(long)]
        all: bool,
    },
    /// Check Odoo against the chart mapping; create the missing journals, accounts and
    /// local currencies (or only list them with --dry-run).
    Prepare {
        #[arg(long)]
        dry_run: bool,
    },
}

pub(super) fn chart(config: &Config, command: ChartCommand) -> Result<()> {
    use crate::accounting::chart::{self, Chart};
    let db = server::open_database(config)?;
    let mut conn = db.conn()?;
    match command {
        ChartCommand::Show => {
            let current = chart::get(&mut conn).map_err(|e| anyhow::anyhow!("{e}"))?;
            print!("{}", toml::to_string(&current)?);
        }
        ChartCommand::Load { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let new: Chart = toml::from_str(&text)
                .with_context(|| format!("{} is not a chart mapping", file.display()))?;
            chart::replace(&mut conn, &crate::audit::Who::command_line(), &new).map_err(
                |e| match e {
                    crate::accounting::AccountingError::Invalid(crate::error::Invalid(errors)) => {
                        anyhow::anyhow!(
                            "{}: {}",
                            file.display(),
                            errors
                                .iter()
                                .map(|e| format!("{} {}", e.field, e.message))
                                .collect::<Vec<_>>()
                                .join("; ")
                        )
                    }
                    other => anyhow::anyhow!("{other}"),
                },
            )?;
            println!(
                "chart loaded: {} rules, {} journals",
                new.accounts.len(),
                new.journals.len()
            );
        }
    }
    Ok(())
}

pub(super) fn odoo(config: &Config, command: OdooCommand) -> Result<()> {
    use crate::accounting::odoo;
    let db = server::open_database(config)?;
    let mut conn = db.conn()?;
    match command {
        OdooCommand::Sync => {
            let mut client = odoo::Client::from_config(&config.odoo)?;
            let today = crate::time::now().date();
            crate::accounting::moves::validate_until(&mut conn, today, &mut |_| {})
                .map_err(|e| anyhow::anyhow!("validating the ledger: {e}"))?;
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_style(
                indicatif::ProgressStyle::with_template("{spinner} {pos} moves ({elapsed})")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            let report = odoo::sync(&mut conn, &mut client, &mut |n| bar.inc(n as u64))
                .map_err(|e| anyhow::anyhow!("syncing with Odoo: {e}"))?;
            bar.finish_and_clear();
            if let Some(lock) = report.lock_date {
                println!("Odoo's books are locked up to {lock} (fiscalyear_lock_date): moves dated on or before it are not pushed");
            }
            println!("{report}");
            anyhow::ensure!(
                report.ok(),
                "{} conflict(s), {} failed move(s), {} failed reconciliation(s): see `comptoir odoo status`",
                report.conflicts,
                report.failed,
                report.reconcile_failed
            );
            Ok(())
        }
        OdooCommand::Status => {
            let status = odoo::status(&mut conn).map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "pushed {}, pending {}, failed {}, conflicts {}, not seen yet {}",
                status.pushed, status.pending, status.failed, status.conflicts, status.not_seen
            );
            match &status.running {
                Some(h) => {
                    let age = (crate::time::now() - h.since).num_seconds().max(0);
                    println!(
                        "a sync is running: {} since {} UTC ({} min {} s)",
                        h.who(),
                        h.since.format("%Y-%m-%d %H:%M:%S"),
                        age / 60,
                        age % 60
                    );
                }
                None => println!("no sync is running"),
            }
            if !status.conflict_list.is_empty() {
                println!("conflicts (fix Odoo, then `comptoir odoo retry NUMBER`):");
                for t in &status.conflict_list {
                    println!("  {}: {}", t.number, t.text);
                }
            }
            if !status.latest_errors.is_empty() {
                println!("latest failures (tried again by themselves):");
                for t in &status.latest_errors {
                    println!("  {}: {}", t.number, t.text);
                }
            }
            for (code, letter, error) in &status.reconcile_failures {
                println!("  reconciliation of {code} letter {letter} failed: {error}");
            }
            anyhow::ensure!(status.ok(), "some moves need a person (above)");
            Ok(())
        }
        OdooCommand::Retry { number, all } => {
            let which = match (number, all) {
                (_, true) => odoo::Retry::All,
                (Some(number), false) => odoo::Retry::Move(number),
                (None, false) => anyhow::bail!("name a move (e.g. MLC2026-000052) or --all"),
            };
            let n = odoo::retry(&mut conn, &which).map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{n} move(s) will be pushed again at the next sync");
            Ok(())
        }
        OdooCommand::Prepare { dry_run } => {
            let mut client = odoo::Client::from_config(&config.odoo)?;
            let report = odoo::prepare::prepare(&mut conn, &mut client, dry_run)
                .map_err(|e| anyhow::anyhow!("preparing Odoo: {e}"))?;
            for i in &report.items {
                println!("{:<8} {:<8} {:<45} {}", i.what, i.code, i.label, i.state);
            }
            if dry_run {
                println!(
                    "{} thing(s) missing in Odoo; run without --dry-run to create them",
                    report.missing()
                );
            } else {
                println!("Odoo is ready for `comptoir odoo sync`");
            }
            Ok(())
        }
    }
}

pub(super) fn export(config: &Config, command: ExportCommand) -> Result<()> {
    use crate::accounting::books::Book;
    use crate::accounting::export::{self, Format};
    let db = server::open_database(config)?;
    let mut conn = db.conn()?;
    let mut book_of = |key: Option<String>| -> Result<Book> {
        Ok(match key {
            None => Book::Deployment,
            Some(key) => Book::Enterprise(
                crate::enterprises::find_id(&mut conn, &key)?
                    .ok_or_else(|| anyhow::anyhow!("--enterprise: no enterprise `{key}`"))?,
            ),
        })
    };
    let (book, format, from, to, output, siren) = match command {
        ExportCommand::Balance {
            from,
            to,
            format,
            output,
            enterprise,
        } => {
            anyhow::ensure!(from <= to, "--from must not be after --to");
            let book = book_of(enterprise)?;
            let rows = crate::accounting::balance::trial_balance(&mut conn, &book, from, to)
                .map_err(|e| anyhow::anyhow!("the trial balance: {e}"))?;
            let legal = crate::ledger::currencies::legal(&mut conn)?;
            let balance = crate::accounting::balance::TrialBalance::new(from, to, &rows, legal);
            let text = if format == "json" {
                let mut text = serde_json::to_string_pretty(&balance)?;
                text.push('\n');
                text
            } else {
                balance.csv().map_err(|e| anyhow::anyhow!("{e}"))?
            };
            match output {
                Some(path) => {
                    std::fs::write(&path, text)
                        .with_context(|| format!("writing {}", path.display()))?;
                    eprintln!("{} accounts written to {}", rows.len(), path.display());
                }
                None => print!("{text}"),
            }
            return Ok(());
        }
        ExportCommand::GeneralLedger {
            from,
            to,
            output,
            enterprise,
        } => {
            anyhow::ensure!(from <= to, "--from must not be after --to");
            let book = book_of(enterprise)?;
            let mut lines = 0;
            let accounts = to_output(output.as_deref(), "lines", &mut |out, progress| {
                crate::accounting::general_ledger::write(
                    &mut conn,
                    &book,
                    from,
                    to,
                    out,
                    &mut |n| {
                        lines += n;
                        progress(n)
                    },
                )
            })?;
            match output {
                Some(path) => eprintln!(
                    "{accounts} accounts, {lines} lines written to {}",
                    path.display()
                ),
                None => eprintln!("{accounts} accounts, {lines} lines written"),
            }
            return Ok(());
        }
        ExportCommand::Fec {
            from,
            to,
            siren,
            enterprise,
            output,
        } => (book_of(enterprise)?, Format::Fec, from, to, output, siren),
        ExportCommand::OdooCsv {
            from,
            to,
            output,
            enterprise,
        } => (
            book_of(enterprise)?,
            Format::OdooCsv,
            from,
            to,
            output,
            None,
        ),
    };
    anyhow::ensure!(from <= to, "--from must not be after --to");
    let output = if format == Format::Fec {
        let siren = match (siren, &book) {
            (Some(siren), _) => siren,
            (None, Book::Enterprise(id)) => crate::accounting::books::siren_of(&mut conn, id)
                .map_err(|e| anyhow::anyhow!("{e}"))?
                .ok_or_else(|| {
                    anyhow::anyhow!("this enterprise has no SIREN on record: give --siren")
                })?,
            (None, Book::Deployment) => anyhow::bail!("--siren is required"),
        };
        let siren = crate::enterprises::identifiers::Siren::parse(&siren)
            .map_err(|e| anyhow::anyhow!("--siren: {e}"))?;
        Some(output.unwrap_or_else(|| export::fec_file_name(siren.as_str(), to).into()))
    } else {
        output
    };
    let written = to_output(output.as_deref(), "moves", &mut |out, progress| {
        export::write(&mut conn, &book, format, from, to, out, progress)
    })?;
    match output {
        Some(path) => eprintln!("{written} moves written to {}", path.display()),
        None => eprintln!("{written} moves written"),
    }
    Ok(())
}

/// What an export writes into: its output and a progress callback; returns how many
/// things it wrote.
type Writing<'a> = dyn FnMut(
        &mut dyn std::io::Write,
        &mut dyn FnMut(usize),
    ) -> Result<usize, crate::accounting::AccountingError>
    + 'a;

/// Runs `write` into the file `output` (removed again if the export fails: no half-written
/// file is left behind) or standard output, with a spinner counting `what`.
fn to_output(output: Option<&std::path::Path>, what: &str, write: &mut Writing) -> Result<usize> {
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template(&format!(
            "{{spinner}} {{pos}} {what} written ({{elapsed}})"
        ))
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    let mut progress = |n: usize| bar.inc(n as u64);
    let written = match output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("creating {}", path.display()))?;
            let mut out = std::io::BufWriter::new(file);
            let written = write(&mut out, &mut progress);
            if written.is_err() {
                drop(out);
                let _ = std::fs::remove_file(path);
            }
            written
        }
        None => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            write(&mut out, &mut progress)
        }
    }
    .map_err(|e| anyhow::anyhow!("exporting: {e}"))?;
    bar.finish_and_clear();
    Ok(written)
}
