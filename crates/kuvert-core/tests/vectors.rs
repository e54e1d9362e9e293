//! Test vectors kept as files under `tests/vectors/`, one per failure class, each mapping to
//! exactly one error code (see `tests/vectors/README.md` for where they come from).
//!
//! `KUVERT_WRITE_VECTORS=1 cargo test -p kuvert-core --all-features --test vectors` rewrites
//! them from fixed seeds; the ordinary run only reads the committed files.

mod common;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::{Engine, engine::general_purpose::STANDARD};
use common::*;
use kuvert_core::age::parse;
use kuvert_core::envelope::{MAX_SEALED_BYTES, PAD_BLOCK};
use kuvert_core::open::{identities_from_bytes, open};
use kuvert_core::{Booking, Envelope, seal};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Vector {
    description: String,
    source: String,
    /// `ok`, or the error code `open` must return.
    expect: String,
    /// Identity files given to `open` (test keys, never used for anything real).
    identities: Vec<String>,
    /// The envelope exactly as posted (a JSON value, so malformed envelopes fit too).
    envelope: serde_json::Value,
    /// For `ok`: the booking that must come out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    booking: Option<Booking>,
}

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

/// The failure classes every build must keep a vector for.
const REQUIRED: &[&str] = &[
    "ok",
    "unsupported_version",
    "bad_base64",
    "no_matching_identity",
    "malformed_age",
    "header_mac",
    "payload_auth",
    "trailing_data",
    "truncated",
    "public_mismatch",
    "form_mismatch",
    "oversize",
    "malformed_plaintext",
    "invalid_cancel",
];

#[test]
fn every_vector_gives_exactly_its_error() {
    if std::env::var_os("KUVERT_WRITE_VECTORS").is_some() {
        write_vectors();
    }
    let mut seen = BTreeSet::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
    {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let v: Vector = serde_json::from_slice(&std::fs::read(path).unwrap())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let identities: Vec<_> = v
            .identities
            .iter()
            .flat_map(|s| identities_from_bytes(s.as_bytes(), || None).unwrap())
            .collect();
        let result = Envelope::from_json(v.envelope.to_string().as_bytes())
            .and_then(|e| open(&e, &identities));
        match (&result, v.expect.as_str()) {
            (Ok(booking), "ok") => assert_eq!(Some(booking), v.booking.as_ref(), "{name}"),
            (Err(e), expected) => assert_eq!(e.code(), expected, "{name}: {e}"),
            (Ok(_), expected) => panic!("{name}: opened, expected {expected}"),
        }
        seen.insert(v.expect.clone());
    }
    for class in REQUIRED {
        assert!(seen.contains(*class), "no vector for `{class}`");
    }
}

/// A seal with a fixed seed, checked byte-for-byte here and by the wasm32 test (`tests/wasm.rs`).
#[derive(Serialize, Deserialize)]
struct Deterministic {
    seed: u64,
    recipients: Vec<String>,
    cancel_code: String,
    booking: Booking,
    envelope: Envelope,
}

fn deterministic_path() -> PathBuf {
    dir().join("deterministic/seal_seed_99.json")
}

#[test]
fn sealing_with_a_fixed_seed_is_reproducible() {
    if std::env::var_os("KUVERT_WRITE_VECTORS").is_some() {
        let schema = salon();
        let mut setup = rng(98);
        let keys = [Keys::new(&mut setup), Keys::new(&mut setup)];
        let booking = random_booking(&mut setup, &schema);
        let code = cancel_code(&mut setup);
        let recipients = [keys[0].recipient.clone(), keys[1].recipient.clone()];
        let envelope = seal(&mut rng(99), &recipients, &booking, &code).unwrap();
        let v = Deterministic {
            seed: 99,
            recipients: recipients.iter().map(|r| r.to_string()).collect(),
            cancel_code: code.display_grouped(),
            booking,
            envelope,
        };
        std::fs::write(
            deterministic_path(),
            serde_json::to_string_pretty(&v).unwrap() + "\n",
        )
        .unwrap();
    }
    let v: Deterministic =
        serde_json::from_slice(&std::fs::read(deterministic_path()).unwrap()).unwrap();
    let recipients: Vec<kuvert_core::Recipient> =
        v.recipients.iter().map(|r| r.parse().unwrap()).collect();
    let code = kuvert_core::CancelCode::parse(&v.cancel_code).unwrap();
    assert_eq!(
        seal(&mut rng(v.seed), &recipients, &v.booking, &code).unwrap(),
        v.envelope
    );
}

fn write(name: &str, v: Vector) {
    let mut f = std::fs::File::create(dir().join(format!("{name}.json"))).unwrap();
    f.write_all(serde_json::to_string_pretty(&v).unwrap().as_bytes())
        .unwrap();
    f.write_all(b"\n").unwrap();
}

