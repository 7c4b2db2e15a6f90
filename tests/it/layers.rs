//! The layers of `docs/ARCHITECTURE.md` are the code's: every module of
//! `src/` sits in exactly one layer of the table there, and imports only
//! modules of lower layers (never its own layer, never above). Terminal and
//! command-line crates belong to the front ends alone.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Crates only the front ends (layers 9 and up) may use.
const FRONT_END_CRATES: &[&str] = &["clap", "ratatui", "ratatui_image", "crossterm", "indicatif", "viuer", "notify"];
const FRONT_END_LAYER: u32 = 9;

/// `layer N  name  module module …` lines of the layer table in the architecture map.
fn layers() -> BTreeMap<String, u32> {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/ARCHITECTURE.md")).unwrap();
    let mut out = BTreeMap::new();
    for line in doc.lines() {
        let Some(rest) = line.trim().strip_prefix("layer ") else { continue };
        let mut words = rest.split_whitespace();
        let n: u32 = words.next().and_then(|w| w.parse().ok()).expect("layer number");
        // After the number: a name in words, then the modules in `backticks`.
        for w in words.filter(|w| w.starts_with('`')) {
            let module = w.trim_matches(|c| c == '`' || c == ',').to_string();
            assert!(out.insert(module.clone(), n).is_none(), "{module} appears in two layers");
        }
    }
    assert!(out.len() > 10, "no layer table found in docs/ARCHITECTURE.md");
    out
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(rust_files(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out
}

/// Top-level modules a file names: `crate::m`, `use crate::{m, …}`, and the
/// `super::…::m` that climbs back to the crate root.
fn imports(text: &str, depth: usize) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let ident = |s: &str| -> String { s.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect() };
    let mut rest = text;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + 7..];
        if let Some(group) = rest.strip_prefix('{') {
            // `crate::{a::b, c}`: the names at the group's top level.
            let mut level = 0;
            let mut start = 0;
            for (k, ch) in group.char_indices() {
                match ch {
                    '{' => level += 1,
                    '}' if level == 0 => {
                        out.insert(ident(group[start..k].trim()));
                        break;
                    }
                    '}' => level -= 1,
                    ',' if level == 0 => {
                        out.insert(ident(group[start..k].trim()));
                        start = k + 1;
                    }
                    _ => {}
                }
            }
        } else {
            out.insert(ident(rest));
        }
    }
    let climb = "super::".repeat(depth);
    for (i, _) in text.match_indices(&climb) {
        let after = &text[i + climb.len()..];
        if !after.starts_with("super::") && !text[..i].ends_with("super::") {
            out.insert(ident(after));
        }
    }
    out.retain(|m| !m.is_empty());
    out
}

#[test]
fn every_module_imports_only_from_the_layers_below_it() {
    let layers = layers();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for file in rust_files(&src) {
        let rel = file.strip_prefix(&src).unwrap();
        let parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
        if parts == ["lib.rs"] || parts == ["main.rs"] {
            continue;
        }
        let module = parts[0].trim_end_matches(".rs").to_string();
        seen.insert(module.clone());
        let Some(&mine) = layers.get(&module) else {
            problems.push(format!("src/{} belongs to no layer: add `{module}` to the table", rel.display()));
            continue;
        };
        // src/m.rs and src/m/mod.rs reach the root with one `super::`; src/m/x.rs with two.
        let depth = if parts.last().is_some_and(|p| p == "mod.rs") { parts.len() - 1 } else { parts.len() };
        let text = std::fs::read_to_string(&file).unwrap();
        for dep in imports(&text, depth) {
            if dep == module {
                continue;
            }
            match layers.get(&dep) {
                Some(&theirs) if theirs < mine => {}
                Some(&theirs) => problems.push(format!(
                    "src/{} (layer {mine}, `{module}`) imports `{dep}` (layer {theirs}): only lower layers may be imported",
                    rel.display()
                )),
                None => {} // not a module of ours (a local name after `super::`)
            }
        }
        if mine < FRONT_END_LAYER {
            for krate in FRONT_END_CRATES {
                if text.contains(&format!("{krate}::")) {
                    problems.push(format!("src/{} (layer {mine}) uses `{krate}`, a front-end crate", rel.display()));
                }
            }
        }
    }
    for listed in layers.keys() {
        if !seen.contains(listed) {
            problems.push(format!("the layer table lists `{listed}`, which is not a module of src/"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_import_reader_sees_every_form() {
    let text = "use crate::{a::X, b, c::{d, e}};\nlet x = crate::f::g();\nuse super::h;\nuse super::super::i;";
    let found = imports(text, 1);
    for m in ["a", "b", "c", "f", "h"] {
        assert!(found.contains(m), "{m}: {found:?}");
    }
    assert!(!found.contains("d") && !found.contains("i"), "{found:?}");
    assert!(imports(text, 2).contains("i"));
}
