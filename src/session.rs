//! What every front end opens first: the learner's workspace and the
//! curriculum, together (the CLI's commands and the studio share it).

use std::path::Path;

use anyhow::{Context, Result};

use crate::curriculum::{Curriculum, Source};
use crate::workspace::{self, Workspace};

/// The workspace and the curriculum.
pub struct Env {
    pub workspace: Workspace,
    pub curriculum: Curriculum,
}

impl Env {
    /// Open the workspace at `workspace` (else `$GENPATH_HOME`, else the
    /// platform data folder) with the curriculum in `curriculum` (else the
    /// built-in one).
    pub fn open(workspace: Option<&Path>, curriculum: Option<&Path>) -> Result<Env> {
        let curriculum = load_curriculum(curriculum)?;
        let root = workspace::locate(workspace)?;
        let workspace = Workspace::open(&root)?;
        Ok(Env { workspace, curriculum })
    }

    pub fn learner(&self) -> &str {
        &self.workspace.config.learner.id
    }
}

/// The curriculum in `dir`, else the one built in.
pub fn load_curriculum(dir: Option<&Path>) -> Result<Curriculum> {
    let source = match dir {
        Some(d) => Source::Folder(d.to_path_buf()),
        None => Source::Embedded,
    };
    let described = source.describe();
    Curriculum::load(source)
        .map_err(anyhow::Error::new)
        .with_context(|| format!("Failed to load the curriculum ({described})"))
}
