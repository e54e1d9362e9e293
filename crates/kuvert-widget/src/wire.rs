//! What the inbox sends, read from [`Value`]s by hand (see `json.rs` for why not serde). The
//! tests check the result against serde's reading of the same text.

#[allow(unused_imports)]
use crate::prelude::*;

use kuvert_core::schema::{Controller, FieldKind, FieldSpec, LegalBasis, OptionalPurpose, Service};
use kuvert_core::{FormSchema, Locale, Localized, VecMap};

use crate::json::{Error, Value};

/// `GET /v1/forms/{id}`: the schema and the business's time zone.
pub struct FormConfig {
    /// The form.
    pub schema: FormSchema,
    /// IANA time zone of the opening hours.
    pub time_zone: String,
    /// The keys the inbox's config pins, comma-separated as in the fragment (unparsed).
    pub recipients: String,
}

/// One slot from `GET /v1/forms/{id}/slots`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slot {
    /// Start, UTC.
    pub start: String,
    /// End, UTC.
    pub end: String,
    /// Places left.
    pub remaining: u32,
}

fn text(v: &Value, key: &str) -> Result<String, Error> {
    v.get(key)
        .and_then(Value::str)
        .map(str::to_owned)
        .ok_or(Error)
}

fn opt_text(v: &Value, key: &str) -> Result<Option<String>, Error> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(x) => x.str().map(|s| Some(s.to_owned())).ok_or(Error),
    }
}

fn number(v: &Value, key: &str) -> Result<u32, Error> {
    v.get(key).and_then(Value::u32).ok_or(Error)
}

fn list<'v>(v: &'v Value, key: &str) -> Result<&'v [Value], Error> {
    match v.get(key) {
        None => Ok(&[]),
        Some(x) => x.items().ok_or(Error),
    }
}

fn localized(v: Option<&Value>) -> Result<Localized, Error> {
    let v = v.ok_or(Error)?;
    if let Some(s) = v.str() {
        return Ok(Localized::One(s.to_owned()));
    }
    let mut map = VecMap::new();
    for (k, text) in v.entries().ok_or(Error)? {
        let locale = Locale::ALL
            .into_iter()
            .find(|l| l.code() == k)
            .ok_or(Error)?;
        // A language given twice is refused, as the core's deserializer refuses it.
        if map
            .insert(locale, text.str().ok_or(Error)?.to_owned())
            .is_some()
        {
            return Err(Error);
        }
    }
    Ok(Localized::Many(map))
}

fn legal_basis(s: &str) -> Result<LegalBasis, Error> {
    Ok(match s {
        "consent" => LegalBasis::Consent,
        "contract" => LegalBasis::Contract,
        "legal_obligation" => LegalBasis::LegalObligation,
        "vital_interests" => LegalBasis::VitalInterests,
        "public_task" => LegalBasis::PublicTask,
        "legitimate_interests" => LegalBasis::LegitimateInterests,
        _ => return Err(Error),
    })
}

/// Reads the form config the inbox serves.
pub fn form_config(v: &Value) -> Result<FormConfig, Error> {
    let s = v.get("schema").ok_or(Error)?;
    let c = s.get("controller").ok_or(Error)?;
    let mut services = Vec::new();
    for x in list(s, "services")? {
        services.push(Service {
            id: text(x, "id")?,
            name: localized(x.get("name"))?,
            duration_minutes: number(x, "duration_minutes")?,
            capacity: match x.get("capacity") {
                None => 1,
                Some(n) => n.u32().ok_or(Error)?,
            },
        });
    }
    let mut fields = Vec::new();
    for x in list(s, "fields")? {
        fields.push(FieldSpec {
            kind: FieldKind::from_key(&text(x, "kind")?).ok_or(Error)?,
            required: match x.get("required") {
                None => false,
                Some(b) => b.bool().ok_or(Error)?,
            },
            purpose: localized(x.get("purpose"))?,
            legal_basis: legal_basis(&text(x, "legal_basis")?)?,
            max_length: match x.get("max_length") {
                None | Some(Value::Null) => None,
                Some(n) => Some(n.u32().ok_or(Error)?),
            },
        });
    }
    let mut optional_purposes = Vec::new();
    for x in list(s, "optional_purposes")? {
        optional_purposes.push(OptionalPurpose {
            id: text(x, "id")?,
            description: localized(x.get("description"))?,
            preticked: false,
        });
    }
    let mut data_recipients = Vec::new();
    for x in list(s, "data_recipients")? {
        data_recipients.push(localized(Some(x))?);
    }
    Ok(FormConfig {
        schema: FormSchema {
            id: text(s, "id")?,
            controller: Controller {
                name: text(c, "name")?,
                contact: text(c, "contact")?,
                dpo: opt_text(c, "dpo")?,
                complaint_authority: text(c, "complaint_authority")?,
            },
            services,
            fields,
            optional_purposes,
            data_recipients,
            retention_days: number(s, "retention_days")?,
            phone_country_code: opt_text(s, "phone_country_code")?,
        },
        time_zone: text(v, "time_zone")?,
        recipients: {
            let mut keys = String::new();
            for r in list(v, "recipients")? {
                keys.push_str(r.str().ok_or(Error)?);
                keys.push(',');
            }
            keys
        },
    })
}

