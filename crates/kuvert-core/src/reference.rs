//! Booking references: the one parser every part uses (the inbox, the widget, the key tool).
//!
//! A reference is what the inbox hands the customer: three groups of four characters from
//! Crockford's base32 alphabet, `XXXX-XXXX-XXXX`. References travel through hostile hands (an
//! export file, a tampered inbox, a customer's typing), and they end up in file names, URLs
//! and `.ics` files, so nothing else is accepted anywhere.

#[allow(unused_imports)]
use crate::prelude::*;

/// The characters of a reference: digits and upper-case letters without I, L, O and U
/// (Crockford's base32), 32 of them, so each is 5 bits.
pub const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The length of a reference, dashes included.
pub const LEN: usize = 14;

/// A booking reference of the inbox's shape (`XXXX-XXXX-XXXX`, [`ALPHABET`]).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Reference(String);

impl Reference {
    /// Parses a reference exactly as the inbox writes it (no trimming, no case folding).
    pub fn parse(s: &str) -> Option<Reference> {
        is_reference(s).then(|| Reference(s.to_owned()))
    }

    /// A new random reference: 60 bits from `rng`.
    pub fn generate<R: rand_core::TryCryptoRng + ?Sized>(
        rng: &mut R,
    ) -> Result<Reference, R::Error> {
        let mut raw = [0u8; 12];
        rng.try_fill_bytes(&mut raw)?;
        let mut s = String::with_capacity(LEN);
        for (i, b) in raw.iter().enumerate() {
            if i > 0 && i % 4 == 0 {
                s.push('-');
            }
            // 256 is a multiple of 32, so every character is equally likely.
            s.push(char::from(ALPHABET[usize::from(b % 32)]));
        }
        Ok(Reference(s))
    }

    /// The reference as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl core::fmt::Display for Reference {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.0)
    }
}

impl core::fmt::Debug for Reference {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // A reference is not a secret (it is useless without the cancellation code).
        f.debug_tuple("Reference").field(&self.0).finish()
    }
}

impl serde::Serialize for Reference {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Reference {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Reference::parse(&s).ok_or_else(|| {
            serde::de::Error::custom("not a booking reference of the form XXXX-XXXX-XXXX")
        })
    }
}

/// Whether `s` is a reference of the inbox's shape: `XXXX-XXXX-XXXX` over [`ALPHABET`].
pub fn is_reference(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == LEN
        && b.iter().enumerate().all(|(i, c)| {
            if i % 5 == 4 {
                *c == b'-'
            } else {
                ALPHABET.contains(c)
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_inbox_shape_only() {
        assert!(is_reference("7K3M-Q9TX-2B4R"));
        for bad in [
            "",
            "../escaped",
            "7K3M-Q9TX-2B4",
            "7K3M-Q9TX-2B4RR",
            "7k3m-q9tx-2b4r",
            "7K3M_Q9TX_2B4R",
            "7K3M-Q9TX-2B4I", // I is not in the alphabet
            "7K3M-Q9TX-2B/R",
            "7K3M-Q9TX-2B4\u{1b}",
            " 7K3M-Q9TX-2B4",
        ] {
            assert!(!is_reference(bad), "{bad:?}");
        }
    }

    #[test]
    fn generated_references_parse() {
        let mut rng = getrandom::SysRng;
        for _ in 0..100 {
            let r = Reference::generate(&mut rng).unwrap();
            assert_eq!(Reference::parse(r.as_str()), Some(r));
        }
    }
}
