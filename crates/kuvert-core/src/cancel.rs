//! The customer's cancellation code: shown once in the browser, never sent in the clear.
//!
//! The envelope carries only SHA-256 of the code's canonical form; to cancel, the customer
//! sends the code and the inbox compares hashes. 16 Crockford base32 characters = 80 bits,
//! enough against guessing when the inbox also rate-limits wrong codes.

#[allow(unused_imports)]
use crate::prelude::*;
use core::fmt;

use rand_core::TryCryptoRng;
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// Crockford's base32 alphabet (no I, L, O, U).
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Characters in a code, without dashes.
pub const CODE_LEN: usize = 16;

/// A cancellation code. No `Debug`: it is a secret; zeroized on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct CancelCode(String);

/// Why a typed code was not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CancelCodeError {
    /// Wrong length or characters outside the code alphabet.
    #[error("a cancellation code has 16 letters and digits, like ABCD-EFGH-JKMN-PQRS")]
    Malformed,
    /// The random number generator failed.
    #[error("no secure random numbers are available on this device")]
    Rng,
}

impl CancelCode {
    /// Draws a fresh code from `rng`.
    pub fn generate<R: TryCryptoRng + ?Sized>(rng: &mut R) -> Result<Self, CancelCodeError> {
        let mut raw = Zeroizing::new([0u8; CODE_LEN]);
        rng.try_fill_bytes(&mut raw[..])
            .map_err(|_| CancelCodeError::Rng)?;
        // 256 is a multiple of 32, so `b % 32` is uniform.
        let code = raw
            .iter()
            .map(|b| ALPHABET[usize::from(b % 32)] as char)
            .collect();
        Ok(Self(code))
    }

    /// Reads a code as a person typed it: case, dashes and spaces don't matter, and the
    /// look-alikes O→0, I/L→1 are mapped as Crockford base32 specifies.
    pub fn parse(typed: &str) -> Result<Self, CancelCodeError> {
        let mut code = String::with_capacity(CODE_LEN);
        for c in typed.chars() {
            let c = match c.to_ascii_uppercase() {
                '-' | ' ' => continue,
                'O' => '0',
                'I' | 'L' => '1',
                c => c,
            };
            if !c.is_ascii() || !ALPHABET.contains(&(c as u8)) || code.len() == CODE_LEN {
                code.zeroize();
                return Err(CancelCodeError::Malformed);
            }
            code.push(c);
        }
        if code.len() != CODE_LEN {
            code.zeroize();
            return Err(CancelCodeError::Malformed);
        }
        Ok(Self(code))
    }

    /// The code grouped for people: `ABCD-EFGH-JKMN-PQRS`. Show it once; never log it.
    pub fn display_grouped(&self) -> String {
        let mut out = String::with_capacity(self.0.len() + self.0.len() / 4);
        for (i, c) in self.0.chars().enumerate() {
            if i > 0 && i % 4 == 0 {
                out.push('-');
            }
            out.push(c);
        }
        out
    }

    /// Lowercase hex SHA-256 of the canonical code: the envelope's `cancel` value.
    pub fn hash_hex(&self) -> String {
        crate::hex(&Sha256::digest(self.0.as_bytes()))
    }
}

impl fmt::Debug for CancelCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CancelCode(…)")
    }
}

/// Whether `s` is a lowercase hex SHA-256 (64 characters), as the envelope's `cancel` must be.
pub fn is_cancel_hash(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::SeedableRng;

    #[test]
    fn typed_codes_are_forgiving_and_hash_the_same() {
        let code = CancelCode::generate(&mut rand_chacha::ChaCha20Rng::seed_from_u64(1)).unwrap();
        let grouped = code.display_grouped();
        assert_eq!(grouped.len(), 19);
        let typed = grouped.to_lowercase().replace('-', " ");
        assert_eq!(
            CancelCode::parse(&typed).unwrap().hash_hex(),
            code.hash_hex()
        );
        assert!(is_cancel_hash(&code.hash_hex()));
    }

    #[test]
    fn look_alikes_map_to_digits() {
        let a = CancelCode::parse("OOOO-IIII-LLLL-0000").unwrap();
        let b = CancelCode::parse("0000-1111-1111-0000").unwrap();
        assert_eq!(a.hash_hex(), b.hash_hex());
    }

    #[test]
    fn malformed_codes_are_refused() {
        for s in [
            "",
            "ABCD",
            "ABCD-EFGH-JKMN-PQRSX",
            "ABCD-EFGH-JKMN-PQRU",
            "ÄBCD-EFGH-JKMN-PQRS",
        ] {
            assert_eq!(
                CancelCode::parse(s).unwrap_err(),
                CancelCodeError::Malformed,
                "{s}"
            );
        }
    }

    #[test]
    fn debug_does_not_show_the_code() {
        let code = CancelCode::parse("ABCD-EFGH-JKMN-PQRS").unwrap();
        assert!(!format!("{code:?}").contains("ABCD"));
    }
}
