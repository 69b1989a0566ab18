//! The API and the schema hold no special categories of personal data: no field of a
//! message and no column of a table records ethnicity, religion, health or a national
//! identity number. A field added with such a name fails this test.

use std::path::{Path, PathBuf};

/// Name fragments of the categories the programme must never store.
const FORBIDDEN: &[&str] = &[
    "ethnic",
    "race",
    "religio",
    "faith",
    "health",
    "diagnos",
    "disabil",
    "medical",
    "personnummer",
    "samordningsnummer",
    "national_id",
    "identity_number",
    "ssn",
];

/// Fields that contain a fragment but mean something else, as (type, name), with why.
const ALLOWED: &[(&str, &str)] = &[
    // `MatchHealth health` at a check-in: how a buddy pair is doing, not a person's health.
    ("MatchHealth", "health"),
];

fn files(dir: &Path, extension: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path, extension));
        } else if path.extension().is_some_and(|e| e == extension) {
            out.push(path);
        }
    }
    out
}

fn offending(name: &str) -> bool {
    let name = name.to_lowercase();
    FORBIDDEN.iter().any(|f| name.contains(f))
}

fn allowed(field_type: &str, name: &str) -> bool {
    ALLOWED.iter().any(|(t, n)| *t == field_type && *n == name)
}

/// The (type, name) of a proto field line `[repeated] type name = N;`, if it is one.
fn proto_field(code: &str) -> Option<(&str, &str)> {
    let words: Vec<&str> = code.split_whitespace().collect();
    let eq = words.iter().position(|w| *w == "=")?;
    (eq >= 2 && code.ends_with(';')).then(|| (words[eq - 2], words[eq - 1]))
}

#[test]
fn no_proto_field_records_a_special_category() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../proto");
    let mut found = Vec::new();
    for file in files(&root, "proto") {
        for line in std::fs::read_to_string(&file).unwrap().lines() {
            let code = line.split("//").next().unwrap().trim();
            if let Some((field_type, name)) = proto_field(code)
                && offending(name)
                && !allowed(field_type, name)
            {
                found.push(format!("{}: {code}", file.display()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "fields recording special categories: {found:#?}"
    );
}

#[test]
fn no_column_records_a_special_category() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../kompis-store/migrations");
    let mut found = Vec::new();
    for file in files(&root, "sql") {
        for line in std::fs::read_to_string(&file).unwrap().lines() {
            let code = line.split("--").next().unwrap().trim();
            // A column definition starts with the column's name.
            let first = code.split_whitespace().next().unwrap_or("");
            let name = first.trim_matches(|c: char| !c.is_alphanumeric() && c != '_');
            if !name.is_empty() && offending(name) {
                found.push(format!("{}: {code}", file.display()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "columns recording special categories: {found:#?}"
    );
}

#[test]
fn the_check_itself_catches_a_forbidden_name() {
    assert!(offending("ethnicity"));
    assert!(offending("religion"));
    assert!(offending("personnummer"));
    assert!(offending("health_conditions"));
    assert!(!offending("given_name"));
    assert_eq!(
        proto_field("string health_note = 7;"),
        Some(("string", "health_note"))
    );
    assert!(allowed("MatchHealth", "health"));
    assert!(!allowed("string", "health"));
}
