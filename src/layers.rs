//! The house rule, checked: every `use crate::…` points down the layers below (or within its own
//! module). A new arrow upward fails this test, naming the file and the import.

/// Top-level modules from the top floor down; a module may name only modules on lower floors.
/// Modules on one floor do not name each other.
const FLOORS: &[&[&str]] = &[
    &["cmd"],
    &["cli"],
    &["ops"],
    &["deploy", "provision", "notifications"],
    &["release"],
    &["session"],
    &["settings"],
    &["output"],
    &["docker", "aws"],
    &["engine"],
    &["registry"],
    &["config"],
    &["git", "template", "state"],
    &["applog", "units", "suggest", "error", "awspeer"],
];

fn floor(module: &str) -> Option<usize> {
    FLOORS.iter().position(|f| f.contains(&module))
}

/// The top-level module a source file belongs to (`src/deploy/ecs/mod.rs` → `deploy`).
fn module_of(path: &std::path::Path, src: &std::path::Path) -> Option<String> {
    let rel = path.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_string_lossy();
    Some(first.trim_end_matches(".rs").to_string())
}

fn files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn every_import_points_down_a_floor() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    files(&src, &mut all);
    // A wrong path would read nothing and pass: the test must have seen the tree.
    assert!(
        all.len() > 50,
        "read only {} files under {}",
        all.len(),
        src.display()
    );
    let mut imports = 0;
    let mut upward = Vec::new();
    let mut unplaced = Vec::new();
    for path in &all {
        let Some(from) = module_of(path, &src) else {
            continue;
        };
        if matches!(from.as_str(), "lib" | "main" | "layers") {
            continue;
        }
        let Some(from_floor) = floor(&from) else {
            unplaced.push(from);
            continue;
        };
        let text = std::fs::read_to_string(path).unwrap_or_default();
        for (i, line) in text.lines().enumerate() {
            for (at, _) in line.match_indices("crate::") {
                let to: String = line[at + 7..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if to == from || to.is_empty() {
                    continue;
                }
                imports += 1;
                match floor(&to) {
                    Some(f) if f > from_floor => {}
                    _ => upward.push(format!(
                        "{}:{}: {from} names crate::{to}",
                        path.strip_prefix(&src).unwrap_or(path).display(),
                        i + 1
                    )),
                }
            }
        }
    }
    assert!(
        imports > 200,
        "found only {imports} imports between modules"
    );
    unplaced.sort();
    unplaced.dedup();
    assert!(unplaced.is_empty(), "modules on no floor: {unplaced:?}");
    assert!(
        upward.is_empty(),
        "imports that do not point down:\n{}",
        upward.join("\n")
    );
}
