//! The booking form a business configures: who it is, what it offers, what it asks and why.
//!
//! A schema is deserialised (JSON here, TOML in the inbox's config) and then [`validate`]d;
//! every problem names its path in the config and how to fix it. Recipient public keys are
//! deliberately *not* part of the schema: they come from the snippet on the business's page,
//! so the inbox that serves this schema cannot substitute its own key.
//!
//! [`validate`]: FormSchema::validate

#[allow(unused_imports)]
use crate::prelude::*;
use core::fmt;

use serde::{Deserialize, Serialize};

use crate::locale::{Locale, Localized};

/// Bounds for [`FormSchema::retention_days`].
pub const RETENTION_DAYS: core::ops::RangeInclusive<u32> = 1..=3650;
/// Bounds for [`Service::duration_minutes`].
pub const DURATION_MINUTES: core::ops::RangeInclusive<u32> = 5..=1440;
/// Bounds for [`Service::capacity`].
pub const CAPACITY: core::ops::RangeInclusive<u32> = 1..=1000;
/// The purpose id every booking is processed for; the optional purposes may not reuse it.
pub const BOOKING_PURPOSE: &str = "booking";

/// A business's booking form.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormSchema {
    /// Form id: lowercase letters, digits and `-`, 1–63 characters (e.g. `salon`).
    pub id: String,
    /// The data controller (the business) as named in the notice.
    pub controller: Controller,
    /// The services that can be booked.
    pub services: Vec<Service>,
    /// The fields asked of the customer, from the fixed catalogue, in display order.
    pub fields: Vec<FieldSpec>,
    /// Optional purposes (reminders, newsletter …), never pre-ticked.
    #[serde(default)]
    pub optional_purposes: Vec<OptionalPurpose>,
    /// Who else receives the data (e.g. "our accountant"), as listed in the notice.
    #[serde(default)]
    pub data_recipients: Vec<Localized>,
    /// Days a booking is kept after its appointment ends, then erased.
    pub retention_days: u32,
    /// Country calling code (digits, e.g. `"46"`) used to write local phone numbers as E.164.
    #[serde(default)]
    pub phone_country_code: Option<String>,
}

/// The controller's identity and contacts (GDPR Art. 13(1)(a), (b) and 13(2)(d)).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Controller {
    /// Legal name of the business.
    pub name: String,
    /// How customers reach the business about their data (address, e-mail or phone).
    pub contact: String,
    /// Contact of the data protection officer, where there is one.
    #[serde(default)]
    pub dpo: Option<String>,
    /// The supervisory authority a customer can complain to, with how to reach it.
    pub complaint_authority: String,
}

/// Something that can be booked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Service id (same rules as the form id), e.g. `cut`.
    pub id: String,
    /// Display name.
    pub name: Localized,
    /// Length of one appointment, minutes.
    pub duration_minutes: u32,
    /// How many bookings one slot can hold.
    #[serde(default = "one")]
    pub capacity: u32,
}

fn one() -> u32 {
    1
}

/// The fixed catalogue of fields a form may ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    /// The customer's name.
    Name,
    /// E-mail address (checked, domain lowercased).
    Email,
    /// Phone number (normalised to E.164 where possible).
    Phone,
    /// Free text; scanned for card and national ID numbers before sealing.
    Note,
    /// Number of people, 1–99.
    PartySize,
    /// Date of birth, `YYYY-MM-DD`.
    DateOfBirth,
    /// Postal code.
    PostalCode,
}

impl FieldKind {
    /// Every kind in the catalogue.
    pub const ALL: [FieldKind; 7] = [
        FieldKind::Name,
        FieldKind::Email,
        FieldKind::Phone,
        FieldKind::Note,
        FieldKind::PartySize,
        FieldKind::DateOfBirth,
        FieldKind::PostalCode,
    ];

    /// The key used in submitted data and the sealed booking (`name`, `email`, …).
    pub fn key(self) -> &'static str {
        match self {
            FieldKind::Name => "name",
            FieldKind::Email => "email",
            FieldKind::Phone => "phone",
            FieldKind::Note => "note",
            FieldKind::PartySize => "party_size",
            FieldKind::DateOfBirth => "date_of_birth",
            FieldKind::PostalCode => "postal_code",
        }
    }

    /// Looks a kind up by its key.
    pub fn from_key(key: &str) -> Option<FieldKind> {
        FieldKind::ALL.into_iter().find(|k| k.key() == key)
    }

    /// Default length limit in characters.
    pub fn default_max_length(self) -> u32 {
        match self {
            FieldKind::Name => 100,
            FieldKind::Email => 254,
            FieldKind::Phone => 32,
            FieldKind::Note => 1000,
            FieldKind::PartySize => 2,
            FieldKind::DateOfBirth => 10,
            FieldKind::PostalCode => 16,
        }
    }

    /// The largest limit a business may configure.
    pub fn max_max_length(self) -> u32 {
        match self {
            FieldKind::Name => 200,
            FieldKind::Note => 4000,
            other => other.default_max_length(),
        }
    }

    /// Whether this is free text that customers might paste anything into.
    pub fn is_free_text(self) -> bool {
        matches!(self, FieldKind::Note)
    }
}

