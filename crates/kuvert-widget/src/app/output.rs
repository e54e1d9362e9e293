//! What leaves the frame besides requests: the `.ics` file and the message to the host page.

use super::*;

/// An `.ics` file for the appointment (RFC 5545), made in the browser. It holds the reference,
/// the service and the business, never the customer's details.
pub fn ics_text(reference: &str, start: &str, end: &str, service: &str, business: &str) -> String {
    // One pass each, by hand: `str::replace` with char patterns linked a copy per pattern type.
    // A loop with `push`, not `collect::<String>()` (which links a `FromIterator<char>` of its
    // own).
    let compact = |s: &str| {
        let mut out = String::with_capacity(s.len());
        for c in s.chars() {
            if !matches!(c, '-' | ':') {
                out.push(c);
            }
        }
        out
    };
    // TEXT values (RFC 5545 §3.3.11): backslash, semicolon and comma escaped; line breaks
    // become spaces (each value here is one line); other controls, which TEXT may not hold,
    // and bidi controls are dropped.
    let escape = |s: &str| {
        let mut out = String::with_capacity(s.len() + 4);
        for c in s.chars() {
            match c {
                '\\' | ';' | ',' => {
                    out.push('\\');
                    out.push(c);
                }
                '\r' | '\n' => out.push(' '),
                c if kuvert_core::minimise::is_forbidden_char(c, false) => {}
                c => out.push(c),
            }
        }
        out
    };
    let now = UtcTimestamp::from_unix((js_sys::Date::now() / 1000.0) as i64)
        .map(UtcTimestamp::to_rfc3339)
        .unwrap_or_else(|| start.to_owned());
    let mut ics = String::new();
    for line in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Kuvert//Booking widget//EN",
        "BEGIN:VEVENT",
        &kuvert_core::cat(&["UID:", &escape(reference), "@kuvert"]),
        &kuvert_core::cat(&["DTSTAMP:", &compact(&now)]),
        &kuvert_core::cat(&["DTSTART:", &compact(start)]),
        &kuvert_core::cat(&["DTEND:", &compact(end)]),
        &kuvert_core::cat(&["SUMMARY:", &escape(service), " (", &escape(business), ")"]),
        &kuvert_core::cat(&["DESCRIPTION:", &escape(reference)]),
        "END:VEVENT",
        "END:VCALENDAR",
    ] {
        ics.push_str(line);
        ics.push_str("\r\n");
    }
    ics
}

/// The `.ics` file as a `data:` URL for the download link. A `data:` URL, not a Blob's object
/// URL: no `Blob`, `createObjectURL` or `revokeObjectURL` imports, nothing to release later, and
/// the file holds no personal data (see [`ics_text`]).
pub(super) fn ics_url(
    reference: &str,
    start: &str,
    end: &str,
    service: &str,
    business: &str,
) -> String {
    let text = ics_text(reference, start, end, service, business);
    kuvert_core::cat(&[
        "data:text/calendar;charset=utf-8,",
        &String::from(js_sys::encode_uri_component(&text)),
    ])
}

/// Posts a message of string fields to the host page — only ever non-personal facts.
pub fn post_to_host(host: &str, fields: &[(&str, &str)]) {
    if host.is_empty() {
        return;
    }
    let Ok(parent) = crate::dom::window().parent() else {
        return;
    };
    let Some(parent) = parent else { return };
    let msg = options(fields);
    let _ = parent.post_message(&msg, host);
}
