//! The public routes: the widget's (form, slots, booking) and the customer's (cancel).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jiff::civil::Date;
use kuvert_api::{BookingAccepted, CancelRequest, FormConfig, Reference, ServiceId, Slot, Slots};
use kuvert_core::envelope::MAX_ENVELOPE_BYTES;
use kuvert_core::reference::is_reference;
use kuvert_core::{CancelCode, Envelope};
use serde::Deserialize;

use super::extract::{
    ApiPath, ApiQuery, Bookings, Cancellations, JsonBody, QueryHelp, WithinLimit,
};
use super::{ApiError, ApiResult, AppState, MAX_SLOT_RANGE_DAYS, blocking};
use crate::calendar::{is_slot, slots};
use crate::store::{NewBooking, Reserved, StoreError, rfc3339};

/// Most bytes a cancellation body may have (`{"code": "…"}` is 29).
pub const CANCEL_BODY_LIMIT: usize = 1024;

fn form<'a>(state: &'a AppState, id: &str) -> ApiResult<&'a crate::config::Form> {
    state
        .0
        .config
        .forms
        .get(id)
        .ok_or(ApiError::UnknownForm { in_booking: false })
}

/// `GET /v1/forms/{id}`.
pub(super) async fn get_form(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<FormConfig>> {
    let f = form(&state, &id)?;
    Ok(Json(FormConfig {
        schema: f.schema.clone(),
        time_zone: state.0.config.time_zone_name.clone(),
        recipients: f.recipients.clone(),
    }))
}

/// Largest problem report.
pub(super) const PROBLEM_BODY_LIMIT: usize = 256;

/// `POST /v1/forms/{id}/problems`: counts a widget's problem; per-address limited like
/// bookings, so it cannot inflate the counters from one place.
pub(super) async fn post_problem(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    _: WithinLimit<Bookings>,
    JsonBody(body): JsonBody<PROBLEM_BODY_LIMIT>,
) -> ApiResult<StatusCode> {
    form(&state, &id)?;
    let report: kuvert_api::ProblemReport = serde_json::from_slice(&body)
        .map_err(|_| ApiError::Invalid("send {\"problem\": \"key_mismatch\"}"))?;
    state.0.metrics.problem(report.problem.as_str());
    tracing::warn!(
        problem = report.problem.as_str(),
        "a widget could not be used"
    );
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub(super) struct SlotQuery {
    service: String,
    from: String,
    to: String,
}

impl QueryHelp for SlotQuery {
    const HELP: &'static str = "give service, from and to (YYYY-MM-DD)";
}

/// `GET /v1/forms/{id}/slots?service=&from=&to=`.
pub(super) async fn get_slots(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<SlotQuery>,
) -> ApiResult<Json<Slots>> {
    let f = form(&state, &id)?;
    let (service, cal) = ServiceId::parse(&q.service)
        .and_then(|s| f.services.get(s.as_str()).map(|cal| (s, cal)))
        .ok_or(ApiError::UnknownService { in_booking: false })?;
    let bad = || {
        ApiError::BadQuery(
            "from and to must be dates (YYYY-MM-DD), from <= to, at most 62 days apart",
        )
    };
    let from: Date = q.from.parse().map_err(|_| bad())?;
    let to: Date = q.to.parse().map_err(|_| bad())?;
    let days = from.until(to).map_err(|_| bad())?.get_days() as i64;
    if !(0..MAX_SLOT_RANGE_DAYS).contains(&days) {
        return Err(bad());
    }
    let now = state.0.clock.now();
    let all = slots(cal, &state.0.config.time_zone, from, to, now);
    let (Some(first), Some(last)) = (all.first().copied(), all.last().copied()) else {
        return Ok(Json(Slots {
            service,
            slots: Vec::new(),
        }));
    };
    let (s, form_id, service_id) = (state.clone(), id.clone(), q.service.clone());
    let taken = blocking(move || {
        s.0.store
            .taken(&form_id, &service_id, first.start, last.start)
    })
    .await?;
    let free = all
        .iter()
        .filter_map(|slot| {
            let used = taken
                .iter()
                .find(|(start, _)| *start == slot.start)
                .map_or(0, |(_, n)| *n);
            let remaining = u32::try_from(i64::from(cal.capacity) - used).unwrap_or(0);
            (remaining > 0).then(|| Slot {
                start: rfc3339(slot.start),
                end: rfc3339(slot.end),
                remaining,
            })
        })
        .collect();
    Ok(Json(Slots {
        service,
        slots: free,
    }))
}

/// `POST /v1/bookings`: checks the envelope (shape, form, service, times, slot, age header)
/// before anything is stored, then reserves the slot and stores it in one transaction.
pub(super) async fn post_booking(
    State(state): State<AppState>,
    _: WithinLimit<Bookings>,
    JsonBody(body): JsonBody<MAX_ENVELOPE_BYTES>,
) -> ApiResult<Response> {
    let state = &state;
    let envelope = Envelope::from_json(&body).map_err(|e| {
        use kuvert_core::Error as E;
        match e {
            E::Oversize { limit } => ApiError::TooLarge(limit),
            E::MalformedEnvelope(_) => ApiError::MalformedEnvelope(e.to_string()),
            _ => ApiError::Envelope(e),
        }
    })?;
    let f = state
        .0
        .config
        .forms
        .get(&envelope.form)
        .ok_or(ApiError::UnknownForm { in_booking: true })?;
    let cal = f
        .services
        .get(&envelope.public.service)
        .ok_or(ApiError::UnknownService { in_booking: true })?;
    let (start, end) = envelope.public.validate().map_err(ApiError::Envelope)?;
    let json = envelope.to_json();
    // A resend of a booking already stored (its answer was lost on the way): the same booking,
    // whatever the slot says now. `reserve` checks again inside its transaction, for two
    // copies that race.
    let (s, cancel, j) = (state.clone(), envelope.cancel.clone(), json.clone());
    if let Some((reference, expires)) = blocking(move || s.0.store.find_repeat(&cancel, &j)).await?
    {
        return repeat(&reference, expires);
    }
    let now = state.0.clock.now();
    if !is_slot(
        cal,
        &state.0.config.time_zone,
        start.unix(),
        end.unix(),
        now,
    ) {
        return Err(ApiError::NotASlot);
    }
    let expires = end.unix() + i64::from(f.schema.retention_days) * 86_400;
    let capacity = cal.capacity;
    for _ in 0..3 {
        let reference = Reference::generate(&mut getrandom::SysRng).map_err(ApiError::internal)?;
        let (s, r, j, env) = (
            state.clone(),
            reference.as_str().to_owned(),
            json.clone(),
            envelope.clone(),
        );
        // The store's own result inside, to tell a full slot and a reference collision apart.
        let result = blocking(move || {
            Ok(s.0.store.reserve(
                &NewBooking {
                    reference: &r,
                    form: &env.form,
                    service: &env.public.service,
                    start: start.unix(),
                    end: end.unix(),
                    envelope: &j,
                    cancel_sha256: &env.cancel,
                    received: now,
                    expires,
                },
                capacity,
            ))
        })
        .await;
        match result {
            Ok(Ok(Reserved::Repeat { reference, expires })) => return repeat(&reference, expires),
            Ok(Ok(Reserved::New { .. })) => {
                let body = BookingAccepted {
                    reference,
                    expires: rfc3339(expires),
                };
                return Ok((StatusCode::CREATED, Json(body)).into_response());
            }
            Ok(Err(StoreError::SlotFull)) => return Err(ApiError::SlotTaken),
            Ok(Err(StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _))))
                if e.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                continue;
            }
            Ok(Err(e)) => return Err(e.into()),
            Err(e) => return Err(e),
        }
    }
    Err(ApiError::internal(
        "could not draw a unique booking reference",
    ))
}

