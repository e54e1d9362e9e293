//! The envelope: what the widget posts, what the inbox stores, what staff open.
//!
//! ```json
//! {"kuvert":1,"form":"salon","public":{"service":"cut","start":"2027-03-01T09:00:00Z",
//!  "end":"2027-03-01T09:30:00Z"},"sealed":"<base64 age v1 file>","cancel":"<hex sha256>"}
//! ```
//!
//! The sealed part is an age v1 file whose plaintext is the [`Booking`] as JSON, padded with
//! spaces to a multiple of [`PAD_BLOCK`] bytes so its length does not reveal how long a name or
//! note is. The public facts are repeated inside, so staff can detect a swap by the inbox.

#[allow(unused_imports)]
use crate::prelude::*;
use base64::{Engine, engine::general_purpose::STANDARD};
use rand_core::TryCryptoRng;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::age::{self, HeaderError, SealError};
use crate::cancel::{CancelCode, is_cancel_hash};
use crate::consent::ConsentReceipt;
use crate::json;
use crate::minimise::Fields;
use crate::recipient::Recipient;
use crate::schema::is_valid_id;
use crate::utc::UtcTimestamp;

/// The envelope format version this crate reads and writes.
pub const ENVELOPE_VERSION: u32 = 1;
/// Sealed plaintext is padded to a multiple of this many bytes.
pub const PAD_BLOCK: usize = 256;
/// Largest padded plaintext that may be sealed.
pub const MAX_PLAINTEXT: usize = 32 * 1024;
/// Largest sealed part (binary age file) accepted: the plaintext limit plus room for headers.
pub const MAX_SEALED_BYTES: usize = MAX_PLAINTEXT + 4 * 1024;
/// Largest envelope JSON accepted.
pub const MAX_ENVELOPE_BYTES: usize = MAX_SEALED_BYTES * 4 / 3 + 2 * 1024;
/// Longest allowed booking: a week.
const MAX_BOOKING_SECS: i64 = 7 * 86_400;

/// The facts the inbox must know to run the calendar; they travel in the clear and sealed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicFacts {
    /// Service id.
    pub service: String,
    /// Slot start, `YYYY-MM-DDTHH:MM:SSZ`.
    pub start: String,
    /// Slot end, `YYYY-MM-DDTHH:MM:SSZ`.
    pub end: String,
}

impl PublicFacts {
    /// Appends the facts as JSON, members in declaration order (as serde writes them).
    fn write_json(&self, out: &mut String) {
        let mut o = json::Obj::open(out);
        o.str("service", &self.service)
            .str("start", &self.start)
            .str("end", &self.end);
        o.close();
    }

    /// Checks the service id and times; returns (start, end).
    pub fn validate(&self) -> Result<(UtcTimestamp, UtcTimestamp), Error> {
        if !is_valid_id(&self.service) {
            return Err(Error::InvalidPublicFacts("service is not a valid id"));
        }
        let start = UtcTimestamp::parse(&self.start)
            .map_err(|_| Error::InvalidPublicFacts("start is not YYYY-MM-DDTHH:MM:SSZ"))?;
        let end = UtcTimestamp::parse(&self.end)
            .map_err(|_| Error::InvalidPublicFacts("end is not YYYY-MM-DDTHH:MM:SSZ"))?;
        if end <= start || end.unix() - start.unix() > MAX_BOOKING_SECS {
            return Err(Error::InvalidPublicFacts(
                "end must be after start, within a week",
            ));
        }
        Ok((start, end))
    }
}

/// The envelope as posted to and stored by the inbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// Format version, [`ENVELOPE_VERSION`].
    pub kuvert: u32,
    /// Form id.
    pub form: String,
    /// The public booking facts.
    pub public: PublicFacts,
    /// Standard base64 (with padding) of the binary age v1 file.
    pub sealed: String,
    /// Lowercase hex SHA-256 of the customer's cancellation code.
    pub cancel: String,
}

/// The sealed plaintext: everything about one booking.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Booking {
    /// Format version, [`ENVELOPE_VERSION`].
    pub kuvert: u32,
    /// Form id; must equal the envelope's.
    pub form: String,
    /// Public facts; must equal the envelope's.
    pub public: PublicFacts,
    /// The customer's validated answers.
    pub fields: Fields,
    /// The consent receipt.
    pub consent: ConsentReceipt,
}

impl Booking {
    /// Re-checks an opened booking's contents, which are hostile input: its fields
    /// ([`recheck_fields`](crate::minimise::recheck_fields)) and its consent receipt
    /// ([`ConsentReceipt::recheck`]), against the form's `schema` when it is known. The staff
    /// side shows nothing that fails this. (Form id and public facts are checked against the
    /// envelope, whose own checks they then share.)
    pub fn recheck(&self, schema: Option<&crate::FormSchema>) -> Result<(), Error> {
        crate::minimise::recheck_fields(schema, &self.fields).map_err(Error::InvalidFields)?;
        self.consent.recheck(schema).map_err(Error::InvalidConsent)
    }

