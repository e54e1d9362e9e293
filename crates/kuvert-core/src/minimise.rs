//! Data minimisation (GDPR Art. 5(1)(c)): only configured fields, bounded, normalised; and a
//! scanner that spots payment card and national ID numbers typed into free text, so the
//! widget can warn before anything is sealed.
//!
//! Errors and findings carry field names, kinds and positions — never the values themselves,
//! so they are safe to show, log or assert on.

#[allow(unused_imports)]
use crate::prelude::*;
use alloc::collections::BTreeMap;

use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::map::VecMap;
use crate::schema::{FieldKind, FormSchema};

/// The customer's validated, normalised answers, keyed by field key. Zeroized on drop.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Fields(VecMap<String, String>);

impl Zeroize for Fields {
    fn zeroize(&mut self) {
        // A map's keys cannot be borrowed mutably in place: take the entries out and wipe each.
        for (mut key, mut value) in core::mem::take(&mut self.0) {
            key.zeroize();
            value.zeroize();
        }
    }
}

impl Drop for Fields {
    fn drop(&mut self) {
        self.zeroize();
    }
}

impl ZeroizeOnDrop for Fields {}

impl core::fmt::Debug for Fields {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Personal data never goes into Debug output: only which fields are present.
        f.debug_tuple("Fields")
            .field(&self.0.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Fields {
    /// The value of field `key`, if given.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// Iterates over `(key, value)` pairs.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Number of fields given.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no field is given.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Wraps an already-validated map (e.g. one read back from a sealed booking).
    pub fn from_map(map: BTreeMap<String, String>) -> Self {
        Fields(map.into_iter().collect())
    }
}

impl Fields {
    /// Appends the fields as a JSON object, in key order (as serde writes them).
    pub(crate) fn write_json(&self, out: &mut String) {
        let mut o = crate::json::Obj::open(out);
        for (key, value) in self.0.iter() {
            o.str(key, value);
        }
        o.close();
    }
}

impl serde::Serialize for Fields {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for Fields {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        VecMap::deserialize(d).map(Fields)
    }
}

/// What is wrong with one submitted field. Carries no part of the value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FieldProblem {
    /// The form does not ask for this field.
    #[error("this form does not ask for this field")]
    Unknown,
    /// A required field is missing or blank.
    #[error("this field is required")]
    Required,
    /// Longer than the configured limit (in characters).
    #[error("too long (at most {max} characters)")]
    TooLong {
        /// The limit.
        max: u32,
    },
    /// Not an e-mail address.
    #[error("not an e-mail address")]
    InvalidEmail,
    /// Not a phone number.
    #[error("not a phone number")]
    InvalidPhone,
    /// Not a whole number in range.
    #[error("must be a whole number from {min} to {max}")]
    InvalidNumber {
        /// Smallest allowed.
        min: u32,
        /// Largest allowed.
        max: u32,
    },
    /// Not a date `YYYY-MM-DD` that exists.
    #[error("must be a date written YYYY-MM-DD")]
    InvalidDate,
    /// Holds control or bidi characters (other than line breaks in free text).
    #[error("contains characters that are not allowed")]
    ControlCharacters,
    /// An opened booking's value is not in the normal form the widget seals (see
    /// [`recheck_fields`]).
    #[error("not in the form the booking widget writes")]
    NotNormalised,
}

/// One field's problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// The submitted field key.
    pub field: String,
    /// What is wrong.
    pub problem: FieldProblem,
}

/// All problems found in a submission, in form order. Displayed as `field: problem` pairs;
/// a key outside the field catalogue is shown only as "an unknown field" (it came from the
/// input).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", describe(.0))]
pub struct FieldErrors(pub Vec<FieldError>);

/// `name: too long (at most 100 characters); note: …`; a key outside the catalogue comes from
/// the input, so it is named only as "an unknown field".
fn describe(errors: &[FieldError]) -> String {
    let mut out = String::new();
    for e in errors {
        if !out.is_empty() {
            out.push_str("; ");
        }
        let key = FieldKind::from_key(&e.field).map_or("an unknown field", FieldKind::key);
        out.push_str(key);
        out.push_str(": ");
        out.push_str(&alloc::string::ToString::to_string(&e.problem));
    }
    out
}

