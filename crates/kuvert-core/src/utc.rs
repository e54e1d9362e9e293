//! Canonical UTC timestamps: `YYYY-MM-DDTHH:MM:SSZ` and nothing else.
//!
//! The public booking facts travel twice, in the clear and inside the sealed part, and staff
//! compare the two. Comparing strings is only sound if every timestamp has exactly one spelling,
//! so the envelope accepts the RFC 3339 `date-time` profile restricted to UTC (`Z`), whole
//! seconds and four-digit years 1970–9999. Written by hand (about 60 lines) because a general
//! date crate would accept — and we would have to re-reject — offsets, fractions and lowercase
//! separators, and would add weight to the Wasm widget for no gain.

#[allow(unused_imports)]
use crate::prelude::*;
use core::fmt;

/// A point in time, whole seconds since the Unix epoch, UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UtcTimestamp(i64);

/// Why a timestamp was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimeError {
    /// Not of the form `YYYY-MM-DDTHH:MM:SSZ`.
    #[error("expected a UTC time written as YYYY-MM-DDTHH:MM:SSZ")]
    Format,
    /// The form is right but the date or time does not exist (e.g. February 30th, hour 24).
    #[error("the date or time does not exist in the calendar")]
    OutOfRange,
}

const MIN_SECS: i64 = 0; // 1970-01-01T00:00:00Z
const MAX_SECS: i64 = 253_402_300_799; // 9999-12-31T23:59:59Z

impl UtcTimestamp {
    /// Seconds since 1970-01-01T00:00:00Z, if within years 1970–9999.
    pub fn from_unix(secs: i64) -> Option<Self> {
        (MIN_SECS..=MAX_SECS).contains(&secs).then_some(Self(secs))
    }

    /// Seconds since 1970-01-01T00:00:00Z.
    pub fn unix(self) -> i64 {
        self.0
    }

    /// Parses the canonical form `YYYY-MM-DDTHH:MM:SSZ` (RFC 3339 §5.6, UTC only).
    pub fn parse(s: &str) -> Result<Self, TimeError> {
        let b = s.as_bytes();
        if b.len() != 20
            || b[4] != b'-'
            || b[7] != b'-'
            || b[10] != b'T'
            || b[13] != b':'
            || b[16] != b':'
            || b[19] != b'Z'
        {
            return Err(TimeError::Format);
        }
        let num = |range: core::ops::Range<usize>| -> Result<i64, TimeError> {
            b[range].iter().try_fold(0i64, |acc, &c| {
                if c.is_ascii_digit() {
                    Ok(acc * 10 + i64::from(c - b'0'))
                } else {
                    Err(TimeError::Format)
                }
            })
        };
        let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if y < 1970 || !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) {
            return Err(TimeError::OutOfRange);
        }
        if h > 23 || mi > 59 || se > 59 {
            return Err(TimeError::OutOfRange);
        }
        Ok(Self(
            days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se,
        ))
    }

    /// The timestamp in the canonical form `YYYY-MM-DDTHH:MM:SSZ` (what `Display` writes).
    /// Built without `core::fmt` (see [`crate::push_decimal`]); years are 1970–9999.
    pub fn to_rfc3339(self) -> String {
        let (y, mo, d) = self.date();
        let s = self.0.rem_euclid(86_400);
        let mut out = String::with_capacity(20);
        crate::push_decimal(&mut out, y.unsigned_abs(), 4);
        for (sep, n) in [
            ('-', mo),
            ('-', d),
            ('T', s / 3600),
            (':', s / 60 % 60),
            (':', s % 60),
        ] {
            out.push(sep);
            crate::push_decimal(&mut out, n.unsigned_abs(), 2);
        }
        out.push('Z');
        out
    }

    /// The calendar date (year, month, day) in UTC.
    pub fn date(self) -> (i64, i64, i64) {
        civil_from_days(self.0.div_euclid(86_400))
    }
}

impl fmt::Display for UtcTimestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

/// Whether `y` is a Gregorian leap year.
pub(crate) fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// Days in month `m` (1–12) of year `y`.
pub(crate) fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

// Howard Hinnant's `days_from_civil` / `civil_from_days`
// (https://howardhinnant.github.io/date_algorithms.html), proleptic Gregorian.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_known_points() {
        for (s, secs) in [
            ("1970-01-01T00:00:00Z", 0),
            ("2000-02-29T12:34:56Z", 951_827_696),
            ("2027-03-01T09:00:00Z", 1_803_891_600),
            ("9999-12-31T23:59:59Z", MAX_SECS),
        ] {
            let t = UtcTimestamp::parse(s).unwrap();
            assert_eq!(t.unix(), secs, "{s}");
            assert_eq!(t.to_string(), s);
        }
    }

    /// `to_rfc3339` is built by hand; `format!` is the oracle, over the whole range.
    #[test]
    fn hand_built_text_matches_format() {
        let mut secs = MIN_SECS;
        while secs <= MAX_SECS {
            let t = UtcTimestamp::from_unix(secs).unwrap();
            let (y, mo, d) = t.date();
            let s = secs.rem_euclid(86_400);
            let expected = format!(
                "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}Z",
                s / 3600,
                s / 60 % 60,
                s % 60
            );
            assert_eq!(t.to_rfc3339(), expected);
            assert_eq!(UtcTimestamp::parse(&expected), Ok(t));
            // A prime step, so hours, minutes and seconds all vary.
            secs += 7_919_993;
        }
    }

    #[test]
    fn rejects_non_canonical_spellings() {
        for s in [
            "2027-03-01T09:00:00+00:00",
            "2027-03-01t09:00:00Z",
            "2027-03-01T09:00:00.000Z",
            "2027-03-01 09:00:00Z",
            "27-03-01T09:00:00Z",
            "2027-3-01T09:00:00Z",
            "",
        ] {
            assert_eq!(UtcTimestamp::parse(s), Err(TimeError::Format), "{s}");
        }
        for s in [
            "2027-02-29T09:00:00Z",
            "2027-13-01T09:00:00Z",
            "2027-03-01T24:00:00Z",
            "2027-03-01T23:60:00Z",
            "1969-12-31T23:59:59Z",
        ] {
            assert_eq!(UtcTimestamp::parse(s), Err(TimeError::OutOfRange), "{s}");
        }
    }

    #[test]
    fn every_day_for_four_centuries_round_trips() {
        let mut secs = 0;
        while secs < 400 * 366 * 86_400 {
            let t = UtcTimestamp::from_unix(secs).unwrap();
            assert_eq!(UtcTimestamp::parse(&t.to_string()), Ok(t));
            secs += 86_400 + 3_661;
        }
    }
}
