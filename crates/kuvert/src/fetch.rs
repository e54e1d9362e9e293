//! `kuvert fetch`: download sealed bookings from the inbox as JSON Lines, resumable by cursor.

use std::io::Write;
use std::path::Path;

use kuvert_api::StaffPage;
use zeroize::Zeroizing;

use crate::error::{CliError, Result, read_error};

/// Refuses an `http://` inbox that is not on this machine unless `insecure`: the bearer token
/// (and the sealed bookings) would cross the network in clear. `https://` is always fine;
/// anything else is not an inbox URL.
pub fn check_transport(inbox: &str, insecure: bool) -> Result<()> {
    if inbox.starts_with("https://") {
        return Ok(());
    }
    let Some(rest) = inbox.strip_prefix("http://") else {
        return Err(CliError::new(
            "--inbox must start with https:// (or http:// for an inbox on this machine)",
            "give the inbox's URL, e.g. --inbox https://bookings.example.com",
        ));
    };
    if insecure || is_loopback_authority(rest.split('/').next().unwrap_or("")) {
        return Ok(());
    }
    Err(CliError::new(
        "refusing to send the staff token over plain http:// to another machine",
        "use the inbox's https:// URL (or --insecure on a network you control)",
    ))
}

/// Whether `host[:port]` names this machine: `localhost` or a loopback address.
fn is_loopback_authority(authority: &str) -> bool {
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

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
        let page: StaffPage = serde_json::from_str(&body).map_err(|_| {
            CliError::new(
                "the inbox's answer is not a page of bookings",
                "check that --inbox is a Kuvert inbox of this version",
            )
        })?;
        for b in &page.bookings {
            let line = serde_json::to_string(b).map_err(|e| {
                CliError::new(
                    format!("cannot write a record: {e}"),
                    "report this as a bug",
                )
            })?;
            writeln!(out, "{line}").map_err(|e| {
                CliError::new(
                    format!("cannot write the output: {e}"),
                    format!("free some space; resume with --since {cursor}"),
                )
            })?;
            count += 1;
            progress.inc(1);
        }
        cursor = page.next;
        if !page.more || page.bookings.is_empty() {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Finding "`kuvert fetch` sends the bearer token over http://".
    #[test]
    fn plain_http_only_to_this_machine() {
        for ok in [
            "https://bookings.example.com",
            "http://localhost:8787",
            "http://127.0.0.1:8787/",
            "http://127.9.9.9",
            "http://[::1]:8787",
        ] {
            assert!(check_transport(ok, false).is_ok(), "{ok}");
        }
        for bad in [
            "http://bookings.example.com",
            "http://10.0.0.5:8787",
            "http://localhost.example.com",
            "http://127.0.0.1.example.com",
            "http://[::2]:8787",
            "ftp://bookings.example.com",
            "bookings.example.com",
        ] {
            assert!(check_transport(bad, false).is_err(), "{bad}");
        }
        assert!(check_transport("http://bookings.example.com", true).is_ok());
    }
}
