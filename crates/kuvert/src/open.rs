//! `kuvert open` and `kuvert export-age`: read envelopes (one JSON, or JSON Lines of envelopes
//! or of `kuvert fetch` records), open them on all cores, write a table, JSON Lines or CSV.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;

use kuvert_api::{Reference, StaffRecord};
use kuvert_core::open::{Identity, open};
use kuvert_core::schema::FieldKind;
use kuvert_core::{Booking, Envelope, FormSchema};
use rayon::prelude::*;

use crate::error::{CliError, Result};
use crate::text::{csv_text, terminal_safe};

/// Why a record could not be opened.
#[derive(Debug)]
pub enum Problem {
    /// The envelope or its sealed booking failed (see [`kuvert_core::Error`]).
    Envelope(kuvert_core::Error),
    /// The record's `reference` is not of the inbox's shape (a tampered export or inbox).
    Reference,
}

impl Problem {
    /// A stable code for scripts, shown in brackets.
    pub fn code(&self) -> &'static str {
        match self {
            Problem::Envelope(e) => e.code(),
            Problem::Reference => "invalid_reference",
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Envelope(e) => e.fmt(f),
            Problem::Reference => f.write_str(
                "its reference is not of the inbox's shape (XXXX-XXXX-XXXX); the file was altered",
            ),
        }
    }
}

impl From<kuvert_core::Error> for Problem {
    fn from(e: kuvert_core::Error) -> Self {
        Problem::Envelope(e)
    }
}

/// One input record.
pub struct Record {
    /// Booking reference (from `kuvert fetch`, shape-checked), or `#<line>` for bare envelopes
    /// and records whose reference is not a reference.
    pub label: String,
    /// When the inbox received it, if known (only a canonical UTC time is kept).
    pub received: Option<String>,
    /// The envelope, or why it could not be read.
    pub envelope: std::result::Result<Envelope, Problem>,
}

/// Splits input into records. Accepts one (possibly pretty-printed) JSON document, or JSON Lines.
pub fn records(input: &str) -> Result<Vec<Record>> {
    let whole: Option<serde_json::Value> = serde_json::from_str(input).ok();
    let values: Vec<(usize, std::result::Result<serde_json::Value, String>)> = match whole {
        Some(v) => vec![(1, Ok(v))],
        None => input
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| (i + 1, serde_json::from_str(l).map_err(|e| e.to_string())))
            .collect(),
    };
    if values.is_empty() {
        return Err(CliError::new(
            "the input holds no envelope",
            "give a file from `kuvert fetch` (JSON Lines) or one envelope (JSON)",
        ));
    }
    Ok(values
        .into_iter()
        .map(|(line, v)| {
            let v = v.unwrap_or(serde_json::Value::Null);
            if v.get("envelope").is_none() {
                return Record {
                    label: format!("#{line}"),
                    received: None,
                    envelope: Envelope::from_json(v.to_string().as_bytes()).map_err(Problem::from),
                };
            }
            let bad_reference = v["reference"].as_str().and_then(Reference::parse).is_none();
            match serde_json::from_value::<StaffRecord>(v) {
                Ok(record) => Record {
                    label: record.reference.as_str().to_owned(),
                    received: Some(record.received)
                        .filter(|r| kuvert_core::UtcTimestamp::parse(r).is_ok()),
                    envelope: Envelope::from_json(record.envelope.to_string().as_bytes())
                        .map_err(Problem::from),
                },
                Err(e) => Record {
                    label: format!("#{line}"),
                    received: None,
                    envelope: Err(if bad_reference {
                        Problem::Reference
                    } else {
                        Problem::Envelope(kuvert_core::Error::MalformedEnvelope(format!(
                            "not a record of `kuvert fetch`: {e}"
                        )))
                    }),
                },
            }
        })
        .collect())
}

/// Form schemas by form id, for the full re-check of opened bookings (`--schema`).
pub type Schemas = std::collections::BTreeMap<String, FormSchema>;

