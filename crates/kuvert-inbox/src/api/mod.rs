//! The HTTP API (`/v1`, JSON): [`app`] builds it. Documented in `docs/api.md`; every error has
//! a stable code ([`ApiError`]). The bodies are `kuvert-api`'s types.
//!
//! - `error`: [`ApiError`], the one error every handler and extractor answers with.
//! - `extract`: the client's address, staff tokens and scopes, queries, paths, limited JSON
//!   bodies and per-address limits, as extractors.
//! - `public`, `staff`: the handlers.
//! - here: the state, and the router with its layers (tower-http: trace, headers, CORS, body
//!   limits).

mod accounts;
mod desk;
pub mod directory;
mod error;
mod extract;
pub mod passkeys;
mod public;
mod staff;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use kuvert_api::{ErrorCode, routes};
use kuvert_core::envelope::MAX_ENVELOPE_BYTES;
use tower::ServiceBuilder;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use tracing::Span;

pub use error::{ApiError, ApiResult};
pub use extract::{ApiPath, ApiQuery, ClientIp, JsonBody, QueryHelp, StaffUser};

use crate::config::{Config, Scope};
use crate::limit::{Aggregate, AuthFailures, FailKey, Limiter, Person};
use crate::metrics::Metrics;
use crate::store::{AuditEntry, Store, StoreError, rfc3339};
use crate::{Clock, SystemClock};

/// Longest date range one slots query may cover.
pub const MAX_SLOT_RANGE_DAYS: i64 = 62;
/// Most bookings one staff list page returns.
pub const MAX_PAGE: u32 = 1000;

/// Everything a request needs.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

/// The shared state behind [`AppState`].
pub struct Inner {
    /// The validated config.
    pub config: Config,
    /// The database.
    pub store: Store,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// Counters for `/metrics`.
    pub metrics: Metrics,
    booking_limit: Limiter,
    cancel_limit: Limiter,
    auth_failures: AuthFailures,
    person_failures: AuthFailures<Person>,
    /// The passkey relying party, when `[accounts]` is configured.
    pub passkeys: Option<passkeys::Passkeys>,
}

impl AppState {
    /// State over an opened store, with the system clock.
    pub fn new(config: Config, store: Store) -> Self {
        Self::with_clock(config, store, Arc::new(SystemClock))
    }

    /// State with a given clock (tests).
    pub fn with_clock(config: Config, store: Store, clock: Arc<dyn Clock>) -> Self {
        // The config check made the origin and host valid, which is all webauthn-rs needs.
        let passkeys = config.accounts.as_ref().and_then(|a| {
            passkeys::Passkeys::new(a)
                .inspect_err(|e| tracing::error!(error = %e, "passkeys are off"))
                .ok()
        });
        AppState(Arc::new(Inner {
            passkeys,
            booking_limit: Limiter::per_minute(config.bookings_per_minute),
            cancel_limit: Limiter::per_hour(config.cancel_attempts_per_hour),
            auth_failures: AuthFailures::new(config.staff_auth_failures_per_minute),
            person_failures: AuthFailures::new(
                config
                    .accounts
                    .as_ref()
                    .map_or(1, |a| a.failures_per_person_per_minute),
            ),
            config,
            store,
            clock,
            metrics: Metrics::default(),
        }))
    }

    /// The shared state.
    pub fn inner(&self) -> &Inner {
        &self.0
    }

    /// Runs the retention purge once; returns how many bookings were erased.
    pub async fn purge(&self) -> Result<usize, ApiError> {
        let state = self.clone();
        let now = self.0.clock.now();
        let n = blocking(move || state.0.store.purge(now)).await?;
        self.0.metrics.purged(n as u64);
        if n > 0 {
            tracing::info!(erased = n, "retention purge");
        }
        self.0.booking_limit.retain_recent();
        self.0.cancel_limit.retain_recent();
        self.flush_auth_failures(now).await?;
        Ok(n)
    }

    /// Writes the failed-authentication counts of every window that ended by `now` to the
    /// audit log, one row per address and window. The server calls it every minute and at
    /// shutdown; a denial in a new window does it too.
    pub async fn flush_auth_failures(&self, now: i64) -> Result<(), ApiError> {
        let finished = self.0.auth_failures.flush(now);
        audit_aggregates(self, finished).await?;
        let finished = self.0.person_failures.flush(now);
        audit_aggregates(self, finished).await
    }
}

