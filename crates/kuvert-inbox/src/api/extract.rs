//! Extractors: who is asking (address, staff token) and what they sent (query, path, body),
//! each refusing with an [`ApiError`] rather than axum's plain-text rejections.

use std::marker::PhantomData;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, FailedToBufferBody};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::{HeaderMap, Method, header, request::Parts};
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

use super::passkeys::{require_origin, session_cookie};
use super::{ApiError, AppState, audit_aggregates, blocking};
use crate::config::Scope;
use crate::limit::Limiter;
use crate::people::{Person, hash_secret};

/// The client's address: the TCP peer, or the last `X-Forwarded-For` hop when the config says
/// a trusted proxy sits in front.
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if state.inner().config.trust_forwarded_for
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

/// A staff member: signed in with a passkey (the session cookie), or using a token (one of
/// their account's, or one from the config's `[[staff]]`). Their name is the audit log's
/// actor.
pub struct StaffUser {
    /// Who, for the audit log.
    pub name: String,
    scopes: std::collections::BTreeSet<Scope>,
    /// Their account, unless the token came from the config.
    pub person: Option<Person>,
    /// The session's hash, when signed in with a passkey.
    pub session: Option<[u8; 32]>,
}

impl StaffUser {
    /// Refuses (403) unless the token has `scope`.
    pub(crate) fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self.scopes.contains(&scope) {
            Ok(())
        } else {
            Err(ApiError::InsufficientScope)
        }
    }

    /// Their account, for the routes about oneself (config tokens have none: 403).
    pub(crate) fn account(&self) -> Result<&Person, ApiError> {
        self.person.as_ref().ok_or(ApiError::InsufficientScope)
    }
}

impl FromRequestParts<AppState> for StaffUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ClientIp(ip) = ClientIp::from_request_parts(parts, state).await?;
        let inner = state.inner();
        let now = inner.clock.now();
        let (blocked, finished) = inner.auth_failures.blocked(ip, now);
        audit_aggregates(state, finished).await?;
        if blocked {
            // Counted too, so the aggregate shows how hard the address kept trying.
            let finished = inner.auth_failures.record(ip, now);
            audit_aggregates(state, finished).await?;
            return Err(ApiError::rate_limited(
                "too many failed staff sign-ins from this address; try again later",
                crate::limit::retry_after(now),
            ));
        }
        let presented = session_cookie(&parts.headers).is_some()
            || parts.headers.contains_key(header::AUTHORIZATION);
        if let Some(user) = authenticate(parts, state, now).await? {
            return Ok(user);
        }
        if !presented {
            // Nothing to guess with (a staff page asking whether anyone is signed in).
            return Err(ApiError::Unauthorized);
        }
        // Not one audit row per failure (that would let anyone flood the log): the failure is
        // counted, and the count per address is audited when its window ends.
        let finished = inner.auth_failures.record(ip, now);
        audit_aggregates(state, finished).await?;
        Err(ApiError::Unauthorized)
    }
}

/// The staff member a request's session cookie or bearer token names, if it names one.
async fn authenticate(
    parts: &Parts,
    state: &AppState,
    now: i64,
) -> Result<Option<StaffUser>, ApiError> {
    let inner = state.inner();
    if let Some(accounts) = &inner.config.accounts
        && let Some(secret) = session_cookie(&parts.headers)
    {
        let hash = hash_secret(&secret);
        let s = state.clone();
        let limits = accounts.session;
        let person = blocking(move || s.inner().store.session(&hash, now, limits)).await?;
        let Some(person) = person else {
            return Ok(None);
        };
        // A cookie rides along on any request the browser makes to this origin, so a change
        // must prove it came from the inbox's own pages.
        if !matches!(parts.method, Method::GET | Method::HEAD) {
            require_origin(&parts.headers, accounts)?;
        }
        return Ok(Some(StaffUser {
            name: person.name.clone(),
            scopes: person.session_scopes(),
            person: Some(person),
            session: Some(hash),
        }));
    }
    let Some(token) = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
    else {
        return Ok(None);
    };
    let hash = hash_secret(token);
    // Compare against every config hash in constant time, without stopping early.
    let mut found = None;
    for s in &inner.config.staff {
        if bool::from(s.token_sha256.ct_eq(&hash)) {
            found = Some(s);
        }
    }
    if let Some(s) = found {
        return Ok(Some(StaffUser {
            name: s.name.clone(),
            scopes: s.scopes.clone(),
            person: None,
            session: None,
        }));
    }
    let s = state.clone();
    let account = blocking(move || s.inner().store.token(&hash, now)).await?;
    Ok(account.map(|(person, scopes)| StaffUser {
        name: person.name.clone(),
        scopes,
        person: Some(person),
        session: None,
    }))
}

