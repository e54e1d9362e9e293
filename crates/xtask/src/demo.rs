//! `cargo xtask demo`: the whole product on this machine.
//!
//! Builds the widget and the two binaries, makes a demo folder (`target/kuvert-demo/`) with a
//! passphrase-protected demo staff key, a staff token and an inbox config for a small salon,
//! starts the inbox on `localhost:8787` (it also serves the widget) and a host page on
//! `127.0.0.1:8080` — two origins, so the booking frame is really cross-origin — and prints the
//! page URL and the staff commands. Ctrl-C stops both. A second run reuses the folder.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::cmd::{Cmd, cargo, root};

const INBOX: &str = "http://localhost:8787";
const HOST_ADDR: &str = "127.0.0.1:8080";

/// The demo folder, relative to the repository (for the commands we print).
const DIR: &str = "target/kuvert-demo";

pub fn run() -> Result<(), String> {
    crate::setup::all(false)?;
    crate::widget::build(&cargo())?;
    Cmd::new(&cargo())
        .args(["build", "--locked", "-p", "kuvert-inbox", "-p", "kuvert"])
        .run()?;
    let dir = root().join(DIR);
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {DIR}: {e}"))?;
    let fresh_key = prepare(&dir)?;
    let public = std::fs::read_to_string(dir.join("staff.pub"))
        .map_err(|e| format!("cannot read {DIR}/staff.pub: {e}"))?;
    let public = public.trim();

    // The host page listens first, so a busy port is reported before anything starts.
    let host = TcpListener::bind(HOST_ADDR).map_err(|e| {
        format!("cannot listen on {HOST_ADDR} ({e}); is another demo running? Stop it and retry")
    })?;
    let mut inbox = Command::new(bin("kuvert-inbox"))
        .args(["serve", "--config"])
        .arg(dir.join("inbox.toml"))
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start kuvert-inbox: {e}"))?;
    let mut first = String::new();
    if let Some(out) = inbox.stdout.take() {
        let mut reader = BufReader::new(out);
        let _ = reader.read_line(&mut first);
        // Keep draining so the inbox never blocks on a full pipe.
        std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    }
    if first.trim().is_empty() {
        let _ = inbox.kill();
        return Err("kuvert-inbox did not start (is port 8787 in use? see the log above)".into());
    }

    // The snippet exactly as staff would make it: `kuvert snippet` hashes the loader the
    // running inbox serves.
    let snippet = Command::new(bin("kuvert"))
        .args(["snippet", "-r", public, "--inbox", INBOX, "--form", "salon"])
        .output()
        .map_err(|e| format!("cannot run kuvert snippet: {e}"))?;
    let snippet = String::from_utf8_lossy(&snippet.stdout);
    let tag = match snippet.find("</script>") {
        Some(end) => snippet[..end + "</script>".len()].to_owned(),
        None => {
            let _ = inbox.kill();
            return Err("kuvert snippet printed no <script> tag".into());
        }
    };
    let page = host_page(&tag);
    std::thread::spawn(move || serve_page(host, page));

    let d = DIR;
    println!(
        "\n==> Kuvert demo is running (Ctrl-C stops it)

  Customer: open http://{HOST_ADDR}/ and book (the frame comes from {INBOX}).

  Staff, in another terminal in this folder:
    cargo run -q -p kuvert -- fetch --inbox {INBOX} --token-file {d}/token.txt -o {d}/bookings.jsonl
    cargo run -q -p kuvert -- open -i {d}/staff.key {d}/bookings.jsonl
  (`open` asks for the demo key's passphrase.)

  Staff accounts (passkeys; the browser's own, or a phone):
    cargo run -q -p kuvert-inbox -- staff add-owner 'Demo Owner' --config {d}/inbox.toml
  prints a one-time enrolment link: open it, create a passkey, and sign in later at
  {INBOX}/desk/. Then `staff invite NAME --role desk`, `staff list` and `staff remove NAME`.

  Inbox config: {d}/inbox.toml; database: {d}/inbox.sqlite3.
  The page's snippet came from `kuvert snippet -r {public} --inbox {INBOX} --form salon`.",
    );
    if !fresh_key {
        println!(
            "  The demo key's passphrase was printed when {d}/staff.key was made. Lost it? Delete\n  {d} and run `cargo xtask demo` again."
        );
    }
    let status = inbox
        .wait()
        .map_err(|e| format!("waiting for the inbox: {e}"))?;
    if status.success() {
        println!("demo stopped");
        Ok(())
    } else {
        Err(format!("kuvert-inbox stopped: {status}"))
    }
}

fn bin(name: &str) -> PathBuf {
    root().join("target/debug").join(name)
}

/// Writes what is missing in the demo folder. Returns whether a new key was made.
fn prepare(dir: &Path) -> Result<bool, String> {
    let write = |name: &str, text: &str| {
        std::fs::write(dir.join(name), text).map_err(|e| format!("cannot write {DIR}/{name}: {e}"))
    };
    write("salon.json", include_str!("../demo/salon.json"))?;
    if !dir.join("token.txt").exists() || !dir.join("token.sha256").exists() {
        let out = Command::new(bin("kuvert-inbox"))
            .arg("token")
            .output()
            .map_err(|e| format!("cannot run kuvert-inbox token: {e}"))?;
        let text = String::from_utf8_lossy(&out.stdout);
        let after = |label: &str| {
            text.lines()
                .find(|l| l.starts_with(label))
                .and_then(|l| l.rsplit(' ').next())
                .map(str::to_owned)
                .ok_or_else(|| format!("unexpected `kuvert-inbox token` output: {text}"))
        };
        write("token.txt", &(after("token ")? + "\n"))?;
        write("token.sha256", &after("token_sha256 ")?)?;
    }
    let fresh_key = ensure_key(dir)?;
    let hash = std::fs::read_to_string(dir.join("token.sha256")).map_err(|e| e.to_string())?;
    let public = std::fs::read_to_string(dir.join("staff.pub")).map_err(|e| e.to_string())?;
    let www = root().join("www");
    // The key is pinned twice, as in production: in the page's snippet and here.
    let config = include_str!("../demo/inbox.toml")
        .replace("@WWW@", &www.display().to_string())
        .replace("@TOKEN_SHA256@", hash.trim())
        .replace("@RECIPIENT@", public.trim());
    write("inbox.toml", &config)?;
    Ok(fresh_key)
}

/// Makes the demo staff key unless it exists. Returns whether a new key was made.
fn ensure_key(dir: &Path) -> Result<bool, String> {
    let write = |name: &str, text: &str| {
        std::fs::write(dir.join(name), text).map_err(|e| format!("cannot write {DIR}/{name}: {e}"))
    };
    if dir.join("staff.key").exists() && dir.join("staff.pub").exists() {
        return Ok(false);
    }
    let _ = std::fs::remove_file(dir.join("staff.key"));
    let passphrase = demo_passphrase()?;
    let pass_file = dir.join(".passphrase-once");
    write(".passphrase-once", &format!("{passphrase}\n"))?;
    let out = Command::new(bin("kuvert"))
        .args(["keygen", "-o"])
        .arg(dir.join("staff.key"))
        .arg("--passphrase-file")
        .arg(&pass_file)
        .output();
    let _ = std::fs::remove_file(&pass_file);
    let out = out.map_err(|e| format!("cannot run kuvert keygen: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "kuvert keygen failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let public = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    write("staff.pub", &(public.clone() + "\n"))?;
    println!(
        "\n==> A DEMO staff key was made: {DIR}/staff.key (public key {public})
  DEMO passphrase, shown only now: {passphrase}
  It protects demo bookings only. Real keys: `kuvert keygen` with a passphrase you choose."
    );
    Ok(true)
}

/// 20 random Crockford base32 characters in groups: about 100 bits.
fn demo_passphrase() -> Result<String, String> {
    const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
    let mut bytes = [0u8; 20];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| format!("no random numbers: {e}"))?;
    let chars: Vec<char> = bytes
        .iter()
        .map(|b| ALPHABET[usize::from(b & 31)] as char)
        .collect();
    Ok(format!(
        "demo-{}",
        chars
            .chunks(5)
            .map(|c| c.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join("-")
    ))
}

pub fn host_page(tag: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Salong Sax (Kuvert demo)</title>
<link rel="icon" href="data:,">
</head>
<body style="font-family: system-ui, sans-serif; max-width: 44rem; margin: 2rem auto; padding: 0 1rem">
<p><strong>Demo page.</strong> This stands for the business's own website, on its own origin.
The booking form below runs in a frame from the inbox's origin; this page cannot read it.</p>
<h1>Salong Sax</h1>
<p>Book a haircut, colour or beard trim.</p>
{tag}
</body>
</html>
"#
    )
}

/// A one-page HTTP server for the demo host page (GET / only).
pub fn serve_page(listener: TcpListener, page: String) {
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        let mut line = String::new();
        let mut reader = BufReader::new(match stream.try_clone() {
            Ok(s) => s,
            Err(_) => continue,
        });
        if reader.read_line(&mut line).is_err() {
            continue;
        }
        // Skip the headers.
        let mut header = String::new();
        while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
            header.clear();
        }
        let ok = line.starts_with("GET / ") || line.starts_with("GET /index.html ");
        let (status, body) = if ok {
            ("200 OK", page.as_str())
        } else {
            ("404 Not Found", "not found\n")
        };
        let _ = write!(
            stream,
            "HTTP/1.1 {status}\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
    }
}
