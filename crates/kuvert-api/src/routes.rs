//! The inbox's routes, as axum path templates. The inbox builds its router from these, and
//! `docs/api.md`'s route table is checked against them.

/// `GET`: the form config ([`crate::FormConfig`]).
pub const FORM: &str = "/v1/forms/{id}";
/// `GET`: free slots ([`crate::Slots`]); query `service`, `from`, `to`.
pub const SLOTS: &str = "/v1/forms/{id}/slots";
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
/// `GET`: `ok` when the database answers.
pub const HEALTHZ: &str = "/healthz";
/// `GET`: Prometheus text (a staff token with the `metrics` scope).
pub const METRICS: &str = "/metrics";

/// Every route with its methods, in the order `docs/api.md` lists them.
pub const ALL: &[(&str, &str)] = &[
    ("GET", FORM),
    ("GET", SLOTS),
    ("POST", BOOKINGS),
    ("POST", CANCEL),
    ("GET", STAFF_BOOKINGS),
    ("GET", STAFF_BOOKING),
    ("DELETE", STAFF_BOOKING),
    ("GET", STAFF_EXPORT),
    ("GET", HEALTHZ),
    ("GET", METRICS),
];