/// Validates and normalises a submission (field key, typed value) against the form.
///
/// Unknown keys are refused, and so is a key given twice (as [`FieldProblem::Unknown`]: the form
/// asks for each field once); blank optional fields are dropped; every value is trimmed and
/// bounded; e-mail is checked; phone numbers become E.164 where the number allows it.
pub fn validate_fields<K: AsRef<str>, V: AsRef<str>>(
    schema: &FormSchema,
    input: impl IntoIterator<Item = (K, V)>,
) -> Result<Fields, FieldErrors> {
    let input: Vec<(K, V)> = input.into_iter().collect();
    let pairs: Vec<(&str, &str)> = input
        .iter()
        .map(|(k, v)| (k.as_ref(), v.as_ref()))
        .collect();
    validate_pairs(schema, &pairs)
}

/// [`validate_fields`] without generics: the widget links one copy. A form has at most seven
/// fields, so lookups are linear.
fn validate_pairs(schema: &FormSchema, input: &[(&str, &str)]) -> Result<Fields, FieldErrors> {
    let mut errors = Vec::new();
    for (i, (key, _)) in input.iter().enumerate() {
        let known = FieldKind::from_key(key).is_some_and(|k| schema.field(k).is_some());
        let repeated = input[..i].iter().any(|(k, _)| k == key);
        if !known || repeated {
            errors.push(FieldError {
                field: (*key).into(),
                problem: FieldProblem::Unknown,
            });
        }
    }
    let mut out = VecMap::new();
    for spec in &schema.fields {
        let key = spec.kind.key();
        let raw = input
            .iter()
            .find(|(k, _)| *k == key)
            .map_or("", |(_, v)| *v);
        let value = tidy(spec.kind, raw);
        if value.is_empty() {
            if spec.required {
                errors.push(FieldError {
                    field: key.into(),
                    problem: FieldProblem::Required,
                });
            }
            continue;
        }
        let result = check(
            spec.kind,
            &value,
            spec.max_length(),
            schema.phone_country_code.as_deref(),
        );
        match result {
            Ok(v) => {
                out.insert(key.to_owned(), v);
            }
            Err(problem) => errors.push(FieldError {
                field: key.into(),
                problem,
            }),
        }
    }
    if errors.is_empty() {
        Ok(Fields(out))
    } else {
        Err(FieldErrors(errors))
    }
}

/// Whether `c` is a bidirectional formatting control: the embeddings and overrides
/// U+202A–U+202E, the isolates U+2066–U+2069, and the marks U+200E, U+200F and U+061C. They
/// reorder how the text around them is shown ("Trojan Source", CVE-2021-42574), so a name or
/// note holding one can display as something it is not.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Whether `c` may never appear in a field's value: a C0 or C1 control or DEL (`char::is_control`)
/// other than the line feed of a multi-line field, or a bidi control ([`is_bidi_control`]).
pub fn is_forbidden_char(c: char, multi_line: bool) -> bool {
    (c.is_control() && !(multi_line && c == '\n')) || is_bidi_control(c)
}

fn check(kind: FieldKind, value: &str, max: u32, cc: Option<&str>) -> Result<String, FieldProblem> {
    if value
        .chars()
        .any(|c| is_forbidden_char(c, kind.is_free_text()))
    {
        return Err(FieldProblem::ControlCharacters);
    }
    if crate::char_count(value) > max as usize {
        return Err(FieldProblem::TooLong { max });
    }
    match kind {
        FieldKind::Name | FieldKind::Note | FieldKind::PostalCode => Ok(value.to_owned()),
        FieldKind::Email => normalise_email(value).ok_or(FieldProblem::InvalidEmail),
        FieldKind::Phone => normalise_phone(value, cc).ok_or(FieldProblem::InvalidPhone),
        FieldKind::PartySize => match value.parse::<u32>() {
            Ok(n @ 1..=99) if value.bytes().all(|b| b.is_ascii_digit()) => {
                Ok(crate::decimal(n.into()))
            }
            _ => Err(FieldProblem::InvalidNumber { min: 1, max: 99 }),
        },
        FieldKind::DateOfBirth => {
            if is_date(value) {
                Ok(value.to_owned())
            } else {
                Err(FieldProblem::InvalidDate)
            }
        }
    }
}

