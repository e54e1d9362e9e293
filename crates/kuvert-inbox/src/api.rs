//! The HTTP API (`/v1`, JSON). Documented in `docs/api.md`; every error has a stable code.

use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, FromRequestParts, MatchedPath, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header, request::Parts};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use http_body_util::BodyExt;
use jiff::civil::Date;
use kuvert_api::routes;
use kuvert_api::{
    BookingAccepted, CancelRequest, ErrorBody, ErrorCode, ErrorDetail, FormConfig, Reference,
    ServiceId, Slot, Slots, StaffPage, StaffRecord,
};
use kuvert_core::envelope::MAX_ENVELOPE_BYTES;
use kuvert_core::{CancelCode, Envelope};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::calendar::{is_slot, slots};
use crate::config::{Config, Scope};
use crate::limit::{Aggregate, AuthFailures, Limiter};
use crate::metrics::Metrics;
use crate::store::{AuditEntry, NewBooking, Store, StoreError, rfc3339};
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
}

impl AppState {
    /// State over an opened store, with the system clock.
    pub fn new(config: Config, store: Store) -> Self {
        Self::with_clock(config, store, Arc::new(SystemClock))
    }

    /// State with a given clock (tests).
    pub fn with_clock(config: Config, store: Store, clock: Arc<dyn Clock>) -> Self {
        AppState(Arc::new(Inner {
            booking_limit: Limiter::per_minute(config.bookings_per_minute),
            cancel_limit: Limiter::per_hour(config.cancel_attempts_per_hour),
            auth_failures: AuthFailures::new(config.staff_auth_failures_per_minute),
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
        audit_aggregates(self, finished).await
    }
}

/// Audits failed-authentication aggregates: `anonymous auth <address> denied`, with the window
/// and count in the target (`192.0.2.7 window=2027-03-01T09:00:00Z+60s count=12`).
async fn audit_aggregates(state: &AppState, finished: Vec<Aggregate>) -> Result<(), ApiError> {
    if finished.is_empty() {
        return Ok(());
    }
    let s = state.clone();
    let now = state.0.clock.now();
    blocking(move || {
        for a in &finished {
            let target = format!(
                "{} window={}+{}s count={}",
                crate::limit::describe(a.key),
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
async fn blocking<T: Send + 'static>(
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

/// Why a request failed. Each variant has its status and its stable [`ErrorCode`]; the
/// message is for people and never carries internals (those are logged, see
/// [`ApiError::internal`]).
#[derive(Debug)]
#[non_exhaustive]
pub enum ApiError {
    /// 400: the body is not JSON of the envelope's shape (the core's reason).
    MalformedEnvelope(String),
    /// 400: the cancel body is not `{"code": "…"}`.
    MalformedRequest,
    /// 400: the cancellation code is not a code (the core's reason).
    MalformedCode(String),
    /// 400: a query parameter is missing or out of range (what to send).
    BadQuery(&'static str),
    /// 401: no valid staff token.
    Unauthorized,
    /// 403: the staff token lacks the scope this route needs.
    InsufficientScope,
    /// 404: no such resource (what was not found).
    NotFound(&'static str),
    /// 404 when asked for, 422 inside a booking: no form with this id.
    UnknownForm {
        /// Inside a posted booking (422) rather than a path (404).
        in_booking: bool,
    },
    /// 404 when asked for, 422 inside a booking: the form has no such service.
    UnknownService {
        /// Inside a posted booking (422) rather than a query (404).
        in_booking: bool,
    },
    /// 409: the slot filled up meanwhile.
    SlotTaken,
    /// 413: the body exceeds this many bytes.
    TooLarge(usize),
    /// 415: not `Content-Type: application/json`.
    UnsupportedMediaType,
    /// 422: an envelope the core refused before anything was stored.
    Envelope(kuvert_core::Error),
    /// 422: not one of the offered slots now.
    NotASlot,
    /// 429: too many requests of this kind from this address; `Retry-After` when known.
    RateLimited {
        /// What was limited, for people.
        message: &'static str,
        /// Seconds until a retry can succeed.
        retry_after: Option<i64>,
    },
    /// 500: a blocking database task did not finish (it panicked or was cancelled).
    TaskFailed,
    /// 500: something else failed inside (logged); nothing was changed.
    Internal,
}

impl ApiError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::MalformedEnvelope(_)
            | ApiError::MalformedRequest
            | ApiError::MalformedCode(_)
            | ApiError::BadQuery(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::InsufficientScope => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::UnknownForm { in_booking } | ApiError::UnknownService { in_booking } => {
                if *in_booking {
                    StatusCode::UNPROCESSABLE_ENTITY
                } else {
                    StatusCode::NOT_FOUND
                }
            }
            ApiError::SlotTaken => StatusCode::CONFLICT,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Envelope(_) | ApiError::NotASlot => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::TaskFailed | ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::MalformedEnvelope(_) => ErrorCode::MalformedEnvelope,
            ApiError::MalformedRequest => ErrorCode::MalformedRequest,
            ApiError::MalformedCode(_) => ErrorCode::MalformedCode,
            ApiError::BadQuery(_) => ErrorCode::BadQuery,
            ApiError::Unauthorized => ErrorCode::Unauthorized,
            ApiError::InsufficientScope => ErrorCode::InsufficientScope,
            ApiError::NotFound(_) => ErrorCode::NotFound,
            ApiError::UnknownForm { .. } => ErrorCode::UnknownForm,
            ApiError::UnknownService { .. } => ErrorCode::UnknownService,
            ApiError::SlotTaken => ErrorCode::SlotTaken,
            ApiError::TooLarge(_) => ErrorCode::TooLarge,
            ApiError::UnsupportedMediaType => ErrorCode::UnsupportedMediaType,
            ApiError::Envelope(e) => ErrorCode::for_envelope(e),
            ApiError::NotASlot => ErrorCode::NotASlot,
            ApiError::RateLimited { .. } => ErrorCode::RateLimited,
            ApiError::TaskFailed | ApiError::Internal => ErrorCode::Internal,
        }
    }

    /// The message for people.
    pub fn message(&self) -> Cow<'static, str> {
        match self {
            ApiError::MalformedEnvelope(why) | ApiError::MalformedCode(why) => {
                Cow::Owned(why.clone())
            }
            ApiError::Envelope(e) => Cow::Owned(e.to_string()),
            ApiError::MalformedRequest => "send {\"code\": \"ABCD-EFGH-JKMN-PQRS\"}".into(),
            ApiError::BadQuery(what) | ApiError::NotFound(what) => (*what).into(),
            ApiError::Unauthorized => {
                "a valid staff token is required (Authorization: Bearer …)".into()
            }
            ApiError::InsufficientScope => {
                "this staff token may not do this; ask for a token with the needed scope".into()
            }
            ApiError::UnknownForm { .. } => "no form with this id".into(),
            ApiError::UnknownService { .. } => "this form has no such service".into(),
            ApiError::SlotTaken => "this slot was just taken; choose another".into(),
            ApiError::TooLarge(limit) => format!("the request body exceeds {limit} bytes").into(),
            ApiError::UnsupportedMediaType => "send Content-Type: application/json".into(),
            ApiError::NotASlot => "this time is not a bookable slot (past, too soon, too far ahead, or not offered); fetch the slots again".into(),
            ApiError::RateLimited { message, .. } => (*message).into(),
            ApiError::TaskFailed | ApiError::Internal => {
                "internal error; nothing was changed, please try again".into()
            }
        }
    }

    /// Logs `e` in full (store errors name SQLite's complaint, never row contents) and
    /// answers generically.
    fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "internal error");
        ApiError::Internal
    }

    /// 429 `rate_limited`, with `Retry-After` in seconds.
    fn rate_limited(message: &'static str, retry_after: i64) -> Self {
        ApiError::RateLimited {
            message,
            retry_after: Some(retry_after.max(1)),
        }
    }

    /// One of every variant (both statuses where a variant has two), for the docs test.
    #[doc(hidden)]
    pub fn examples() -> Vec<ApiError> {
        let all = vec![
            ApiError::MalformedEnvelope(String::new()),
            ApiError::MalformedRequest,
            ApiError::MalformedCode(String::new()),
            ApiError::BadQuery(""),
            ApiError::Unauthorized,
            ApiError::InsufficientScope,
            ApiError::NotFound(""),
            ApiError::UnknownForm { in_booking: false },
            ApiError::UnknownForm { in_booking: true },
            ApiError::UnknownService { in_booking: false },
            ApiError::UnknownService { in_booking: true },
            ApiError::SlotTaken,
            ApiError::TooLarge(0),
            ApiError::UnsupportedMediaType,
            ApiError::Envelope(kuvert_core::Error::UnsupportedVersion),
            ApiError::Envelope(kuvert_core::Error::InvalidForm),
            ApiError::Envelope(kuvert_core::Error::InvalidPublicFacts("")),
            ApiError::Envelope(kuvert_core::Error::InvalidCancelHash),
            ApiError::Envelope(kuvert_core::Error::BadBase64),
            ApiError::Envelope(kuvert_core::Error::MalformedAge(
                kuvert_core::age::HeaderError::Malformed,
            )),
            ApiError::NotASlot,
            ApiError::RateLimited {
                message: "",
                retry_after: None,
            },
            ApiError::TaskFailed,
            ApiError::Internal,
        ];
        // A new variant does not compile here until it is listed above.
        for e in &all {
            match e {
                ApiError::MalformedEnvelope(_)
                | ApiError::MalformedRequest
                | ApiError::MalformedCode(_)
                | ApiError::BadQuery(_)
                | ApiError::Unauthorized
                | ApiError::InsufficientScope
                | ApiError::NotFound(_)
                | ApiError::UnknownForm { .. }
                | ApiError::UnknownService { .. }
                | ApiError::SlotTaken
                | ApiError::TooLarge(_)
                | ApiError::UnsupportedMediaType
                | ApiError::Envelope(_)
                | ApiError::NotASlot
                | ApiError::RateLimited { .. }
                | ApiError::TaskFailed
                | ApiError::Internal => {}
            }
        }
        all
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code().as_str(), self.message())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::internal(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message: self.message().into_owned(),
            },
        };
        let mut r = (self.status(), Json(body)).into_response();
        if self.status() == StatusCode::UNAUTHORIZED {
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let ApiError::RateLimited {
            retry_after: Some(secs),
            ..
        } = self
        {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        r
    }
}

type ApiResult<T> = Result<T, ApiError>;

/// The client's address: the TCP peer, or the last `X-Forwarded-For` hop when the config says
/// a trusted proxy sits in front.
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if state.0.config.trust_forwarded_for
            && let Some(ip) = last_forwarded_for(&parts.headers)
        {
            return Ok(ClientIp(ip));
        }
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        Ok(ClientIp(peer.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))))
    }
}

/// The address the trusted proxy appended to `X-Forwarded-For`: the last entry of the last
/// header line. Every entry before it came from the client, who can write anything there, and
/// proxies append either to the one line or as a new line.
fn last_forwarded_for(headers: &HeaderMap) -> Option<IpAddr> {
    let last_line = headers.get_all("x-forwarded-for").iter().next_back()?;
    let last = last_line.to_str().ok()?.rsplit(',').next()?.trim();
    last.parse().ok()
}

/// A staff member, authenticated by bearer token: their name (for the audit log) and what
/// their token may do.
pub struct StaffUser {
    /// Who, for the audit log.
    pub name: String,
    scopes: std::collections::BTreeSet<Scope>,
}

impl StaffUser {
    /// Refuses (403) unless the token has `scope`.
    fn require(&self, scope: Scope) -> ApiResult<()> {
        if self.scopes.contains(&scope) {
            Ok(())
        } else {
            Err(ApiError::InsufficientScope)
        }
    }
}

impl FromRequestParts<AppState> for StaffUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ClientIp(ip) = ClientIp::from_request_parts(parts, state).await?;
        let now = state.0.clock.now();
        let (blocked, finished) = state.0.auth_failures.blocked(ip, now);
        audit_aggregates(state, finished).await?;
        if blocked {
            // Counted too, so the aggregate shows how hard the address kept trying.
            let finished = state.0.auth_failures.record(ip, now);
            audit_aggregates(state, finished).await?;
            return Err(ApiError::rate_limited(
                "too many failed staff sign-ins from this address; try again later",
                AuthFailures::retry_after(now),
            ));
        }
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        if let Some(token) = token {
            let hash: [u8; 32] = Sha256::digest(token.as_bytes()).into();
            // Compare against every staff hash in constant time, without stopping early.
            let mut found = None;
            for s in &state.0.config.staff {
                if bool::from(s.token_sha256.ct_eq(&hash)) {
                    found = Some(s);
                }
            }
            if let Some(s) = found {
                return Ok(StaffUser {
                    name: s.name.clone(),
                    scopes: s.scopes.clone(),
                });
            }
        }
        // Not one audit row per failure (that would let anyone flood the log): the failure is
        // counted, and the count per address is audited when its window ends.
        let finished = state.0.auth_failures.record(ip, now);
        audit_aggregates(state, finished).await?;
        Err(ApiError::Unauthorized)
    }
}

