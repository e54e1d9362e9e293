//! Key files: generating, protecting with a passphrase, loading, and public keys.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use age::secrecy::{ExposeSecret, SecretString};
use kuvert_core::Recipient;
use kuvert_core::open::{IdentityError, is_protected, x25519_identities_from_bytes};
use zeroize::Zeroizing;

use crate::error::{CliError, Result, read_error};

/// age's default scrypt work factor (log2 N); protected keys are never made weaker.
pub const AGE_DEFAULT_WORK_FACTOR: u8 = 18;
/// Lowest zxcvbn score (0-4) a key passphrase may have.
pub const MIN_PASSPHRASE_SCORE: u8 = 3;

/// Where passphrases come from.
#[derive(Clone, Debug)]
pub enum Passphrase {
    /// Ask on the terminal, without echo.
    Terminal,
    /// The first line of a file (automation; keep it mode 0600).
    File(PathBuf),
}

impl Passphrase {
    /// From the `--passphrase-file` option.
    pub fn from_option(file: Option<PathBuf>) -> Self {
        file.map_or(Passphrase::Terminal, Passphrase::File)
    }

    fn read(&self, prompt: &str) -> Result<SecretString> {
        match self {
            Passphrase::File(path) => {
                let text = Zeroizing::new(
                    std::fs::read_to_string(path).map_err(|e| read_error(path, &e))?,
                );
                let line = text.lines().next().unwrap_or("");
                Ok(SecretString::from(line.to_owned()))
            }
            Passphrase::Terminal => rpassword::prompt_password(prompt)
                .map(SecretString::from)
                .map_err(|_| {
                    CliError::new(
                        "cannot ask for the passphrase: no terminal",
                        "run kuvert in a terminal, or pass --passphrase-file FILE",
                    )
                }),
        }
    }

    /// Asks for an existing key's passphrase.
    pub fn ask(&self, path: &Path) -> Result<SecretString> {
        self.read(&format!("Passphrase for {}: ", path.display()))
    }

    /// Asks for a new passphrase (twice on a terminal) and checks its strength.
    pub fn ask_new(&self) -> Result<SecretString> {
        let first = self.read("New passphrase for the key: ")?;
        if matches!(self, Passphrase::Terminal) {
            let second = self.read("Repeat the passphrase: ")?;
            if first.expose_secret() != second.expose_secret() {
                return Err(CliError::new(
                    "the passphrases do not match",
                    "run the command again and type the same passphrase twice",
                ));
            }
        }
        check_strength(first.expose_secret())?;
        Ok(first)
    }
}

/// Refuses passphrases that zxcvbn scores below [`MIN_PASSPHRASE_SCORE`], saying why.
pub fn check_strength(passphrase: &str) -> Result<()> {
    let estimate = zxcvbn::zxcvbn(passphrase, &["kuvert", "booking", "bookings"]);
    let score = u8::from(estimate.score());
    if score >= MIN_PASSPHRASE_SCORE {
        return Ok(());
    }
    let mut why = match estimate.feedback().and_then(|f| f.warning()) {
        Some(w) => w.to_string(),
        None => "it would be guessed too quickly".to_owned(),
    };
    why = why.trim_end_matches('.').to_owned();
    let tip = estimate
        .feedback()
        .and_then(|f| f.suggestions().first().map(|s| s.to_string()))
        .unwrap_or_else(|| "Use four or more random words.".to_owned());
    Err(CliError::new(
        format!(
            "the passphrase is too weak (strength {score} of 4, need {MIN_PASSPHRASE_SCORE}): {why}"
        ),
        format!("{tip} A long phrase of unrelated words is easy to type and hard to guess."),
    ))
}

/// The scrypt work factor for about one second on this machine, never below age's default.
pub fn tuned_work_factor() -> u8 {
    let params = scrypt::Params::new(12, 8, 1, 32).expect("valid scrypt parameters");
    let mut out = [0u8; 32];
    let start = Instant::now();
    let _ = scrypt::scrypt(b"kuvert", b"work factor probe", &params, &mut out);
    let secs = start.elapsed().as_secs_f64().max(1e-6);
    // Each step doubles the work: find log2(N) with about one second.
    let mut log_n = 12u8;
    let mut t = secs;
    while t < 1.0 && log_n < 30 {
        log_n += 1;
        t *= 2.0;
    }
    log_n.max(AGE_DEFAULT_WORK_FACTOR)
}

/// A newly generated key, as the text of a plain identity file.
pub struct NewKey {
    /// The public key.
    pub recipient: String,
    /// `# created…`, `# public key: age1…`, `AGE-SECRET-KEY-1…` lines.
    pub plain: Zeroizing<String>,
}

