//! Property tests for schema validation, the minimisation validator and the scanner.

mod common;

use std::collections::BTreeMap;

use common::*;
use kuvert_core::minimise::{
    FieldProblem, SensitiveKind, luhn_valid, scan_free_text, validate_fields,
};
use kuvert_core::schema::{FormSchema, SchemaError, is_valid_id};
use proptest::prelude::*;

fn with(f: impl FnOnce(&mut serde_json::Value)) -> Result<FormSchema, SchemaError> {
    let mut v: serde_json::Value = serde_json::from_str(SALON).unwrap();
    f(&mut v);
    FormSchema::from_json(&v.to_string())
}

fn problem_paths(r: Result<FormSchema, SchemaError>) -> Vec<String> {
    match r {
        Err(SchemaError::Invalid(p)) => p.into_iter().map(|p| p.path).collect(),
        Err(e) => panic!("unexpected {e}"),
        Ok(_) => vec![],
    }
}

/// A Luhn-valid card-like number with a network prefix.
fn card() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec!['3', '4', '5', '6']),
        prop::collection::vec(0u8..10, 14),
    )
        .prop_map(|(first, rest)| {
            let mut digits: Vec<u8> = std::iter::once(first as u8)
                .chain(rest.iter().map(|d| b'0' + d))
                .collect();
            let check = (b'0'..=b'9')
                .find(|c| {
                    let mut d = digits.clone();
                    d.push(*c);
                    luhn_valid(&d)
                })
                .unwrap();
            digits.push(check);
            String::from_utf8(digits).unwrap()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn retention_is_accepted_exactly_within_bounds(days in 0u32..5000) {
        let paths = problem_paths(with(|v| v["retention_days"] = days.into()));
        prop_assert_eq!(paths.is_empty(), (1..=3650).contains(&days));
        if !paths.is_empty() { prop_assert_eq!(paths, vec!["retention_days".to_string()]); }
    }

    #[test]
    fn service_rules_name_the_service(duration in 0u32..2000, capacity in 0u32..1500) {
        let paths = problem_paths(with(|v| {
            v["services"][1]["duration_minutes"] = duration.into();
            v["services"][1]["capacity"] = capacity.into();
        }));
        let mut expected = vec![];
        if !(5..=1440).contains(&duration) { expected.push("services[1].duration_minutes".to_string()); }
        if !(1..=1000).contains(&capacity) { expected.push("services[1].capacity".to_string()); }
        prop_assert_eq!(paths, expected);
    }

    #[test]
    fn ids_follow_one_rule(id in "\\PC{0,70}") {
        let ok = problem_paths(with(|v| v["id"] = id.clone().into())).is_empty();
        let rule = !id.is_empty() && id.len() <= 63
            && id.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        prop_assert_eq!(ok, rule);
        prop_assert_eq!(is_valid_id(&id), rule);
    }

    #[test]
    fn validator_never_panics_and_its_output_is_a_fixed_point(
        input in prop::collection::btree_map(
            prop::sample::select(vec!["name", "phone", "email", "note", "party_size", "nickname"]).prop_map(String::from),
            "\\PC{0,600}",
            0..6,
        )
    ) {
        let schema = salon();
        match validate_fields(&schema, &input) {
            Ok(fields) => {
                prop_assert!(!input.contains_key("nickname") && !input.contains_key("party_size"));
                for (k, v) in fields.iter() {
                    let spec = schema.fields.iter().find(|f| f.kind.key() == k).unwrap();
                    prop_assert!(v.chars().count() <= spec.max_length() as usize);
                    prop_assert_eq!(v.trim(), v);
                }
                let again: BTreeMap<String, String> = fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
                let twice = validate_fields(&schema, &again).unwrap();
                prop_assert_eq!(twice, fields);
            }
            Err(errors) => {
                for e in &errors.0 {
                    if e.field == "nickname" || e.field == "party_size" {
                        prop_assert_eq!(e.problem, FieldProblem::Unknown);
                    }
                    // Errors never repeat what was typed.
                    let shown = format!("{:?} {}", e, e.problem);
                    if let Some(typed) = input.get(&e.field).filter(|v| v.trim().chars().count() >= 8) {
                        prop_assert!(!shown.contains(typed.trim()));
                    }
                }
            }
        }
    }

    #[test]
    fn over_long_values_are_refused_with_the_limit(extra in 1usize..50) {
        let schema = salon();
        let mut input: BTreeMap<String, String> = BTreeMap::new();
        input.insert("name".to_string(), "a".repeat(100 + extra));
        input.insert("phone".to_string(), "+46701234567".to_string());
        let errors = validate_fields(&schema, &input).unwrap_err();
        prop_assert_eq!(errors.0.len(), 1);
        prop_assert_eq!(errors.0[0].problem, FieldProblem::TooLong { max: 100 });
    }

    #[test]
    fn scanner_never_panics_and_findings_are_in_bounds(text in "\\PC{0,300}") {
        for f in scan_free_text(&text) {
            prop_assert!(f.start < f.end && f.end <= text.len());
            prop_assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end));
        }
    }

    #[test]
    fn card_numbers_are_found_in_any_surrounding_text(
        number in card(), before in "[a-zA-Z ,.]{0,40}", after in "[a-zA-Z ,.]{0,40}", sep in prop::sample::select(vec!["", " ", "-"])
    ) {
        let grouped: Vec<String> = number.as_bytes().chunks(4).map(|c| String::from_utf8(c.to_vec()).unwrap()).collect();
        let text = format!("{before} {} {after}", grouped.join(sep));
        let kinds: Vec<_> = scan_free_text(&text).into_iter().map(|f| f.kind).collect();
        prop_assert_eq!(kinds, vec![SensitiveKind::PaymentCard]);
    }
}

