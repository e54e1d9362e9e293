//! The GDPR Art. 13 privacy notice, generated from the form schema so it always matches what
//! the form asks.
//!
//! A notice is a list of sections; [`Notice::text`] is its one canonical plain-text spelling,
//! and the notice's identity is the SHA-256 of that text ([`Notice::sha256_hex`]). The consent
//! receipt records that hash, so staff can prove which exact words the customer saw.

#[allow(unused_imports)]
use crate::prelude::*;
use sha2::{Digest, Sha256};

use crate::locale::Locale;
use crate::schema::{FieldKind, FormSchema, LegalBasis};

/// Revision of the wording templates below. Bump it whenever any template text changes; it is
/// recorded in every consent receipt next to the notice's hash.
pub const NOTICE_TEMPLATE_VERSION: u32 = 1;

/// A rendered notice in one language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// The language it is written in.
    pub locale: Locale,
    /// Title line.
    pub title: String,
    /// Sections in display order.
    pub sections: Vec<NoticeSection>,
}

/// One section: a heading, paragraphs, then a bullet list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoticeSection {
    /// Section heading.
    pub heading: String,
    /// Paragraphs before the list.
    pub paragraphs: Vec<String>,
    /// Bullet items.
    pub items: Vec<String>,
}

impl Notice {
    /// The canonical text: title, then per section `## heading`, paragraphs, `- item` lines.
    pub fn text(&self) -> String {
        let mut t = String::new();
        t.push_str(&self.title);
        t.push('\n');
        for s in &self.sections {
            t.push_str("\n## ");
            t.push_str(&s.heading);
            t.push('\n');
            for p in &s.paragraphs {
                t.push_str(p);
                t.push('\n');
            }
            for i in &s.items {
                t.push_str("- ");
                t.push_str(i);
                t.push('\n');
            }
        }
        t
    }

    /// SHA-256 of [`Notice::text`].
    pub fn sha256(&self) -> [u8; 32] {
        Sha256::digest(self.text().as_bytes()).into()
    }

    /// SHA-256 of [`Notice::text`], lowercase hex: the notice's version.
    pub fn sha256_hex(&self) -> String {
        crate::hex(&self.sha256())
    }
}

/// One language's wording: the notice's templates, the catalogue's field labels and the names
/// of the lawful bases. `{…}` in a template marks a value filled in from the schema.
///
/// The wording is data, one string per line, in `l10n/<code>.txt` beside this crate, so the
/// widget can load only the customer's language at run time (see `kuvert-widget`'s `i18n`)
/// while native code has all four built in ([`Wording::builtin`]). The files' lines, in order:
/// the [`Line`]s below, then the field labels in [`FieldKind`] order, then the lawful bases in
/// [`LegalBasis`] order. Changing any line changes the notice: bump
/// [`NOTICE_TEMPLATE_VERSION`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wording<'a> {
    locale: Locale,
    lines: [&'a str; Wording::LINES],
}

/// The templates, by their line in a wording file.
#[derive(Clone, Copy)]
enum Line {
    Title,
    Law,
    HController,
    Controller,
    Dpo,
    HFields,
    Field,
    Required,
    Optional,
    BookingFacts,
    RequiredConsequence,
    HOptional,
    OptionalIntro,
    HRecipients,
    Encrypted,
    Also,
    HRetention,
    Retention,
    HRights,
    Rights,
    Erasure,
    Withdraw,
    Contact,
    HComplaint,
    Complaint,
}

/// Where the field labels start in a wording file; the lawful bases follow them.
const FIELD_LABELS: usize = Line::Complaint as usize + 1;
const LEGAL_BASES: usize = FIELD_LABELS + 7;

/// The built-in wording files (the same files the widget's language packs are made from).
const BUILTIN: [(Locale, &str); 4] = [
    (Locale::En, include_str!("../l10n/en.txt")),
    (Locale::Nl, include_str!("../l10n/nl.txt")),
    (Locale::Sv, include_str!("../l10n/sv.txt")),
    (Locale::De, include_str!("../l10n/de.txt")),
];

