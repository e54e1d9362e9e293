//! The age v1 file format for X25519 recipients, with no I/O: a writer, `age1…` recipient
//! parsing, and a strict, key-less structural parser.
//!
//! Specification: C2SP `age.md` (age-encryption.org/v1). Section names below refer to it.
//! Written by hand from RustCrypto primitives because the `age` crate adds about 150 KB
//! (gzipped, after wasm-opt; `../shared/TOOLCHAIN.md`) to the widget's Wasm; opening stays with
//! the `age` crate on the staff side, and the interop tests check every file written here with
//! the `age` crate's own decryptor.
//! This is the `age-core` pattern of str4d/rage: the hand-written cryptography lives behind
//! this one small boundary, with its own vectors (the C2SP test kit in `tests/testkit/`) and
//! fuzz target (`fuzz/`, `age_header`), and the booking domain stays in `kuvert-core`.
//!
//! The parser needs no key: the inbox uses it to refuse anything that is not a well-formed
//! age v1 file with 1..=[`MAX_RECIPIENTS`] X25519 stanzas before storing it.
//!
//! `no_std` + `alloc`, for the widget's Wasm and native alike.

#![forbid(unsafe_code)]
#![no_std]

extern crate alloc;
#[cfg(test)]
extern crate std;

pub mod recipient;

pub use recipient::{Recipient, RecipientError};

/// What `std`'s prelude would bring, for the `no_std` modules.
mod prelude {
    pub use alloc::string::String;
    pub use alloc::vec::Vec;
}

#[allow(unused_imports)]
use crate::prelude::*;
use base64::{Engine, engine::general_purpose::STANDARD_NO_PAD};
use chacha20poly1305::{ChaCha20Poly1305, Key, KeyInit, Nonce, aead::Aead};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use rand_core::TryCryptoRng;
use sha2::Sha256;
use zeroize::Zeroizing;

/// The version line, "Header" section.
const VERSION_LINE: &[u8] = b"age-encryption.org/v1\n";
/// HKDF `info` for the X25519 wrap key, "The X25519 recipient type".
const X25519_INFO: &[u8] = b"age-encryption.org/v1/X25519";
/// Column width of stanza bodies and the header, "Header".
const COLUMNS: usize = 64;
/// Payload chunk size, "Payload": 64 KiB of plaintext per chunk.
pub const CHUNK_SIZE: usize = 64 * 1024;
/// Poly1305 tag size.
pub const TAG_SIZE: usize = 16;
/// Size of the payload nonce that precedes the first chunk.
pub const NONCE_SIZE: usize = 16;
/// Most recipients (business keys) one booking may be sealed to.
pub const MAX_RECIPIENTS: usize = 8;
/// Most stanzas of any type in one header: X25519 ones plus stanzas of unknown types, which
/// the spec says recipients ignore (the `age` crate adds one random "grease" stanza per file).
pub const MAX_STANZAS: usize = MAX_RECIPIENTS + 4;

/// Why sealing could not complete.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    /// No recipient was given: there would be nobody able to open the booking.
    #[error(
        "no public key to seal to; the snippet's data-recipients must list at least one age1… key"
    )]
    NoRecipients,
    /// More than [`MAX_RECIPIENTS`] recipients.
    #[error("too many public keys ({found}); at most {max} are supported")]
    TooManyRecipients {
        /// How many were given.
        found: usize,
        /// The limit.
        max: usize,
    },
    /// The random number generator failed (in a browser: no `crypto.getRandomValues`).
    #[error("no secure random numbers are available on this device")]
    Rng,
    /// The booking is larger than one sealed booking may be.
    #[error("the booking is too large to seal ({size} bytes; at most {max})")]
    TooLarge {
        /// Padded plaintext size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// The X25519 shared secret was all zeros: the public key is a low-order point.
    #[error("a public key is not usable (low-order point)")]
    LowOrderRecipient,
    /// The booking itself is invalid (version, form id or public facts).
    #[error("the booking is incomplete or invalid and was not sealed")]
    InvalidBooking,
}

/// One recipient stanza as found in a header ("Header" section).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stanza {
    /// The stanza type, e.g. `X25519`.
    pub tag: String,
    /// The arguments after the type.
    pub args: Vec<String>,
    /// The decoded body.
    pub body: Vec<u8>,
}

