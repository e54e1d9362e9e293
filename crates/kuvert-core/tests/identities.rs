//! Identity files: plain `AGE-SECRET-KEY-1…` files and passphrase-protected ones (an age file
//! encrypted with scrypt) both open bookings; a wrong passphrase and a damaged protected file
//! give the same error.

mod common;

use std::io::Write;
use std::iter;

use age::secrecy::SecretString;
use common::*;
use kuvert_core::open::{IdentityError, identities_from_bytes, open};
use kuvert_core::seal;

fn protect(plain: &str, passphrase: &str) -> Vec<u8> {
    let mut recipient = age::scrypt::Recipient::new(SecretString::from(passphrase.to_owned()));
    recipient.set_work_factor(10); // fast for tests; `kuvert keygen` tunes to about a second
    let encryptor =
        age::Encryptor::with_recipients(iter::once(&recipient as &dyn age::Recipient)).unwrap();
    let mut out = Vec::new();
    let mut w = encryptor.wrap_output(&mut out).unwrap();
    w.write_all(plain.as_bytes()).unwrap();
    w.finish().unwrap();
    out
}

fn pass(s: &str) -> impl FnOnce() -> Option<SecretString> + '_ {
    move || Some(SecretString::from(s.to_owned()))
}

#[test]
fn plain_and_protected_key_files_both_open_bookings() {
    let mut rng = rng(21);
    let old = Keys::new(&mut rng);
    let new = Keys::new(&mut rng);
    let booking = random_booking(&mut rng, &salon());
    let code = cancel_code(&mut rng);
    let envelope = seal(
        &mut rng,
        std::slice::from_ref(&old.recipient),
        &booking,
        &code,
    )
    .unwrap();

    let plain = format!("# created: test\n{}\n", old.identity_string);
    let ids = identities_from_bytes(plain.as_bytes(), || {
        panic!("a plain file needs no passphrase")
    })
    .unwrap();
    assert_eq!(open(&envelope, &ids).unwrap(), booking);

    // A protected file holding two keys (e.g. after rotation) opens with the right passphrase.
    let both = format!("{}\n{}\n", new.identity_string, old.identity_string);
    let protected = protect(&both, "correct horse battery staple");
    let ids = identities_from_bytes(&protected, pass("correct horse battery staple")).unwrap();
    assert_eq!(ids.len(), 2);
    assert_eq!(open(&envelope, &ids).unwrap(), booking);
}

#[test]
fn wrong_passphrase_and_damaged_file_are_indistinguishable() {
    let mut rng = rng(22);
    let keys = Keys::new(&mut rng);
    let protected = protect(&keys.identity_string, "correct horse battery staple");
    let wrong = identities_from_bytes(&protected, pass("Tr0ub4dor&3"))
        .err()
        .expect("wrong passphrase accepted");
    let mut damaged = protected.clone();
    let last = damaged.len() - 5;
    damaged[last] ^= 0x40;
    let broken = identities_from_bytes(&damaged, pass("correct horse battery staple"))
        .err()
        .expect("damaged file accepted");
    assert!(matches!(wrong, IdentityError::CannotUnlock));
    assert!(matches!(broken, IdentityError::CannotUnlock));
    assert_eq!(wrong.to_string(), broken.to_string());
    assert!(!wrong.to_string().contains("Tr0ub4dor"));
}

#[test]
fn protected_file_without_a_passphrase_and_non_key_files_are_refused() {
    let mut rng = rng(23);
    let keys = Keys::new(&mut rng);
    let protected = protect(&keys.identity_string, "correct horse battery staple");
    assert!(matches!(
        identities_from_bytes(&protected, || None),
        Err(IdentityError::PassphraseRequired)
    ));
    assert!(matches!(
        identities_from_bytes(b"hello, I am not a key\n", || None),
        Err(IdentityError::NotAnIdentityFile)
    ));
    assert!(matches!(
        identities_from_bytes(b"# only a comment\n", || None),
        Err(IdentityError::NoIdentities)
    ));
    // A public key pasted where a secret key belongs.
    let public = format!("{}\n", keys.recipient);
    assert!(identities_from_bytes(public.as_bytes(), || None).is_err());
}
