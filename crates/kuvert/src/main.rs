//! `kuvert`: the staff key tool. The only part of Kuvert that ever holds a private key.

#![forbid(unsafe_code)]

mod error;
mod fetch;
mod files;
mod grants;
mod keys;
mod open;
mod snippet;
mod text;

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use error::{CliError, EXIT_ERROR, EXIT_OK, EXIT_SOME_FAILED, Result};
use keys::Passphrase;

const AFTER_HELP: &str = "\
Exit status: 0 success; 1 error (nothing was written, or only what is reported);
2 wrong usage; 3 some bookings could not be opened (the others were written).";

/// Kuvert's staff key tool: make keys, print the page snippet, fetch and open bookings.
#[derive(Parser)]
#[command(name = "kuvert", version, about, after_help = AFTER_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct PassOpt {
    /// Read passphrases from the first line of FILE instead of asking on the terminal
    /// (automation; keep the file private).
    #[arg(long, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,
}

#[derive(Args, Clone)]
struct SnippetOpts {
    /// The inbox's URL, e.g. https://bookings.example.com
    #[arg(long)]
    inbox: Option<String>,
    /// The form id from the inbox config.
    #[arg(long)]
    form: Option<String>,
    /// Where the widget files (kuvert.js) are served; defaults to the inbox.
    #[arg(long)]
    widget: Option<String>,
    /// How the widget appears: inline, popup or button.
    #[arg(long, default_value = "inline")]
    mode: String,
    /// Language (en, nl, sv, de); default: the customer's browser language.
    #[arg(long)]
    lang: Option<String>,
    /// Hash this local copy of kuvert.js instead of the one the widget origin serves.
    #[arg(long, value_name = "FILE")]
    loader: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Make a new key, protected with a passphrase, and print its public key.
    Keygen {
        /// Write the key here (mode 0600; never overwritten). Default: standard output.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Write the key without a passphrase (anyone who can read the file can open bookings).
        #[arg(long)]
        unprotected: bool,
        #[command(flatten)]
        pass: PassOpt,
    },
    /// Print the public key(s) of a key file.
    Pubkey {
        /// The key file.
        #[arg(short, long = "identity")]
        identity: PathBuf,
        #[command(flatten)]
        pass: PassOpt,
    },
    /// Print the <script> tag for the business's page, with the loader's SRI hash and the keys.
    Snippet {
        /// Pin the public key(s) of this key file.
        #[arg(short = 'i', long = "identity")]
        identities: Vec<PathBuf>,
        /// Pin this public key (age1…); repeatable.
        #[arg(short = 'r', long = "recipient")]
        recipients: Vec<String>,
        #[command(flatten)]
        opts: SnippetOpts,
        #[command(flatten)]
        pass: PassOpt,
    },
    /// Download sealed bookings from the inbox as JSON Lines.
    Fetch {
        /// The inbox's URL.
        #[arg(long)]
        inbox: String,
        /// File holding the staff token.
        #[arg(long, value_name = "FILE")]
        token_file: PathBuf,
        /// Only bookings after this cursor (printed at the end of each fetch).
        #[arg(long)]
        since: Option<i64>,
        /// Append to this file (and resume after its last booking). Default: standard output.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Allow http:// to an inbox that is not on this machine (the token then travels in
        /// clear; only for a network you control).
        #[arg(long)]
        insecure: bool,
        /// Fetch your grants (role keys sealed to your personal key) instead of bookings, to
        /// use with `kuvert open --grants`; needs --output.
        #[arg(long, conflicts_with = "since")]
        grants: bool,
    },
    /// Grant a role: seal the role's key file to a person's public key (from the inbox) and
    /// upload it. Needs an owner's token with the manage scope.
    Grant {
        /// The inbox's URL.
        #[arg(long)]
        inbox: String,
        /// File holding an owner's token (scope manage).
        #[arg(long, value_name = "FILE")]
        token_file: PathBuf,
        /// The role, from the inbox's [accounts] roles.
        #[arg(long)]
        role: String,
        /// The person's name.
        #[arg(long)]
        to: String,
        /// The role's key file.
        #[arg(short = 'i', long = "identity")]
        identity: PathBuf,
        #[command(flatten)]
        pass: PassOpt,
        /// Allow http:// to an inbox that is not on this machine.
        #[arg(long)]
        insecure: bool,
    },
    /// Open sealed bookings and show them.
    Open {
        /// Key file(s): role keys, or your personal key with --grants; give old ones too after
        /// a rotation.
        #[arg(short = 'i', long = "identity", required = true)]
        identities: Vec<PathBuf>,
        /// Grants file from `kuvert fetch --grants`: opened with the -i key(s), and the role
        /// keys inside open the bookings.
        #[arg(long, value_name = "FILE")]
        grants: Option<PathBuf>,
        /// Envelopes: one JSON, or JSON Lines from `kuvert fetch`. `-` or nothing: standard input.
        input: Option<PathBuf>,
        /// The form's schema (JSON, or the inbox's answer to GET /v1/forms/ID), to re-check
        /// each opened booking against its form exactly as the widget checks; repeatable, one
        /// per form. Without it, bookings are checked against the field catalogue only.
        #[arg(long = "schema", value_name = "FILE")]
        schemas: Vec<PathBuf>,
        /// Output format; default: table on a terminal, JSON Lines otherwise.
        #[arg(long, value_enum)]
        format: Option<open::Format>,
        /// Write here instead of standard output.
        #[arg(short, long)]
        output: Option<PathBuf>,
        #[command(flatten)]
        pass: PassOpt,
    },
    /// Make a new key and print the snippet for it; old bookings keep opening with the old key.
    Rotate {
        /// The current key file.
        #[arg(short = 'i', long = "identity")]
        identity: PathBuf,
        /// Where to write the new key (never overwritten).
        #[arg(short, long)]
        output: PathBuf,
        /// List the old key too in the snippet, during a transition.
        #[arg(long)]
        keep_old: bool,
        #[command(flatten)]
        opts: SnippetOpts,
        #[command(flatten)]
        pass: PassOpt,
    },
    /// Write each sealed part as DIR/<reference>.age, to open with the standard `age` tool.
    ExportAge {
        /// Envelopes (as for `open`).
        input: Option<PathBuf>,
        /// The folder to write into.
        #[arg(short, long)]
        output: PathBuf,
    },
}