/// Audits failed-authentication aggregates: `anonymous auth <address> denied`, with the window
/// and count in the target (`192.0.2.7 window=2027-03-01T09:00:00Z+60s count=12`).
pub(crate) async fn audit_aggregates<K: FailKey + Send + 'static>(
    state: &AppState,
    finished: Vec<Aggregate<K>>,
) -> Result<(), ApiError> {
    if finished.is_empty() {
        return Ok(());
    }
    let s = state.clone();
    let now = state.0.clock.now();
    blocking(move || {
        for a in &finished {
            let target = format!(
                "{} window={}+{}s count={}",
                a.key.describe(),
                rfc3339(a.window_start),
                crate::limit::WINDOW_SECS,
                a.count
            );
            s.0.store.audit(&AuditEntry {
                time: now,
                actor: "anonymous",
                action: "auth",
                target: &target,
                outcome: "denied",
            })?;
        }
        Ok(())
    })
    .await
}

/// Runs a database call on the blocking pool. A task that does not finish (it panicked, or
/// the runtime is shutting down) is [`ApiError::TaskFailed`], logged.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => result.map_err(ApiError::from),
        Err(e) => {
            tracing::error!(error = %e, "a database task did not finish");
            Err(ApiError::TaskFailed)
        }
    }
}

/// Builds the whole service: the routes, then the layers. API answers (and 404s when no
/// static folder is served) get `Cache-Control: no-store`, a CSP that allows nothing, and
/// `X-Frame-Options: DENY`; the widget's static files get the frame's CSP; everything gets
/// `nosniff`, `no-referrer` and one log line (method, route template, status, time).
pub fn app(state: AppState) -> Router {
    let config = &state.0.config;
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(
            config
                .allowed_origins
                .iter()
                .filter_map(|o| HeaderValue::from_str(o).ok()),
        ))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::CONTENT_TYPE]);
    let bookings = post(public::post_booking)
        .layer(DefaultBodyLimit::max(MAX_ENVELOPE_BYTES))
        .layer(middleware::map_response_with_state(
            state.clone(),
            count_booking_outcome,
        ));
    let public = Router::new()
        .route(routes::FORM, get(public::get_form))
        .route(routes::SLOTS, get(public::get_slots))
        .route(
            routes::PROBLEMS,
            post(public::post_problem).layer(DefaultBodyLimit::max(public::PROBLEM_BODY_LIMIT)),
        )
        .route(routes::BOOKINGS, bookings)
        .route(
            routes::CANCEL,
            post(public::cancel_booking).layer(DefaultBodyLimit::max(public::CANCEL_BODY_LIMIT)),
        )
        .layer(cors);
    let staff = Router::new()
        .route(routes::STAFF_BOOKINGS, get(staff::staff_list))
        .route(
            routes::STAFF_BOOKING,
            get(staff::staff_get).delete(staff::staff_delete),
        )
        .route(routes::STAFF_EXPORT, get(staff::staff_export));
    let limit = || DefaultBodyLimit::max(accounts::BODY_LIMIT);
    let people = Router::new()
        .route(routes::ENROL_START, post(accounts::enrol_start))
        .route(routes::ENROL_FINISH, post(accounts::enrol_finish))
        .route(routes::SIGNIN_START, post(accounts::signin_start))
        .route(routes::SIGNIN_FINISH, post(accounts::signin_finish))
        .route(routes::SIGNOUT, post(accounts::signout))
        .route(routes::ME, get(accounts::me))
        .route(
            routes::MY_KEY,
            get(directory::get_key).put(directory::put_key),
        )
        .route(routes::MY_GRANTS, get(directory::my_grants))
        .route(routes::MY_PASSKEYS_START, post(accounts::passkey_add_start))
        .route(
            routes::MY_PASSKEYS_FINISH,
            post(accounts::passkey_add_finish),
        )
        .route(routes::MY_PASSKEY, delete(accounts::passkey_remove))
        .route(
            routes::PEOPLE,
            get(directory::review).post(directory::invite),
        )
        .route(routes::PERSON, delete(directory::remove))
        .route(routes::PERSON_KEY, get(directory::person_key))
        .route(
            routes::PERSON_GRANT,
            put(directory::put_grant).delete(directory::withdraw_grant),
        )
        .layer(limit());
    let api = Router::new()
        .merge(public)
        .merge(staff)
        .merge(people)
        .route(routes::HEALTHZ, get(healthz))
        .route(routes::METRICS, get(metrics));
    let api_headers = ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ));
    // `Router::layer` wraps what is routed so far: with a static folder, the API headers go on
    // the API routes only, and the files get the frame's; without one, on the 404s too.
    let router = match &config.static_dir {
        Some(dir) => {
            let api = api.layer(api_headers);
            match HeaderValue::from_str(&frame_csp(config)) {
                Ok(csp) => api.fallback_service(
                    ServiceBuilder::new()
                        .layer(middleware::from_fn(static_by_path))
                        .layer(SetResponseHeaderLayer::overriding(
                            header::CONTENT_SECURITY_POLICY,
                            csp,
                        ))
                        .service(tower_http::services::ServeDir::new(dir)),
                ),
                // `config::is_origin` makes this unreachable; if it ever were reached, the
                // frame must not go out without its policy: every file answers 500.
                Err(_) => api.fallback(|| async {
                    ApiError::internal("the frame's Content-Security-Policy is not a valid header")
                }),
            }
        }
        None => api.fallback(not_found).layer(api_headers),
    };
    let router = if config.accounts.is_some() {
        router.merge(desk::router())
    } else {
        router
    };
    let static_files = config.static_dir.is_some();
    let metrics = state.clone();
    router
        .layer(
            ServiceBuilder::new()
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(move |req: &Request<Body>| request_span(req, static_files))
                        .on_request(())
                        .on_response(move |res: &Response, latency: Duration, _: &Span| {
                            let ms = latency.as_secs_f64() * 1000.0;
                            metrics.0.metrics.observe(ms);
                            tracing::info!(
                                status = res.status().as_u16(),
                                ms = format!("{ms:.1}"),
                                "request"
                            );
                        })
                        .on_failure(()),
                )
                .layer(SetResponseHeaderLayer::overriding(
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ))
                .layer(SetResponseHeaderLayer::overriding(
                    header::REFERRER_POLICY,
                    HeaderValue::from_static("no-referrer"),
                )),
        )
        .with_state(state)
}

