//! The staff account routes: enrolment from an invite, passkey sign-in and sign-out, and the
//! signed-in person's own passkeys. Each success is audited naming the person; failed sign-ins
//! are counted per address and per person and audited as aggregates (`crate::limit`).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kuvert_api::accounts::{Ceremony, CeremonyFinish, EnrolStart, Me, PasskeyInfo, SignInStart};
use serde::de::DeserializeOwned;
use webauthn_rs::prelude::{
    CreationChallengeResponse, CredentialID, Passkey, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, Uuid,
};

use super::extract::{ApiPath, ClientIp, JsonBody, StaffUser};
use super::passkeys::{Passkeys, Pending, clear_cookie, require_origin, set_cookie};
use super::staff::audit;
use super::{ApiError, ApiResult, AppState, audit_aggregates, blocking};
use crate::config::Accounts;
use crate::limit::Person as PersonKey;
use crate::people::{Person, PersonState, Secret, hash_secret};
use crate::store::rfc3339;

/// What a `…/finish` body must be.
const FINISH_HELP: &str = "send {\"ceremony\": …, \"credential\": …}";

/// Largest body of an account route (a WebAuthn credential is well under 4 KB).
pub const BODY_LIMIT: usize = 16 * 1024;

/// `[accounts]` and its relying party, or 404 when accounts are off.
pub(super) fn accounts(state: &AppState) -> Result<(&Accounts, &Passkeys), ApiError> {
    match (&state.inner().config.accounts, &state.inner().passkeys) {
        (Some(a), Some(p)) => Ok((a, p)),
        _ => Err(ApiError::NotFound(
            "staff accounts are off; add [accounts] to the inbox's config",
        )),
    }
}

pub(super) fn parse<T: DeserializeOwned>(body: &[u8], help: &'static str) -> ApiResult<T> {
    serde_json::from_slice(body).map_err(|_| ApiError::Invalid(help))
}

/// A credential as WebAuthn JSON, without its client extension results: a PRF output the page
/// failed to strip is dropped here, before anything reads or stores the credential.
fn credential<T: DeserializeOwned>(mut value: serde_json::Value) -> ApiResult<T> {
    if let Some(obj) = value.as_object_mut() {
        obj.remove("clientExtensionResults");
        obj.remove("extensions");
    }
    serde_json::from_value(value)
        .map_err(|_| ApiError::Invalid("credential is not a WebAuthn PublicKeyCredential"))
}

/// Holds `pending` and answers with its id and the browser's `options`.
fn ceremony(
    passkeys: &Passkeys,
    pending: Pending,
    options: impl serde::Serialize,
    now: i64,
) -> ApiResult<Json<Ceremony>> {
    let ceremony = passkeys.begin(pending, now)?;
    Ok(Json(Ceremony {
        ceremony,
        options: serde_json::to_value(options).map_err(ApiError::internal)?,
    }))
}

/// Starts registering a passkey for `person`, leaving out the credentials in `exclude`.
fn start_registration(
    passkeys: &Passkeys,
    person: &Person,
    exclude: Option<Vec<CredentialID>>,
) -> ApiResult<(CreationChallengeResponse, PasskeyRegistration)> {
    passkeys
        .webauthn
        .start_passkey_registration(
            Uuid::from_bytes(person.handle),
            &person.name,
            &person.name,
            exclude,
        )
        .map_err(ApiError::internal)
}

/// Verifies a registration: the new passkey's credential id and its stored form (JSON).
fn finish_registration(
    passkeys: &Passkeys,
    credential_json: serde_json::Value,
    state: &PasskeyRegistration,
) -> ApiResult<(Vec<u8>, String)> {
    let cred: RegisterPublicKeyCredential = credential(credential_json)?;
    let passkey = passkeys
        .webauthn
        .finish_passkey_registration(&cred, state)
        .map_err(|_| ApiError::SignInFailed)?;
    let json = serde_json::to_string(&passkey).map_err(ApiError::internal)?;
    Ok((passkey.cred_id().to_vec(), json))
}

