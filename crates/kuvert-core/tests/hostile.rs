//! "Every decrypted field is hostile input" (security review, issue 18, finding 1). Anyone can
//! seal a booking to the business's public key (it is in the page source) and post it past the
//! widget. These bookings are sealed the way such a person would: with the core's sealer fed
//! fields that never went through `validate_fields`. Opening must refuse each of them.

mod common;

use std::collections::BTreeMap;

use common::*;
use kuvert_core::minimise::{FieldProblem, Fields, validate_fields};
use kuvert_core::open::open;
use kuvert_core::{Booking, seal};

fn hostile_fields(pairs: &[(&str, &str)]) -> Fields {
    Fields::from_map(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect::<BTreeMap<_, _>>(),
    )
}

/// A valid booking, then `edit` applied, sealed to a test key and opened with it.
fn open_edited(seed: u64, edit: impl FnOnce(&mut Booking)) -> Result<Booking, kuvert_core::Error> {
    let schema = salon();
    let mut r = rng(seed);
    let keys = Keys::new(&mut r);
    let mut booking = random_booking(&mut r, &schema);
    edit(&mut booking);
    let code = cancel_code(&mut r);
    let envelope = seal(
        &mut r,
        std::slice::from_ref(&keys.recipient),
        &booking,
        &code,
    )
    .unwrap();
    open(&envelope, &[keys.identity()])
}

/// The review's payload: clear screen, red text, a forged row, and an OSC 52 clipboard write.
const TERMINAL_INJECTION: &str = "\u{1b}[2J\u{1b}[31m FAKE\u{1b}]52;c;aGVsbG8=\u{7}";

#[test]
fn terminal_injection_in_a_sealed_name_is_refused_on_opening() {
    let err = open_edited(1, |b| {
        b.fields = hostile_fields(&[("name", TERMINAL_INJECTION), ("phone", "+46701234567")]);
    })
    .unwrap_err();
    assert_eq!(err.code(), "invalid_fields");
    let message = err.to_string();
    assert!(
        message.contains("name: contains characters that are not allowed"),
        "{message}"
    );
    assert!(!message.contains('\u{1b}'), "the message quotes the value");
}

#[test]
fn every_class_of_hostile_field_is_refused_on_opening() {
    let cases: &[(&str, &[(&str, &str)])] = &[
        ("bidi override in a name", &[("name", "Ann \u{202e}gre B")]),
        (
            "bidi isolate in a note",
            &[("name", "Ann"), ("note", "ok \u{2067}x")],
        ),
        ("C1 control (CSI)", &[("name", "Ann\u{9b}31m")]),
        ("DEL", &[("name", "Ann\u{7f}")]),
        (
            "carriage return in a note",
            &[("name", "Ann"), ("note", "one\rtwo")],
        ),
        ("line feed in a name", &[("name", "Ann\nBerg")]),
        (
            "unknown field",
            &[("name", "Ann"), ("<img src=x onerror=alert(1)>", "x")],
        ),
        (
            "not an e-mail",
            &[("name", "Ann"), ("email", "=HYPERLINK(\"x\")")],
        ),
        ("not a phone", &[("name", "Ann"), ("phone", "+46 70 ESC")]),
        ("not normalised (spaces)", &[("name", "  Ann   Berg ")]),
        ("too long for any form", &[("name", &"A".repeat(10_000))]),
        ("empty value", &[("name", "")]),
    ];
    for (i, (what, fields)) in cases.iter().enumerate() {
        let err = open_edited(10 + i as u64, |b| b.fields = hostile_fields(fields)).unwrap_err();
        assert_eq!(err.code(), "invalid_fields", "{what}");
    }
}