    /// Appends the booking as compact JSON to `out`: the text that is padded and sealed.
    ///
    /// The same text as `serde_json::to_string` writes (members in declaration order, fields
    /// in key order), without serde_json's serializer in the widget (see `json.rs`). The
    /// caller owns the buffer, so it decides how the plaintext is wiped: [`seal`] writes into
    /// a `Zeroizing` buffer sized so that it never grows.
    pub fn write_json(&self, out: &mut String) {
        let mut o = json::Obj::open(out);
        o.num("kuvert", self.kuvert).str("form", &self.form);
        self.public.write_json(o.key("public"));
        self.fields.write_json(o.key("fields"));
        self.consent.write_json(o.key("consent"));
        o.close();
    }
}

/// Everything that can be wrong with an envelope, from its JSON down to the sealed booking.
///
/// One variant per failure, each with a stable [`code`](Error::code). Messages never contain
/// key material, plaintext or the customer's data.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The envelope or its sealed part is larger than allowed.
    #[error("envelope is too large (limit {limit} bytes)")]
    Oversize {
        /// The limit that was exceeded, in bytes.
        limit: usize,
    },
    /// Not JSON, or not the envelope's shape (missing, unknown or mistyped key).
    #[error("envelope is not valid JSON of the expected shape: {0}")]
    MalformedEnvelope(String),
    /// The `kuvert` version (outside or inside) is not one this software reads.
    #[error("envelope version is not supported (this software reads version 1)")]
    UnsupportedVersion,
    /// The form id is not a valid id.
    #[error("form is not a valid form id")]
    InvalidForm,
    /// The public facts are not valid (bad service id, times, or order).
    #[error("public booking facts are invalid: {0}")]
    InvalidPublicFacts(&'static str),
    /// `cancel` is not a lowercase hex SHA-256.
    #[error("cancel must be the lowercase hex SHA-256 of the cancellation code")]
    InvalidCancelHash,
    /// `sealed` is not standard base64.
    #[error("sealed is not valid standard base64")]
    BadBase64,
    /// `sealed` is not a well-formed age v1 file for X25519 recipients.
    #[error("sealed is not a well-formed age file: {0}")]
    MalformedAge(HeaderError),
    /// None of the given identities is a recipient of this booking.
    #[error("none of the given keys can open this booking (sealed to other keys)")]
    NoMatchingIdentity,
    /// The age header's MAC does not verify: the header was altered.
    #[error("the sealed header was altered (MAC check failed)")]
    HeaderMac,
    /// A payload chunk does not authenticate: the ciphertext was altered.
    #[error("the sealed content was altered (authentication failed)")]
    PayloadAuth,
    /// The payload ends early: its final chunk is missing or cut.
    #[error("the sealed content is truncated")]
    Truncated,
    /// The payload authenticates but more bytes follow it.
    #[error("the sealed content has trailing data after its end")]
    TrailingData,
    /// The decrypted plaintext is not a booking of the expected shape.
    #[error("the sealed content is not a valid booking")]
    MalformedPlaintext,
    /// The sealed form id differs from the envelope's.
    #[error("the form id outside does not match the one sealed inside")]
    FormMismatch,
    /// The sealed public facts differ from the envelope's: the inbox's copy was changed.
    #[error("the public booking facts outside do not match those sealed inside")]
    PublicMismatch,
    /// The sealed fields break the form's rules (unknown field, control or bidi characters,
    /// wrong shape, not normalised): the booking was not made by the widget.
    #[error(
        "the sealed fields break the form's rules ({0}); the booking did not come from the widget"
    )]
    InvalidFields(crate::minimise::FieldErrors),
    /// The sealed consent receipt is not of the shape the widget writes.
    #[error("the sealed consent receipt is invalid: {0}")]
    InvalidConsent(&'static str),
}

impl Error {
    /// A stable, machine-readable code for this error (used by the inbox's API and test vectors).
    pub fn code(&self) -> &'static str {
        match self {
            Error::Oversize { .. } => "oversize",
            Error::MalformedEnvelope(_) => "malformed_envelope",
            Error::UnsupportedVersion => "unsupported_version",
            Error::InvalidForm => "invalid_form",
            Error::InvalidPublicFacts(_) => "invalid_public",
            Error::InvalidCancelHash => "invalid_cancel",
            Error::BadBase64 => "bad_base64",
            Error::MalformedAge(_) => "malformed_age",
            Error::NoMatchingIdentity => "no_matching_identity",
            Error::HeaderMac => "header_mac",
            Error::PayloadAuth => "payload_auth",
            Error::Truncated => "truncated",
            Error::TrailingData => "trailing_data",
            Error::MalformedPlaintext => "malformed_plaintext",
            Error::FormMismatch => "form_mismatch",
            Error::PublicMismatch => "public_mismatch",
            Error::InvalidFields(_) => "invalid_fields",
            Error::InvalidConsent(_) => "invalid_consent",
        }
    }
}

