//! The frame's strings, loaded one language at a time.
//!
//! The Wasm holds no language: the frame fetches a *pack* for the customer's language from its
//! own origin (`pkg/l10n/<code>.txt`, which `cargo xtask build-widget` writes) and another only
//! if the customer switches. A pack is UTF-8 text, one string per line, each line ended by `\n`:
//!
//! 1. the header `kuvert-l10n <version> <code>` ([`header`]), so a pack of another version or
//!    language is refused, not shown;
//! 2. the core's wording for the notice, field labels and lawful bases
//!    ([`Wording::LINES`] lines, `crates/kuvert-core/l10n/<code>.txt`), so the notice hashed
//!    into the consent receipt is the one the core renders;
//! 3. the strings below, one per [`S`] in order (`crates/kuvert-widget/l10n/<code>.txt`).
//!    Strings with a `{}` take one number (see [`Pack::tn`]).
//!
//! Moving the languages out of the Wasm into packs took 11 KB brotli off the frame (commit
//! 359fb15); `cargo xtask build-widget` reports each pack's size.

#[allow(unused_imports)]
use crate::prelude::*;
use kuvert_core::Locale;
use kuvert_core::notice::Wording;

/// A string key. The discriminant is its line in the widget's part of a pack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum S {
    Title,
    Language,
    Loading,
    StepService,
    Minutes,
    Continue,
    Back,
    StepSlot,
    Date,
    Time,
    NoSlots,
    StepDetails,
    Required,
    Optional,
    ErrorsSummary,
    ErrRequired,
    ErrTooLong,
    ErrEmail,
    ErrPhone,
    ErrNumber,
    ErrDate,
    ErrControl,
    ErrUnknown,
    WarnSensitive,
    EditNote,
    KeepNote,
    StepNotice,
    ConsentRequired,
    OptionalLegend,
    Book,
    Sending,
    ErrTaken,
    ErrOffline,
    ErrRateLimited,
    ErrTooLarge,
    ErrServer,
    ErrLoad,
    TryAgain,
    StepDone,
    Reference,
    Service,
    When,
    Ics,
    CodeLabel,
    CodeHelp,
    Copy,
    Copied,
    CopyFailed,
    Manage,
    StepManage,
    CancelBooking,
    Cancelled,
    CancelNotFound,
    CancelBadCode,
    SetupError,
    NewBooking,
    Places,
    ErrSlotMissing,
}

/// How many strings the widget's part of a pack holds.
pub const COUNT: usize = S::ErrSlotMissing as usize + 1;

/// What the frame shows if no pack can be loaded at all (it has no other language then).
pub const NO_PACK: &str = "The booking form could not be loaded. Please try again later.";

/// The first line of a pack for `locale`, without its `\n`.
pub fn header(locale: Locale) -> String {
    let mut h = String::from("kuvert-l10n ");
    h.push_str(kuvert_core::VERSION);
    h.push(' ');
    h.push_str(locale.code());
    h
}

/// A pack's text from its two files' texts: what `cargo xtask build-widget` writes, and what
/// the tests answer the frame's requests with.
pub fn pack_text(locale: Locale, wording: &str, strings: &str) -> String {
    let mut text = header(locale);
    text.push('\n');
    text.push_str(wording);
    text.push_str(strings);
    text
}

/// One language's strings, checked.
pub struct Pack {
    locale: Locale,
    text: String,
    /// Where the core's wording starts in `text`.
    wording: usize,
    /// Where the widget's strings start in `text`.
    strings: usize,
}

/// The byte offset just past the `n`th `\n` at or after `from`.
fn after_lines(text: &str, from: usize, n: usize) -> Option<usize> {
    let mut at = from;
    for _ in 0..n {
        at += text.get(at..)?.find('\n')? + 1;
    }
    Some(at)
}

impl Pack {
    /// Checks a downloaded pack for `locale`: the header names this version and `locale`, the
    /// core's part is whole ([`Wording::parse`]), and exactly [`COUNT`] strings follow, none
    /// blank. `None` otherwise.
    pub fn parse(locale: Locale, text: String) -> Option<Pack> {
        let wording = after_lines(&text, 0, 1)?;
        // `get`, not indexing, here and below: the widget links no `str`-slicing panics.
        if text.get(..wording - 1)? != header(locale) {
            return None;
        }
        let strings = after_lines(&text, wording, Wording::LINES)?;
        Wording::parse(locale, text.get(wording..strings)?)?;
        kuvert_core::is_whole_file(text.get(strings..)?, COUNT).then_some(Pack {
            locale,
            text,
            wording,
            strings,
        })
    }

    /// The language.
    pub fn locale(&self) -> Locale {
        self.locale
    }

