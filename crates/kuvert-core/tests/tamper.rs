//! Tampering: every single-byte change to the sealed file, every cut, trailing bytes, and
//! every edit of the clear-text facts is refused with the error that names it.

mod common;

use base64::{Engine, engine::general_purpose::STANDARD};
use common::*;
use kuvert_core::age::{HeaderError, NONCE_SIZE, parse};
use kuvert_core::{Envelope, Error, open::open, seal};

struct Case {
    keys: Keys,
    envelope: Envelope,
    file: Vec<u8>,
}

fn case(seed: u64) -> Case {
    let schema = salon();
    let mut rng = rng(seed);
    let keys = Keys::new(&mut rng);
    let other = Keys::new(&mut rng);
    let booking = random_booking(&mut rng, &schema);
    let code = cancel_code(&mut rng);
    let envelope = seal(
        &mut rng,
        &[other.recipient.clone(), keys.recipient.clone()],
        &booking,
        &code,
    )
    .unwrap();
    let file = STANDARD.decode(&envelope.sealed).unwrap();
    Case {
        keys,
        envelope,
        file,
    }
}

fn with_file(envelope: &Envelope, file: &[u8]) -> Envelope {
    Envelope {
        sealed: STANDARD.encode(file),
        ..envelope.clone()
    }
}

#[test]
fn every_single_byte_flip_is_rejected_with_the_error_for_its_region() {
    let c = case(1);
    let parsed = parse(&c.file).unwrap();
    let payload_start = c.file.len() - parsed.payload.len();
    let nonce_start = payload_start - NONCE_SIZE;
    let mac_line_start = parsed.mac_input.len() - 3;
    let ids = [c.keys.identity()];
    assert!(open(&c.envelope, &ids).is_ok());
    for i in 0..c.file.len() {
        for mask in [0x01u8, 0x80] {
            let mut file = c.file.clone();
            file[i] ^= mask;
            let err = open(&with_file(&c.envelope, &file), &ids).expect_err("tampered file opened");
            let ok = if i >= nonce_start {
                // Nonce or ciphertext: the payload no longer authenticates.
                err == Error::PayloadAuth
            } else if i >= mac_line_start {
                // The MAC line: either no longer parses, or the MAC no longer verifies.
                matches!(err, Error::MalformedAge(_) | Error::HeaderMac)
            } else {
                // Version line and stanzas: no longer parses, or our stanza no longer unwraps
                // (then the header MAC can't be checked), or it unwraps and the MAC fails.
                matches!(
                    err,
                    Error::MalformedAge(_) | Error::NoMatchingIdentity | Error::HeaderMac
                )
            };
            assert!(ok, "byte {i} ^ {mask:#04x}: unexpected {err:?}");
        }
    }
}

#[test]
fn changed_base64_characters_are_rejected() {
    let c = case(2);
    let ids = [c.keys.identity()];
    let sealed = c.envelope.sealed.as_bytes();
    for i in (0..sealed.len()).step_by(7) {
        for replacement in [b'!', b'A', b'/'] {
            if sealed[i] == replacement {
                continue;
            }
            let mut s = sealed.to_vec();
            s[i] = replacement;
            let e = Envelope {
                sealed: String::from_utf8(s).unwrap(),
                ..c.envelope.clone()
            };
            let err = open(&e, &ids).expect_err("changed base64 opened");
            if replacement == b'!' {
                assert_eq!(err, Error::BadBase64);
            }
        }
    }
}

#[test]
fn every_truncation_is_rejected() {
    let c = case(3);
    let parsed = parse(&c.file).unwrap();
    let payload_start = c.file.len() - parsed.payload.len();
    let ids = [c.keys.identity()];
    for len in 0..c.file.len() {
        let err =
            open(&with_file(&c.envelope, &c.file[..len]), &ids).expect_err("truncated file opened");
        if len < payload_start - NONCE_SIZE {
            assert!(
                matches!(err, Error::MalformedAge(_)),
                "cut at {len}: {err:?}"
            );
        } else if len < payload_start + 16 {
            assert!(
                matches!(
                    err,
                    Error::MalformedAge(HeaderError::Truncated | HeaderError::EmptyPayload)
                ),
                "cut at {len}: {err:?}"
            );
        } else if !(len - payload_start - 16).is_multiple_of(256) {
            assert_eq!(err, Error::Truncated, "cut at {len}");
        } else {
            // A cut exactly on a padding boundary is indistinguishable from altered bytes.
            assert_eq!(err, Error::PayloadAuth, "cut at {len}");
        }
    }
}

#[test]
fn trailing_bytes_are_named_as_such() {
    let c = case(4);
    let ids = [c.keys.identity()];
    for extra in [1usize, 15, 16, 17, 255, 256, 257, 1000] {
        let mut file = c.file.clone();
        file.extend((0..extra).map(|i| i as u8));
        assert_eq!(
            open(&with_file(&c.envelope, &file), &ids),
            Err(Error::TrailingData),
            "{extra} extra bytes"
        );
    }
}

#[test]
fn editing_the_clear_text_facts_is_detected() {
    let c = case(5);
    let ids = [c.keys.identity()];
    let mut e = c.envelope.clone();
    e.public.start = "2030-01-01T10:00:00Z".into();
    e.public.end = "2030-01-01T10:30:00Z".into();
    assert_eq!(open(&e, &ids), Err(Error::PublicMismatch));

    let mut e = c.envelope.clone();
    e.public.service = if e.public.service == "cut" {
        "colour".into()
    } else {
        "cut".into()
    };
    assert_eq!(open(&e, &ids), Err(Error::PublicMismatch));

    let mut e = c.envelope.clone();
    e.form = "another-form".into();
    assert_eq!(open(&e, &ids), Err(Error::FormMismatch));

    let mut e = c.envelope.clone();
    e.kuvert = 2;
    assert_eq!(open(&e, &ids), Err(Error::UnsupportedVersion));
}

#[test]
fn envelope_json_is_parsed_strictly() {
    let c = case(6);
    let json = c.envelope.to_json();
    assert!(Envelope::from_json(json.as_bytes()).is_ok());
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    v["extra"] = "x".into();
    assert!(matches!(
        Envelope::from_json(v.to_string().as_bytes()),
        Err(Error::MalformedEnvelope(_))
    ));
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    v["cancel"] = "ABC".into();
    assert_eq!(
        Envelope::from_json(v.to_string().as_bytes()),
        Err(Error::InvalidCancelHash)
    );
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    v["public"]["start"] = "2027-03-01T10:00:00+01:00".into();
    assert!(matches!(
        Envelope::from_json(v.to_string().as_bytes()),
        Err(Error::InvalidPublicFacts(_))
    ));
    assert!(matches!(
        Envelope::from_json(b"{"),
        Err(Error::MalformedEnvelope(_))
    ));
    assert!(matches!(
        Envelope::from_json(b"[]"),
        Err(Error::MalformedEnvelope(_))
    ));
}
