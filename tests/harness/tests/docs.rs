//! The documentation tells the truth: it sends nobody to files outside the repository,
//! the sections of docs/protocol.md that comments cite exist, and the README's join
//! workaround gives the rows of the plain join.

use nanocap_tests::*;
use std::path::{Path, PathBuf};

/// The repository's own text files (sources, scripts, docs), not build output.
fn text_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            if !matches!(name.as_str(), "target" | "node_modules" | ".git") {
                text_files(&path, out);
            }
        } else if [".rs", ".md", ".sh", ".toml", ".js", ".json", "run"]
            .iter()
            .any(|ext| name.ends_with(ext))
            && !name.ends_with(".truth.json")
            && name != "package-lock.json"
        {
            out.push(path);
        }
    }
}

#[test]
fn nothing_points_outside_the_repository() {
    let root = repo_root();
    let mut files = Vec::new();
    text_files(&root, &mut files);
    assert!(files.len() > 50, "walked too few files: {}", files.len());
    let this = PathBuf::from(file!());
    let mut bad = Vec::new();
    for f in &files {
        if f.ends_with(this.file_name().unwrap()) {
            continue;
        }
        let text = std::fs::read_to_string(f).unwrap();
        for (i, line) in text.lines().enumerate() {
            let outside = ["PROTOCOL.md", "ORIGINAL.md", "NANOCAP.md", "/work/shared"]
                .iter()
                .any(|s| line.contains(s))
                || line.replace("../shared/captures", "").contains("../shared");
            if outside {
                let rel = f.strip_prefix(&root).unwrap().display().to_string();
                bad.push(format!("{rel}:{}: {}", i + 1, line.trim()));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "references outside the repository:\n{}",
        bad.join("\n")
    );
}

#[test]
fn cited_protocol_sections_exist() {
    let root = repo_root();
    let doc = std::fs::read_to_string(root.join("docs/protocol.md")).unwrap();
    let headings: Vec<String> = doc
        .lines()
        .filter(|l| l.starts_with('#'))
        .filter_map(|l| l.trim_start_matches('#').split_whitespace().next())
        .map(|n| n.trim_end_matches('.').to_string())
        .collect();
    let mut files = Vec::new();
    text_files(&root, &mut files);
    let mut cited = 0;
    let mut missing = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for part in text.split("docs/protocol.md section ").skip(1) {
            let n: String = part
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            let n = n.trim_end_matches('.');
            if n.is_empty() {
                continue;
            }
            cited += 1;
            if !headings.iter().any(|h| h == n) {
                missing.push(format!("{}: section {n}", f.display()));
            }
        }
    }
    assert!(cited > 20, "only {cited} citations found");
    assert!(
        missing.is_empty(),
        "cited but not in docs/protocol.md: {missing:?}"
    );
}

#[test]
fn readme_join_workaround_gives_the_plain_join_rows() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let sql = readme
        .split("```sql\nWITH b AS MATERIALIZED")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .map(|s| format!("WITH b AS MATERIALIZED{s}"))
        .expect("README shows the MATERIALIZED workaround");
    let f = lit(&fixture("sample.pcapng"));
    let sql = sql.replace("'node.pcapng'", &f);
    let plain = format!(
        "SELECT v.account, v.hash, b.type_name FROM nano_vote_hashes({f}) v \
         JOIN nano_blocks({f}) b ON b.hash = v.hash"
    );
    let conn = connect();
    let sorted = |sql: &str| {
        let mut lines: Vec<String> = query_text(&conn, sql).lines().map(String::from).collect();
        lines.sort();
        lines
    };
    let got = sorted(&sql);
    assert!(got.len() > 100, "too few rows to compare: {}", got.len());
    assert_eq!(got, sorted(&plain));
}
