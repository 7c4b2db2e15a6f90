//! [`ExerciseId`]: the key an exercise is known by everywhere — the store's
//! rows, bundles, the learner's `recipes/<id>/` folder, the command line.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;

use serde::{Deserialize, Serialize};

/// `<stage>.<slug>`, e.g. `fluency.first-image`: both parts lowercase ASCII
/// letters, digits and `-`, so an id is always a safe single path component
/// (a bundle from elsewhere cannot smuggle `../` into a folder name).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ExerciseId(String);

/// Text that is not an exercise id, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{found}' is not an exercise id (expected <stage>.<slug>, lowercase letters, digits and '-', e.g. fluency.first-image)"
)]
pub struct BadExerciseId {
    pub found: String,
}

fn is_part(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

impl ExerciseId {
    /// The id of exercise `slug` in stage `stage`, if both are valid parts.
    pub fn new(stage: &str, slug: &str) -> Result<Self, BadExerciseId> {
        format!("{stage}.{slug}").parse()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The slug after the stage, e.g. `first-image`.
    pub fn slug(&self) -> &str {
        self.0.split_once('.').map_or(&self.0, |(_, slug)| slug)
    }
}

impl std::str::FromStr for ExerciseId {
    type Err = BadExerciseId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once('.') {
            Some((stage, slug)) if is_part(stage) && is_part(slug) => Ok(ExerciseId(s.to_string())),
            _ => Err(BadExerciseId { found: s.chars().take(80).collect() }),
        }
    }
}

impl TryFrom<String> for ExerciseId {
    type Error = BadExerciseId;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<ExerciseId> for String {
    fn from(id: ExerciseId) -> String {
        id.0
    }
}

impl Deref for ExerciseId {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for ExerciseId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl AsRef<std::path::Path> for ExerciseId {
    fn as_ref(&self) -> &std::path::Path {
        std::path::Path::new(&self.0)
    }
}

impl Borrow<str> for ExerciseId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ExerciseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad`, not `write_str`: tables align ids with `{:<40}`.
        f.pad(&self.0)
    }
}

impl PartialEq<str> for ExerciseId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for ExerciseId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<String> for ExerciseId {
    fn eq(&self, other: &String) -> bool {
        &self.0 == other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_a_stage_and_a_slug_and_nothing_else() {
        let id: ExerciseId = "fluency.first-image".parse().unwrap();
        assert_eq!(id.slug(), "first-image");
        assert_eq!(ExerciseId::new("control", "pose-2").unwrap(), "control.pose-2");
        for bad in ["", "fluency", ".x", "x.", "../etc.passwd", "a.b/c", "A.b", "a.b c", "a.b.c", "a.b\0"] {
            assert!(bad.parse::<ExerciseId>().is_err(), "{bad:?} was accepted");
        }
        let err = "a/b".parse::<ExerciseId>().unwrap_err().to_string();
        assert!(err.contains("'a/b' is not an exercise id"), "{err}");
        // serde refuses a bad id where it is read (a bundle's manifest, say).
        assert!(serde_json::from_str::<ExerciseId>("\"../x.y\"").is_err());
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"fluency.first-image\"");
        assert_eq!(format!("[{id:<21}]"), "[fluency.first-image  ]");
    }
}
