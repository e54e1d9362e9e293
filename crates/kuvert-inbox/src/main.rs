//! `kuvert-inbox`: run the inbox, or maintain its database.

#![forbid(unsafe_code)]

mod staff_cmd;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use kuvert_core::hex;
use kuvert_inbox::config::Config;
use kuvert_inbox::store::{AuditCheck, Store};
use kuvert_inbox::{AppState, app};
use sha2::{Digest, Sha256};

/// Kuvert's inbox: stores sealed bookings and runs the calendar. It never sees plaintext.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// The config file (every command but `token` reads it).
    #[arg(short, long, global = true, default_value = "kuvert-inbox.toml")]
    config: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (and the widget's static files, if `static_dir` is set).
    Serve,
    /// Check the config file and exit.
    Check,
    /// Print a new staff token, and the hash that goes into the config.
    Token,
    /// Write a consistent copy of the database (SQLite online backup, mode 0600).
    Backup {
        /// Keep the newest N backups in the folder TARGET (timestamped names; older ones are
        /// removed). Without it, TARGET is the file to write.
        #[arg(long, value_name = "N")]
        keep: Option<usize>,
        /// The backup file (must not exist), or with --keep the backup folder.
        target: PathBuf,
    },
    /// Restore the newest backup in DIR into a temporary copy and check it: integrity, the
    /// audit chain against its anchor, and that no erased booking comes back. Exit 0 or 1.
    RestoreDrill {
        /// The backup folder (as given to `backup --keep`).
        dir: PathBuf,
    },
    /// Replace the database's contents with a backup (stop the server first).
    Restore {
        /// The backup to restore.
        file: PathBuf,
    },
    /// Erase bookings past their retention now.
    Purge,
    /// Staff accounts: add the owner, invite, remove, list, make tokens.
    Staff {
        /// Act as if at this Unix time (tests: an invite made a day ago has expired).
        #[arg(long, hide = true)]
        at: Option<i64>,
        #[command(subcommand)]
        command: staff_cmd::StaffCommand,
    },
    /// Audit log tools.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the audit log's hash chain from its first record.
    Verify,
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn open(config: &std::path::Path) -> Result<(Config, Store), String> {
    let config = Config::load(config).map_err(|e| e.to_string())?;
    let store =
        Store::open(&config.database).map_err(|e| format!("{}: {e}", config.database.display()))?;
    Ok((config, store))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: finishing requests in flight");
}

async fn serve(config: PathBuf) -> Result<(), String> {
    let (config, store) = open(&config)?;
    let listen = config.listen;
    let interval = config.purge_interval_seconds;
    let state = AppState::new(config, store);
    state
        .purge()
        .await
        .map_err(|e| format!("retention purge failed: {e}"))?;
    let flusher = state.clone();
    tokio::spawn(async move {
        // Failed staff sign-ins are audited per address and minute; write each finished minute.
        let mut tick =
            tokio::time::interval(Duration::from_secs(kuvert_inbox::limit::WINDOW_SECS as u64));
        loop {
            tick.tick().await;
            let now = flusher.inner().clock.now();
            if let Err(e) = flusher.flush_auth_failures(now).await {
                tracing::error!(error = %e, "auditing failed sign-ins failed");
            }
        }
    });
    let purger = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(interval));
        tick.tick().await;
        loop {
            tick.tick().await;
            if let Err(e) = purger.purge().await {
                tracing::error!(error = %e, "retention purge failed");
            }
        }
    });
    let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| {
        format!(
            "cannot listen on {listen}: {e}\nfix: choose another `listen` address in the config"
        )
    })?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    tracing::info!(address = %local, "listening");
    println!("kuvert-inbox listening on http://{local}");
    axum::serve(
        listener,
        app(state.clone()).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .map_err(|e| e.to_string())?;
    // The minute in progress is audited too.
    let end = state.inner().clock.now() + kuvert_inbox::limit::WINDOW_SECS;
    state
        .flush_auth_failures(end)
        .await
        .map_err(|e| format!("auditing failed sign-ins failed: {e}"))
}