/// A structurally valid age v1 file, split into its parts.
#[derive(Clone, Debug)]
pub struct ParsedFile<'a> {
    /// The recipient stanzas, in order.
    pub stanzas: Vec<Stanza>,
    /// The header bytes covered by the MAC: everything up to and including `---`.
    pub mac_input: &'a [u8],
    /// The 32-byte header MAC.
    pub mac: [u8; 32],
    /// The 16-byte payload nonce.
    pub nonce: [u8; NONCE_SIZE],
    /// The encrypted payload after the nonce (chunks with their tags).
    pub payload: &'a [u8],
}

/// What is wrong with an age file's structure. No key is needed to detect any of these.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HeaderError {
    /// The file does not start with `age-encryption.org/v1`.
    #[error("not an age v1 file")]
    NotAgeV1,
    /// The header ends before its `---` MAC line, or the file ends before the payload nonce.
    #[error("the age header is truncated")]
    Truncated,
    /// A stanza or MAC line breaks the grammar (bad characters, non-canonical base64, long lines).
    #[error("the age header is malformed")]
    Malformed,
    /// A passphrase (scrypt) stanza: bookings are sealed to keys, never to a passphrase.
    #[error("the age file is passphrase-encrypted, not sealed to a key")]
    UnsupportedRecipient,
    /// No X25519 recipient stanza.
    #[error("the age header has no X25519 recipients")]
    NoRecipients,
    /// More than [`MAX_RECIPIENTS`] X25519 stanzas, or more than [`MAX_STANZAS`] in all.
    #[error("the age header has too many recipients")]
    TooManyRecipients,
    /// The payload after the nonce is shorter than one authentication tag.
    #[error("the age payload is empty or truncated")]
    EmptyPayload,
    /// An X25519 stanza's ephemeral share is a low-order point: no key can open it.
    #[error("an X25519 stanza's share is a low-order point")]
    LowOrderShare,
}

// The impossible failures below panic with a plain message, not `expect`: `expect` formats the
// error's `Debug`, which links `core::fmt`'s debug builders into the widget.
fn hkdf_sha256(ikm: &[u8], salt: &[u8], info: &[u8], okm: &mut [u8]) {
    Hkdf::<Sha256>::new(Some(salt), ikm)
        .expand(info, okm)
        .unwrap_or_else(|_| panic!("HKDF-SHA256 output of at most 32 bytes is always valid"));
}

fn fill<R: TryCryptoRng + ?Sized>(rng: &mut R, buf: &mut [u8]) -> Result<(), SealError> {
    rng.try_fill_bytes(buf).map_err(|_| SealError::Rng)
}

