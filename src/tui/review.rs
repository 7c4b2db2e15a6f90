//! The review mode's state and its one `update` (`genpath review`): an
//! instructor walks collected submissions, reads each beside its exercise,
//! and grades it — pass/fail, a score adjustment, a comment — and its checks.
//! The same Elm pattern as the learner's studio ([`super::app`]): keys and
//! the runtime's reports come in as [`ReviewMsg`]s; reads and writes go out
//! as [`ReviewEffect`]s.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use crossterm::event::KeyEvent;

use super::text::{Edit, TextInput};
use crate::curriculum::Curriculum;
use crate::store::{Grade, HistoryEntry, ReviewFilter, Scope, SubmissionDetail, Verdicts};

/// Which submissions `genpath review` opens on (plain data from the command line).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReviewOptions {
    pub cohort: Option<String>,
    /// One learner's work (when no cohort is given).
    pub learner: Option<String>,
    pub exercise: Option<String>,
    /// Start on the work awaiting a person.
    pub needs_review: bool,
    /// Start on the work whose grade of record is this.
    pub status: Option<Verdicts>,
}

impl From<&crate::cli::ReviewFilterArgs> for ReviewOptions {
    fn from(a: &crate::cli::ReviewFilterArgs) -> ReviewOptions {
        ReviewOptions {
            cohort: a.cohort.clone(),
            learner: a.learner.clone(),
            exercise: a.exercise.clone(),
            needs_review: a.needs_review,
            status: a.status.map(|s| match s {
                crate::cli::ReviewStatus::Passed => Verdicts::Passed,
                crate::cli::ReviewStatus::Failed => Verdicts::Failed,
            }),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewAction {
    Up,
    Down,
    ScrollUp,
    ScrollDown,
    /// Cycle what the list shows.
    Filter,
    NextCheck,
    PrevCheck,
    Pass,
    Fail,
    /// Clear the grade override.
    Ungrade,
    Raise,
    Lower,
    Comment,
    PrevImage,
    NextImage,
    FullImage,
    Help,
    Back,
    Quit,
}

/// What the list shows; `v` cycles through them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Show {
    All,
    /// Work a person should look at and nobody has reviewed yet.
    NeedsReview,
    /// By the grade of record.
    Failed,
    Passed,
}

impl Show {
    pub fn next(self) -> Show {
        match self {
            Show::All => Show::NeedsReview,
            Show::NeedsReview => Show::Failed,
            Show::Failed => Show::Passed,
            Show::Passed => Show::All,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Show::All => "all",
            Show::NeedsReview => "needs review",
            Show::Failed => "failed",
            Show::Passed => "passed",
        }
    }
}

/// The store's filter for `options` showing `show`.
pub fn filter(options: &ReviewOptions, show: Show) -> ReviewFilter<'_> {
    ReviewFilter {
        scope: match (&options.cohort, &options.learner) {
            (Some(c), _) => Some(Scope::Cohort(c)),
            (None, Some(l)) => Some(Scope::Learner(l)),
            (None, None) => None,
        },
        exercise: options.exercise.as_deref(),
        verdict: match show {
            Show::Failed => Some(Verdicts::Failed),
            Show::Passed => Some(Verdicts::Passed),
            _ => None,
        },
        needs_review: show == Show::NeedsReview,
    }
}

/// A collected submission's files, as unpacked under the workspace.
#[derive(Debug, Clone, Default)]
pub struct Files {
    /// The answer file inside the submission (`answer/recipe.toml`).
    pub answer: String,
    /// Its text; `None` when it cannot be read.
    pub answer_text: Option<String>,
    /// The images the learner submitted, in order.
    pub outputs: Vec<PathBuf>,
    /// The images in the answer folder: control maps, init images, masks.
    pub inputs: Vec<PathBuf>,
    /// The learner's attempts at the exercise, as their bundles carried them.
    pub history: Vec<HistoryEntry>,
    /// Why something could not be read.
    pub problem: Option<String>,
}

impl Files {
    /// Every image to show, outputs first, with how to label it.
    pub fn images(&self) -> impl Iterator<Item = (String, &PathBuf)> {
        let n = self.outputs.len();
        let outputs = self.outputs.iter().enumerate().map(move |(i, p)| (format!("output {}/{n}", i + 1), p));
        let inputs = self
            .inputs
            .iter()
            .map(|p| (format!("input {}", p.file_name().map(|n| n.to_string_lossy()).unwrap_or_default()), p));
        outputs.chain(inputs)
    }