    /// The core's wording (for the notice and the field labels).
    pub fn wording(&self) -> Wording<'_> {
        Wording::read(
            self.locale,
            self.text
                .get(self.wording..self.strings)
                .unwrap_or_default(),
        )
    }

    /// The string `s`.
    pub fn t(&self, s: S) -> &str {
        // With `after_lines`, which `parse` links anyway, not a `split` iterator of its own.
        after_lines(&self.text, self.strings, s as usize)
            .and_then(|start| {
                let line = self.text.get(start..)?;
                line.get(..line.find('\n')?)
            })
            .unwrap_or_default()
    }

    /// The string `s` with its (first) `{}` replaced by `n`.
    pub fn tn(&self, s: S, n: u32) -> String {
        let t = self.t(s);
        let mut out = String::with_capacity(t.len() + 10);
        let mut rest = t;
        // By hand: `replacen("{}", …)` (a `&str` pattern) and `to_string()` (core::fmt) each
        // link more into the Wasm than this.
        while let Some((before, after)) = rest.split_once('{') {
            out.push_str(before);
            if let Some(tail) = after.strip_prefix('}') {
                kuvert_core::push_decimal(&mut out, n.into(), 1);
                out.push_str(tail);
                return out;
            }
            out.push('{');
            rest = after;
        }
        out.push_str(rest);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    fn files(l: Locale) -> (&'static str, &'static str) {
        let strings = match l {
            Locale::En => include_str!("../l10n/en.txt"),
            Locale::Nl => include_str!("../l10n/nl.txt"),
            Locale::Sv => include_str!("../l10n/sv.txt"),
            Locale::De => include_str!("../l10n/de.txt"),
        };
        (Wording::builtin_text(l), strings)
    }

    fn pack(l: Locale) -> Pack {
        let (w, s) = files(l);
        Pack::parse(l, pack_text(l, w, s)).expect("the pack is whole")
    }

    #[test]
    fn every_language_has_every_string_and_the_same_placeholders() {
        let (_, en) = files(Locale::En);
        for l in Locale::ALL {
            let (_, strings) = files(l);
            assert_eq!(strings.lines().count(), COUNT, "{l:?}");
            for (i, (s, english)) in strings.lines().zip(en.lines()).enumerate() {
                assert!(!s.trim().is_empty(), "{l:?} string {i} is blank");
                assert_eq!(
                    s.matches("{}").count(),
                    english.matches("{}").count(),
                    "{l:?} string {i} ({s}) has different placeholders than in English"
                );
            }
            assert_eq!(pack(l).wording(), Wording::builtin(l));
        }
        assert_eq!(pack(Locale::En).t(S::Title), "Book an appointment");
        assert_eq!(pack(Locale::Nl).t(S::Language), "Taal");
        assert_eq!(pack(Locale::Sv).t(S::ErrSlotMissing), "Välj en tid.");
        assert_eq!(pack(Locale::De).tn(S::Minutes, 30), "30 Min.");
        assert_eq!(
            pack(Locale::En).tn(S::ErrTooLong, 4_294_967_295),
            "Please use at most 4294967295 characters."
        );
        assert_eq!(pack(Locale::Sv).tn(S::Places, 0), "0 kvar");
        assert_eq!(
            pack(Locale::En).tn(S::Title, 7),
            "Book an appointment",
            "no {{}} to fill"
        );
    }

    #[test]
    fn a_pack_of_another_language_or_version_or_not_whole_is_refused() {
        let (w, s) = files(Locale::Sv);
        let good = pack_text(Locale::Sv, w, s);
        let other_version = good.replacen(kuvert_core::VERSION, "0.0.0-other", 1);
        let strings: Vec<&str> = s.lines().collect();
        let short: String = strings[..COUNT - 1]
            .iter()
            .map(|l| format!("{l}\n"))
            .collect();
        let wording_short: String = w.lines().skip(1).map(|l| format!("{l}\n")).collect();
        for (why, locale, text) in [
            ("another language", Locale::De, good.clone()),
            ("another version", Locale::Sv, other_version),
            (
                "a string short",
                Locale::Sv,
                pack_text(Locale::Sv, w, &short),
            ),
            ("a string too many", Locale::Sv, format!("{good}more\n")),
            ("no final newline", Locale::Sv, good.trim_end().to_owned()),
            (
                "a wording line short",
                Locale::Sv,
                pack_text(Locale::Sv, &wording_short, s),
            ),
            (
                "an error page",
                Locale::Sv,
                "<!doctype html><p>Not found</p>".to_owned(),
            ),
            ("empty", Locale::Sv, String::new()),
        ] {
            assert!(Pack::parse(locale, text).is_none(), "{why}");
        }
        assert!(Pack::parse(Locale::Sv, good).is_some());
    }
}
