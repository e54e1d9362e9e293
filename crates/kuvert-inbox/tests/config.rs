//! Config validation: errors name the key and the fix.

mod common;

use common::*;
use kuvert_inbox::config::{Config, ConfigError};

fn load(text: &str) -> Result<Config, ConfigError> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("salon.json"), SALON).unwrap();
    Config::from_toml(text, dir.path(), "inbox.toml")
}

#[test]
fn the_test_config_is_valid() {
    let c = load(&config_text("")).unwrap();
    assert_eq!(
        c.forms["salon"].services["cut"].hours[0],
        vec![(540, 720), (780, 1020)]
    );
    assert_eq!(
        c.forms["salon"].services["colour"].capacity, 2,
        "capacity from the form"
    );
}

#[test]
fn every_problem_is_named_with_its_fix() {
    let text = config_text("")
        .replace(
            "time_zone = \"Europe/Stockholm\"",
            "time_zone = \"Mars/Olympus\"",
        )
        .replace("listen = \"127.0.0.1:0\"", "listen = \"localhost\"")
        .replace(
            "mon = [\"09:00-12:00\", \"13:00-17:00\"]",
            "mon = [\"09:00-12:00\", \"11:00-17:00\"], sun = [\"25:00-26:00\"]",
        )
        .replace("blackout = [\"2027-02-26\"]", "blackout = [\"26 Feb\"]")
        .replace(
            "allowed_origins = [\"https://salon.example\"]",
            "allowed_origins = [\"https://salon.example/\"]",
        );
    let err = load(&text).unwrap_err().to_string();
    for needle in [
        "listen: `localhost` is not an address; fix: write host:port",
        "time_zone: `Mars/Olympus` is not a known time zone; fix: use an IANA name",
        "allowed_origins[0]: `https://salon.example/` is not an origin",
        "forms[0].services.cut.hours.sun[0]: `25:00-26:00` is not an opening interval",
        "forms[0].services.cut.hours.mon: intervals overlap",
        "forms[0].services.cut.blackout[0]: `26 Feb` is not a date; fix: write YYYY-MM-DD",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in\n{err}");
    }
}

#[test]
fn missing_calendars_unknown_keys_and_plain_tokens_are_refused() {
    let no_colour = config_text("")
        .split("[forms.services.colour]")
        .next()
        .unwrap()
        .to_owned();
    let err = load(&no_colour).unwrap_err().to_string();
    assert!(
        err.contains("forms[0].services.colour: has no calendar; fix: add [forms.services.colour]"),
        "{err}"
    );
    let err = load(&config_text("colour = \"blue\""))
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown field `colour`"), "{err}");
    let err = load(&config_text("").replace(
        &kuvert_core::hex(&<sha2::Sha256 as sha2::Digest>::digest(TOKEN.as_bytes())),
        TOKEN,
    ))
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("staff[0].token_sha256: is not a hex SHA-256; fix: run `kuvert-inbox token`"),
        "{err}"
    );
}

#[test]
fn default_retention_fills_forms_that_set_none_and_the_notice_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let mut form: serde_json::Value = serde_json::from_str(SALON).unwrap();
    form.as_object_mut().unwrap().remove("retention_days");
    std::fs::write(dir.path().join("salon.json"), form.to_string()).unwrap();

    let c = Config::from_toml(
        &config_text("default_retention_days = 90"),
        dir.path(),
        "inbox.toml",
    )
    .unwrap();
    let schema = &c.forms["salon"].schema;
    assert_eq!(schema.retention_days, 90);
    let notice = kuvert_core::notice::render(schema, kuvert_core::Locale::En).text();
    assert!(
        notice.contains("Until 90 days after your appointment"),
        "{notice}"
    );

    let err = Config::from_toml(&config_text(""), dir.path(), "inbox.toml")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("forms[0].schema.retention_days: the form sets no retention; fix: set retention_days in the form, or default_retention_days in this config"),
        "{err}"
    );
    let err = Config::from_toml(
        &config_text("default_retention_days = 0"),
        dir.path(),
        "inbox.toml",
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("default_retention_days: 0 is out of range"),
        "{err}"
    );
}

#[test]
fn a_forms_own_retention_wins_over_the_default() {
    let c = load(&config_text("default_retention_days = 90")).unwrap();
    assert_eq!(c.forms["salon"].schema.retention_days, 30);
}

/// Two-party key pinning (issue 20): a form names the keys it is sealed to, as the snippet
/// does; a missing, damaged or repeated key is refused with the fix.
#[test]
fn a_form_must_pin_one_to_eight_distinct_valid_keys() {
    let key = recipient().to_string();
    let pinned = format!("recipients = [\"{key}\"]\n");
    for (replacement, needle) in [
        (String::new(), "forms[0].recipients: is missing"),
        (
            "recipients = []\n".to_owned(),
            "forms[0].recipients: is missing",
        ),
        (
            format!("recipients = [\"{key}\", \"{key}\"]\n"),
            "must list 1 to 8 distinct keys",
        ),
        (
            "recipients = [\"age1notakey\"]\n".to_owned(),
            "forms[0].recipients:",
        ),
    ] {
        let text = config_text("").replace(&pinned, &replacement);
        let err = load(&text).unwrap_err().to_string();
        assert!(err.contains(needle), "missing {needle:?} in\n{err}");
        assert!(
            err.contains("kuvert snippet"),
            "the fix names the tool: {err}"
        );
    }
    let c = load(&config_text("")).unwrap();
    assert_eq!(c.forms["salon"].recipients, vec![key]);
}
