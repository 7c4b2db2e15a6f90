//! The review mode's runtime: it carries out [`ReviewEffect`]s — reading the
//! queue and a submission's unpacked files, writing reviews to the store —
//! and reports what they learned back through [`ReviewApp::update`]. The
//! event loop, input thread and terminal handling are the studio's
//! ([`super::Mode`]).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::{Receiver, Sender, channel};

use anyhow::{Result, bail};
use crossterm::event::{Event, KeyEventKind, MouseEventKind};

use super::images::Images;
use super::review::{Change, Files, ReviewAction, ReviewApp, ReviewEffect, ReviewMsg, ReviewOptions, filter};
use super::{Changes, Mode};
use crate::session::Env;
use crate::store::{ReviewInput, Store};

pub struct ReviewRuntime {
    pub app: ReviewApp,
    pub env: Env,
    store: Store,
    tx: Sender<ReviewMsg>,
    pub rx: Receiver<ReviewMsg>,
    changes: Changes,
    pub images: Images,
    input_paused: Arc<AtomicBool>,
}

/// Review collected work until the instructor quits (`genpath review`, whose
/// filter flags say where it opens). Restores the terminal on exit, on error
/// and on panic.
pub fn review(env: Env, options: impl Into<ReviewOptions>) -> Result<()> {
    let options = options.into();
    super::run_mode(|images| {
        let rt = ReviewRuntime::new(env, options, images)?;
        tracing::info!(protocol = %rt.images.protocol_name(), "review started");
        Ok(rt)
    })
}

impl ReviewRuntime {
    pub fn new(env: Env, options: ReviewOptions, images: Images) -> Result<ReviewRuntime> {
        let store = env.workspace.store()?;
        if let Some(id) = &options.exercise
            && env.curriculum.exercise(id).is_none()
        {
            bail!("there is no exercise '{id}' in the curriculum (`genpath path` lists them)");
        }
        if let Some(c) = &options.cohort
            && !store.cohort_exists(c)?
        {
            bail!("there is no cohort '{c}' (`genpath cohort list` shows them)");
        }
        if let Some(l) = &options.learner
            && !store.learner_exists(l)?
        {
            bail!("there is no learner '{l}' (`genpath learner list` shows them)");
        }
        let learner = &env.workspace.config.learner;
        let reviewer = if learner.name.trim().is_empty() { learner.id.clone() } else { learner.name.clone() };
        let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        let app =
            ReviewApp::new(Arc::new(env.curriculum.clone()), env.workspace.root.clone(), reviewer, options, color);
        let (tx, rx) = channel();
        let mut rt = ReviewRuntime {
            app,
            env,
            store,
            tx,
            rx,
            changes: Changes::default(),
            images,
            input_paused: Arc::new(AtomicBool::new(false)),
        };
        // What another process writes from now on is noticed on a tick.
        rt.changes.seen(&rt.store)?;
        rt.execute(ReviewEffect::Load(rt.app.show))?;
        Ok(rt)
    }

    /// Feed one message through `update` and carry out its effects.
    pub fn handle(&mut self, msg: ReviewMsg) -> Result<()> {
        // Another process collected or reviewed something: read the queue again.
        if matches!(msg, ReviewMsg::Tick) && self.changes.seen(&self.store)? {
            self.execute(ReviewEffect::Load(self.app.show))?;
        }
        for e in self.app.update(msg) {
            self.execute(e)?;
        }
        Ok(())
    }

    /// Carry out an effect; what it learns comes back through `update`.
    pub fn execute(&mut self, e: ReviewEffect) -> Result<()> {
        let msg = match e {
            ReviewEffect::Load(show) => ReviewMsg::Loaded(self.store.review_queue(&filter(&self.app.options, show))?),
            ReviewEffect::LoadFiles { id, dir, learner, exercise } => {
                let mut files = read_files(&self.env.workspace.root, &dir);
                files.history = self.store.learner_history(&learner, &exercise)?;
                ReviewMsg::FilesLoaded(id, Box::new(files))
            }
            ReviewEffect::Write { id, change } => match self.write(id, &change) {
                Ok(()) => match self.store.submission_detail(id)? {
                    Some(detail) => ReviewMsg::Saved { detail: Box::new(detail), what: change.describe() },
                    None => ReviewMsg::Status(format!("submission {id} is no longer in the store")),
                },
                Err(e) => ReviewMsg::Status(format!("cannot save: {e:#}")),
            },
            ReviewEffect::Quit => return Ok(()),
        };
        self.handle(msg)
    }

    fn write(&mut self, id: i64, change: &Change) -> Result<()> {
        let reviewer = self.app.reviewer.as_str();
        let done = match change {
            Change::Grade(g) => {
                self.store.set_review(id, &ReviewInput { grade: Some(*g), reviewer, ..ReviewInput::default() })?
            }
            Change::Adjust(a) => self
                .store
                .set_review(id, &ReviewInput { score_adjust: Some(*a), reviewer, ..ReviewInput::default() })?,
            Change::Comment(c) => {
                self.store.set_review(id, &ReviewInput { comment: Some(c), reviewer, ..ReviewInput::default() })?
            }
            Change::CheckGrade { check, grade } => {
                self.store.set_check_review(id, check, Some(*grade), None, reviewer)?
            }
            Change::CheckComment { check, comment } => {
                self.store.set_check_review(id, check, None, Some(comment), reviewer)?
            }
        };
        Ok(done?)
    }
}