/// `200` with the stored booking, for a resent envelope (`201` is for a new one).
fn repeat(reference: &str, expires: i64) -> ApiResult<Response> {
    let reference = Reference::parse(reference)
        .ok_or_else(|| ApiError::internal("a stored reference is not of the reference shape"))?;
    let body = BookingAccepted {
        reference,
        expires: rfc3339(expires),
    };
    Ok((StatusCode::OK, Json(body)).into_response())
}

/// `POST /v1/bookings/{reference}/cancel`: erases the booking if the code matches.
pub(super) async fn cancel_booking(
    State(state): State<AppState>,
    _: WithinLimit<Cancellations>,
    ApiPath(reference): ApiPath<String>,
    JsonBody(body): JsonBody<CANCEL_BODY_LIMIT>,
) -> ApiResult<StatusCode> {
    let parsed: CancelRequest =
        serde_json::from_slice(&body).map_err(|_| ApiError::MalformedRequest)?;
    let code =
        CancelCode::parse(&parsed.code).map_err(|e| ApiError::MalformedCode(e.to_string()))?;
    let not_found = || ApiError::NotFound("no booking with this reference and code");
    if !is_reference(&reference) {
        return Err(not_found());
    }
    let hash = code.hash_hex();
    let s = state.clone();
    let erased = blocking(move || s.0.store.cancel(&reference, &hash)).await?;
    if erased {
        state.0.metrics.cancelled();
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found())
    }
}
