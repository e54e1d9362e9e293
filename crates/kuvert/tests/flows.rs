//! The staff flows end to end with the real `kuvert` binary: keys, fetch from a live inbox,
//! open, export for the standard age tool, interop with the age crate, rotation.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};

use common::*;

#[test]
fn keygen_writes_a_private_protected_key_that_opens_what_is_sealed_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("staff.key");
    let out = kuvert(&[
        "keygen",
        "-o",
        key.to_str().unwrap(),
        "--passphrase-file",
        RIGHT_PASS,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let public = text(&out.stdout).trim().to_owned();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let file = std::fs::read_to_string(&key).unwrap();
    assert!(
        file.starts_with("-----BEGIN AGE ENCRYPTED FILE-----") && !file.contains("AGE-SECRET-KEY"),
        "the key is encrypted at rest"
    );
    assert_eq!(pubkey(key.to_str().unwrap(), Some(RIGHT_PASS)), public);

    let b = booking(1_803_891_600, "Allergic to ammonia.");
    let env = dir.path().join("envelope.json");
    std::fs::write(&env, sealed_to(&[&public], &b)).unwrap();
    let out = kuvert(&[
        "open",
        "-i",
        key.to_str().unwrap(),
        "--passphrase-file",
        RIGHT_PASS,
        env.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let opened: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(opened["fields"]["note"], "Allergic to ammonia.");
    assert!(
        !text(&out.stderr).contains("Allergic"),
        "nothing personal on stderr"
    );
    // Never overwrites.
    let again = kuvert(&["keygen", "-o", key.to_str().unwrap(), "--unprotected"]);
    assert_eq!(again.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&key).unwrap(), file);
}

struct LiveInbox {
    url: String,
    loader: Vec<u8>,
    token_file: PathBuf,
    state: kuvert_inbox::AppState,
    _rt: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
}

fn live_inbox() -> LiveInbox {
    live_inbox_with("")
}

fn live_inbox_with(extra: &str) -> LiveInbox {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("salon.json"), SALON).unwrap();
    std::fs::create_dir(dir.path().join("www")).unwrap();
    let loader = b"/* the loader as served */".to_vec();
    std::fs::write(dir.path().join("www/kuvert.js"), &loader).unwrap();
    let token = "kvt_flows_test_token";
    let hash = kuvert_core::hex(&<sha2::Sha256 as sha2::Digest>::digest(token.as_bytes()));
    let every_day = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .map(|d| format!("{d} = [\"00:00-24:00\"]"))
        .join(", ");
    let config = format!(
        "listen = \"127.0.0.1:0\"\ndatabase = \"inbox.sqlite3\"\ntime_zone = \"UTC\"\nstatic_dir = \"www\"\n{extra}\n[rate_limits]\nbookings_per_minute = 1000\n[[staff]]\nname = \"reception\"\ntoken_sha256 = \"{hash}\"\n[[forms]]\nschema_file = \"salon.json\"\nrecipients = [\"age1xns0tpga0kfr3qjtdjfwmjqaqwuq0wls5v33r295y7w5usuddggq8gtgh8\"]\n[forms.services.cut]\nhours = {{ {every_day} }}\nmin_notice_minutes = 0\n[forms.services.colour]\nhours = {{ mon = [\"09:00-17:00\"] }}\n"
    );
    let config =
        kuvert_inbox::config::Config::from_toml(&config, dir.path(), "inbox.toml").unwrap();
    let store = kuvert_inbox::store::Store::open(&config.database).unwrap();
    let state = kuvert_inbox::AppState::new(config, store);
    let served = state.clone();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    rt.spawn(async move {
        axum::serve(
            listener,
            kuvert_inbox::app(served).into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap();
    });
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, format!("{token}\n")).unwrap();
    LiveInbox {
        url,
        loader,
        token_file,
        state,
        _rt: rt,
        _dir: dir,
    }
}

fn post(url: &str, envelope: &str) -> String {
    let mut res = ureq::post(format!("{url}/v1/bookings"))
        .content_type("application/json")
        .send(envelope)
        .unwrap();
    let v: serde_json::Value =
        serde_json::from_str(&res.body_mut().read_to_string().unwrap()).unwrap();
    v["reference"].as_str().unwrap().to_owned()
}

#[test]
fn fetch_resumes_open_reads_it_and_export_age_opens_with_the_age_crate() {
    let inbox = live_inbox();
    let demo = pubkey(DEMO_KEY, None);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let base = (now / 1800 + 2) * 1800;
    let mut refs = Vec::new();
    for i in 0..3 {
        refs.push(post(
            &inbox.url,
            &sealed_to(&[&demo], &booking(base + i * 1800, &format!("note {i}"))),
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("bookings.jsonl");
    let fetch = |extra: &[&str]| {
        let mut args = vec![
            "fetch",
            "--inbox",
            &inbox.url,
            "--token-file",
            inbox.token_file.to_str().unwrap(),
            "-o",
            out_file.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        kuvert(&args)
    };
    let out = fetch(&[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("Fetched 3 booking(s)"),
        "{}",
        text(&out.stderr)
    );
    assert!(text(&out.stderr).contains("kuvert fetch --since 3"));
    // Resumes after the last booking in the file.
    let out = fetch(&[]);
    assert!(
        text(&out.stderr).contains("Fetched 0 booking(s)"),
        "{}",
        text(&out.stderr)
    );
    refs.push(post(
        &inbox.url,
        &sealed_to(&[&demo], &booking(base + 3 * 1800, "note 3")),
    ));
    let out = fetch(&[]);
    assert!(
        text(&out.stderr).contains("Fetched 1 booking(s)"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(&out_file).unwrap().lines().count(),
        4
    );

    let out = kuvert(&[
        "open",
        "-i",
        DEMO_KEY,
        out_file.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let opened: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let got: Vec<&str> = opened
        .iter()
        .map(|o| o["reference"].as_str().unwrap())
        .collect();
    assert_eq!(got, refs.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(opened[2]["fields"]["note"], "note 2");

    let export = dir.path().join("age");
    let out = kuvert(&[
        "export-age",
        out_file.to_str().unwrap(),
        "-o",
        export.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let identity: age::x25519::Identity = std::fs::read_to_string(DEMO_KEY)
        .unwrap()
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-1"))
        .unwrap()
        .parse()
        .unwrap();
    for (i, r) in refs.iter().enumerate() {
        let file = std::fs::read(export.join(format!("{r}.age"))).unwrap();
        let decryptor = age::Decryptor::new(&file[..]).unwrap();
        let mut plain = Vec::new();
        decryptor
            .decrypt(std::iter::once(&identity as &dyn age::Identity))
            .unwrap()
            .read_to_end(&mut plain)
            .unwrap();
        let b: kuvert_core::Booking = serde_json::from_slice(&plain).unwrap();
        assert_eq!(b.fields.get("note"), Some(format!("note {i}").as_str()));
    }

    std::fs::write(&inbox.token_file, "kvt_wrong\n").unwrap();
    let out = fetch(&["--since", "0"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("error: the inbox refused the staff token"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        !text(&out.stderr).contains("kvt_wrong"),
        "the token is never printed"
    );
}

#[test]
fn an_age_crate_sealed_part_opens_with_kuvert_open() {
    let demo = pubkey(DEMO_KEY, None);
    let b = booking(1_803_891_600, "via the age crate");
    let mut plain = serde_json::to_vec(&b).unwrap();
    plain.resize(plain.len().div_ceil(256) * 256, b' ');
    let recipient: age::x25519::Recipient = demo.parse().unwrap();
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
            .unwrap();
    let mut file = Vec::new();
    let mut w = encryptor.wrap_output(&mut file).unwrap();
    std::io::Write::write_all(&mut w, &plain).unwrap();
    w.finish().unwrap();
    use base64::Engine;
    let env = serde_json::json!({"kuvert": 1, "form": "salon", "public": b.public, "sealed": base64::engine::general_purpose::STANDARD.encode(&file), "cancel": "0".repeat(64)});
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("e.json");
    std::fs::write(&path, env.to_string()).unwrap();
    let out = kuvert(&[
        "open",
        "-i",
        DEMO_KEY,
        path.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("via the age crate"));
}

#[test]
fn rotation_keeps_old_bookings_readable_and_pins_both_keys_in_transition() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old.key");
    let new = dir.path().join("new.key");
    let loader = dir.path().join("kuvert.js");
    std::fs::write(&loader, "/* loader */").unwrap();
    assert!(
        kuvert(&["keygen", "-o", old.to_str().unwrap(), "--unprotected"])
            .status
            .success()
    );
    let old_pub = pubkey(old.to_str().unwrap(), None);
    let out = kuvert(&[
        "rotate",
        "-i",
        old.to_str().unwrap(),
        "-o",
        new.to_str().unwrap(),
        "--keep-old",
        "--inbox",
        "https://bookings.salon.example",
        "--form",
        "salon",
        "--loader",
        loader.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let new_pub = pubkey(new.to_str().unwrap(), None);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(&format!("data-recipients=\"{new_pub},{old_pub}\"")),
        "{stdout}"
    );

    let before = dir.path().join("before.json");
    let after = dir.path().join("after.json");
    std::fs::write(
        &before,
        sealed_to(&[&old_pub], &booking(1_803_891_600, "before")),
    )
    .unwrap();
    std::fs::write(
        &after,
        sealed_to(&[&new_pub, &old_pub], &booking(1_803_895_200, "after")),
    )
    .unwrap();
    for (key, file, ok) in [
        (&old, &before, true),
        (&new, &before, false),
        (&new, &after, true),
        (&old, &after, true),
    ] {
        let out = kuvert(&[
            "open",
            "-i",
            key.to_str().unwrap(),
            file.to_str().unwrap(),
            "--format",
            "json",
        ]);
        assert_eq!(
            out.status.success(),
            ok,
            "{} / {}: {}",
            key.display(),
            file.display(),
            text(&out.stderr)
        );
    }
}

#[test]
fn csv_output_neutralises_formulas_but_keeps_phone_numbers() {
    let demo = pubkey(DEMO_KEY, None);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("e.json");
    std::fs::write(
        &path,
        sealed_to(
            &[&demo],
            &booking(1_803_891_600, "=HYPERLINK(\"http://evil.example\")"),
        ),
    )
    .unwrap();
    let out = kuvert(&[
        "open",
        "-i",
        DEMO_KEY,
        path.to_str().unwrap(),
        "--format",
        "csv",
    ]);
    let csv = text(&out.stdout);
    assert!(csv.contains("\"'=HYPERLINK("), "{csv}");
    assert!(csv.contains(",+46701234567,"), "{csv}");
}

#[test]
fn snippet_hashes_the_loader_the_widget_origin_serves() {
    let inbox = live_inbox();
    let out = kuvert(&[
        "snippet", "-i", DEMO_KEY, "--inbox", &inbox.url, "--form", "salon",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    use base64::Engine;
    let expected = format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD
            .encode(<sha2::Sha384 as sha2::Digest>::digest(&inbox.loader))
    );
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(&format!("integrity=\"{expected}\"")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("src=\"{}/kuvert.js\"", inbox.url)),
        "{stdout}"
    );
}

/// An enrolled person (their invite used with a stand-in passkey, as a real enrolment leaves
/// it) and a token file of theirs with `scopes`.
fn person_with_token(
    inbox: &LiveInbox,
    dir: &Path,
    name: &str,
    role: &str,
    scopes: &[&str],
) -> PathBuf {
    use kuvert_inbox::people::{Secret, hash_secret};
    let state = inbox.state.inner();
    let store = &state.store;
    let accounts = state.config.accounts.as_ref().unwrap();
    let now = state.clock.now();
    let roles = std::collections::BTreeSet::from([role.to_owned()]);
    let (person, invite, _) =
        kuvert_inbox::api::directory::invite_person(store, accounts, name, &roles, now)
            .unwrap()
            .unwrap();
    store
        .enrol(&hash_secret(invite.expose()), name.as_bytes(), "{}", now)
        .unwrap()
        .unwrap();
    let (token, hash) = Secret::generate().unwrap();
    let scopes = scopes
        .iter()
        .map(|s| kuvert_inbox::config::Scope::parse(s).unwrap())
        .collect();
    store
        .add_token(person.id, &hash, &scopes, now, now + 3600)
        .unwrap();
    let file = dir.join(format!("{name}.token"));
    std::fs::write(&file, token.expose()).unwrap();
    file
}

/// Sets a person's public key through the API, with their token (what the console does).
fn set_key(inbox: &LiveInbox, token_file: &Path, key_file: &Path) {
    let public = pubkey(key_file.to_str().unwrap(), None);
    let token = std::fs::read_to_string(token_file).unwrap();
    let res = ureq::put(format!("{}/v1/staff/me/key", inbox.url))
        .header("authorization", &format!("Bearer {token}"))
        .content_type("application/json")
        .send(serde_json::json!({ "public_key": public.trim() }).to_string())
        .unwrap();
    assert_eq!(res.status().as_u16(), 204);
}

#[test]
fn an_owner_grants_a_role_and_its_holder_opens_bookings_with_a_personal_key_and_the_grant() {
    let inbox =
        live_inbox_with("[accounts]\npublic_url = \"http://localhost:1\"\nroles = [\"desk\"]\n");
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    let owner = person_with_token(&inbox, dir.path(), "Olive", "owner", &["manage"]);
    let ana = person_with_token(&inbox, dir.path(), "Ana", "desk", &["read"]);
    let bo = person_with_token(&inbox, dir.path(), "Bo", "desk", &["read"]);
    for (name, token) in [("ana.key", &ana), ("bo.key", &bo)] {
        let out = kuvert(&[
            "keygen",
            "--unprotected",
            "-o",
            path(name).to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        set_key(&inbox, token, &path(name));
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let demo = pubkey(DEMO_KEY, None);
    post(
        &inbox.url,
        &sealed_to(&[&demo], &booking((now / 1800 + 2) * 1800, "granted note")),
    );

    let grant = |token: &Path| {
        kuvert(&[
            "grant",
            "--inbox",
            &inbox.url,
            "--token-file",
            token.to_str().unwrap(),
            "--role",
            "desk",
            "--to",
            "Ana",
            "-i",
            DEMO_KEY,
        ])
    };
    // Only an owner's manage token may grant.
    let refused = grant(&ana);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        text(&refused.stderr).contains("--scope manage"),
        "{}",
        text(&refused.stderr)
    );
    let granted = grant(&owner);
    assert!(granted.status.success(), "{}", text(&granted.stderr));

    let fetch = |token: &Path, extra: &[&str]| {
        let mut args = vec![
            "fetch",
            "--inbox",
            &inbox.url,
            "--token-file",
            token.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        kuvert(&args)
    };
    let bookings = path("bookings.jsonl");
    assert!(
        fetch(&ana, &["-o", bookings.to_str().unwrap()])
            .status
            .success()
    );
    let ana_grants = path("ana-grants.json");
    let out = fetch(&ana, &["--grants", "-o", ana_grants.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let open = |key: &str, grants: &Path| {
        kuvert(&[
            "open",
            "-i",
            path(key).to_str().unwrap(),
            "--grants",
            grants.to_str().unwrap(),
            "--format",
            "json",
            bookings.to_str().unwrap(),
        ])
    };
    let opened = open("ana.key", &ana_grants);
    assert!(opened.status.success(), "{}", text(&opened.stderr));
    assert!(text(&opened.stdout).contains("granted note"));

    // Bo holds no grant: his grants open to no role key, so the booking stays closed.
    let bo_grants = path("bo-grants.json");
    assert!(
        fetch(&bo, &["--grants", "-o", bo_grants.to_str().unwrap()])
            .status
            .success()
    );
    let closed = open("bo.key", &bo_grants);
    assert!(!closed.status.success());
    assert!(!text(&closed.stdout).contains("granted note"));
    // Nor does Ana's grant open with his key.
    let wrong = open("bo.key", &ana_grants);
    assert_eq!(wrong.status.code(), Some(1));
    assert!(
        text(&wrong.stderr).contains("cannot open the grant of role desk"),
        "{}",
        text(&wrong.stderr)
    );
}
