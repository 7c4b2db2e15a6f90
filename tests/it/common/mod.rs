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

/// A progress sink that records what a backend reports (steps, queue
/// positions) and cancels when told to.
#[derive(Default)]
pub struct Watch {
    pub steps: std::sync::Mutex<Vec<(u32, u32)>>,
    pub queued: std::sync::Mutex<Vec<u32>>,
    pub cancel: std::sync::atomic::AtomicBool,
}

impl genpath::backend::Progress for Watch {
    fn step(&self, done: u32, total: u32) {
        self.steps.lock().unwrap().push((done, total));
    }
    fn queued(&self, ahead: u32) {
        self.queued.lock().unwrap().push(ahead);
    }
    fn cancelled(&self) -> bool {
        self.cancel.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// The one image a recipe text resolves to, with no inputs.
pub fn request(text: &str) -> genpath::backend::Request {
    genpath::backend::Request {
        recipe: genpath::recipe::Recipe::parse("r.toml", text, genpath::recipe::Limits::default())
            .unwrap()
            .resolve()
            .remove(0),
        inputs: genpath::backend::Inputs::default(),
    }
}
