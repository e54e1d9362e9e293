//! The inbox's one config file (TOML), validated at start: every problem names its key and fix.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use jiff::civil::Date;
use jiff::tz::TimeZone;
use kuvert_core::FormSchema;
use serde::Deserialize;

/// Weekday keys in `hours`, Monday first.
pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    listen: String,
    database: PathBuf,
    time_zone: String,
    #[serde(default)]
    allowed_origins: Vec<String>,
    #[serde(default)]
    static_dir: Option<PathBuf>,
    #[serde(default = "default_purge_interval")]
    purge_interval_seconds: u64,
    #[serde(default)]
    default_retention_days: Option<u32>,
    #[serde(default)]
    trust_forwarded_for: bool,
    #[serde(default)]
    rate_limits: RawLimits,
    #[serde(default)]
    staff: Vec<RawStaff>,
    #[serde(default)]
    accounts: Option<RawAccounts>,
    forms: Vec<RawForm>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAccounts {
    public_url: String,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default = "default_idle_minutes")]
    session_idle_minutes: u32,
    #[serde(default = "default_session_hours")]
    session_max_hours: u32,
    #[serde(default = "default_invite_hours")]
    invite_hours: u32,
    #[serde(default = "default_person_failures")]
    failures_per_person_per_minute: u32,
}

fn default_idle_minutes() -> u32 {
    15
}
fn default_session_hours() -> u32 {
    12
}
fn default_invite_hours() -> u32 {
    24
}
fn default_person_failures() -> u32 {
    5
}

fn default_purge_interval() -> u64 {
    3600
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    #[serde(default = "default_bookings_per_minute")]
    bookings_per_minute: u32,
    #[serde(default = "default_cancels_per_hour")]
    cancel_attempts_per_hour: u32,
    #[serde(default = "default_auth_failures_per_minute")]
    staff_auth_failures_per_minute: u32,
}

impl Default for RawLimits {
    fn default() -> Self {
        RawLimits {
            bookings_per_minute: default_bookings_per_minute(),
            cancel_attempts_per_hour: default_cancels_per_hour(),
            staff_auth_failures_per_minute: default_auth_failures_per_minute(),
        }
    }
}

fn default_auth_failures_per_minute() -> u32 {
    10
}