fn write_vectors() {
    const SOURCE: &str = "generated by crates/kuvert-core/tests/vectors.rs from ChaCha20 seed 2027 with the core's sealer (age v1, C2SP age.md)";
    let schema = salon();
    let mut rng = rng(2027);
    let keys = Keys::new(&mut rng);
    let stranger = Keys::new(&mut rng);
    let booking = random_booking(&mut rng, &schema);
    let code = cancel_code(&mut rng);
    let good = seal(
        &mut rng,
        std::slice::from_ref(&keys.recipient),
        &booking,
        &code,
    )
    .unwrap();
    let file = STANDARD.decode(&good.sealed).unwrap();
    let parsed = parse(&file).unwrap();
    let payload_start = file.len() - parsed.payload.len();
    let mac_start = parsed.mac_input.len() + 1; // first base64 character of the MAC
    let value = |e: &Envelope| serde_json::to_value(e).unwrap();
    let with_file = |f: &[u8]| {
        value(&Envelope {
            sealed: STANDARD.encode(f),
            ..good.clone()
        })
    };
    let ids = vec![keys.identity_string.clone()];
    let v = |description: &str, expect: &str, envelope: serde_json::Value| Vector {
        description: description.into(),
        source: SOURCE.into(),
        expect: expect.into(),
        identities: ids.clone(),
        envelope,
        booking: None,
    };

    write(
        "ok",
        Vector {
            booking: Some(booking.clone()),
            ..v(
                "A well-formed booking for one recipient.",
                "ok",
                value(&good),
            )
        },
    );

    let mut e = value(&good);
    e["kuvert"] = 2.into();
    write(
        "bad_version",
        v(
            "Envelope version 2, which this software does not read.",
            "unsupported_version",
            e,
        ),
    );

    let mut e = value(&good);
    e["sealed"] = format!("{}*", &good.sealed[..good.sealed.len() - 1]).into();
    write(
        "bad_base64",
        v(
            "`sealed` holds a character outside standard base64.",
            "bad_base64",
            e,
        ),
    );

    write(
        "wrong_recipient",
        Vector {
            identities: vec![stranger.identity_string.clone()],
            ..v(
                "Sealed to another key than the one given.",
                "no_matching_identity",
                value(&good),
            )
        },
    );

    write(
        "truncated_header",
        v(
            "The age header is cut inside its recipient stanza.",
            "malformed_age",
            with_file(&file[..40]),
        ),
    );

    let mut f = file.clone();
    f[mac_start] = if f[mac_start] == b'A' { b'B' } else { b'A' };
    write(
        "bad_mac",
        v(
            "One character of the header MAC changed.",
            "header_mac",
            with_file(&f),
        ),
    );

    let mut f = file.clone();
    f[payload_start + 20] ^= 1;
    write(
        "bad_tag",
        v(
            "One ciphertext byte flipped: the payload tag fails.",
            "payload_auth",
            with_file(&f),
        ),
    );

    let mut f = file.clone();
    f.extend_from_slice(b"trailing bytes after the final chunk");
    write(
        "trailing_data",
        v(
            "Bytes appended after the final payload chunk.",
            "trailing_data",
            with_file(&f),
        ),
    );

    write(
        "truncated_payload",
        v(
            "The payload is cut in the middle of its final chunk.",
            "truncated",
            with_file(&file[..file.len() - 100]),
        ),
    );

    let mut e = value(&good);
    e["public"]["start"] = "2031-01-01T08:00:00Z".into();
    e["public"]["end"] = "2031-01-01T08:30:00Z".into();
    write(
        "public_swap",
        v(
            "The clear-text slot was changed after sealing.",
            "public_mismatch",
            e,
        ),
    );

    let mut e = value(&good);
    e["form"] = "clinic".into();
    write(
        "form_swap",
        v(
            "The clear-text form id was changed after sealing.",
            "form_mismatch",
            e,
        ),
    );

    let big = vec![0u8; MAX_SEALED_BYTES + 1];
    write(
        "oversize",
        v(
            "`sealed` decodes to more than the size limit.",
            "oversize",
            with_file(&big),
        ),
    );

    // Well-formed age, right key, but the plaintext is not a booking. The age crate draws its
    // own randomness, so this one is kept as committed unless it is missing.
    if dir().join("malformed_plaintext.json").exists() {
        return write("bad_cancel", bad_cancel(&good, v));
    }
    let recipient = keys.age_identity().to_public();
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
            .unwrap();
    let mut f = Vec::new();
    let mut w = encryptor.wrap_output(&mut f).unwrap();
    let mut text = b"{\"hello\":\"world\"}".to_vec();
    text.resize(PAD_BLOCK, b' ');
    w.write_all(&text).unwrap();
    w.finish().unwrap();
    write(
        "malformed_plaintext",
        Vector {
            source:
                "encrypted with the age crate's Encryptor (random nonce and key; not reproducible)"
                    .into(),
            ..v(
                "A valid age file whose plaintext is not a booking.",
                "malformed_plaintext",
                with_file(&f),
            )
        },
    );

    write("bad_cancel", bad_cancel(&good, v));
}

fn bad_cancel(good: &Envelope, v: impl Fn(&str, &str, serde_json::Value) -> Vector) -> Vector {
    let mut e = serde_json::to_value(good).unwrap();
    e["cancel"] = "not-a-hash".into();
    v("`cancel` is not a hex SHA-256.", "invalid_cancel", e)
}