/// Encrypts `plaintext` to `recipients` as a binary age v1 file.
///
/// All randomness (file key, one ephemeral secret per recipient, payload nonce) comes from
/// `rng`, so tests can be deterministic. Every secret is zeroized when dropped.
pub fn encrypt<R: TryCryptoRng + ?Sized>(
    rng: &mut R,
    recipients: &[Recipient],
    plaintext: &[u8],
) -> Result<Vec<u8>, SealError> {
    if recipients.is_empty() {
        return Err(SealError::NoRecipients);
    }
    if recipients.len() > MAX_RECIPIENTS {
        return Err(SealError::TooManyRecipients {
            found: recipients.len(),
            max: MAX_RECIPIENTS,
        });
    }
    // "File key": 16 random bytes.
    let mut file_key = Zeroizing::new([0u8; 16]);
    fill(rng, &mut file_key[..])?;

    let mut out = Vec::with_capacity(
        VERSION_LINE.len() + recipients.len() * 120 + 64 + NONCE_SIZE + plaintext.len() + 32,
    );
    out.extend_from_slice(VERSION_LINE);
    for recipient in recipients {
        // "The X25519 recipient type": ephemeral secret, share, wrap key over salt = share || R.
        let mut ephemeral = Zeroizing::new([0u8; 32]);
        fill(rng, &mut ephemeral[..])?;
        let share = x25519_dalek::x25519(*ephemeral, x25519_dalek::X25519_BASEPOINT_BYTES);
        let shared = Zeroizing::new(x25519_dalek::x25519(*ephemeral, *recipient.as_bytes()));
        if *shared == [0u8; 32] {
            return Err(SealError::LowOrderRecipient);
        }
        let mut salt = [0u8; 64];
        salt[..32].copy_from_slice(&share);
        salt[32..].copy_from_slice(recipient.as_bytes());
        let mut wrap_key = Zeroizing::new([0u8; 32]);
        hkdf_sha256(&shared[..], &salt, X25519_INFO, &mut wrap_key[..]);
        let body = ChaCha20Poly1305::new(&Key::from(*wrap_key))
            .encrypt(&Nonce::from([0u8; 12]), &file_key[..])
            .unwrap_or_else(|_| panic!("ChaCha20-Poly1305 encryption of 16 bytes cannot fail"));

        out.extend_from_slice(b"-> X25519 ");
        out.extend_from_slice(base64(&share, false).as_bytes());
        out.push(b'\n');
        write_body(&mut out, &body);
    }
    // "Header MAC": HMAC-SHA-256 keyed with HKDF(file key, "", "header") over the header up to
    // and including "---".
    out.extend_from_slice(b"---");
    let mut mac_key = Zeroizing::new([0u8; 32]);
    hkdf_sha256(&file_key[..], &[], b"header", &mut mac_key[..]);
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&mac_key[..])
        .unwrap_or_else(|_| panic!("HMAC accepts any key length"));
    mac.update(&out);
    out.push(b' ');
    out.extend_from_slice(base64(&mac.finalize().into_bytes(), false).as_bytes());
    out.push(b'\n');

    // "Payload": nonce, then STREAM over 64 KiB chunks keyed with HKDF(file key, nonce, "payload").
    let mut nonce = [0u8; NONCE_SIZE];
    fill(rng, &mut nonce)?;
    out.extend_from_slice(&nonce);
    let mut payload_key = Zeroizing::new([0u8; 32]);
    hkdf_sha256(&file_key[..], &nonce, b"payload", &mut payload_key[..]);
    let aead = ChaCha20Poly1305::new(&Key::from(*payload_key));
    let chunk_count = plaintext.len().div_ceil(CHUNK_SIZE).max(1);
    for index in 0..chunk_count {
        let chunk = &plaintext[index * CHUNK_SIZE..((index + 1) * CHUNK_SIZE).min(plaintext.len())];
        let last = index + 1 == chunk_count;
        let ciphertext = aead
            .encrypt(&stream_nonce(index as u64, last), chunk)
            .unwrap_or_else(|_| panic!("a 64 KiB chunk is within ChaCha20-Poly1305's limits"));
        out.extend_from_slice(&ciphertext);
    }
    Ok(out)
}

/// STREAM nonce: 11-byte big-endian chunk counter, then 0x01 for the last chunk, else 0x00.
fn stream_nonce(counter: u64, last: bool) -> Nonce {
    let mut n = [0u8; 12];
    n[3..11].copy_from_slice(&counter.to_be_bytes());
    n[11] = u8::from(last);
    Nonce::from(n)
}

/// Writes a stanza body: base64 without padding, wrapped at 64 columns, the last line always
/// shorter than 64 (possibly empty).
fn write_body(out: &mut Vec<u8>, body: &[u8]) {
    let encoded = base64(body, false);
    let bytes = encoded.as_bytes();
    let mut start = 0;
    loop {
        let end = (start + COLUMNS).min(bytes.len());
        out.extend_from_slice(&bytes[start..end]);
        out.push(b'\n');
        if end - start < COLUMNS {
            break;
        }
        start = end;
    }
}

/// Splits off one `\n`-terminated line.
fn line(input: &[u8]) -> Result<(&[u8], &[u8]), HeaderError> {
    let pos = input
        .iter()
        .position(|&b| b == b'\n')
        .ok_or(HeaderError::Truncated)?;
    Ok((&input[..pos], &input[pos + 1..]))
}

fn is_arbitrary_string(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|b| (0x21..=0x7e).contains(b))
}

fn decode_canonical(s: &[u8]) -> Result<Vec<u8>, HeaderError> {
    // The default engine refuses non-zero trailing bits, so each value has one spelling.
    STANDARD_NO_PAD
        .decode(s)
        .map_err(|_| HeaderError::Malformed)
}