fn default_bookings_per_minute() -> u32 {
    20
}
fn default_cancels_per_hour() -> u32 {
    10
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStaff {
    name: String,
    token_sha256: String,
    #[serde(default = "default_scopes")]
    scopes: Vec<String>,
}

/// A config token without `scopes` only reads (issue 21): erasing and metrics are asked for
/// by name, and people with accounts get account tokens instead.
fn default_scopes() -> Vec<String> {
    vec!["read".into()]
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawForm {
    #[serde(default)]
    schema_file: Option<PathBuf>,
    #[serde(default)]
    recipients: Option<Vec<String>>,
    #[serde(default)]
    schema: Option<serde_json::Value>,
    #[serde(default)]
    services: BTreeMap<String, RawCalendar>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCalendar {
    hours: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    slot_minutes: Option<u32>,
    #[serde(default)]
    capacity: Option<u32>,
    #[serde(default)]
    blackout: Vec<String>,
    #[serde(default = "default_horizon")]
    horizon_days: u32,
    #[serde(default = "default_notice")]
    min_notice_minutes: u32,
}

fn default_horizon() -> u32 {
    60
}
fn default_notice() -> u32 {
    60
}

/// A validated config.
#[derive(Clone, Debug)]
pub struct Config {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// SQLite database file.
    pub database: PathBuf,
    /// The business's time zone name (IANA).
    pub time_zone_name: String,
    /// The business's time zone.
    pub time_zone: TimeZone,
    /// Host-page origins: allowed to embed the frame, and to call the public API (CORS).
    pub allowed_origins: Vec<String>,
    /// Folder of the widget's static files; `None` runs API-only.
    pub static_dir: Option<PathBuf>,
    /// Seconds between retention purges.
    pub purge_interval_seconds: u64,
    /// Whether to take the client address from `X-Forwarded-For` (behind a trusted proxy only).
    pub trust_forwarded_for: bool,
    /// New bookings per client address per minute.
    pub bookings_per_minute: u32,
    /// Cancellation attempts per client address per hour.
    pub cancel_attempts_per_hour: u32,
    /// Failed staff authentications per client address per minute before answering 429.
    pub staff_auth_failures_per_minute: u32,
    /// Staff who may use the staff API with a token from this file.
    pub staff: Vec<Staff>,
    /// Staff accounts with passkeys (`[accounts]`); `None` turns them off.
    pub accounts: Option<Accounts>,
    /// Forms by id.
    pub forms: BTreeMap<String, Form>,
}

/// Most roles besides `owner`.
pub const MAX_ROLES: usize = 8;

/// Staff accounts: where staff browsers reach the inbox, the roles, and how long sessions and
/// invites live.
#[derive(Clone, Debug)]
pub struct Accounts {
    /// The inbox's origin as staff browsers see it (`https://inbox.example`). Passkeys are
    /// bound to its host, and state-changing staff requests must come from it (`Origin`).
    pub origin: String,
    /// The WebAuthn relying party id: the origin's host.
    pub rp_id: String,
    /// Roles people can hold besides `owner` (the forms' audiences).
    pub roles: BTreeSet<String>,
    /// Session lifetimes.
    pub session: crate::people::SessionLimits,
    /// Seconds an invite stays valid.
    pub invite_secs: i64,
    /// Failed sign-ins per person per minute before answering 429.
    pub failures_per_person_per_minute: u32,
}

impl Accounts {
    /// Whether the session cookie gets `Secure`: always, except for a plain-HTTP loopback
    /// origin (the demo), where browsers would drop it.
    pub fn secure_cookie(&self) -> bool {
        self.origin.starts_with("https://")
    }
}

/// Whether `id` can name a role: 1 to 32 of `a-z`, `0-9` and `-`, starting with a letter.
pub fn is_role_id(id: &str) -> bool {
    (1..=32).contains(&id.len())
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn origin_host(origin: &str) -> &str {
    let rest = origin.split_once("://").map_or(origin, |(_, r)| r);
    match rest.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(v6),
        None => rest.rsplit_once(':').map_or(rest, |(h, _)| h),
    }
}

/// One staff member's API token, stored as its SHA-256.
#[derive(Clone, Debug)]
pub struct Staff {
    /// Who this is, for the audit log.
    pub name: String,
    /// SHA-256 of the bearer token.
    pub token_sha256: [u8; 32],
    /// What the token may do.
    pub scopes: BTreeSet<Scope>,
}

/// What a staff token may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Scope {
    /// List, fetch and export sealed bookings.
    Read,
    /// Erase bookings.
    Erase,
    /// Read `/metrics` (booking volume and timing).
    Metrics,
    /// Manage people and grants (owners only; `kuvert grant` uses it).
    Manage,
}

impl Scope {
    /// Parses a scope's config name.
    pub fn parse(s: &str) -> Option<Scope> {
        match s {
            "read" => Some(Scope::Read),
            "erase" => Some(Scope::Erase),
            "metrics" => Some(Scope::Metrics),
            "manage" => Some(Scope::Manage),
            _ => None,
        }
    }

    /// Its name in the config, the CLI and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Erase => "erase",
            Scope::Metrics => "metrics",
            Scope::Manage => "manage",
        }
    }
}

/// Whether `o` is an origin exactly as browsers send it: `http(s)://host[:port]`, with a
/// lower-case DNS name, an IPv4 address or a bracketed IPv6 address, an optional port
/// 1-65535, and nothing else (no path, wildcard, user info, space or control character).
/// It goes into the frame's CSP and the CORS list, so anything looser could break the
/// header or widen who may embed the frame.
pub fn is_origin(o: &str) -> bool {
    let Some(rest) = o
        .strip_prefix("https://")
        .or_else(|| o.strip_prefix("http://"))
    else {
        return false;
    };
    let (host, port) = match rest.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((addr, after)) if addr.parse::<std::net::Ipv6Addr>().is_ok() => (None, after),
            _ => return false,
        },
        None => {
            let end = rest.find(':').unwrap_or(rest.len());
            (Some(&rest[..end]), &rest[end..])
        }
    };
    let port_ok = match port.strip_prefix(':') {
        _ if port.is_empty() => true,
        Some(p) => {
            !p.is_empty()
                && p.len() <= 5
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.parse::<u32>().is_ok_and(|n| (1..=65535).contains(&n))
        }
        None => false,
    };
    let host_ok = host.is_none_or(|h| {
        h.len() <= 253
            && h.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            })
    });
    port_ok && host_ok
}

