//! Test helpers shared by the unit tests and the integration harness: where the
//! optional real captures are, and skips that tests/run.sh counts as skipped rather
//! than passed. Test tooling: compiled for unit tests and with the `synth` feature,
//! never into the extension.

use std::path::PathBuf;

/// Where the real captures are: `NANOCAP_CAPTURES`, else `../shared/captures` beside
/// the repository. Optional test input, not part of the repository.
pub fn captures_dir() -> PathBuf {
    match std::env::var_os("NANOCAP_CAPTURES") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/captures"),
    }
}

/// A real capture, or `None` after recording the skip.
pub fn real_capture(name: &str) -> Option<PathBuf> {
    let path = captures_dir().join(name);
    if path.exists() {
        return Some(path);
    }
    skip(&format!(
        "{} not found (optional test input)",
        path.display()
    ));
    None
}

/// Records that the calling test skips itself, then the test must return. The test
/// still shows as `ok` to cargo, so tests/run.sh reads the file named by
/// `NANOCAP_SKIPPED` (one `binary<TAB>test<TAB>reason` line per skip) and counts
/// those tests as skipped instead of passed.
pub fn skip(reason: &str) {
    use std::io::Write;
    eprintln!("SKIP: {reason}");
    let Some(file) = std::env::var_os("NANOCAP_SKIPPED") else {
        return;
    };
    let exe = std::env::current_exe().expect("test binary path");
    let binary = exe.file_name().expect("test binary name").to_string_lossy();
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("?");
    let line = format!("{binary}\t{test}\t{}\n", reason.replace(['\t', '\n'], " "));
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        // One write of one short line in append mode: parallel tests do not interleave.
        .open(&file)
        .and_then(|mut f| f.write_all(line.as_bytes()))
        .unwrap_or_else(|e| panic!("NANOCAP_SKIPPED={}: {e}", file.to_string_lossy()));
}
