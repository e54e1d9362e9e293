//! Seals a booking for documentation and integration tests.
//!
//! ```text
//! cargo run -p kuvert-core --example seal -- --recipient age1… [--recipient age1…] < booking.json
//! ```
//!
//! stdin: `{"form": …, "public": {…}, "fields": {…}, "consent": {…}}`.
//! stdout: the envelope JSON. stderr: the customer's cancellation code (a secret: the widget
//! shows it once to the customer and nowhere else).

use std::io::Read;
use std::process::ExitCode;

use kuvert_core::minimise::Fields;
use kuvert_core::{Booking, CancelCode, ConsentReceipt, PublicFacts, Recipient, seal_with_os_rng};

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    form: String,
    public: PublicFacts,
    fields: Fields,
    consent: ConsentReceipt,
}

fn run() -> Result<(), String> {
    let mut recipients = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-r" | "--recipient" => {
                let value = args.next().ok_or("--recipient needs a value (age1…)")?;
                recipients.push(
                    value
                        .parse::<Recipient>()
                        .map_err(|e| format!("--recipient {value}: {e}"))?,
                );
            }
            other => {
                return Err(format!(
                    "unknown argument `{other}`; usage: seal --recipient age1… < booking.json"
                ));
            }
        }
    }
    if recipients.is_empty() {
        return Err("give at least one --recipient age1… (from `kuvert pubkey`)".into());
    }
    let mut json = Vec::new();
    std::io::stdin()
        .read_to_end(&mut json)
        .map_err(|e| format!("could not read stdin: {e}"))?;
    let input: Input = serde_json::from_slice(&json).map_err(|e| {
        format!(
            "stdin is not a booking {{form, public, fields, consent}}: line {}, column {}",
            e.line(),
            e.column()
        )
    })?;
    let booking = Booking {
        kuvert: 1,
        form: input.form,
        public: input.public,
        fields: input.fields,
        consent: input.consent,
    };
    let code = CancelCode::generate(&mut getrandom::SysRng).map_err(|e| e.to_string())?;
    let envelope = seal_with_os_rng(&recipients, &booking, &code).map_err(|e| e.to_string())?;
    println!("{}", envelope.to_json());
    eprintln!("cancellation code: {}", code.display_grouped());
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