/// What the page shows about the signed-in person.
pub(super) async fn me_of(state: &AppState, person: Person) -> ApiResult<Me> {
    let s = state.clone();
    let id = person.id;
    let (passkeys, grants) =
        blocking(move || Ok((s.inner().store.passkeys(id)?, s.inner().store.grants(id)?))).await?;
    let idle = state
        .inner()
        .config
        .accounts
        .as_ref()
        .map_or(0, |a| a.session.idle);
    Ok(Me {
        name: person.name,
        roles: person.roles.into_iter().collect(),
        public_key: person.public_key,
        passkeys: passkeys
            .iter()
            .map(|p| PasskeyInfo {
                id: p.id,
                created: rfc3339(p.created),
                last_used: p.last_used.map(rfc3339),
            })
            .collect(),
        grants: grants.into_iter().map(|g| g.0).collect(),
        idle_seconds: idle,
    })
}

/// Starts a session for `person`: the cookie and the person's view.
async fn begin_session(state: &AppState, person: Person) -> ApiResult<Response> {
    let (accounts, _) = accounts(state)?;
    let (secret, hash) = Secret::generate().map_err(ApiError::internal)?;
    let s = state.clone();
    let now = state.inner().clock.now();
    let id = person.id;
    blocking(move || s.inner().store.add_session(id, &hash, now)).await?;
    let cookie = set_cookie(&secret, accounts.session.max)?;
    let me = me_of(state, person).await?;
    Ok(([(header::SET_COOKIE, cookie)], Json(me)).into_response())
}

/// `POST /v1/staff/enrol/start`.
pub(super) async fn enrol_start(
    State(state): State<AppState>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<BODY_LIMIT>,
) -> ApiResult<Json<Ceremony>> {
    let (accounts, passkeys) = accounts(&state)?;
    require_origin(&headers, accounts)?;
    let req: EnrolStart = parse(&body, "send {\"invite\": \"…\"} from the enrolment link")?;
    let invite = hash_secret(&req.invite);
    let now = state.inner().clock.now();
    let s = state.clone();
    let person = blocking(move || s.inner().store.invite(&invite, now))
        .await?
        .map_err(ApiError::Invite)?;
    let (options, reg) = start_registration(passkeys, &person, None)?;
    let pending = Pending::Enrol {
        invite,
        person: person.id,
        state: reg,
    };
    ceremony(passkeys, pending, options, now)
}

/// `POST /v1/staff/enrol/finish`.
pub(super) async fn enrol_finish(
    State(state): State<AppState>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<BODY_LIMIT>,
) -> ApiResult<Response> {
    let (accounts, passkeys) = accounts(&state)?;
    require_origin(&headers, accounts)?;
    let req: CeremonyFinish = parse(&body, FINISH_HELP)?;
    let now = state.inner().clock.now();
    let Pending::Enrol {
        invite,
        person,
        state: reg,
    } = passkeys.take(&req.ceremony, now)?
    else {
        return Err(ApiError::CeremonyExpired);
    };
    let (cred_id, json) = finish_registration(passkeys, req.credential, &reg)?;
    let s = state.clone();
    let enrolled = blocking(move || {
        let store = &s.inner().store;
        if store.credential_taken(&cred_id)? {
            return Ok(Err(None));
        }
        Ok(match store.enrol(&invite, &cred_id, &json, now)? {
            Ok(id) => Ok(store.person_by_id(id)?),
            Err(refused) => Err(Some(refused)),
        })
    })
    .await?;
    let person = match enrolled {
        Ok(Some(p)) if p.id == person => p,
        Ok(_) => return Err(ApiError::internal("an enrolled person vanished")),
        Err(Some(refused)) => return Err(ApiError::Invite(refused)),
        Err(None) => {
            return Err(ApiError::Invalid(
                "this passkey is registered already; sign in with it",
            ));
        }
    };
    audit(&state, person.name.clone(), "enrol", "-".into(), "ok").await?;
    begin_session(&state, person).await
}

/// Counts a failed sign-in for the address and the name, auditing finished windows.
async fn sign_in_failed(state: &AppState, ip: std::net::IpAddr, name: &str) -> ApiError {
    let now = state.inner().clock.now();
    let by_ip = state.inner().auth_failures.record(ip, now);
    let by_person = state
        .inner()
        .person_failures
        .record(PersonKey(name.to_owned()), now);
    match audit_aggregates(state, by_ip).await {
        Ok(()) => match audit_aggregates(state, by_person).await {
            Ok(()) => ApiError::SignInFailed,
            Err(e) => e,
        },
        Err(e) => e,
    }
}