/// A query string of `T`; a missing or mistyped parameter is [`ApiError::BadQuery`] with the
/// route's own hint ([`QueryHelp`]).
pub struct ApiQuery<T>(pub T);

/// What a route says when its query is wrong.
pub trait QueryHelp {
    /// The hint, e.g. "give service, from and to (YYYY-MM-DD)".
    const HELP: &'static str;
}

impl<T: DeserializeOwned + QueryHelp, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(q)| ApiQuery(q))
            .map_err(|_| ApiError::BadQuery(T::HELP))
    }
}

/// A path parameter; one that cannot be read (bad percent-encoding) is a 404 like any other
/// unknown resource.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(p)| ApiPath(p))
            .map_err(|_| ApiError::NotFound("no such resource"))
    }
}

/// A JSON body of at most `MAX` bytes, as raw bytes for the handler to parse. It needs
/// `Content-Type: application/json` (415). Its size is refused (413) before anything is
/// buffered: a `Content-Length` above `MAX` at once, and a body without one is cut off at the
/// limit of the route's `DefaultBodyLimit` layer (which must be `MAX`; see `app`).
pub struct JsonBody<const MAX: usize>(pub Bytes);

impl<const MAX: usize, S: Send + Sync> FromRequest<S> for JsonBody<MAX> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        require_json(req.headers())?;
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        if declared.is_some_and(|n| n > MAX) {
            return Err(ApiError::TooLarge(MAX));
        }
        Bytes::from_request(req, state)
            .await
            .map(JsonBody)
            .map_err(|e| match e {
                BytesRejection::FailedToBufferBody(FailedToBufferBody::LengthLimitError(_)) => {
                    ApiError::TooLarge(MAX)
                }
                _ => ApiError::BodyUnreadable,
            })
    }
}

fn require_json(headers: &HeaderMap) -> Result<(), ApiError> {
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

/// A request within its per-address limit of kind `L` (429 past it). An extractor, so the
/// limit is checked before the body is read.
pub struct WithinLimit<L>(PhantomData<L>);

/// A per-address limit of the public API.
pub trait LimitKind {
    /// The limiter in the state.
    fn limiter(state: &AppState) -> &Limiter;
    /// What is said past the limit.
    const MESSAGE: &'static str;
}

/// New bookings per address.
pub struct Bookings;
/// Cancellation attempts per address.
pub struct Cancellations;

impl LimitKind for Bookings {
    fn limiter(state: &AppState) -> &Limiter {
        &state.inner().booking_limit
    }
    const MESSAGE: &'static str = "too many bookings from this address; try again in a minute";
}

impl LimitKind for Cancellations {
    fn limiter(state: &AppState) -> &Limiter {
        &state.inner().cancel_limit
    }
    const MESSAGE: &'static str =
        "too many cancellation attempts from this address; try again later";
}

impl<L: LimitKind> FromRequestParts<AppState> for WithinLimit<L> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ClientIp(ip) = ClientIp::from_request_parts(parts, state).await?;
        if L::limiter(state).check(ip) {
            Ok(WithinLimit(PhantomData))
        } else {
            Err(ApiError::RateLimited {
                message: L::MESSAGE,
                retry_after: None,
            })
        }
    }
}
