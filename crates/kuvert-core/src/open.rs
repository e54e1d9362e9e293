//! Opening envelopes on the staff side, with the `age` crate. Never compiled into the widget.

use std::boxed::Box;
use std::io::Read;
use std::vec::Vec;

use age::secrecy::SecretString;
use zeroize::Zeroizing;

use crate::age::{TAG_SIZE, parse};
use crate::envelope::{Booking, ENVELOPE_VERSION, Envelope, Error, MAX_PLAINTEXT, PAD_BLOCK};

/// A decryption key for bookings (an age identity), as loaded by [`identities_from_bytes`].
pub type Identity = Box<dyn age::Identity + Send + Sync>;

/// Most stronger-than-default scrypt work factor (log2 N) accepted when unlocking a key file.
/// age's own default is 18; `kuvert keygen` tunes to about a second, which stays well below.
pub const MAX_SCRYPT_WORK_FACTOR: u8 = 24;

/// Why an identity file could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityError {
    /// Neither an age identity file nor a passphrase-protected one.
    #[error(
        "this is not an age identity file (expected AGE-SECRET-KEY-1… or a passphrase-protected key)"
    )]
    NotAnIdentityFile,
    /// An identity file without any key in it.
    #[error("the identity file holds no key")]
    NoIdentities,
    /// The file is passphrase-protected and no passphrase was given.
    #[error("the key file is passphrase-protected; a passphrase is needed")]
    PassphraseRequired,
    /// Wrong passphrase, or a corrupted protected file: deliberately indistinguishable.
    #[error("could not unlock the key file: wrong passphrase, or the file is damaged")]
    CannotUnlock,
}

/// Loads the identities in a key file: plain (`AGE-SECRET-KEY-1…` lines) or passphrase-protected
/// (an age file encrypted with scrypt, binary or ASCII-armored). `passphrase` is asked only for
/// a protected file.
pub fn identities_from_bytes(
    data: &[u8],
    passphrase: impl FnOnce() -> Option<SecretString>,
) -> Result<Vec<Identity>, IdentityError> {
    Ok(x25519_identities_from_bytes(data, passphrase)?
        .into_iter()
        .map(|i| Box::new(i) as Identity)
        .collect())
}

/// Whether `data` is a passphrase-protected (age-encrypted) key file rather than a plain one.
pub fn is_protected(data: &[u8]) -> bool {
    data.starts_with(b"age-encryption.org/")
        || data.starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----")
}

/// Like [`identities_from_bytes`], keeping the concrete X25519 identities (to derive public keys).
pub fn x25519_identities_from_bytes(
    data: &[u8],
    passphrase: impl FnOnce() -> Option<SecretString>,
) -> Result<Vec<age::x25519::Identity>, IdentityError> {
    if is_protected(data) {
        let decryptor = age::Decryptor::new(age::armor::ArmoredReader::new(data))
            .map_err(|_| IdentityError::CannotUnlock)?;
        if !decryptor.is_scrypt() {
            return Err(IdentityError::NotAnIdentityFile);
        }
        let mut scrypt =
            age::scrypt::Identity::new(passphrase().ok_or(IdentityError::PassphraseRequired)?);
        scrypt.set_max_work_factor(MAX_SCRYPT_WORK_FACTOR);
        let mut reader = decryptor
            .decrypt(std::iter::once(&scrypt as &dyn age::Identity))
            .map_err(|_| IdentityError::CannotUnlock)?;
        let mut plain = Zeroizing::new(Vec::with_capacity(4096));
        reader
            .read_to_end(&mut plain)
            .map_err(|_| IdentityError::CannotUnlock)?;
        let ids = parse_plain(&plain).map_err(|_| IdentityError::CannotUnlock)?;
        if ids.is_empty() {
            return Err(IdentityError::CannotUnlock);
        }
        Ok(ids)
    } else {
        let ids = parse_plain(data)?;
        if ids.is_empty() {
            return Err(IdentityError::NoIdentities);
        }
        Ok(ids)
    }
}

/// Reads `AGE-SECRET-KEY-1…` lines; blank lines and `#` comments are skipped.
fn parse_plain(data: &[u8]) -> Result<Vec<age::x25519::Identity>, IdentityError> {
    let text = core::str::from_utf8(data).map_err(|_| IdentityError::NotAnIdentityFile)?;
    let mut ids = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let id = line
            .parse::<age::x25519::Identity>()
            .map_err(|_| IdentityError::NotAnIdentityFile)?;
        ids.push(id);
    }
    Ok(ids)
}

/// Why an age file could not be decrypted (see [`decrypt_file`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FileFailure {
    /// None of the identities opens a stanza.
    NoMatch,
    /// A stanza opened, but the header's MAC does not verify.
    HeaderMac,
    /// The header is not a valid age v1 header.
    Header,
    /// The payload does not decrypt: altered, truncated, or trailing data.
    Payload,
    /// The plaintext is longer than allowed.
    TooLarge,
}

