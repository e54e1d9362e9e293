//! Regression tests for the security review's key-tool findings (issue 18), with the real
//! `kuvert` binary. Each is named after its finding and failed before its fix.

mod common;

use std::process::Command;

use common::*;

/// Seals `b` to the demo key.
fn sealed(b: &kuvert_core::Booking) -> serde_json::Value {
    serde_json::from_str(&sealed_to(&[&pubkey(DEMO_KEY, None)], b)).unwrap()
}

/// A booking with these fields, at a fixed slot.
fn booking_of(fields: kuvert_core::minimise::Fields) -> kuvert_core::Booking {
    booking_with(1_803_891_600, fields)
}

/// A `kuvert fetch` record.
fn record(reference: &str, envelope: serde_json::Value) -> String {
    serde_json::json!({
        "cursor": 1, "reference": reference, "received": "2027-02-27T18:00:00Z",
        "expires": "2027-04-01T00:00:00Z", "envelope": envelope,
    })
    .to_string()
}

const INJECTION: &str = "\u{1b}[2J\u{1b}[31m FAKE  +46700000000\u{1b}]52;c;aGVsbG8=\u{7}";

fn assert_text_only(what: &str, out: &str) {
    for c in ['\u{1b}', '\u{7}', '\u{9b}', '\u{202e}', '\u{2066}', '\r'] {
        assert!(!out.contains(c), "{what} carries {c:?} raw:\n{out}");
    }
}

