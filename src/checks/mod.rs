//! The check library: automatic verdicts on images against an exercise.
//!
//! This module knows nothing of terminals or storage; commands and the TUI
//! call it and present its outcomes.

pub mod analysis;
pub mod registry;

use serde::{Deserialize, Serialize};

/// How much a check's failure matters (Exercism's levels).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Blocks passing and the milestone.
    Essential,
    /// Should be fixed; lowers the score.
    Actionable,
    /// For information only.
    Informative,
    /// Praise for going beyond the brief.
    Celebratory,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Essential => "essential",
            Severity::Actionable => "actionable",
            Severity::Informative => "informative",
            Severity::Celebratory => "celebratory",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "essential" => Severity::Essential,
            "actionable" => Severity::Actionable,
            "informative" => Severity::Informative,
            "celebratory" => Severity::Celebratory,
            _ => return None,
        })
    }
}
