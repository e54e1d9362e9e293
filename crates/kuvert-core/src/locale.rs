//! The languages Kuvert speaks, and text given in several of them.

use crate::map::VecMap;
#[allow(unused_imports)]
use crate::prelude::*;

use serde::{Deserialize, Serialize};

/// A language the widget and the notice are available in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    /// English.
    En,
    /// Dutch.
    Nl,
    /// Swedish.
    Sv,
    /// German.
    De,
}

impl Locale {
    /// Every supported locale, in a fixed order.
    pub const ALL: [Locale; 4] = [Locale::En, Locale::Nl, Locale::Sv, Locale::De];

    /// The two-letter code (`en`, `nl`, `sv`, `de`).
    pub fn code(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Nl => "nl",
            Locale::Sv => "sv",
            Locale::De => "de",
        }
    }

    /// Picks the locale for a BCP 47 tag such as `sv-SE` or `de`, if supported.
    pub fn from_tag(tag: &str) -> Option<Locale> {
        // On bytes (the separators are ASCII): no `str` searcher and no lowercased copy, which
        // the widget would link for this alone.
        let primary = tag
            .trim()
            .as_bytes()
            .split(|&b| b == b'-' || b == b'_')
            .next()?;
        Locale::ALL
            .into_iter()
            .find(|l| l.code().as_bytes().eq_ignore_ascii_case(primary))
    }

    /// The first supported locale among `preferred` (e.g. `navigator.languages`), else English.
    pub fn negotiate<'a>(preferred: impl IntoIterator<Item = &'a str>) -> Locale {
        preferred
            .into_iter()
            .find_map(Locale::from_tag)
            .unwrap_or(Locale::En)
    }
}

/// Text the business writes, in one or more languages.
///
/// In a config file it is either one string (used for every language) or a table keyed by
/// language code. Lookups fall back to English, then to any language given.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Localized {
    /// The same text in every language.
    One(String),
    /// Text per language.
    Many(VecMap<Locale, String>),
}

impl Localized {
    /// The text for `locale`, falling back to English, then to the first language given.
    pub fn get(&self, locale: Locale) -> &str {
        match self {
            Localized::One(s) => s,
            Localized::Many(map) => map
                .get(&locale)
                .or_else(|| map.get(&Locale::En))
                .or_else(|| map.values().next())
                .map(String::as_str)
                .unwrap_or(""),
        }
    }

    /// Whether any language's text is blank (or no language is given).
    pub fn has_blank(&self) -> bool {
        match self {
            Localized::One(s) => s.trim().is_empty(),
            Localized::Many(map) => map.is_empty() || map.values().any(|s| s.trim().is_empty()),
        }
    }

    /// The longest text over all languages, in characters.
    pub fn max_chars(&self) -> usize {
        match self {
            Localized::One(s) => crate::char_count(s),
            Localized::Many(map) => map
                .values()
                .map(|s| crate::char_count(s))
                .max()
                .unwrap_or(0),
        }
    }
}

impl From<&str> for Localized {
    fn from(s: &str) -> Self {
        Localized::One(s.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_takes_the_first_supported_language() {
        assert_eq!(Locale::negotiate(["fr-FR", "sv-SE", "de"]), Locale::Sv);
        assert_eq!(Locale::negotiate(["NL_be"]), Locale::Nl);
        assert_eq!(Locale::negotiate(["fr", "ja"]), Locale::En);
        assert_eq!(Locale::negotiate([]), Locale::En);
    }

    #[test]
    fn a_tag_is_read_by_its_primary_subtag_in_any_case() {
        assert_eq!(Locale::from_tag(" DE-at "), Some(Locale::De));
        assert_eq!(Locale::from_tag("sv"), Some(Locale::Sv));
        assert_eq!(Locale::from_tag("en_GB"), Some(Locale::En));
        for other in ["", "-", "e", "eng", "nld", "sv2", "fr-SE", "de\u{0}"] {
            assert_eq!(Locale::from_tag(other), None, "{other:?}");
        }
    }

    #[test]
    fn lookups_fall_back_to_english_then_anything() {
        let t: Localized = serde_json::from_str(r#"{"en":"Haircut","sv":"Klippning"}"#).unwrap();
        assert_eq!(t.get(Locale::Sv), "Klippning");
        assert_eq!(t.get(Locale::De), "Haircut");
        let only_nl: Localized = serde_json::from_str(r#"{"nl":"Knippen"}"#).unwrap();
        assert_eq!(only_nl.get(Locale::En), "Knippen");
        let one: Localized = serde_json::from_str(r#""Cut""#).unwrap();
        assert_eq!(one.get(Locale::De), "Cut");
    }
}