#[test]
fn schema_errors_name_the_path_and_the_fix() {
    let err = with(|v| {
        v["optional_purposes"][0]["preticked"] = true.into();
        v["fields"][0]["legal_basis"] = "consent".into();
        v["services"][0]["id"] = "cut".into();
        v["services"][1]["id"] = "cut".into();
    })
    .unwrap_err()
    .to_string();
    for needle in [
        "optional_purposes[0].preticked: optional purposes are never pre-ticked; remove `preticked`",
        "fields[0].legal_basis: a required field cannot rest on consent",
        "services[1].id: `cut` is used twice; give each service its own id",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
}

#[test]
fn keys_in_the_form_are_refused_because_they_belong_in_the_snippet() {
    let err = with(|v| v["recipients"] = serde_json::json!(["age1abc"])).unwrap_err();
    assert!(matches!(err, SchemaError::Syntax { .. }));
    assert!(
        err.to_string().contains("unknown field `recipients`"),
        "{err}"
    );
}

#[test]
fn unknown_and_missing_fields_are_reported_together() {
    let schema = salon();
    let mut input: BTreeMap<String, String> = BTreeMap::new();
    input.insert("nickname".to_string(), "x".to_string());
    input.insert("email".to_string(), "not-an-address".to_string());
    let problems: Vec<(String, FieldProblem)> = validate_fields(&schema, &input)
        .unwrap_err()
        .0
        .into_iter()
        .map(|e| (e.field, e.problem))
        .collect();
    assert_eq!(
        problems,
        vec![
            ("nickname".into(), FieldProblem::Unknown),
            ("name".into(), FieldProblem::Required),
            ("phone".into(), FieldProblem::Required),
            ("email".into(), FieldProblem::InvalidEmail),
        ]
    );
}

#[test]
fn a_field_given_twice_is_refused_not_overwritten() {
    let schema = salon();
    let input = [
        ("name", "Ann Berg"),
        ("phone", "+46701234567"),
        ("name", "Bo Ek"),
    ];
    let problems: Vec<(String, FieldProblem)> = validate_fields(&schema, input)
        .unwrap_err()
        .0
        .into_iter()
        .map(|e| (e.field, e.problem))
        .collect();
    assert_eq!(problems, vec![("name".into(), FieldProblem::Unknown)]);
    // Given once, the same pairs are accepted.
    let fields = validate_fields(&schema, input[..2].iter().copied()).unwrap();
    assert_eq!(fields.get("name"), Some("Ann Berg"));
}

#[test]
fn local_phone_numbers_use_the_forms_country_code() {
    let schema = salon();
    let mut input: BTreeMap<String, String> = BTreeMap::new();
    input.insert("name".to_string(), "  Ann   Berg ".to_string());
    input.insert("phone".to_string(), "070-123 45 67".to_string());
    let fields = validate_fields(&schema, &input).unwrap();
    assert_eq!(fields.get("phone"), Some("+46701234567"));
    assert_eq!(fields.get("name"), Some("Ann Berg"));
    assert!(
        !format!("{fields:?}").contains("Ann"),
        "Debug shows personal data"
    );
}

/// Any text, control characters and characters beyond the BMP included.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,24}",
        prop::collection::vec(any::<char>(), 0..24).prop_map(|c| c.into_iter().collect()),
        "[\\x00-\\x1f\"\\\\\\x7f/]{0,12}",
    ]
}

fn booking() -> impl Strategy<Value = kuvert_core::Booking> {
    (
        any::<u32>(),
        [text(), text(), text(), text()],
        prop::collection::btree_map(text(), text(), 0..6),
        prop::sample::select(kuvert_core::Locale::ALL.to_vec()),
        any::<u32>(),
        prop::collection::vec(text(), 0..4),
        prop::collection::vec(text(), 0..4),
        [text(), text(), text()],
    )
        .prop_map(
            |(
                kuvert,
                [form, service, start, end],
                fields,
                locale,
                version,
                accepted,
                declined,
                [time, sha, widget],
            )| {
                kuvert_core::Booking {
                    kuvert,
                    form,
                    public: kuvert_core::PublicFacts {
                        service,
                        start,
                        end,
                    },
                    fields: kuvert_core::minimise::Fields::from_map(fields),
                    consent: kuvert_core::ConsentReceipt {
                        time,
                        locale,
                        notice_sha256: sha,
                        notice_version: version,
                        accepted,
                        declined,
                        widget_version: widget,
                    },
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The hand-written JSON writer (`json.rs`) writes exactly what serde_json writes, so
    /// the inbox and the key tool (which read with serde_json) see what they always saw.
    #[test]
    fn the_sealed_booking_is_the_text_serde_json_writes(b in booking()) {
        let mut ours = String::new();
        b.write_json(&mut ours);
        prop_assert_eq!(&ours, &serde_json::to_string(&b).unwrap());
        let back: kuvert_core::Booking = serde_json::from_str(&ours).unwrap();
        prop_assert_eq!(back, b);
    }

    #[test]
    fn the_envelope_is_the_text_serde_json_writes(
        kuvert in any::<u32>(),
        [form, service, start, end, sealed, cancel] in [text(), text(), text(), text(), text(), text()],
    ) {
        let e = kuvert_core::Envelope {
            kuvert,
            form,
            public: kuvert_core::PublicFacts { service, start, end },
            sealed,
            cancel,
        };
        prop_assert_eq!(e.to_json(), serde_json::to_string(&e).unwrap());
    }
}
