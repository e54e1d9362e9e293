//! The inbox's routes, as axum path templates. The inbox builds its router from these, and
//! `docs/api.md`'s route table is checked against them.

/// `GET`: the form config ([`crate::FormConfig`]).
pub const FORM: &str = "/v1/forms/{id}";
/// `GET`: free slots ([`crate::Slots`]); query `service`, `from`, `to`.
pub const SLOTS: &str = "/v1/forms/{id}/slots";
/// `POST` [`crate::ProblemReport`]: the widget could not be used (`204`; counted in `/metrics`).
pub const PROBLEMS: &str = "/v1/forms/{id}/problems";
/// `POST`: an envelope; `201` [`crate::BookingAccepted`].
pub const BOOKINGS: &str = "/v1/bookings";
/// `POST`: [`crate::CancelRequest`]; `204`.
pub const CANCEL: &str = "/v1/bookings/{reference}/cancel";
/// `GET`: a page of stored bookings ([`crate::StaffPage`]); query `since`, `limit`.
pub const STAFF_BOOKINGS: &str = "/v1/staff/bookings";
/// `GET`: one stored booking ([`crate::StaffRecord`]); `DELETE`: erase it (`204`).
pub const STAFF_BOOKING: &str = "/v1/staff/bookings/{reference}";
/// `GET`: every stored booking, one [`crate::StaffRecord`] per line (`application/jsonl`).
pub const STAFF_EXPORT: &str = "/v1/staff/export";
/// `POST` [`crate::accounts::EnrolStart`]: a registration [`crate::accounts::Ceremony`].
pub const ENROL_START: &str = "/v1/staff/enrol/start";
/// `POST` [`crate::accounts::CeremonyFinish`]: the passkey is stored, the invite used, and a
/// session begins ([`crate::accounts::Me`], `Set-Cookie`).
pub const ENROL_FINISH: &str = "/v1/staff/enrol/finish";
/// `POST` [`crate::accounts::SignInStart`]: an authentication [`crate::accounts::Ceremony`].
pub const SIGNIN_START: &str = "/v1/staff/signin/start";
/// `POST` [`crate::accounts::CeremonyFinish`]: a session begins ([`crate::accounts::Me`]).
pub const SIGNIN_FINISH: &str = "/v1/staff/signin/finish";
/// `POST`: ends the session (`204`).
pub const SIGNOUT: &str = "/v1/staff/signout";
/// `GET`: who is signed in ([`crate::accounts::Me`]).
pub const ME: &str = "/v1/staff/me";
/// `PUT`/`GET`: the person's own key ([`crate::accounts::PersonalKey`]).
pub const MY_KEY: &str = "/v1/staff/me/key";
/// `GET`: the person's grants ([`crate::accounts::Grants`]).
pub const MY_GRANTS: &str = "/v1/staff/me/grants";
/// `POST`: a registration [`crate::accounts::Ceremony`] for another passkey.
pub const MY_PASSKEYS_START: &str = "/v1/staff/me/passkeys/start";
/// `POST` [`crate::accounts::CeremonyFinish`]: stores it ([`crate::accounts::Me`]).
pub const MY_PASSKEYS_FINISH: &str = "/v1/staff/me/passkeys/finish";
/// `DELETE`: removes a passkey, never the last (`204`).
pub const MY_PASSKEY: &str = "/v1/staff/me/passkeys/{id}";
/// `GET`: the access review ([`crate::accounts::People`]); `POST`
/// [`crate::accounts::NewPerson`]: an [`crate::accounts::Invite`]. Owners.
pub const PEOPLE: &str = "/v1/staff/people";
/// `DELETE`: removes the person at once (`204`). Owners.
pub const PERSON: &str = "/v1/staff/people/{name}";
/// `GET`: their public key ([`crate::accounts::PublicKey`]). Owners.
pub const PERSON_KEY: &str = "/v1/staff/people/{name}/key";
/// `PUT` [`crate::accounts::GrantUpload`]: grants the role (`204`); `DELETE`: withdraws it
/// (`204`). Owners.
pub const PERSON_GRANT: &str = "/v1/staff/people/{name}/grants/{role}";
/// `GET`: `ok` when the database answers.
pub const HEALTHZ: &str = "/healthz";
/// `GET`: Prometheus text (a staff token with the `metrics` scope).
pub const METRICS: &str = "/metrics";

/// Every route with its methods, in the order `docs/api.md` lists them.
pub const ALL: &[(&str, &str)] = &[
    ("GET", FORM),
    ("GET", SLOTS),
    ("POST", PROBLEMS),
    ("POST", BOOKINGS),
    ("POST", CANCEL),
    ("GET", STAFF_BOOKINGS),
    ("GET", STAFF_BOOKING),
    ("DELETE", STAFF_BOOKING),
    ("GET", STAFF_EXPORT),
    ("POST", ENROL_START),
    ("POST", ENROL_FINISH),
    ("POST", SIGNIN_START),
    ("POST", SIGNIN_FINISH),
    ("POST", SIGNOUT),
    ("GET", ME),
    ("PUT", MY_KEY),
    ("GET", MY_KEY),
    ("GET", MY_GRANTS),
    ("POST", MY_PASSKEYS_START),
    ("POST", MY_PASSKEYS_FINISH),
    ("DELETE", MY_PASSKEY),
    ("GET", PEOPLE),
    ("POST", PEOPLE),
    ("DELETE", PERSON),
    ("GET", PERSON_KEY),
    ("PUT", PERSON_GRANT),
    ("DELETE", PERSON_GRANT),
    ("GET", HEALTHZ),
    ("GET", METRICS),
];
