//! The core on wasm32 (run by `cargo xtask test` under Node with wasm-bindgen-test): the
//! browser's random source works, and sealing is byte-for-byte what the native build seals
//! (and the native tests prove those files open with the `age` crate).
#![cfg(target_arch = "wasm32")]

use std::collections::BTreeMap;

use kuvert_core::minimise::{scan_free_text, validate_fields};
use kuvert_core::{
    Booking, CancelCode, FormSchema, Recipient, age, notice, seal, seal_with_os_rng,
};
use rand_core::SeedableRng;
use wasm_bindgen_test::wasm_bindgen_test;

const SALON: &str = include_str!("fixtures/salon.json");
const DETERMINISTIC: &str = include_str!("vectors/deterministic/seal_seed_99.json");

#[derive(serde::Deserialize)]
struct Deterministic {
    seed: u64,
    recipients: Vec<String>,
    cancel_code: String,
    booking: Booking,
    envelope: kuvert_core::Envelope,
}

#[wasm_bindgen_test]
fn sealing_on_wasm_matches_the_native_vector() {
    let v: Deterministic = serde_json::from_str(DETERMINISTIC).unwrap();
    let recipients: Vec<Recipient> = v.recipients.iter().map(|r| r.parse().unwrap()).collect();
    let code = CancelCode::parse(&v.cancel_code).unwrap();
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(v.seed);
    let envelope = seal(&mut rng, &recipients, &v.booking, &code).unwrap();
    assert_eq!(envelope, v.envelope);
}

#[wasm_bindgen_test]
fn the_browser_random_source_seals_fresh_envelopes() {
    let v: Deterministic = serde_json::from_str(DETERMINISTIC).unwrap();
    let recipients: Vec<Recipient> = v.recipients.iter().map(|r| r.parse().unwrap()).collect();
    let code = CancelCode::generate(&mut getrandom::SysRng).unwrap();
    let a = seal_with_os_rng(&recipients, &v.booking, &code).unwrap();
    let b = seal_with_os_rng(&recipients, &v.booking, &code).unwrap();
    assert_ne!(a.sealed, b.sealed);
    let file = a.sealed_bytes().unwrap();
    assert_eq!(age::parse(&file).unwrap().stanzas.len(), recipients.len());
    kuvert_core::Envelope::from_json(a.to_json().as_bytes()).unwrap();
}

#[wasm_bindgen_test]
fn schema_notice_and_validation_work_on_wasm() {
    let schema = FormSchema::from_json(SALON).unwrap();
    let v: Deterministic = serde_json::from_str(DETERMINISTIC).unwrap();
    let notice = notice::render(&schema, v.booking.consent.locale);
    assert_eq!(notice.sha256_hex(), v.booking.consent.notice_sha256);
    let mut input: BTreeMap<String, String> = BTreeMap::new();
    input.insert("name".to_string(), " Ann ".to_string());
    input.insert("phone".to_string(), "070 123 45 67".to_string());
    let fields = validate_fields(&schema, &input).unwrap();
    assert_eq!(fields.get("phone"), Some("+46701234567"));
    assert_eq!(scan_free_text("card 4111 1111 1111 1111").len(), 1);
}