/// Decrypts a whole age v1 file with any of `identities`: Kuvert's strict header check
/// ([`crate::age::parse_header`]), then the `age` crate, reading at most `max` bytes of
/// plaintext. The plaintext is zeroized when dropped. [`open`] uses it with
/// [`MAX_PLAINTEXT`]; the test kit (`kuvert-age/tests/testkit.rs`) checks it against the C2SP
/// vectors.
pub fn decrypt_file(
    file: &[u8],
    identities: &[Identity],
    max: usize,
) -> Result<Zeroizing<Vec<u8>>, FileFailure> {
    // Kuvert's own strict header check first: the `age` crate 0.12 accepts some headers the
    // spec refuses (C2SP test kit: stanza_missing_body, stanza_missing_final_line).
    // A file with no X25519 stanza has nothing any key here could open.
    crate::age::parse_header(file).map_err(|e| match e {
        crate::age::HeaderError::NoRecipients => FileFailure::NoMatch,
        _ => FileFailure::Header,
    })?;
    decrypt_checked(file, identities, max)
}

/// [`decrypt_file`] for a file whose header was already checked.
fn decrypt_checked(
    file: &[u8],
    identities: &[Identity],
    max: usize,
) -> Result<Zeroizing<Vec<u8>>, FileFailure> {
    let decryptor = age::Decryptor::new_buffered(file).map_err(|_| FileFailure::Header)?;
    let mut reader = decryptor
        .decrypt(identities.iter().map(|i| i.as_ref() as &dyn age::Identity))
        .map_err(|e| match e {
            age::DecryptError::InvalidMac => FileFailure::HeaderMac,
            age::DecryptError::NoMatchingKeys | age::DecryptError::KeyDecryptionFailed => {
                FileFailure::NoMatch
            }
            _ => FileFailure::Header,
        })?;
    let mut plaintext = Zeroizing::new(Vec::with_capacity(file.len().min(max + 1)));
    (&mut reader)
        .take(max as u64 + 1)
        .read_to_end(&mut plaintext)
        .map_err(|_| FileFailure::Payload)?;
    if plaintext.len() > max {
        return Err(FileFailure::TooLarge);
    }
    Ok(plaintext)
}

/// Decrypts a sealed part whose header [`Envelope::validate`] checked.
fn decrypt(file: &[u8], identities: &[Identity]) -> Result<Zeroizing<Vec<u8>>, FileFailure> {
    decrypt_checked(file, identities, MAX_PLAINTEXT)
}

/// Opens an envelope with any of `identities` and checks it against its outside.
///
/// Returns the booking only if it decrypts, authenticates, parses, its sealed form id and
/// public facts equal the envelope's, and its contents pass [`Booking::recheck`] without the
/// schema (callers that hold the form's schema check again with it). Each failure has its own
/// [`Error`] variant.
pub fn open(envelope: &Envelope, identities: &[Identity]) -> Result<Booking, Error> {
    // `validate` has parsed the header (once: each parse checks every share).
    envelope.validate()?;
    let file = envelope.sealed_bytes()?;
    let plaintext = match decrypt(&file, identities) {
        Ok(p) => p,
        Err(FileFailure::NoMatch) => return Err(Error::NoMatchingIdentity),
        Err(FileFailure::HeaderMac) => return Err(Error::HeaderMac),
        Err(FileFailure::Header) => {
            return Err(Error::MalformedAge(crate::age::HeaderError::Malformed));
        }
        Err(FileFailure::Payload | FileFailure::TooLarge) => {
            let payload_len = parse(&file).map_err(Error::MalformedAge)?.payload.len();
            return Err(classify_payload_failure(&file, payload_len, identities));
        }
    };
    let booking: Booking =
        serde_json::from_slice(&plaintext).map_err(|_| Error::MalformedPlaintext)?;
    if booking.kuvert != ENVELOPE_VERSION {
        return Err(Error::UnsupportedVersion);
    }
    if booking.form != envelope.form {
        return Err(Error::FormMismatch);
    }
    if booking.public != envelope.public {
        return Err(Error::PublicMismatch);
    }
    // Every decrypted field is hostile input: anyone can seal to a public key.
    booking.recheck(None)?;
    Ok(booking)
}

/// The payload did not authenticate. Sealed plaintext is a whole number of [`PAD_BLOCK`]s, so:
/// if a shorter, block-aligned prefix authenticates as the final chunk, the rest is trailing
/// data; otherwise a length that is not block-aligned means the payload was cut; otherwise its
/// bytes were altered.
fn classify_payload_failure(file: &[u8], payload_len: usize, identities: &[Identity]) -> Error {
    let header_len = file.len() - payload_len;
    let body = payload_len.saturating_sub(TAG_SIZE);
    let mut candidate = if body.is_multiple_of(PAD_BLOCK) {
        body.saturating_sub(PAD_BLOCK)
    } else {
        body - body % PAD_BLOCK
    };
    while candidate >= PAD_BLOCK {
        if decrypt(&file[..header_len + candidate + TAG_SIZE], identities).is_ok() {
            return Error::TrailingData;
        }
        candidate -= PAD_BLOCK;
    }
    if body.is_multiple_of(PAD_BLOCK) {
        Error::PayloadAuth
    } else {
        Error::Truncated
    }
}
