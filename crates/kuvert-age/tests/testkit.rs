//! The C2SP age test kit (`tests/testkit/`, source named in its README) against the key-less
//! header parser the inbox runs on every upload: it refuses every `header failure` vector of
//! the X25519 vectors, and parses every other one, so a valid header is never refused for what
//! only a key can tell (MAC, payload). Out of scope, counted and named by reason: passphrase
//! (scrypt) files, ASCII armor, post-quantum hybrid keys. The opener's half of the kit is in
//! `kuvert-core/tests/testkit.rs`. `cargo xtask test` runs both with `--nocapture`, so the
//! counts are printed.

mod kit;

use kuvert_age::HeaderError;

#[test]
fn the_c2sp_test_kit_against_the_header_parser() {
    let vectors = kit::load();
    assert_eq!(vectors.len(), 143, "the kit holds 143 vectors");
    let (mut refused, mut parsed) = (0, 0);
    let (mut early, mut policy, mut wrong) = (Vec::new(), Vec::new(), Vec::new());
    for v in vectors.iter().filter(|v| kit::skip_reason(v).is_none()) {
        // A file without any X25519 stanza is refused by policy (bookings are sealed to keys).
        let has_x25519 = kit::stanza_types(&v.file).iter().any(|t| t == "X25519");
        match (v.expect.as_str(), kuvert_age::parse_header(&v.file)) {
            (_, Err(HeaderError::NoRecipients)) if !has_x25519 => policy.push(v.name.as_str()),
            ("header failure", Err(_)) => refused += 1,
            ("header failure", Ok(_)) => wrong.push(format!("{}: parsed a bad header", v.name)),
            (_, Ok(_)) => parsed += 1,
            (_, Err(e)) => wrong.push(format!("{}: refused a valid header ({e})", v.name)),
        }
        // The whole-file parse also wants one tag of payload: a payload failure it can see
        // without a key is refused early, nothing else.
        match (v.expect.as_str(), kuvert_age::parse(&v.file)) {
            ("payload failure", Err(HeaderError::EmptyPayload)) => early.push(v.name.as_str()),
            ("header failure", _) | (_, Ok(_)) => {}
            (_, Err(HeaderError::NoRecipients)) if !has_x25519 => {}
            (_, Err(e)) => wrong.push(format!("{}: the inbox's parse refused it ({e})", v.name)),
        }
    }
    println!(
        "age test kit, header parser: {} vectors; refused {refused} header failures, parsed {parsed} others",
        vectors.len()
    );
    println!(
        "  refused by policy, having no X25519 stanza ({}): {}",
        policy.len(),
        policy.join(", ")
    );
    println!(
        "  the whole-file parse also refused {} payload failure(s) visible without a key: {}",
        early.len(),
        early.join(", ")
    );
    let skipped = kit::print_skipped(&vectors);
    assert!(
        wrong.is_empty(),
        "{} vector(s) wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert_eq!(refused + parsed + policy.len() + skipped, vectors.len());
    assert!(refused >= 25 && parsed >= 30, "too few vectors checked");
}
