//! Fuzzes envelope parsing and opening: arbitrary bytes as envelope JSON, and arbitrary bytes
//! as the sealed age file inside an otherwise valid envelope, opened with the demo key.
//! Neither may panic; every input must end in `Ok` or one `kuvert_core::Error`.
#![no_main]

use std::sync::OnceLock;

use base64::{Engine, engine::general_purpose::STANDARD};
use kuvert_core::open::{Identity, identities_from_bytes, open};
use kuvert_core::{Envelope, PublicFacts};
use libfuzzer_sys::fuzz_target;

static KEY: &str = include_str!("../../crates/kuvert-core/examples/demo-key.txt");

fn identities() -> &'static [Identity] {
    static IDS: OnceLock<Vec<Identity>> = OnceLock::new();
    IDS.get_or_init(|| identities_from_bytes(KEY.as_bytes(), || None).expect("demo key loads"))
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    if mode % 2 == 0 {
        if let Ok(envelope) = Envelope::from_json(rest) {
            let _ = open(&envelope, identities());
        }
    } else {
        let _ = kuvert_core::age::parse(rest);
        let envelope = Envelope {
            kuvert: 1,
            form: "salon".into(),
            public: PublicFacts {
                service: "cut".into(),
                start: "2027-03-01T09:00:00Z".into(),
                end: "2027-03-01T09:30:00Z".into(),
            },
            sealed: STANDARD.encode(rest),
            cancel: "0".repeat(64),
        };
        let _ = open(&envelope, identities());
    }
});
