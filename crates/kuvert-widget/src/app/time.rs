//! Dates and times in the business's time zone, through the browser's `Intl` (no time zone
//! data in the Wasm).

use super::*;

/// `utc` (`YYYY-MM-DDTHH:MM:SSZ`) shown in `locale` in the business's `tz`.
pub(super) fn format_time(utc: &str, locale: Locale, tz: &str, parts: &[(&str, &str)]) -> String {
    let mut pairs = vec![("timeZone", tz)];
    pairs.extend_from_slice(parts);
    let date = js_sys::Date::new(&JsValue::from_str(utc));
    date.to_locale_string(locale.code(), &options(&pairs))
        .into()
}

/// The time of day of `utc` in `tz` as the locale writes it ("9:30 AM", "09:30").
pub(super) fn clock(utc: &str, locale: Locale, tz: &str) -> String {
    format_time(utc, locale, tz, &[("timeStyle", "short")])
}

/// The local date (`YYYY-MM-DD`) of `utc` in `tz`.
pub(super) fn local_date(utc: &str, tz: &str) -> String {
    let date = js_sys::Date::new(&JsValue::from_str(utc));
    local_date_of(&date, tz)
}

fn local_date_of(date: &js_sys::Date, tz: &str) -> String {
    // en-CA writes dates as YYYY-MM-DD.
    date.to_locale_date_string(
        "en-CA",
        &options(&[
            ("timeZone", tz),
            ("year", "numeric"),
            ("month", "2-digit"),
            ("day", "2-digit"),
        ]),
    )
    .into()
}

pub(super) fn local_date_now(tz: &str) -> String {
    // `new Date(Date.now())`: the same import as every other `new Date(…)`.
    local_date_of(&js_sys::Date::new(&js_sys::Date::now().into()), tz)
}

/// `date` (`YYYY-MM-DD`) plus `days`, with the core's calendar (no `Date` arithmetic imports).
pub(super) fn add_days(date: &str, days: u32) -> String {
    UtcTimestamp::parse(&kuvert_core::cat(&[date, "T12:00:00Z"]))
        .ok()
        .and_then(|t| UtcTimestamp::from_unix(t.unix() + i64::from(days) * 86_400))
        .and_then(|t| t.to_rfc3339().get(..10).map(str::to_owned))
        .unwrap_or_else(|| date.to_owned())
}

pub(super) fn days_of(slots: &[Slot], tz: &str) -> Vec<String> {
    let mut days: Vec<String> = Vec::new();
    for s in slots {
        let d = local_date(&s.start, tz);
        if days.last() != Some(&d) {
            days.push(d);
        }
    }
    days.dedup();
    days
}