/// Builds the whole service.
pub fn app(state: AppState) -> Router {
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(
            state
                .0
                .config
                .allowed_origins
                .iter()
                .filter_map(|o| HeaderValue::from_str(o).ok()),
        ))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::CONTENT_TYPE]);
    let public = Router::new()
        .route(routes::FORM, get(get_form))
        .route(routes::SLOTS, get(get_slots))
        .route(routes::BOOKINGS, post(post_booking))
        .route(routes::CANCEL, post(cancel_booking))
        .layer(cors);
    let staff = Router::new()
        .route(routes::STAFF_BOOKINGS, get(staff_list))
        .route(routes::STAFF_BOOKING, get(staff_get).delete(staff_delete))
        .route(routes::STAFF_EXPORT, get(staff_export));
    let mut router = Router::new()
        .merge(public)
        .merge(staff)
        .route(routes::HEALTHZ, get(healthz))
        .route(routes::METRICS, get(metrics));
    router = match &state.0.config.static_dir {
        Some(dir) => router.fallback_service(
            tower::ServiceBuilder::new()
                .layer(middleware::from_fn_with_state(
                    state.clone(),
                    static_headers,
                ))
                .service(tower_http::services::ServeDir::new(dir)),
        ),
        None => router.fallback(not_found),
    };
    router
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such resource")
}

