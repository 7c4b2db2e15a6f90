//! Feedback files: an instructor's reviews of one learner's collected work,
//! carried back to the learner (`genpath feedback export` → `genpath
//! feedback import`).
//!
//! A file is JSON: `{"feedback": {…}, "sha256": "…"}`, where the hash is
//! taken over the `feedback` object exactly as genpath writes it. A file
//! edited by hand (a grade turned from fail into pass), cut short or
//! damaged no longer matches and is refused whole, before anything is
//! written. The hash proves the file is as genpath made it, not who made it:
//! it catches tampering and corruption, not a forger who re-hashes.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::hash::sha256_hex;
use crate::store::Feedback;
use crate::time::Timestamp;

pub const FORMAT: &str = "genpath-feedback";
/// The feedback format version this genpath writes and reads.
pub const VERSION: u32 = 1;
/// What a feedback file's name ends with.
pub const EXTENSION: &str = "feedback.json";
/// A file for one learner is a few kilobytes; anything near this is not one.
pub const MAX_BYTES: u64 = 4 << 20;

/// What an instructor sends one learner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Body {
    pub format: String,
    pub version: u32,
    /// The learner id it is for.
    pub learner: String,
    /// The reviewer's name, as their workspace names them.
    pub issued_by: String,
    pub issued_at: Timestamp,
    /// One entry per collected submission, oldest first.
    pub items: Vec<Feedback>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Signed {
    feedback: Body,
    sha256: String,
}

/// Why a feedback file was refused; nothing was imported from it.
#[derive(Debug, Error)]
pub enum FeedbackError {
    #[error("{path}: {bytes} bytes is too large for a feedback file (at most {MAX_BYTES})")]
    TooLarge { path: String, bytes: u64 },
    #[error("{path}:{line}:{column}: not a genpath feedback file: {reason}")]
    Malformed { path: String, line: usize, column: usize, reason: String },
    #[error("{path} is not a genpath feedback file (format {found:?})")]
    WrongFormat { path: String, found: String },
    #[error("{path} is feedback format version {found}; this genpath reads version {VERSION}")]
    WrongVersion { path: String, found: u32 },
    #[error(
        "{path} was changed after genpath wrote it (its content does not match its sha256); nothing was imported: ask your instructor for a fresh copy"
    )]
    Tampered { path: String },
}

fn hash_of(body: &Body) -> String {
    // Serialising a struct is deterministic: fields in declaration order.
    sha256_hex(&serde_json::to_vec(body).unwrap_or_default())
}

/// The file's bytes for a body, hash included.
pub fn write(body: &Body) -> Vec<u8> {
    let signed = Signed { sha256: hash_of(body), feedback: body.clone() };
    let mut out = serde_json::to_vec_pretty(&signed).unwrap_or_default();
    out.push(b'\n');
    out
}

/// Read and verify a feedback file's bytes (`path` names it in errors).
pub fn read(path: &str, bytes: &[u8]) -> Result<Body, FeedbackError> {
    if bytes.len() as u64 > MAX_BYTES {
        return Err(FeedbackError::TooLarge { path: path.into(), bytes: bytes.len() as u64 });
    }
    let signed: Signed = serde_json::from_slice(bytes).map_err(|e| FeedbackError::Malformed {
        path: path.into(),
        line: e.line(),
        column: e.column(),
        reason: e.to_string().split(" at line ").next().unwrap_or_default().to_string(),
    })?;
    let body = signed.feedback;
    if body.format != FORMAT {
        return Err(FeedbackError::WrongFormat { path: path.into(), found: body.format });
    }
    if body.version != VERSION {
        return Err(FeedbackError::WrongVersion { path: path.into(), found: body.version });
    }
    if hash_of(&body) != signed.sha256 {
        return Err(FeedbackError::Tampered { path: path.into() });
    }
    Ok(body)
}

/// The file name for a learner's feedback.
pub fn file_name(learner: &str) -> String {
    format!("{learner}.{EXTENSION}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{CheckFeedback, DecidedBy, Grade, Record};

    fn body() -> Body {
        let at: Timestamp = "2026-11-29T10:00:00.000Z".parse().unwrap();
        Body {
            format: FORMAT.into(),
            version: VERSION,
            learner: "ada".into(),
            issued_by: "Tess".into(),
            issued_at: at,
            items: vec![Feedback {
                bundle_sha256: "ab".repeat(32),
                exercise: "fluency.first-image".parse().unwrap(),
                attempt: Some(3),
                attempt_number: Some(2),
                submitted_at: at,
                automatic_passed: true,
                automatic_score: 91,
                record: Record { passed: false, score: 61, by: DecidedBy::Reviewer },
                grade: Some(Grade::Fail),
                score_adjust: -30,
                comment: "The fox is *cropped* at the ears.".into(),
                checks: vec![CheckFeedback {
                    check: "subject_present".into(),
                    passed: true,
                    grade: Some(Grade::Fail),
                    comment: "cropped".into(),
                    message: "subject found".into(),
                }],
                reviewer: "Tess".into(),
                reviewed_at: at,
            }],
        }
    }

    #[test]
    fn a_written_file_reads_back_and_any_edit_is_refused() {
        let b = body();
        let bytes = write(&b);
        assert_eq!(read("f", &bytes).unwrap(), b);
        let text = String::from_utf8(bytes).unwrap();
        for (from, to) in [("\"fail\"", "\"pass\""), ("cropped", "fine"), ("-30", "30"), ("\"ada\"", "\"bo\"")] {
            let edited = text.replacen(from, to, 1);
            assert_ne!(edited, text);
            assert!(matches!(read("f", edited.as_bytes()), Err(FeedbackError::Tampered { .. })), "{from} → {to}");
        }
        let cut = &text.as_bytes()[..text.len() / 2];
        let e = read("f.json", cut).unwrap_err().to_string();
        assert!(e.starts_with("f.json:"), "{e}");
    }
}
