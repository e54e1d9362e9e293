//! The notice: snapshots per locale, and it always reflects the schema it came from.

mod common;

use common::*;
use kuvert_core::notice::{NOTICE_TEMPLATE_VERSION, Wording, field_label, render, render_with};
use kuvert_core::{ConsentReceipt, Locale, UtcTimestamp};

#[test]
fn notice_snapshots() {
    let schema = salon();
    for locale in Locale::ALL {
        let notice = render(&schema, locale);
        insta::assert_snapshot!(format!("notice_{}", locale.code()), notice.text());
    }
}

#[test]
fn the_notice_lists_everything_the_form_asks_and_all_art13_items() {
    let schema = salon();
    for locale in Locale::ALL {
        let text = render(&schema, locale).text();
        for f in &schema.fields {
            assert!(
                text.contains(field_label(f.kind, locale)),
                "{locale:?}: {:?} missing",
                f.kind
            );
            assert!(
                text.contains(f.purpose.get(locale).trim_end_matches('.')),
                "{locale:?}: purpose missing"
            );
        }
        for o in &schema.optional_purposes {
            assert!(
                text.contains(o.description.get(locale)),
                "{locale:?}: optional purpose missing"
            );
        }
        for needle in [
            schema.controller.name.as_str(),
            schema.controller.contact.as_str(),
            schema.controller.dpo.as_deref().unwrap(),
            schema.controller.complaint_authority.as_str(),
            "30",
            schema.data_recipients[0].get(locale),
        ] {
            assert!(text.contains(needle), "{locale:?}: {needle:?} missing");
        }
    }
}

#[test]
fn any_change_to_what_is_asked_changes_the_notice_hash() {
    let schema = salon();
    let base = render(&schema, Locale::En).sha256_hex();
    let mut longer = schema.clone();
    longer.retention_days = 31;
    let mut fewer = schema.clone();
    fewer.fields.pop();
    let mut other_basis = schema.clone();
    other_basis.fields[2].legal_basis = kuvert_core::schema::LegalBasis::Consent;
    for changed in [longer, fewer, other_basis] {
        assert_ne!(render(&changed, Locale::En).sha256_hex(), base);
    }
    // Each language is its own text.
    let hashes: std::collections::BTreeSet<_> = Locale::ALL
        .iter()
        .map(|l| render(&schema, *l).sha256_hex())
        .collect();
    assert_eq!(hashes.len(), 4);
}

#[test]
fn business_text_with_braces_is_not_treated_as_a_template() {
    let mut schema = salon();
    schema.controller.name = "Salon {contact}".into();
    let text = render(&schema, Locale::En).text();
    assert!(text.contains("Salon {contact} is the controller"), "{text}");
}

#[test]
fn consent_receipt_records_what_was_shown_and_chosen() {
    let schema = salon();
    let notice = render(&schema, Locale::Sv);
    let t = UtcTimestamp::parse("2027-02-27T18:04:11Z").unwrap();
    let r = ConsentReceipt::new(&schema, &notice, &["newsletter"], t, "0.1.0").unwrap();
    assert_eq!(r.time, "2027-02-27T18:04:11Z");
    assert_eq!(r.locale, Locale::Sv);
    assert_eq!(r.accepted, ["booking", "newsletter"]);
    assert_eq!(r.declined, ["reminders"]);
    assert_eq!(r.notice_version, NOTICE_TEMPLATE_VERSION);
    assert!(r.matches_notice(&notice));
    assert!(!r.matches_notice(&render(&schema, Locale::En)));
    assert!(ConsentReceipt::new(&schema, &notice, &["marketing"], t, "0.1.0").is_err());
    let none = ConsentReceipt::new(&schema, &notice, &[], t, "0.1.0").unwrap();
    assert_eq!(none.accepted, ["booking"]);
    assert_eq!(none.declined, ["reminders", "newsletter"]);
}

#[test]
fn the_example_booking_carries_the_fixture_notice_hash() {
    let example: serde_json::Value =
        serde_json::from_str(include_str!("../examples/booking.json")).unwrap();
    assert_eq!(
        example["consent"]["notice_sha256"],
        kuvert_core::notice::render(&salon(), Locale::En).sha256_hex()
    );
}

/// The `{…}` placeholders of a template, in order.
fn placeholders(template: &str) -> Vec<&str> {
    template
        .split('{')
        .skip(1)
        .filter_map(|s| s.split_once('}').map(|(k, _)| k))
        .collect()
}

#[test]
fn every_wording_file_is_whole_and_has_the_english_placeholders() {
    let en = Wording::builtin_text(Locale::En);
    for locale in Locale::ALL {
        let text = Wording::builtin_text(locale);
        let parsed = Wording::parse(locale, text).expect("the built-in file is whole");
        assert_eq!(parsed, Wording::builtin(locale));
        assert_eq!(parsed.locale(), locale);
        assert_eq!(text.lines().count(), Wording::LINES);
        for (i, (line, english)) in text.lines().zip(en.lines()).enumerate() {
            assert_eq!(
                placeholders(line),
                placeholders(english),
                "{locale:?} line {}: {line}",
                i + 1
            );
        }
    }
}

#[test]
fn a_wording_file_that_is_not_whole_is_refused() {
    let en = Wording::builtin_text(Locale::En);
    let lines: Vec<&str> = en.lines().collect();
    let join = |lines: &[&str]| lines.iter().map(|l| format!("{l}\n")).collect::<String>();
    let mut blank = lines.clone();
    blank[3] = "  ";
    for (why, text) in [
        ("no final newline", en.trim_end_matches('\n').to_owned()),
        ("a line short", join(&lines[..lines.len() - 1])),
        ("a line too many", format!("{en}one more\n")),
        ("a blank line", join(&blank)),
        ("empty", String::new()),
    ] {
        assert_eq!(Wording::parse(Locale::En, &text), None, "{why}");
    }
}

#[test]
fn a_wording_read_at_run_time_renders_the_built_in_notice() {
    let schema = salon();
    for locale in Locale::ALL {
        let loaded = Wording::builtin_text(locale).to_owned();
        let wording = Wording::parse(locale, &loaded).unwrap();
        assert_eq!(render_with(&schema, &wording), render(&schema, locale));
        assert_eq!(
            wording.field_label(schema.fields[0].kind),
            field_label(schema.fields[0].kind, locale)
        );
    }
}
