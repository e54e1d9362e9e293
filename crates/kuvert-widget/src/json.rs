//! A small JSON parser for what the inbox sends the frame (form config, slots, booking answers,
//! error bodies), read by hand in [`crate::wire`].
//!
//! Why not `serde_json` and serde derive here: serde_json's error paths format serde's
//! `Unexpected::Float`, which links core's float formatting (about 22 KB of Wasm), and serde's
//! derived visitors for the form schema cost about 35 KB more. This parser is non-generic,
//! reads integers only (nothing the inbox sends has a float), keeps no error text (an
//! [`Error`] says only "not the expected JSON"; the frame shows its own message) and caps
//! nesting. What the widget writes (the booking, the envelope) comes from the core's own JSON
//! writer (`Booking::write_json`, `Envelope::to_json`).

#[allow(unused_imports)]
use crate::prelude::*;
use alloc::borrow::Cow;

/// The input is not JSON of the expected shape. Deliberately carries no detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Error;

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("not the expected JSON")
    }
}

impl core::error::Error for Error {}

const MAX_DEPTH: u32 = 32;

/// A parsed JSON value. Numbers are integers only.
#[derive(Debug, PartialEq)]
pub enum Value<'a> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A negative integer.
    Int(i64),
    /// A non-negative integer.
    UInt(u64),
    /// A string (borrowed from the text when it has no escapes).
    Str(Cow<'a, str>),
    /// An array.
    Array(Vec<Value<'a>>),
    /// An object's members in document order (duplicates are kept; `get` takes the first).
    Object(Vec<(Cow<'a, str>, Value<'a>)>),
}

/// Parses `text`. Trailing non-whitespace is an error.
pub fn parse(text: &str) -> Result<Value<'_>, Error> {
    let mut p = Parser {
        input: text.as_bytes(),
        text,
        pos: 0,
    };
    let v = p.value(0)?;
    p.skip_ws();
    if p.pos == p.input.len() {
        Ok(v)
    } else {
        Err(Error)
    }
}

struct Parser<'a> {
    input: &'a [u8],
    text: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.input.get(self.pos) {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.input.get(self.pos).copied()
    }

    fn eat(&mut self, b: u8) -> Result<(), Error> {
        if self.peek() == Some(b) {
            self.pos += 1;
            Ok(())
        } else {
            Err(Error)
        }
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), Error> {
        if self.input[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(Error)
        }
    }

    fn value(&mut self, depth: u32) -> Result<Value<'a>, Error> {
        if depth > MAX_DEPTH {
            return Err(Error);
        }
        Ok(match self.peek().ok_or(Error)? {
            b'n' => {
                self.literal(b"null")?;
                Value::Null
            }
            b't' => {
                self.literal(b"true")?;
                Value::Bool(true)
            }
            b'f' => {
                self.literal(b"false")?;
                Value::Bool(false)
            }
            b'"' => Value::Str(self.string()?),
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                if self.peek() != Some(b']') {
                    loop {
                        items.push(self.value(depth + 1)?);
                        if self.peek() != Some(b',') {
                            break;
                        }
                        self.pos += 1;
                    }
                }
                self.eat(b']')?;
                Value::Array(items)
            }
            b'{' => {
                self.pos += 1;
                let mut entries = Vec::new();
                if self.peek() != Some(b'}') {
                    loop {
                        if self.peek() != Some(b'"') {
                            return Err(Error);
                        }
                        let key = self.string()?;
                        self.eat(b':')?;
                        entries.push((key, self.value(depth + 1)?));
                        if self.peek() != Some(b',') {
                            break;
                        }
                        self.pos += 1;
                    }
                }
                self.eat(b'}')?;
                Value::Object(entries)
            }
            b'-' | b'0'..=b'9' => self.integer()?,
            _ => return Err(Error),
        })
    }

    fn hex4(&mut self) -> Result<u32, Error> {
        let digits = self.input.get(self.pos..self.pos + 4).ok_or(Error)?;
        let mut n = 0u32;
        for &d in digits {
            n = n * 16 + char::from(d).to_digit(16).ok_or(Error)?;
        }
        self.pos += 4;
        Ok(n)
    }

    /// A string, borrowed when it has no escapes. `self.pos` is at the opening quote.
    fn string(&mut self) -> Result<Cow<'a, str>, Error> {
        self.pos += 1;
        let mut run = self.pos;
        let mut owned: Option<String> = None;
        loop {
            let b = *self.input.get(self.pos).ok_or(Error)?;
            match b {
                b'"' => {
                    let tail = self.text.get(run..self.pos).ok_or(Error)?;
                    self.pos += 1;
                    return Ok(match owned {
                        Some(mut s) => {
                            s.push_str(tail);
                            Cow::Owned(s)
                        }
                        None => Cow::Borrowed(tail),
                    });
                }
                b'\\' => {
                    let s = owned.get_or_insert_with(String::new);
                    s.push_str(self.text.get(run..self.pos).ok_or(Error)?);
                    let e = *self.input.get(self.pos + 1).ok_or(Error)?;
                    self.pos += 2;
                    let c = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi) {
                                self.literal(b"\\u")?;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(Error);
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else {
                                hi
                            };
                            char::from_u32(code).ok_or(Error)?
                        }
                        _ => return Err(Error),
                    };
                    if let Some(s) = owned.as_mut() {
                        s.push(c);
                    }
                    run = self.pos;
                }
                0..=0x1f => return Err(Error),
                _ => self.pos += 1,
            }
        }
    }

    /// An integer (floats are refused: nothing the inbox sends has one).
    fn integer(&mut self) -> Result<Value<'a>, Error> {
        let negative = self.input.get(self.pos) == Some(&b'-');
        if negative {
            self.pos += 1;
        }
        let start = self.pos;
        let mut n: u64 = 0;
        while let Some(d @ b'0'..=b'9') = self.input.get(self.pos).copied() {
            n = n
                .checked_mul(10)
                .and_then(|n| n.checked_add(u64::from(d - b'0')))
                .ok_or(Error)?;
            self.pos += 1;
        }
        let len = self.pos - start;
        if len == 0 || (len > 1 && self.input[start] == b'0') {
            return Err(Error);
        }
        if let Some(b'.' | b'e' | b'E') = self.input.get(self.pos) {
            return Err(Error);
        }
        Ok(if negative {
            Value::Int(-i64::try_from(n).map_err(|_| Error)?)
        } else {
            Value::UInt(n)
        })
    }
}

