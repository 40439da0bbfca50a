//! Unit-test helpers shared across modules: the optional real capture, and skips that
//! tests/run.sh counts as skipped rather than passed.

use std::path::PathBuf;

/// A real capture from `NANOCAP_CAPTURES` (default `../shared/captures` beside the
/// repository; optional test input), or `None` after recording the skip.
pub(crate) fn real_capture(name: &str) -> Option<PathBuf> {
    let dir = match std::env::var_os("NANOCAP_CAPTURES") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/captures"),
    };
    let path = dir.join(name);
    if path.exists() {
        return Some(path);
    }
    skip(&format!(
        "{} not found (optional test input)",
        path.display()
    ));
    None
}

/// Same contract as the harness's `skip`: one `binary<TAB>test<TAB>reason` line
/// appended to the file named by `NANOCAP_SKIPPED`.
pub(crate) fn skip(reason: &str) {
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
        .open(&file)
        .and_then(|mut f| f.write_all(line.as_bytes()))
        .unwrap_or_else(|e| panic!("NANOCAP_SKIPPED={}: {e}", file.to_string_lossy()));
}