#[test]
fn hostile_consent_receipts_are_refused_on_opening() {
    type Edit = Box<dyn Fn(&mut Booking)>;
    let cases: Vec<(&str, Edit)> = vec![
        (
            "control in a purpose id",
            Box::new(|b| b.consent.accepted.push("x\u{1b}[2J".into())),
        ),
        (
            "bidi in a declined purpose",
            Box::new(|b| b.consent.declined.push("a\u{202e}".into())),
        ),
        (
            "purpose twice",
            Box::new(|b| b.consent.accepted.push("booking".into())),
        ),
        (
            "booking not accepted",
            Box::new(|b| b.consent.accepted.retain(|p| p != "booking")),
        ),
        (
            "notice hash not hex",
            Box::new(|b| b.consent.notice_sha256 = "\u{1b}]52;c;x".into()),
        ),
        (
            "time not canonical",
            Box::new(|b| b.consent.time = "yesterday".into()),
        ),
        (
            "widget version with controls",
            Box::new(|b| b.consent.widget_version = "1\u{7}".into()),
        ),
    ];
    for (i, (what, edit)) in cases.into_iter().enumerate() {
        let err = open_edited(40 + i as u64, edit).unwrap_err();
        assert_eq!(err.code(), "invalid_consent", "{what}");
    }
}

#[test]
fn with_the_schema_only_the_forms_own_fields_and_purposes_pass() {
    let schema = salon();
    // A field of the catalogue that this form does not ask for passes the catalogue check but
    // not the form's.
    let booking = open_edited(60, |b| {
        b.fields = hostile_fields(&[
            ("name", "Ann Berg"),
            ("phone", "+46701234567"),
            ("date_of_birth", "1990-01-01"),
        ]);
    })
    .unwrap();
    let err = booking.recheck(Some(&schema)).unwrap_err();
    assert_eq!(err.code(), "invalid_fields");
    // A value the widget would have normalised differently (a national number the salon's
    // country code turns into E.164).
    let booking = open_edited(61, |b| {
        b.fields = hostile_fields(&[("name", "Ann Berg"), ("phone", "0701234567")]);
    })
    .unwrap();
    assert_eq!(
        booking.recheck(Some(&schema)).unwrap_err().code(),
        "invalid_fields"
    );
    // A purpose the form does not have.
    let booking = open_edited(62, |b| b.consent.declined.push("marketing".into())).unwrap();
    assert_eq!(
        booking.recheck(Some(&schema)).unwrap_err().code(),
        "invalid_consent"
    );
    // And what the widget makes passes both.
    for seed in 0..50 {
        let b = open_edited(100 + seed, |_| {}).unwrap();
        b.recheck(Some(&schema)).unwrap();
    }
}

#[test]
fn the_widgets_validator_refuses_bidi_and_control_characters_in_every_field() {
    let schema = salon();
    for field in ["name", "note", "email", "phone"] {
        for bad in [
            "\u{202e}", "\u{2066}", "\u{200f}", "\u{1b}", "\u{9b}", "\u{7f}", "\u{0}",
        ] {
            let mut input = BTreeMap::from([
                ("name".to_owned(), "Ann".to_owned()),
                ("phone".to_owned(), "+46701234567".to_owned()),
            ]);
            input.insert(field.to_owned(), format!("ab{bad}cd@example.com"));
            let errs = validate_fields(&schema, &input).unwrap_err();
            assert!(
                errs.0.iter().any(|e| e.field == field
                    && matches!(
                        e.problem,
                        FieldProblem::ControlCharacters
                            | FieldProblem::InvalidEmail
                            | FieldProblem::InvalidPhone
                    )),
                "{field} {bad:?}: {errs:?}"
            );
        }
    }
    // Whitespace controls (tab, NEL, …) in a one-line field become the one space between
    // words, so none is stored.
    let spaced = BTreeMap::from([
        ("name".to_owned(), "Ann\u{85}\tBerg".to_owned()),
        ("phone".to_owned(), "+46701234567".to_owned()),
    ]);
    assert_eq!(
        validate_fields(&schema, &spaced).unwrap().get("name"),
        Some("Ann Berg")
    );
    // Line breaks stay allowed in the note only.
    let ok = BTreeMap::from([
        ("name".to_owned(), "Ann".to_owned()),
        ("phone".to_owned(), "+46701234567".to_owned()),
        ("note".to_owned(), "first line\r\nsecond line".to_owned()),
    ]);
    assert_eq!(
        validate_fields(&schema, &ok).unwrap().get("note"),
        Some("first line\nsecond line")
    );
}
