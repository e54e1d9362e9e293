//! A small JSON deserializer for what the inbox sends the frame (form config, slots, booking
//! answers, error bodies).
//!
//! Why not `serde_json` here: its error paths format serde's `Unexpected::Float`, which links
//! the whole float-formatting machinery of `core` (about 22 KB of Wasm) into the frame, and
//! its parser accepts floats we never need. This one reads integers only, keeps no error text
//! (an [`Error`] says only "not the expected JSON"; the frame shows its own message), and caps
//! nesting. Serialization still uses `serde_json` (it links no float code for our types).
//! `tests` below compare it with `serde_json` on the same inputs.

use serde::de::{self, DeserializeSeed, Expected, Unexpected, Visitor};

/// The input is not JSON of the expected shape. Deliberately carries no detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Error;

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("not the expected JSON")
    }
}

impl std::error::Error for Error {}

// Every provided method is overridden so that none formats its arguments.
impl de::Error for Error {
    fn custom<T: core::fmt::Display>(_: T) -> Self {
        Error
    }
    fn invalid_type(_: Unexpected<'_>, _: &dyn Expected) -> Self {
        Error
    }
    fn invalid_value(_: Unexpected<'_>, _: &dyn Expected) -> Self {
        Error
    }
    fn invalid_length(_: usize, _: &dyn Expected) -> Self {
        Error
    }
    fn unknown_variant(_: &str, _: &'static [&'static str]) -> Self {
        Error
    }
    fn unknown_field(_: &str, _: &'static [&'static str]) -> Self {
        Error
    }
    fn missing_field(_: &'static str) -> Self {
        Error
    }
    fn duplicate_field(_: &'static str) -> Self {
        Error
    }
}

const MAX_DEPTH: u32 = 32;

/// Parses `text` as a `T`. Trailing non-whitespace is an error.
pub fn from_str<'a, T: de::Deserialize<'a>>(text: &'a str) -> Result<T, Error> {
    let mut d = Deserializer {
        input: text.as_bytes(),
        text,
        pos: 0,
        depth: 0,
    };
    let value = T::deserialize(&mut d)?;
    d.skip_ws();
    if d.pos == d.input.len() {
        Ok(value)
    } else {
        Err(Error)
    }
}

struct Deserializer<'a> {
    input: &'a [u8],
    text: &'a str,
    pos: usize,
    depth: u32,
}

impl<'a> Deserializer<'a> {
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
    fn string(&mut self) -> Result<Str<'a>, Error> {
        self.pos += 1;
        let mut run = self.pos;
        let mut owned: Option<String> = None;
        loop {
            let b = *self.input.get(self.pos).ok_or(Error)?;
            match b {
                b'"' => {
                    let tail = &self.text[run..self.pos];
                    self.pos += 1;
                    return Ok(match owned {
                        Some(mut s) => {
                            s.push_str(tail);
                            Str::Owned(s)
                        }
                        None => Str::Borrowed(tail),
                    });
                }
                b'\\' => {
                    owned
                        .get_or_insert_with(String::new)
                        .push_str(&self.text[run..self.pos]);
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
    fn integer<V: Visitor<'a>>(&mut self, visitor: V) -> Result<V::Value, Error> {
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
        if negative {
            let v = i64::try_from(n).map_err(|_| Error)?;
            visitor.visit_i64(-v)
        } else {
            visitor.visit_u64(n)
        }
    }

    fn nest(&mut self) -> Result<(), Error> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            Err(Error)
        } else {
            Ok(())
        }
    }
}

enum Str<'a> {
    Borrowed(&'a str),
    Owned(String),
}

impl<'de> de::Deserializer<'de> for &mut Deserializer<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.peek().ok_or(Error)? {
            b'n' => {
                self.literal(b"null")?;
                visitor.visit_unit()
            }
            b't' => {
                self.literal(b"true")?;
                visitor.visit_bool(true)
            }
            b'f' => {
                self.literal(b"false")?;
                visitor.visit_bool(false)
            }
            b'"' => match self.string()? {
                Str::Borrowed(s) => visitor.visit_borrowed_str(s),
                Str::Owned(s) => visitor.visit_string(s),
            },
            b'[' => {
                self.pos += 1;
                self.nest()?;
                let value = visitor.visit_seq(Seq {
                    d: &mut *self,
                    first: true,
                })?;
                self.eat(b']')?;
                self.depth -= 1;
                Ok(value)
            }
            b'{' => {
                self.pos += 1;
                self.nest()?;
                let value = visitor.visit_map(Seq {
                    d: &mut *self,
                    first: true,
                })?;
                self.eat(b'}')?;
                self.depth -= 1;
                Ok(value)
            }
            b'-' | b'0'..=b'9' => self.integer(visitor),
            _ => Err(Error),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.peek() == Some(b'n') {
            self.literal(b"null")?;
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        // Unit variants only, written as strings (e.g. "contract", "sv").
        if self.peek() == Some(b'"') {
            visitor.visit_enum(self)
        } else {
            Err(Error)
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct newtype_struct seq tuple
        tuple_struct map struct identifier ignored_any
    }
}

impl<'de> de::EnumAccess<'de> for &mut Deserializer<'de> {
    type Error = Error;
    type Variant = Self;

    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Self), Error> {
        let v = seed.deserialize(&mut *self)?;
        Ok((v, self))
    }
}

