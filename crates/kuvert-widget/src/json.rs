//! What the inbox sends the frame (form config, slots, booking answers, error bodies), as
//! [`Value`]s for [`crate::wire`] to read: the browser's `JSON.parse`, then one walk over what it
//! made ([`parse`]).
//!
//! Why not `serde_json` and serde derive here: serde_json's error paths format serde's
//! `Unexpected::Float`, which links core's float formatting, and serde's derived visitors for
//! the form schema add more (commits 2d6277c and 5ef5524 took them out).
//!
//! Why not a parser of our own: the widget had one (about 200 lines); the browser's is already
//! there, and dropping ours took 443 B brotli off the frame (commit b9b69b1: 48,710 -> 48,267 B).
//! One thing changed with it: an object that gives a key twice was refused, and `JSON.parse` keeps
//! the last. The inbox only ever serves what the core's deserializer accepted (which refuses a
//! repeated key) serialized again, so it never sends one; and an inbox that sent what it liked
//! could send any single value just as well, so refusing the repeat protected nothing.
//!
//! Numbers are integers only (nothing the inbox sends has a fraction), within ±2⁵³ where an
//! `f64` holds them exactly. An [`Error`] says only "not the expected JSON"; the frame shows its
//! own message.

#[allow(unused_imports)]
use crate::prelude::*;
use wasm_bindgen::{JsCast, JsValue};

use crate::dom::{List, items};

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

/// A JSON value. Numbers are integers only.
#[derive(Debug, PartialEq)]
pub enum Value {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A negative integer.
    Int(i64),
    /// A non-negative integer.
    UInt(u64),
    /// A string.
    Str(String),
    /// An array.
    Array(Vec<Value>),
    /// An object's members.
    Object(Vec<(String, Value)>),
}

/// Parses `text` with the browser's `JSON.parse` (so only in a browser).
pub fn parse(text: &str) -> Result<Value, Error> {
    convert(&js_sys::JSON::parse(text).map_err(|_| Error)?, 0)
}

/// What `JSON.parse` made, as a [`Value`]: null, a boolean, a string, a number, an array or a
/// plain object, nested at most [`MAX_DEPTH`] deep.
fn convert(v: &JsValue, depth: u32) -> Result<Value, Error> {
    if depth > MAX_DEPTH {
        return Err(Error);
    }
    if v.is_null() {
        return Ok(Value::Null);
    }
    if let Some(b) = v.as_bool() {
        return Ok(Value::Bool(b));
    }
    if let Some(s) = v.as_string() {
        return Ok(Value::Str(s));
    }
    if let Some(n) = v.as_f64() {
        return integer(n);
    }
    let convert_all = |list: &JsValue| -> Result<Vec<Value>, Error> {
        items(list).map(|x| convert(&x, depth + 1)).collect()
    };
    if js_sys::Array::is_array(v) {
        return convert_all(v).map(Value::Array);
    }
    // The rest is a plain object: its `[key, value]` pairs.
    let mut members = Vec::new();
    for pair in items(&js_sys::Object::entries(v.unchecked_ref())) {
        let pair = pair.unchecked_into::<List>();
        let key = pair.get(0).as_string().ok_or(Error)?;
        members.push((key, convert(&pair.get(1), depth + 1)?));
    }
    Ok(Value::Object(members))
}

/// A number `JSON.parse` read: an integer within ±2⁵³, or an error.
fn integer(n: f64) -> Result<Value, Error> {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    // Also refuses NaN, which JSON cannot write anyway.
    if !(-EXACT..=EXACT).contains(&n) {
        return Err(Error);
    }
    let i = n as i64;
    if i as f64 != n {
        return Err(Error);
    }
    Ok(match u64::try_from(i) {
        Ok(u) => Value::UInt(u),
        Err(_) => Value::Int(i),
    })
}

impl Value {
    /// The member `key` of an object.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
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
    pub fn items(&self) -> Option<&[Value]> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    /// An object's members.
    pub fn entries(&self) -> Option<&[(String, Value)]> {
        match self {
            Value::Object(members) => Some(members),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_whole_and_exact_or_refused() {
        assert_eq!(integer(42.0), Ok(Value::UInt(42)));
        assert_eq!(integer(0.0), Ok(Value::UInt(0)));
        assert_eq!(integer(-0.0), Ok(Value::UInt(0)));
        assert_eq!(integer(-7.0), Ok(Value::Int(-7)));
        assert_eq!(integer(1e3), Ok(Value::UInt(1000)));
        assert_eq!(integer(9_007_199_254_740_992.0), Ok(Value::UInt(1 << 53)));
        for bad in [
            1.5,
            -0.25,
            1e23,
            -1e23,
            f64::NAN,
            f64::INFINITY,
            9_007_199_254_740_994.0,
        ] {
            assert_eq!(integer(bad), Err(Error), "{bad}");
        }
        assert_eq!(Value::UInt(1 << 40).u32(), None, "too big for u32");
    }
}
