//! The key directory and the owner's people routes: each person's public key and wrapped
//! copies of their secret, grants (a role's key sealed to a person on the owner's device),
//! invites, removal and the access review. The inbox stores every key file as it came and
//! cannot open any of them.

use std::collections::BTreeSet;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use kuvert_api::accounts::{
    Grant, GrantUpload, Grants, Invite, NewPerson, PasskeyInfo, People, PersonReview, PersonalKey,
    PublicKey, TokenReview,
};
use kuvert_core::recipient::Recipient;

use super::accounts::{BODY_LIMIT, accounts, parse};
use super::extract::{ApiPath, JsonBody, StaffUser};
use super::staff::audit;
use super::{ApiError, ApiResult, AppState, blocking};
use crate::config::{Accounts, Scope};
use crate::people::{OWNER, Person, PersonState, Secret, is_valid_name};
use crate::store::{StoreError, rfc3339};

/// Largest armored age file accepted as a grant or a wrapped key.
pub const MAX_KEY_FILE: usize = 4096;
/// Most wrapped copies of one personal key.
pub const MAX_WRAPPED: usize = 8;

/// Whether `file` is an ASCII-armored age file of a sane size (its contents stay opaque).
fn is_armored_age(file: &str) -> bool {
    let t = file.trim_end();
    file.len() <= MAX_KEY_FILE
        && t.starts_with("-----BEGIN AGE ENCRYPTED FILE-----\n")
        && t.ends_with("\n-----END AGE ENCRYPTED FILE-----")
        && t.bytes().all(|b| b == b'\n' || (b' '..=b'~').contains(&b))
}

