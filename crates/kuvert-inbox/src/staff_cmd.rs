//! `kuvert-inbox staff …`: the owner's first steps and the access review from the server's
//! shell. Every change is audited, with `kuvert-inbox staff` as the actor.

use std::collections::BTreeSet;

use clap::Subcommand;
use kuvert_inbox::api::directory::{enrol_link, invite_person, review_row};
use kuvert_inbox::config::{Config, Scope};
use kuvert_inbox::people::{OWNER, Secret, is_valid_name};
use kuvert_inbox::store::{AuditEntry, Store, rfc3339};

/// What `staff` does.
#[derive(Subcommand)]
pub enum StaffCommand {
    /// Make the owner (manages people, grants and forms) and print their enrolment link.
    AddOwner {
        /// The owner's name.
        name: String,
    },
    /// Invite someone: prints a one-time enrolment link.
    Invite {
        /// Their name.
        name: String,
        /// A role from `[accounts] roles` (repeat for more).
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
    },
    /// Remove someone at once: their sessions, tokens, passkeys and grants end.
    Remove {
        /// Their name.
        name: String,
    },
    /// The access review: roles, passkeys, last sign-in, grants and tokens of everyone.
    List,
    /// Make a token for automation or the key tool, owned by one person.
    Token {
        /// Whose.
        name: String,
        /// read, erase, metrics, or manage (owners only); repeat for more.
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        /// How long it works: e.g. 90d, 12h (at most 365d).
        #[arg(long, default_value = "90d")]
        expires: String,
    },
}

const ACTOR: &str = "kuvert-inbox staff";

fn audit(store: &Store, now: i64, action: &str, target: &str) -> Result<(), String> {
    store
        .audit(&AuditEntry {
            time: now,
            actor: ACTOR,
            action,
            target,
            outcome: "ok",
        })
        .map_err(|e| e.to_string())
}

/// Parses `90d` / `12h` into seconds.
fn parse_duration(s: &str) -> Result<i64, String> {
    let bad = || format!("`{s}` is not a duration; write e.g. 90d or 12h (at most 365d)");
    let (n, unit) = s.split_at(s.len().saturating_sub(1));
    let n: i64 = n.parse().map_err(|_| bad())?;
    let secs = match unit {
        "d" => n * 86_400,
        "h" => n * 3_600,
        _ => return Err(bad()),
    };
    if secs <= 0 || secs > 365 * 86_400 {
        return Err(bad());
    }
    Ok(secs)
}

fn check_name(name: &str) -> Result<(), String> {
    if is_valid_name(name) {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a usable name: use 1-64 letters, digits, spaces and .-_' with no space at either end"
        ))
    }
}