/// Logs method, route template, status and time — never the concrete path, query or body —
/// and adds the security headers every response carries.
async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let matched = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned());
    // Unmatched paths are static files when a static folder is served, else API 404s.
    let is_api = matched.is_some() || state.0.config.static_dir.is_none();
    let route = matched.unwrap_or_else(|| if is_api { "unmatched" } else { "static" }.to_owned());
    let mut response = next.run(req).await;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    state.0.metrics.observe(ms);
    tracing::info!(%method, route = %route, status = response.status().as_u16(), ms = format!("{ms:.1}"), "request");
    let h = response.headers_mut();
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    if is_api {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        h.insert(
            "content-security-policy",
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        );
        h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    }
    response
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

/// The widget frame's CSP (see the widget issue): only this origin, only the inbox. Hashed
/// file names are immutable; everything else is revalidated.
async fn static_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let hashed = is_hashed_name(req.uri().path());
    let loader = req.uri().path() == "/kuvert.js";
    let mut response = next.run(req).await;
    if loader {
        // Host pages load the loader with `crossorigin="anonymous"` and an SRI hash, which
        // needs CORS. It is public, credential-free code.
        response.headers_mut().insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
    }
    let cache = if hashed && response.status().is_success() {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    let ancestors = if state.0.config.allowed_origins.is_empty() {
        "'none'".to_owned()
    } else {
        state.0.config.allowed_origins.join(" ")
    };
    let csp = format!(
        "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors {ancestors}; base-uri 'none'; form-action 'none'; require-trusted-types-for 'script'; trusted-types 'none'"
    );
    // The config's origins are checked at start (`config::is_origin`), so this cannot fail;
    // if it ever did, the frame must not go out without its policy: fail closed.
    match HeaderValue::from_str(&csp) {
        Ok(v) => {
            response.headers_mut().insert("content-security-policy", v);
            response
        }
        Err(_) => ApiError::internal("the frame's Content-Security-Policy is not a valid header")
            .into_response(),
    }
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

fn form<'a>(state: &'a AppState, id: &str) -> ApiResult<&'a crate::config::Form> {
    state
        .0
        .config
        .forms
        .get(id)
        .ok_or(ApiError::UnknownForm { in_booking: false })
}

