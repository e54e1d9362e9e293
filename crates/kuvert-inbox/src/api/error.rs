//! [`ApiError`]: why a request failed, with its status, its stable code and a message for
//! people; the one error type every handler and extractor answers with.

use std::borrow::Cow;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kuvert_api::{ErrorBody, ErrorCode, ErrorDetail};

use crate::people::InviteRefused;
use crate::store::StoreError;

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
    /// 400: the request body could not be read (the connection broke while sending it).
    BodyUnreadable,
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
    /// 403: a state-changing staff request from another origin.
    WrongOrigin,
    /// 404 unknown, 410 expired or used: the enrolment link cannot be used.
    Invite(InviteRefused),
    /// 401: the passkey was not accepted, or no such person can sign in.
    SignInFailed,
    /// 400: no such ceremony (expired, finished already, or of another kind).
    CeremonyExpired,
    /// 422: not a role of this inbox.
    UnknownRole,
    /// 409: the name is taken.
    NameTaken,
    /// 409: the person has no personal key yet.
    NoKey,
    /// 400: a field of a staff request is not valid (what and how to fix it).
    Invalid(&'static str),
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
            | ApiError::BodyUnreadable
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
            ApiError::WrongOrigin => StatusCode::FORBIDDEN,
            ApiError::Invite(InviteRefused::Unknown) => StatusCode::NOT_FOUND,
            ApiError::Invite(_) => StatusCode::GONE,
            ApiError::SignInFailed => StatusCode::UNAUTHORIZED,
            ApiError::CeremonyExpired | ApiError::Invalid(_) => StatusCode::BAD_REQUEST,
            ApiError::UnknownRole => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::NameTaken | ApiError::NoKey => StatusCode::CONFLICT,
            ApiError::TaskFailed | ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::MalformedEnvelope(_) => ErrorCode::MalformedEnvelope,
            ApiError::MalformedRequest | ApiError::BodyUnreadable => ErrorCode::MalformedRequest,
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
            ApiError::WrongOrigin => ErrorCode::WrongOrigin,
            ApiError::Invite(InviteRefused::Unknown) => ErrorCode::InviteUnknown,
            ApiError::Invite(InviteRefused::Expired) => ErrorCode::InviteExpired,
            ApiError::Invite(InviteRefused::Used) => ErrorCode::InviteUsed,
            ApiError::SignInFailed => ErrorCode::SignInFailed,
            ApiError::CeremonyExpired => ErrorCode::CeremonyExpired,
            ApiError::UnknownRole => ErrorCode::UnknownRole,
            ApiError::NameTaken => ErrorCode::NameTaken,
            ApiError::NoKey => ErrorCode::NoKey,
            ApiError::Invalid(_) => ErrorCode::InvalidRequest,
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
            ApiError::BodyUnreadable => "the request body could not be read; send it again".into(),
            ApiError::BadQuery(what) | ApiError::NotFound(what) | ApiError::Invalid(what) => {
                (*what).into()
            }
            ApiError::WrongOrigin => {
                "staff requests that change something must come from the inbox's own pages".into()
            }
            ApiError::Invite(InviteRefused::Unknown) => {
                "this enrolment link is not valid; ask the owner for a new one".into()
            }
            ApiError::Invite(InviteRefused::Expired) => {
                "this enrolment link has expired; ask the owner for a new one".into()
            }
            ApiError::Invite(InviteRefused::Used) => {
                "this enrolment link was used already; sign in, or ask the owner for a new one"
                    .into()
            }
            ApiError::SignInFailed => {
                "sign-in failed: check the name, and use a passkey registered for it".into()
            }
            ApiError::CeremonyExpired => {
                "this sign-in step expired or was already used; start again".into()
            }
            ApiError::UnknownRole => "not a role of this inbox (see [accounts] roles)".into(),
            ApiError::NameTaken => "someone has this name already; choose another".into(),
            ApiError::NoKey => {
                "this person has no personal key yet; they must sign in once first".into()
            }
            ApiError::Unauthorized => {
                "sign in, or send a valid staff token (Authorization: Bearer …)".into()
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
    pub(crate) fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "internal error");
        ApiError::Internal
    }

    /// 429 `rate_limited`, with `Retry-After` in seconds.
    pub(crate) fn rate_limited(message: &'static str, retry_after: i64) -> Self {
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
            ApiError::BodyUnreadable,
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
            ApiError::WrongOrigin,
            ApiError::Invite(InviteRefused::Unknown),
            ApiError::Invite(InviteRefused::Expired),
            ApiError::Invite(InviteRefused::Used),
            ApiError::SignInFailed,
            ApiError::CeremonyExpired,
            ApiError::UnknownRole,
            ApiError::NameTaken,
            ApiError::NoKey,
            ApiError::Invalid(""),
            ApiError::TaskFailed,
            ApiError::Internal,
        ];
        // A new variant does not compile here until it is listed above.
        for e in &all {
            match e {
                ApiError::MalformedEnvelope(_)
                | ApiError::MalformedRequest
                | ApiError::BodyUnreadable
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
                | ApiError::WrongOrigin
                | ApiError::Invite(_)
                | ApiError::SignInFailed
                | ApiError::CeremonyExpired
                | ApiError::UnknownRole
                | ApiError::NameTaken
                | ApiError::NoKey
                | ApiError::Invalid(_)
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
        // For the layers that count outcomes by code (see `count_booking_outcome`).
        r.extensions_mut().insert(self.code());
        if matches!(self, ApiError::Unauthorized) {
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

/// A handler's result.
pub type ApiResult<T> = Result<T, ApiError>;