/// `PUT /v1/staff/me/key`: sets the person's own public key and wrapped secret copies. A new
/// public key drops the grants sealed to the old one (the owner grants again).
pub(super) async fn put_key(
    State(state): State<AppState>,
    staff: StaffUser,
    JsonBody(body): JsonBody<BODY_LIMIT>,
) -> ApiResult<StatusCode> {
    let person = staff.account()?.clone();
    let key: PersonalKey = parse(&body, "send {\"public_key\": \"age1…\", \"wrapped\": […]}")?;
    if key.public_key.parse::<Recipient>().is_err() {
        return Err(ApiError::Invalid(
            "public_key is not an age X25519 recipient (age1…)",
        ));
    }
    if key.wrapped.len() > MAX_WRAPPED {
        return Err(ApiError::Invalid("send at most 8 wrapped copies"));
    }
    for w in &key.wrapped {
        let kind_ok = match w.kind.as_str() {
            "prf" => w
                .credential
                .as_deref()
                .is_some_and(|c| !c.is_empty() && c.len() <= 1024),
            "passphrase" => w.credential.is_none(),
            _ => false,
        };
        if !kind_ok || !is_armored_age(&w.file) {
            return Err(ApiError::Invalid(
                "each wrapped copy is {\"kind\": \"prf\", \"credential\": id, \"file\": armored age} or {\"kind\": \"passphrase\", \"file\": …}",
            ));
        }
    }
    let wrapped = serde_json::to_string(&key.wrapped).map_err(ApiError::internal)?;
    let s = state.clone();
    let id = person.id;
    let public = key.public_key.clone();
    blocking(move || s.inner().store.set_key(id, &public, &wrapped)).await?;
    audit(&state, person.name, "set_key", key.public_key, "ok").await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v1/staff/me/key`.
pub(super) async fn get_key(
    State(state): State<AppState>,
    staff: StaffUser,
) -> ApiResult<Json<PersonalKey>> {
    let person = staff.account()?.clone();
    let s = state.clone();
    let id = person.id;
    let Some((public_key, wrapped)) = blocking(move || s.inner().store.key(id)).await? else {
        return Err(ApiError::NoKey);
    };
    let wrapped = serde_json::from_str(&wrapped).map_err(ApiError::internal)?;
    Ok(Json(PersonalKey {
        public_key,
        wrapped,
    }))
}

/// `GET /v1/staff/me/grants`: audited, as the step before opening bookings.
pub(super) async fn my_grants(
    State(state): State<AppState>,
    staff: StaffUser,
) -> ApiResult<Json<Grants>> {
    staff.require(Scope::Read)?;
    let person = staff.account()?.clone();
    let s = state.clone();
    let id = person.id;
    let rows = blocking(move || s.inner().store.grants(id)).await?;
    audit(
        &state,
        person.name,
        "fetch_grants",
        rows.len().to_string(),
        "ok",
    )
    .await?;
    Ok(Json(Grants {
        grants: rows
            .into_iter()
            .map(|(role, sealed, granted_by, at)| Grant {
                role,
                sealed,
                granted_by,
                granted: rfc3339(at),
            })
            .collect(),
    }))
}

/// The owner, or 403.
fn owner(staff: &StaffUser) -> ApiResult<&Person> {
    staff.require(Scope::Manage)?;
    let person = staff.account()?;
    if person.has_role(OWNER) {
        Ok(person)
    } else {
        Err(ApiError::InsufficientScope)
    }
}

/// A person present (invited or active) by name, or 404.
async fn present(state: &AppState, name: String) -> ApiResult<Person> {
    let s = state.clone();
    match blocking(move || s.inner().store.person(&name)).await? {
        Some(p) if p.state != PersonState::Removed => Ok(p),
        _ => Err(ApiError::NotFound("no such person")),
    }
}

/// Checks roles against `[accounts]`.
fn known_roles(accounts: &Accounts, roles: &[String]) -> ApiResult<BTreeSet<String>> {
    let mut out = BTreeSet::new();
    for r in roles {
        if r != OWNER && !accounts.roles.contains(r) {
            return Err(ApiError::UnknownRole);
        }
        out.insert(r.clone());
    }
    Ok(out)
}

/// Makes an invited person and their one-time link (shared with the CLI).
pub fn invite_person(
    store: &crate::store::Store,
    accounts: &Accounts,
    name: &str,
    roles: &BTreeSet<String>,
    now: i64,
) -> Result<Option<(Person, Secret, i64)>, StoreError> {
    let Some(person) = store.add_person(name, roles, now)? else {
        return Ok(None);
    };
    let (secret, hash) = Secret::generate().map_err(|_| StoreError::Random)?;
    let expires = now + accounts.invite_secs;
    store.add_invite(person.id, &hash, expires)?;
    Ok(Some((person, secret, expires)))
}

/// The enrolment link for an invite secret: in the fragment, so it reaches no server log and
/// no `Referer`.
pub fn enrol_link(accounts: &Accounts, secret: &Secret) -> String {
    format!("{}/desk/#enrol={}", accounts.origin, secret.expose())
}

/// `POST /v1/staff/people`: invite someone (owners).
pub(super) async fn invite(
    State(state): State<AppState>,
    staff: StaffUser,
    JsonBody(body): JsonBody<BODY_LIMIT>,
) -> ApiResult<(StatusCode, Json<Invite>)> {
    let by = owner(&staff)?.name.clone();
    let (accounts, _) = accounts(&state)?;
    let req: NewPerson = parse(&body, "send {\"name\": \"…\", \"roles\": [\"desk\"]}")?;
    if !is_valid_name(&req.name) {
        return Err(ApiError::Invalid(
            "name: 1-64 letters, digits, spaces and .-_' (no leading or trailing space)",
        ));
    }
    let roles = known_roles(accounts, &req.roles)?;
    let s = state.clone();
    let a = accounts.clone();
    let now = state.inner().clock.now();
    let name = req.name.clone();
    let made = blocking(move || invite_person(&s.inner().store, &a, &name, &roles, now)).await?;
    let Some((person, secret, expires)) = made else {
        return Err(ApiError::NameTaken);
    };
    audit(&state, by, "invite", person.name.clone(), "ok").await?;
    Ok((
        StatusCode::CREATED,
        Json(Invite {
            name: person.name,
            link: enrol_link(accounts, &secret),
            expires: rfc3339(expires),
        }),
    ))
}

/// `DELETE /v1/staff/people/{name}`: ends their sessions and tokens and deletes their grants
/// at once (owners).
pub(super) async fn remove(
    State(state): State<AppState>,
    staff: StaffUser,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<StatusCode> {
    let by = owner(&staff)?.name.clone();
    let s = state.clone();
    let n = name.clone();
    if !blocking(move || s.inner().store.remove_person(&n)).await? {
        return Err(ApiError::NotFound("no such person"));
    }
    audit(&state, by, "remove", name, "ok").await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v1/staff/people/{name}/key` (owners, to seal a grant).
pub(super) async fn person_key(
    State(state): State<AppState>,
    staff: StaffUser,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<Json<PublicKey>> {
    owner(&staff)?;
    let person = present(&state, name).await?;
    let public_key = person.public_key.ok_or(ApiError::NoKey)?;
    Ok(Json(PublicKey {
        name: person.name,
        public_key,
    }))
}

/// `PUT /v1/staff/people/{name}/grants/{role}`: stores the sealed role key and gives the
/// person the role (owners).
pub(super) async fn put_grant(
    State(state): State<AppState>,
    staff: StaffUser,
    ApiPath((name, role)): ApiPath<(String, String)>,
    JsonBody(body): JsonBody<BODY_LIMIT>,
) -> ApiResult<StatusCode> {
    let by = owner(&staff)?.name.clone();
    let (accounts, _) = accounts(&state)?;
    let roles = known_roles(accounts, std::slice::from_ref(&role))?;
    let req: GrantUpload = parse(&body, "send {\"sealed\": \"armored age file\"}")?;
    if !is_armored_age(&req.sealed) {
        return Err(ApiError::Invalid(
            "sealed must be an armored age file (-----BEGIN AGE ENCRYPTED FILE-----) of at most 4096 bytes",
        ));
    }
    let person = present(&state, name).await?;
    if person.public_key.is_none() {
        return Err(ApiError::NoKey);
    }
    let s = state.clone();
    let now = state.inner().clock.now();
    let (pid, r, granter) = (person.id, role.clone(), by.clone());
    let mut all = person.roles.clone();
    all.extend(roles);
    blocking(move || {
        let store = &s.inner().store;
        store.put_grant(pid, &r, &req.sealed, &granter, now)?;
        store.set_roles(pid, &all)
    })
    .await?;
    audit(
        &state,
        by,
        "grant",
        format!("{role} to {}", person.name),
        "ok",
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /v1/staff/people/{name}/grants/{role}`: withdraws the grant and the role (owners).
pub(super) async fn withdraw_grant(
    State(state): State<AppState>,
    staff: StaffUser,
    ApiPath((name, role)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    let by = owner(&staff)?.name.clone();
    let person = present(&state, name).await?;
    let s = state.clone();
    let (pid, r) = (person.id, role.clone());
    let mut rest = person.roles.clone();
    let held = rest.remove(&role);
    let had = blocking(move || {
        let store = &s.inner().store;
        let had = store.withdraw_grant(pid, &r)?;
        store.set_roles(pid, &rest)?;
        Ok(had)
    })
    .await?;
    if !had && !held {
        return Err(ApiError::NotFound("this person has no such grant or role"));
    }
    audit(
        &state,
        by,
        "withdraw",
        format!("{role} from {}", person.name),
        "ok",
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v1/staff/people`: the access review (owners).
pub(super) async fn review(
    State(state): State<AppState>,
    staff: StaffUser,
) -> ApiResult<Json<People>> {
    let by = owner(&staff)?.name.clone();
    let s = state.clone();
    let rows = blocking(move || s.inner().store.review()).await?;
    audit(&state, by, "review", rows.len().to_string(), "ok").await?;
    Ok(Json(People {
        people: rows.into_iter().map(review_row).collect(),
    }))
}

/// One access-review row on the wire (the CLI's `staff list` prints the same).
pub fn review_row(r: crate::people::Review) -> PersonReview {
    PersonReview {
        name: r.person.name,
        state: r.person.state.as_str().to_owned(),
        roles: r.person.roles.into_iter().collect(),
        passkeys: r
            .passkeys
            .into_iter()
            .map(|(id, created, last_used)| PasskeyInfo {
                id,
                created: rfc3339(created),
                last_used: last_used.map(rfc3339),
            })
            .collect(),
        last_sign_in: r.person.last_sign_in.map(rfc3339),
        grants: r.grants,
        tokens: r
            .tokens
            .into_iter()
            .map(|t| TokenReview {
                scopes: t.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
                created: rfc3339(t.created),
                expires: rfc3339(t.expires),
                last_used: t.last_used.map(rfc3339),
            })
            .collect(),
    }
}