async fn get_form(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<FormConfig>> {
    let f = form(&state, &id)?;
    Ok(Json(FormConfig {
        schema: f.schema.clone(),
        time_zone: state.0.config.time_zone_name.clone(),
    }))
}

#[derive(Deserialize)]
struct SlotQuery {
    service: String,
    from: String,
    to: String,
}

async fn get_slots(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: Result<Query<SlotQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Slots>> {
    let f = form(&state, &id)?;
    let Query(q) =
        query.map_err(|_| ApiError::BadQuery("give service, from and to (YYYY-MM-DD)"))?;
    let (service, cal) = ServiceId::parse(&q.service)
        .and_then(|s| f.services.get(s.as_str()).map(|cal| (s, cal)))
        .ok_or(ApiError::UnknownService { in_booking: false })?;
    let bad = || {
        ApiError::BadQuery(
            "from and to must be dates (YYYY-MM-DD), from <= to, at most 62 days apart",
        )
    };
    let from: Date = q.from.parse().map_err(|_| bad())?;
    let to: Date = q.to.parse().map_err(|_| bad())?;
    let days = from.until(to).map_err(|_| bad())?.get_days() as i64;
    if !(0..MAX_SLOT_RANGE_DAYS).contains(&days) {
        return Err(bad());
    }
    let now = state.0.clock.now();
    let all = slots(cal, &state.0.config.time_zone, from, to, now);
    let (Some(first), Some(last)) = (all.first().copied(), all.last().copied()) else {
        return Ok(Json(Slots {
            service,
            slots: Vec::new(),
        }));
    };
    let (s, form_id, service_id) = (state.clone(), id.clone(), q.service.clone());
    let taken = blocking(move || {
        s.0.store
            .taken(&form_id, &service_id, first.start, last.start)
    })
    .await?;
    let free = all
        .iter()
        .filter_map(|slot| {
            let used = taken
                .iter()
                .find(|(start, _)| *start == slot.start)
                .map_or(0, |(_, n)| *n);
            let remaining = u32::try_from(i64::from(cal.capacity) - used).unwrap_or(0);
            (remaining > 0).then(|| Slot {
                start: rfc3339(slot.start),
                end: rfc3339(slot.end),
                remaining,
            })
        })
        .collect();
    Ok(Json(Slots {
        service,
        slots: free,
    }))
}

fn require_json(headers: &HeaderMap) -> ApiResult<()> {
    let ok = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
        });
    if ok {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType)
    }
}