/// Trims a raw value; free text gets LF line breaks, everything else one space between words.
fn tidy(kind: FieldKind, raw: &str) -> String {
    if kind.is_free_text() {
        crlf_to_lf(raw.trim())
    } else {
        // Runs of whitespace become one space (by hand: `join` links a generic copy loop
        // into the widget's Wasm for this one use).
        let mut one_spaced = String::with_capacity(raw.len());
        for word in raw.split_whitespace() {
            if !one_spaced.is_empty() {
                one_spaced.push(' ');
            }
            one_spaced.push_str(word);
        }
        one_spaced
    }
}

/// Re-checks the fields of an opened booking: **every decrypted field is hostile input**, since
/// anyone can seal a booking to the business's public key and post it past the widget.
///
/// With the form's `schema`, this is the widget's own validation ([`validate_fields`]), and the
/// sealed values must already be in the normal form it produces (the widget seals nothing
/// else). Without a schema, each field must still be a known field kind, pass that kind's
/// checks (no control or bidi characters, the catalogue's longest length, e-mail, phone and
/// date shapes) and be normalised. Errors name fields and problems, never values.
pub fn recheck_fields(schema: Option<&FormSchema>, fields: &Fields) -> Result<(), FieldErrors> {
    let mut errors = Vec::new();
    let mut problem = |field: &str, problem| {
        errors.push(FieldError {
            field: field.into(),
            problem,
        })
    };
    match schema {
        Some(schema) => {
            let pairs: Vec<(&str, &str)> = fields.iter().collect();
            let normal = validate_pairs(schema, &pairs)?;
            for (key, value) in fields.iter() {
                if normal.get(key) != Some(value) {
                    problem(key, FieldProblem::NotNormalised);
                }
            }
        }
        None => {
            for (key, value) in fields.iter() {
                let Some(kind) = FieldKind::from_key(key) else {
                    problem(key, FieldProblem::Unknown);
                    continue;
                };
                match check(kind, value, kind.max_max_length(), None) {
                    Ok(normal) if normal == value && tidy(kind, value) == value => {}
                    Ok(_) => problem(key, FieldProblem::NotNormalised),
                    Err(p) => problem(key, p),
                }
                if value.is_empty() {
                    problem(key, FieldProblem::Required);
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(FieldErrors(errors))
    }
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let digits = |r: core::ops::Range<usize>| -> Option<i64> {
        b[r].iter().try_fold(0i64, |a, &c| {
            c.is_ascii_digit().then(|| a * 10 + i64::from(c - b'0'))
        })
    };
    match (digits(0..4), digits(5..7), digits(8..10)) {
        (Some(y), Some(m), Some(d)) => {
            (1900..=2200).contains(&y)
                && (1..=12).contains(&m)
                && d >= 1
                && d <= crate::utc::days_in_month(y, m)
        }
        _ => false,
    }
}

/// `text` with every CRLF made LF (a lone CR stays, and the control-character check refuses
/// it). By hand rather than `str::replace("\r\n", …)`: a `&str` pattern links core's
/// substring searcher into the widget.
fn crlf_to_lf(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((line, after)) = rest.split_once('\r') {
        out.push_str(line);
        rest = after;
        if !rest.starts_with('\n') {
            out.push('\r');
        }
    }
    out.push_str(rest);
    out
}

/// Checks an e-mail address (a practical subset of RFC 5321) and lowercases the ASCII letters of
/// its domain. Other letters of an internationalised domain stay as typed (IDNA maps case when
/// the mail is sent); full Unicode lowercasing would put Unicode's case tables into the widget.
///
/// Non-ASCII characters are allowed as RFC 6531 §3.3 allows them (`atext =/ UTF8-non-ascii`),
/// except whitespace. Asking for Unicode letters instead (`char::is_alphanumeric`) would put
/// Unicode's tables into the widget (1.6 KB brotli, commit 235e3a4) for no safety gain: the
/// address is only stored.
pub fn normalise_email(s: &str) -> Option<String> {
    let s = s.trim();
    let (local, domain) = s.rsplit_once('@')?;
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.as_bytes().windows(2).any(|w| w == b"..")
        // Bytes, not `str::contains(c)`: that looks for a non-ASCII `c` as a `&str`, which
        // links core's substring searcher into the widget.
        && local.chars().all(|c| {
            email_char(c) || (c.is_ascii() && b"!#$%&'*+/=?^_`{|}~.-".contains(&(c as u8)))
        });
    let domain = domain.to_ascii_lowercase();
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = domain.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| email_char(c) || c == '-')
        })
        && labels.last().is_some_and(|tld| {
            crate::char_count(tld) >= 2 && !tld.chars().all(|c| c.is_ascii_digit())
        });
    (local_ok && domain_ok && s.len() <= 254).then(|| crate::cat(&[local, "@", &domain]))
}