impl Mode for ReviewRuntime {
    type Msg = ReviewMsg;
    const TICK: ReviewMsg = ReviewMsg::Tick;
    fn input(ev: Event) -> Option<ReviewMsg> {
        match ev {
            // Raw keys: the comment editor takes text, else the keymap decides (in `update`).
            Event::Key(k) if k.kind == KeyEventKind::Press => Some(ReviewMsg::Press(k)),
            Event::Mouse(m) => match m.kind {
                MouseEventKind::ScrollDown => Some(ReviewMsg::Key(ReviewAction::ScrollDown)),
                MouseEventKind::ScrollUp => Some(ReviewMsg::Key(ReviewAction::ScrollUp)),
                _ => None,
            },
            Event::Resize(..) => Some(ReviewMsg::Resize),
            _ => None,
        }
    }
    fn sender(&self) -> Sender<ReviewMsg> {
        self.tx.clone()
    }
    fn receiver(&self) -> &Receiver<ReviewMsg> {
        &self.rx
    }
    fn input_paused(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.input_paused)
    }
    fn draw(&mut self, f: &mut ratatui::Frame<'_>) {
        super::review_view::draw(f, &self.app, &mut self.images)
    }
    fn done(&self) -> bool {
        self.app.quit
    }
    fn step(&mut self, _terminal: &mut ratatui::DefaultTerminal, msg: ReviewMsg) -> Result<()> {
        self.handle(msg)
    }
}

/// A collected submission's files under the workspace (`dir` relative to
/// `root`), as `instructor::review` finds them — the answer file and its
/// text, the images it made, the conditioning inputs in its answer folder.
pub fn read_files(root: &Path, dir: &str) -> Files {
    let dir = root.join(dir);
    let found = crate::instructor::review::submission_files(&dir);
    Files {
        answer: found.answer.as_ref().map_or_else(String::new, |p| {
            p.strip_prefix(&dir).unwrap_or(p).to_string_lossy().replace(std::path::MAIN_SEPARATOR, "/")
        }),
        answer_text: found.answer.as_ref().and_then(|p| std::fs::read_to_string(p).ok()),
        outputs: found.images,
        inputs: found.inputs,
        history: Vec::new(),
        problem: (!dir.is_dir()).then(|| format!("{} is missing: collect the bundle again", dir.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_submission_folder_gives_its_answer_outputs_inputs_and_history() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("submissions/ada/control.pose/x");
        std::fs::create_dir_all(dir.join("answer/assets")).unwrap();
        std::fs::create_dir_all(dir.join("images")).unwrap();
        let submission = serde_json::json!({
            "learner": { "id": "ada", "name": "Ada" },
            "exercise": "control.pose",
            "exercise_title": "Pose",
            "genpath_version": "0",
            "submitted_at": "2026-11-20T10:00:00.000Z",
            "attempt": {
                "id": 2, "status": "passed", "score": 90, "cost": 0.0,
                "started_at": "2026-11-20T09:00:00.000Z", "finished_at": null,
                "backend": "builtin", "answer": "answer/recipe.toml", "recipe_sha256": "00"
            },
            "images": [{ "path": "images/01.png", "sha256": "00", "width": 8, "height": 8, "seed": 1 }],
            "checks": [],
            "history": [{ "attempt": 1, "started_at": "2026-11-19T09:00:00.000Z", "status": "failed",
                          "score": 40, "failed_checks": ["pose_match"] }],
            "milestones": []
        });
        std::fs::write(dir.join("submission.json"), submission.to_string()).unwrap();
        std::fs::write(dir.join("answer/recipe.toml"), "prompt = \"a dancer\"\n").unwrap();
        for f in ["answer/assets/pose.png", "answer/init.JPG", "answer/notes.txt", "images/01.png"] {
            std::fs::write(dir.join(f), b"x").unwrap();
        }
        let files = read_files(root.path(), "submissions/ada/control.pose/x");
        assert_eq!(files.problem, None);
        assert_eq!(files.answer, "answer/recipe.toml");
        assert_eq!(files.answer_text.as_deref(), Some("prompt = \"a dancer\"\n"));
        assert_eq!(files.outputs, [dir.join("images/01.png")]);
        // Control maps, init images and masks; never a text file.
        assert_eq!(files.inputs, [dir.join("answer/assets/pose.png"), dir.join("answer/init.JPG")]);
        let labels: Vec<String> = files.images().map(|(l, _)| l).collect();
        assert_eq!(labels, ["output 1/1", "input pose.png", "input init.JPG"]);
        // A folder that is gone says so.
        let gone = read_files(root.path(), "submissions/nobody");
        assert!(gone.problem.is_some_and(|p| p.contains("is missing")));
    }
}