/// Parses an age v1 file's structure without any key.
///
/// Accepts the files this module writes and the `age` crate writes for X25519 recipients:
/// 1..=[`MAX_RECIPIENTS`] X25519 stanzas of the right shape, possibly beside stanzas of
/// unknown types (ignored, as the spec requires), canonical base64, 64-column bodies.
pub fn parse(file: &[u8]) -> Result<ParsedFile<'_>, HeaderError> {
    let (stanzas, mac_input, mac, rest) = header(file)?;
    let (nonce, payload) = rest.split_at(NONCE_SIZE);
    if payload.len() < TAG_SIZE {
        return Err(HeaderError::EmptyPayload);
    }
    Ok(ParsedFile {
        stanzas,
        mac_input,
        mac,
        nonce: nonce.try_into().expect("split at NONCE_SIZE"),
        payload,
    })
}

/// The encodings of the Curve25519 points of small order, as X25519 reads them (bit 255 is
/// ignored, see [`is_low_order`]): 0, 1, the two points of order 8, p − 1, and the non-canonical
/// p and p + 1. The list libsodium's `has_small_order` checks; the tests prove each entry with
/// a scalar multiplication (it gives zero).
const LOW_ORDER: [[u8; 32]; 7] = {
    let mut t = [[0u8; 32]; 7];
    t[1][0] = 1;
    t[2] = [
        0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4,
        0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49,
        0xb8, 0x00,
    ];
    t[3] = [
        0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1, 0x55, 0x9c, 0x83, 0xef,
        0x5b, 0x04, 0x44, 0x5c, 0xc4, 0x58, 0x1c, 0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd, 0xd0, 0x9f,
        0x11, 0x57,
    ];
    let mut i = 4;
    while i < 7 {
        let mut b = 1;
        while b < 31 {
            t[i][b] = 0xff;
            b += 1;
        }
        t[i][0] = 0xec + (i as u8 - 4); // p − 1, p, p + 1
        t[i][31] = 0x7f;
        i += 1;
    }
    t
};

/// Whether an X25519 share is a point of small order, for which every shared secret is zero.
/// A table look-up (the share is public, so no constant-time need), where a scalar
/// multiplication would double the cost of opening a booking.
fn is_low_order(share: &[u8; 32]) -> bool {
    LOW_ORDER
        .iter()
        .any(|p| p[..31] == share[..31] && p[31] == share[31] & 0x7f)
}

/// Checks the header (version line, stanzas, MAC line) and the payload nonce after it, as
/// [`parse`] does, and returns the stanzas; the payload is not looked at. [`parse`] also
/// requires a payload of at least one tag, which no key is needed to see is missing.
pub fn parse_header(file: &[u8]) -> Result<Vec<Stanza>, HeaderError> {
    header(file).map(|(stanzas, ..)| stanzas)
}

/// The header's stanzas, MAC input, MAC, and the bytes after it.
type Header<'a> = (Vec<Stanza>, &'a [u8], [u8; 32], &'a [u8]);

