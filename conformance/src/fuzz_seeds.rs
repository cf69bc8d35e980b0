//! Seeds for the fuzz targets (`cargo xtask fuzz`), taken from the files the features make:
//! with `OQS_FUZZ_SEEDS=<dir>` set, every scenario's World folder is read at its end and each
//! file a fuzz target parses is copied to `<dir>/<target>/<hash>` (same bytes, same name once).

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::Path;

/// The variable that turns harvesting on.
pub const VAR: &str = "OQS_FUZZ_SEEDS";

/// Largest file kept as a seed: libFuzzer works on small inputs, and a seed is a start.
const MAX_SEED: u64 = 64 * 1024;

/// Which fuzz targets read a file of this name.
fn targets_of(name: &str) -> &'static [&'static str] {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".xml") && lower.contains("req_") {
        &["request_xml", "encoding"]
    } else if lower.ends_with(".xml") && lower.contains("res_") {
        &["result_xml", "encoding"]
    } else if lower.ends_with(".zip") {
        &["aes_zip"]
    } else if lower.ends_with(".csv") {
        &["account_csv"]
    } else if lower == "readerinfo.ini" {
        &["reader_info"]
    } else if lower.ends_with(".property") || lower == "encrypt.conf" {
        &["property"]
    } else if lower.ends_with(".xml") {
        &["task_xml"]
    } else {
        &[]
    }
}

fn put(dest: &Path, target: &str, bytes: &[u8]) {
    let mut h = DefaultHasher::new();
    bytes.hash(&mut h);
    let dir = dest.join(target);
    // seeds are a help, never a reason for a scenario to fail
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join(format!("{:016x}", h.finish())), bytes);
}

/// Copies the seeds found under `world` (a World's folder) into `dest`; how many were copied.
pub fn harvest(world: &Path, dest: &Path) -> usize {
    let mut n = 0;
    let mut stack = vec![world.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let Ok(t) = e.file_type() else { continue };
            if t.is_dir() {
                stack.push(e.path());
                continue;
            }
            let name = e.file_name().to_string_lossy().into_owned();
            put(dest, "file_name", name.as_bytes());
            let targets = targets_of(&name);
            if targets.is_empty() || e.metadata().map_or(true, |m| m.len() > MAX_SEED) {
                continue;
            }
            let Ok(bytes) = std::fs::read(e.path()) else {
                continue;
            };
            for t in targets {
                put(dest, t, &bytes);
                n += 1;
            }
        }
    }
    n
}

/// The last request the scenario's HIS wrote, in both character codes: the app has usually
/// taken the file from `req` by the scenario's end.
pub fn harvest_request(request: &oqs_proto::linkage::message::Request, dest: &Path) {
    use oqs_proto::settings::CharacterCode;
    for code in [CharacterCode::Utf8, CharacterCode::ShiftJis] {
        if let Ok(bytes) = request.to_bytes(code) {
            put(dest, "request_xml", &bytes);
            put(dest, "encoding", &bytes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_go_to_the_targets_that_read_them() {
        let world = tempfile::tempdir().unwrap();
        let dest = tempfile::tempdir().unwrap();
        let req = world.path().join("C/OQS/req");
        std::fs::create_dir_all(&req).unwrap();
        std::fs::write(req.join("OQSsiquc01req_1.xml"), b"<XmlMsg/>").unwrap();
        std::fs::write(req.join("OQSsiquc01req_2.xml"), b"<XmlMsg/>").unwrap();
        std::fs::write(world.path().join("ReaderInfo.ini"), b"[Reader]").unwrap();
        std::fs::write(world.path().join("notes.txt"), b"x").unwrap();
        assert_eq!(harvest(world.path(), dest.path()), 5);
        let count = |t: &str| std::fs::read_dir(dest.path().join(t)).map_or(0, |d| d.count());
        // the two requests have the same bytes: one seed
        assert_eq!(count("request_xml"), 1);
        assert_eq!(count("encoding"), 1);
        assert_eq!(count("reader_info"), 1);
        assert_eq!(count("file_name"), 4);
        assert_eq!(count("task_xml"), 0);
    }
}
