//! Staff accounts: enrolment and sign-in with passkeys, the person's own key, grants, and the
//! owner's people routes. WebAuthn options and credentials pass through as JSON (the
//! browser's `PublicKeyCredential*` shapes, read by the inbox's WebAuthn library); everything
//! else is typed here.

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

/// `POST /v1/staff/enrol/start`: the secret from an enrolment link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrolStart {
    /// The one-time secret after `#enrol=` in the link.
    pub invite: String,
}

/// `POST /v1/staff/signin/start`: who is signing in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignInStart {
    /// The person's name.
    pub name: String,
}

/// The answer to every `…/start`: a ceremony to finish within 5 minutes, once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ceremony {
    /// Names the ceremony in `…/finish`.
    pub ceremony: String,
    /// `PublicKeyCredentialCreationOptions` or `…RequestOptions` as WebAuthn JSON (under
    /// `publicKey`), for `navigator.credentials.create` / `get` after decoding the base64url
    /// fields.
    pub options: serde_json::Value,
}

/// `POST …/finish`: the browser's credential for a ceremony.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CeremonyFinish {
    /// From [`Ceremony::ceremony`].
    pub ceremony: String,
    /// The `PublicKeyCredential` as WebAuthn JSON, with `clientExtensionResults` left empty:
    /// the PRF output stays on the device.
    pub credential: serde_json::Value,
}

/// `GET /v1/staff/me`, and the answer to a finished enrolment or sign-in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Me {
    /// Name.
    pub name: String,
    /// Roles (`owner`, the config's audiences).
    pub roles: Vec<String>,
    /// Their personal public key, once set.
    pub public_key: Option<String>,
    /// Their passkeys.
    pub passkeys: Vec<PasskeyInfo>,
    /// Roles they hold a grant for.
    pub grants: Vec<String>,
    /// Seconds a session may stay idle.
    pub idle_seconds: i64,
}

/// One passkey.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasskeyInfo {
    /// Id for `DELETE /v1/staff/me/passkeys/{id}`.
    pub id: i64,
    /// Registered, `YYYY-MM-DDTHH:MM:SSZ`.
    pub created: String,
    /// Last sign-in with it.
    pub last_used: Option<String>,
}

/// `PUT` and `GET /v1/staff/me/key`: the person's own key, made on their device.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonalKey {
    /// `age1…`.
    pub public_key: String,
    /// Copies of the secret key, wrapped on the device (opaque to the inbox).
    #[serde(default)]
    pub wrapped: Vec<WrappedKey>,
}

/// One wrapped copy of a personal secret key: an armored age file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WrappedKey {
    /// `prf` (to a key derived from a passkey's PRF output) or `passphrase` (age scrypt).
    pub kind: String,
    /// For `prf`: the passkey's credential id (base64url), whose PRF output unwraps it.
    #[serde(default)]
    pub credential: Option<String>,
    /// The armored age file.
    pub file: String,
}

/// `GET /v1/staff/me/grants`: the audience keys sealed to the person's key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grants {
    /// One per role.
    pub grants: Vec<Grant>,
}

/// A grant: a role's (audience's) secret key, sealed to one person's public key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grant {
    /// The role.
    pub role: String,
    /// Armored age file holding the role's `AGE-SECRET-KEY-1…`.
    pub sealed: String,
    /// Who granted it.
    pub granted_by: String,
    /// When, `YYYY-MM-DDTHH:MM:SSZ`.
    pub granted: String,
}

/// `PUT /v1/staff/people/{name}/grants/{role}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantUpload {
    /// Armored age file, sealed to the person's public key on the owner's device.
    pub sealed: String,
}

/// `POST /v1/staff/people`: invite someone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPerson {
    /// Their name (letters, digits, spaces, `.-_'`; at most 64).
    pub name: String,
    /// Their roles.
    pub roles: Vec<String>,
}

/// The answer to an invite: the one-time link, shown once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Invite {
    /// Who.
    pub name: String,
    /// The enrolment link (its secret is in the fragment, so it reaches no server log).
    pub link: String,
    /// When it stops working.
    pub expires: String,
}

/// `GET /v1/staff/people/{name}/key`: a person's public key, for sealing a grant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicKey {
    /// Who.
    pub name: String,
    /// `age1…`.
    pub public_key: String,
}

/// `GET /v1/staff/people`: the access review.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct People {
    /// Everyone not removed, by name.
    pub people: Vec<PersonReview>,
}

/// One person in the access review.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonReview {
    /// Name.
    pub name: String,
    /// `invited` or `active`.
    pub state: String,
    /// Roles.
    pub roles: Vec<String>,
    /// Their passkeys.
    pub passkeys: Vec<PasskeyInfo>,
    /// Last sign-in.
    pub last_sign_in: Option<String>,
    /// Roles they hold a grant for.
    pub grants: Vec<String>,
    /// Their tokens.
    pub tokens: Vec<TokenReview>,
}

/// A token in the access review (never the token).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenReview {
    /// Scopes.
    pub scopes: Vec<String>,
    /// Made.
    pub created: String,
    /// Stops working.
    pub expires: String,
    /// Last used.
    pub last_used: Option<String>,
}