fn header(file: &[u8]) -> Result<Header<'_>, HeaderError> {
    let rest = file
        .strip_prefix(VERSION_LINE)
        .ok_or(if VERSION_LINE.starts_with(file) {
            HeaderError::Truncated
        } else {
            HeaderError::NotAgeV1
        })?;
    let mut rest = rest;
    let mut stanzas = Vec::new();
    let mac_line;
    loop {
        let (l, after) = line(rest)?;
        if let Some(args) = l.strip_prefix(b"-> ") {
            let mut parts = args.split(|&b| b == b' ');
            let tag = parts.next().unwrap_or_default();
            let args: Vec<&[u8]> = parts.collect();
            if !is_arbitrary_string(tag) || !args.iter().all(|a| is_arbitrary_string(a)) {
                return Err(HeaderError::Malformed);
            }
            let mut body = Vec::new();
            let mut cursor = after;
            loop {
                let (b, next) = line(cursor)?;
                if b.len() > COLUMNS {
                    return Err(HeaderError::Malformed);
                }
                body.extend_from_slice(b);
                cursor = next;
                if b.len() < COLUMNS {
                    break;
                }
            }
            rest = cursor;
            stanzas.push(Stanza {
                tag: String::from_utf8_lossy(tag).into_owned(),
                args: args
                    .iter()
                    .map(|a| String::from_utf8_lossy(a).into_owned())
                    .collect(),
                body: decode_canonical(&body)?,
            });
            if stanzas.len() > MAX_STANZAS {
                return Err(HeaderError::TooManyRecipients);
            }
        } else if l.starts_with(b"---") {
            mac_line = l;
            rest = after;
            break;
        } else {
            return Err(HeaderError::Malformed);
        }
    }
    let mac_b64 = mac_line
        .strip_prefix(b"--- ")
        .ok_or(HeaderError::Malformed)?;
    let mac: [u8; 32] = decode_canonical(mac_b64)?
        .try_into()
        .map_err(|_| HeaderError::Malformed)?;
    let mut x25519 = 0;
    for s in &stanzas {
        match s.tag.as_str() {
            "X25519" => {
                let share: Option<[u8; 32]> = match &s.args[..] {
                    [arg] => STANDARD_NO_PAD
                        .decode(arg)
                        .ok()
                        .and_then(|v| v.try_into().ok()),
                    _ => None,
                };
                let Some(share) = share else {
                    return Err(HeaderError::Malformed);
                };
                if s.body.len() != 32 {
                    return Err(HeaderError::Malformed);
                }
                // "The X25519 recipient type": an all-zero shared secret must be refused. A
                // low-order share (the identity point included) gives one for every key, so
                // it is visible without a key (C2SP test kit: x25519_low_order, x25519_identity).
                if is_low_order(&share) {
                    return Err(HeaderError::LowOrderShare);
                }
                x25519 += 1;
            }
            "scrypt" => return Err(HeaderError::UnsupportedRecipient),
            _ => {}
        }
    }
    if x25519 == 0 {
        return Err(HeaderError::NoRecipients);
    }
    if x25519 > MAX_RECIPIENTS {
        return Err(HeaderError::TooManyRecipients);
    }
    let header_len = file.len() - rest.len();
    // The MAC covers everything up to and including "---" (not the space after it).
    let mac_input = &file[..header_len - mac_line.len() - 1 + 3];
    // The payload's nonce belongs to the header's checks (C2SP test kit: stream_no_nonce).
    if rest.len() < NONCE_SIZE {
        return Err(HeaderError::Truncated);
    }
    Ok((stanzas, mac_input, mac, rest))
}

