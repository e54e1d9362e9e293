//! `kuvert open` and `kuvert export-age`: read envelopes (one JSON, or JSON Lines of envelopes
//! or of `kuvert fetch` records), open them on all cores, write a table, JSON Lines or CSV.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;

use kuvert_core::open::{Identity, open};
use kuvert_core::schema::FieldKind;
use kuvert_core::{Booking, Envelope};
use rayon::prelude::*;

use crate::error::{CliError, Result};

/// One input record.
pub struct Record {
    /// Booking reference (from `kuvert fetch`), or `#<line>` for bare envelopes.
    pub label: String,
    /// When the inbox received it, if known.
    pub received: Option<String>,
    /// The envelope, or why it could not be read.
    pub envelope: std::result::Result<Envelope, kuvert_core::Error>,
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
            let (label, received, env) = if v.get("envelope").is_some() {
                let label = v["reference"]
                    .as_str()
                    .map_or_else(|| format!("#{line}"), str::to_owned);
                (
                    label,
                    v["received"].as_str().map(str::to_owned),
                    v["envelope"].clone(),
                )
            } else {
                (format!("#{line}"), None, v)
            };
            Record {
                label,
                received,
                envelope: Envelope::from_json(env.to_string().as_bytes()),
            }
        })
        .collect())
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

/// Opens every record in parallel. Failures keep their label and reason.
pub fn open_all(
    records: Vec<Record>,
    identities: &[Identity],
    progress: &indicatif::ProgressBar,
) -> Vec<std::result::Result<Opened, (String, kuvert_core::Error)>> {
    records
        .into_par_iter()
        .map(|r| {
            let result = r.envelope.and_then(|e| open(&e, identities));
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
                w.write_record(cols.iter().map(|c| csv_safe(cell(o, c))))?;
            }
            w.flush()?;
        }
        Format::Table => {
            let cols = columns(opened);
            let rows: Vec<Vec<String>> = opened
                .iter()
                .map(|o| {
                    cols.iter()
                        .map(|c| cell(o, c).replace(['\n', '\r', '\t'], " "))
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

/// Writes each record's sealed part as `DIR/<reference>.age` (binary age v1), never overwriting.
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
        let name = r.label.trim_start_matches('#');
        let file = r
            .envelope
            .and_then(|e| e.sealed_bytes())
            .map(|b| (b, dir.join(format!("{name}.age"))));
        match file {
            Ok((bytes, path)) => {
                let mut f = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&path)
                    .map_err(|e| {
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
            Err(e) => failed.push(format!("error: booking {}: {e} [{}]", r.label, e.code())),
        }
    }
    Ok((written, failed))
}
