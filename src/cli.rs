//! The `comptoir` command line.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use crate::config::{CliOverrides, Config, LogFormat};
use crate::db::Db;
use crate::{demo, server};

/// Comptoir: marketplace backend for producers, food hubs and local currencies.
#[derive(Debug, Parser)]
#[command(name = "comptoir", version, about, long_about = None)]
pub struct Cli {
    /// TOML configuration file (flags and COMPTOIR_* variables override it).
    #[arg(long, global = true, env = "COMPTOIR_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Database URL: sqlite://PATH (default sqlite://data/comptoir.db) or postgres://USER@HOST/DB.
    #[arg(long, global = true, value_name = "URL")]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the HTTP API (applies pending migrations first).
    Serve {
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long, value_name = "ADDR")]
        bind: Option<String>,
        /// Load the demo marketplace first when the database is empty.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations and print them.
    Migrate,
    /// Demo data.
    Demo {
        #[command(subcommand)]
        command: DemoCommand,
    },
    /// The double-entry ledger.
    Ledger {
        #[command(subcommand)]
        command: LedgerCommand,
    },
    /// Benchmarks (results go to stdout as a Markdown table; see BENCHMARKS.md).
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// Ledger throughput (single transfers, 2-leg entries) against raw INSERT+COMMIT, for 1
    /// and --writers concurrent writers. Use a scratch database: it writes entries.
    Ledger {
        #[arg(long, default_value_t = 8)]
        writers: usize,
        /// Seconds per measurement.
        #[arg(long, default_value_t = 5)]
        seconds: u64,
    },
}

#[derive(Debug, Subcommand)]
enum LedgerCommand {
    /// Recompute the hash chain, per-currency zero sums, cached totals, limits and guarantee
    /// funds from the journal; exit non-zero on any violation.
    Verify,
}

#[derive(Debug, Subcommand)]
enum DemoCommand {
    /// Load fixtures/demo/ into the database (which must be empty unless --force).
    Load {
        /// Delete all marketplace data first, then load the demo.
        #[arg(long)]
        force: bool,
        /// Load the demo files from this directory instead of the copy built into the binary.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

/// Parses the command line, runs the command, and turns any failure into one line on
/// stderr and a non-zero exit status.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let line = format!("{error:#}").replace('\n', " ");
            eprintln!("comptoir: {line}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    let bind = match &cli.command {
        Command::Serve { bind, .. } => bind.clone(),
        _ => None,
    };
    let overrides = CliOverrides {
        bind,
        database_url: cli.database_url.clone(),
    };
    let config = Config::load(cli.config.as_deref(), &overrides)?;
    init_logging(&config);
    match cli.command {
        Command::Serve { demo, .. } => serve(&config, demo),
        Command::Migrate => {
            let db = Db::connect(&config.database_url, 1)?;
            let applied = db.migrate()?;
            if applied.is_empty() {
                println!("{}: no pending migrations", config.database_url);
            }
            for version in applied {
                println!("applied {version}");
            }
            Ok(())
        }
        Command::Ledger {
            command: LedgerCommand::Verify,
        } => {
            let db = Db::connect(&config.database_url, 1)?;
            let mut conn = db.conn()?;
            let mut shown = 0;
            let report = crate::ledger::verify::verify(&mut conn, &mut |entries| {
                if entries - shown >= 10_000 {
                    eprintln!("… {entries} entries checked");
                    shown = entries;
                }
            })?;
            print!("{report}");
            anyhow::ensure!(
                report.ok(),
                "the ledger failed verification ({} violations)",
                report.violations.len()
            );
            Ok(())
        }
        Command::Bench {
            command: BenchCommand::Ledger { writers, seconds },
        } => {
            anyhow::ensure!(
                (1..=64).contains(&writers),
                "--writers must be between 1 and 64"
            );
            let db = Db::connect(&config.database_url, writers as u32 + 1)?;
            for version in db.migrate()? {
                eprintln!("applied {version}");
            }
            eprintln!(
                "benchmarking the ledger on {} ({seconds} s per measurement)…",
                config.database_url
            );
            let results = crate::bench::ledger(&db, writers, seconds, &mut |m| {
                eprintln!(
                    "  {:<26} {:>2} writer(s): {:>8.0} entries/s",
                    m.workload,
                    m.writers,
                    m.per_second()
                );
            })?;
            print!("{}", crate::bench::table(&results));
            Ok(())
        }
        Command::Demo {
            command: DemoCommand::Load { force, dir },
        } => {
            let db = server::open_database(&config)?;
            let mut conn = db.conn()?;
            let source = match &dir {
                Some(dir) => demo::Source::Dir(dir),
                None => demo::Source::Embedded,
            };
            let summary = demo::load(&mut conn, source, force)?;
            println!("demo loaded into {}: {summary}", config.database_url);
            Ok(())
        }
    }
}

fn serve(config: &Config, load_demo: bool) -> Result<()> {
    let listener = server::bind(config)?;
    let db = server::open_database(config)?;
    if load_demo {
        let mut conn = db.conn()?;
        if demo::is_empty(&mut conn)? {
            let summary = demo::load(&mut conn, demo::Source::Embedded, false)?;
            tracing::info!(%summary, "demo marketplace loaded");
        } else {
            tracing::warn!(
                "the database already holds data: demo not reloaded \
                 (`comptoir demo load --force` replaces it)"
            );
        }
    }
    let address = listener.local_addr().context("reading the bound address")?;
    tracing::info!(%address, database = %config.database_url, "Comptoir is serving");
    actix_web::rt::System::new().block_on(async move {
        server::http_server(listener, db, config, None)?
            .await
            .context("HTTP server")
    })
}

fn init_logging(config: &Config) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&config.log_level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match config.log_format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}
