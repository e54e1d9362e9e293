//! Free slots: opening hours in the business's time zone, turned into UTC slot starts.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

use crate::config::Calendar;

/// One bookable slot, UTC seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Slot {
    /// Start, seconds since the epoch.
    pub start: i64,
    /// End, seconds since the epoch.
    pub end: i64,
}

/// Every slot on local dates `from..=to` that is open, not blacked out, at least the minimum
/// notice after `now` and within the horizon. Capacity is not considered here.
pub fn slots(cal: &Calendar, tz: &TimeZone, from: Date, to: Date, now: i64) -> Vec<Slot> {
    let earliest = now + i64::from(cal.min_notice_minutes) * 60;
    let latest = now + i64::from(cal.horizon_days) * 86_400;
    let mut out = Vec::new();
    let mut day = from;
    while day <= to {
        if !cal.blackout.contains(&day) {
            let weekday = day.weekday().to_monday_zero_offset() as usize;
            for &(open, close) in &cal.hours[weekday] {
                let mut t = open;
                while t + cal.duration_minutes <= close {
                    if let Some(start) = local_to_unix(tz, day, t) {
                        let end = start + i64::from(cal.duration_minutes) * 60;
                        if start >= earliest && start <= latest {
                            out.push(Slot { start, end });
                        }
                    }
                    t += cal.slot_minutes;
                }
            }
        }
        match day.checked_add(1.day()) {
            Ok(next) => day = next,
            Err(_) => break,
        }
    }
    out.sort_unstable();
    out.dedup_by_key(|s| s.start);
    out
}

/// Local wall time `minutes` after midnight on `day`, as UTC seconds. Times that do not exist
/// (the spring-forward gap) are skipped; repeated ones (fall-back) take the earlier instant.
fn local_to_unix(tz: &TimeZone, day: Date, minutes: u32) -> Option<i64> {
    if minutes >= 24 * 60 {
        return None;
    }
    let dt = day.at((minutes / 60) as i8, (minutes % 60) as i8, 0, 0);
    let ambiguous = tz.to_ambiguous_timestamp(dt);
    if ambiguous.is_ambiguous()
        && matches!(ambiguous.offset(), jiff::tz::AmbiguousOffset::Gap { .. })
    {
        return None;
    }
    ambiguous.earlier().ok().map(|ts| ts.as_second())
}

/// Whether `start..end` is exactly one of the service's slots as of `now`.
pub fn is_slot(cal: &Calendar, tz: &TimeZone, start: i64, end: i64, now: i64) -> bool {
    let Ok(ts) = Timestamp::from_second(start) else {
        return false;
    };
    let day = ts.to_zoned(tz.clone()).date();
    slots(cal, tz, day, day, now).contains(&Slot { start, end })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cal() -> Calendar {
        let mut hours: [Vec<(u32, u32)>; 7] = Default::default();
        hours[0] = vec![(9 * 60, 12 * 60)]; // Monday 09:00-12:00
        hours[6] = vec![(60 + 30, 3 * 60 + 30)]; // Sunday 01:30-03:30 (crosses DST changes)
        Calendar {
            duration_minutes: 30,
            slot_minutes: 30,
            capacity: 1,
            hours,
            blackout: ["2027-03-08".parse().unwrap()].into(),
            horizon_days: 400,
            min_notice_minutes: 60,
        }
    }

    fn utc(s: &str) -> i64 {
        s.parse::<Timestamp>().unwrap().as_second()
    }

    #[test]
    fn monday_morning_in_stockholm_is_six_slots_an_hour_behind_utc() {
        let tz = TimeZone::get("Europe/Stockholm").unwrap();
        let now = utc("2027-01-01T00:00:00Z");
        let day: Date = "2027-03-01".parse().unwrap();
        let s = slots(&cal(), &tz, day, day, now);
        assert_eq!(s.len(), 6);
        assert_eq!(s[0].start, utc("2027-03-01T08:00:00Z"));
        assert_eq!(s[5].end, utc("2027-03-01T11:00:00Z"));
        assert!(is_slot(&cal(), &tz, s[2].start, s[2].end, now));
        assert!(!is_slot(&cal(), &tz, s[2].start + 60, s[2].end + 60, now));
        assert!(!is_slot(&cal(), &tz, s[2].start, s[2].end + 60, now));
    }

    #[test]
    fn blackouts_notice_and_horizon_are_honoured() {
        let tz = TimeZone::get("Europe/Stockholm").unwrap();
        let monday: Date = "2027-03-08".parse().unwrap();
        assert!(slots(&cal(), &tz, monday, monday, utc("2027-01-01T00:00:00Z")).is_empty());
        // 08:40 UTC = 09:40 local: slots before 10:40 local are inside the notice period.
        let day: Date = "2027-03-01".parse().unwrap();
        let s = slots(&cal(), &tz, day, day, utc("2027-03-01T08:40:00Z"));
        assert_eq!(s.first().unwrap().start, utc("2027-03-01T10:00:00Z"));
        let mut short = cal();
        short.horizon_days = 1;
        assert!(slots(&short, &tz, day, day, utc("2027-01-01T00:00:00Z")).is_empty());
    }

    #[test]
    fn dst_gap_slots_are_skipped_and_repeated_hours_are_not_doubled() {
        let tz = TimeZone::get("Europe/Stockholm").unwrap();
        let now = utc("2027-01-01T00:00:00Z");
        // 2027-03-28: 02:00-03:00 local does not exist. 01:30, 03:00 remain.
        let spring: Date = "2027-03-28".parse().unwrap();
        let s = slots(&cal(), &tz, spring, spring, now);
        assert_eq!(
            s.iter().map(|s| s.start).collect::<Vec<_>>(),
            vec![utc("2027-03-28T00:30:00Z"), utc("2027-03-28T01:00:00Z")]
        );
        // 2027-10-31: 02:00-03:00 local happens twice; each wall time gives one slot.
        let autumn: Date = "2027-10-31".parse().unwrap();
        assert_eq!(slots(&cal(), &tz, autumn, autumn, now).len(), 4);
    }
}
