//! The C2SP age test kit (in `kuvert-age/tests/testkit/`, source named in its README) against
//! the staff-side opener, `open::decrypt_file`: Kuvert's strict header check, then the `age`
//! crate. Every vector in scope gets its expected result: the payload's SHA-256 on success,
//! else its failure class. (The `age` crate alone accepts two header failures,
//! stanza_missing_body and stanza_missing_final_line; the header check catches them.) Out of
//! scope, counted and named by reason: passphrase (scrypt) files, ASCII armor, post-quantum
//! hybrid keys.

#[path = "../../kuvert-age/tests/kit/mod.rs"]
mod kit;

use kuvert_core::open::{FileFailure, Identity, decrypt_file};
use sha2::{Digest, Sha256};

fn identities(v: &kit::Vector) -> Vec<Identity> {
    v.identities
        .iter()
        .map(|i| Box::new(i.parse::<age::x25519::Identity>().unwrap()) as Identity)
        .collect()
}

#[test]
fn the_c2sp_test_kit_against_the_opener() {
    let vectors = kit::load();
    assert_eq!(vectors.len(), 143, "the kit holds 143 vectors");
    let mut opened = 0;
    let mut wrong = Vec::new();
    for v in vectors.iter().filter(|v| kit::skip_reason(v).is_none()) {
        // Room for every vector's payload: they test the format, not Kuvert's size limits.
        let result = decrypt_file(&v.file, &identities(v), 1 << 25);
        let ok = match (v.expect.as_str(), &result) {
            ("success", Ok(plain)) => {
                Some(kuvert_core::hex(&Sha256::digest(&plain[..]))) == v.payload_sha256
            }
            ("no match", Err(FileFailure::NoMatch)) => true,
            ("HMAC failure", Err(FileFailure::HeaderMac)) => true,
            ("header failure", Err(FileFailure::Header | FileFailure::NoMatch)) => true,
            ("payload failure", Err(FileFailure::Payload)) => true,
            _ => false,
        };
        if ok {
            opened += 1;
        } else {
            wrong.push(format!(
                "{}: expected {}, the opener gave {:?}",
                v.name,
                v.expect,
                result.as_ref().map(|p| p.len())
            ));
        }
    }
    println!(
        "age test kit, opener: {} vectors; {opened} gave their expected result",
        vectors.len()
    );
    let skipped = kit::print_skipped(&vectors);
    assert!(
        wrong.is_empty(),
        "{} vector(s) wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert_eq!(opened + skipped, vectors.len());
    assert!(opened >= 60, "too few vectors checked: {opened}");
}
