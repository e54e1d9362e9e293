//! Showing text that came from outside (decrypted fields, references, error messages that quote
//! input) on a terminal or in a spreadsheet, as text only.
//!
//! Every decrypted field is hostile input. A terminal obeys escape sequences in what it prints:
//! `ESC[2J` clears the screen, `ESC]52;c;…` writes the clipboard, and a bidi override reorders
//! a row so that it reads as something else. So nothing that is not printable text reaches the
//! terminal raw: C0 and C1 controls, DEL and the bidi controls are shown as visible escapes
//! such as `\u{1b}`. The core's re-check already refuses such bookings; this is the second
//! wall, for everything else that is printed (labels, messages, and files whose checks pass).

use std::fmt::Write;

use kuvert_core::minimise::is_bidi_control;

/// Whether `c` must not reach a terminal or a spreadsheet raw.
fn is_unsafe(c: char) -> bool {
    c.is_control() || is_bidi_control(c) || matches!(c, '\u{2028}' | '\u{2029}')
}

/// `s` with every control, DEL, bidi control and line/paragraph separator written as
/// `\u{…}`, so it is one line of printable text. For tables and messages.
pub fn terminal_safe(s: &str) -> String {
    escape(s, |_| false)
}

/// Like [`terminal_safe`], but keeps the line feed, which a quoted CSV field holds as a line
/// break of a multi-line note. For CSV.
pub fn csv_text(s: &str) -> String {
    escape(s, |c| c == '\n')
}

fn escape(s: &str, keep: impl Fn(char) -> bool) -> String {
    if !s.chars().any(|c| is_unsafe(c) && !keep(c)) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe(c) && !keep(c) {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Finding "terminal injection in `kuvert open`": the review's payload, escaped whole.
    #[test]
    fn terminal_injection_payload_is_shown_as_text() {
        let hostile = "\u{1b}[2J\u{1b}[31m FAKE\u{1b}]52;c;aGk=\u{7}";
        let shown = terminal_safe(hostile);
        assert_eq!(shown, "\\u{1b}[2J\\u{1b}[31m FAKE\\u{1b}]52;c;aGk=\\u{7}");
        assert!(!shown.chars().any(char::is_control));
    }

    #[test]
    fn every_class_is_escaped() {
        for c in [
            '\0', '\n', '\r', '\t', '\u{7f}', '\u{85}', '\u{9b}', '\u{202e}', '\u{2066}',
            '\u{2069}', '\u{200f}', '\u{61c}', '\u{2028}',
        ] {
            let s = format!("a{c}b");
            let shown = terminal_safe(&s);
            assert!(!shown.contains(c), "{c:?} survived");
            assert!(
                shown.starts_with("a\\u{") && shown.ends_with("}b"),
                "{shown}"
            );
        }
        assert_eq!(terminal_safe("Zoë 李 🙂"), "Zoë 李 🙂");
    }

    #[test]
    fn csv_keeps_only_line_feeds() {
        assert_eq!(csv_text("one\ntwo"), "one\ntwo");
        assert_eq!(csv_text("a\rb\u{202e}c"), "a\\u{d}b\\u{202e}c");
    }
}
