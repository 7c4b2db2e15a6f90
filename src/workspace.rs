//! The learner's folder: `genpath.toml`, `recipes/`, `outputs/`, `genpath.db`
//! and `logs/`. Every command opens (and on first use creates) one, so a new
//! user needs no set-up step.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::config::{self, Config};
use crate::curriculum::{Curriculum, Exercise};
use crate::store::{AttemptStatus, Store};

/// Names the workspace folder when `--workspace` is not given.
pub const ENV_HOME: &str = "GENPATH_HOME";
pub const CONFIG_FILE: &str = "genpath.toml";
pub const DB_FILE: &str = "genpath.db";

#[derive(Debug)]
pub struct Workspace {
    pub root: PathBuf,
    pub config: Config,
    /// The `[checks] embedding_model`, loaded on first use (a model takes a
    /// moment to load; most commands never judge a set).
    embedder: std::sync::OnceLock<Result<crate::imaging::embedding::Embedder, String>>,
    /// Held for the life of the process: a running attempt whose process no
    /// longer holds its lock was interrupted (crash, kill -9, power loss).
    _lock: ProcessLock,
}

/// This process's lock file; removed when the workspace is dropped (a killed
/// process leaves it, and the next process to open the workspace removes it).
#[derive(Debug)]
struct ProcessLock {
    _file: File,
    /// The path, when this lock is the one in place (not a second workspace of the same process).
    owned: Option<PathBuf>,
}

