//! Submission bundles: one `.genpath` file (a zip archive) that carries a
//! learner's attempt — recipe, answer-folder files, images, check outcomes,
//! history — with a manifest listing the sha256 of every file.
//!
//! Bundles cross trust boundaries (a learner's machine to an instructor's), so
//! reading one assumes it is hostile: every entry name must be a plain
//! relative path, symlinks are refused, sizes and file counts are bounded
//! before and during decompression, and every byte is hashed against the
//! manifest. Reading happens entirely in memory; nothing touches the disk
//! until the whole bundle has been verified.

use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::hash::sha256_hex;
use crate::id::ExerciseId;
use crate::time::Timestamp;

pub const EXTENSION: &str = "genpath";
pub const FORMAT: &str = "genpath-submission";
/// The bundle format version this genpath writes and reads.
pub const VERSION: u32 = 1;
pub const MANIFEST: &str = "manifest.json";
pub const SUBMISSION: &str = "submission.json";

/// Bounds on what a bundle may hold; a real submission is a few megabytes.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The archive file itself.
    pub archive_bytes: u64,
    pub files: usize,
    /// One file, decompressed.
    pub file_bytes: u64,
    /// All files together, decompressed.
    pub total_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { archive_bytes: 256 << 20, files: 512, file_bytes: 64 << 20, total_bytes: 512 << 20 }
    }
}

