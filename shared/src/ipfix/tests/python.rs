//! The exporter's output decodes with the Python reference (`../shared/ipfix/sbc_ipfix.py`)
//! to the values of `expected.json`.
use super::reference_dir;
use super::vectors::{encode_expected, load};
use serde_json::Value;
use std::process::Command;

const SNIPPET: &str = r#"
import json, sys
sys.path.insert(0, sys.argv[1])
import sbc_ipfix as s
msgs, rest = s.split_stream(open(sys.argv[2], "rb").read())
assert not rest, "trailing bytes"
print(json.dumps([s.decode_message(m) for m in msgs]))
"#;

/// IPFIX.md §5.2: the test exporter is byte-compatible with the reference decoder.
#[test]
fn exporter_output_decodes_with_python_reference() {
    let Some(vectors) = load() else { return };
    let stream: Vec<u8> = encode_expected(&vectors).concat();
    let dir = std::env::temp_dir().join(format!("callscope-ipfix-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("exporter.bin");
    std::fs::write(&file, &stream).unwrap();
    let out = Command::new("python3")
        .arg("-c")
        .arg(SNIPPET)
        .arg(reference_dir())
        .arg(&file)
        .output();
    let _ = std::fs::remove_dir_all(&dir);
    let out = match out {
        Ok(o) => o,
        Err(e) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "python3 missing under CI=true: {e}"
            );
            eprintln!("note: python3 not runnable, test skipped: {e}");
            return;
        }
    };
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let decoded: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let want: Vec<&Value> = vectors
        .iter()
        .filter(|v| v.expected["sets"][0]["set_id"] != 257)
        .map(|v| &v.expected)
        .collect();
    assert_eq!(decoded.len(), want.len());
    for (got, want) in decoded.iter().zip(want) {
        assert_eq!(got, want);
    }
}