/// Reads at most `limit` bytes of body: refused by Content-Length up front, and cut off while
/// streaming otherwise, so an oversize body is never buffered whole.
async fn read_limited(headers: &HeaderMap, body: Body, limit: usize) -> ApiResult<Bytes> {
    let too_large = || ApiError::TooLarge(limit);
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let collected = http_body_util::Limited::new(body, limit)
        .collect()
        .await
        .map_err(|_| too_large())?;
    Ok(collected.to_bytes())
}

fn is_reference(s: &str) -> bool {
    kuvert_core::reference::is_reference(s)
}

async fn post_booking(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match accept_booking(&state, ip, &headers, body).await {
        Ok(r) => {
            state.0.metrics.accepted();
            r
        }
        Err(e) => {
            state.0.metrics.rejected(e.code().as_str());
            e.into_response()
        }
    }
}

async fn accept_booking(
    state: &AppState,
    ip: IpAddr,
    headers: &HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    if !state.0.booking_limit.check(ip) {
        return Err(ApiError::RateLimited {
            message: "too many bookings from this address; try again in a minute",
            retry_after: None,
        });
    }
    require_json(headers)?;
    let body = read_limited(headers, body, MAX_ENVELOPE_BYTES).await?;
    let envelope = Envelope::from_json(&body).map_err(|e| {
        use kuvert_core::Error as E;
        match e {
            E::Oversize { limit } => ApiError::TooLarge(limit),
            E::MalformedEnvelope(_) => ApiError::MalformedEnvelope(e.to_string()),
            _ => ApiError::Envelope(e),
        }
    })?;
    let f = state
        .0
        .config
        .forms
        .get(&envelope.form)
        .ok_or(ApiError::UnknownForm { in_booking: true })?;
    let cal = f
        .services
        .get(&envelope.public.service)
        .ok_or(ApiError::UnknownService { in_booking: true })?;
    let (start, end) = envelope.public.validate().map_err(ApiError::Envelope)?;
    let now = state.0.clock.now();
    if !is_slot(
        cal,
        &state.0.config.time_zone,
        start.unix(),
        end.unix(),
        now,
    ) {
        return Err(ApiError::NotASlot);
    }
    let expires = end.unix() + i64::from(f.schema.retention_days) * 86_400;
    let json = envelope.to_json();
    let capacity = cal.capacity;
    for _ in 0..3 {
        let reference = Reference::generate(&mut getrandom::SysRng).map_err(ApiError::internal)?;
        let (s, r, j, env) = (
            state.clone(),
            reference.as_str().to_owned(),
            json.clone(),
            envelope.clone(),
        );
        // The store's own result inside, to tell a full slot and a reference collision apart.
        let result = blocking(move || {
            Ok(s.0.store.reserve(
                &NewBooking {
                    reference: &r,
                    form: &env.form,
                    service: &env.public.service,
                    start: start.unix(),
                    end: end.unix(),
                    envelope: &j,
                    cancel_sha256: &env.cancel,
                    received: now,
                    expires,
                },
                capacity,
            ))
        })
        .await;
        match result {
            Ok(Ok(_)) => {
                let body = BookingAccepted {
                    reference,
                    expires: rfc3339(expires),
                };
                return Ok((StatusCode::CREATED, Json(body)).into_response());
            }
            Ok(Err(StoreError::SlotFull)) => return Err(ApiError::SlotTaken),
            Ok(Err(StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _))))
                if e.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                continue;
            }
            Ok(Err(e)) => return Err(e.into()),
            Err(e) => return Err(e),
        }
    }
    Err(ApiError::internal(
        "could not draw a unique booking reference",
    ))
}