/// A form and its calendar.
#[derive(Clone, Debug)]
pub struct Form {
    /// The form schema (served to the widget).
    pub schema: FormSchema,
    /// The public keys bookings are sealed to (`age1…`, as written): the second pin. The
    /// widget seals only when the snippet's keys are these.
    pub recipients: Vec<String>,
    /// Calendar per service id.
    pub services: BTreeMap<String, Calendar>,
}

/// When one service can be booked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Calendar {
    /// Appointment length, minutes (from the schema).
    pub duration_minutes: u32,
    /// Minutes between slot starts.
    pub slot_minutes: u32,
    /// Bookings per slot.
    pub capacity: u32,
    /// Opening intervals per weekday (Monday first), minutes after midnight, local time.
    pub hours: [Vec<(u32, u32)>; 7],
    /// Days closed.
    pub blackout: BTreeSet<Date>,
    /// How far ahead bookings are taken, days.
    pub horizon_days: u32,
    /// How soon before the start bookings close, minutes.
    pub min_notice_minutes: u32,
}

/// Why a config was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}\nfix: check the path given with --config")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Not valid TOML of the config's shape.
    #[error("{path}: {message}")]
    Syntax {
        /// The file.
        path: String,
        /// The parser's message, with line and key.
        message: String,
    },
    /// Breaks one or more rules.
    #[error("{path} has {} problem(s):\n{}", problems.len(), problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid {
        /// The file.
        path: String,
        /// Each problem with its key and fix.
        problems: Vec<String>,
    },
}

fn parse_hhmm(s: &str) -> Option<u32> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h <= 24 && m < 60 && h * 60 + m <= 24 * 60).then_some(h * 60 + m)
}

/// Parses `"09:00-12:30"` into minutes after midnight.
pub fn parse_interval(s: &str) -> Option<(u32, u32)> {
    let (a, b) = s.split_once('-')?;
    let (a, b) = (parse_hhmm(a.trim())?, parse_hhmm(b.trim())?);
    (a < b).then_some((a, b))
}