fn read_input(input: Option<&Path>) -> Result<String> {
    match input {
        Some(p) if p != Path::new("-") => {
            std::fs::read_to_string(p).map_err(|e| error::read_error(p, &e))
        }
        _ => {
            let mut s = String::new();
            std::io::stdin().read_to_string(&mut s).map_err(|e| {
                CliError::new(
                    format!("cannot read standard input: {e}"),
                    "pipe envelopes in, or give a file",
                )
            })?;
            Ok(s)
        }
    }
}

fn progress(len: Option<u64>) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    match len {
        Some(n) => indicatif::ProgressBar::new(n),
        None => indicatif::ProgressBar::new_spinner(),
    }
}

fn output(path: Option<&Path>, append: bool) -> Result<Box<dyn Write>> {
    match path {
        None => Ok(Box::new(std::io::stdout().lock())),
        Some(p) => {
            // Opened bookings are plaintext; fetched records are not, but stay private too.
            let f = if append {
                files::append_private(p)
            } else {
                files::create_private(p)
            };
            let f = f.map_err(|e| match e.kind() {
                std::io::ErrorKind::AlreadyExists => CliError::new(
                    format!("{} already exists", p.display()),
                    "choose a new file name; kuvert does not overwrite",
                ),
                _ => CliError::new(
                    format!("cannot create {}: {e}", p.display()),
                    "check the folder exists and is writable",
                ),
            })?;
            Ok(Box::new(std::io::BufWriter::new(f)))
        }
    }
}

fn snippet_text(opts: &SnippetOpts, recipients: &[String]) -> Result<String> {
    let inbox = opts.inbox.as_deref().ok_or_else(|| {
        CliError::new(
            "--inbox is missing",
            "give the inbox URL, e.g. --inbox https://bookings.example.com",
        )
    })?;
    let form = opts
        .form
        .as_deref()
        .ok_or_else(|| CliError::new("--form is missing", "give the form id, e.g. --form salon"))?;
    let widget = opts.widget.as_deref().unwrap_or(inbox);
    let loader = snippet::loader_bytes(widget, opts.loader.as_deref())?;
    snippet::render(
        &snippet::Snippet {
            widget,
            inbox,
            form,
            recipients,
            mode: &opts.mode,
            lang: opts.lang.as_deref(),
        },
        &snippet::sri(&loader),
    )
}