/// Refuses (429) a sign-in from a locked-out address or for a locked-out person.
async fn check_lockout(state: &AppState, ip: std::net::IpAddr, name: &str) -> ApiResult<()> {
    let now = state.inner().clock.now();
    let (ip_blocked, a) = state.inner().auth_failures.blocked(ip, now);
    audit_aggregates(state, a).await?;
    let key = PersonKey(name.to_owned());
    let (person_blocked, b) = state.inner().person_failures.blocked(key.clone(), now);
    audit_aggregates(state, b).await?;
    if ip_blocked || person_blocked {
        let _ = sign_in_failed(state, ip, name).await;
        return Err(ApiError::rate_limited(
            if person_blocked {
                "too many failed sign-ins for this person; try again in a minute"
            } else {
                "too many failed staff sign-ins from this address; try again later"
            },
            crate::limit::retry_after(now),
        ));
    }
    Ok(())
}

/// `POST /v1/staff/signin/start`.
pub(super) async fn signin_start(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    JsonBody(body): JsonBody<BODY_LIMIT>,
) -> ApiResult<Json<Ceremony>> {
    let (accounts, passkeys) = accounts(&state)?;
    require_origin(&headers, accounts)?;
    let req: SignInStart = parse(&body, "send {\"name\": \"…\"}")?;
    check_lockout(&state, ip, &req.name).await?;
    let s = state.clone();
    let name = req.name.clone();
    let found = blocking(move || {
        let store = &s.inner().store;
        match store.person(&name)? {
            Some(p) if p.state == PersonState::Active => {
                let keys = store.passkeys(p.id)?;
                Ok(Some((p, keys)))
            }
            _ => Ok(None),
        }
    })
    .await?;
    let Some((person, stored)) = found else {
        return Err(sign_in_failed(&state, ip, &req.name).await);
    };
    let keys: Vec<Passkey> = stored
        .iter()
        .filter_map(|k| serde_json::from_str(&k.passkey).ok())
        .collect();
    if keys.is_empty() {
        return Err(sign_in_failed(&state, ip, &req.name).await);
    }
    let (options, auth) = passkeys
        .webauthn
        .start_passkey_authentication(&keys)
        .map_err(ApiError::internal)?;
    let now = state.inner().clock.now();
    let pending = Pending::SignIn {
        person: person.id,
        state: auth,
    };
    ceremony(passkeys, pending, options, now)
}

/// `POST /v1/staff/signin/finish`.
pub(super) async fn signin_finish(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    JsonBody(body): JsonBody<BODY_LIMIT>,
) -> ApiResult<Response> {
    let (accounts, passkeys) = accounts(&state)?;
    require_origin(&headers, accounts)?;
    let req: CeremonyFinish = parse(&body, FINISH_HELP)?;
    let now = state.inner().clock.now();
    let Pending::SignIn {
        person,
        state: auth,
    } = passkeys.take(&req.ceremony, now)?
    else {
        return Err(ApiError::CeremonyExpired);
    };
    let s = state.clone();
    let found = blocking(move || {
        let store = &s.inner().store;
        Ok(store.person_by_id(person)?.map(|p| {
            let keys = store.passkeys(p.id);
            (p, keys)
        }))
    })
    .await?;
    let Some((person, stored)) = found else {
        return Err(ApiError::SignInFailed);
    };
    let stored = stored?;
    let cred: PublicKeyCredential = credential(req.credential)?;
    let result = match passkeys
        .webauthn
        .finish_passkey_authentication(&cred, &auth)
    {
        Ok(r) if person.state == PersonState::Active => r,
        _ => return Err(sign_in_failed(&state, ip, &person.name).await),
    };
    let Some(used) = stored
        .iter()
        .find(|k| k.credential.as_slice() == result.cred_id().as_slice())
    else {
        // The passkey was removed between start and finish.
        return Err(sign_in_failed(&state, ip, &person.name).await);
    };
    let updated = serde_json::from_str::<Passkey>(&used.passkey)
        .ok()
        .and_then(|mut k| match k.update_credential(&result) {
            Some(true) => serde_json::to_string(&k).ok(),
            _ => None,
        });
    let s = state.clone();
    let (pid, kid) = (person.id, used.id);
    blocking(move || s.inner().store.signed_in(pid, kid, updated.as_deref(), now)).await?;
    audit(&state, person.name.clone(), "sign_in", "-".into(), "ok").await?;
    begin_session(&state, person).await
}