    pub fn image_count(&self) -> usize {
        self.outputs.len() + self.inputs.len()
    }
}

/// What a reviewer changes on a submission.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Grade(Option<Grade>),
    /// The new score adjustment.
    Adjust(i32),
    Comment(String),
    CheckGrade {
        check: String,
        grade: Option<Grade>,
    },
    CheckComment {
        check: String,
        comment: String,
    },
}

impl Change {
    /// What was saved, for the status line.
    pub fn describe(&self) -> String {
        let grade = |g: &Option<Grade>| g.map_or("grade cleared".to_string(), |g| format!("graded {g}"));
        match self {
            Change::Grade(g) => grade(g),
            Change::Adjust(a) => format!("score adjustment {a:+}"),
            Change::Comment(c) if c.is_empty() => "comment removed".into(),
            Change::Comment(_) => "comment saved".into(),
            Change::CheckGrade { check, grade: g } => format!("{check} {}", grade(g)),
            Change::CheckComment { check, comment } if comment.is_empty() => format!("{check}: comment removed"),
            Change::CheckComment { check, .. } => format!("{check}: comment saved"),
        }
    }
}

#[derive(Debug)]
pub enum ReviewMsg {
    Key(ReviewAction),
    /// A raw key press: text for the comment editor, else looked up in the keymap.
    Press(KeyEvent),
    /// The queue for the current filter.
    Loaded(Vec<SubmissionDetail>),
    /// A submission's files were read.
    FilesLoaded(i64, Box<Files>),
    /// A change went into the store; the submission as it is now.
    Saved {
        detail: Box<SubmissionDetail>,
        what: String,
    },
    Status(String),
    Tick,
    Resize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ReviewEffect {
    /// Read the queue for what the list shows.
    Load(Show),
    /// Read a submission's files and the learner's history on its exercise.
    LoadFiles {
        id: i64,
        dir: String,
        learner: String,
        exercise: String,
    },
    Write {
        id: i64,
        change: Change,
    },
    Quit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewView {
    List,
    Image,
    Help,
}

/// What the comment editor writes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Submission,
    Check(String),
}

#[derive(Debug, Clone)]
pub struct Editor {
    pub id: i64,
    pub target: Target,
    pub input: TextInput,
}

pub struct ReviewApp {
    pub curriculum: Arc<Curriculum>,
    pub workspace: PathBuf,
    /// Who is reviewing (the workspace's configured name).
    pub reviewer: String,
    pub options: ReviewOptions,
    pub show: Show,
    pub items: Vec<SubmissionDetail>,
    /// Files of the submissions looked at so far, by id.
    pub files: HashMap<i64, Files>,
    pub selected: usize,
    /// The check being graded (an index into the submission's checks); `None`: the submission.
    pub check: Option<usize>,
    pub gallery: usize,
    pub scroll: u16,
    pub view: ReviewView,
    pub editor: Option<Editor>,
    pub status: Option<String>,
    pub color: bool,
    pub quit: bool,
}

pub const ADJUST_STEP: i32 = 5;

impl ReviewApp {
    pub fn new(
        curriculum: Arc<Curriculum>,
        workspace: PathBuf,
        reviewer: String,
        options: ReviewOptions,
        color: bool,
    ) -> ReviewApp {
        let show = match (options.needs_review, options.status) {
            (true, _) => Show::NeedsReview,
            (false, Some(Verdicts::Failed)) => Show::Failed,
            (false, Some(Verdicts::Passed)) => Show::Passed,
            (false, None) => Show::All,
        };
        ReviewApp {
            curriculum,
            workspace,
            reviewer,
            options,
            show,
            items: Vec::new(),
            files: HashMap::new(),
            selected: 0,
            check: None,
            gallery: 0,
            scroll: 0,
            view: ReviewView::List,
            editor: None,
            status: None,
            color,
            quit: false,
        }
    }

    pub fn current(&self) -> Option<&SubmissionDetail> {
        self.items.get(self.selected)
    }

    pub fn current_files(&self) -> Option<&Files> {
        self.current().and_then(|s| self.files.get(&s.id))
    }

