//! The error body every failed `/v1` call answers with, and its stable codes.

use alloc::string::String;

use serde::{Deserialize, Serialize};

/// `{"error": {"code": "…", "message": "…"}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// The code and a message for people.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorDetail {
    /// Stable, for programs.
    pub code: ErrorCode,
    /// For people; never internals, never personal data.
    pub message: String,
}

macro_rules! codes {
    ($($(#[$doc:meta])* $variant:ident = $code:literal,)*) => {
        /// Every error code the inbox answers with (documented in `docs/api.md`, which a test
        /// checks against this list).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        #[non_exhaustive]
        pub enum ErrorCode {
            $($(#[$doc])* $variant,)*
            /// A code this version does not know (a newer inbox); clients treat it as a
            /// failure they cannot act on specifically.
            #[serde(other)]
            Unknown,
        }

        impl ErrorCode {
            /// Every code the inbox can answer with (not [`ErrorCode::Unknown`]).
            pub const ALL: &[ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code as it appears on the wire.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)*
                    ErrorCode::Unknown => "unknown",
                }
            }
        }
    };
}

codes! {
    /// The body is not JSON of the envelope's shape.
    MalformedEnvelope = "malformed_envelope",
    /// The cancel body is not `{"code": "…"}`.
    MalformedRequest = "malformed_request",
    /// The cancellation code is not 16 letters and digits.
    MalformedCode = "malformed_code",
    /// A query parameter is missing or out of range.
    BadQuery = "bad_query",
    /// Missing or unknown staff token.
    Unauthorized = "unauthorized",
    /// The staff token lacks the scope the route needs.
    InsufficientScope = "insufficient_scope",
    /// No such booking (or wrong cancellation code), or no such route.
    NotFound = "not_found",
    /// No form with this id.
    UnknownForm = "unknown_form",
    /// The form has no such service.
    UnknownService = "unknown_service",
    /// The slot filled up meanwhile.
    SlotTaken = "slot_taken",
    /// The body is larger than allowed.
    TooLarge = "too_large",
    /// `Content-Type` is not `application/json`.
    UnsupportedMediaType = "unsupported_media_type",
    /// The envelope's version is not one this inbox reads.
    UnsupportedVersion = "unsupported_version",
    /// `form` is not a valid id.
    InvalidForm = "invalid_form",
    /// `public` is not valid (service id, canonical times, order).
    InvalidPublic = "invalid_public",
    /// Not one of the offered slots now.
    NotASlot = "not_a_slot",
    /// `cancel` is not a lowercase hex SHA-256.
    InvalidCancel = "invalid_cancel",
    /// `sealed` is not standard base64.
    BadBase64 = "bad_base64",
    /// `sealed` is not a well-formed age v1 file for 1–8 X25519 recipients.
    MalformedAge = "malformed_age",
    /// Too many requests of this kind from this address (or for this person).
    RateLimited = "rate_limited",
    /// A state-changing staff request whose `Origin` is not the inbox's own.
    WrongOrigin = "wrong_origin",
    /// No such enrolment link (or its person was removed).
    InviteUnknown = "invite_unknown",
    /// The enrolment link expired; ask for a new one.
    InviteExpired = "invite_expired",
    /// The enrolment link was used already.
    InviteUsed = "invite_used",
    /// The passkey was not accepted, or no such person can sign in.
    SignInFailed = "sign_in_failed",
    /// No such ceremony: it expired, was finished already (a replay), or is another kind.
    CeremonyExpired = "ceremony_expired",
    /// Not a role of this inbox.
    UnknownRole = "unknown_role",
    /// A person with this name exists already.
    NameTaken = "name_taken",
    /// The person has not set a personal key yet (they sign in once first).
    NoKey = "no_key",
    /// A field of a staff request is not valid (the message says which and how).
    InvalidRequest = "invalid_request",
    /// Something failed inside; nothing was changed.
    Internal = "internal",
}

impl ErrorCode {
    /// The code for an envelope the core refused before anything was stored. (The opening
    /// errors cannot occur there: the inbox never opens.)
    pub fn for_envelope(e: &kuvert_core::Error) -> ErrorCode {
        use kuvert_core::Error as E;
        match e {
            E::Oversize { .. } => ErrorCode::TooLarge,
            E::UnsupportedVersion => ErrorCode::UnsupportedVersion,
            E::InvalidForm => ErrorCode::InvalidForm,
            E::InvalidPublicFacts(_) => ErrorCode::InvalidPublic,
            E::InvalidCancelHash => ErrorCode::InvalidCancel,
            E::BadBase64 => ErrorCode::BadBase64,
            E::MalformedAge(_) => ErrorCode::MalformedAge,
            _ => ErrorCode::MalformedEnvelope,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_their_wire_names_and_unknown_ones_are_kept_apart() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_string(code).unwrap();
            assert_eq!(json, alloc::format!("\"{}\"", code.as_str()));
            assert_eq!(serde_json::from_str::<ErrorCode>(&json).unwrap(), *code);
        }
        let newer: ErrorCode = serde_json::from_str("\"from_a_newer_inbox\"").unwrap();
        assert_eq!(newer, ErrorCode::Unknown);
    }

    #[test]
    fn the_core_envelope_codes_are_the_api_codes() {
        use kuvert_core::Error as E;
        for e in [
            E::UnsupportedVersion,
            E::InvalidForm,
            E::InvalidPublicFacts("x"),
            E::InvalidCancelHash,
            E::BadBase64,
            E::MalformedAge(kuvert_core::age::HeaderError::Malformed),
        ] {
            assert_eq!(ErrorCode::for_envelope(&e).as_str(), e.code());
        }
    }
}