impl Envelope {
    /// Parses and validates an envelope from JSON (see [`Envelope::validate`]).
    pub fn from_json(json: &[u8]) -> Result<Envelope, Error> {
        if json.len() > MAX_ENVELOPE_BYTES {
            return Err(Error::Oversize {
                limit: MAX_ENVELOPE_BYTES,
            });
        }
        // Look at the version first, so a future format gets "unsupported version" rather
        // than a confusing shape error.
        let value: serde_json::Value = serde_json::from_slice(json).map_err(|e| {
            Error::MalformedEnvelope(format!(
                "not JSON (line {}, column {})",
                e.line(),
                e.column()
            ))
        })?;
        match value.get("kuvert") {
            Some(v) if v.as_u64() == Some(u64::from(ENVELOPE_VERSION)) => {}
            Some(_) => return Err(Error::UnsupportedVersion),
            None => return Err(Error::MalformedEnvelope("missing field `kuvert`".into())),
        }
        let envelope: Envelope =
            serde_json::from_value(value).map_err(|e| Error::MalformedEnvelope(e.to_string()))?;
        envelope.validate()?;
        Ok(envelope)
    }

    /// Everything that can be checked without a key: version, ids, times, cancel hash, size,
    /// base64, and the age file's structure (1..=8 X25519 stanzas, canonical encoding).
    pub fn validate(&self) -> Result<(), Error> {
        if self.kuvert != ENVELOPE_VERSION {
            return Err(Error::UnsupportedVersion);
        }
        if !is_valid_id(&self.form) {
            return Err(Error::InvalidForm);
        }
        self.public.validate()?;
        if !is_cancel_hash(&self.cancel) {
            return Err(Error::InvalidCancelHash);
        }
        let file = self.sealed_bytes()?;
        age::parse(&file).map_err(Error::MalformedAge)?;
        Ok(())
    }

    /// Decodes `sealed`, enforcing the size limit before decoding.
    pub fn sealed_bytes(&self) -> Result<Vec<u8>, Error> {
        if self.sealed.len() > MAX_SEALED_BYTES.div_ceil(3) * 4 {
            return Err(Error::Oversize {
                limit: MAX_SEALED_BYTES,
            });
        }
        let file = STANDARD
            .decode(self.sealed.as_bytes())
            .map_err(|_| Error::BadBase64)?;
        if file.len() > MAX_SEALED_BYTES {
            return Err(Error::Oversize {
                limit: MAX_SEALED_BYTES,
            });
        }
        Ok(file)
    }

    /// The envelope as compact JSON.
    ///
    /// The same text as `serde_json::to_string` writes, without serde_json's serializer in the
    /// widget (see `json.rs`).
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(self.sealed.len() + 256);
        let mut o = json::Obj::open(&mut out);
        o.num("kuvert", self.kuvert).str("form", &self.form);
        self.public.write_json(o.key("public"));
        o.str("sealed", &self.sealed).str("cancel", &self.cancel);
        o.close();
        out
    }
}

/// Seals `booking` to `recipients` and builds the envelope with `cancel`'s hash.
///
/// The plaintext is written into one pre-sized buffer, padded with spaces to a multiple of
/// [`PAD_BLOCK`], encrypted, and zeroized. Randomness comes from `rng`.
pub fn seal<R: TryCryptoRng + ?Sized>(
    rng: &mut R,
    recipients: &[Recipient],
    booking: &Booking,
    cancel: &CancelCode,
) -> Result<Envelope, SealError> {
    if booking.kuvert != ENVELOPE_VERSION || !is_valid_id(&booking.form) {
        return Err(SealError::InvalidBooking);
    }
    booking
        .public
        .validate()
        .map_err(|_| SealError::InvalidBooking)?;
    // One buffer, as large as any plaintext may be, so that writing and padding never move
    // the text (a buffer that grows leaves its old copy behind, unwiped). A booking too large
    // for it still grows it, and is refused just below; in the widget the allocator wipes
    // every block it frees (kuvert-widget's `rt.rs`), so no copy outlives this function there.
    let mut plaintext = Zeroizing::new(String::with_capacity(MAX_PLAINTEXT));
    booking.write_json(&mut plaintext);
    let padded = plaintext.len().div_ceil(PAD_BLOCK).max(1) * PAD_BLOCK;
    if padded > MAX_PLAINTEXT {
        return Err(SealError::TooLarge {
            size: padded,
            max: MAX_PLAINTEXT,
        });
    }
    while plaintext.len() < padded {
        plaintext.push(' ');
    }
    let file = age::encrypt(rng, recipients, plaintext.as_bytes())?;
    Ok(Envelope {
        kuvert: ENVELOPE_VERSION,
        form: booking.form.clone(),
        public: booking.public.clone(),
        sealed: kuvert_age::base64(&file, true),
        cancel: cancel.hash_hex(),
    })
}

/// [`seal`] with the operating system's (or browser's) secure random number generator.
pub fn seal_with_os_rng(
    recipients: &[Recipient],
    booking: &Booking,
    cancel: &CancelCode,
) -> Result<Envelope, SealError> {
    seal(&mut getrandom::SysRng, recipients, booking, cancel)
}
