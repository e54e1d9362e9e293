//! Opens an envelope for documentation and integration tests.
//!
//! ```text
//! cargo run -p kuvert-core --features open --example open -- -i key.txt [-i old-key.txt] < envelope.json
//! ```
//!
//! stdout: the booking JSON (the sealed plaintext, checked against the envelope's outside).
//! Plain `AGE-SECRET-KEY-1…` files work directly; for a passphrase-protected key this example
//! reads the passphrase from the file named by `KUVERT_PASSPHRASE_FILE` (staff use the
//! `kuvert` tool, which asks on the terminal).

use std::io::Read;
use std::process::ExitCode;

use kuvert_core::Envelope;
use kuvert_core::open::{identities_from_bytes, open};

fn run() -> Result<(), String> {
    let mut identities = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-i" | "--identity" => {
                let path = args.next().ok_or("-i needs a key file")?;
                let data = std::fs::read(&path).map_err(|e| format!("{path}: {e}"))?;
                let passphrase = || {
                    let file = std::env::var_os("KUVERT_PASSPHRASE_FILE")?;
                    let text = std::fs::read_to_string(file).ok()?;
                    Some(text.trim_end_matches(['\n', '\r']).to_owned().into())
                };
                identities.extend(
                    identities_from_bytes(&data, passphrase).map_err(|e| format!("{path}: {e}"))?,
                );
            }
            other => {
                return Err(format!(
                    "unknown argument `{other}`; usage: open -i key.txt < envelope.json"
                ));
            }
        }
    }
    if identities.is_empty() {
        return Err("give at least one -i key file".into());
    }
    let mut json = Vec::new();
    std::io::stdin()
        .read_to_end(&mut json)
        .map_err(|e| format!("could not read stdin: {e}"))?;
    let envelope = Envelope::from_json(&json).map_err(|e| format!("{e} [{}]", e.code()))?;
    let booking = open(&envelope, &identities).map_err(|e| format!("{e} [{}]", e.code()))?;
    println!(
        "{}",
        serde_json::to_string_pretty(&booking).expect("a booking serialises")
    );
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
