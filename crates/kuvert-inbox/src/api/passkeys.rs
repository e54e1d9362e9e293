//! Passkey ceremonies (webauthn-rs): the relying party built from `[accounts]`, the pending
//! ceremonies in memory, and the session cookie.
//!
//! A ceremony's state lives only here, keyed by the SHA-256 of a random id the browser holds,
//! for 5 minutes, and is taken out when it is finished: a replayed `…/finish` finds nothing
//! (`ceremony_expired`). webauthn-rs asks for exactly this ("you must store the
//! PasskeyRegistration value server side").

use std::collections::HashMap;
use std::sync::Mutex;

use axum::http::{HeaderMap, HeaderValue, header};
use webauthn_rs::prelude::{PasskeyAuthentication, PasskeyRegistration, Url};
use webauthn_rs::{Webauthn, WebauthnBuilder};

use super::ApiError;
use crate::config::Accounts;
use crate::people::{Secret, hash_secret};

/// Seconds a ceremony may take.
pub const CEREMONY_SECS: i64 = 300;
/// Most ceremonies pending at once; past it new ones are refused until some expire.
pub const MAX_PENDING: usize = 1000;
/// The session cookie. `__Host-`: only from this origin, `Secure`, `Path=/`, no `Domain`.
pub const COOKIE: &str = "__Host-kuvert-session";

/// A ceremony waiting for the browser.
pub enum Pending {
    /// Registration from an enrolment link.
    Enrol {
        /// The invite's hash.
        invite: [u8; 32],
        /// Who.
        person: i64,
        /// webauthn-rs's state.
        state: PasskeyRegistration,
    },
    /// Registration of another passkey by a signed-in person.
    AddPasskey {
        /// Who.
        person: i64,
        /// webauthn-rs's state.
        state: PasskeyRegistration,
    },
    /// Sign-in.
    SignIn {
        /// Who.
        person: i64,
        /// webauthn-rs's state.
        state: PasskeyAuthentication,
    },
}

/// The relying party and its pending ceremonies.
pub struct Passkeys {
    /// webauthn-rs, for the configured origin.
    pub webauthn: Webauthn,
    pending: Mutex<HashMap<[u8; 32], (i64, Pending)>>,
}

impl Passkeys {
    /// The relying party for `[accounts]`.
    pub fn new(accounts: &Accounts) -> Result<Passkeys, String> {
        let origin = Url::parse(&accounts.origin).map_err(|e| e.to_string())?;
        let webauthn = WebauthnBuilder::new(&accounts.rp_id, &origin)
            .and_then(|b| b.rp_name("Kuvert").build())
            .map_err(|e| e.to_string())?;
        Ok(Passkeys {
            webauthn,
            pending: Mutex::new(HashMap::new()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], (i64, Pending)>> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Holds `pending` until `now + CEREMONY_SECS`; returns the id for the browser.
    pub fn begin(&self, pending: Pending, now: i64) -> Result<String, ApiError> {
        let (id, hash) = Secret::generate().map_err(ApiError::internal)?;
        let mut map = self.lock();
        map.retain(|_, (expires, _)| *expires > now);
        if map.len() >= MAX_PENDING {
            return Err(ApiError::rate_limited(
                "too many sign-ins in progress; try again in a minute",
                CEREMONY_SECS,
            ));
        }
        map.insert(hash, (now + CEREMONY_SECS, pending));
        Ok(id.expose().to_owned())
    }

    /// Takes the ceremony `id` out (so it can be finished once), if it has not expired.
    pub fn take(&self, id: &str, now: i64) -> Result<Pending, ApiError> {
        match self.lock().remove(&hash_secret(id)) {
            Some((expires, p)) if expires > now => Ok(p),
            _ => Err(ApiError::CeremonyExpired),
        }
    }
}

/// The session secret from the request's cookie, if any.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(COOKIE)?.strip_prefix('='))
        .map(str::to_owned)
}

/// `Set-Cookie` for a new session. `Secure` always: browsers keep `Secure` cookies from
/// `http://localhost` too, so the demo needs no exception.
pub fn set_cookie(secret: &Secret, max_age: i64) -> Result<HeaderValue, ApiError> {
    HeaderValue::from_str(&format!(
        "{COOKIE}={}; Path=/; Max-Age={max_age}; HttpOnly; Secure; SameSite=Strict",
        secret.expose()
    ))
    .map_err(ApiError::internal)
}

/// `Set-Cookie` that ends the session in the browser.
pub fn clear_cookie() -> HeaderValue {
    HeaderValue::from_static(
        "__Host-kuvert-session=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict",
    )
}

/// Refuses (403 `wrong_origin`) unless the request's `Origin` is the inbox's own: every
/// state-changing staff request a browser can make (cookie sessions, enrolment, sign-in).
pub fn require_origin(headers: &HeaderMap, accounts: &Accounts) -> Result<(), ApiError> {
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        Some(o) if o == accounts.origin => Ok(()),
        _ => Err(ApiError::WrongOrigin),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_found_among_others_and_not_by_prefix() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; __Host-kuvert-sessionx=no; __Host-kuvert-session=yes"),
        );
        assert_eq!(session_cookie(&h).as_deref(), Some("yes"));
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("__Host-kuvert-sessionx=no"),
        );
        assert_eq!(session_cookie(&h), None);
    }
}