// Every built-in file has exactly `Wording::LINES` lines (checked at compile time), so
// `builtin` never finds one short.
const _: () = {
    let mut i = 0;
    while i < BUILTIN.len() {
        assert!(crate::count_lines(BUILTIN[i].1) == Wording::LINES);
        i += 1;
    }
};

impl<'a> Wording<'a> {
    /// How many lines a wording file has.
    pub const LINES: usize = LEGAL_BASES + 6;

    /// Reads a wording file's text: exactly [`Wording::LINES`] lines, each ended by `\n`, none
    /// blank. `None` if it is not that (a truncated download, a file of another version).
    pub fn parse(locale: Locale, text: &'a str) -> Option<Wording<'a>> {
        crate::is_whole_file(text, Self::LINES).then(|| Self::read(locale, text))
    }

    /// Like [`Wording::parse`], without the checks (a missing line reads as empty): for text
    /// that has been parsed before.
    pub fn read(locale: Locale, text: &'a str) -> Wording<'a> {
        Wording {
            locale,
            lines: Self::split(text),
        }
    }

    fn split(text: &'a str) -> [&'a str; Wording::LINES] {
        let mut lines = [""; Wording::LINES];
        for (slot, line) in lines.iter_mut().zip(text.split('\n')) {
            *slot = line;
        }
        lines
    }

    /// The language it is written in.
    pub fn locale(&self) -> Locale {
        self.locale
    }

    fn line(&self, l: Line) -> &'a str {
        self.lines[l as usize]
    }

    /// The catalogue's label for a field.
    pub fn field_label(&self, kind: FieldKind) -> &'a str {
        let i = match kind {
            FieldKind::Name => 0,
            FieldKind::Email => 1,
            FieldKind::Phone => 2,
            FieldKind::Note => 3,
            FieldKind::PartySize => 4,
            FieldKind::DateOfBirth => 5,
            FieldKind::PostalCode => 6,
        };
        self.lines[FIELD_LABELS + i]
    }

    /// The name of a lawful basis.
    pub fn legal_basis_name(&self, basis: LegalBasis) -> &'a str {
        let i = match basis {
            LegalBasis::Consent => 0,
            LegalBasis::Contract => 1,
            LegalBasis::LegalObligation => 2,
            LegalBasis::VitalInterests => 3,
            LegalBasis::PublicTask => 4,
            LegalBasis::LegitimateInterests => 5,
        };
        self.lines[LEGAL_BASES + i]
    }
}

impl Wording<'static> {
    /// The built-in wording of `locale`. (The widget does not call this, so the four files are
    /// not linked into it: it loads the one it needs.)
    pub fn builtin(locale: Locale) -> Wording<'static> {
        Wording::read(locale, Self::builtin_text(locale))
    }

    /// The built-in wording file of `locale`, as text (for the widget's language packs).
    pub fn builtin_text(locale: Locale) -> &'static str {
        BUILTIN
            .iter()
            .find(|(l, _)| *l == locale)
            .map_or(BUILTIN[0].1, |(_, t)| t)
    }
}

/// The catalogue's field label in `locale` (built-in wording).
pub fn field_label(kind: FieldKind, locale: Locale) -> &'static str {
    Wording::builtin(locale).field_label(kind)
}

/// The name of a lawful basis in `locale` (built-in wording).
pub fn legal_basis_name(basis: LegalBasis, locale: Locale) -> &'static str {
    Wording::builtin(locale).legal_basis_name(basis)
}

