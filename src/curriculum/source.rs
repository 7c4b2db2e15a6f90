//! Where a curriculum's files come from: the copy embedded in the binary, or
//! an instructor's folder given with `--curriculum DIR`.
//!
//! Both have the same layout (`curriculum/path.toml`, `exercises/<stage>/<id>/…`),
//! so everything above this module reads files by relative path and never
//! asks which kind it has.

use std::path::{Component, Path, PathBuf};

use include_dir::{Dir, include_dir};

static CURRICULUM: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/curriculum");
static EXERCISES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/exercises");

/// The embedded folder holding `rel`, and `rel` relative to it.
fn embedded(rel: &str) -> Option<(&'static Dir<'static>, &str, &'static str)> {
    let rel = rel.trim_end_matches('/');
    for (prefix, dir) in [("curriculum", &CURRICULUM), ("exercises", &EXERCISES)] {
        if rel == prefix {
            return Some((dir, "", prefix));
        }
        if let Some(rest) = rel.strip_prefix(prefix).and_then(|r| r.strip_prefix('/')) {
            return Some((dir, rest, prefix));
        }
    }
    None
}

fn embedded_file(rel: &str) -> Option<&'static include_dir::File<'static>> {
    let (dir, inner, _) = embedded(rel)?;
    dir.get_file(inner)
}

fn embedded_dir(rel: &str) -> Option<(&'static Dir<'static>, &'static str)> {
    let (dir, inner, prefix) = embedded(rel)?;
    if inner.is_empty() { Some((dir, prefix)) } else { dir.get_dir(inner).map(|d| (d, prefix)) }
}

#[derive(Debug, Clone)]
pub enum Source {
    /// The curriculum shipped inside the binary.
    Embedded,
    /// A folder on disk.
    Folder(PathBuf),
}

impl Source {
    /// How a relative path is shown to the user in messages.
    pub fn display(&self, rel: &str) -> String {
        match self {
            Source::Embedded => format!("builtin:{rel}"),
            Source::Folder(root) => root.join(rel).display().to_string(),
        }
    }

    /// A short description of the source itself.
    pub fn describe(&self) -> String {
        match self {
            Source::Embedded => "built-in curriculum".to_string(),
            Source::Folder(root) => root.display().to_string(),
        }
    }

    pub fn read(&self, rel: &str) -> std::io::Result<Vec<u8>> {
        match self {
            Source::Embedded => embedded_file(rel).map(|f| f.contents().to_vec()).ok_or_else(|| {
                std::io::Error::new(std::io::ErrorKind::NotFound, format!("{rel} is not in the built-in curriculum"))
            }),
            Source::Folder(root) => {
                let path = root.join(rel);
                // A symlink may not lead out of the curriculum folder.
                if !inside(root, &path) {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::PermissionDenied,
                        format!("{rel} leads outside the curriculum folder (a symbolic link?)"),
                    ));
                }
                std::fs::read(path)
            }
        }
    }

    /// Whether the file `rel` really lies inside the folder `dir` (both
    /// relative to the curriculum), symbolic links resolved: a link in an
    /// exercise folder pointing elsewhere does not count as its asset.
    pub fn resolves_inside(&self, dir: &str, rel: &str) -> bool {
        match self {
            Source::Embedded => true,
            Source::Folder(root) => inside(&root.join(dir), &root.join(rel)),
        }
    }

    pub fn read_text(&self, rel: &str) -> std::io::Result<String> {
        let bytes = self.read(rel)?;
        String::from_utf8(bytes)
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "file is not valid UTF-8"))
    }

    pub fn is_file(&self, rel: &str) -> bool {
        match self {
            Source::Embedded => embedded_file(rel).is_some(),
            Source::Folder(root) => root.join(rel).is_file(),
        }
    }

    /// Names of the sub-folders of `rel`, sorted; empty when `rel` is missing.
    pub fn subdirs(&self, rel: &str) -> Vec<String> {
        let mut names: Vec<String> = match self {
            Source::Embedded => embedded_dir(rel)
                .map(|(d, _)| {
                    d.dirs().filter_map(|s| s.path().file_name().and_then(|n| n.to_str()).map(str::to_string)).collect()
                })
                .unwrap_or_default(),
            Source::Folder(root) => std::fs::read_dir(root.join(rel))
                .map(|rd| {
                    rd.filter_map(|e| e.ok())
                        .filter(|e| e.file_type().map(|t| t.is_dir()).unwrap_or(false))
                        .filter_map(|e| e.file_name().to_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
        };
        names.sort();
        names
    }
}

/// Whether `path` resolves (symbolic links followed) to somewhere inside `dir`.
/// A path that does not exist is judged by its parent, so "missing" is
/// reported as such rather than as an escape.
fn inside(dir: &Path, path: &Path) -> bool {
    // A folder that is not there holds nothing to escape from; reading fails on its own.
    let Ok(dir) = dir.canonicalize() else { return true };
    match path.canonicalize() {
        Ok(p) => p.starts_with(&dir),
        Err(_) => path.parent().and_then(|p| p.canonicalize().ok()).is_none_or(|p| p.starts_with(&dir)),
    }
}

/// Join a path written in an exercise file onto the exercise folder, refusing
/// anything that would leave it (absolute paths, `..`).
pub fn join_inside(base: &str, written: &str) -> Option<String> {
    let p = Path::new(written);
    let mut parts: Vec<String> = Vec::new();
    for c in p.components() {
        match c {
            Component::Normal(s) => parts.push(s.to_str()?.to_string()),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    if parts.is_empty() {
        return None;
    }
    Some(format!("{}/{}", base.trim_end_matches('/'), parts.join("/")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_inside_refuses_escapes() {
        assert_eq!(join_inside("exercises/a/b", "assets/x.png").as_deref(), Some("exercises/a/b/assets/x.png"));
        assert_eq!(join_inside("exercises/a/b", "./assets/x.png").as_deref(), Some("exercises/a/b/assets/x.png"));
        assert_eq!(join_inside("exercises/a/b", "../c/x.png"), None);
        assert_eq!(join_inside("exercises/a/b", "/etc/passwd"), None);
        assert_eq!(join_inside("exercises/a/b", ""), None);
    }
}
