//! The staff routes: list, get, erase and export sealed bookings, each audited.

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use kuvert_api::{StaffPage, StaffRecord};
use kuvert_core::reference::is_reference;
use serde::Deserialize;

use super::extract::{ApiPath, ApiQuery, QueryHelp, StaffUser};
use super::{ApiError, ApiResult, AppState, MAX_PAGE, blocking};
use crate::config::Scope;
use crate::store::AuditEntry;

#[derive(Deserialize)]
pub(super) struct ListQuery {
    #[serde(default)]
    since: i64,
    #[serde(default = "default_limit")]
    limit: u32,
}

fn default_limit() -> u32 {
    100
}

impl QueryHelp for ListQuery {
    const HELP: &'static str = "since must be a cursor (integer >= 0), limit 1-1000";
}

/// `GET /v1/staff/bookings?since=&limit=`.
pub(super) async fn staff_list(
    State(state): State<AppState>,
    staff: StaffUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<StaffPage>> {
    staff.require(Scope::Read)?;
    let who = staff.name;
    if q.limit == 0 || q.limit > MAX_PAGE || q.since < 0 {
        return Err(ApiError::BadQuery(ListQuery::HELP));
    }
    let s = state.clone();
    let rows = blocking(move || s.0.store.list_since(q.since, q.limit)).await?;
    let next = rows.last().map_or(q.since, |r| r.cursor);
    audit(&state, who, "list", format!("since={}", q.since), "ok").await?;
    let more = rows.len() as u32 == q.limit;
    Ok(Json(StaffPage {
        bookings: rows,
        next,
        more,
    }))
}

/// `GET /v1/staff/bookings/{reference}`.
pub(super) async fn staff_get(
    State(state): State<AppState>,
    staff: StaffUser,
    ApiPath(reference): ApiPath<String>,
) -> ApiResult<Json<StaffRecord>> {
    staff.require(Scope::Read)?;
    let who = staff.name;
    let r = reference.clone();
    let s = state.clone();
    let row = if is_reference(&reference) {
        blocking(move || s.0.store.get(&r)).await?
    } else {
        None
    };
    audit(
        &state,
        who,
        "get",
        reference,
        if row.is_some() { "ok" } else { "not_found" },
    )
    .await?;
    row.map(Json)
        .ok_or(ApiError::NotFound("no booking with this reference"))
}

/// `DELETE /v1/staff/bookings/{reference}`: a staff erasure.
pub(super) async fn staff_delete(
    State(state): State<AppState>,
    staff: StaffUser,
    ApiPath(reference): ApiPath<String>,
) -> ApiResult<StatusCode> {
    staff.require(Scope::Erase)?;
    let who = staff.name;
    let r = reference.clone();
    let s = state.clone();
    let deleted = is_reference(&reference) && blocking(move || s.0.store.delete(&r)).await?;
    audit(
        &state,
        who,
        "delete",
        reference,
        if deleted { "ok" } else { "not_found" },
    )
    .await?;
    if deleted {
        state.0.metrics.staff_deleted();
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("no booking with this reference"))
    }
}

/// `GET /v1/staff/export`: every stored booking, one record per line. Streamed a page at a
/// time as the pages are read, so the inbox holds one page in memory whatever it stores. (An
/// error after the first page can only end the stream early; it is logged, and the client sees
/// a cut-off answer, never a partial record: records are sent whole.)
pub(super) async fn staff_export(
    State(state): State<AppState>,
    staff: StaffUser,
) -> ApiResult<Response> {
    staff.require(Scope::Read)?;
    audit(&state, staff.name, "export", "-".into(), "ok").await?;
    let pages = futures_util::stream::unfold(Some(0i64), move |cursor| {
        let state = state.clone();
        async move {
            let cursor = cursor?;
            let rows = match blocking(move || state.0.store.list_since(cursor, MAX_PAGE)).await {
                Ok(rows) if rows.is_empty() => return None,
                Ok(rows) => rows,
                Err(e) => return Some((Err(std::io::Error::other(e.to_string())), None)),
            };
            let mut chunk = String::new();
            for r in &rows {
                match serde_json::to_string(r) {
                    Ok(line) => {
                        chunk.push_str(&line);
                        chunk.push('\n');
                    }
                    Err(e) => return Some((Err(std::io::Error::other(e)), None)),
                }
            }
            let next = rows
                .last()
                .filter(|_| rows.len() as u32 == MAX_PAGE)
                .map(|last| last.cursor);
            Some((Ok(Bytes::from(chunk)), next))
        }
    });
    Ok((
        [(header::CONTENT_TYPE, "application/jsonl")],
        Body::from_stream(pages),
    )
        .into_response())
}

pub(super) async fn audit(
    state: &AppState,
    actor: String,
    action: &'static str,
    target: String,
    outcome: &'static str,
) -> ApiResult<()> {
    let s = state.clone();
    let now = state.0.clock.now();
    blocking(move || {
        s.0.store.audit(&AuditEntry {
            time: now,
            actor: &actor,
            action,
            target: &target,
            outcome,
        })
    })
    .await?;
    Ok(())
}
