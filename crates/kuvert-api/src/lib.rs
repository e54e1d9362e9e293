//! Kuvert's HTTP contract: the request and response body of every `/v1` route of the inbox,
//! defined once. The inbox serializes these types and nothing else; the key tool deserializes
//! them; the widget reads the same JSON by hand for size, and its tests check that reading
//! against these types (`kuvert-widget/src/wire.rs`). `docs/api.md` documents them, checked by
//! `kuvert-inbox/tests/docs.rs`.
//!
//! Its own crate rather than a module of the core: the core is the booking domain and the
//! widget's sealer, with no notion of HTTP; this is the wire between the parts, and it depends
//! on the core (a form config carries a [`FormSchema`]), never the other way. `no_std` +
//! `alloc`, like the core.
//!
//! Every id has one parser ([`ids`]): a value that reaches a handler or a client through these
//! types has the shape the inbox writes.

#![forbid(unsafe_code)]
#![no_std]

extern crate alloc;

pub mod accounts;
pub mod error;
pub mod ids;
pub mod routes;

use alloc::string::String;
use alloc::vec::Vec;

use kuvert_core::FormSchema;
use serde::{Deserialize, Serialize};

pub use error::{ErrorBody, ErrorCode, ErrorDetail};
pub use ids::{CancelHash, FormId, Reference, ServiceId};

/// `GET /v1/forms/{id}`: the form, the business's time zone, and the keys the inbox's config
/// pins (the widget seals only when the snippet's keys are these).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormConfig {
    /// The form, as configured.
    pub schema: FormSchema,
    /// The IANA time zone the opening hours are in.
    pub time_zone: String,
    /// The public keys (`age1…`) bookings of this form are sealed to, from the inbox's config.
    pub recipients: Vec<String>,
}

/// `POST /v1/forms/{id}/problems`: the widget could not be used, for the inbox's metrics. It
/// names the kind of problem and nothing else.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProblemReport {
    /// What went wrong.
    pub problem: WidgetProblem,
}

/// A problem the widget reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WidgetProblem {
    /// The snippet's keys are not the keys the inbox's config pins; nothing was sealed.
    KeyMismatch,
}

impl WidgetProblem {
    /// As on the wire and in the metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            WidgetProblem::KeyMismatch => "key_mismatch",
        }
    }
}

/// `GET /v1/forms/{id}/slots`: the free slots of one service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Slots {
    /// The service asked about.
    pub service: ServiceId,
    /// Free slots, in time order; each has room left.
    pub slots: Vec<Slot>,
}

/// One free slot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Slot {
    /// Start, `YYYY-MM-DDTHH:MM:SSZ`.
    pub start: String,
    /// End, `YYYY-MM-DDTHH:MM:SSZ`.
    pub end: String,
    /// Places left (at least 1).
    pub remaining: u32,
}

/// `201` to `POST /v1/bookings`: the booking is stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookingAccepted {
    /// The booking's reference, for the customer.
    pub reference: Reference,
    /// When the booking will be erased, `YYYY-MM-DDTHH:MM:SSZ`.
    pub expires: String,
}

/// The body of `POST /v1/bookings/{reference}/cancel`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancelRequest {
    /// The customer's cancellation code, `ABCD-EFGH-JKMN-PQRS`.
    pub code: String,
}

/// `GET /v1/staff/bookings`: one page of stored bookings, oldest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffPage {
    /// The bookings after the cursor asked for.
    pub bookings: Vec<StaffRecord>,
    /// The cursor to ask for next (`since=`).
    pub next: i64,
    /// Whether more bookings follow.
    pub more: bool,
}

/// One stored booking as staff fetch it (`GET /v1/staff/bookings/{reference}`, a line of
/// `GET /v1/staff/export`, an element of [`StaffPage::bookings`], and a line of `kuvert fetch`'s
/// output).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffRecord {
    /// Monotonic position, for `since=` paging.
    pub cursor: i64,
    /// The booking's reference.
    pub reference: Reference,
    /// When the inbox received it, `YYYY-MM-DDTHH:MM:SSZ`.
    pub received: String,
    /// When it will be erased, `YYYY-MM-DDTHH:MM:SSZ`.
    pub expires: String,
    /// The envelope exactly as accepted. Left as JSON here: the reader parses and checks it
    /// ([`kuvert_core::Envelope::from_json`]), so one bad envelope fails its booking, not the
    /// page.
    pub envelope: serde_json::Value,
}