/// Reads a slot list; returns the slots that still have room.
pub fn free_slots(v: &Value) -> Result<Vec<Slot>, Error> {
    let mut out = Vec::new();
    for x in list(v, "slots")? {
        let slot = Slot {
            start: text(x, "start")?,
            end: text(x, "end")?,
            remaining: number(x, "remaining")?,
        };
        if slot.remaining > 0 {
            out.push(slot);
        }
    }
    Ok(out)
}

/// The reference in a `201` answer to a booking.
pub fn reference(v: &Value) -> Option<String> {
    // Only the inbox's shape: it goes into the page, the `.ics` and a cancel URL.
    v.get("reference")?
        .str()
        .filter(|r| kuvert_core::reference::is_reference(r))
        .map(str::to_owned)
}

/// The stable `code` of an error answer.
pub fn error_code(v: &Value) -> Option<String> {
    v.get("error")?.get("code")?.str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::string::ToString;

    fn config(schema: &str) -> String {
        format!(r#"{{"schema":{schema},"time_zone":"Europe/Stockholm"}}"#)
    }

    /// `text` read as `JSON.parse` would (a repeated key keeps the last), as a [`Value`]:
    /// through serde_json's own `Value`, since natively there is no `JSON.parse`. (`json.rs`'s
    /// walk over what `JSON.parse` makes is tested in the browser, in `tests/web.rs`.)
    fn value(text: &str) -> Value {
        fn convert(v: serde_json::Value) -> Value {
            match v {
                serde_json::Value::Null => Value::Null,
                serde_json::Value::Bool(b) => Value::Bool(b),
                serde_json::Value::Number(n) => match (n.as_u64(), n.as_i64()) {
                    (Some(u), _) => Value::UInt(u),
                    (None, Some(i)) => Value::Int(i),
                    // A float: what `json::parse` refuses; a string stands in, which no
                    // number field accepts either.
                    _ => Value::Str(n.to_string()),
                },
                serde_json::Value::String(s) => Value::Str(s),
                serde_json::Value::Array(a) => Value::Array(a.into_iter().map(convert).collect()),
                serde_json::Value::Object(o) => {
                    Value::Object(o.into_iter().map(|(k, v)| (k, convert(v))).collect())
                }
            }
        }
        convert(serde_json::from_str(text).unwrap())
    }

    #[test]
    fn reads_the_form_exactly_as_serde_does() {
        for schema in [
            include_str!("../../kuvert-core/tests/fixtures/salon.json"),
            // The demo's: three services, no retention_days of its own (the inbox adds it).
            &include_str!("../../xtask/demo/salon.json").replacen(
                '{',
                r#"{"retention_days": 30,"#,
                1,
            ),
        ] {
            let ours = form_config(&value(&config(schema))).unwrap();
            let theirs: FormSchema = serde_json::from_str(schema).unwrap();
            assert_eq!(ours.schema, theirs);
            assert_eq!(ours.time_zone, "Europe/Stockholm");
        }
    }

    #[test]
    fn what_the_inbox_serves_reads_back() {
        // The inbox serializes the schema with serde; every optional field is then present.
        let theirs: FormSchema =
            serde_json::from_str(include_str!("../../kuvert-core/tests/fixtures/salon.json"))
                .unwrap();
        let served = config(&serde_json::to_string(&theirs).unwrap());
        assert_eq!(form_config(&value(&served)).unwrap().schema, theirs);
    }

    #[test]
    fn refuses_a_form_that_is_not_the_shape() {
        let good = include_str!("../../kuvert-core/tests/fixtures/salon.json");
        let twice = good.replace(r#""en": "Haircut""#, r#""en": "Haircut", "en": "Trim""#);
        for bad in [
            good.replace(r#""legal_basis": "contract""#, r#""legal_basis": "whim""#),
            good.replace(r#""kind": "name""#, r#""kind": "passport""#),
            good.replace(r#""duration_minutes": 30"#, r#""duration_minutes": "30""#),
            good.replace(r#""en": "Haircut""#, r#""fi": "Hiustenleikkuu""#),
            good.replace(r#""retention_days": 30,"#, ""),
        ] {
            assert!(form_config(&value(&config(&bad))).is_err());
        }
        assert!(form_config(&value(r#"{"schema":{}}"#)).is_err());
        // A language given twice: the core refuses it (so the inbox never serves one), while
        // `JSON.parse` keeps the last (see `json.rs` for why that is acceptable).
        assert!(serde_json::from_str::<FormSchema>(&twice).is_err());
        let last = form_config(&value(&config(&twice))).unwrap();
        assert_eq!(last.schema.services[0].name.get(Locale::En), "Trim");
    }

    #[test]
    fn slots_references_and_error_codes() {
        let slots = free_slots(&value(
            r#"{"service":"cut","slots":[
              {"start":"2030-03-04T08:00:00Z","end":"2030-03-04T08:30:00Z","remaining":1},
              {"start":"2030-03-04T08:30:00Z","end":"2030-03-04T09:00:00Z","remaining":0}]}"#,
        ))
        .unwrap();
        assert_eq!(
            slots,
            [Slot {
                start: "2030-03-04T08:00:00Z".into(),
                end: "2030-03-04T08:30:00Z".into(),
                remaining: 1
            }]
        );
        assert!(free_slots(&value(r#"{"slots":[{"start":1}]}"#)).is_err());
        assert!(
            free_slots(&value(
                r#"{"slots":[{"start":"a","end":"b","remaining":1.5}]}"#
            ))
            .is_err()
        );
        assert_eq!(
            reference(&value(r#"{"reference":"K7QF-9XTM-2B4C","expires":"x"}"#)).as_deref(),
            Some("K7QF-9XTM-2B4C")
        );
        assert_eq!(reference(&value(r#"{"error":{}}"#)), None);
        assert_eq!(
            error_code(&value(r#"{"error":{"code":"not_a_slot","message":"…"}}"#)).as_deref(),
            Some("not_a_slot")
        );
    }

    /// The typed API contract (`kuvert-api`) against this hand reader, over arbitrary values:
    /// whatever the inbox can serialize, the widget reads as serde reads it. A field added to
    /// the schema or a body must be added to the strategies below (they build every struct with
    /// a literal, so the compiler asks), and then this fails until the reader reads it.
    #[cfg(not(target_arch = "wasm32"))]
    mod contract {
        use super::*;
        use alloc::vec::Vec;
        use kuvert_api::{BookingAccepted, ErrorBody, ErrorCode, ErrorDetail, FormConfig};
        use proptest::prelude::*;

        fn text() -> impl Strategy<Value = String> {
            // Any text JSON carries: quotes, backslashes, controls, non-ASCII, astral planes.
            proptest::string::string_regex("(?s).{0,12}").unwrap()
        }

        fn localized() -> impl Strategy<Value = Localized> {
            prop_oneof![
                text().prop_map(Localized::One),
                proptest::sample::subsequence(Locale::ALL.to_vec(), 1..=4).prop_flat_map(
                    |locales| {
                        proptest::collection::vec(text(), locales.len()).prop_map(move |texts| {
                            let mut map = VecMap::new();
                            for (l, t) in locales.iter().zip(texts) {
                                map.insert(*l, t);
                            }
                            Localized::Many(map)
                        })
                    }
                ),
            ]
        }

        fn legal_basis() -> impl Strategy<Value = LegalBasis> {
            proptest::sample::select(vec![
                LegalBasis::Consent,
                LegalBasis::Contract,
                LegalBasis::LegalObligation,
                LegalBasis::VitalInterests,
                LegalBasis::PublicTask,
                LegalBasis::LegitimateInterests,
            ])
        }

        fn service() -> impl Strategy<Value = Service> {
            (text(), localized(), any::<u32>(), any::<u32>()).prop_map(
                |(id, name, duration_minutes, capacity)| Service {
                    id,
                    name,
                    duration_minutes,
                    capacity,
                },
            )
        }

        fn field() -> impl Strategy<Value = FieldSpec> {
            (
                proptest::sample::select(FieldKind::ALL.to_vec()),
                any::<bool>(),
                localized(),
                legal_basis(),
                proptest::option::of(any::<u32>()),
            )
                .prop_map(|(kind, required, purpose, legal_basis, max_length)| {
                    FieldSpec {
                        kind,
                        required,
                        purpose,
                        legal_basis,
                        max_length,
                    }
                })
        }

        fn purpose() -> impl Strategy<Value = OptionalPurpose> {
            // `preticked` is never serialized (the inbox refuses a form that sets it).
            (text(), localized()).prop_map(|(id, description)| OptionalPurpose {
                id,
                description,
                preticked: false,
            })
        }

        fn schema() -> impl Strategy<Value = FormSchema> {
            let controller = (text(), text(), proptest::option::of(text()), text()).prop_map(
                |(name, contact, dpo, complaint_authority)| Controller {
                    name,
                    contact,
                    dpo,
                    complaint_authority,
                },
            );
            (
                text(),
                controller,
                proptest::collection::vec(service(), 0..4),
                proptest::collection::vec(field(), 0..5),
                proptest::collection::vec(purpose(), 0..3),
                proptest::collection::vec(localized(), 0..3),
                any::<u32>(),
                proptest::option::of(text()),
            )
                .prop_map(
                    |(
                        id,
                        controller,
                        services,
                        fields,
                        optional_purposes,
                        data_recipients,
                        retention_days,
                        phone_country_code,
                    )| FormSchema {
                        id,
                        controller,
                        services,
                        fields,
                        optional_purposes,
                        data_recipients,
                        retention_days,
                        phone_country_code,
                    },
                )
        }

        fn timestamp() -> impl Strategy<Value = String> {
            (0i64..8_000_000_000).prop_map(|t| {
                kuvert_core::UtcTimestamp::from_unix(t)
                    .unwrap()
                    .to_rfc3339()
            })
        }

        proptest! {
            #[test]
            fn form_config_reads_as_serde_reads_it(
                schema in schema(),
                time_zone in text(),
                recipients in proptest::collection::vec(text(), 0..4),
            ) {
                let served =
                    serde_json::to_string(&FormConfig { schema, time_zone, recipients }).unwrap();
                let theirs: FormConfig = serde_json::from_str(&served).unwrap();
                let ours = form_config(&value(&served)).unwrap();
                prop_assert_eq!(ours.schema, theirs.schema);
                prop_assert_eq!(ours.time_zone, theirs.time_zone);
                let joined: String = theirs.recipients.iter().map(|r| r.clone() + ",").collect();
                prop_assert_eq!(ours.recipients, joined);
            }

            #[test]
            fn slots_read_as_serde_reads_them(
                slots in proptest::collection::vec((timestamp(), timestamp(), any::<u32>()), 0..6),
            ) {
                let slots: Vec<kuvert_api::Slot> = slots
                    .into_iter()
                    .map(|(start, end, remaining)| kuvert_api::Slot { start, end, remaining })
                    .collect();
                let served = serde_json::to_string(&kuvert_api::Slots {
                    service: kuvert_api::ServiceId::parse("cut").unwrap(),
                    slots: slots.clone(),
                })
                .unwrap();
                let ours = free_slots(&value(&served)).unwrap();
                let theirs: Vec<Slot> = slots
                    .into_iter()
                    .filter(|s| s.remaining > 0)
                    .map(|s| Slot { start: s.start, end: s.end, remaining: s.remaining })
                    .collect();
                prop_assert_eq!(ours, theirs);
            }

            #[test]
            fn references_and_error_codes_read_as_serde_reads_them(
                raw in proptest::array::uniform12(proptest::sample::select(
                    kuvert_core::reference::ALPHABET.to_vec(),
                )),
                expires in timestamp(),
                code in proptest::sample::select(ErrorCode::ALL.to_vec()),
                message in text(),
            ) {
                let mut r = String::new();
                for (i, c) in raw.iter().enumerate() {
                    if i > 0 && i % 4 == 0 {
                        r.push('-');
                    }
                    r.push(char::from(*c));
                }
                let accepted = BookingAccepted {
                    reference: kuvert_api::Reference::parse(&r).unwrap(),
                    expires,
                };
                let served = serde_json::to_string(&accepted).unwrap();
                prop_assert_eq!(reference(&value(&served)), Some(r));
                let body = ErrorBody { error: ErrorDetail { code, message } };
                let served = serde_json::to_string(&body).unwrap();
                let read = error_code(&value(&served));
                prop_assert_eq!(read.as_deref(), Some(code.as_str()));
            }
        }
    }
}
