//! Shared test set-up: a salon config in a temp folder, a manual clock, sealed envelopes.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use kuvert_core::minimise::validate_fields;
use kuvert_core::{
    Booking, CancelCode, ConsentReceipt, FormSchema, Locale, PublicFacts, Recipient, UtcTimestamp,
    notice, seal,
};
use kuvert_inbox::config::Config;
use kuvert_inbox::store::Store;
use kuvert_inbox::{AppState, ManualClock, app};
use rand_core::SeedableRng;
use tower::ServiceExt;

pub const SALON: &str = include_str!("../../../kuvert-core/tests/fixtures/salon.json");
pub const TOKEN: &str = "kvt_test_token_reception";
/// Monday 2027-02-22 08:00 UTC (09:00 in Stockholm).
pub const NOW: &str = "2027-02-22T08:00:00Z";

pub fn unix(s: &str) -> i64 {
    UtcTimestamp::parse(s).unwrap().unix()
}

pub fn config_text(extra: &str) -> String {
    let token_hash = kuvert_core::hex(&<sha2::Sha256 as sha2::Digest>::digest(TOKEN.as_bytes()));
    let key = recipient();
    format!(
        r#"
listen = "127.0.0.1:0"
database = "inbox.sqlite3"
time_zone = "Europe/Stockholm"
allowed_origins = ["https://salon.example"]
{extra}

[[staff]]
name = "reception"
token_sha256 = "{token_hash}"
scopes = ["read", "erase", "metrics"]

[[forms]]
schema_file = "salon.json"
recipients = ["{key}"]

[forms.services.cut]
hours = {{ mon = ["09:00-12:00", "13:00-17:00"], tue = ["09:00-17:00"], wed = ["09:00-17:00"], thu = ["09:00-17:00"], fri = ["09:00-17:00"] }}
blackout = ["2027-02-26"]
horizon_days = 60
min_notice_minutes = 60

[forms.services.colour]
hours = {{ mon = ["09:00-17:00"], tue = ["09:00-17:00"] }}
slot_minutes = 30
horizon_days = 60
min_notice_minutes = 60
"#
    )
}

pub struct TestInbox {
    pub dir: tempfile::TempDir,
    pub clock: ManualClock,
    pub state: AppState,
    pub app: Router,
}

impl TestInbox {
    /// An app over the config already written in `dir` (kept by the caller).
    pub fn at(dir: &Path) -> TestInboxAt {
        let config = Config::load(&dir.join("inbox.toml")).unwrap();
        let store = Store::open(&config.database).unwrap();
        let clock = ManualClock::new(unix(NOW));
        let state = AppState::with_clock(config, store, Arc::new(clock.clone()));
        TestInboxAt {
            app: app(state.clone()),
            state,
        }
    }
}

/// Like [`TestInbox`], for a folder the test owns.
pub struct TestInboxAt {
    pub state: AppState,
    pub app: Router,
}

pub fn inbox_with(extra: &str) -> TestInbox {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("salon.json"), SALON).unwrap();
    let config = Config::from_toml(&config_text(extra), dir.path(), "test.toml").unwrap();
    let store = Store::open(&config.database).unwrap();
    let clock = ManualClock::new(unix(NOW));
    let state = AppState::with_clock(config, store, Arc::new(clock.clone()));
    let app = app(state.clone());
    TestInbox {
        dir,
        clock,
        state,
        app,
    }
}

pub fn inbox() -> TestInbox {
    inbox_with("[rate_limits]\nbookings_per_minute = 1000\ncancel_attempts_per_hour = 1000\n")
}

pub fn schema() -> FormSchema {
    FormSchema::from_json(SALON).unwrap()
}

/// A staff key: recipient and its secret scalar.
pub fn recipient() -> Recipient {
    Recipient::from_bytes(x25519_dalek::x25519(
        [7u8; 32],
        x25519_dalek::X25519_BASEPOINT_BYTES,
    ))
    .unwrap()
}

/// A sealed booking for `service` at `start`..`end` (RFC 3339), and its cancellation code.
pub fn envelope(
    seed: u64,
    service: &str,
    start: &str,
    end: &str,
    note: &str,
) -> (String, CancelCode) {
    envelope_for(recipient(), seed, service, start, end, note)
}

/// The same, sealed to `to`.
pub fn envelope_for(
    to: Recipient,
    seed: u64,
    service: &str,
    start: &str,
    end: &str,
    note: &str,
) -> (String, CancelCode) {
    let schema = schema();
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed);
    let mut input: BTreeMap<String, String> = BTreeMap::new();
    input.insert("name".to_string(), "Ann Berg".to_string());
    input.insert("phone".to_string(), "+46701234567".to_string());
    input.insert("note".to_string(), note.to_string());
    let fields = validate_fields(&schema, &input).unwrap();
    let notice = notice::render(&schema, Locale::En);
    let booking = Booking {
        kuvert: 1,
        form: "salon".into(),
        public: PublicFacts {
            service: service.into(),
            start: start.into(),
            end: end.into(),
        },
        fields,
        consent: ConsentReceipt::new(
            &schema,
            &notice,
            &[],
            UtcTimestamp::parse(NOW).unwrap(),
            "test",
        )
        .unwrap(),
    };
    let code = CancelCode::generate(&mut rng).unwrap();
    let e = seal(&mut rng, &[to], &booking, &code).unwrap();
    (e.to_json(), code)
}

pub async fn call(
    app: &Router,
    req: Request<Body>,
) -> (StatusCode, HeaderMap, serde_json::Value, String) {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let json = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
    (status, headers, json, text)
}

pub fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

pub fn staff(method: &str, uri: &str) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {TOKEN}"))
        .body(Body::empty())
        .unwrap()
}

pub fn post_json(uri: &str, body: impl Into<String>) -> Request<Body> {
    Request::post(uri)
        .header("content-type", "application/json")
        .body(Body::from(body.into()))
        .unwrap()
}

pub fn error_code(json: &serde_json::Value) -> &str {
    json["error"]["code"].as_str().unwrap_or("<no error code>")
}

pub fn files_bytes(dir: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            all.extend(std::fs::read(p).unwrap());
        }
    }
    all
}

/// Starts the real `kuvert-inbox serve` binary with `config`; returns it and its base URL
/// (`http://127.0.0.1:PORT`), read from the line it prints once it listens.
pub fn spawn_server(config: &Path, stderr: std::process::Stdio) -> (std::process::Child, String) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_kuvert-inbox"))
        .args(["serve", "--config"])
        .arg(config)
        .stdout(std::process::Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().rsplit(' ').next().unwrap().to_owned();
    assert!(
        url.starts_with("http://127.0.0.1:"),
        "unexpected first line {line:?}"
    );
    (child, url)
}

/// A log writer that keeps everything written (for `tracing_subscriber`'s `with_writer`).
#[derive(Clone, Default)]
pub struct Captured(pub Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    /// Captures the logs of the whole test binary, at debug level; returns the capture.
    pub fn install() -> Captured {
        let logs = Captured::default();
        let writer = logs.clone();
        tracing::subscriber::set_global_default(
            tracing_subscriber::fmt()
                .with_ansi(false)
                .with_max_level(tracing::Level::DEBUG)
                .with_writer(move || writer.clone())
                .finish(),
        )
        .unwrap();
        logs
    }
}

/// Whether `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}