/// GDPR Art. 6(1) lawful bases.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LegalBasis {
    /// Art. 6(1)(a): consent.
    Consent,
    /// Art. 6(1)(b): necessary for a contract (the booking) the customer asks for.
    Contract,
    /// Art. 6(1)(c): a legal obligation of the controller.
    LegalObligation,
    /// Art. 6(1)(d): vital interests.
    VitalInterests,
    /// Art. 6(1)(e): a task in the public interest.
    PublicTask,
    /// Art. 6(1)(f): legitimate interests.
    LegitimateInterests,
}

impl LegalBasis {
    /// The letter of Art. 6(1).
    pub fn article_point(self) -> char {
        match self {
            LegalBasis::Consent => 'a',
            LegalBasis::Contract => 'b',
            LegalBasis::LegalObligation => 'c',
            LegalBasis::VitalInterests => 'd',
            LegalBasis::PublicTask => 'e',
            LegalBasis::LegitimateInterests => 'f',
        }
    }
}

/// One field the form asks for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    /// Which catalogue field.
    pub kind: FieldKind,
    /// Whether the booking cannot be made without it.
    #[serde(default)]
    pub required: bool,
    /// Why it is asked: shown next to the field and in the notice.
    pub purpose: Localized,
    /// The lawful basis for asking.
    pub legal_basis: LegalBasis,
    /// Length limit in characters; defaults to the catalogue's.
    #[serde(default)]
    pub max_length: Option<u32>,
}

impl FieldSpec {
    /// The length limit in force.
    pub fn max_length(&self) -> u32 {
        self.max_length
            .unwrap_or_else(|| self.kind.default_max_length())
    }
}

/// A purpose the customer may opt in to. It is always offered unticked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionalPurpose {
    /// Purpose id, e.g. `reminders`.
    pub id: String,
    /// What the customer agrees to, shown next to the checkbox.
    pub description: Localized,
    /// Present only so that a config trying to pre-tick a purpose gets a clear error.
    #[serde(default, skip_serializing)]
    pub preticked: bool,
}

/// One problem found in a schema: where, what, and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemaProblem {
    /// Path in the config, e.g. `services[1].duration_minutes`.
    pub path: String,
    /// What is wrong.
    pub problem: String,
    /// How to fix it.
    pub fix: String,
}

impl fmt::Display for SchemaProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}; {}", self.path, self.problem, self.fix)
    }
}

/// Why a schema was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaError {
    /// Not valid JSON of the schema's shape (unknown or missing key, wrong type).
    #[error("form config is not valid at line {line}, column {column}: {message}")]
    Syntax {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the parser expected.
        message: String,
    },
    /// Well-formed but breaks one or more rules; each names its path and fix.
    #[error("form config has {} problem(s):\n{}", .0.len(), join(.0))]
    Invalid(Vec<SchemaProblem>),
}