impl Config {
    /// Reads and validates a config file. Relative paths inside are relative to its folder.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Config::from_toml(&text, base, &path.display().to_string())
    }

    /// Parses and validates config text; `base` resolves relative paths, `name` labels errors.
    pub fn from_toml(text: &str, base: &Path, name: &str) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Syntax {
            path: name.to_owned(),
            message: e.to_string(),
        })?;
        let mut problems = Vec::new();
        let mut problem = |key: &str, what: String, fix: &str| {
            problems.push(format!("{key}: {what}; fix: {fix}"))
        };

        let listen = raw.listen.parse().unwrap_or_else(|_| {
            problem(
                "listen",
                format!("`{}` is not an address", raw.listen),
                "write host:port, e.g. \"127.0.0.1:8787\"",
            );
            SocketAddr::from(([127, 0, 0, 1], 0))
        });
        let time_zone = TimeZone::get(&raw.time_zone).unwrap_or_else(|_| {
            problem(
                "time_zone",
                format!("`{}` is not a known time zone", raw.time_zone),
                "use an IANA name such as \"Europe/Stockholm\"",
            );
            TimeZone::UTC
        });
        for (i, o) in raw.allowed_origins.iter().enumerate() {
            if !is_origin(o) {
                problem(
                    &format!("allowed_origins[{i}]"),
                    format!("`{}` is not an origin", o.escape_debug()),
                    "write scheme://host[:port] without a path, e.g. \"https://salon.example\"",
                );
            }
        }
        if raw.purge_interval_seconds == 0 || raw.purge_interval_seconds > 86_400 {
            problem(
                "purge_interval_seconds",
                format!("{} is out of range", raw.purge_interval_seconds),
                "use 1 to 86400 seconds",
            );
        }
        if let Some(days) = raw.default_retention_days
            && !kuvert_core::schema::RETENTION_DAYS.contains(&days)
        {
            problem(
                "default_retention_days",
                format!("{days} is out of range"),
                "keep bookings 1 to 3650 days after the appointment",
            );
        }
        if raw.rate_limits.bookings_per_minute == 0 {
            problem(
                "rate_limits.bookings_per_minute",
                "must be at least 1".into(),
                "use e.g. 20",
            );
        }
        if raw.rate_limits.staff_auth_failures_per_minute == 0 {
            problem(
                "rate_limits.staff_auth_failures_per_minute",
                "must be at least 1".into(),
                "use e.g. 10",
            );
        }
        if raw.rate_limits.cancel_attempts_per_hour == 0 {
            problem(
                "rate_limits.cancel_attempts_per_hour",
                "must be at least 1".into(),
                "use e.g. 10",
            );
        }

        let mut staff = Vec::new();
        for (i, s) in raw.staff.iter().enumerate() {
            let hash = decode_hex32(&s.token_sha256);
            if s.name.trim().is_empty() {
                problem(
                    &format!("staff[{i}].name"),
                    "must not be empty".into(),
                    "name the person or role, for the audit log",
                );
            }
            let mut scopes = BTreeSet::new();
            for (j, name) in s.scopes.iter().enumerate() {
                match Scope::parse(name) {
                    Some(Scope::Manage) => problem(
                        &format!("staff[{i}].scopes[{j}]"),
                        "`manage` is for owners' account tokens only".into(),
                        "make one with `kuvert-inbox staff token NAME --scope manage`",
                    ),
                    Some(scope) => {
                        scopes.insert(scope);
                    }
                    None => problem(
                        &format!("staff[{i}].scopes[{j}]"),
                        format!("`{name}` is not a scope"),
                        "use read, erase or metrics",
                    ),
                }
            }
            match hash {
                Some(h) => staff.push(Staff {
                    name: s.name.clone(),
                    token_sha256: h,
                    scopes,
                }),
                None => problem(
                    &format!("staff[{i}].token_sha256"),
                    "is not a hex SHA-256".into(),
                    "run `kuvert-inbox token` and paste the hash it prints (never the token itself)",
                ),
            }
        }

        let accounts = raw.accounts.as_ref().map(|a| {
            let host = origin_host(&a.public_url).to_owned();
            let loopback = host == "localhost" || host.ends_with(".localhost");
            if !is_origin(&a.public_url) {
                problem(
                    "accounts.public_url",
                    format!("`{}` is not an origin", a.public_url),
                    "give the scheme and host staff browsers use, e.g. https://inbox.example.org",
                );
            } else if !a.public_url.starts_with("https://") && !loopback {
                problem(
                    "accounts.public_url",
                    "passkeys need HTTPS except on localhost".into(),
                    "put the inbox behind Caddy (deploy/Caddyfile) and use its https:// address",
                );
            } else if host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') {
                problem(
                    "accounts.public_url",
                    "passkeys are bound to a host name, not an IP address".into(),
                    "use a DNS name, or http://localhost:PORT on this machine",
                );
            }
            let mut roles = BTreeSet::new();
            for (j, r) in a.roles.iter().enumerate() {
                if !is_role_id(r) || r == crate::people::OWNER {
                    problem(
                        &format!("accounts.roles[{j}]"),
                        format!("`{r}` is not a role id"),
                        "use 1-32 of a-z, 0-9 and -, starting with a letter (owner is built in)",
                    );
                } else if !roles.insert(r.clone()) {
                    problem(
                        &format!("accounts.roles[{j}]"),
                        format!("`{r}` is listed twice"),
                        "list each role once",
                    );
                }
            }
            if roles.len() > MAX_ROLES {
                problem(
                    "accounts.roles",
                    format!("{} roles", roles.len()),
                    "declare at most 8 (the forms' audiences)",
                );
            }
            for (key, v, max) in [
                (
                    "accounts.session_idle_minutes",
                    a.session_idle_minutes,
                    24 * 60,
                ),
                ("accounts.session_max_hours", a.session_max_hours, 24 * 7),
                ("accounts.invite_hours", a.invite_hours, 24 * 14),
                (
                    "accounts.failures_per_person_per_minute",
                    a.failures_per_person_per_minute,
                    1000,
                ),
            ] {
                if v == 0 || v > max {
                    problem(
                        key,
                        format!("{v} is out of range"),
                        &format!("use 1 to {max}"),
                    );
                }
            }
            Accounts {
                origin: a.public_url.clone(),
                rp_id: host,
                roles,
                session: crate::people::SessionLimits {
                    idle: i64::from(a.session_idle_minutes) * 60,
                    max: i64::from(a.session_max_hours) * 3600,
                },
                invite_secs: i64::from(a.invite_hours) * 3600,
                failures_per_person_per_minute: a.failures_per_person_per_minute,
            }
        });

        let mut forms = BTreeMap::new();
        if raw.forms.is_empty() {
            problem(
                "forms",
                "no form is configured".into(),
                "add a [[forms]] table with schema_file = \"form.json\"",
            );
        }
        for (i, f) in raw.forms.into_iter().enumerate() {
            let at = |k: &str| format!("forms[{i}].{k}");
            let recipients = f.recipients.clone().unwrap_or_default();
            let pin_fix = "paste the recipients line `kuvert snippet` prints (the same keys as the page's snippet)";
            let parsed: Result<BTreeSet<[u8; 32]>, _> = recipients
                .iter()
                .map(|r| {
                    r.parse::<kuvert_core::recipient::Recipient>()
                        .map(|r| *r.as_bytes())
                })
                .collect();
            match parsed {
                _ if recipients.is_empty() => problem(
                    &at("recipients"),
                    "is missing: the widget seals only to keys both the snippet and this config name".into(),
                    pin_fix,
                ),
                Ok(keys) if keys.len() != recipients.len() || keys.len() > 8 => problem(
                    &at("recipients"),
                    "must list 1 to 8 distinct keys".into(),
                    pin_fix,
                ),
                Ok(_) => {}
                Err(e) => problem(&at("recipients"), format!("{e}"), pin_fix),
            }
            let value = match (f.schema, f.schema_file) {
                (Some(v), None) => v,
                (None, Some(file)) => {
                    let p = base.join(&file);
                    let parsed = std::fs::read_to_string(&p)
                        .map_err(|e| {
                            (
                                format!("cannot read {}: {e}", p.display()),
                                "check the path (relative to this config file)",
                            )
                        })
                        .and_then(|text| {
                            serde_json::from_str::<serde_json::Value>(&text).map_err(|e| {
                                (
                                    format!("{} is not valid JSON: {e}", p.display()),
                                    "fix the form file (see the README's form config)",
                                )
                            })
                        });
                    match parsed {
                        Ok(v) => v,
                        Err((what, fix)) => {
                            problem(&at("schema_file"), what, fix);
                            continue;
                        }
                    }
                }
                _ => {
                    problem(
                        &at("schema"),
                        "give exactly one of `schema_file` or `schema`".into(),
                        "point schema_file at the form's JSON file",
                    );
                    continue;
                }
            };
            // A form without its own retention takes the config's default *into its schema*,
            // so the notice the widget shows and the purge the inbox runs read the same number.
            let mut value = value;
            if let (Some(obj), Some(days)) = (value.as_object_mut(), raw.default_retention_days) {
                obj.entry("retention_days").or_insert(days.into());
            }
            if value.get("retention_days").is_none() {
                problem(
                    &at("schema.retention_days"),
                    "the form sets no retention".into(),
                    "set retention_days in the form, or default_retention_days in this config",
                );
                continue;
            }
            let schema: FormSchema = match serde_json::from_value(value) {
                Ok(s) => s,
                Err(e) => {
                    problem(
                        &at("schema"),
                        format!("is not a valid form: {e}"),
                        "fix the form (see the README's form config)",
                    );
                    continue;
                }
            };
            if let Err(e) = schema.validate() {
                problem(&at("schema"), e.to_string(), "fix the form as described");
                continue;
            }
            if forms.contains_key(&schema.id) {
                problem(
                    &at("schema.id"),
                    format!("form `{}` is configured twice", schema.id),
                    "give each form its own id",
                );
                continue;
            }
            let mut services = BTreeMap::new();
            for s in &schema.services {
                let key = format!("forms[{i}].services.{}", s.id);
                let Some(c) = f.services.get(&s.id) else {
                    problem(
                        &key,
                        "has no calendar".into(),
                        &format!(
                            "add [forms.services.{}] with hours = {{ mon = [\"09:00-17:00\"] }}",
                            s.id
                        ),
                    );
                    continue;
                };
                let mut hours: [Vec<(u32, u32)>; 7] = Default::default();
                for (day, intervals) in &c.hours {
                    let Some(d) = WEEKDAYS.iter().position(|w| w == day) else {
                        problem(
                            &format!("{key}.hours.{day}"),
                            "is not a weekday".into(),
                            "use mon, tue, wed, thu, fri, sat, sun",
                        );
                        continue;
                    };
                    for (j, iv) in intervals.iter().enumerate() {
                        match parse_interval(iv) {
                            Some(x) => hours[d].push(x),
                            None => problem(
                                &format!("{key}.hours.{day}[{j}]"),
                                format!("`{iv}` is not an opening interval"),
                                "write \"HH:MM-HH:MM\" with the end after the start, e.g. \"09:00-12:00\"",
                            ),
                        }
                    }
                    hours[d].sort_unstable();
                    if hours[d].windows(2).any(|w| w[0].1 > w[1].0) {
                        problem(
                            &format!("{key}.hours.{day}"),
                            "intervals overlap".into(),
                            "merge or separate them",
                        );
                    }
                }
                let mut blackout = BTreeSet::new();
                for (j, d) in c.blackout.iter().enumerate() {
                    match d.parse::<Date>() {
                        Ok(d) => {
                            blackout.insert(d);
                        }
                        Err(_) => problem(
                            &format!("{key}.blackout[{j}]"),
                            format!("`{d}` is not a date"),
                            "write YYYY-MM-DD",
                        ),
                    }
                }
                let slot_minutes = c.slot_minutes.unwrap_or(s.duration_minutes);
                if !(5..=1440).contains(&slot_minutes) {
                    problem(
                        &format!("{key}.slot_minutes"),
                        format!("{slot_minutes} is out of range"),
                        "use 5 to 1440 minutes",
                    );
                }
                let capacity = c.capacity.unwrap_or(s.capacity);
                if !(1..=1000).contains(&capacity) {
                    problem(
                        &format!("{key}.capacity"),
                        format!("{capacity} is out of range"),
                        "use 1 to 1000",
                    );
                }
                if !(1..=730).contains(&c.horizon_days) {
                    problem(
                        &format!("{key}.horizon_days"),
                        format!("{} is out of range", c.horizon_days),
                        "use 1 to 730 days",
                    );
                }
                if c.min_notice_minutes > 60 * 24 * 30 {
                    problem(
                        &format!("{key}.min_notice_minutes"),
                        format!("{} is out of range", c.min_notice_minutes),
                        "use at most 43200 (30 days)",
                    );
                }
                services.insert(
                    s.id.clone(),
                    Calendar {
                        duration_minutes: s.duration_minutes,
                        slot_minutes,
                        capacity,
                        hours,
                        blackout,
                        horizon_days: c.horizon_days,
                        min_notice_minutes: c.min_notice_minutes,
                    },
                );
            }
            for id in f.services.keys() {
                if schema.service(id).is_none() {
                    problem(
                        &format!("forms[{i}].services.{id}"),
                        "is not a service of this form".into(),
                        "remove it, or add the service to the form",
                    );
                }
            }
            forms.insert(
                schema.id.clone(),
                Form {
                    schema,
                    recipients,
                    services,
                },
            );
        }
        if !problems.is_empty() {
            return Err(ConfigError::Invalid {
                path: name.to_owned(),
                problems,
            });
        }
        Ok(Config {
            listen,
            database: base.join(raw.database),
            time_zone_name: raw.time_zone,
            time_zone,
            allowed_origins: raw.allowed_origins,
            static_dir: raw.static_dir.map(|d| base.join(d)),
            purge_interval_seconds: raw.purge_interval_seconds,
            trust_forwarded_for: raw.trust_forwarded_for,
            bookings_per_minute: raw.rate_limits.bookings_per_minute,
            cancel_attempts_per_hour: raw.rate_limits.cancel_attempts_per_hour,
            staff_auth_failures_per_minute: raw.rate_limits.staff_auth_failures_per_minute,
            staff,
            accounts,
            forms,
        })
    }
}

/// Decodes 64 hex characters.
pub fn decode_hex32(s: &str) -> Option<[u8; 32]> {
    let b = s.as_bytes();
    if b.len() != 64 {
        return None;
    }
    let nib = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = [0u8; 32];
    for (i, pair) in b.chunks(2).enumerate() {
        out[i] = nib(pair[0])? << 4 | nib(pair[1])?;
    }
    Some(out)
}