impl<'a> Value<'a> {
    /// The member `key` of an object.
    pub fn get(&self, key: &str) -> Option<&Value<'a>> {
        match self {
            Value::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// A string's text.
    pub fn str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// A non-negative integer that fits in `u32`.
    pub fn u32(&self) -> Option<u32> {
        match self {
            Value::UInt(n) => u32::try_from(*n).ok(),
            _ => None,
        }
    }

    /// A boolean.
    pub fn bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// An array's items.
    pub fn items(&self) -> Option<&[Value<'a>]> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    /// An object's members, in document order.
    pub fn entries(&self) -> Option<&[(Cow<'a, str>, Value<'a>)]> {
        match self {
            Value::Object(entries) => Some(entries),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_with_every_escape_match_serde_json() {
        let text =
            r#"{"a":"plain","b":"q\" b\\ s\/ \b\f\n\r\t","c":"\u00e4\ud83d\ude00x","d":"ä😀"}"#;
        let ours = parse(text).unwrap();
        let theirs: std::collections::BTreeMap<String, String> =
            serde_json::from_str(text).unwrap();
        for (k, v) in &theirs {
            assert_eq!(ours.get(k).and_then(Value::str), Some(v.as_str()), "{k}");
        }
        assert_eq!(ours.get("c").and_then(Value::str), Some("ä😀x"));
    }

    #[test]
    fn integers_nulls_booleans_and_nesting() {
        let v = parse(r#" { "n" : 42, "m": -7, "o": null, "v": [[1,2],[]], "b": true } "#).unwrap();
        assert_eq!(v.get("n").and_then(Value::u32), Some(42));
        assert_eq!(v.get("m"), Some(&Value::Int(-7)));
        assert_eq!(v.get("o"), Some(&Value::Null));
        assert_eq!(v.get("b").and_then(Value::bool), Some(true));
        let outer = v.get("v").and_then(Value::items).unwrap();
        assert_eq!(outer[0].items().unwrap().len(), 2);
        assert!(outer[1].items().unwrap().is_empty());
        assert_eq!(v.get("missing"), None);
        assert_eq!(Value::UInt(1 << 40).u32(), None, "too big for u32");
    }

    #[test]
    fn refuses_what_is_not_json() {
        for bad in [
            "",
            "{",
            r#"{"n": 1.5}"#,
            r#"{"n": 1e3}"#,
            r#"{"n": 01}"#,
            r#"{"n": -}"#,
            r#"{"n": 99999999999999999999999}"#,
            r#"{"n": 1,}"#,
            r#"[1,]"#,
            r#"{"n": 1} x"#,
            "{\"s\": \"a\u{1}\"}",
            r#"{"s": "\x"}"#,
            r#"{"s": "\ud800"}"#,
            r#"{"s": "\ud800\u0041"}"#,
            r#"{n: 1}"#,
            r#"{"n" 1}"#,
            "nul",
            "tru",
        ] {
            assert_eq!(parse(bad).err(), Some(Error), "{bad:?}");
        }
        let deep = "[".repeat(100) + &"]".repeat(100);
        assert!(parse(&deep).is_err(), "nesting is capped");
        let fine = "[".repeat(10) + &"]".repeat(10);
        assert!(parse(&fine).is_ok());
    }
}
