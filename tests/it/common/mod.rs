//! Helpers shared by the integration tests: run the real binary in a temp workspace.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const BIN: &str = env!("CARGO_BIN_EXE_genpath");

/// A command for the genpath binary on an isolated workspace.
pub fn genpath(workspace: &Path) -> Command {
    let mut c = Command::new(BIN);
    c.arg("--workspace").arg(workspace);
    c.env_remove("GENPATH_HOME").env_remove("GENPATH_CURRICULUM").env_remove("GENPATH_BACKEND");
    c.env("NO_COLOR", "1");
    c
}

pub fn run(workspace: &Path, args: &[&str]) -> Output {
    genpath(workspace).args(args).output().expect("failed to start genpath")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Copy a folder tree (the repository's curriculum, to break it on purpose).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), dest).unwrap();
        }
    }
}

/// A copy of the shipped curriculum in `dir` (curriculum/ and exercises/).
pub fn curriculum_copy(dir: &Path) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    copy_dir(&root.join("curriculum"), &dir.join("curriculum"));
    copy_dir(&root.join("exercises"), &dir.join("exercises"));
    dir.to_path_buf()
}

/// Every byte of every file under `dir` (to search for what must not be written).
pub fn all_bytes(dir: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.file_type().unwrap().is_dir() {
            out.extend(all_bytes(&e.path()));
        } else {
            out.extend(std::fs::read(e.path()).unwrap_or_default());
        }
    }
    out
}
