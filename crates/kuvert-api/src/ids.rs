//! The ids of the contract, each with one parser. Deserializing refuses anything else, so a
//! handler or a client never holds an id of the wrong shape.

use alloc::borrow::ToOwned;
use alloc::string::String;
use core::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A booking reference, `XXXX-XXXX-XXXX` (the core's one parser, [`kuvert_core::reference`]).
pub use kuvert_core::Reference;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $check:path, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// Parses the id; `None` unless it has the shape.
            pub fn parse(s: &str) -> Option<Self> {
                $check(s).then(|| Self(s.to_owned()))
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).ok_or_else(|| serde::de::Error::custom($what))
            }
        }
    };
}

id_type!(
    /// A form id: `[a-z0-9][a-z0-9-]{0,62}` ([`kuvert_core::schema::is_valid_id`]).
    FormId,
    kuvert_core::schema::is_valid_id,
    "not a form id ([a-z0-9][a-z0-9-]{0,62})"
);

id_type!(
    /// A service id: the same shape as a form id.
    ServiceId,
    kuvert_core::schema::is_valid_id,
    "not a service id ([a-z0-9][a-z0-9-]{0,62})"
);

id_type!(
    /// The lowercase hex SHA-256 of a cancellation code ([`kuvert_core::cancel::is_cancel_hash`]).
    CancelHash,
    kuvert_core::cancel::is_cancel_hash,
    "not a lowercase hex SHA-256"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_id_has_one_shape() {
        assert!(FormId::parse("salon").is_some());
        assert!(FormId::parse("Salon").is_none());
        assert!(FormId::parse("../x").is_none());
        assert!(ServiceId::parse("cut-and-wash").is_some());
        assert!(ServiceId::parse("").is_none());
        assert!(CancelHash::parse(&"ab".repeat(32)).is_some());
        assert!(CancelHash::parse(&"AB".repeat(32)).is_none());
        let r: Result<FormId, _> = serde_json::from_str("\"no/slash\"");
        assert!(r.is_err());
        let ok: FormId = serde_json::from_str("\"salon\"").unwrap();
        assert_eq!(serde_json::to_string(&ok).unwrap(), "\"salon\"");
    }
}