async fn cancel_booking(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(reference): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<StatusCode> {
    if !state.0.cancel_limit.check(ip) {
        return Err(ApiError::RateLimited {
            message: "too many cancellation attempts from this address; try again later",
            retry_after: None,
        });
    }
    require_json(&headers)?;
    let body = read_limited(&headers, body, 1024).await?;
    let parsed: CancelRequest =
        serde_json::from_slice(&body).map_err(|_| ApiError::MalformedRequest)?;
    let code =
        CancelCode::parse(&parsed.code).map_err(|e| ApiError::MalformedCode(e.to_string()))?;
    let not_found = || ApiError::NotFound("no booking with this reference and code");
    if !is_reference(&reference) {
        return Err(not_found());
    }
    let hash = code.hash_hex();
    let s = state.clone();
    let erased = blocking(move || s.0.store.cancel(&reference, &hash)).await?;
    if erased {
        state.0.metrics.cancelled();
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found())
    }
}

async fn audit(
    state: &AppState,
    actor: String,
    action: &'static str,
    target: String,
    outcome: &'static str,
) -> ApiResult<()> {
    let s = state.clone();
    let now = state.0.clock.now();
    blocking(move || {
        s.0.store.audit(&AuditEntry {
            time: now,
            actor: &actor,
            action,
            target: &target,
            outcome,
        })
    })
    .await?;
    Ok(())
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(default)]
    since: i64,
    #[serde(default = "default_limit")]
    limit: u32,
}