fn fill(template: &str, values: &[(&str, &str)]) -> String {
    // One pass over the template: text that came from the business (which may itself contain
    // braces) is copied, never re-scanned.
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some((before, after)) = rest.split_once('{') {
        out.push_str(before);
        let known = after.split_once('}').and_then(|(key, tail)| {
            let value = values.iter().find(|(k, _)| *k == key)?.1;
            Some((value, tail))
        });
        match known {
            Some((value, tail)) => {
                out.push_str(value);
                rest = tail;
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Ends a business-written sentence with a full stop, so templates read well.
fn sentence(s: &str) -> String {
    let s = s.trim();
    if s.ends_with(['.', '!', '?']) {
        s.to_owned()
    } else {
        crate::cat(&[s, "."])
    }
}

/// Generates the notice for `schema` in `locale`, with the built-in wording.
pub fn render(schema: &FormSchema, locale: Locale) -> Notice {
    render_with(schema, &Wording::builtin(locale))
}

/// Generates the notice for `schema` in `wording`'s language.
pub fn render_with(schema: &FormSchema, wording: &Wording<'_>) -> Notice {
    let w = wording;
    let locale = w.locale;
    let c = &schema.controller;
    let base = [
        ("controller", c.name.trim()),
        ("contact", c.contact.trim()),
        ("law", w.line(Line::Law)),
    ];
    let mut sections = Vec::new();

    let mut controller = vec![fill(w.line(Line::Controller), &base)];
    if let Some(dpo) = &c.dpo {
        controller.push(fill(w.line(Line::Dpo), &[("dpo", dpo.trim())]));
    }
    sections.push(NoticeSection {
        heading: w.line(Line::HController).into(),
        paragraphs: controller,
        items: vec![],
    });

    let mut items = vec![fill(
        w.line(Line::BookingFacts),
        &[
            ("basis", w.legal_basis_name(LegalBasis::Contract)),
            ("law", w.line(Line::Law)),
        ],
    )];
    for f in &schema.fields {
        let point = f.legal_basis.article_point().to_string();
        items.push(fill(
            w.line(Line::Field),
            &[
                ("label", w.field_label(f.kind)),
                (
                    "req",
                    if f.required {
                        w.line(Line::Required)
                    } else {
                        w.line(Line::Optional)
                    },
                ),
                ("purpose", &sentence(f.purpose.get(locale))),
                ("basis", w.legal_basis_name(f.legal_basis)),
                ("law", w.line(Line::Law)),
                ("point", &point),
            ],
        ));
    }
    sections.push(NoticeSection {
        heading: w.line(Line::HFields).into(),
        paragraphs: vec![w.line(Line::RequiredConsequence).into()],
        items,
    });

    if !schema.optional_purposes.is_empty() {
        sections.push(NoticeSection {
            heading: w.line(Line::HOptional).into(),
            paragraphs: vec![fill(w.line(Line::OptionalIntro), &base)],
            items: schema
                .optional_purposes
                .iter()
                .map(|o| sentence(o.description.get(locale)))
                .collect(),
        });
    }

    sections.push(NoticeSection {
        heading: w.line(Line::HRecipients).into(),
        paragraphs: vec![fill(w.line(Line::Encrypted), &base)],
        items: schema
            .data_recipients
            .iter()
            .map(|r| {
                fill(
                    w.line(Line::Also),
                    &[
                        ("controller", c.name.trim()),
                        ("recipient", r.get(locale).trim()),
                    ],
                )
            })
            .collect(),
    });

    sections.push(NoticeSection {
        heading: w.line(Line::HRetention).into(),
        paragraphs: vec![fill(
            w.line(Line::Retention),
            &[("days", &crate::decimal(schema.retention_days.into()))],
        )],
        items: vec![],
    });

    sections.push(NoticeSection {
        heading: w.line(Line::HRights).into(),
        paragraphs: vec![
            fill(w.line(Line::Rights), &base),
            w.line(Line::Erasure).into(),
            w.line(Line::Withdraw).into(),
            fill(w.line(Line::Contact), &base),
        ],
        items: vec![],
    });

    sections.push(NoticeSection {
        heading: w.line(Line::HComplaint).into(),
        paragraphs: vec![fill(
            w.line(Line::Complaint),
            &[("authority", c.complaint_authority.trim())],
        )],
        items: vec![],
    });

    Notice {
        locale,
        title: fill(w.line(Line::Title), &base),
        sections,
    }
}