impl Drop for ProcessLock {
    fn drop(&mut self) {
        if let Some(path) = &self.owned {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Where the workspace is: `--workspace`, else `$GENPATH_HOME`, else the platform data dir.
pub fn locate(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = explicit {
        return Ok(p.to_path_buf());
    }
    if let Some(home) = std::env::var_os(ENV_HOME).filter(|h| !h.is_empty()) {
        return Ok(PathBuf::from(home));
    }
    let dirs = directories::ProjectDirs::from("", "", "genpath").context(
        "Failed to find a home directory for the default workspace; pass --workspace DIR or set GENPATH_HOME",
    )?;
    Ok(dirs.data_dir().to_path_buf())
}

impl Workspace {
    /// Open the workspace at `root`, creating any part that is missing.
    pub fn open(root: &Path) -> Result<Workspace> {
        for dir in ["", "recipes", "outputs", "logs", ".locks"] {
            let d = root.join(dir);
            std::fs::create_dir_all(&d).with_context(|| format!("Failed to create {}", d.display()))?;
        }
        let config_path = root.join(CONFIG_FILE);
        if !config_path.exists() {
            write_atomic(&config_path, config::TEMPLATE.as_bytes())?;
        }
        let config = Config::load(&config_path)?.with_env();
        let lock = take_process_lock(&root.join(".locks"))?;
        let ws = Workspace { root: root.to_path_buf(), config, embedder: std::sync::OnceLock::new(), _lock: lock };
        ws.remove_stale_locks();
        Ok(ws)
    }

    /// The image-embedding model for an exercise's checks, with its line:
    /// the user's (`[checks] embedding_model`), else the built-in encoder
    /// (unless `builtin_embedding = false`, or the build has no runtime).
    /// `None` when none of the checks reads one (`CheckDef::uses_embedding`),
    /// so an exercise that never judges a set neither waits for the model
    /// nor fails on it. A user's model that cannot be loaded is an error
    /// naming the file: a check must not quietly judge without the model
    /// the learner asked for.
    pub fn embedding_for(&self, checks: &[crate::checks::CheckSpec]) -> Result<Option<crate::checks::Embedding<'_>>> {
        if !crate::checks::reads_embedding(checks) {
            return Ok(None);
        }
        let line = self.config.checks.embedding_min_similarity;
        let Some(path) = self.config.embedding_model() else {
            if !self.config.checks.builtin_embedding {
                return Ok(None);
            }
            // The built-in encoder, at its own line unless the workspace sets one.
            let builtin = crate::checks::Embedding::builtin_for(checks)?;
            return Ok(builtin.map(|e| crate::checks::Embedding { min_similarity: line.or(e.min_similarity), ..e }));
        };
        let model = self
            .embedder
            .get_or_init(|| crate::imaging::embedding::Embedder::load(&path).map_err(|e| format!("{e:#}")))
            .as_ref()
            .map_err(|e| anyhow::anyhow!("[checks] embedding_model in {}: {e}", self.config_path().display()))?;
        Ok(Some(crate::checks::Embedding { model, min_similarity: line, builtin: false }))
    }

    pub fn config_path(&self) -> PathBuf {
        self.root.join(CONFIG_FILE)
    }
    pub fn db_path(&self) -> PathBuf {
        self.root.join(DB_FILE)
    }
    pub fn recipes_dir(&self) -> PathBuf {
        self.root.join("recipes")
    }
    pub fn outputs_dir(&self) -> PathBuf {
        self.root.join("outputs")
    }
    pub fn log_path(&self) -> PathBuf {
        self.root.join("logs").join("genpath.log")
    }

    /// The learner's answer file for an exercise: `recipes/<exercise id>/<file>`.
    pub fn answer_path(&self, exercise: &Exercise) -> PathBuf {
        self.recipes_dir().join(&exercise.id).join(&exercise.deliverable.file)
    }

    /// Open the database, record the learner and mark attempts whose process
    /// died as interrupted.
    pub fn store(&self) -> Result<Store> {
        let store = Store::open(&self.db_path())?;
        let l = &self.config.learner;
        store.upsert_learner(&l.id, &l.name, l.email.as_deref())?;
        self.reap_interrupted(&store)?;
        Ok(store)
    }

    /// Lock files whose process is gone (killed, crashed) are removed, so
    /// `.locks/` holds one file per live genpath process. That includes a
    /// `<pid>.lock.new` left by a process killed between locking it and
    /// renaming it into place.
    fn remove_stale_locks(&self) {
        let Ok(entries) = std::fs::read_dir(self.root.join(".locks")) else { return };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if let Some(pid) = name.strip_suffix(".lock").and_then(|p| p.parse::<u32>().ok()) {
                if pid != std::process::id() {
                    // Removes the file when nobody holds it.
                    self.process_alive(pid);
                }
            } else if name
                .strip_suffix(".lock.new")
                .is_some_and(|p| p.parse::<u32>().is_ok_and(|pid| pid != std::process::id()))
                && let Ok(f) = OpenOptions::new().write(true).open(entry.path())
                && f.try_lock().is_ok()
            {
                let _ = f.unlock();
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }

    /// Running attempts and pipeline runs whose owning process no longer
    /// holds its lock file were cut off mid-run; record them as interrupted.
    pub fn reap_interrupted(&self, store: &Store) -> Result<Vec<i64>> {
        let mut reaped = Vec::new();
        for (id, pid) in store.running_attempts()? {
            if pid == Some(std::process::id()) {
                continue;
            }
            let alive = pid.is_some_and(|pid| self.process_alive(pid));
            if !alive {
                store.abandon_attempt(
                    id,
                    AttemptStatus::Interrupted,
                    "the process running this attempt stopped before it finished",
                )?;
                reaped.push(id);
            }
        }
        for (run, pid) in store.running_pipeline_runs()? {
            if pid == Some(std::process::id()) || pid.is_some_and(|pid| self.process_alive(pid)) {
                continue;
            }
            store.pipeline_finish_run(
                run,
                crate::store::RunStatus::Interrupted,
                "the process running this pipeline stopped before it finished; run it again to resume",
            )?;
        }
        Ok(reaped)
    }

    /// Whether the genpath process `pid` still holds its workspace lock.
    pub fn process_alive(&self, pid: u32) -> bool {
        let path = self.root.join(".locks").join(format!("{pid}.lock"));
        let Ok(f) = OpenOptions::new().write(true).open(&path) else { return false };
        match f.try_lock() {
            Ok(()) => {
                // Nobody holds it: its owner is gone. Tidy up.
                let _ = f.unlock();
                let _ = std::fs::remove_file(&path);
                false
            }
            Err(_) => true,
        }
    }

    /// Write the exercise's starter into the learner's recipes folder,
    /// keeping the previous answer as a numbered backup.
    pub fn reset_answer(&self, curriculum: &Curriculum, exercise: &Exercise) -> Result<PathBuf> {
        let starter = curriculum
            .read(&exercise.starter_path())
            .with_context(|| format!("Failed to read the starter of {}", exercise.id))?;
        let dest = self.answer_path(exercise);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("Failed to create {}", parent.display()))?;
        }
        if dest.exists() {
            let backup = next_backup(&dest);
            std::fs::rename(&dest, &backup).with_context(|| format!("Failed to keep {}", backup.display()))?;
        }
        write_atomic(&dest, &starter)?;
        self.copy_assets(curriculum, exercise)?;
        Ok(dest)
    }

    /// The answer file, created from the starter on first use (with the
    /// exercise's assets beside it).
    pub fn ensure_answer(&self, curriculum: &Curriculum, exercise: &Exercise) -> Result<PathBuf> {
        let dest = self.answer_path(exercise);
        if dest.exists() {
            self.copy_assets(curriculum, exercise)?;
            Ok(dest)
        } else {
            self.reset_answer(curriculum, exercise)
        }
    }

    /// The exercise's assets (init images, control maps, masks, brand
    /// sheets) copied beside the answer, at the same relative paths the
    /// recipe names them by, so the learner can open them and a recipe
    /// works from its own folder. A copy already there is kept: the learner
    /// may have changed it on purpose. Returns where each one is.
    pub fn copy_assets(&self, curriculum: &Curriculum, exercise: &Exercise) -> Result<Vec<PathBuf>> {
        let answer = self.answer_path(exercise);
        let Some(dir) = answer.parent() else { return Ok(Vec::new()) };
        let mut out = Vec::new();
        for asset in &exercise.assets {
            // Asset paths were checked to stay inside the exercise when the curriculum loaded.
            let Some(rel) = exercise.file_path(asset) else { continue };
            let dest = dir.join(asset);
            if !dest.exists() {
                let bytes = curriculum.read(&rel).with_context(|| format!("Failed to read {rel}"))?;
                if let Some(parent) = dest.parent() {
                    std::fs::create_dir_all(parent)
                        .with_context(|| format!("Failed to create {}", parent.display()))?;
                }
                write_atomic(&dest, &bytes)?;
            }
            out.push(dest);
        }
        Ok(out)
    }
}

/// Take this process's lock file in `dir`. The file is created and locked
/// under a temporary name and then renamed into place, so a `<pid>.lock`
/// that another process finds unlocked is certainly abandoned (never one
/// that is about to be locked).
fn take_process_lock(dir: &Path) -> Result<ProcessLock> {
    let pid = std::process::id();
    let tmp = dir.join(format!("{pid}.lock.new"));
    let path = dir.join(format!("{pid}.lock"));
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&tmp)
        .with_context(|| format!("Failed to create {}", tmp.display()))?;
    lock.lock().with_context(|| format!("Failed to lock {}", tmp.display()))?;
    // This process may hold the workspace already (a second `Workspace`):
    // the lock in place stays, so the process keeps showing as alive.
    let held_already = OpenOptions::new().write(true).open(&path).is_ok_and(|f| f.try_lock().is_err());
    if held_already {
        let _ = std::fs::remove_file(&tmp);
        return Ok(ProcessLock { _file: lock, owned: None });
    }
    std::fs::rename(&tmp, &path).with_context(|| format!("Failed to create {}", path.display()))?;
    Ok(ProcessLock { _file: lock, owned: Some(path) })
}

fn next_backup(path: &Path) -> PathBuf {
    (1..)
        .map(|n| path.with_extension(format!("toml.{n}.bak")))
        .find(|p| !p.exists())
        .unwrap_or_else(|| path.with_extension("bak"))
}

/// Write a file so that readers see the old or the new content, never half:
/// write a temporary file beside it, flush it to disk, then rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.with_context(|| format!("Failed to write {}", path.display()))
}
