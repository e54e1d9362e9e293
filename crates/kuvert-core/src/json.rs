//! JSON text (RFC 8259) for the two documents Kuvert writes: the sealed
//! [`Booking`](crate::envelope::Booking) and the [`Envelope`](crate::envelope::Envelope).
//!
//! Why by hand, when serde_json reads them (here, in the inbox and in the key tool): these are the
//! only JSON texts the widget writes, and serde_json's serializer was 517 B of the frame (brotli;
//! commit 91f0ea5 measured 56,114 -> 55,597 B). A writer for objects of strings, string arrays and
//! small numbers is a few dozen lines. The tests check its output byte for byte against
//! `serde_json::to_string` of the same values (`tests/properties.rs` with arbitrary text), so the
//! two stay interchangeable: same key order, same escapes, no whitespace.

#[allow(unused_imports)]
use crate::prelude::*;

/// A JSON object being written into a string.
pub(crate) struct Obj<'a> {
    out: &'a mut String,
    empty: bool,
}

impl<'a> Obj<'a> {
    /// Opens an object at the end of `out`.
    pub(crate) fn open(out: &'a mut String) -> Self {
        out.push('{');
        Obj { out, empty: true }
    }

    /// Writes the member name `name` and returns the text, for the caller to write the value.
    pub(crate) fn key(&mut self, name: &str) -> &mut String {
        if !self.empty {
            self.out.push(',');
        }
        self.empty = false;
        string(self.out, name);
        self.out.push(':');
        self.out
    }

    /// Writes a string member.
    pub(crate) fn str(&mut self, name: &str, value: &str) -> &mut Self {
        string(self.key(name), value);
        self
    }

    /// Writes a number member.
    pub(crate) fn num(&mut self, name: &str, value: u32) -> &mut Self {
        crate::push_decimal(self.key(name), u64::from(value), 1);
        self
    }

    /// Writes an array-of-strings member.
    pub(crate) fn strs(&mut self, name: &str, values: &[String]) -> &mut Self {
        let out = self.key(name);
        out.push('[');
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            string(out, v);
        }
        out.push(']');
        self
    }

    /// Closes the object.
    pub(crate) fn close(self) {
        self.out.push('}');
    }
}

/// Appends `s` as a JSON string (RFC 8259 §7), escaped as serde_json escapes: `"` and `\`,
/// the five control characters with a short form (`\b \t \n \f \r`), the other controls as
/// `\u00xx` with lowercase hex, and everything else (DEL and all non-ASCII included) as is.
pub(crate) fn string(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if c < ' ' => {
                out.push_str("\\u00");
                out.push(char::from(HEX[c as usize >> 4]));
                out.push(char::from(HEX[c as usize & 15]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quoted(s: &str) -> String {
        let mut out = String::new();
        string(&mut out, s);
        out
    }

    #[test]
    fn every_ascii_character_is_escaped_as_serde_json_escapes_it() {
        for b in 0u8..=0x7f {
            let s = String::from(char::from(b));
            assert_eq!(
                quoted(&s),
                serde_json::to_string(&s).unwrap(),
                "byte {b:#04x}"
            );
        }
    }

    #[test]
    fn text_beyond_ascii_is_written_as_it_is() {
        for s in [
            "",
            "Åsa Öberg",
            "日本語",
            "emoji 🎉",
            "\u{7f}\u{80}\u{2028}\u{2029}",
            "a\"b\\c\nd",
        ] {
            assert_eq!(quoted(s), serde_json::to_string(s).unwrap(), "{s:?}");
        }
    }

    #[test]
    fn objects_have_commas_between_members_only() {
        let mut out = String::new();
        let mut o = Obj::open(&mut out);
        o.num("n", 4_294_967_295)
            .str("s", "x")
            .strs("a", &[])
            .strs("b", &["1".into(), "2".into()]);
        o.close();
        assert_eq!(out, r#"{"n":4294967295,"s":"x","a":[],"b":["1","2"]}"#);
        let mut empty = String::new();
        Obj::open(&mut empty).close();
        assert_eq!(empty, "{}");
    }
}