fn keygen(output: Option<&Path>, unprotected: bool, pass: &Passphrase) -> Result<String> {
    if let Some(path) = output
        && path.exists()
    {
        // Checked again atomically when writing; this only spares typing a passphrase in vain.
        return Err(CliError::new(
            format!("{} already exists", path.display()),
            "kuvert never overwrites a key file: choose another name, or move the old file away first",
        ));
    }
    if unprotected && output.is_none() {
        // On a terminal it would be on screen (and in scrollback); redirected, it would land
        // in a file with the umask's permissions, readable by others.
        return Err(CliError::new(
            "refusing to write an unprotected secret key to standard output",
            "write it to a file with -o FILE (created with mode 0600)",
        ));
    }
    let key = keys::generate();
    let contents = if unprotected {
        eprintln!(
            "warning: writing an UNPROTECTED key: anyone who can read it can open every booking sealed to it."
        );
        key.plain.as_bytes().to_vec()
    } else {
        let passphrase = pass.ask_new()?;
        keys::protect(&key.plain, passphrase, keys::tuned_work_factor())?
    };
    match output {
        Some(path) => {
            keys::write_new_file(path, &contents)?;
            eprintln!(
                "Wrote the key to {}. Keep a backup: bookings cannot be opened without it.",
                path.display()
            );
        }
        None => {
            std::io::stdout()
                .write_all(&contents)
                .map_err(|e| CliError::new(format!("cannot write the key: {e}"), "use -o FILE"))?;
        }
    }
    Ok(key.recipient)
}

fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Keygen {
            output,
            unprotected,
            pass,
        } => {
            let recipient = keygen(
                output.as_deref(),
                unprotected,
                &Passphrase::from_option(pass.passphrase_file),
            )?;
            if output.is_some() {
                println!("{recipient}");
            } else {
                eprintln!("Public key: {recipient}");
            }
        }
        Command::Pubkey { identity, pass } => {
            for r in keys::recipients_of(&keys::load(
                &identity,
                &Passphrase::from_option(pass.passphrase_file),
            )?) {
                println!("{r}");
            }
        }
        Command::Snippet {
            identities,
            recipients,
            opts,
            pass,
        } => {
            let pass = Passphrase::from_option(pass.passphrase_file);
            let mut all = Vec::new();
            for path in &identities {
                all.extend(keys::recipients_of(&keys::load(path, &pass)?));
            }
            all.extend(
                keys::parse_recipients(&recipients)?
                    .iter()
                    .map(ToString::to_string),
            );
            print!("{}", snippet_text(&opts, &all)?);
        }
        Command::Fetch {
            inbox,
            token_file,
            since: _,
            output: out,
            insecure,
            grants: true,
        } => {
            fetch::check_transport(&inbox, insecure)?;
            let Some(path) = out else {
                return Err(CliError::new(
                    "--grants needs --output FILE",
                    "write the grants to a file: kuvert fetch --grants -o grants.json",
                ));
            };
            let body = grants::fetch_grants(&inbox, &token_file)?;
            keys::write_new_file(&path, body.as_bytes())?;
            eprintln!("Wrote your grants to {}", path.display());
        }
        Command::Grant {
            inbox,
            token_file,
            role,
            to,
            identity,
            pass,
            insecure,
        } => {
            fetch::check_transport(&inbox, insecure)?;
            let role_keys = keys::load(&identity, &Passphrase::from_option(pass.passphrase_file))?;
            grants::grant(&inbox, &token_file, &role, &to, &role_keys)?;
            eprintln!(
                "{}",
                text::terminal_safe(&format!(
                    "Granted {role} to {to}: their next sign-in opens its bookings"
                ))
            );
        }
        Command::Fetch {
            inbox,
            token_file,
            since,
            output: out,
            insecure,
            grants: false,
        } => {
            fetch::check_transport(&inbox, insecure)?;
            let since = since
                .or_else(|| out.as_deref().and_then(fetch::last_cursor))
                .unwrap_or(0);
            let mut writer = output(out.as_deref(), true)?;
            let bar = progress(None);
            let (n, next) = fetch::fetch(&inbox, &token_file, since, &mut writer, &bar)?;
            bar.finish_and_clear();
            eprintln!("Fetched {n} booking(s). Next time: kuvert fetch --since {next}");
        }
        Command::Open {
            identities,
            grants: grants_file,
            input,
            schemas,
            format,
            output: out,
            pass,
        } => {
            let mut by_form = open::Schemas::new();
            for path in &schemas {
                let schema = open::load_schema(path)?;
                by_form.insert(schema.id.clone(), schema);
            }
            let pass = Passphrase::from_option(pass.passphrase_file);
            let mut ids: Vec<kuvert_core::open::Identity> = Vec::new();
            let mut loaded = Vec::new();
            for path in &identities {
                loaded.extend(keys::load(path, &pass)?);
            }
            if let Some(path) = &grants_file {
                loaded = grants::open_grants(path, &loaded)?;
            }
            ids.extend(
                loaded
                    .into_iter()
                    .map(|i| Box::new(i) as kuvert_core::open::Identity),
            );
            let records = open::records(&read_input(input.as_deref())?)?;
            let bar = progress(Some(records.len() as u64));
            let results = open::open_all(records, &ids, &by_form, &bar);
            bar.finish_and_clear();
            let mut opened: Vec<open::Opened> = Vec::new();
            let mut failed = 0;
            for r in results {
                match r {
                    Ok(o) => opened.push(o),
                    Err((label, e)) => {
                        failed += 1;
                        // Messages can quote the input (a serde error names an unknown key).
                        eprintln!(
                            "{}",
                            text::terminal_safe(&format!(
                                "error: booking {label}: {e} [{}]",
                                e.code()
                            ))
                        );
                    }
                }
            }
            let unchecked: std::collections::BTreeSet<&str> = opened
                .iter()
                .map(|o| o.booking.form.as_str())
                .filter(|f| !by_form.contains_key(*f))
                .collect();
            for form in unchecked {
                eprintln!(
                    "note: form {form}: checked against the field catalogue only; for the form's own rules add --schema FILE (save it with: curl https://INBOX/v1/forms/{form})"
                );
            }
            let format = format.unwrap_or(if out.is_none() && std::io::stdout().is_terminal() {
                open::Format::Table
            } else {
                open::Format::Json
            });
            let mut writer = output(out.as_deref(), false)?;
            open::write(&opened, format, &mut writer).map_err(|e| {
                CliError::new(format!("cannot write the output: {e}"), "check free space")
            })?;
            if failed > 0 {
                if opened.is_empty() {
                    eprintln!(
                        "hint: no booking could be opened; check that -i names the key they were sealed to (give old keys too after a rotation)"
                    );
                } else {
                    eprintln!(
                        "hint: {failed} booking(s) could not be opened; the other {} were written",
                        opened.len()
                    );
                }
                return Ok(EXIT_SOME_FAILED);
            }
        }
        Command::Rotate {
            identity,
            output: new_file,
            keep_old,
            opts,
            pass,
        } => {
            let pass = Passphrase::from_option(pass.passphrase_file);
            let old = keys::recipients_of(&keys::load(&identity, &pass)?);
            let protected = keys::file_is_protected(&identity)?;
            let new = keygen(Some(&new_file), !protected, &pass)?;
            println!("New public key: {new}");
            let mut pinned = vec![new];
            if keep_old {
                pinned.extend(old);
            }
            if opts.inbox.is_some() || opts.form.is_some() {
                println!("\nPut this on your page (it replaces the old snippet):\n");
                print!("{}", snippet_text(&opts, &pinned)?);
            } else {
                println!(
                    "Next: kuvert snippet -i {} --inbox URL --form ID, and update your page.",
                    new_file.display()
                );
            }
            println!(
                "Keep {} to open bookings made before the change.",
                identity.display()
            );
        }
        Command::ExportAge { input, output: dir } => {
            let records = open::records(&read_input(input.as_deref())?)?;
            let (n, failed) = open::export_age(records, &dir)?;
            for f in &failed {
                eprintln!("{f}");
            }
            eprintln!(
                "Wrote {n} file(s) to {}. Open one with: age -d -i KEYFILE {}/REFERENCE.age",
                dir.display(),
                dir.display()
            );
            if !failed.is_empty() {
                return Ok(EXIT_SOME_FAILED);
            }
        }
    }
    Ok(EXIT_OK)
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}
