//! `kuvert grant` and `kuvert fetch --grants`, and opening grants for `kuvert open --grants`.
//!
//! A grant is a role's key file sealed (age, armored) to one person's public key, on the
//! owner's machine; the inbox stores it and cannot open it. The person fetches their grants
//! with their account token and opens them with their personal key, here, in memory only.

use std::io::{Read, Write};
use std::path::Path;

use age::secrecy::ExposeSecret;
use kuvert_api::accounts::{GrantUpload, Grants, PublicKey};
use zeroize::Zeroizing;

use crate::error::{CliError, Result, read_error};

/// The token from `path` (trimmed), wiped on drop.
fn read_token(path: &Path) -> Result<Zeroizing<String>> {
    let raw = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| read_error(path, &e))?);
    let token = Zeroizing::new(raw.trim().to_owned());
    if token.is_empty() {
        return Err(CliError::new(
            format!("{} is empty", path.display()),
            "put your token from `kuvert-inbox staff token` in it",
        ));
    }
    Ok(token)
}

/// A path segment: letters, digits and `.-_~` as they are, every other byte `%XX`.
fn segment(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// One request with the token; the status and body, or an error that says what to do.
fn call(method: &str, url: &str, token: &str, body: Option<String>) -> Result<(u16, String)> {
    let agent = agent();
    let auth = format!("Bearer {token}");
    let unreachable = |e: ureq::Error| {
        CliError::new(
            format!("cannot reach the inbox: {e}"),
            "check --inbox and your network",
        )
    };
    let mut res = match (method, body) {
        ("PUT", Some(b)) => agent
            .put(url)
            .header("authorization", &auth)
            .header("content-type", "application/json")
            .send(b)
            .map_err(unreachable)?,
        _ => agent
            .get(url)
            .header("authorization", &auth)
            .call()
            .map_err(unreachable)?,
    };
    let status = res.status().as_u16();
    let text = res
        .body_mut()
        .with_config()
        .limit(16 * 1024 * 1024)
        .read_to_string()
        .unwrap_or_default();
    Ok((status, text))
}

/// The inbox's error code and message, made safe for a terminal.
fn refusal(status: u16, body: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let code = v["error"]["code"].as_str().unwrap_or("?");
    let message = v["error"]["message"].as_str().unwrap_or("");
    crate::text::terminal_safe(&format!("the inbox answered {status} {code}: {message}"))
}

/// Seals the role key file's identities to `to`'s public key and uploads it as their grant of
/// `role`. The token must be an owner's with the `manage` scope.
pub fn grant(
    inbox: &str,
    token_file: &Path,
    role: &str,
    to: &str,
    role_keys: &[age::x25519::Identity],
) -> Result<()> {
    let token = read_token(token_file)?;
    let base = inbox.trim_end_matches('/');
    let url = format!("{base}/v1/staff/people/{}/key", segment(to));
    let (status, body) = call("GET", &url, &token, None)?;
    match status {
        200 => {}
        401 | 403 => {
            return Err(CliError::new(
                refusal(status, &body),
                "use an owner's token with the manage scope: kuvert-inbox staff token OWNER --scope manage",
            ));
        }
        404 => {
            return Err(CliError::new(
                refusal(status, &body),
                "check the name (kuvert-inbox staff list); the person must be invited first",
            ));
        }
        409 => {
            return Err(CliError::new(
                refusal(status, &body),
                "the person signs in once (or runs kuvert keygen and sets their key) first",
            ));
        }
        _ => return Err(CliError::new(refusal(status, &body), "try again later")),
    }
    let key: PublicKey = serde_json::from_str(&body)
        .map_err(|_| CliError::new("the inbox's answer is not a public key", "check --inbox"))?;
    let recipient: age::x25519::Recipient = key.public_key.parse().map_err(|_| {
        CliError::new(
            "the inbox gave a public key that is not an age1… key",
            "ask the person to set their key again",
        )
    })?;
    let mut plain = Zeroizing::new(String::new());
    for id in role_keys {
        plain.push_str(id.to_string().expose_secret());
        plain.push('\n');
    }
    let sealed = seal_armored(&recipient, plain.as_bytes())?;
    let body = serde_json::to_string(&GrantUpload { sealed }).map_err(|e| {
        CliError::new(
            format!("cannot encode the grant: {e}"),
            "report this as a bug",
        )
    })?;
    let url = format!(
        "{base}/v1/staff/people/{}/grants/{}",
        segment(to),
        segment(role)
    );
    let (status, answer) = call("PUT", &url, &token, Some(body))?;
    if status != 204 {
        return Err(CliError::new(
            refusal(status, &answer),
            "check the role (it must be in the inbox's [accounts] roles)",
        ));
    }
    Ok(())
}

fn seal_armored(to: &age::x25519::Recipient, plain: &[u8]) -> Result<String> {
    let fail = |e: &dyn std::fmt::Display| {
        CliError::new(
            format!("cannot seal the grant: {e}"),
            "report this as a bug",
        )
    };
    let e = age::Encryptor::with_recipients(std::iter::once(to as &dyn age::Recipient))
        .map_err(|e| fail(&e))?;
    let mut out = Vec::new();
    let armor = age::armor::ArmoredWriter::wrap_output(&mut out, age::armor::Format::AsciiArmor)
        .map_err(|e| fail(&e))?;
    let mut w = e.wrap_output(armor).map_err(|e| fail(&e))?;
    w.write_all(plain).map_err(|e| fail(&e))?;
    w.finish().and_then(|a| a.finish()).map_err(|e| fail(&e))?;
    String::from_utf8(out).map_err(|e| fail(&e))
}

/// `GET /v1/staff/me/grants`: the person's sealed grants, as the inbox's JSON.
pub fn fetch_grants(inbox: &str, token_file: &Path) -> Result<String> {
    let token = read_token(token_file)?;
    let url = format!("{}/v1/staff/me/grants", inbox.trim_end_matches('/'));
    let (status, body) = call("GET", &url, &token, None)?;
    if status != 200 {
        return Err(CliError::new(
            refusal(status, &body),
            "use your own account's token (kuvert-inbox staff token NAME --scope read)",
        ));
    }
    serde_json::from_str::<Grants>(&body).map_err(|_| {
        CliError::new(
            "the inbox's answer is not a list of grants",
            "check --inbox",
        )
    })?;
    Ok(body)
}

/// Opens the grants in `path` (from `fetch --grants`) with the personal key(s): the role keys
/// inside, in memory only. A grant the personal key cannot open is an error naming its role.
pub fn open_grants(
    path: &Path,
    personal: &[age::x25519::Identity],
) -> Result<Vec<age::x25519::Identity>> {
    let text = std::fs::read_to_string(path).map_err(|e| read_error(path, &e))?;
    let grants: Grants = serde_json::from_str(&text).map_err(|_| {
        CliError::new(
            format!("{} is not a grants file", path.display()),
            "write one with kuvert fetch --grants -o FILE",
        )
    })?;
    let mut out = Vec::new();
    for g in &grants.grants {
        let role = crate::text::terminal_safe(&g.role);
        let cannot = || {
            CliError::new(
                format!("cannot open the grant of role {role} with this personal key"),
                "give the personal key the grant was sealed to (-i), or ask the owner to grant again",
            )
        };
        let d = age::Decryptor::new(age::armor::ArmoredReader::new(g.sealed.as_bytes()))
            .map_err(|_| cannot())?;
        let mut r = d
            .decrypt(personal.iter().map(|i| i as &dyn age::Identity))
            .map_err(|_| cannot())?;
        let mut plain = Zeroizing::new(Vec::new());
        r.read_to_end(&mut plain).map_err(|_| cannot())?;
        let plain = std::str::from_utf8(&plain).map_err(|_| cannot())?;
        for line in plain.lines().filter(|l| !l.trim().is_empty()) {
            out.push(line.trim().parse().map_err(|_| {
                CliError::new(
                    format!("the grant of role {role} holds no age key"),
                    "ask the owner to grant again with kuvert grant",
                )
            })?);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_path_segments() {
        assert_eq!(segment("Ana Müller"), "Ana%20M%C3%BCller");
        assert_eq!(segment("o'brien/../x"), "o%27brien%2F..%2Fx");
    }

    #[test]
    fn a_grant_opens_with_the_personal_key_it_was_sealed_to_only() {
        let personal = age::x25519::Identity::generate();
        let other = age::x25519::Identity::generate();
        let role = age::x25519::Identity::generate();
        let mut plain = role.to_string().expose_secret().to_owned();
        plain.push('\n');
        let sealed = seal_armored(&personal.to_public(), plain.as_bytes()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("grants.json");
        let grants = Grants {
            grants: vec![kuvert_api::accounts::Grant {
                role: "desk".into(),
                sealed,
                granted_by: "Olive".into(),
                granted: "2027-01-01T00:00:00Z".into(),
            }],
        };
        std::fs::write(&file, serde_json::to_string(&grants).unwrap()).unwrap();
        let opened = open_grants(&file, &[personal]).unwrap();
        assert_eq!(opened.len(), 1);
        assert_eq!(
            opened[0].to_public().to_string(),
            role.to_public().to_string()
        );
        let Err(e) = open_grants(&file, &[other]) else {
            panic!("another person's key opened the grant");
        };
        assert!(
            e.to_string().contains("cannot open the grant of role desk"),
            "{e}"
        );
    }
}