/// An ASCII letter or digit, or any non-ASCII character but whitespace (RFC 6531 §3.3). Control
/// characters never get here (`check` refuses them first).
fn email_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || (!c.is_ascii() && !c.is_whitespace() && !c.is_control())
}

/// Normalises a phone number: E.164 (`+` and 8–15 digits) when it has an international prefix
/// or `country_code` is known; otherwise its digits (6–15), as given.
pub fn normalise_phone(s: &str, country_code: Option<&str>) -> Option<String> {
    let s = s.trim();
    let (plus, body) = match s.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let mut digits = String::new();
    for c in body.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' | '/' => {}
            _ => return None,
        }
    }
    let e164 = |d: &str| (8..=15).contains(&d.len()).then(|| crate::cat(&["+", d]));
    if plus {
        return if digits.starts_with('0') {
            None
        } else {
            e164(&digits)
        };
    }
    if let Some(international) = digits.strip_prefix("00") {
        return if international.starts_with('0') {
            None
        } else {
            e164(international)
        };
    }
    match (digits.strip_prefix('0'), country_code) {
        (Some(national), Some(cc)) if !national.is_empty() => e164(&crate::cat(&[cc, national])),
        _ => (6..=15).contains(&digits.len()).then_some(digits),
    }
}

/// A kind of number that should not be typed into a booking's free text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SensitiveKind {
    /// A payment card number (13–19 digits, Luhn check passes, card-network prefix).
    PaymentCard,
    /// A Swedish personnummer or samordningsnummer (date part valid, Luhn check passes).
    SwedishPersonnummer,
    /// A Dutch BSN (9 digits, "elfproef" passes).
    DutchBsn,
    /// A US Social Security number written `AAA-GG-SSSS` (valid area, group and serial).
    UsSsn,
}

/// Where a sensitive number was found: byte offsets into the scanned text. No value is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Finding {
    /// What it looks like.
    pub kind: SensitiveKind,
    /// Byte offset where it starts.
    pub start: usize,
    /// Byte offset just past its end.
    pub end: usize,
}

/// Luhn (mod 10) check over ASCII digits.
pub fn luhn_valid(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let d = u32::from(d - b'0');
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    !digits.is_empty() && sum.is_multiple_of(10)
}

fn bsn_valid(d: &[u8]) -> bool {
    if d.len() != 9 || d.iter().all(|&c| c == b'0') {
        return false;
    }
    let sum: i64 = d
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let w = if i == 8 { -1 } else { 9 - i as i64 };
            w * i64::from(c - b'0')
        })
        .sum();
    sum % 11 == 0
}

fn personnummer_valid(d: &[u8]) -> bool {
    // YYMMDDNNNC (10) or YYYYMMDDNNNC (12); Luhn over the 10-digit form.
    let ten = match d.len() {
        10 => d,
        12 => &d[2..],
        _ => return false,
    };
    let n = |i: usize| u32::from(ten[i] - b'0') * 10 + u32::from(ten[i + 1] - b'0');
    let (month, day) = (n(2), n(4));
    let day = if day > 60 { day - 60 } else { day }; // samordningsnummer
    (1..=12).contains(&month) && (1..=31).contains(&day) && luhn_valid(ten)
}