/// Base64 with the standard alphabet (RFC 4648 §4), with `=` padding when `padded`.
///
/// By hand rather than base64ct's encoder, which was 443 B brotli of the frame (commit f0bdb89:
/// 55,597 -> 55,154 B): everything
/// Kuvert encodes is public or ciphertext (the age header's share, wrapped key and MAC, and the
/// sealed file), so a table lookup that is not constant-time is fine here. Tested against
/// base64ct for every length up to 100 and for all 256 byte values.
pub fn base64(bytes: &[u8], padded: bool) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let at = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let group = (at(0) << 16) | (at(1) << 8) | at(2);
        // n bytes make n + 1 characters; the rest of the group of four is padding.
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(group >> (18 - 6 * i)) as usize & 63]));
            } else if padded {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every entry of the table is a low-order point (a scalar multiplication gives zero),
    /// with the high bit set or not; and a real public key is not.
    #[test]
    fn the_low_order_table_is_what_the_probe_finds() {
        for p in LOW_ORDER {
            for high in [0u8, 0x80] {
                let mut q = p;
                q[31] |= high;
                assert!(is_low_order(&q));
                assert!(
                    Recipient::from_bytes(q).is_err(),
                    "{q:02x?} is not low order"
                );
                assert_eq!(x25519_dalek::x25519([0x42; 32], q), [0u8; 32]);
            }
        }
        let public = x25519_dalek::x25519([42u8; 32], x25519_dalek::X25519_BASEPOINT_BYTES);
        assert!(!is_low_order(&public));
    }
    use alloc::vec;

    #[test]
    fn base64_is_base64ct_for_every_length_padded_or_not() {
        use base64ct::{Base64, Base64Unpadded, Encoding};
        // Lengths 0 to 99 cover each remainder mod 3 many times over, the empty input too; the
        // bytes run through all 256 values.
        let bytes: Vec<u8> = (0..100u8)
            .map(|i| i.wrapping_mul(97).wrapping_add(13))
            .chain(0..=255)
            .collect();
        for n in (0..100).chain([bytes.len()]) {
            let b = &bytes[..n];
            assert_eq!(base64(b, true), Base64::encode_string(b), "length {n}");
            assert_eq!(
                base64(b, false),
                Base64Unpadded::encode_string(b),
                "length {n}"
            );
        }
    }

    struct Counter(u8);
    impl rand_core::TryRng for Counter {
        type Error = core::convert::Infallible;
        fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
            Ok(0)
        }
        fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
            Ok(0)
        }
        fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
            for b in dst {
                self.0 = self.0.wrapping_add(1);
                *b = self.0;
            }
            Ok(())
        }
    }
    impl rand_core::TryCryptoRng for Counter {}

    fn recipient() -> Recipient {
        let public = x25519_dalek::x25519([42u8; 32], x25519_dalek::X25519_BASEPOINT_BYTES);
        Recipient::from_bytes(public).unwrap()
    }

    #[test]
    fn written_files_parse_and_the_mac_input_ends_at_the_dashes() {
        let file = encrypt(&mut Counter(0), &[recipient(), recipient()], b"hello").unwrap();
        let parsed = parse(&file).unwrap();
        assert_eq!(parsed.stanzas.len(), 2);
        assert!(parsed.mac_input.ends_with(b"\n---"));
        assert_eq!(parsed.payload.len(), 5 + TAG_SIZE);
    }

    #[test]
    fn bodies_wrap_at_64_columns_with_a_short_last_line() {
        for len in [0, 1, 47, 48, 49, 96, 200] {
            let body: Vec<u8> = (0..len as u8).collect();
            let mut out = Vec::new();
            write_body(&mut out, &body);
            let lines: Vec<&[u8]> = out.split(|&b| b == b'\n').collect();
            let (last, full) = lines[..lines.len() - 1].split_last().unwrap();
            assert!(full.iter().all(|l| l.len() == COLUMNS), "len {len}");
            assert!(last.len() < COLUMNS, "len {len}");
        }
    }

    #[test]
    fn multi_chunk_payloads_have_one_tag_per_chunk() {
        let plaintext = vec![7u8; CHUNK_SIZE * 2 + 5];
        let file = encrypt(&mut Counter(0), &[recipient()], &plaintext).unwrap();
        let parsed = parse(&file).unwrap();
        assert_eq!(parsed.payload.len(), plaintext.len() + 3 * TAG_SIZE);
    }

    #[test]
    fn recipient_count_is_bounded() {
        let many = vec![recipient(); MAX_RECIPIENTS + 1];
        assert!(matches!(
            encrypt(&mut Counter(0), &many, b"x"),
            Err(SealError::TooManyRecipients { .. })
        ));
        assert!(matches!(
            encrypt(&mut Counter(0), &[], b"x"),
            Err(SealError::NoRecipients)
        ));
    }

    #[test]
    fn parser_names_what_is_wrong() {
        let file = encrypt(&mut Counter(0), &[recipient()], b"hello").unwrap();
        assert_eq!(
            parse(b"age-encryption.org/v2\n").unwrap_err(),
            HeaderError::NotAgeV1
        );
        assert_eq!(parse(&file[..10]).unwrap_err(), HeaderError::Truncated);
        assert_eq!(parse(&file[..40]).unwrap_err(), HeaderError::Truncated);
        let scrypt = b"age-encryption.org/v1\n-> scrypt AAAAAAAAAAAAAAAAAAAAAA 18\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n--- AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n0123456789abcdef0123456789abcdef";
        assert_eq!(
            parse(scrypt).unwrap_err(),
            HeaderError::UnsupportedRecipient
        );
        let none = b"age-encryption.org/v1\n--- AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n0123456789abcdef0123456789abcdef";
        assert_eq!(parse(none).unwrap_err(), HeaderError::NoRecipients);
        let header_len = file.len() - NONCE_SIZE - 5 - TAG_SIZE;
        assert_eq!(
            parse(&file[..header_len + NONCE_SIZE + 3]).unwrap_err(),
            HeaderError::EmptyPayload
        );
    }
}
