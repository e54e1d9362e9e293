//! The C2SP age test kit's vectors (`tests/testkit/`, source named in its README): loading,
//! and which are out of scope. Shared by `kuvert-age`'s header test and `kuvert-core`'s opener
//! test (included there with `#[path]`, so neither crate depends on the other for tests).
#![allow(dead_code)]

use std::io::Read;
use std::path::PathBuf;

/// Where the vectors are.
pub fn dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../kuvert-age/tests/testkit"
    ))
}

/// One vector: its header fields and the age file.
pub struct Vector {
    pub name: String,
    pub expect: String,
    pub payload_sha256: Option<String>,
    pub identities: Vec<String>,
    pub passphrase: bool,
    pub armored: bool,
    pub file: Vec<u8>,
}

pub fn load() -> Vec<Vector> {
    let dir = dir();
    let mut out = Vec::new();
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().is_some_and(|n| n != "README.md"))
        .collect();
    names.sort();
    for path in names {
        let bytes = std::fs::read(&path).unwrap();
        let split = bytes
            .windows(2)
            .position(|w| w == b"\n\n")
            .unwrap_or_else(|| panic!("{}: no blank line after the header", path.display()));
        let header = std::str::from_utf8(&bytes[..split]).unwrap();
        let mut body = bytes[split + 2..].to_vec();
        let mut v = Vector {
            name: path.file_name().unwrap().to_string_lossy().into_owned(),
            expect: String::new(),
            payload_sha256: None,
            identities: Vec::new(),
            passphrase: false,
            armored: false,
            file: Vec::new(),
        };
        let mut compressed = false;
        for line in header.lines() {
            let (key, value) = line.split_once(": ").unwrap_or((line, ""));
            match key {
                "expect" => v.expect = value.to_owned(),
                "payload" => v.payload_sha256 = Some(value.to_owned()),
                "identity" => v.identities.push(value.to_owned()),
                "passphrase" => v.passphrase = true,
                "armored" => v.armored = value == "yes",
                "compressed" => compressed = value == "zlib",
                _ => {}
            }
        }
        if compressed {
            let mut plain = Vec::new();
            flate2::read::ZlibDecoder::new(&body[..])
                .read_to_end(&mut plain)
                .unwrap();
            body = plain;
        }
        v.file = body;
        out.push(v);
    }
    out
}

/// Why a vector is out of scope, if it is.
pub fn skip_reason(v: &Vector) -> Option<&'static str> {
    if v.passphrase {
        Some("scrypt (passphrase) recipients")
    } else if v.armored {
        Some("ASCII armor")
    } else if v
        .identities
        .iter()
        .any(|i| !i.starts_with("AGE-SECRET-KEY-1"))
        || stanza_types(&v.file).iter().any(|t| t == "mlkem768x25519")
    {
        Some("post-quantum hybrid (mlkem768x25519) keys")
    } else {
        None
    }
}

/// The types of the header's stanza lines (`-> TYPE …`).
pub fn stanza_types(file: &[u8]) -> Vec<String> {
    let end = file
        .windows(4)
        .position(|w| w == b"\n---")
        .unwrap_or(file.len());
    String::from_utf8_lossy(&file[..end])
        .lines()
        .filter_map(|l| l.strip_prefix("-> "))
        .map(|args| args.split(' ').next().unwrap_or("").to_owned())
        .collect()
}

/// The skipped vectors by reason, for the test's output.
pub fn print_skipped(vectors: &[Vector]) -> usize {
    let mut skipped: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    for v in vectors {
        if let Some(reason) = skip_reason(v) {
            skipped.entry(reason).or_default().push(&v.name);
        }
    }
    for (reason, names) in &skipped {
        println!("  skipped {} ({reason}): {}", names.len(), names.join(", "));
    }
    skipped.values().map(Vec::len).sum()
}
