//! The consent receipt (GDPR Art. 7(1)): proof of what the customer was shown and chose,
//! sealed inside every booking.

#[allow(unused_imports)]
use crate::prelude::*;
use serde::{Deserialize, Serialize};

use crate::locale::Locale;
use crate::notice::{NOTICE_TEMPLATE_VERSION, Notice};
use crate::schema::{BOOKING_PURPOSE, FormSchema};
use crate::utc::UtcTimestamp;

/// What the customer saw and agreed to, when, and with which widget.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentReceipt {
    /// When the customer pressed Book, `YYYY-MM-DDTHH:MM:SSZ`.
    pub time: String,
    /// The language of the notice shown.
    pub locale: Locale,
    /// SHA-256 (hex) of the exact notice text shown: the notice's version.
    pub notice_sha256: String,
    /// Revision of the notice templates that produced that text.
    pub notice_version: u32,
    /// Purposes accepted: always `booking`, plus each optional purpose ticked.
    pub accepted: Vec<String>,
    /// Optional purposes offered and left unticked.
    pub declined: Vec<String>,
    /// Version of the widget that collected the consent.
    pub widget_version: String,
}

/// Why a receipt could not be made.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConsentError {
    /// A ticked purpose is not one the form offers.
    #[error("consent was given for a purpose this form does not offer")]
    UnknownPurpose,
    /// The notice was rendered in a different language than the receipt claims (programming error).
    #[error("the notice shown does not match the receipt's language")]
    LocaleMismatch,
}

impl ConsentReceipt {
    /// Builds the receipt for a customer who read `notice` and ticked `ticked` optional purposes.
    pub fn new(
        schema: &FormSchema,
        notice: &Notice,
        ticked: &[&str],
        time: UtcTimestamp,
        widget_version: &str,
    ) -> Result<Self, ConsentError> {
        if ticked
            .iter()
            .any(|t| !schema.optional_purposes.iter().any(|o| o.id == *t))
        {
            return Err(ConsentError::UnknownPurpose);
        }
        let mut accepted = vec![BOOKING_PURPOSE.to_owned()];
        let mut declined = Vec::new();
        for o in &schema.optional_purposes {
            if ticked.contains(&o.id.as_str()) {
                accepted.push(o.id.clone());
            } else {
                declined.push(o.id.clone());
            }
        }
        Ok(Self {
            time: time.to_rfc3339(),
            locale: notice.locale,
            notice_sha256: notice.sha256_hex(),
            notice_version: NOTICE_TEMPLATE_VERSION,
            accepted,
            declined,
            widget_version: widget_version.to_owned(),
        })
    }

    /// Appends the receipt as JSON, members in declaration order (as serde writes them).
    pub(crate) fn write_json(&self, out: &mut String) {
        let mut o = crate::json::Obj::open(out);
        o.str("time", &self.time)
            .str("locale", self.locale.code())
            .str("notice_sha256", &self.notice_sha256)
            .num("notice_version", self.notice_version)
            .strs("accepted", &self.accepted)
            .strs("declined", &self.declined)
            .str("widget_version", &self.widget_version);
        o.close();
    }

    /// Re-checks the receipt of an opened booking (it is hostile input, like the fields; see
    /// [`crate::minimise::recheck_fields`]). Every member must have the shape the widget
    /// writes: a canonical UTC time, a lowercase hex SHA-256, purpose ids, each purpose
    /// once, `booking` accepted, and a plain version string. With the form's `schema`, the
    /// purposes must be exactly the form's: `booking` and each optional purpose, accepted or
    /// declined. Returns which rule failed, never a value.
    pub fn recheck(&self, schema: Option<&FormSchema>) -> Result<(), &'static str> {
        if UtcTimestamp::parse(&self.time).is_err() {
            return Err("the consent time is not YYYY-MM-DDTHH:MM:SSZ");
        }
        if self.notice_sha256.len() != 64
            || !self
                .notice_sha256
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err("the notice hash is not a lowercase hex SHA-256");
        }
        let version_ok = !self.widget_version.is_empty()
            && self.widget_version.len() <= 32
            && self
                .widget_version
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".+-".contains(&b));
        if !version_ok {
            return Err("the widget version is not a version string");
        }
        let all: Vec<&String> = self.accepted.iter().chain(&self.declined).collect();
        if all.iter().any(|p| !crate::schema::is_valid_id(p)) {
            return Err("a consent purpose is not a purpose id");
        }
        if all.iter().enumerate().any(|(i, p)| all[..i].contains(p)) {
            return Err("a consent purpose is listed twice");
        }
        if !self.accepted.iter().any(|p| p == BOOKING_PURPOSE) {
            return Err("the required booking purpose was not accepted");
        }
        if let Some(schema) = schema {
            let known = |p: &&String| {
                *p == BOOKING_PURPOSE || schema.optional_purposes.iter().any(|o| &o.id == *p)
            };
            if !all.iter().all(known) || all.len() != schema.optional_purposes.len() + 1 {
                return Err("the consent purposes are not the form's purposes");
            }
        }
        Ok(())
    }

    /// Whether this receipt records `notice` (same text, same language).
    pub fn matches_notice(&self, notice: &Notice) -> bool {
        self.locale == notice.locale && self.notice_sha256 == notice.sha256_hex()
    }
}
