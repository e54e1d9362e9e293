//! `kuvert fetch`: download sealed bookings from the inbox as JSON Lines, resumable by cursor.

use std::io::Write;
use std::path::Path;

use zeroize::Zeroizing;

use crate::error::{CliError, Result, read_error};

/// Fetches every booking after `since`, writing one JSON object per line. Returns
/// (bookings written, cursor to resume from).
pub fn fetch(
    inbox: &str,
    token_file: &Path,
    since: i64,
    out: &mut dyn Write,
    progress: &indicatif::ProgressBar,
) -> Result<(u64, i64)> {
    let token = Zeroizing::new(
        std::fs::read_to_string(token_file).map_err(|e| read_error(token_file, &e))?,
    );
    let token = token.trim();
    if token.is_empty() {
        return Err(CliError::new(
            format!("{} is empty", token_file.display()),
            "put the staff token from `kuvert-inbox token` in it",
        ));
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let base = inbox.trim_end_matches('/');
    let mut cursor = since;
    let mut count = 0;
    loop {
        let url = format!("{base}/v1/staff/bookings?since={cursor}&limit=500");
        let mut res = agent
            .get(&url)
            .header("authorization", &format!("Bearer {token}"))
            .call()
            .map_err(|e| {
                CliError::new(
                    format!("cannot reach the inbox at {base}: {e}"),
                    "check --inbox and your network; fetching resumes with --since",
                )
            })?;
        let status = res.status().as_u16();
        if status == 401 {
            return Err(CliError::new(
                "the inbox refused the staff token",
                "check --token-file; the inbox admin makes tokens with `kuvert-inbox token`",
            ));
        }
        let body = res
            .body_mut()
            .with_config()
            .limit(256 * 1024 * 1024)
            .read_to_string()
            .map_err(|e| {
                CliError::new(
                    format!("the inbox's answer was cut off: {e}"),
                    format!("run again with --since {cursor}"),
                )
            })?;
        if status != 200 {
            return Err(CliError::new(
                format!("the inbox answered {status}"),
                format!("try again later; resume with --since {cursor}"),
            ));
        }
        let page: serde_json::Value = serde_json::from_str(&body).map_err(|_| {
            CliError::new(
                "the inbox's answer is not the expected JSON",
                "check that --inbox is a Kuvert inbox",
            )
        })?;
        let bookings = page["bookings"].as_array().cloned().unwrap_or_default();
        for b in &bookings {
            writeln!(out, "{b}").map_err(|e| {
                CliError::new(
                    format!("cannot write the output: {e}"),
                    format!("free some space; resume with --since {cursor}"),
                )
            })?;
            count += 1;
            progress.inc(1);
        }
        cursor = page["next"].as_i64().unwrap_or(cursor);
        if page["more"] != true || bookings.is_empty() {
            break;
        }
    }
    out.flush().map_err(|e| {
        CliError::new(
            format!("cannot write the output: {e}"),
            "free some space and retry",
        )
    })?;
    Ok((count, cursor))
}

/// The cursor of the last line of an earlier fetch's output, to resume after it.
pub fn last_cursor(path: &Path) -> Option<i64> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().rev().find(|l| !l.trim().is_empty())?;
    serde_json::from_str::<serde_json::Value>(line).ok()?["cursor"].as_i64()
}