/// Finding 1, "terminal injection in `kuvert open`": a hostile booking goes to the failures
/// with its reference; nothing of it reaches the table; the rest is shown.
#[test]
fn terminal_injection_in_kuvert_open_goes_to_the_failures() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("bookings.jsonl");
    let lines = [
        record(
            "AAAA-BBBB-CCCC",
            sealed(&booking_of(valid_fields("Ann Berg", ""))),
        ),
        record(
            "DDDD-EEEE-FFFF",
            sealed(&booking_of(raw_fields(&[
                ("name", INJECTION),
                ("phone", "+46701234567"),
            ]))),
        ),
        record(
            "GGGG-HHHH-JJJJ",
            sealed(&booking_of(raw_fields(&[
                ("name", "Ann \u{202e}nnA"),
                ("phone", "+46701234567"),
            ]))),
        ),
        // A reference from a tampered file or inbox is not shown as a label either.
        record(
            "\u{1b}]52;c;eA==\u{7}",
            sealed(&booking_of(valid_fields("Bo", ""))),
        ),
        // Nor is an unknown key that a parse error would quote.
        serde_json::json!({"kuvert": 1, "form": "salon", "\u{1b}[2J": 1}).to_string(),
    ];
    std::fs::write(&input, lines.join("\n")).unwrap();
    let out = kuvert(&[
        "open",
        "-i",
        DEMO_KEY,
        input.to_str().unwrap(),
        "--format",
        "table",
    ]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert_text_only("the table", &stdout);
    assert_text_only("stderr", &stderr);
    assert!(
        stdout.contains("AAAA-BBBB-CCCC") && stdout.contains("Ann Berg"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("FAKE") && !stdout.contains("DDDD"),
        "{stdout}"
    );
    assert!(
        stderr.contains("error: booking DDDD-EEEE-FFFF: the sealed fields break the form's rules (name: contains characters that are not allowed)")
            && stderr.contains("[invalid_fields]"),
        "{stderr}"
    );
    assert!(
        stderr.contains("error: booking GGGG-HHHH-JJJJ:"),
        "{stderr}"
    );
    assert!(
        stderr.contains("error: booking #4: its reference is not of the inbox's shape"),
        "{stderr}"
    );
    assert!(
        stderr.contains("error: booking #5:") && stderr.contains("\\u{1b}[2J"),
        "{stderr}"
    );

    // CSV and JSON carry no hostile booking either; CSV has no raw control characters.
    for format in ["csv", "json"] {
        let out = kuvert(&[
            "open",
            "-i",
            DEMO_KEY,
            input.to_str().unwrap(),
            "--format",
            format,
        ]);
        assert_eq!(out.status.code(), Some(3));
        assert_text_only(format, &text(&out.stdout));
        assert!(!text(&out.stdout).contains("FAKE"));
    }
}

/// Finding 1: with the form's schema (`--schema`, the inbox's `/v1/forms/ID` answer), a field
/// the form does not ask for fails too.
#[test]
fn open_with_the_schema_rechecks_against_the_form() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("bookings.jsonl");
    let extra = raw_fields(&[
        ("name", "Ann Berg"),
        ("phone", "+46701234567"),
        ("date_of_birth", "1990-01-01"),
    ]);
    std::fs::write(&input, record("AAAA-BBBB-CCCC", sealed(&booking_of(extra)))).unwrap();
    let schema = dir.path().join("salon.json");
    std::fs::write(
        &schema,
        format!("{{\"schema\": {SALON}, \"time_zone\": \"UTC\"}}"),
    )
    .unwrap();
    let without = kuvert(&[
        "open",
        "-i",
        DEMO_KEY,
        input.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(without.status.success());
    assert!(
        text(&without.stderr)
            .contains("note: form salon: checked against the field catalogue only")
    );
    let open_with_schema = || {
        kuvert(&[
            "open",
            "-i",
            DEMO_KEY,
            "--schema",
            schema.to_str().unwrap(),
            input.to_str().unwrap(),
            "--format",
            "json",
        ])
    };
    let with = open_with_schema();
    assert_eq!(with.status.code(), Some(3), "{}", text(&with.stderr));
    assert!(
        text(&with.stderr).contains("date_of_birth: this form does not ask for this field"),
        "{}",
        text(&with.stderr)
    );
    assert!(with.stdout.is_empty());
    // The answer of a current inbox (with the keys it pins) works the same; so does the
    // older answer above, without them.
    std::fs::write(
        &schema,
        format!("{{\"schema\": {SALON}, \"time_zone\": \"UTC\", \"recipients\": [\"age1xns0tpga0kfr3qjtdjfwmjqaqwuq0wls5v33r295y7w5usuddggq8gtgh8\"]}}"),
    )
    .unwrap();
    let current = open_with_schema();
    assert_eq!(current.status.code(), Some(3), "{}", text(&current.stderr));
    assert!(text(&current.stderr).contains("date_of_birth: this form does not ask for this field"));
}

/// Finding 3, "`export-age` path traversal": a reference that is not of the inbox's shape
/// names no file, so nothing is written outside `-o DIR`.
#[test]
fn export_age_path_traversal_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("bookings.jsonl");
    let envelope = sealed(&booking_of(valid_fields("Ann Berg", "")));
    let absolute = dir.path().join("absolute");
    let lines = [
        record("../escaped", envelope.clone()),
        record(absolute.to_str().unwrap(), envelope.clone()),
        record("AAAA-BBBB-CCCC/../../x", envelope.clone()),
        record("AAAA-BBBB-CCCC", envelope),
    ];
    std::fs::write(&input, lines.join("\n")).unwrap();
    let out_dir = dir.path().join("out");
    let out = kuvert(&[
        "export-age",
        input.to_str().unwrap(),
        "-o",
        out_dir.to_str().unwrap(),
    ]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(!dir.path().join("escaped.age").exists());
    assert!(!dir.path().join("absolute.age").exists());
    let written: Vec<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(written, ["AAAA-BBBB-CCCC.age"]);
    assert_eq!(stderr.matches("[invalid_reference]").count(), 3, "{stderr}");
}

/// Finding 4, "decrypted output is world-readable": every file kuvert writes with plaintext
/// is 0600 whatever the umask.
#[cfg(unix)]
#[test]
fn decrypted_output_is_created_0600_under_umask_022() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("e.json");
    std::fs::write(
        &input,
        sealed(&booking_of(valid_fields("Ann Berg", ""))).to_string(),
    )
    .unwrap();
    for (format, name) in [
        ("csv", "out.csv"),
        ("json", "out.jsonl"),
        ("table", "out.txt"),
    ] {
        let out_file = dir.path().join(name);
        let status = Command::new("sh")
            .arg("-c")
            .arg("umask 022; exec \"$0\" \"$@\"")
            .arg(env!("CARGO_BIN_EXE_kuvert"))
            .args(["open", "-i", DEMO_KEY, "--format", format, "-o"])
            .arg(&out_file)
            .arg(&input)
            .output()
            .unwrap();
        assert!(status.status.success(), "{}", text(&status.stderr));
        let mode = std::fs::metadata(&out_file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{name}");
        assert!(
            std::fs::read_to_string(&out_file)
                .unwrap()
                .contains("Ann Berg")
        );
    }
}

/// Finding 12: `keygen --unprotected > file` would write a secret key with the umask's
/// permissions, so an unprotected key goes only to `-o FILE`.
#[test]
fn keygen_unprotected_refuses_standard_output() {
    let out = kuvert(&["keygen", "--unprotected"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "a key was printed");
    assert!(
        text(&out.stderr)
            .contains("refusing to write an unprotected secret key to standard output"),
        "{}",
        text(&out.stderr)
    );
}

/// Finding 1 on a real terminal: `script` gives `kuvert open` a pseudo-terminal, so it picks
/// its default for people, the table, as on a staff member's screen. The hostile booking goes
/// to the failures (stderr, left out here so the progress bar stays off), and the screen gets
/// no escape sequence.
#[cfg(unix)]
#[test]
fn on_a_real_terminal_the_default_table_carries_no_escape_sequences() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("bookings.jsonl");
    let lines = [
        record(
            "AAAA-BBBB-CCCC",
            sealed(&booking_of(valid_fields("Ann Berg", ""))),
        ),
        record(
            "DDDD-EEEE-FFFF",
            sealed(&booking_of(raw_fields(&[
                ("name", INJECTION),
                ("phone", "+46701234567"),
            ]))),
        ),
    ];
    std::fs::write(&input, lines.join("\n")).unwrap();
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let command = format!(
        "{} open -i {} {} 2>/dev/null",
        quote(env!("CARGO_BIN_EXE_kuvert")),
        quote(DEMO_KEY),
        quote(input.to_str().unwrap())
    );
    let out = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("TERM", "xterm-256color")
        .env("COLUMNS", "120")
        .output()
        .expect("script (util-linux, Debian's bsdutils) is installed");
    // The terminal turns each line feed into CR LF.
    let screen = text(&out.stdout).replace("\r\n", "\n");
    assert_eq!(out.status.code(), Some(3), "{screen}");
    assert!(
        screen.starts_with("reference") && screen.contains("AAAA-BBBB-CCCC  cut"),
        "the default on a terminal is the table:\n{screen}"
    );
    assert!(
        screen.contains("Ann Berg") && !screen.contains("FAKE"),
        "{screen}"
    );
    assert_text_only("the terminal", &screen);
}
