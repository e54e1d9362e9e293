//! age X25519 recipients (`age1…`), as pinned in the business's snippet.
//!
//! Encoding per the age v1 spec (C2SP `age.md`, "The X25519 recipient type"): Bech32 (BIP 173,
//! not Bech32m) with human-readable part `age` over the 32-byte Curve25519 public key.

#[allow(unused_imports)]
use crate::prelude::*;
use core::{fmt, str::FromStr};

use bech32::{Bech32, Hrp};

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
        if s.as_bytes()
            .get(..15)
            .is_some_and(|p| p.eq_ignore_ascii_case(b"AGE-SECRET-KEY-"))
        {
            return Err(RecipientError::WrongKind);
        }
        let (hrp, values) = bech32_decode(s).ok_or(RecipientError::Checksum)?;
        if hrp != HRP.as_bytes() {
            return Err(RecipientError::WrongKind);
        }
        let bytes = to_bytes(&values).ok_or(RecipientError::Checksum)?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| RecipientError::WrongLength)?;
        Self::from_bytes(bytes)
    }
}

// Bech32 decoding by hand (BIP 173, "Bech32" section). The `bech32` crate's decoder brings its
// error-correction tables and `str`-slicing panics into the widget; these ~60 lines are far
// smaller (commit 359fb15 measured the two as 2.6 KB and 0.6 KB brotli). The crate still
// encodes (`Display`) and is the oracle the tests compare this decoder with.

/// The Bech32 alphabet: a character's 5-bit value is its index.
const CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";

/// One step of BIP 173's `bech32_polymod`: the checksum state `chk` after the 5-bit value `v`.
/// Over a valid Bech32 string's expanded HRP and data, starting from 1, the state ends at 1.
fn polymod_step(chk: u32, v: u8) -> u32 {
    const GEN: [u32; 5] = [
        0x3b6a_57b2,
        0x2650_8e6d,
        0x1ea1_19fa,
        0x3d42_33dd,
        0x2a14_62b3,
    ];
    let top = chk >> 25;
    let mut chk = ((chk & 0x01ff_ffff) << 5) ^ u32::from(v);
    for (i, g) in GEN.iter().enumerate() {
        if (top >> i) & 1 == 1 {
            chk ^= g;
        }
    }
    chk
}

/// Splits a Bech32 string into its human-readable part (lowercased) and its 5-bit data values,
/// checksum removed, if every BIP 173 rule holds: printable ASCII, one case throughout, a `1`
/// separator after an HRP of 1 to 83 characters, data in the alphabet, a six-character Bech32
/// (not Bech32m) checksum. As age's spec says, BIP 173's 90-character limit does not apply.
fn bech32_decode(s: &str) -> Option<(Vec<u8>, Vec<u8>)> {
    let b = s.as_bytes();
    if b.iter().any(|c| !(33..=126).contains(c))
        || (b.iter().any(u8::is_ascii_lowercase) && b.iter().any(u8::is_ascii_uppercase))
    {
        return None;
    }
    let sep = b.iter().rposition(|&c| c == b'1')?;
    let (hrp, data) = (b[..sep].to_ascii_lowercase(), &b[sep + 1..]);
    if hrp.is_empty() || hrp.len() > 83 || data.len() < 6 {
        return None;
    }
    let mut values = Vec::with_capacity(data.len());
    for c in data {
        let v = CHARSET.iter().position(|x| *x == c.to_ascii_lowercase())?;
        values.push(v as u8);
    }
    // The HRP expanded (high bits, a zero, low bits), then the data.
    let mut chk = hrp.iter().fold(1, |chk, c| polymod_step(chk, c >> 5));
    chk = polymod_step(chk, 0);
    chk = hrp.iter().fold(chk, |chk, c| polymod_step(chk, c & 31));
    if values.iter().fold(chk, |chk, &v| polymod_step(chk, v)) != 1 {
        return None;
    }
    values.truncate(values.len() - 6);
    Some((hrp, values))
}