    /// The check being graded, if one is.
    pub fn current_check(&self) -> Option<&crate::store::SubmittedCheckRow> {
        self.current().zip(self.check).and_then(|(s, i)| s.checks.get(i))
    }

    fn image_count(&self) -> usize {
        self.current_files().map_or(0, Files::image_count)
    }

    /// Select the submission at `index`; its files are read if not yet.
    fn select(&mut self, index: usize) -> Vec<ReviewEffect> {
        let index = index.min(self.items.len().saturating_sub(1));
        if index != self.selected {
            self.selected = index;
            self.check = None;
            self.gallery = 0;
            self.scroll = 0;
        }
        self.load_files()
    }

    fn load_files(&self) -> Vec<ReviewEffect> {
        match self.current() {
            Some(s) if !self.files.contains_key(&s.id) => {
                vec![ReviewEffect::LoadFiles {
                    id: s.id,
                    dir: s.dir.clone(),
                    learner: s.learner.clone(),
                    exercise: s.exercise.to_string(),
                }]
            }
            _ => Vec::new(),
        }
    }

    /// The single update function.
    pub fn update(&mut self, msg: ReviewMsg) -> Vec<ReviewEffect> {
        match msg {
            ReviewMsg::Key(a) => self.key(a),
            ReviewMsg::Press(k) => match &mut self.editor {
                Some(ed) => match ed.input.key(k) {
                    Edit::Editing => Vec::new(),
                    Edit::Cancel => {
                        self.editor = None;
                        self.status = Some("comment not saved".into());
                        Vec::new()
                    }
                    Edit::Save(text) => {
                        let Some(ed) = self.editor.take() else { return Vec::new() };
                        let change = match ed.target {
                            Target::Submission => Change::Comment(text),
                            Target::Check(check) => Change::CheckComment { check, comment: text },
                        };
                        vec![ReviewEffect::Write { id: ed.id, change }]
                    }
                },
                None => super::keymap::review_action(k).map_or_else(Vec::new, |a| self.key(a)),
            },
            ReviewMsg::Loaded(items) => {
                let keep = self.current().map(|s| s.id);
                self.items = items;
                let index = keep.and_then(|id| self.items.iter().position(|s| s.id == id));
                match index {
                    Some(i) => self.selected = i,
                    None => {
                        self.selected = self.selected.min(self.items.len().saturating_sub(1));
                        self.check = None;
                        self.gallery = 0;
                        self.scroll = 0;
                    }
                }
                if self.current().is_none() && self.view == ReviewView::Image {
                    self.view = ReviewView::List;
                }
                self.load_files()
            }
            ReviewMsg::FilesLoaded(id, files) => {
                self.files.insert(id, *files);
                Vec::new()
            }
            ReviewMsg::Saved { detail, what } => {
                let (id, who) = (detail.id, format!("{} / {}", detail.learner, detail.exercise));
                // The list keeps the submission where it is (even when the filter
                // would now leave it out) until the filter changes: nothing jumps.
                if let Some(s) = self.items.iter_mut().find(|s| s.id == id) {
                    *s = *detail;
                }
                self.status = Some(format!("{who}: {what}"));
                Vec::new()
            }
            ReviewMsg::Status(s) => {
                self.status = Some(s);
                Vec::new()
            }
            ReviewMsg::Tick | ReviewMsg::Resize => Vec::new(),
        }
    }

    fn write(&mut self, change: Change) -> Vec<ReviewEffect> {
        match self.current() {
            Some(s) => vec![ReviewEffect::Write { id: s.id, change }],
            None => {
                self.status = Some("nothing selected to grade".into());
                Vec::new()
            }
        }
    }

    fn grade(&mut self, grade: Option<Grade>) -> Vec<ReviewEffect> {
        match self.current_check() {
            Some(c) => {
                let check = c.check.clone();
                self.write(Change::CheckGrade { check, grade })
            }
            None => self.write(Change::Grade(grade)),
        }
    }

    fn adjust(&mut self, by: i32) -> Vec<ReviewEffect> {
        let now = self.current().and_then(|s| s.review.as_ref()).map_or(0, |r| r.score_adjust);
        let next = (now + by).clamp(-crate::store::MAX_SCORE_ADJUST, crate::store::MAX_SCORE_ADJUST);
        self.write(Change::Adjust(next))
    }