/// `POST /v1/staff/signout`.
pub(super) async fn signout(
    State(state): State<AppState>,
    staff: StaffUser,
) -> ApiResult<Response> {
    if let Some(hash) = staff.session {
        let s = state.clone();
        blocking(move || s.inner().store.end_session(&hash)).await?;
        audit(&state, staff.name, "sign_out", "-".into(), "ok").await?;
    }
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, clear_cookie())],
    )
        .into_response())
}

/// `GET /v1/staff/me`.
pub(super) async fn me(State(state): State<AppState>, staff: StaffUser) -> ApiResult<Json<Me>> {
    let person = staff.account()?.clone();
    Ok(Json(me_of(&state, person).await?))
}

/// `POST /v1/staff/me/passkeys/start`: another passkey for the signed-in person.
pub(super) async fn passkey_add_start(
    State(state): State<AppState>,
    staff: StaffUser,
) -> ApiResult<Json<Ceremony>> {
    let (_, passkeys) = accounts(&state)?;
    if staff.session.is_none() {
        return Err(ApiError::InsufficientScope);
    }
    let person = staff.account()?.clone();
    let s = state.clone();
    let id = person.id;
    let existing = blocking(move || s.inner().store.passkeys(id)).await?;
    let exclude = existing.iter().map(|k| k.credential.clone()).collect();
    let (options, reg) = start_registration(passkeys, &person, Some(exclude))?;
    let now = state.inner().clock.now();
    let pending = Pending::AddPasskey {
        person: person.id,
        state: reg,
    };
    ceremony(passkeys, pending, options, now)
}

/// `POST /v1/staff/me/passkeys/finish`.
pub(super) async fn passkey_add_finish(
    State(state): State<AppState>,
    staff: StaffUser,
    JsonBody(body): JsonBody<BODY_LIMIT>,
) -> ApiResult<Json<Me>> {
    let (_, passkeys) = accounts(&state)?;
    let person = staff.account()?.clone();
    let req: CeremonyFinish = parse(&body, FINISH_HELP)?;
    let now = state.inner().clock.now();
    let Pending::AddPasskey {
        person: pid,
        state: reg,
    } = passkeys.take(&req.ceremony, now)?
    else {
        return Err(ApiError::CeremonyExpired);
    };
    if pid != person.id {
        return Err(ApiError::CeremonyExpired);
    }
    let (cred_id, json) = finish_registration(passkeys, req.credential, &reg)?;
    let s = state.clone();
    let added = blocking(move || {
        let store = &s.inner().store;
        if store.credential_taken(&cred_id)? {
            return Ok(false);
        }
        store.add_passkey(pid, &cred_id, &json, now)?;
        Ok(true)
    })
    .await?;
    if !added {
        return Err(ApiError::Invalid("this passkey is registered already"));
    }
    audit(&state, person.name.clone(), "add_passkey", "-".into(), "ok").await?;
    Ok(Json(me_of(&state, person).await?))
}

/// `DELETE /v1/staff/me/passkeys/{id}`.
pub(super) async fn passkey_remove(
    State(state): State<AppState>,
    staff: StaffUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    let person = staff.account()?.clone();
    let s = state.clone();
    let pid = person.id;
    let removed = blocking(move || s.inner().store.remove_passkey(pid, id)).await?;
    if !removed {
        return Err(ApiError::NotFound(
            "no such passkey, or it is the last one (add another first)",
        ));
    }
    audit(&state, person.name, "remove_passkey", id.to_string(), "ok").await?;
    Ok(StatusCode::NO_CONTENT)
}