fn default_limit() -> u32 {
    100
}

async fn staff_list(
    State(state): State<AppState>,
    staff: StaffUser,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<StaffPage>> {
    staff.require(Scope::Read)?;
    let who = staff.name;
    let Query(q) =
        query.map_err(|_| ApiError::BadQuery("since must be a cursor (integer), limit 1-1000"))?;
    if q.limit == 0 || q.limit > MAX_PAGE || q.since < 0 {
        return Err(ApiError::BadQuery(
            "since must be a cursor (integer >= 0), limit 1-1000",
        ));
    }
    let s = state.clone();
    let rows = blocking(move || s.0.store.list_since(q.since, q.limit)).await?;
    let next = rows.last().map_or(q.since, |r| r.cursor);
    audit(&state, who, "list", format!("since={}", q.since), "ok").await?;
    let more = rows.len() as u32 == q.limit;
    Ok(Json(StaffPage {
        bookings: rows,
        next,
        more,
    }))
}

async fn staff_get(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(reference): Path<String>,
) -> ApiResult<Json<StaffRecord>> {
    staff.require(Scope::Read)?;
    let who = staff.name;
    let r = reference.clone();
    let s = state.clone();
    let row = if is_reference(&reference) {
        blocking(move || s.0.store.get(&r)).await?
    } else {
        None
    };
    audit(
        &state,
        who,
        "get",
        reference,
        if row.is_some() { "ok" } else { "not_found" },
    )
    .await?;
    row.map(Json)
        .ok_or(ApiError::NotFound("no booking with this reference"))
}

async fn staff_delete(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(reference): Path<String>,
) -> ApiResult<StatusCode> {
    staff.require(Scope::Erase)?;
    let who = staff.name;
    let r = reference.clone();
    let s = state.clone();
    let deleted = is_reference(&reference) && blocking(move || s.0.store.delete(&r)).await?;
    audit(
        &state,
        who,
        "delete",
        reference,
        if deleted { "ok" } else { "not_found" },
    )
    .await?;
    if deleted {
        state.0.metrics.staff_deleted();
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("no booking with this reference"))
    }
}

async fn staff_export(State(state): State<AppState>, staff: StaffUser) -> ApiResult<Response> {
    staff.require(Scope::Read)?;
    let who = staff.name;
    let mut out = String::new();
    let mut cursor = 0;
    loop {
        let s = state.clone();
        let rows = blocking(move || s.0.store.list_since(cursor, MAX_PAGE)).await?;
        for r in &rows {
            out.push_str(&serde_json::to_string(r).map_err(ApiError::internal)?);
            out.push('\n');
        }
        match rows.last() {
            Some(last) if rows.len() as u32 == MAX_PAGE => cursor = last.cursor,
            _ => break,
        }
    }
    audit(&state, who, "export", "-".into(), "ok").await?;
    Ok(([(header::CONTENT_TYPE, "application/jsonl")], out).into_response())
}