fn join(problems: &[SchemaProblem]) -> String {
    problems
        .iter()
        .map(|p| format!("  - {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether `id` is a valid form, service or purpose id: `[a-z0-9][a-z0-9-]{0,62}`.
pub fn is_valid_id(id: &str) -> bool {
    let b = id.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

impl FormSchema {
    /// Parses and validates a schema from JSON.
    pub fn from_json(json: &str) -> Result<FormSchema, SchemaError> {
        let schema: FormSchema = serde_json::from_str(json).map_err(|e| SchemaError::Syntax {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        schema.validate()?;
        Ok(schema)
    }

    /// Checks every rule, reporting all problems at once.
    pub fn validate(&self) -> Result<(), SchemaError> {
        let mut p = Problems(Vec::new());
        if !is_valid_id(&self.id) {
            p.add(
                "id",
                format!("`{}` is not a valid form id", self.id),
                "use 1-63 lowercase letters, digits or '-', starting with a letter or digit (e.g. \"salon\")",
            );
        }
        let c = &self.controller;
        for (path, value, fix) in [
            ("controller.name", &c.name, "give the business's legal name"),
            (
                "controller.contact",
                &c.contact,
                "give an address, e-mail or phone customers can use about their data",
            ),
            (
                "controller.complaint_authority",
                &c.complaint_authority,
                "name the data protection authority customers can complain to, with its website",
            ),
        ] {
            if value.trim().is_empty() {
                p.add(path, "must not be empty".into(), fix);
            }
        }
        if c.dpo.as_deref().is_some_and(|d| d.trim().is_empty()) {
            p.add(
                "controller.dpo",
                "is empty".into(),
                "give the DPO's contact or remove the key",
            );
        }

        if self.services.is_empty() {
            p.add(
                "services",
                "no service is configured".into(),
                "add at least one [[services]] entry with id, name and duration_minutes",
            );
        }
        for (i, s) in self.services.iter().enumerate() {
            let at = |k: &str| format!("services[{i}].{k}");
            if !is_valid_id(&s.id) {
                p.add(
                    &at("id"),
                    format!("`{}` is not a valid service id", s.id),
                    "use 1-63 lowercase letters, digits or '-' (e.g. \"cut\")",
                );
            } else if self.services[..i].iter().any(|o| o.id == s.id) {
                p.add(
                    &at("id"),
                    format!("`{}` is used twice", s.id),
                    "give each service its own id",
                );
            }
            if s.name.has_blank() {
                p.add(
                    &at("name"),
                    "must not be empty".into(),
                    "give the service a display name",
                );
            }
            if !DURATION_MINUTES.contains(&s.duration_minutes) {
                p.add(
                    &at("duration_minutes"),
                    format!("{} is out of range", s.duration_minutes),
                    "use 5 to 1440 minutes",
                );
            }
            if !CAPACITY.contains(&s.capacity) {
                p.add(
                    &at("capacity"),
                    format!("{} is out of range", s.capacity),
                    "use 1 to 1000 bookings per slot",
                );
            }
        }

        if self.fields.is_empty() {
            p.add(
                "fields",
                "no field is configured".into(),
                "ask for at least one field (e.g. name or email) so staff can reach the customer",
            );
        }
        for (i, f) in self.fields.iter().enumerate() {
            let at = |k: &str| format!("fields[{i}].{k}");
            if self.fields[..i].iter().any(|o| o.kind == f.kind) {
                p.add(
                    &at("kind"),
                    format!("`{}` is asked twice", f.kind.key()),
                    "ask for each field once",
                );
            }
            if f.purpose.has_blank() {
                p.add(&at("purpose"), "must not be empty".into(), "say why this field is needed; it is shown to the customer (GDPR Art. 13(1)(c))");
            }
            if let Some(max) = f.max_length {
                let cap = f.kind.max_max_length();
                if max == 0 || max > cap {
                    p.add(
                        &at("max_length"),
                        format!("{max} is out of range"),
                        &format!("use 1 to {cap} for `{}`", f.kind.key()),
                    );
                }
            }
            if f.required && f.legal_basis == LegalBasis::Consent {
                p.add(&at("legal_basis"), "a required field cannot rest on consent".into(), "consent must be freely given: make the field optional, or use the basis that really applies (usually \"contract\")");
            }
        }

        for (i, o) in self.optional_purposes.iter().enumerate() {
            let at = |k: &str| format!("optional_purposes[{i}].{k}");
            if !is_valid_id(&o.id) || o.id == BOOKING_PURPOSE {
                p.add(&at("id"), format!("`{}` is not a valid purpose id", o.id), "use 1-63 lowercase letters, digits or '-', other than \"booking\" (e.g. \"reminders\")");
            } else if self.optional_purposes[..i].iter().any(|x| x.id == o.id) {
                p.add(
                    &at("id"),
                    format!("`{}` is used twice", o.id),
                    "give each purpose its own id",
                );
            }
            if o.description.has_blank() {
                p.add(
                    &at("description"),
                    "must not be empty".into(),
                    "describe what the customer agrees to",
                );
            }
            if o.preticked {
                p.add(&at("preticked"), "optional purposes are never pre-ticked".into(), "remove `preticked`: consent must be an active choice (GDPR Art. 4(11), Art. 7)");
            }
        }
        for (i, r) in self.data_recipients.iter().enumerate() {
            if r.has_blank() {
                p.add(
                    &format!("data_recipients[{i}]"),
                    "must not be empty".into(),
                    "name the recipient or remove the entry",
                );
            }
        }
        if !RETENTION_DAYS.contains(&self.retention_days) {
            p.add(
                "retention_days",
                format!("{} is out of range", self.retention_days),
                "keep bookings 1 to 3650 days after the appointment",
            );
        }
        if let Some(cc) = &self.phone_country_code
            && (cc.is_empty()
                || cc.len() > 3
                || !cc.bytes().all(|b| b.is_ascii_digit())
                || cc.starts_with('0'))
        {
            p.add(
                "phone_country_code",
                format!("`{cc}` is not a country calling code"),
                "use 1-3 digits without '+' or leading zero (e.g. \"46\" for Sweden)",
            );
        }
        if p.0.is_empty() {
            Ok(())
        } else {
            Err(SchemaError::Invalid(p.0))
        }
    }

    /// The field spec for `kind`, if the form asks for it.
    pub fn field(&self, kind: FieldKind) -> Option<&FieldSpec> {
        self.fields.iter().find(|f| f.kind == kind)
    }

    /// The service with id `id`.
    pub fn service(&self, id: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.id == id)
    }

    /// Whether every configured text is given in `locale` (otherwise it falls back to English).
    pub fn fully_translated(&self, locale: Locale) -> bool {
        let has = |l: &Localized| match l {
            Localized::One(_) => true,
            Localized::Many(m) => m.contains_key(&locale),
        };
        self.services.iter().all(|s| has(&s.name))
            && self.fields.iter().all(|f| has(&f.purpose))
            && self.optional_purposes.iter().all(|o| has(&o.description))
            && self.data_recipients.iter().all(has)
    }
}

struct Problems(Vec<SchemaProblem>);

impl Problems {
    fn add(&mut self, path: &str, problem: String, fix: &str) {
        self.0.push(SchemaProblem {
            path: path.to_owned(),
            problem,
            fix: fix.to_owned(),
        });
    }
}