/// Why a bundle was refused. Each says what is wrong and nothing was imported.
#[derive(Debug, Error)]
pub enum BundleError {
    #[error("not a readable genpath bundle (truncated or not a zip archive): {0}")]
    NotAnArchive(String),
    #[error("the bundle is {size} bytes; the limit is {limit}")]
    ArchiveTooLarge { size: u64, limit: u64 },
    #[error("the bundle holds {count} entries; the limit is {limit}")]
    TooManyFiles { count: usize, limit: usize },
    #[error("unsafe entry name {0:?}: only plain relative paths are allowed (no '..', no absolute paths)")]
    UnsafePath(String),
    #[error("entry {0:?} is a symbolic link; bundles may only hold regular files")]
    Symlink(String),
    #[error("entry {0:?} appears twice")]
    Duplicate(String),
    #[error("two entries share one name (zip tools disagree on which one counts): bundles refuse duplicate names")]
    DuplicateNames,
    #[error("entry {name:?} would decompress to more than {limit} bytes (a decompression bomb?)")]
    TooLarge { name: String, limit: u64 },
    #[error("entry {name:?} decompresses to more bytes than it declares (a decompression bomb?)")]
    LyingSize { name: String },
    #[error("the bundle would decompress to more than {limit} bytes in all")]
    TotalTooLarge { limit: u64 },
    #[error("entry {name:?} is damaged: {reason}")]
    Damaged { name: String, reason: String },
    #[error("the bundle has no {0}")]
    Missing(&'static str),
    #[error("{file} is malformed: {reason}")]
    Malformed { file: &'static str, reason: String },
    #[error("this is not a genpath submission bundle (format {0:?})")]
    WrongFormat(String),
    #[error(
        "bundle format version {found}; this genpath reads version {VERSION} (upgrade genpath to read newer bundles)"
    )]
    WrongVersion { found: u32 },
    #[error("{path} does not match its sha256 in the manifest: the bundle was changed after it was made")]
    HashMismatch { path: String },
    #[error("{0} is listed in the manifest but missing from the bundle")]
    MissingFile(String),
    #[error("{0} is in the bundle but not in its manifest")]
    Unlisted(String),
    #[error("submission.json names {0}, which is not in the bundle")]
    Dangling(String),
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: String,
    pub version: u32,
    pub files: Vec<ManifestFile>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ManifestFile {
    pub path: String,
    pub sha256: String,
    pub bytes: u64,
}

/// What the learner submitted and what their machine saw.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Submission {
    pub learner: Learner,
    pub exercise: ExerciseId,
    pub exercise_title: String,
    pub genpath_version: String,
    /// When `genpath submit` ran, from the learner's clock (UTC ISO-8601).
    pub submitted_at: Timestamp,
    pub attempt: SubmittedAttempt,
    pub images: Vec<SubmittedImage>,
    pub checks: Vec<SubmittedCheck>,
    /// Every finished attempt of this exercise, oldest first.
    pub history: Vec<HistoryEntry>,
    pub milestones: Vec<Milestone>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Learner {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SubmittedAttempt {
    /// The store's key in the learner's workspace.
    pub id: i64,
    /// Its number among the learner's attempts at the exercise (bundles
    /// made before attempts were numbered have none).
    #[serde(default)]
    pub number: Option<u32>,
    pub status: String,
    pub score: Option<u32>,
    pub cost: f64,
    pub started_at: Timestamp,
    pub finished_at: Option<Timestamp>,
    /// The backend it ran on, as configured (a name, never a key).
    pub backend: String,
    /// What that backend is, as the learner's configuration describes it now
    /// (absent when it is no longer configured).
    #[serde(default)]
    pub backend_description: Option<BackendInfo>,
    /// The answer file inside the bundle (`answer/<file>`).
    pub answer: String,
    pub recipe_sha256: String,
}

/// A backend as a bundle describes it: enough to judge a re-run, nothing secret.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BackendInfo {
    pub kind: String,
    /// Same request, same bytes.
    pub deterministic: bool,
    pub price_per_image: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SubmittedImage {
    pub path: String,
    pub sha256: String,
    pub width: u32,
    pub height: u32,
    pub seed: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SubmittedCheck {
    pub check: String,
    pub passed: bool,
    pub value: Option<f64>,
    pub threshold: Option<f64>,
    pub message: String,
}

// A learner's history and milestones travel in bundles in the store's own shapes.
pub use crate::store::{HistoryEntry, Milestone};

/// A verified bundle, in memory.
#[derive(Debug, Clone)]
pub struct Bundle {
    pub manifest: Manifest,
    /// The manifest as it was in the bundle, kept byte for byte.
    pub manifest_json: Vec<u8>,
    pub submission: Submission,
    /// Every file but the manifest (submission.json included), by bundle path.
    pub files: BTreeMap<String, Vec<u8>>,
}

impl Bundle {
    /// The answer folder's files, relative to it (`answer/x` → `x`).
    pub fn answer_files(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.files.iter().filter_map(|(p, b)| p.strip_prefix("answer/").map(|rel| (rel, b.as_slice())))
    }
}

/// The file name a bundle is written under: `{learner}+{exercise}+{timestamp}.genpath`.
pub fn file_name(learner: &str, exercise: &str, submitted_at: &Timestamp) -> String {
    format!("{learner}+{exercise}+{}.{EXTENSION}", submitted_at.compact())
}

/// A path a bundle may hold: relative, `/`-separated, plain components.
pub fn safe_path(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && !name.starts_with('/')
        && !name.contains('\\')
        && !name.contains('\0')
        && !name.contains(':')
        && name.split('/').all(|c| !c.is_empty() && c != "." && c != ".." && !c.chars().any(char::is_control))
}

/// Pack a submission and its files (bundle paths → bytes) into archive bytes.
/// The output depends only on the inputs (fixed entry times), so packing the
/// same work twice gives the same bytes.
pub fn write(submission: &Submission, files: &BTreeMap<String, Vec<u8>>) -> anyhow::Result<Vec<u8>> {
    use anyhow::Context;
    let submission_json = serde_json::to_vec_pretty(submission).context("Failed to encode submission.json")?;
    let mut all: BTreeMap<&str, &[u8]> = files.iter().map(|(p, b)| (p.as_str(), b.as_slice())).collect();
    all.insert(SUBMISSION, &submission_json);
    let manifest = Manifest {
        format: FORMAT.into(),
        version: VERSION,
        files: all
            .iter()
            .map(|(p, b)| ManifestFile { path: (*p).to_string(), sha256: sha256_hex(b), bytes: b.len() as u64 })
            .collect(),
    };
    for f in &manifest.files {
        anyhow::ensure!(
            safe_path(&f.path) && f.path != MANIFEST,
            "cannot pack {:?}: not a plain relative path",
            f.path
        );
    }
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    let manifest_json = serde_json::to_vec_pretty(&manifest).context("Failed to encode the manifest")?;
    for (path, bytes) in std::iter::once((MANIFEST, manifest_json.as_slice())).chain(all.iter().map(|(p, b)| (*p, *b)))
    {
        zip.start_file(path, options).with_context(|| format!("Failed to pack {path}"))?;
        zip.write_all(bytes).with_context(|| format!("Failed to pack {path}"))?;
    }
    Ok(zip.finish().context("Failed to finish the bundle")?.into_inner())
}

/// Read and verify a bundle from its bytes. Nothing is written anywhere.
pub fn read(bytes: &[u8], limits: Limits) -> Result<Bundle, BundleError> {
    if bytes.len() as u64 > limits.archive_bytes {
        return Err(BundleError::ArchiveTooLarge { size: bytes.len() as u64, limit: limits.archive_bytes });
    }
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| BundleError::NotAnArchive(e.to_string()))?;
    // Two entries with one name: zip tools disagree on which one wins, so the
    // instructor could see other bytes than the learner's unzip. Refuse.
    if archive.has_duplicate_names() {
        return Err(BundleError::DuplicateNames);
    }
    if archive.len() > limits.files {
        return Err(BundleError::TooManyFiles { count: archive.len(), limit: limits.files });
    }
    let mut entries: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|e| BundleError::NotAnArchive(e.to_string()))?;
        let name = entry.name().map_err(|e| BundleError::NotAnArchive(e.to_string()))?.into_owned();
        if !safe_path(name.trim_end_matches('/')) {
            return Err(BundleError::UnsafePath(name));
        }
        let link = entry.unix_mode().is_some_and(|m| m & 0o170000 == 0o120000);
        if entry.is_symlink() || link {
            return Err(BundleError::Symlink(name));
        }
        if entry.is_dir() {
            continue;
        }
        let declared = entry.size();
        if declared > limits.file_bytes {
            return Err(BundleError::TooLarge { name, limit: limits.file_bytes });
        }
        total += declared;
        if total > limits.total_bytes {
            return Err(BundleError::TotalTooLarge { limit: limits.total_bytes });
        }
        // Read at most one byte more than declared: a stream that inflates
        // beyond its header is stopped there, not decompressed in full.
        let mut data = Vec::with_capacity(declared as usize);
        (&mut entry)
            .take(declared + 1)
            .read_to_end(&mut data)
            .map_err(|e| BundleError::Damaged { name: name.clone(), reason: e.to_string() })?;
        if data.len() as u64 > declared {
            return Err(BundleError::LyingSize { name });
        }
        if entries.insert(name.clone(), data).is_some() {
            return Err(BundleError::Duplicate(name));
        }
    }
    let manifest_bytes = entries.remove(MANIFEST).ok_or(BundleError::Missing(MANIFEST))?;
    let manifest: Manifest = serde_json::from_slice(&manifest_bytes)
        .map_err(|e| BundleError::Malformed { file: MANIFEST, reason: e.to_string() })?;
    if manifest.format != FORMAT {
        return Err(BundleError::WrongFormat(manifest.format));
    }
    if manifest.version != VERSION {
        return Err(BundleError::WrongVersion { found: manifest.version });
    }
    let mut listed = std::collections::BTreeSet::new();
    for f in &manifest.files {
        let data = entries.get(&f.path).ok_or_else(|| BundleError::MissingFile(f.path.clone()))?;
        if data.len() as u64 != f.bytes || sha256_hex(data) != f.sha256.to_ascii_lowercase() {
            return Err(BundleError::HashMismatch { path: f.path.clone() });
        }
        listed.insert(f.path.as_str());
    }
    if let Some(extra) = entries.keys().find(|p| !listed.contains(p.as_str())) {
        return Err(BundleError::Unlisted(extra.clone()));
    }
    let submission_bytes = entries.get(SUBMISSION).ok_or(BundleError::Missing(SUBMISSION))?;
    let submission: Submission = serde_json::from_slice(submission_bytes)
        .map_err(|e| BundleError::Malformed { file: SUBMISSION, reason: e.to_string() })?;
    let malformed = |reason: String| BundleError::Malformed { file: SUBMISSION, reason };
    if !crate::config::valid_id(&submission.learner.id) {
        return Err(malformed(format!("learner id {:?} is not a valid id", submission.learner.id)));
    }
    for path in submission.images.iter().map(|i| &i.path).chain(std::iter::once(&submission.attempt.answer)) {
        if !entries.contains_key(path) {
            return Err(BundleError::Dangling(path.clone()));
        }
    }
    Ok(Bundle { manifest, manifest_json: manifest_bytes, submission, files: entries })
}