/// Runs one `staff` command.
pub fn run(config: &Config, store: &Store, cmd: StaffCommand, now: i64) -> Result<(), String> {
    let accounts = config.accounts.as_ref().ok_or(
        "staff accounts are off: add an [accounts] section with public_url (and roles) to the config; see the README's \"Run it in production\"",
    )?;
    match cmd {
        StaffCommand::AddOwner { name } | StaffCommand::Invite { name, .. }
            if check_name(&name).is_err() =>
        {
            check_name(&name)
        }
        StaffCommand::AddOwner { name } => {
            if store
                .review()
                .map_err(|e| e.to_string())?
                .iter()
                .any(|r| r.person.has_role(OWNER))
            {
                return Err(
                    "there is an owner already; the owner invites further people (staff invite)"
                        .into(),
                );
            }
            let roles = BTreeSet::from([OWNER.to_owned()]);
            print_invite(store, config, &name, &roles, now, "add_owner")
        }
        StaffCommand::Invite { name, roles } => {
            let mut set = BTreeSet::new();
            for r in roles {
                if r != OWNER && !accounts.roles.contains(&r) {
                    let known: Vec<&str> = accounts.roles.iter().map(String::as_str).collect();
                    return Err(format!(
                        "`{r}` is not a role of this inbox; use one of: owner, {} (or add it to [accounts] roles)",
                        known.join(", ")
                    ));
                }
                set.insert(r);
            }
            print_invite(store, config, &name, &set, now, "invite")
        }
        StaffCommand::Remove { name } => {
            if !store.remove_person(&name).map_err(|e| e.to_string())? {
                return Err(format!("no person named `{name}` (see `staff list`)"));
            }
            audit(store, now, "remove", &name)?;
            println!("removed {name}: their sessions, tokens, passkeys and grants have ended");
            Ok(())
        }
        StaffCommand::List => {
            let rows = store.review().map_err(|e| e.to_string())?;
            audit(store, now, "review", &rows.len().to_string())?;
            if rows.is_empty() {
                println!("no staff accounts yet; start with `kuvert-inbox staff add-owner NAME`");
            }
            for row in rows {
                let r = review_row(row);
                println!("{} ({}): roles {}", r.name, r.state, r.roles.join(", "));
                println!(
                    "  passkeys: {}; last sign-in: {}",
                    r.passkeys.len(),
                    r.last_sign_in.as_deref().unwrap_or("never")
                );
                println!(
                    "  grants: {}",
                    if r.grants.is_empty() {
                        "none".to_owned()
                    } else {
                        r.grants.join(", ")
                    }
                );
                for t in &r.tokens {
                    println!(
                        "  token [{}] made {}, expires {}, last used {}",
                        t.scopes.join(" "),
                        t.created,
                        t.expires,
                        t.last_used.as_deref().unwrap_or("never")
                    );
                }
            }
            Ok(())
        }
        StaffCommand::Token {
            name,
            scopes,
            expires,
        } => {
            let secs = parse_duration(&expires)?;
            let person = store
                .person(&name)
                .map_err(|e| e.to_string())?
                .filter(|p| p.state == kuvert_inbox::people::PersonState::Active)
                .ok_or(format!(
                    "no enrolled person named `{name}`: they enrol from their link first (see `staff list`)"
                ))?;
            let mut set = BTreeSet::new();
            for s in &scopes {
                match Scope::parse(s) {
                    Some(Scope::Manage) if !person.has_role(OWNER) => {
                        return Err(format!("`manage` is for owners; {name} is not one"));
                    }
                    Some(scope) => {
                        set.insert(scope);
                    }
                    None => {
                        return Err(format!(
                            "`{s}` is not a scope; use read, erase, metrics or manage"
                        ));
                    }
                }
            }
            let (secret, hash) = Secret::generate().map_err(|e| e.to_string())?;
            store
                .add_token(person.id, &hash, &set, now, now + secs)
                .map_err(|e| e.to_string())?;
            let text: Vec<&str> = set.iter().map(|s| s.as_str()).collect();
            audit(store, now, "token", &format!("{name} {}", text.join(" ")))?;
            println!(
                "token for {name} [{}], expires {} (shown once; use it as KUVERT_TOKEN):",
                text.join(" "),
                rfc3339(now + secs)
            );
            println!("{}", secret.expose());
            Ok(())
        }
    }
}

fn print_invite(
    store: &Store,
    config: &Config,
    name: &str,
    roles: &BTreeSet<String>,
    now: i64,
    action: &str,
) -> Result<(), String> {
    let accounts = config.accounts.as_ref().ok_or("staff accounts are off")?;
    let Some((person, secret, expires)) =
        invite_person(store, accounts, name, roles, now).map_err(|e| e.to_string())?
    else {
        return Err(format!(
            "someone is named `{name}` already (see `staff list`)"
        ));
    };
    audit(store, now, action, &person.name)?;
    println!(
        "enrolment link for {} (one use, expires {}); open it in their browser:",
        person.name,
        rfc3339(expires)
    );
    println!("{}", enrol_link(accounts, &secret));
    Ok(())
}
