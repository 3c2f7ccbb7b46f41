//! Helpers for the integration tests: locate ../shared, analyse a capture, read tshark refs.
#![allow(dead_code)]

use callscope_shared::analysis::report::Report;
use callscope_shared::analysis::{Analyzer, AnalyzerConfig};
use callscope_shared::mmap::MappedFile;
use callscope_shared::wire::capture::CaptureReader;
use std::path::{Path, PathBuf};

/// `../shared` beside the repository (the reference folder CI provides).
pub fn shared_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared")
}

pub fn corpus(file: &str) -> PathBuf {
    shared_dir().join("corpus/pcaps").join(file)
}

pub fn corpus_ref(file: &str, kind: &str) -> PathBuf {
    shared_dir()
        .join("corpus/ref")
        .join(format!("{file}.{kind}"))
}

pub fn pcaps_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../pcaps")
}

/// True when the reference file exists. Under CI a missing file fails the test; elsewhere the
/// test prints why it did nothing and returns.
pub fn require(path: &Path) -> bool {
    if path.exists() {
        return true;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{} is missing: CI must provide ../shared", path.display());
    }
    eprintln!(
        "note: {} not found; test skipped outside CI",
        path.display()
    );
    false
}

pub fn analyze_with(path: &Path, cfg: AnalyzerConfig) -> Report {
    let map = MappedFile::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let reader =
        CaptureReader::new(map.bytes()).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut a = Analyzer::new(cfg);
    for frame in reader {
        match frame {
            Ok(f) => a.on_frame(&f),
            Err(e) => panic!("{}: {e}", path.display()),
        }
    }
    a.finish()
}

pub fn analyze(path: &Path) -> Report {
    analyze_with(path, AnalyzerConfig::default())
}

/// Label of a message as tshark prints it: the method, or the status code.
pub fn label(m: &callscope_shared::analysis::report::MessageRecord) -> String {
    match (&m.method, m.status) {
        (Some(x), _) => x.clone(),
        (None, Some(s)) => s.to_string(),
        _ => "?".into(),
    }
}
pub mod web;