/// The files of an answer folder as bundle entries (`answer/<relative path>`):
/// regular files only (symlinks are skipped: they would point at something
/// the other machine does not have), hidden files skipped, within `limits`.
/// `answer_file` is replaced by `answer_text`, the text that actually ran.
pub fn answer_entries(
    dir: &std::path::Path,
    answer_file: &str,
    answer_text: &str,
    limits: Limits,
) -> anyhow::Result<BTreeMap<String, Vec<u8>>> {
    use anyhow::Context;
    let mut out = BTreeMap::new();
    let mut total = 0u64;
    let mut stack = vec![(dir.to_path_buf(), String::new())];
    while let Some((folder, prefix)) = stack.pop() {
        let read = match std::fs::read_dir(&folder) {
            Ok(r) => r,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e).with_context(|| format!("Failed to list {}", folder.display())),
        };
        for entry in read {
            let entry = entry.with_context(|| format!("Failed to list {}", folder.display()))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let kind = entry.file_type().with_context(|| format!("Failed to inspect {}", entry.path().display()))?;
            if name.starts_with('.') || kind.is_symlink() {
                continue;
            }
            let rel = format!("{prefix}{name}");
            if kind.is_dir() {
                stack.push((entry.path(), format!("{rel}/")));
                continue;
            }
            if !safe_path(&rel) || rel == answer_file {
                continue;
            }
            let bytes =
                std::fs::read(entry.path()).with_context(|| format!("Failed to read {}", entry.path().display()))?;
            total += bytes.len() as u64;
            anyhow::ensure!(
                out.len() < limits.files && bytes.len() as u64 <= limits.file_bytes && total <= limits.total_bytes,
                "{} holds too much to bundle (at most {} files, {} MB each, {} MB in all)",
                dir.display(),
                limits.files,
                limits.file_bytes >> 20,
                limits.total_bytes >> 20
            );
            out.insert(format!("answer/{rel}"), bytes);
        }
    }
    out.insert(format!("answer/{answer_file}"), answer_text.as_bytes().to_vec());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn submission() -> Submission {
        Submission {
            learner: Learner { id: "ada".into(), name: "Ada".into() },
            exercise: "fluency.seeds".parse().unwrap(),
            exercise_title: "Seeds".into(),
            genpath_version: "0.1.0".into(),
            submitted_at: "2026-11-26T10:00:00.000Z".parse().unwrap(),
            attempt: SubmittedAttempt {
                id: 3,
                number: Some(2),
                status: "passed".into(),
                score: Some(100),
                cost: 0.0,
                started_at: "2026-11-26T09:59:00.000Z".parse().unwrap(),
                finished_at: "2026-11-26T09:59:01.000Z".parse().ok(),
                backend: "builtin".into(),
                backend_description: Some(BackendInfo {
                    kind: "builtin".into(),
                    deterministic: true,
                    price_per_image: None,
                }),
                answer: "answer/recipe.toml".into(),
                recipe_sha256: "x".into(),
            },
            images: vec![SubmittedImage {
                path: "images/01.png".into(),
                sha256: sha256_hex(b"png"),
                width: 1,
                height: 1,
                seed: Some(1),
            }],
            checks: Vec::new(),
            history: Vec::new(),
            milestones: Vec::new(),
        }
    }

    fn files() -> BTreeMap<String, Vec<u8>> {
        BTreeMap::from([
            ("answer/recipe.toml".to_string(), b"seed = 1".to_vec()),
            ("images/01.png".to_string(), b"png".to_vec()),
        ])
    }

    #[test]
    fn safe_paths_are_plain_and_relative() {
        for ok in ["manifest.json", "answer/recipe.toml", "answer/assets/mask.png"] {
            assert!(safe_path(ok), "{ok}");
        }
        for bad in ["", "/etc/passwd", "../x", "a/../../x", "a/./b", "a//b", "a\\b", "C:/x", "a\0b", "a/\nb"] {
            assert!(!safe_path(bad), "{bad:?}");
        }
    }

    #[test]
    fn packing_is_deterministic_and_reads_back() {
        let (s, f) = (submission(), files());
        let a = write(&s, &f).unwrap();
        assert_eq!(a, write(&s, &f).unwrap(), "same work, same bytes");
        let b = read(&a, Limits::default()).unwrap();
        assert_eq!(b.submission, s);
        assert_eq!(b.files["images/01.png"], b"png");
        assert_eq!(b.answer_files().collect::<Vec<_>>(), vec![("recipe.toml", &b"seed = 1"[..])]);
        assert_eq!(b.manifest.files.len(), 3, "answer, image and submission.json");
    }

    #[test]
    fn limits_apply_before_anything_is_kept() {
        let bytes = write(&submission(), &files()).unwrap();
        let tight = Limits { files: 2, ..Limits::default() };
        assert!(matches!(read(&bytes, tight), Err(BundleError::TooManyFiles { count: 4, limit: 2 })));
        let small = Limits { file_bytes: 4, ..Limits::default() };
        assert!(matches!(read(&bytes, small), Err(BundleError::TooLarge { .. })));
        let tiny = Limits { archive_bytes: 10, ..Limits::default() };
        assert!(matches!(read(&bytes, tiny), Err(BundleError::ArchiveTooLarge { .. })));
    }

    #[test]
    fn a_submission_naming_a_missing_image_is_refused() {
        let mut s = submission();
        s.images[0].path = "images/02.png".into();
        let bytes = write(&s, &files()).unwrap();
        assert!(matches!(read(&bytes, Limits::default()), Err(BundleError::Dangling(p)) if p == "images/02.png"));
    }

    #[test]
    fn file_names_carry_learner_exercise_and_time() {
        assert_eq!(
            file_name("ada", "fluency.seeds", &"2026-11-26T10:00:00.000Z".parse().unwrap()),
            "ada+fluency.seeds+20261126T100000000Z.genpath"
        );
    }
}