/// 5-bit values to bytes (BIP 173's `convertbits` without padding): the leftover is at most
/// four bits and all zero, as age's reference implementation requires.
fn to_bytes(values: &[u8]) -> Option<Vec<u8>> {
    let mut bytes = Vec::with_capacity(values.len() * 5 / 8);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &v in values {
        acc = (acc << 5) | u32::from(v);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            bytes.push((acc >> bits) as u8);
        }
        acc &= (1 << bits) - 1;
    }
    (bits < 5 && acc == 0).then_some(bytes)
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
    use alloc::string::ToString;
    use alloc::{format, vec};

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

    /// BIP 173's test vectors ("Test vectors" section): valid Bech32 strings, then invalid ones.
    #[test]
    fn bip_173_vectors() {
        for valid in [
            "A12UEL5L",
            "a12uel5l",
            "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
            "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
            "11qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqc8247j",
            "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
            "?1ezyfcl",
        ] {
            // The crate agrees, which checks the copy of the vector too.
            assert!(bech32::primitives::decode::CheckedHrpstring::new::<Bech32>(valid).is_ok());
            let (_, values) = bech32_decode(valid).unwrap_or_else(|| panic!("{valid}"));
            assert!(to_bytes(&values).is_some(), "{valid}");
        }
        for invalid in [
            "\u{20}1nwldj5",
            "\u{7f}1axkwrx",
            "\u{80}1eym55h",
            "an84characterslonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1569pvx",
            "pzry9x0s0muk",
            "1pzry9x0s0muk",
            "x1b4n0q5v",
            "li1dgmt3",
            "de1lg7wt\u{ff}",
            "A1G7SGD8",
            "10a06t8",
            "1qzzfhee",
        ] {
            assert_eq!(bech32_decode(invalid), None, "{invalid:?}");
        }
    }

    #[test]
    fn padding_must_be_short_and_zero() {
        // 52 values are 260 bits: 32 bytes and 4 bits of padding, which must be zero.
        let mut values = [0u8; 52];
        assert_eq!(to_bytes(&values), Some(vec![0; 32]));
        values[51] = 1;
        assert_eq!(to_bytes(&values), None);
        // 2 values are 10 bits: one byte and 2 zero bits; 1 value is 5 bits: too much padding.
        assert_eq!(to_bytes(&[31, 28]), Some(vec![0xff]));
        assert_eq!(to_bytes(&[0]), None);
        // A checksummed `age1…` string whose padding is not zero is refused.
        use bech32::{Fe32, primitives::iter::Fe32IterExt};
        let hrp = Hrp::parse("age").unwrap();
        let fes = (0..52).map(|i| Fe32::try_from(if i == 51 { 1u8 } else { 3 }).unwrap());
        let s: String = fes.with_checksum::<Bech32>(&hrp).chars().collect();
        assert!(bech32_decode(&s).is_some());
        assert_eq!(s.parse::<Recipient>(), Err(RecipientError::Checksum));
    }

    /// What parsing gave with the `bech32` crate's decoder, before it was replaced by hand.
    fn with_the_bech32_crate(s: &str) -> Result<Recipient, RecipientError> {
        use bech32::primitives::decode::CheckedHrpstring;
        let s = s.trim();
        if s.as_bytes()
            .get(..15)
            .is_some_and(|p| p.eq_ignore_ascii_case(b"AGE-SECRET-KEY-"))
        {
            return Err(RecipientError::WrongKind);
        }
        let checked = CheckedHrpstring::new::<Bech32>(s).map_err(|_| RecipientError::Checksum)?;
        if !checked.hrp().as_str().eq_ignore_ascii_case(HRP) {
            return Err(RecipientError::WrongKind);
        }
        let bytes: Vec<u8> = checked.byte_iter().collect();
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| RecipientError::WrongLength)?;
        Recipient::from_bytes(bytes)
    }

    proptest::proptest! {
        #[test]
        fn decodes_as_the_bech32_crate_does(
            // Half the cases are the length of a key, so that many are accepted.
            data in proptest::prop_oneof![
                proptest::collection::vec(proptest::num::u8::ANY, 32),
                proptest::collection::vec(proptest::num::u8::ANY, 0..40),
            ],
            hrp in proptest::prop_oneof![
                proptest::strategy::Just("age"),
                proptest::sample::select(vec!["agf", "ag", "agea", "age-secret-key-", "a"]),
            ],
            upper: bool,
            bech32m: bool,
            edit in proptest::option::of((0usize..100, 0u8..4, proptest::sample::select(
                b"qpzry9x8gf2tvdw0s3jn54khce6mua7lQPbio1 -,AZ\x7f".to_vec()))),
        ) {
            let hrp = Hrp::parse(hrp).unwrap();
            let mut s = if bech32m {
                bech32::encode::<bech32::Bech32m>(hrp, &data).unwrap()
            } else {
                bech32::encode::<Bech32>(hrp, &data).unwrap()
            };
            if upper {
                s = s.to_ascii_uppercase();
            }
            // At most one edit: a character changed, removed or added.
            if let Some((at, how, c)) = edit {
                let at = at % s.len();
                match how {
                    0 => s.replace_range(at..=at, &char::from(c).to_string()),
                    1 => { s.remove(at); }
                    2 => s.insert(at, char::from(c)),
                    _ => {}
                }
            }
            proptest::prop_assert_eq!(s.parse::<Recipient>(), with_the_bech32_crate(&s), "{}", s);
        }
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
