//! Kuvert's core: the booking form schema, the GDPR notice, data minimisation, the consent
//! receipt, and the sealed envelope — with no I/O, for the Wasm widget and the native tools.
//!
//! * [`schema`]: the form a business configures, validated with errors that say how to fix them.
//! * [`notice`]: the Art. 13 notice generated from the schema in en, nl, sv and de.
//! * [`minimise`]: field validation and normalisation; card and national-ID detection.
//! * [`consent`]: the consent receipt sealed with each booking.
//! * [`envelope`]: the wire format, sealing (age v1 built by hand, see [`age`]) and, with the
//!   `open` feature, opening with the `age` crate ([`open`]).
//!
//! Secrets (file keys, ephemeral keys, cancellation codes, plaintext buffers) are zeroized on
//! drop and never appear in `Debug` or `Display` output.

#![forbid(unsafe_code)]
// `no_std` + `alloc`, so the widget can be built without the standard library (its panic and
// formatting machinery is most of what std would add to the Wasm). Opening needs the `age`
// crate, which uses std.
#![no_std]

extern crate alloc;
#[cfg(any(feature = "open", test))]
extern crate std;

use alloc::string::String;

/// What `std`'s prelude would bring, for the `no_std` modules.
mod prelude {
    pub use alloc::borrow::ToOwned;
    pub use alloc::string::{String, ToString};
    pub use alloc::vec::Vec;
    pub use alloc::{format, vec};
}

/// The age v1 format: the `kuvert-age` crate, under the path the parts have always used.
pub use kuvert_age as age;
/// `age1…` recipients (from `kuvert-age`).
pub use kuvert_age::recipient;
pub mod cancel;
pub mod consent;
pub mod envelope;
mod json;
pub mod locale;
pub mod map;
pub mod minimise;
pub mod notice;
#[cfg(feature = "open")]
pub mod open;
pub mod reference;
pub mod schema;
pub mod utc;

pub use cancel::CancelCode;
pub use consent::ConsentReceipt;
pub use envelope::{Booking, Envelope, Error, PublicFacts, seal, seal_with_os_rng};
pub use kuvert_age::Recipient;
pub use locale::{Locale, Localized};
pub use map::VecMap;
pub use reference::Reference;
pub use schema::FormSchema;
pub use utc::UtcTimestamp;

/// The version of this crate, recorded as the widget version in consent receipts.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Lowercase hex (also used by the inbox and the key tool).
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

/// How many characters (Unicode scalar values) `s` holds: its bytes that do not continue a
/// UTF-8 sequence. The same number as `s.chars().count()`, whose word-at-a-time version was
/// 319 B brotli of the frame (commit 627015e: 53,738 -> 53,419 B); the texts counted here (form
/// fields) are short.
pub fn char_count(s: &str) -> usize {
    s.bytes().filter(|b| b & 0xc0 != 0x80).count()
}

/// `parts` joined into one string. Used instead of `format!` (which links `core::fmt` into the
/// widget) and of `<[&str]>::concat` (whose generic body is inlined at every call).
#[inline(never)]
pub fn cat(parts: &[&str]) -> String {
    let mut s = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        s.push_str(p);
    }
    s
}

/// Appends `n` in decimal, zero-padded to at least `width` digits (at most 20 are padded).
///
/// By hand rather than `format!` or `to_string()`: those link `core::fmt`'s formatting
/// machinery into the widget's Wasm, and every text the widget builds goes through here or
/// through plain concatenation instead.
pub fn push_decimal(out: &mut String, n: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut i = digits.len();
    let mut n = n;
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let first = i.min(digits.len().saturating_sub(width));
    for d in &digits[first..] {
        out.push(char::from(*d));
    }
}

/// `n` in decimal (see [`push_decimal`]).
pub fn decimal(n: u64) -> String {
    let mut s = String::new();
    push_decimal(&mut s, n, 1);
    s
}

/// How many `\n` `text` holds: the lines of a language file, each ended by one. A `const fn`,
/// so built-in files are counted at compile time.
pub const fn count_lines(text: &str) -> usize {
    let b = text.as_bytes();
    let (mut i, mut n) = (0, 0);
    while i < b.len() {
        if b[i] == b'\n' {
            n += 1;
        }
        i += 1;
    }
    n
}

/// Whether `text` is a whole language file of `lines` lines: each ended by `\n`, none blank.
/// (The notice's wording files and the widget's string files share this shape.)
pub fn is_whole_file(text: &str, lines: usize) -> bool {
    text.ends_with('\n') && count_lines(text) == lines && text.lines().all(|l| !l.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    #[test]
    fn char_count_counts_what_chars_counts() {
        for s in [
            "",
            "a",
            "Åsa",
            "日本語",
            "🎉x",
            "e\u{301}",
            "\u{7f}\u{80}\u{7ff}\u{800}\u{ffff}\u{10000}\u{10ffff}",
        ] {
            assert_eq!(char_count(s), s.chars().count(), "{s:?}");
        }
        let every: String = (0..=0x10ffff).filter_map(char::from_u32).collect();
        assert_eq!(char_count(&every), every.chars().count());
    }

    #[test]
    fn cat_joins_in_order() {
        assert_eq!(cat(&[]), "");
        assert_eq!(cat(&["a", "", "bc", "ä"]), "abcä");
    }

    #[test]
    fn decimal_matches_format() {
        for n in [
            0,
            1,
            9,
            10,
            99,
            100,
            12_345,
            u64::from(u32::MAX),
            u64::MAX - 1,
            u64::MAX,
        ] {
            assert_eq!(decimal(n), format!("{n}"));
            for width in [0, 1, 2, 4, 19, 20, 25] {
                let mut s = String::from("x");
                push_decimal(&mut s, n, width);
                assert_eq!(s, format!("x{n:0w$}", w = width.min(20)), "{n} {width}");
            }
        }
    }
}
