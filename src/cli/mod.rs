//! The `comptoir` command line.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use tracing_subscriber::EnvFilter;

use crate::config::{CliOverrides, Config, LogFormat};
use crate::db::Db;
use crate::{demo, server};

mod admin;
mod backup;
mod books;
mod payment_requests;
mod person;
mod professionals;
mod topups;

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
        /// Load a demo marketplace first when the database is empty: the French one
        /// (`--demo`, `--demo=fr`) or the Swiss one (`--demo=ch`).
        #[arg(
            long,
            value_name = "COUNTRY",
            num_args = 0..=1,
            require_equals = true,
            default_missing_value = "fr"
        )]
        demo: Option<DemoCountry>,
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
    /// The mail outbox.
    Mail {
        #[command(subcommand)]
        command: MailCommand,
    },
    /// Accounting exports of the deployment's books (validating the ledger up to `--to`).
    Export {
        #[command(subcommand)]
        command: books::ExportCommand,
    },
    /// The chart mapping of the deployment's books.
    Chart {
        #[command(subcommand)]
        command: books::ChartCommand,
    },
    /// The push of validated moves to Odoo (settings `odoo.*`).
    Odoo {
        #[command(subcommand)]
        command: books::OdooCommand,
    },
    /// Order cycles.
    Cycle {
        #[command(subcommand)]
        command: CycleCommand,
    },
    /// A producer's catalogue.
    Catalog {
        #[command(subcommand)]
        command: CatalogCommand,
    },
    /// Platform administrators (the first one is created here, on the server's machine).
    Admin {
        #[command(subcommand)]
        command: admin::AdminCommand,
    },
    /// The audit trail of administrative acts, oldest first (all of it, or one enterprise's).
    Audit {
        /// Only the acts about this enterprise (slug or id).
        #[arg(long)]
        enterprise: Option<String>,
        /// Only this kind of act (`ledger.issue`, `admin.grant`…).
        #[arg(long)]
        action: Option<String>,
        /// Events read per query (all are printed).
        #[arg(long, default_value_t = 200)]
        page: u32,
    },
    /// Members' top-up requests: a treasurer lists, approves or refuses them.
    Topup {
        #[command(subcommand)]
        command: topups::TopUpCommand,
    },
    /// A professional's payment requests: list them, ask for one (its URL and QR code), cancel.
    #[command(name = "payment-request")]
    PaymentRequest {
        #[command(subcommand)]
        command: payment_requests::PaymentRequestCommand,
    },
    /// A local currency's professionals: its association approves, refuses or suspends them.
    Professional {
        #[command(subcommand)]
        command: professionals::ProfessionalCommand,
    },
    /// A person's data: export it, or erase it, on their written request.
    Person {
        #[command(subcommand)]
        command: person::PersonCommand,
    },
    /// Write a consistent copy of the SQLite database (the server may be running), verify its
    /// ledger, and print what it holds. PostgreSQL: use pg_dump (see the README).
    Backup {
        /// The copy to write (must not exist).
        file: PathBuf,
    },
    /// Put a backup in place of the SQLite database (stop the server first). Refuses a
    /// backup that fails `ledger verify`, and a database newer than the backup unless --force;
    /// the replaced database is kept beside it.
    Restore {
        file: PathBuf,
        /// Replace a database that holds later entries or writes than the backup.
        #[arg(long)]
        force: bool,
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
    /// Seeds a catalogue benchmark: `bench-hub` and N producers granting it, with their
    /// variants, through the CSV import; optionally writes a large CSV for import timing.
    /// Load it with wrk against `serve` (see BENCHMARKS.md). Use a fresh database.
    CatalogData {
        #[arg(long, default_value_t = 50)]
        producers: usize,
        #[arg(long, default_value_t = 10_000)]
        variants: usize,
        /// Also write a CSV file of --csv-rows rows (for `comptoir catalog import`).
        #[arg(long, value_name = "FILE")]
        csv: Option<PathBuf>,
        #[arg(long, default_value_t = 100_000)]
        csv_rows: usize,
    },
    /// End-to-end checkouts over HTTP (log in, cart of 5, split-payment checkout) against a
    /// `serve` child process, per concurrency level; p50/p99 and the server's peak memory.
    /// Use a scratch database: it loads the demo when empty and writes customers and orders.
    Checkout {
        /// Customers to create (each client uses its own): at least the highest concurrency.
        #[arg(long, default_value_t = 32)]
        users: usize,
        /// Concurrency levels, comma-separated.
        #[arg(long, value_delimiter = ',', default_values_t = [1, 8, 32])]
        concurrency: Vec<usize>,
        /// Seconds per measurement (each level is measured with and without log-in).
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
    /// Time to close a cycle of --orders confirmed split-payment orders (a copy of the demo's
    /// open cycle, seeded through the library), then `ledger verify`. Use a scratch database.
    Close {
        #[arg(long, default_value_t = 10_000)]
        orders: usize,
        /// Threads checking out the orders while seeding (default: 1 on SQLite, which
        /// serialises writers anyway, 4 on PostgreSQL).
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Mails delivered per second by the outbox's worker through the configured transport
    /// (`.eml` files, or SMTP when `smtp.url` is set): queues --mails mails, then times one
    /// delivery pass. Use a scratch database.
    Mail {
        #[arg(long, default_value_t = 5_000)]
        mails: usize,
    },
    /// The office pages' benchmark data: --orders orders in a copy of the demo's open cycle,
    /// page sessions for the hub's manager, the treasurer and a producer, and the pages to
    /// measure written to --out (`<cookie> <path>` lines, for `benches/office.sh`). Use a
    /// scratch database.
    OfficeData {
        #[arg(long, default_value_t = 1_000)]
        orders: usize,
        #[arg(long)]
        threads: Option<usize>,
        /// Where the pages are written.
        #[arg(long, default_value = "office-pages.txt")]
        out: std::path::PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum MailCommand {
    /// Counts of pending, retrying, sent and failed mail, and the latest failures.
    Status,
    /// Queue failed mail again (one by id, or all).
    Retry {
        /// The outbox id of one mail; all failed mail when omitted.
        id: Option<String>,
    },
    /// Send what is due now, once (the server's worker does this continuously).
    Deliver,
}

#[derive(Debug, Subcommand)]
enum CatalogCommand {
    /// Import a CSV catalogue (create or update by SKU; columns in the README). All or nothing
    /// unless --partial; the report lists every bad value by line and column.
    Import {
        /// The CSV file (UTF-8, `,` or `;`).
        file: PathBuf,
        /// The producer's slug or id.
        #[arg(long)]
        producer: String,
        /// Write the good rows even when some are bad.
        #[arg(long)]
        partial: bool,
        /// Check the file, write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Export a producer's catalogue as CSV (to stdout, or --output FILE).
    Export {
        /// The producer's slug or id.
        #[arg(long)]
        producer: String,
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum CycleCommand {
    /// Close a cycle now: ordering stops. A cycle without a settlement date is settled at
    /// once (holds captured, sales booked, producers paid, reports mailed); one with a date
    /// waits for it or for `cycle settle`. Idempotent: closing a settled cycle prints what
    /// its settlement did.
    Close {
        /// The cycle's id.
        id: String,
    },
    /// Settle a cycle now (closing it first if it is open): book the orders as weighed,
    /// capture the holds, pay the producers, mail their reports. Idempotent.
    Settle {
        /// The cycle's id.
        id: String,
    },
}

#[derive(Debug, Subcommand)]
enum LedgerCommand {
    /// Recompute the hash chain, per-currency zero sums, cached totals, limits and guarantee
    /// funds from the journal; exit non-zero on any violation.
    Verify,
}

/// The demo marketplaces, by country.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DemoCountry {
    /// France: the Lem, in euros (fixtures/demo/).
    Fr,
    /// Switzerland: the Moléson, in francs (fixtures/demo_ch/).
    Ch,
}

impl DemoCountry {
    fn demo(self) -> demo::Demo {
        match self {
            DemoCountry::Fr => demo::Demo::France,
            DemoCountry::Ch => demo::Demo::Switzerland,
        }
    }
}

#[derive(Debug, Subcommand)]
enum DemoCommand {
    /// Load a demo marketplace (fixtures/demo/ or fixtures/demo_ch/) into the database (which
    /// must be empty unless --force), recording its legal currency and country.
    Load {
        /// Which demo: fr (euros, France) or ch (francs, Switzerland).
        #[arg(long, value_name = "COUNTRY", default_value = "fr")]
        country: DemoCountry,
        /// Delete all marketplace data first, then load the demo.
        #[arg(long)]
        force: bool,
        /// Load the demo files from this directory instead of the copy built into the binary.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Leave out the demo's history (its past cycle, top-ups and reconversion): the
        /// ledger stays empty.
        #[arg(long)]
        no_history: bool,
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
    let config = Config::load_checked(
        cli.config.as_deref(),
        &overrides,
        &[crate::mail::check_config, crate::catalog::check_config],
    )?;
    init_logging(&config);
    if !config.ignored_env.is_empty() {
        tracing::warn!(
            variables = %config.ignored_env.join(", "),
            "ignoring environment variables with the COMPTOIR_ prefix that are not settings"
        );
    }
    match cli.command {
        Command::Serve { demo, .. } => serve(&config, demo.map(DemoCountry::demo)),
        Command::Migrate => {
            let db = Db::connect(&config.database_url, 1)?;
            let applied = crate::setup::migrate(&db, &config.deployment)?;
            if applied.is_empty() {
                println!("{}: no pending migrations", config.database_url);
            }
            for version in applied {
                println!("applied {version}");
            }
            let chosen = crate::deployment::get(&mut db.conn()?)?;
            println!(
                "deployment: legal currency {}, country {} (recorded; see README, Legal currency \
                 and country)",
                chosen.legal.code,
                chosen.country.code()
            );
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
            for version in crate::setup::migrate(&db, &config.deployment)? {
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
        Command::Catalog { command } => catalog(&config, command),
        Command::Admin { command } => admin::run(&config, command),
        Command::Person { command } => person::run(&config, command),
        Command::Topup { command } => topups::run(&config, command),
        Command::Professional { command } => professionals::run(&config, command),
        Command::PaymentRequest { command } => payment_requests::run(&config, command),
        Command::Audit {
            enterprise,
            action,
            page,
        } => admin::audit(&config, enterprise, action, page),
        Command::Backup { file } => backup::backup(&config, &file),
        Command::Restore { file, force } => backup::restore(&config, &file, force),
        Command::Export { command } => books::export(&config, command),
        Command::Odoo { command } => books::odoo(&config, command),
        Command::Chart { command } => books::chart(&config, command),
        Command::Cycle { command } => {
            let (id, settle) = match command {
                CycleCommand::Close { id } => (id, false),
                CycleCommand::Settle { id } => (id, true),
            };
            let db = server::open_database(&config)?;
            let mut conn = db.conn()?;
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} {pos} orders booked ({elapsed})",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            let cycle = crate::ids::CycleId::from(&id);
            let mut tick = |n: usize| bar.inc(n as u64);
            let report = if settle {
                crate::orders::close::settle(&mut conn, &cycle, &mut tick)
            } else {
                crate::orders::close::close(&mut conn, &cycle, &mut tick)
            }
            .map_err(|e| anyhow::anyhow!("closing or settling cycle `{id}`: {e}"))?;
            bar.finish();
            if report.already_settled {
                println!("cycle {id} was settled already; its settlement paid:");
            } else if report.state == crate::orders::cycles::CycleState::Settled {
                println!("cycle {id} settled: {} orders booked", report.orders_booked);
            } else {
                println!("cycle {id} closed: ordering has stopped; it settles later");
            }
            for s in &report.settlements {
                println!(
                    "  {} {}: goods {} − fees {} → paid {}",
                    s.producer_id,
                    s.currency,
                    s.goods.amount_string(),
                    s.fees.amount_string(),
                    s.paid.amount_string()
                );
            }
            Ok(())
        }
        Command::Mail { command } => mail(&config, command),
        Command::Bench {
            command:
                BenchCommand::CatalogData {
                    producers,
                    variants,
                    csv,
                    csv_rows,
                },
        } => {
            anyhow::ensure!(
                (1..=1000).contains(&producers),
                "--producers must be between 1 and 1000"
            );
            let db = server::open_database(&config)?;
            let mut conn = db.conn()?;
            let rules =
                crate::catalog::rules::CatalogRules::for_deployment(&mut conn, &config.catalog)
                    .map_err(anyhow::Error::msg)?;
            let seeded =
                crate::bench::catalog::seed(&mut conn, &rules, producers, variants, &mut |n| {
                    eprint!("\r… {n} variants imported");
                })?;
            eprintln!();
            println!(
                "hub `{}`: {} producers, {} variants (first producer `{}`), open cycle {} offering them all",
                seeded.hub_slug,
                seeded.producer_slugs.len(),
                seeded.variants,
                seeded
                    .producer_slugs
                    .first()
                    .map(String::as_str)
                    .unwrap_or(""),
                seeded.cycle_id
            );
            if let Some(path) = csv {
                let file = std::fs::File::create(&path)
                    .with_context(|| format!("creating {}", path.display()))?;
                let mut out = std::io::BufWriter::new(file);
                crate::bench::catalog::write_csv(&mut out, "BIG", csv_rows)?;
                println!("wrote {csv_rows} rows to {}", path.display());
            }
            Ok(())
        }
        Command::Bench {
            command:
                BenchCommand::Checkout {
                    users,
                    concurrency,
                    seconds,
                },
        } => {
            anyhow::ensure!(
                !concurrency.is_empty() && concurrency.iter().all(|c| (1..=256).contains(c)),
                "--concurrency must list levels between 1 and 256"
            );
            let db = server::open_database(&config)?;
            // the server child gets the same configuration and database
            let mut global_args: Vec<std::ffi::OsString> = Vec::new();
            if let Some(file) = &cli.config {
                global_args.push("--config".into());
                global_args.push(file.into());
            }
            if let Some(url) = &cli.database_url {
                global_args.push("--database-url".into());
                global_args.push(url.into());
            }
            let results = crate::bench::orders::checkout(
                db,
                &global_args,
                users,
                &concurrency,
                seconds,
                &mut |m| {
                    eprintln!(
                        "  {} concurrency {:>3}{}: {:>7.1} checkouts/s, p50 {:.1} ms, p99 {:.1} ms, {} errors",
                        m.backend,
                        m.concurrency,
                        if m.login { " with login" } else { "           " },
                        m.per_second(),
                        m.p50_ms,
                        m.p99_ms,
                        m.errors
                    );
                    for e in &m.first_errors {
                        eprintln!("    error: {e}");
                    }
                },
            )?;
            print!("{}", crate::bench::orders::checkout_table(&results));
            Ok(())
        }
        Command::Bench {
            command: BenchCommand::Mail { mails },
        } => {
            anyhow::ensure!(
                (1..=1_000_000).contains(&mails),
                "--mails must be 1 to 1000000"
            );
            let db = Db::connect(&config.database_url, 2)?;
            for version in crate::setup::migrate(&db, &config.deployment)? {
                eprintln!("applied {version}");
            }
            let mailer = crate::mail::mailer_from_config(&config).map_err(anyhow::Error::msg)?;
            let m = crate::bench::mail::mail(&db, &mailer, mails)?;
            print!("{}", crate::bench::mail::mail_table(&m));
            Ok(())
        }
        Command::Bench {
            command: BenchCommand::Close { orders, threads },
        } => {
            let threads = threads.unwrap_or(match config.database_url {
                crate::config::DatabaseUrl::Sqlite(_) => 1,
                crate::config::DatabaseUrl::Postgres(_) => 4,
            });
            anyhow::ensure!(
                (1..=1_000_000).contains(&orders) && (1..=32).contains(&threads),
                "--orders must be 1 to 1000000 and --threads 1 to 32"
            );
            let db = Db::connect(&config.database_url, threads as u32 + 1)?;
            for version in crate::setup::migrate(&db, &config.deployment)? {
                eprintln!("applied {version}");
            }
            let m = crate::bench::close::close(&db, orders, threads)?;
            eprintln!("closed cycle {}", m.cycle_id);
            print!("{}", crate::bench::close::close_table(&m));
            anyhow::ensure!(
                m.ledger_ok,
                "the ledger failed verification after the close"
            );
            Ok(())
        }
        Command::Bench {
            command:
                BenchCommand::OfficeData {
                    orders,
                    threads,
                    out,
                },
        } => {
            let threads = threads.unwrap_or(match config.database_url {
                crate::config::DatabaseUrl::Sqlite(_) => 1,
                crate::config::DatabaseUrl::Postgres(_) => 4,
            });
            anyhow::ensure!(
                (1..=100_000).contains(&orders) && (1..=32).contains(&threads),
                "--orders must be 1 to 100000 and --threads 1 to 32"
            );
            let db = Db::connect(&config.database_url, threads as u32 + 1)?;
            for version in crate::setup::migrate(&db, &config.deployment)? {
                eprintln!("applied {version}");
            }
            let mut file = crate::files::private(&out, false)
                .with_context(|| format!("creating {}", out.display()))?;
            let seeded = crate::bench::office::seed_office(&db, orders, threads, &mut file)?;
            eprintln!(
                "cycle {} with {orders} orders from {} customers ({:.1} s); pages and their \
                 session cookies in {} (owner-only: they are sessions)",
                seeded.cycle_id,
                seeded.customers,
                seeded.seed_seconds,
                out.display()
            );
            Ok(())
        }
        Command::Demo {
            command:
                DemoCommand::Load {
                    country,
                    force,
                    dir,
                    no_history,
                },
        } => {
            let chosen = country.demo();
            configured_for(&config, chosen)?;
            let db = server::open_database(&config)?;
            let mut conn = db.conn()?;
            let source = match &dir {
                Some(dir) => demo::Source::Dir(dir),
                None => demo::Source::Embedded,
            };
            let summary = if no_history {
                demo::load_without_history(&mut conn, chosen, source, force)?
            } else {
                demo::load(&mut conn, chosen, source, force)?
            };
            let deployment = chosen.deployment();
            println!(
                "demo loaded into {}: {summary}; deployment: legal currency {}, country {}",
                config.database_url,
                deployment.legal.code,
                deployment.country.code()
            );
            Ok(())
        }
    }
}

fn catalog(config: &Config, command: CatalogCommand) -> Result<()> {
    let db = server::open_database(config)?;
    let mut conn = db.conn()?;
    let producer_id = |conn: &mut crate::db::DbConn, key: &str| -> Result<String> {
        crate::enterprises::find_id(conn, key)?
            .ok_or_else(|| anyhow::anyhow!("no enterprise with slug or id `{key}`"))
    };
    match command {
        CatalogCommand::Import {
            file,
            producer,
            partial,
            dry_run,
        } => {
            let producer = producer_id(&mut conn, &producer)?;
            let input = std::fs::File::open(&file)
                .with_context(|| format!("opening {}", file.display()))?;
            let size = input.metadata().map(|m| m.len()).unwrap_or(0);
            let bar = indicatif::ProgressBar::new(size);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {bytes}/{total_bytes} {msg} ({elapsed})",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            let rules =
                crate::catalog::rules::CatalogRules::for_deployment(&mut conn, &config.catalog)
                    .map_err(anyhow::Error::msg)?;
            let options = crate::catalog::csv_io::ImportOptions { partial, dry_run };
            let report = crate::catalog::csv_io::import(
                &mut conn,
                &rules,
                &producer,
                std::io::BufReader::new(input),
                options,
                &mut |p| {
                    bar.set_position(p.bytes);
                    bar.set_message(format!("{} rows", p.rows));
                },
            )?;
            bar.finish_and_clear();
            for e in &report.errors {
                eprintln!(
                    "line {}, column {}: {} ({})",
                    e.line.unwrap_or(0),
                    e.field,
                    e.message,
                    e.code
                );
            }
            if report.errors_truncated {
                eprintln!(
                    "… more errors not listed (the first {} are)",
                    report.errors.len()
                );
            }
            println!(
                "{} rows: {} created, {} updated, {} rejected; {}",
                report.rows,
                report.created,
                report.updated,
                report.rejected,
                if report.written {
                    "changes saved"
                } else {
                    "nothing written"
                }
            );
            anyhow::ensure!(
                report.rejected == 0 || report.written,
                "{} rows are invalid: nothing was imported (fix them, or use --partial)",
                report.rejected
            );
            Ok(())
        }
        CatalogCommand::Export { producer, output } => {
            let producer = producer_id(&mut conn, &producer)?;
            let rows = match &output {
                Some(path) => {
                    let file = std::fs::File::create(path)
                        .with_context(|| format!("creating {}", path.display()))?;
                    let mut out = std::io::BufWriter::new(file);
                    crate::catalog::csv_io::export(&mut conn, &producer, &mut out)?
                }
                None => {
                    let stdout = std::io::stdout();
                    let mut out = std::io::BufWriter::new(stdout.lock());
                    crate::catalog::csv_io::export(&mut conn, &producer, &mut out)?
                }
            };
            eprintln!("{rows} variants exported");
            Ok(())
        }
    }
}

fn mail(config: &Config, command: MailCommand) -> Result<()> {
    let db = server::open_database(config)?;
    let mut conn = db.conn()?;
    match command {
        MailCommand::Status => {
            let s = crate::mail::outbox::status(&mut conn)?;
            println!(
                "{} pending ({} retrying after a failure), {} sent, {} failed",
                s.pending, s.retrying, s.sent, s.failed
            );
            for (id, to, template, attempts, error) in &s.recent_failures {
                println!("failed {id} {template} to {to} after {attempts} attempts: {error}");
            }
            Ok(())
        }
        MailCommand::Retry { id } => {
            let n = crate::mail::outbox::retry(&mut conn, id.as_deref())?;
            anyhow::ensure!(
                n > 0 || id.is_none(),
                "no failed mail with id `{}`",
                id.unwrap_or_default()
            );
            println!("{n} mail(s) queued again");
            Ok(())
        }
        MailCommand::Deliver => {
            let mailer = crate::mail::mailer_from_config(config).map_err(anyhow::Error::msg)?;
            let pass = mailer.deliver_due(&mut conn)?;
            println!(
                "{} sent, {} to retry, {} failed (via {})",
                pass.sent,
                pass.retrying,
                pass.failed,
                mailer.transport.describe()
            );
            Ok(())
        }
    }
}

/// A demo is made for its deployment: refuses one the configuration names another for
/// (`deployment.currency`, `deployment.country`), before any database is opened.
fn configured_for(config: &Config, chosen: demo::Demo) -> Result<()> {
    let wanted = chosen.deployment();
    let asked = &config.deployment;
    for (setting, value, demo_value) in [
        (
            "deployment.currency",
            asked.currency.as_deref(),
            wanted.legal.code.as_str(),
        ),
        (
            "deployment.country",
            asked.country.as_deref(),
            wanted.country.code(),
        ),
    ] {
        if let Some(value) = value.filter(|v| !v.eq_ignore_ascii_case(demo_value)) {
            anyhow::bail!(
                "{chosen} is a {} deployment in {}, but the configuration sets {setting} = \
                 \"{value}\": leave it unset, or load the demo that matches it",
                wanted.legal.code,
                wanted.country.code()
            );
        }
    }
    Ok(())
}

fn serve(config: &Config, load_demo: Option<demo::Demo>) -> Result<()> {
    let listener = server::bind(config)?;
    let db = server::open_database(config)?;
    if let Some(chosen) = load_demo {
        let mut conn = db.conn()?;
        if demo::is_empty(&mut conn)? {
            configured_for(config, chosen)?;
            let summary = demo::load(&mut conn, chosen, demo::Source::Embedded, false)?;
            let deployment = chosen.deployment();
            tracing::info!(
                %summary,
                demo = chosen.code(),
                legal_currency = %deployment.legal.code,
                country = deployment.country.code(),
                "demo marketplace loaded"
            );
        } else {
            tracing::warn!(
                "the database already holds data: demo not reloaded \
                 (`comptoir demo load --force` replaces it)"
            );
        }
    }
    let address = listener.local_addr().context("reading the bound address")?;
    tracing::info!(%address, database = %config.database_url, "Comptoir is serving");
    if crate::auth::admins::count(&mut db.conn()?)? == 0 {
        tracing::warn!(
            "no platform admin yet: nobody can create a currency association. On this \
             machine, run `comptoir admin create --email YOU@EXAMPLE.ORG` (add --link to \
             get a set-up link instead of typing a password)"
        );
    }
    let mailer = crate::mail::mailer_from_config(config).map_err(anyhow::Error::msg)?;
    let worker = crate::mail::delivery::Worker::spawn(
        db.clone(),
        mailer,
        std::time::Duration::from_secs(config.mail.poll_seconds),
    )
    .context("starting the mail worker")?;
    let served = actix_web::rt::System::new().block_on(async move {
        server::spawn_jobs(db.clone());
        server::spawn_odoo_sync(db.clone(), config);
        server::http_server(listener, db, config, None)?
            .await
            .context("HTTP server")
    });
    worker.stop();
    served
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

#[cfg(test)]
mod tests {
    use super::*;

    fn serve_demo(args: &[&str]) -> Result<Option<DemoCountry>, clap::Error> {
        let cli = Cli::try_parse_from(std::iter::once("comptoir").chain(args.iter().copied()))?;
        match cli.command {
            Command::Serve { demo, .. } => Ok(demo),
            other => panic!("not serve: {other:?}"),
        }
    }

    #[test]
    fn serve_demo_is_french_unless_told() {
        assert_eq!(serve_demo(&["serve"]).expect("serve"), None);
        assert_eq!(
            serve_demo(&["serve", "--demo"]).expect("--demo"),
            Some(DemoCountry::Fr)
        );
        assert_eq!(
            serve_demo(&["serve", "--demo", "--bind", "127.0.0.1:0"]).expect("--demo --bind"),
            Some(DemoCountry::Fr)
        );
        assert_eq!(
            serve_demo(&["serve", "--demo=fr"]).expect("--demo=fr"),
            Some(DemoCountry::Fr)
        );
        assert_eq!(
            serve_demo(&["serve", "--demo=ch"]).expect("--demo=ch"),
            Some(DemoCountry::Ch)
        );
        assert!(serve_demo(&["serve", "--demo=be"]).is_err());
        // the value is given with `=`: a word after `--demo` is not taken for it
        assert!(serve_demo(&["serve", "--demo", "ch"]).is_err());
    }

    #[test]
    fn demo_load_is_french_unless_told() {
        let country = |args: &[&str]| {
            let cli = Cli::try_parse_from(
                ["comptoir", "demo", "load"]
                    .into_iter()
                    .chain(args.iter().copied()),
            )
            .expect("parses");
            match cli.command {
                Command::Demo {
                    command: DemoCommand::Load { country, .. },
                } => country,
                other => panic!("not demo load: {other:?}"),
            }
        };
        assert_eq!(country(&[]), DemoCountry::Fr);
        assert_eq!(country(&["--country", "ch"]), DemoCountry::Ch);
        assert_eq!(country(&["--country=fr", "--force"]), DemoCountry::Fr);
        assert_eq!(DemoCountry::Ch.demo(), demo::Demo::Switzerland);
    }
}