/// Reads one `--schema` file: the inbox's answer to `GET /v1/forms/{id}`
/// ([`kuvert_api::FormConfig`]), or a bare form schema (JSON).
pub fn load_schema(path: &Path) -> Result<FormSchema> {
    let text = std::fs::read_to_string(path).map_err(|e| crate::error::read_error(path, &e))?;
    let bad = |why: String| {
        CliError::new(
            format!("{} is not a form schema: {why}", path.display()),
            "give the form's schema file, or save the inbox's answer: curl https://INBOX/v1/forms/ID",
        )
    };
    // The inbox's answer, of any version (only its `schema` is read), or a bare schema.
    if let Ok(serde_json::Value::Object(mut answer)) = serde_json::from_str(&text)
        && let Some(schema) = answer.remove("schema")
    {
        return FormSchema::from_json(&schema.to_string()).map_err(|e| bad(e.to_string()));
    }
    FormSchema::from_json(&text).map_err(|e| bad(e.to_string()))
}

/// An opened booking, with where it came from.
pub struct Opened {
    /// Reference or line label.
    pub label: String,
    /// When received, if known.
    pub received: Option<String>,
    /// The booking.
    pub booking: Booking,
}

/// Opens every record in parallel and re-checks each booking: against its form's schema when
/// `schemas` has it, else against the field catalogue (the core's `open` does that much
/// always). Failures keep their label and reason.
pub fn open_all(
    records: Vec<Record>,
    identities: &[Identity],
    schemas: &Schemas,
    progress: &indicatif::ProgressBar,
) -> Vec<std::result::Result<Opened, (String, Problem)>> {
    records
        .into_par_iter()
        .map(|r| {
            let result = r.envelope.and_then(|e| {
                let booking = open(&e, identities)?;
                if let Some(schema) = schemas.get(&booking.form) {
                    booking.recheck(Some(schema))?;
                }
                Ok(booking)
            });
            progress.inc(1);
            match result {
                Ok(booking) => Ok(Opened {
                    label: r.label,
                    received: r.received,
                    booking,
                }),
                Err(e) => Err((r.label, e)),
            }
        })
        .collect()
}

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns for people.
    Table,
    /// One JSON object per booking per line.
    Json,
    /// Comma-separated, with a header row.
    Csv,
}

fn columns(opened: &[Opened]) -> Vec<String> {
    let present: BTreeSet<&str> = opened
        .iter()
        .flat_map(|o| o.booking.fields.iter().map(|(k, _)| k))
        .collect();
    let mut cols: Vec<String> = ["reference", "service", "start", "end"]
        .map(String::from)
        .to_vec();
    cols.extend(
        FieldKind::ALL
            .iter()
            .map(|k| k.key())
            .filter(|k| present.contains(k))
            .map(String::from),
    );
    cols.push("consent".into());
    cols
}

fn cell(o: &Opened, col: &str) -> String {
    match col {
        "reference" => o.label.clone(),
        "service" => o.booking.public.service.clone(),
        "start" => o.booking.public.start.clone(),
        "end" => o.booking.public.end.clone(),
        "consent" => o.booking.consent.accepted.join("+"),
        field => o.booking.fields.get(field).unwrap_or("").to_owned(),
    }
}

/// Neutralises spreadsheet formulas a customer might have typed (OWASP CSV injection). Plain
/// numbers such as an E.164 phone number (`+46701234567`) are left alone: they cannot run.
fn csv_safe(s: String) -> String {
    let numeric = |t: &str| t.chars().all(|c| c.is_ascii_digit() || " .,()".contains(c));
    let risky = match s.chars().next() {
        Some('=' | '@' | '\t' | '\r') => true,
        Some('+' | '-') => !numeric(&s[1..]),
        _ => false,
    };
    if risky { format!("'{s}") } else { s }
}