    fn comment(&mut self) -> Vec<ReviewEffect> {
        let Some(s) = self.current() else {
            self.status = Some("nothing selected to comment on".into());
            return Vec::new();
        };
        let (target, text) = match self.current_check() {
            Some(c) => (Target::Check(c.check.clone()), c.review.as_ref().map_or("", |r| r.comment.as_str())),
            None => (Target::Submission, s.review.as_ref().map_or("", |r| r.comment.as_str())),
        };
        self.editor = Some(Editor { id: s.id, target, input: TextInput::new(text) });
        Vec::new()
    }

    fn key(&mut self, a: ReviewAction) -> Vec<ReviewEffect> {
        use ReviewAction as A;
        match (self.view, a) {
            (_, A::Quit) => {
                self.quit = true;
                vec![ReviewEffect::Quit]
            }
            (ReviewView::List, A::Back) => {
                self.quit = true;
                vec![ReviewEffect::Quit]
            }
            (_, A::Back) => {
                self.view = ReviewView::List;
                Vec::new()
            }
            (ReviewView::Help, A::Up | A::ScrollUp) => {
                self.scroll = self.scroll.saturating_sub(1);
                Vec::new()
            }
            (ReviewView::Help, A::Down | A::ScrollDown) => {
                self.scroll = self.scroll.saturating_add(1);
                Vec::new()
            }
            (ReviewView::Help, _) => Vec::new(),
            (_, A::Up) => self.select(self.selected.saturating_sub(1)),
            (_, A::Down) => self.select(self.selected + 1),
            (_, A::ScrollUp) => {
                self.scroll = self.scroll.saturating_sub(3);
                Vec::new()
            }
            (_, A::ScrollDown) => {
                self.scroll = self.scroll.saturating_add(3);
                Vec::new()
            }
            (_, A::Filter) => {
                self.show = self.show.next();
                self.status = Some(format!("showing {}", self.show.label()));
                vec![ReviewEffect::Load(self.show)]
            }
            (_, A::NextCheck | A::PrevCheck) => {
                let n = self.current().map_or(0, |s| s.checks.len());
                // The submission, then each check, round again.
                let at = self.check.map_or(0, |i| i + 1);
                let at = if a == A::NextCheck { (at + 1) % (n + 1) } else { (at + n) % (n + 1) };
                self.check = at.checked_sub(1);
                // The footer says what is being graded now.
                self.status = None;
                Vec::new()
            }
            (_, A::Pass) => self.grade(Some(Grade::Pass)),
            (_, A::Fail) => self.grade(Some(Grade::Fail)),
            (_, A::Ungrade) => self.grade(None),
            (_, A::Raise) => self.adjust(ADJUST_STEP),
            (_, A::Lower) => self.adjust(-ADJUST_STEP),
            (_, A::Comment) => self.comment(),
            (_, A::PrevImage) => {
                self.gallery = self.gallery.saturating_sub(1);
                Vec::new()
            }
            (_, A::NextImage) => {
                self.gallery = (self.gallery + 1).min(self.image_count().saturating_sub(1));
                Vec::new()
            }
            (_, A::FullImage) => {
                if self.image_count() > 0 {
                    self.view = ReviewView::Image;
                } else {
                    self.status = Some("this submission has no images".into());
                }
                Vec::new()
            }
            (_, A::Help) => {
                self.view = ReviewView::Help;
                self.scroll = 0;
                Vec::new()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Review, SubmittedCheckRow};
    use crossterm::event::{KeyCode, KeyModifiers};

    fn submission(id: i64, checks: &[&str]) -> SubmissionDetail {
        let at: crate::time::Timestamp = "2026-11-20T10:00:00.000Z".parse().unwrap();
        SubmissionDetail {
            id,
            learner: "ada".into(),
            learner_name: "Ada".into(),
            exercise: "fluency.first-image".parse().unwrap(),
            bundle_sha256: String::new(),
            bundle_name: String::new(),
            dir: format!("submissions/{id}"),
            submitted_at: at,
            collected_at: at,
            late: false,
            backend: "builtin".into(),
            attempt: Some(1),
            attempt_number: Some(1),
            claimed_passed: false,
            automatic_passed: false,
            automatic_score: 40,
            reproduced: None,
            reproduce_note: None,
            needs_review: true,
            checks: checks
                .iter()
                .enumerate()
                .map(|(i, c)| SubmittedCheckRow {
                    idx: i as u32,
                    check: (*c).into(),
                    passed: false,
                    needs_review: false,
                    value: None,
                    threshold: None,
                    message: String::new(),
                    review: None,
                })
                .collect(),
            review: None,
        }
    }

    fn app() -> ReviewApp {
        let curriculum = Arc::new(crate::curriculum::Curriculum::builtin().unwrap());
        let mut app = ReviewApp::new(curriculum, PathBuf::new(), "Tess".into(), ReviewOptions::default(), false);
        let effects = app.update(ReviewMsg::Loaded(vec![submission(7, &["format", "palette"]), submission(8, &[])]));
        assert!(matches!(effects.as_slice(), [ReviewEffect::LoadFiles { id: 7, dir, learner, .. }]
            if dir == "submissions/7" && learner == "ada"));
        app
    }

    #[test]
    fn tab_walks_the_checks_and_grades_go_to_what_it_selected() {
        let mut app = app();
        assert_eq!(
            app.update(ReviewMsg::Key(ReviewAction::Pass)),
            [ReviewEffect::Write { id: 7, change: Change::Grade(Some(Grade::Pass)) }]
        );
        app.update(ReviewMsg::Key(ReviewAction::NextCheck));
        app.update(ReviewMsg::Key(ReviewAction::NextCheck));
        assert_eq!(app.current_check().map(|c| c.check.as_str()), Some("palette"));
        assert_eq!(
            app.update(ReviewMsg::Key(ReviewAction::Ungrade)),
            [ReviewEffect::Write { id: 7, change: Change::CheckGrade { check: "palette".into(), grade: None } }]
        );
        // Round again to the submission; backwards to the last check.
        app.update(ReviewMsg::Key(ReviewAction::NextCheck));
        assert_eq!(app.check, None);
        app.update(ReviewMsg::Key(ReviewAction::PrevCheck));
        assert_eq!(app.check, Some(1));
        // Moving on selects the next submission as a whole and reads its files.
        let effects = app.update(ReviewMsg::Key(ReviewAction::Down));
        assert!(matches!(effects.as_slice(), [ReviewEffect::LoadFiles { id: 8, .. }]), "{effects:?}");
        assert_eq!(app.check, None);
    }

    #[test]
    fn the_score_adjustment_steps_by_five_within_its_bounds() {
        let mut app = app();
        let adjust = |app: &mut ReviewApp, a| match app.update(ReviewMsg::Key(a)).as_slice() {
            [ReviewEffect::Write { change: Change::Adjust(n), .. }] => *n,
            other => panic!("{other:?}"),
        };
        assert_eq!(adjust(&mut app, ReviewAction::Raise), 5);
        let at = "2026-11-21T10:00:00.000Z".parse().unwrap();
        let review =
            Review { grade: None, score_adjust: 100, comment: String::new(), reviewer: "Tess".into(), reviewed_at: at };
        let mut saved = submission(7, &[]);
        saved.review = Some(review);
        app.update(ReviewMsg::Saved { detail: Box::new(saved), what: "score adjustment +100".into() });
        assert_eq!(adjust(&mut app, ReviewAction::Raise), 100);
        assert_eq!(adjust(&mut app, ReviewAction::Lower), 95);
        assert_eq!(app.status.as_deref(), Some("ada / fluency.first-image: score adjustment +100"));
    }

    #[test]
    fn the_comment_editor_takes_every_key_until_it_saves() {
        let mut app = app();
        app.update(ReviewMsg::Key(ReviewAction::Comment));
        let press = |app: &mut ReviewApp, code| app.update(ReviewMsg::Press(KeyEvent::new(code, KeyModifiers::NONE)));
        // `q` and `p` are text here, not quit and pass.
        for c in "q.p".chars() {
            assert_eq!(press(&mut app, KeyCode::Char(c)), []);
        }
        assert!(!app.quit);
        assert_eq!(press(&mut app, KeyCode::Enter), []);
        assert_eq!(
            press(&mut app, KeyCode::Enter),
            [ReviewEffect::Write { id: 7, change: Change::Comment("q.p".into()) }]
        );
        assert!(app.editor.is_none());
        // Outside the editor the same key is the keymap's.
        press(&mut app, KeyCode::Char('q'));
        assert!(app.quit);
    }
}