fn run(cli: Cli) -> Result<(), String> {
    let config = cli.config;
    match cli.command {
        Command::Serve => tokio::runtime::Runtime::new()
            .map_err(|e| e.to_string())?
            .block_on(serve(config)),
        Command::Check => {
            let c = Config::load(&config).map_err(|e| e.to_string())?;
            let accounts = match &c.accounts {
                Some(a) => format!(
                    "staff accounts on at {} (roles: owner{})",
                    a.origin,
                    a.roles.iter().map(|r| format!(", {r}")).collect::<String>()
                ),
                None => "staff accounts off".to_owned(),
            };
            println!(
                "{}: ok ({} form(s), {} staff token(s) in the config, {accounts})",
                config.display(),
                c.forms.len(),
                c.staff.len()
            );
            Ok(())
        }
        Command::Token => {
            let mut raw = [0u8; 32];
            getrandom::fill(&mut raw).map_err(|e| e.to_string())?;
            let token = format!("kvt_{}", hex(&raw));
            println!("token (give to the staff member; shown once): {token}");
            println!(
                "token_sha256 (put in the config under [[staff]]): {}",
                hex(&Sha256::digest(token.as_bytes()))
            );
            Ok(())
        }
        Command::Backup {
            keep: Some(keep),
            target,
        } => {
            let (_, store) = open(&config)?;
            let now_ms = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as i64);
            let path = kuvert_inbox::maintenance::backup_rotating(&store, &target, keep, now_ms)?;
            println!(
                "backed up to {} (keeping the newest {keep})",
                path.display()
            );
            Ok(())
        }
        Command::RestoreDrill { dir } => {
            let c = Config::load(&config).map_err(|e| e.to_string())?;
            let d = kuvert_inbox::maintenance::restore_drill(&c.database, &dir, unix_now())?;
            println!("restore drill of {}:", d.backup.display());
            println!(
                "  integrity check: {}",
                if d.integrity_ok { "ok" } else { "FAILED" }
            );
            println!("  audit log: {:?}", d.audit);
            println!(
                "  bookings: {}; erased since the backup: {} (erased again); past retention: {} (purged)",
                d.bookings, d.erased_since, d.expired
            );
            println!("  erased bookings that came back: {}", d.came_back);
            println!(
                "  staff removed since the backup: {} (removed again); came back: {}",
                d.removed_since, d.removed_came_back
            );
            if d.passed() {
                println!("restore drill passed");
                Ok(())
            } else {
                Err("restore drill FAILED: see above".into())
            }
        }
        Command::Backup {
            keep: None,
            target: file,
        } => {
            if file.exists() {
                return Err(format!("{} exists; choose a new file name", file.display()));
            }
            let (_, store) = open(&config)?;
            store.backup(&file).map_err(|e| e.to_string())?;
            println!("backed up to {}", file.display());
            Ok(())
        }
        Command::Restore { file } => {
            if !file.exists() {
                return Err(format!("{} does not exist", file.display()));
            }
            let (_, store) = open(&config)?;
            let r = store
                .restore(&file, unix_now(), "kuvert-inbox restore")
                .map_err(|e| e.to_string())?;
            println!(
                "restored from {}: {} booking(s); {} erased since the backup and erased again; {} staff removed since and removed again",
                file.display(),
                r.bookings,
                r.erased_again,
                r.removed_again
            );
            if r.audit_records_lost > 0 {
                eprintln!(
                    "warning: the replaced database had {} audit record(s) that the backup lacks; the restore is recorded in the audit log with where the old log ended",
                    r.audit_records_lost
                );
            }
            Ok(())
        }
        Command::Purge => {
            let (config, store) = open(&config)?;
            let _ = config;
            let n = store.purge(unix_now()).map_err(|e| e.to_string())?;
            println!("erased {n} booking(s) past retention");
            Ok(())
        }
        Command::Staff { at, command } => {
            let (c, store) = open(&config)?;
            staff_cmd::run(&c, &store, command, at.unwrap_or_else(unix_now))
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let (c, store) = open(&config)?;
            let anchor = kuvert_inbox::anchor::Anchor::key_path(&c.database);
            match store.verify_audit().map_err(|e| e.to_string())? {
                AuditCheck::Intact { records } => {
                    println!(
                        "audit log ok: {records} record(s), hash chain intact and ending at its anchored head"
                    );
                    Ok(())
                }
                AuditCheck::Broken { seq } => Err(format!(
                    "audit log broken at record {seq}: its hash or link does not match; the log was altered"
                )),
                AuditCheck::Cut { anchored, found } => Err(format!(
                    "audit log cut: it ends at record {found}, but its anchored head is record {anchored}; records were deleted, or an older copy of the database was put in place"
                )),
                AuditCheck::Diverged { anchored } => Err(format!(
                    "audit log rewritten: record {anchored} is not the one anchored; the log was altered from there on"
                )),
                AuditCheck::Unanchored { anchored, found } => Err(format!(
                    "audit log has records {}..{found} after its anchored head: a crash between writing and anchoring, or records added behind the inbox's back; the next staff action anchors them",
                    anchored + 1
                )),
                AuditCheck::NoHead { records } => Err(format!(
                    "audit log has {records} record(s) but no anchored head beside the database (keep {} and its .audit-head file with the database)",
                    anchor.display()
                )),
                _ => Err("audit log: unknown verification result".into()),
            }
        }
    }
}

fn main() -> ExitCode {
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("KUVERT_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .init();
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
