//! age X25519 recipients (`age1…`), as pinned in the business's snippet.
//!
//! Encoding per the age v1 spec (C2SP `age.md`, "The X25519 recipient type"): Bech32 (BIP 173,
//! not Bech32m) with human-readable part `age` over the 32-byte Curve25519 public key.

#[allow(unused_imports)]
use crate::prelude::*;
use core::{fmt, str::FromStr};

use bech32::{Bech32, Hrp, primitives::decode::CheckedHrpstring};

const HRP: &str = "age";

/// A business's public key: where a booking is sealed to.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Recipient([u8; 32]);

/// Why a recipient string was refused. Messages are meant for the business owner who pasted it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecipientError {
    /// Not Bech32, or the checksum does not match: usually a typo or a truncated paste.
    #[error(
        "not a valid age public key (the checksum does not match); copy it again from `kuvert pubkey`"
    )]
    Checksum,
    /// Valid Bech32 but not an `age1…` key (e.g. an `AGE-SECRET-KEY-1…`, which must never be pasted).
    #[error("expected a public key starting with `age1`; never paste a secret key into a web page")]
    WrongKind,
    /// `age1…` but not 32 bytes long.
    #[error("this `age1…` key has the wrong length; copy it again from `kuvert pubkey`")]
    WrongLength,
    /// A public key that would make every shared secret zero (a low-order point).
    #[error(
        "this public key is not usable (low-order point); generate a new key with `kuvert keygen`"
    )]
    LowOrder,
}

impl Recipient {
    /// The raw Curve25519 public key.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Builds a recipient from raw public-key bytes, refusing low-order points.
    pub fn from_bytes(bytes: [u8; 32]) -> Result<Self, RecipientError> {
        // A low-order point gives an all-zero shared secret for every ephemeral key; probing
        // with one fixed scalar is enough to detect all eight of them.
        let probe = x25519_dalek::x25519([9u8; 32], bytes);
        if probe == [0u8; 32] {
            return Err(RecipientError::LowOrder);
        }
        Ok(Self(bytes))
    }

    /// Parses a comma- or whitespace-separated list, as found in `data-recipients`.
    pub fn parse_list(s: &str) -> Result<Vec<Self>, RecipientError> {
        s.split(|c: char| c == ',' || c.is_whitespace())
            .filter(|p| !p.is_empty())
            .map(str::parse)
            .collect()
    }
}

impl FromStr for Recipient {
    type Err = RecipientError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.len() >= 15 && s[..15].eq_ignore_ascii_case("AGE-SECRET-KEY-") {
            return Err(RecipientError::WrongKind);
        }
        let checked = CheckedHrpstring::new::<Bech32>(s).map_err(|_| RecipientError::Checksum)?;
        if !checked.hrp().as_str().eq_ignore_ascii_case(HRP) {
            return Err(RecipientError::WrongKind);
        }
        let bytes: Vec<u8> = checked.byte_iter().collect();
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| RecipientError::WrongLength)?;
        Self::from_bytes(bytes)
    }
}

impl fmt::Display for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hrp = Hrp::parse_unchecked(HRP);
        bech32::encode_lower_to_fmt::<Bech32, _>(f, hrp, &self.0).map_err(|_| fmt::Error)
    }
}

impl fmt::Debug for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Recipient({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn age_crate_recipient() -> String {
        age::x25519::Identity::generate().to_public().to_string()
    }

    #[test]
    fn reads_what_the_age_crate_writes_and_prints_it_back() {
        for _ in 0..20 {
            let s = age_crate_recipient();
            let r: Recipient = s.parse().unwrap();
            assert_eq!(r.to_string(), s);
        }
    }

    #[test]
    fn one_changed_character_breaks_the_checksum() {
        let s = age_crate_recipient();
        let i = 20;
        let swapped = if &s[i..=i] == "q" { "p" } else { "q" };
        let mut t = s.clone();
        t.replace_range(i..=i, swapped);
        assert_eq!(t.parse::<Recipient>(), Err(RecipientError::Checksum));
    }

    #[test]
    fn secret_keys_and_other_kinds_are_refused() {
        let hrp = Hrp::parse("age-secret-key-").unwrap();
        let s = bech32::encode::<Bech32>(hrp, &[7u8; 32]).unwrap();
        assert_eq!(s.parse::<Recipient>(), Err(RecipientError::WrongKind));
        let short = bech32::encode::<Bech32>(Hrp::parse("age").unwrap(), &[7u8; 31]).unwrap();
        assert_eq!(short.parse::<Recipient>(), Err(RecipientError::WrongLength));
        let bech32m =
            bech32::encode::<bech32::Bech32m>(Hrp::parse("age").unwrap(), &[7u8; 32]).unwrap();
        assert_eq!(bech32m.parse::<Recipient>(), Err(RecipientError::Checksum));
    }

    #[test]
    fn low_order_points_are_refused() {
        assert_eq!(
            Recipient::from_bytes([0u8; 32]),
            Err(RecipientError::LowOrder)
        );
        let mut one = [0u8; 32];
        one[0] = 1;
        assert_eq!(Recipient::from_bytes(one), Err(RecipientError::LowOrder));
    }

    #[test]
    fn list_parsing_accepts_commas_and_spaces() {
        let list = format!("{}, {}\n", age_crate_recipient(), age_crate_recipient());
        assert_eq!(Recipient::parse_list(&list).unwrap().len(), 2);
        assert!(Recipient::parse_list("age1nope").is_err());
    }
}