/// Generates a new X25519 identity.
pub fn generate() -> NewKey {
    let identity = age::x25519::Identity::generate();
    let recipient = identity.to_public().to_string();
    let mut plain = Zeroizing::new(String::new());
    plain.push_str("# Kuvert staff key: it opens bookings. Keep it secret; keep a backup.\n");
    plain.push_str(&format!("# public key: {recipient}\n"));
    plain.push_str(identity.to_string().expose_secret());
    plain.push('\n');
    NewKey { recipient, plain }
}

/// Encrypts a plain identity file with a passphrase (age scrypt, ASCII-armored).
pub fn protect(plain: &str, passphrase: SecretString, work_factor: u8) -> Result<Vec<u8>> {
    let mut recipient = age::scrypt::Recipient::new(passphrase);
    recipient.set_work_factor(work_factor);
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
            .map_err(|e| {
                CliError::new(
                    format!("cannot encrypt the key: {e}"),
                    "this is a bug; please report it",
                )
            })?;
    let mut out = Vec::new();
    let internal = |e: std::io::Error| {
        CliError::new(
            format!("cannot encrypt the key: {e}"),
            "this is a bug; please report it",
        )
    };
    let armor = age::armor::ArmoredWriter::wrap_output(&mut out, age::armor::Format::AsciiArmor)
        .map_err(internal)?;
    let mut writer = encryptor.wrap_output(armor).map_err(internal)?;
    writer.write_all(plain.as_bytes()).map_err(internal)?;
    writer
        .finish()
        .and_then(|armor| armor.finish())
        .map_err(internal)?;
    Ok(out)
}

/// Writes a new key file with mode 0600, refusing to overwrite anything.
pub fn write_new_file(path: &Path, contents: &[u8]) -> Result<()> {
    let mut file = crate::files::create_private(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => CliError::new(
            format!("{} already exists", path.display()),
            "kuvert never overwrites a key file: choose another name, or move the old file away first",
        ),
        _ => CliError::new(format!("cannot create {}: {e}", path.display()), "check that the folder exists and is writable"),
    })?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .map_err(|e| {
            CliError::new(
                format!("cannot write {}: {e}", path.display()),
                "check free space; then delete the partial file and retry",
            )
        })
}

/// Loads the X25519 identities of a key file, asking for its passphrase if it is protected.
pub fn load(path: &Path, passphrase: &Passphrase) -> Result<Vec<age::x25519::Identity>> {
    let mut data = Zeroizing::new(Vec::new());
    std::fs::File::open(path)
        .and_then(|mut f| f.read_to_end(&mut data))
        .map_err(|e| read_error(path, &e))?;
    let mut asked = None;
    let result = x25519_identities_from_bytes(&data, || match passphrase.ask(path) {
        Ok(p) => Some(p),
        Err(e) => {
            asked = Some(e);
            None
        }
    });
    if let Some(e) = asked {
        return Err(e);
    }
    result.map_err(|e| match e {
        IdentityError::CannotUnlock => CliError::new(
            format!("cannot unlock {}: wrong passphrase, or the file is damaged", path.display()),
            "type the passphrase again; if it keeps failing, use your backup of the key file",
        ),
        IdentityError::NotAnIdentityFile | IdentityError::NoIdentities => CliError::new(
            format!("{} is not a Kuvert/age key file", path.display()),
            "give the file written by `kuvert keygen` (it starts with AGE-SECRET-KEY-1 or -----BEGIN AGE ENCRYPTED FILE-----); a public age1… key cannot open bookings",
        ),
        IdentityError::PassphraseRequired => CliError::new(format!("{} needs its passphrase", path.display()), "run in a terminal or pass --passphrase-file"),
        _ => CliError::new(format!("cannot use {}: {e}", path.display()), "check the key file"),
    })
}

/// Whether a key file is passphrase-protected (without asking anything).
pub fn file_is_protected(path: &Path) -> Result<bool> {
    let data = std::fs::read(path).map_err(|e| read_error(path, &e))?;
    Ok(is_protected(&data))
}

/// The public keys of identities.
pub fn recipients_of(ids: &[age::x25519::Identity]) -> Vec<String> {
    ids.iter().map(|i| i.to_public().to_string()).collect()
}

/// Parses `age1…` strings given on the command line.
pub fn parse_recipients(list: &[String]) -> Result<Vec<Recipient>> {
    list.iter()
        .map(|r| {
            r.parse::<Recipient>().map_err(|e| {
                CliError::new(
                    format!("`{r}` is not a usable public key: {e}"),
                    "copy the key again from `kuvert pubkey -i KEYFILE`; it starts with age1",
                )
            })
        })
        .collect()
}
