//! Helpers shared by the integration tests: deterministic keys, the salon fixture, and
//! random bookings.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::str::FromStr;

use bech32::{Bech32, Hrp};
use kuvert_core::minimise::{Fields, validate_fields};
use kuvert_core::open::Identity;
use kuvert_core::{
    Booking, CancelCode, ConsentReceipt, FormSchema, Locale, PublicFacts, Recipient, UtcTimestamp,
    notice,
};
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};

pub const SALON: &str = include_str!("../fixtures/salon.json");

pub fn salon() -> FormSchema {
    FormSchema::from_json(SALON).expect("fixture is valid")
}

pub fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

/// A staff key pair made from `rng`: our recipient, and the same key as an `age` identity
/// (parsed by the `age` crate from its `AGE-SECRET-KEY-1…` string).
pub struct Keys {
    pub secret: [u8; 32],
    pub recipient: Recipient,
    pub identity_string: String,
}

impl Keys {
    pub fn new(rng: &mut ChaCha20Rng) -> Keys {
        let mut secret = [0u8; 32];
        rng.fill_bytes(&mut secret);
        let public = x25519_dalek::x25519(secret, x25519_dalek::X25519_BASEPOINT_BYTES);
        let identity_string =
            bech32::encode::<Bech32>(Hrp::parse("age-secret-key-").unwrap(), &secret)
                .unwrap()
                .to_uppercase();
        Keys {
            secret,
            recipient: Recipient::from_bytes(public).unwrap(),
            identity_string,
        }
    }

    pub fn age_identity(&self) -> age::x25519::Identity {
        age::x25519::Identity::from_str(&self.identity_string).unwrap()
    }

    pub fn identity(&self) -> Identity {
        Box::new(self.age_identity())
    }
}

const NAMES: &[&str] = &[
    "Ann Berg",
    "Jan de Vries",
    "Müller, Jürgen",
    "李小龙",
    "O'Brien",
    "Zoë",
    "A",
];
const NOTES: &[&str] = &[
    "",
    "Allergic to ammonia.",
    "Första gången hos er!",
    "Bitte pünktlich 🙂",
    "x",
];

/// A random but valid booking for the salon form.
pub fn random_booking(rng: &mut ChaCha20Rng, schema: &FormSchema) -> Booking {
    let pick = |rng: &mut ChaCha20Rng, n: usize| (rng.next_u32() as usize) % n;
    let mut input: BTreeMap<String, String> = BTreeMap::new();
    input.insert("name".into(), NAMES[pick(rng, NAMES.len())].to_string());
    input.insert(
        "phone".into(),
        format!("070-{:07}", rng.next_u32() % 10_000_000),
    );
    if rng.next_u32().is_multiple_of(2) {
        input.insert(
            "email".into(),
            format!("guest{}@example.com", rng.next_u32()),
        );
    }
    let note_len = pick(rng, 450);
    let mut note = NOTES[pick(rng, NOTES.len())].to_string();
    while note.chars().count() < note_len {
        note.push_str(" and more");
    }
    input.insert("note".into(), note.chars().take(500).collect::<String>());
    let fields: Fields = validate_fields(schema, &input).expect("generated input is valid");
    let service = &schema.services[pick(rng, schema.services.len())];
    let start = 1_803_891_600 + i64::from(rng.next_u32() % 1000) * 1800;
    let start_t = UtcTimestamp::from_unix(start).unwrap();
    let end_t = UtcTimestamp::from_unix(start + i64::from(service.duration_minutes) * 60).unwrap();
    let locale = Locale::ALL[pick(rng, 4)];
    let notice = notice::render(schema, locale);
    let ticked: Vec<&str> = schema
        .optional_purposes
        .iter()
        .filter(|_| rng.next_u32().is_multiple_of(2))
        .map(|o| o.id.as_str())
        .collect();
    Booking {
        kuvert: 1,
        form: schema.id.clone(),
        public: PublicFacts {
            service: service.id.clone(),
            start: start_t.to_string(),
            end: end_t.to_string(),
        },
        fields,
        consent: ConsentReceipt::new(schema, &notice, &ticked, start_t, kuvert_core::VERSION)
            .unwrap(),
    }
}

pub fn cancel_code(rng: &mut ChaCha20Rng) -> CancelCode {
    CancelCode::generate(rng).unwrap()
}
