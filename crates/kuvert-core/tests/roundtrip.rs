//! Round trip and interop: bookings sealed by the core open with the `age` crate's own
//! decryptor and with `kuvert_core::open`; every recipient can open, a stranger cannot; the
//! `age` crate's own files open with the core; repeated seals share no randomness.

mod common;

use std::io::Read;
use std::iter;

use base64::{Engine, engine::general_purpose::STANDARD};
use chacha20poly1305::{ChaCha20Poly1305, Key, KeyInit, Nonce, aead::Aead};
use common::*;
use hkdf::Hkdf;
use kuvert_core::envelope::PAD_BLOCK;
use kuvert_core::{Booking, Envelope, Error, age as kage, open::open, seal, seal_with_os_rng};
use sha2::Sha256;

fn age_decrypt(file: &[u8], identity: &age::x25519::Identity) -> Result<Vec<u8>, String> {
    let decryptor = age::Decryptor::new_buffered(file).map_err(|e| e.to_string())?;
    let mut reader = decryptor
        .decrypt(iter::once(identity as &dyn age::Identity))
        .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    reader.read_to_end(&mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

#[test]
fn a_thousand_random_bookings_open_with_the_age_crate() {
    let schema = salon();
    let mut rng = rng(1000);
    let stranger = Keys::new(&mut rng);
    for i in 0..1000 {
        let n = [1, 2, 5][i % 3];
        let keys: Vec<Keys> = (0..n).map(|_| Keys::new(&mut rng)).collect();
        let recipients: Vec<_> = keys.iter().map(|k| k.recipient.clone()).collect();
        let booking = random_booking(&mut rng, &schema);
        let code = cancel_code(&mut rng);
        let envelope = seal(&mut rng, &recipients, &booking, &code).unwrap();
        assert_eq!(envelope.cancel, code.hash_hex());
        let file = STANDARD.decode(&envelope.sealed).unwrap();
        assert_eq!(kage::parse(&file).unwrap().stanzas.len(), n);

        for k in &keys {
            let plaintext = age_decrypt(&file, &k.age_identity())
                .unwrap_or_else(|e| panic!("booking {i}: age could not open: {e}"));
            assert_eq!(plaintext.len() % PAD_BLOCK, 0, "booking {i}: not padded");
            let inner: Booking = serde_json::from_slice(&plaintext).unwrap();
            assert_eq!(inner, booking, "booking {i}");
        }
        assert_eq!(
            age_decrypt(&file, &stranger.age_identity()).unwrap_err(),
            age::DecryptError::NoMatchingKeys.to_string(),
            "booking {i}: a stranger opened it"
        );
        let opened = open(&envelope, &[keys[n - 1].identity()]).unwrap();
        assert_eq!(opened, booking);
        assert_eq!(
            open(&envelope, &[stranger.identity()]),
            Err(Error::NoMatchingIdentity)
        );
    }
}

#[test]
fn ciphertext_length_depends_only_on_the_padding_bucket() {
    let schema = salon();
    let mut rng = rng(7);
    let keys = Keys::new(&mut rng);
    let mut lengths = std::collections::BTreeSet::new();
    for _ in 0..200 {
        let booking = random_booking(&mut rng, &schema);
        let code = cancel_code(&mut rng);
        let envelope = seal(
            &mut rng,
            std::slice::from_ref(&keys.recipient),
            &booking,
            &code,
        )
        .unwrap();
        let file = STANDARD.decode(&envelope.sealed).unwrap();
        let payload = kage::parse(&file).unwrap().payload.len();
        assert_eq!((payload - kage::TAG_SIZE) % PAD_BLOCK, 0);
        lengths.insert(payload);
    }
    // Notes range from 0 to 500 characters, yet only a handful of distinct sizes appear.
    assert!(lengths.len() <= 6, "{lengths:?}");
}

#[test]
fn files_from_the_age_crates_encryptor_open_with_the_core() {
    let schema = salon();
    let mut rng = rng(3);
    let keys = Keys::new(&mut rng);
    let booking = random_booking(&mut rng, &schema);
    let mut plaintext = serde_json::to_vec(&booking).unwrap();
    plaintext.resize(plaintext.len().div_ceil(PAD_BLOCK) * PAD_BLOCK, b' ');
    let recipient = keys.age_identity().to_public();
    let encryptor =
        age::Encryptor::with_recipients(iter::once(&recipient as &dyn age::Recipient)).unwrap();
    let mut file = Vec::new();
    let mut writer = encryptor.wrap_output(&mut file).unwrap();
    std::io::Write::write_all(&mut writer, &plaintext).unwrap();
    writer.finish().unwrap();

    let envelope = Envelope {
        kuvert: 1,
        form: booking.form.clone(),
        public: booking.public.clone(),
        sealed: STANDARD.encode(&file),
        cancel: cancel_code(&mut rng).hash_hex(),
    };
    let parsed = Envelope::from_json(envelope.to_json().as_bytes()).unwrap();
    assert_eq!(open(&parsed, &[keys.identity()]).unwrap(), booking);
}

/// Recovers a stanza's file key the way a recipient does (C2SP age, "The X25519 recipient type").
fn unwrap_file_key(keys: &Keys, stanza: &kage::Stanza) -> [u8; 16] {
    let share: [u8; 32] = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(&stanza.args[0])
        .unwrap()
        .try_into()
        .unwrap();
    let shared = x25519_dalek::x25519(keys.secret, share);
    let mut salt = share.to_vec();
    salt.extend_from_slice(keys.recipient.as_bytes());
    let mut wrap = [0u8; 32];
    Hkdf::<Sha256>::new(Some(&salt), &shared)
        .expand(b"age-encryption.org/v1/X25519", &mut wrap)
        .unwrap();
    ChaCha20Poly1305::new(&Key::from(wrap))
        .decrypt(&Nonce::from([0u8; 12]), stanza.body.as_slice())
        .unwrap()
        .try_into()
        .unwrap()
}

#[test]
fn two_seals_of_one_booking_share_no_share_no_file_key_no_nonce() {
    let schema = salon();
    let mut rng = rng(11);
    let keys = [Keys::new(&mut rng), Keys::new(&mut rng)];
    let recipients = [keys[0].recipient.clone(), keys[1].recipient.clone()];
    let booking = random_booking(&mut rng, &schema);
    let code = cancel_code(&mut rng);
    let a = seal_with_os_rng(&recipients, &booking, &code).unwrap();
    let b = seal_with_os_rng(&recipients, &booking, &code).unwrap();
    let (fa, fb) = (
        STANDARD.decode(&a.sealed).unwrap(),
        STANDARD.decode(&b.sealed).unwrap(),
    );
    let (pa, pb) = (kage::parse(&fa).unwrap(), kage::parse(&fb).unwrap());

    let shares: Vec<&String> = pa
        .stanzas
        .iter()
        .chain(&pb.stanzas)
        .map(|s| &s.args[0])
        .collect();
    for (i, x) in shares.iter().enumerate() {
        for y in &shares[i + 1..] {
            assert_ne!(x, y, "an ephemeral share was reused");
        }
    }
    let key_a = unwrap_file_key(&keys[0], &pa.stanzas[0]);
    let key_b = unwrap_file_key(&keys[0], &pb.stanzas[0]);
    assert_eq!(
        key_a,
        unwrap_file_key(&keys[1], &pa.stanzas[1]),
        "one file key per file"
    );
    assert_ne!(key_a, key_b, "file key reused");
    assert_ne!(pa.nonce, pb.nonce, "payload nonce reused");
    assert_ne!(fa, fb);
    assert_eq!(open(&a, &[keys[1].identity()]).unwrap(), booking);
}

#[test]
fn the_demo_keys_public_line_matches_its_secret() {
    let text = include_str!("../examples/demo-key.txt");
    let public = text
        .lines()
        .find_map(|l| l.strip_prefix("# public key: "))
        .unwrap();
    let secret = text
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-1"))
        .unwrap();
    let identity: age::x25519::Identity = secret.parse().unwrap();
    assert_eq!(identity.to_public().to_string(), public);
    assert!(public.parse::<kuvert_core::Recipient>().is_ok());
}