/// Writes the opened bookings.
pub fn write(opened: &[Opened], format: Format, out: &mut dyn Write) -> std::io::Result<()> {
    match format {
        Format::Json => {
            for o in opened {
                let mut v = serde_json::to_value(&o.booking).map_err(std::io::Error::other)?;
                v["reference"] = o.label.clone().into();
                if let Some(r) = &o.received {
                    v["received"] = r.clone().into();
                }
                writeln!(out, "{v}")?;
            }
        }
        Format::Csv => {
            let cols = columns(opened);
            let mut w = csv::Writer::from_writer(&mut *out);
            w.write_record(&cols)?;
            for o in opened {
                w.write_record(cols.iter().map(|c| csv_safe(csv_text(&cell(o, c)))))?;
            }
            w.flush()?;
        }
        Format::Table => {
            let cols = columns(opened);
            let rows: Vec<Vec<String>> = opened
                .iter()
                .map(|o| {
                    cols.iter()
                        .map(|c| terminal_safe(&cell(o, c).replace(['\n', '\t'], " ")))
                        .collect()
                })
                .collect();
            let widths: Vec<usize> = cols
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    rows.iter()
                        .map(|r| r[i].chars().count())
                        .chain([c.len()])
                        .max()
                        .unwrap_or(0)
                        .min(40)
                })
                .collect();
            let line = |cells: &[String]| {
                cells
                    .iter()
                    .zip(&widths)
                    .map(|(c, w)| {
                        let mut s: String = c.chars().take(*w).collect();
                        if c.chars().count() > *w {
                            s.pop();
                            s.push('…');
                        }
                        format!("{s:<w$}")
                    })
                    .collect::<Vec<_>>()
                    .join("  ")
                    .trim_end()
                    .to_owned()
            };
            writeln!(out, "{}", line(&cols))?;
            for r in &rows {
                writeln!(out, "{}", line(r))?;
            }
        }
    }
    out.flush()
}

/// The file name for a record in `export-age`: its reference, or `line-N` for a bare envelope
/// on line N. Nothing else: a reference comes from the input, and only the inbox's shape can
/// never name a path outside the folder.
fn export_name(label: &str) -> Option<String> {
    if Reference::parse(label).is_some() {
        return Some(format!("{label}.age"));
    }
    let line = label.strip_prefix('#')?;
    (!line.is_empty() && line.bytes().all(|b| b.is_ascii_digit()))
        .then(|| format!("line-{line}.age"))
}

/// Writes each record's sealed part as `DIR/<reference>.age` (binary age v1), never overwriting,
/// each file mode 0600.
pub fn export_age(records: Vec<Record>, dir: &Path) -> Result<(usize, Vec<String>)> {
    std::fs::create_dir_all(dir).map_err(|e| {
        CliError::new(
            format!("cannot create {}: {e}", dir.display()),
            "check the path",
        )
    })?;
    let mut written = 0;
    let mut failed = Vec::new();
    for r in records {
        let label = terminal_safe(&r.label);
        let Some(name) = export_name(&r.label) else {
            failed.push(format!(
                "error: booking {label}: {} [invalid_reference]",
                Problem::Reference
            ));
            continue;
        };
        let bytes = match r.envelope.and_then(|e| Ok(e.sealed_bytes()?)) {
            Ok(bytes) => bytes,
            Err(e) => {
                failed.push(terminal_safe(&format!(
                    "error: booking {label}: {e} [{}]",
                    e.code()
                )));
                continue;
            }
        };
        let path = dir.join(name);
        let mut f = crate::files::create_private(&path).map_err(|e| {
            CliError::new(
                format!("cannot create {}: {e}", path.display()),
                "export into an empty folder; kuvert never overwrites",
            )
        })?;
        f.write_all(&bytes).map_err(|e| {
            CliError::new(
                format!("cannot write {}: {e}", path.display()),
                "check free space",
            )
        })?;
        written += 1;
    }
    Ok((written, failed))
}