impl<'de> de::VariantAccess<'de> for &mut Deserializer<'de> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        Ok(())
    }
    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, _: S) -> Result<S::Value, Error> {
        Err(Error)
    }
    fn tuple_variant<V: Visitor<'de>>(self, _: usize, _: V) -> Result<V::Value, Error> {
        Err(Error)
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        _: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Error> {
        Err(Error)
    }
}

/// Elements of an array, or entries of an object.
struct Seq<'a, 'de> {
    d: &'a mut Deserializer<'de>,
    first: bool,
}

impl Seq<'_, '_> {
    /// Whether another element follows (consumes the comma), given the closing byte.
    fn more(&mut self, close: u8) -> Result<bool, Error> {
        if self.d.peek() == Some(close) {
            return Ok(false);
        }
        if !self.first {
            self.d.eat(b',')?;
        }
        self.first = false;
        Ok(true)
    }
}

impl<'de> de::SeqAccess<'de> for Seq<'_, 'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        if self.more(b']')? {
            seed.deserialize(&mut *self.d).map(Some)
        } else {
            Ok(None)
        }
    }
}

impl<'de> de::MapAccess<'de> for Seq<'_, 'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        if !self.more(b'}')? {
            return Ok(None);
        }
        if self.d.peek() != Some(b'"') {
            return Err(Error);
        }
        seed.deserialize(&mut *self.d).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        self.d.eat(b':')?;
        seed.deserialize(&mut *self.d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kuvert_core::FormSchema;
    use std::collections::BTreeMap;

    const SALON: &str = include_str!("../../kuvert-core/tests/fixtures/salon.json");

    #[test]
    fn reads_the_form_schema_exactly_as_serde_json_does() {
        let ours: FormSchema = from_str(SALON).unwrap();
        let theirs: FormSchema = serde_json::from_str(SALON).unwrap();
        assert_eq!(ours, theirs);
    }

    #[test]
    fn strings_with_every_escape() {
        let text =
            r#"{"a":"plain","b":"q\" b\\ s\/ \b\f\n\r\t","c":"\u00e4\ud83d\ude00x","d":"ä😀"}"#;
        let ours: BTreeMap<String, String> = from_str(text).unwrap();
        let theirs: BTreeMap<String, String> = serde_json::from_str(text).unwrap();
        assert_eq!(ours, theirs);
        assert_eq!(ours["c"], "ä😀x");
    }

    #[test]
    fn integers_options_and_nesting() {
        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct T {
            n: u32,
            m: i64,
            o: Option<String>,
            p: Option<String>,
            v: Vec<Vec<u8>>,
            b: bool,
        }
        let t: T =
            from_str(r#" { "n" : 42, "m": -7, "o": null, "p": "x", "v": [[1,2],[]], "b": true } "#)
                .unwrap();
        assert_eq!(
            t,
            T {
                n: 42,
                m: -7,
                o: None,
                p: Some("x".into()),
                v: vec![vec![1, 2], vec![]],
                b: true
            }
        );
    }

    #[test]
    fn refuses_what_is_not_json_or_not_the_shape() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct T {
            n: u32,
            #[serde(default)]
            s: String,
        }
        for bad in [
            "",
            "{",
            r#"{"n": 1.5}"#,
            r#"{"n": 1e3}"#,
            r#"{"n": 01}"#,
            r#"{"n": 99999999999999999999999}"#,
            r#"{"n": 1,}"#,
            r#"{"n": 1} x"#,
            r#"{"n": "1"}"#,
            "{\"n\": 1, \"s\": \"a\u{1}\"}",
            r#"{"n": 1, "s": "\x"}"#,
            r#"{"n": 1, "s": "\ud800"}"#,
            r#"{n: 1}"#,
        ] {
            assert_eq!(from_str::<T>(bad).err(), Some(Error), "{bad:?}");
        }
        let deep = "[".repeat(100) + &"]".repeat(100);
        assert!(
            from_str::<serde::de::IgnoredAny>(&deep).is_err(),
            "nesting is capped"
        );
        let fine = "[".repeat(10) + &"]".repeat(10);
        assert!(from_str::<serde::de::IgnoredAny>(&fine).is_ok());
    }
}