/// The request's log span: its method and route template (axum's `MatchedPath`), never the
/// concrete path (it holds references), query or body. Unmatched paths are static files when
/// a static folder is served, else API 404s.
fn request_span(req: &Request<Body>, static_files: bool) -> Span {
    let route = req.extensions().get::<MatchedPath>().map_or(
        if static_files { "static" } else { "unmatched" },
        MatchedPath::as_str,
    );
    tracing::info_span!("request", method = %req.method(), route = %route)
}

/// Counts each booking answer for `/metrics`: accepted, or rejected by its error code (which
/// [`ApiError`] leaves in the response's extensions), whichever extractor or check refused it.
async fn count_booking_outcome(State(state): State<AppState>, response: Response) -> Response {
    match response.extensions().get::<ErrorCode>() {
        Some(code) => state.0.metrics.rejected(code.as_str()),
        None if response.status() == StatusCode::CREATED => state.0.metrics.accepted(),
        None => {}
    }
    response
}

/// The widget frame's CSP: only this origin, only the inbox, embedded only by the business's
/// pages.
fn frame_csp(config: &Config) -> String {
    let ancestors = if config.allowed_origins.is_empty() {
        "'none'".to_owned()
    } else {
        config.allowed_origins.join(" ")
    };
    format!(
        "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors {ancestors}; base-uri 'none'; form-action 'none'; require-trusted-types-for 'script'; trusted-types 'none'"
    )
}

/// Whether a file name carries a content hash (`name.<8+ hex>.ext`), so it can be cached forever.
pub fn is_hashed_name(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let parts: Vec<&str> = name.split('.').collect();
    parts.len() >= 3 && {
        let hash = parts[parts.len() - 2];
        hash.len() >= 8 && hash.bytes().all(|b| b.is_ascii_hexdigit())
    }
}

/// The static files' headers that depend on the request's path, which no tower-http header
/// layer can see: hashed names are immutable and everything else is revalidated, and the
/// loader gets CORS (host pages load it with `crossorigin="anonymous"` for its SRI check; it
/// is public, credential-free code).
async fn static_by_path(req: Request, next: Next) -> Response {
    let hashed = is_hashed_name(req.uri().path());
    let loader = req.uri().path() == "/kuvert.js";
    let mut response = next.run(req).await;
    let cache = if hashed && response.status().is_success() {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if loader {
        h.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
    }
    response
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such resource")
}

async fn healthz(State(state): State<AppState>) -> ApiResult<&'static str> {
    let s = state.clone();
    blocking(move || s.0.store.count()).await?;
    Ok("ok\n")
}

/// `/metrics` reveals booking volume and timing, so it takes a staff token of the `metrics`
/// scope (`/healthz` stays open for probes).
async fn metrics(State(state): State<AppState>, staff: StaffUser) -> ApiResult<Response> {
    staff.require(Scope::Metrics)?;
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.0.metrics.render(),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database task that panics is its own error (500 `internal`, logged), not a SQLite
    /// error it never was.
    #[tokio::test]
    async fn a_task_that_does_not_finish_is_task_failed() {
        let result: Result<(), ApiError> = blocking(|| panic!("a bug in a store call")).await;
        let e = result.unwrap_err();
        assert!(matches!(e, ApiError::TaskFailed), "{e:?}");
        assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(e.code(), ErrorCode::Internal);
    }
}