fn ssn_valid(area: &[u8], group: &[u8], serial: &[u8]) -> bool {
    let num = |s: &[u8]| s.iter().fold(0u32, |a, &c| a * 10 + u32::from(c - b'0'));
    let a = num(area);
    a != 0 && a != 666 && a < 900 && num(group) != 0 && num(serial) != 0
}

/// Scans free text for payment card and national ID numbers.
///
/// Runs of digits joined by single spaces, dashes, dots or `+` are considered as one number.
/// Undelimited 9-digit runs are checked as BSN only; an SSN is flagged only when written with
/// separators (`123-45-6789`), which keeps ordinary 9-digit numbers from being flagged twice.
pub fn scan_free_text(text: &str) -> Vec<Finding> {
    let bytes = text.as_bytes();
    let mut findings = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() || (i > 0 && bytes[i - 1].is_ascii_alphanumeric()) {
            i += 1;
            continue;
        }
        // Collect a run: digit groups separated by one separator character.
        let start = i;
        let mut end;
        let mut groups: Vec<(usize, usize)> = Vec::new();
        let mut separators: Vec<u8> = Vec::new();
        let mut j = i;
        loop {
            let g = j;
            while j < bytes.len() && bytes[j].is_ascii_digit() {
                j += 1;
            }
            groups.push((g, j));
            end = j;
            if j + 1 < bytes.len()
                && matches!(bytes[j], b' ' | b'-' | b'.' | b'+')
                && bytes[j + 1].is_ascii_digit()
            {
                separators.push(bytes[j]);
                j += 1;
            } else {
                break;
            }
        }
        i = end.max(start + 1);
        if end < bytes.len() && bytes[end].is_ascii_alphabetic() {
            continue;
        }
        let digits: Vec<u8> = groups
            .iter()
            .flat_map(|&(a, b)| bytes[a..b].iter().copied())
            .collect();
        let lens: Vec<usize> = groups.iter().map(|(a, b)| b - a).collect();
        let kind = if (13..=19).contains(&digits.len())
            && (b'2'..=b'6').contains(&digits[0])
            && luhn_valid(&digits)
            && !separators.contains(&b'+')
        {
            Some(SensitiveKind::PaymentCard)
        } else if lens == [3, 2, 4]
            && separators.iter().all(|&s| s == b'-' || s == b' ')
            && ssn_valid(
                &bytes[groups[0].0..groups[0].1],
                &bytes[groups[1].0..groups[1].1],
                &bytes[groups[2].0..groups[2].1],
            )
        {
            Some(SensitiveKind::UsSsn)
        } else if (lens == [6, 4] || lens == [8, 4] || lens == [10] || lens == [12])
            && separators.iter().all(|&s| s == b'-' || s == b'+')
            && personnummer_valid(&digits)
        {
            Some(SensitiveKind::SwedishPersonnummer)
        } else if digits.len() == 9
            && (groups.len() == 1 || separators.iter().all(|&s| s == b'.' || s == b' '))
            && bsn_valid(&digits)
        {
            Some(SensitiveKind::DutchBsn)
        } else {
            None
        };
        if let Some(kind) = kind {
            findings.push(Finding { kind, start, end });
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<SensitiveKind> {
        scan_free_text(s).into_iter().map(|f| f.kind).collect()
    }

    #[test]
    fn finds_test_card_numbers_however_written() {
        // Network test numbers published by the card schemes for integration testing.
        for s in [
            "4111111111111111",
            "4111 1111 1111 1111",
            "5555-5555-5555-4444",
            "378282246310005",
        ] {
            assert_eq!(
                kinds(&format!("my card is {s}, thanks")),
                [SensitiveKind::PaymentCard],
                "{s}"
            );
        }
        assert!(kinds("4111111111111112").is_empty(), "Luhn failure");
        assert!(kinds("order 1234567890123").is_empty());
    }

    #[test]
    fn finds_national_ids() {
        // Skatteverket's documented example personnummer; a BSN that passes the elfproef; the
        // SSA's never-issued example range is refused by design, so use a structurally valid one.
        assert_eq!(
            kinds("pnr 811228-9874"),
            [SensitiveKind::SwedishPersonnummer]
        );
        assert_eq!(
            kinds("pnr 198112289874"),
            [SensitiveKind::SwedishPersonnummer]
        );
        assert_eq!(kinds("bsn 111222333"), [SensitiveKind::DutchBsn]);
        assert_eq!(kinds("ssn 123-45-6789"), [SensitiveKind::UsSsn]);
        assert!(kinds("ssn 000-45-6789").is_empty());
        assert!(kinds("ssn 666-45-6789").is_empty());
        assert!(kinds("bsn 111222334").is_empty());
    }

    #[test]
    fn findings_point_at_the_number() {
        let text = "Hej! 811228-9874 tack";
        let f = scan_free_text(text);
        assert_eq!(&text[f[0].start..f[0].end], "811228-9874");
    }

    #[test]
    fn ordinary_text_is_quiet() {
        for s in [
            "Table for 4 at 19:30",
            "Allergic to nuts, call +46 70 123 45 67",
            "Room 12, floor 3",
            "2027-03-01",
            "v2.3.4",
        ] {
            assert!(kinds(s).is_empty(), "{s}");
        }
    }

    #[test]
    fn phones_become_e164_where_possible() {
        assert_eq!(
            normalise_phone("+46 70-123 45 67", None).as_deref(),
            Some("+46701234567")
        );
        assert_eq!(
            normalise_phone("0046 70 123 45 67", None).as_deref(),
            Some("+46701234567")
        );
        assert_eq!(
            normalise_phone("070-123 45 67", Some("46")).as_deref(),
            Some("+46701234567")
        );
        assert_eq!(
            normalise_phone("(020) 123 4567", None).as_deref(),
            Some("0201234567")
        );
        assert_eq!(normalise_phone("call me", None), None);
        assert_eq!(normalise_phone("+0123456789", None), None);
        assert_eq!(normalise_phone("12", None), None);
    }

    #[test]
    fn emails_are_checked_and_domains_lowercased() {
        assert_eq!(
            normalise_email("Ann.Berg@Example.COM").as_deref(),
            Some("Ann.Berg@example.com")
        );
        // An internationalised domain is accepted; only its ASCII letters are lowercased.
        assert_eq!(
            normalise_email("ann@Bücher.DE").as_deref(),
            Some("ann@bücher.de")
        );
        // RFC 6531 addresses: any non-ASCII character but whitespace, in both parts.
        assert_eq!(
            normalise_email("用户@例子.广告").as_deref(),
            Some("用户@例子.广告")
        );
        assert_eq!(
            normalise_email("zoë.ångström@exämple.se").as_deref(),
            Some("zoë.ångström@exämple.se")
        );
        // Every special character RFC 5322 `atext` allows in the local part.
        assert_eq!(
            normalise_email("o'brien+tag!#$%&*/=?^_`{|}~-@Example.com").as_deref(),
            Some("o'brien+tag!#$%&*/=?^_`{|}~-@example.com")
        );
        for bad in [
            "ann(x)@example.com",
            "ann\"@example.com",
            "ann,b@example.com",
            "ann",
            "ann@",
            "@example.com",
            "ann@example",
            "ann@@example.com",
            "a..b@example.com",
            "ann@-x.com",
            "ann b@example.com",
            "ann\u{a0}b@example.com",
            "ann@exa\u{3000}mple.com",
            "ann@exa\u{85}mple.com",
        ] {
            assert_eq!(normalise_email(bad), None, "{bad}");
        }
    }

    #[test]
    fn line_ends_become_lf_and_a_lone_cr_stays_to_be_refused() {
        assert_eq!(crlf_to_lf("one\r\ntwo\r\n\r\nthree"), "one\ntwo\n\nthree");
        assert_eq!(crlf_to_lf("a\rb\r"), "a\rb\r");
        assert_eq!(crlf_to_lf("\r\r\n"), "\r\n");
        assert_eq!(crlf_to_lf("plain"), "plain");
        assert_eq!(crlf_to_lf(""), "");
    }
}
