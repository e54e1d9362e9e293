//! What the key tool's tests share: the real binary, the salon form, the demo key, and
//! bookings sealed the way the widget (or anyone with the public key) seals them.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::process::{Command, Output};

use kuvert_core::minimise::{Fields, validate_fields};
use kuvert_core::{
    Booking, CancelCode, ConsentReceipt, FormSchema, Locale, PublicFacts, Recipient, UtcTimestamp,
    notice, seal_with_os_rng,
};

pub const SALON: &str = include_str!("../../../kuvert-core/tests/fixtures/salon.json");
pub const DEMO_KEY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cmd/demo-key.txt");
pub const RIGHT_PASS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cmd/right.pass");

/// Runs the real `kuvert` binary.
pub fn kuvert(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kuvert"))
        .args(args)
        .output()
        .unwrap()
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The public key of a key file, by `kuvert pubkey`.
pub fn pubkey(key: &str, pass: Option<&str>) -> String {
    let mut args = vec!["pubkey", "-i", key];
    if let Some(p) = pass {
        args.extend(["--passphrase-file", p]);
    }
    let out = kuvert(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout).trim().to_owned()
}

/// A name and a phone number, with `note` if not empty, validated as the widget validates.
pub fn valid_fields(name: &str, note: &str) -> Fields {
    let schema = FormSchema::from_json(SALON).unwrap();
    let mut input = BTreeMap::from([
        ("name".to_owned(), name.to_owned()),
        ("phone".to_owned(), "+46701234567".to_owned()),
    ]);
    input.insert("note".to_owned(), note.to_owned());
    validate_fields(&schema, &input).unwrap()
}

/// Fields as they are, without the widget's validation: what anyone can seal to the public
/// key in the page source.
pub fn raw_fields(pairs: &[(&str, &str)]) -> Fields {
    Fields::from_map(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    )
}

/// A salon booking of `fields` for the `cut` slot at `start` (UTC seconds), consented a day
/// before.
pub fn booking_with(start: i64, fields: Fields) -> Booking {
    let schema = FormSchema::from_json(SALON).unwrap();
    let t = |s| UtcTimestamp::from_unix(s).unwrap();
    Booking {
        kuvert: 1,
        form: "salon".into(),
        public: PublicFacts {
            service: "cut".into(),
            start: t(start).to_string(),
            end: t(start + 1800).to_string(),
        },
        fields,
        consent: ConsentReceipt::new(
            &schema,
            &notice::render(&schema, Locale::En),
            &[],
            t(start - 86_400),
            "test",
        )
        .unwrap(),
    }
}

/// Ann Berg's booking at `start`, with `note`.
pub fn booking(start: i64, note: &str) -> Booking {
    booking_with(start, valid_fields("Ann Berg", note))
}

/// `b` sealed to `recipients` (`age1…`), as envelope JSON.
pub fn sealed_to(recipients: &[&str], b: &Booking) -> String {
    let rs: Vec<Recipient> = recipients.iter().map(|r| r.parse().unwrap()).collect();
    let code = CancelCode::generate(
        &mut <rand_chacha::ChaCha20Rng as rand_core::SeedableRng>::seed_from_u64(7),
    )
    .unwrap();
    seal_with_os_rng(&rs, b, &code).unwrap().to_json()
}
