//! The studio's state and its one `update` function (the Elm pattern): keys
//! and worker reports come in as [`Action`]s; anything that touches the
//! outside world goes out as an [`Effect`] for the runtime to execute.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::checks::Verdict;
use crate::curriculum::Curriculum;
use crate::id::ExerciseId;
use crate::progress::PathProgress;
use crate::store::AttemptRow;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Up,
    Down,
    ScrollUp,
    ScrollDown,
    Edit,
    Run,
    Cancel,
    ToggleWatch,
    Hint,
    PrevImage,
    NextImage,
    FullImage,
    /// The exercise's input images (control maps, init, mask, brand sheet), full screen.
    Inputs,
    /// An X/Y/Z plot of the recipe: type its axes, see the labelled sheet.
    Grid,
    History,
    Progress,
    Reset,
    Submit,
    Help,
    /// Show the last failed run's error in full.
    ShowError,
    Back,
    Escape,
    Quit,
    Yes,
    No,
}

/// Reports that arrive from outside the key handler.
#[derive(Debug)]
pub enum Msg {
    Key(Action),
    /// A raw key press: text for the grid's axes line, else looked up in the keymap.
    Press(crossterm::event::KeyEvent),
    /// The grid being made has this many of its cells rendered.
    GridCells {
        done: usize,
        total: usize,
    },
    /// The grid is made (its file) or could not be.
    GridDone(Result<PathBuf, String>),
    /// A worker's progress on the running attempt.
    RunImage {
        index: usize,
        total: usize,
        cost: f64,
    },
    RunStep {
        done: u32,
        total: u32,
    },
    /// The server holds the job in its queue behind `ahead` others.
    RunQueued {
        ahead: u32,
    },
    RunChecking,
    /// The attempt ended; `Ok` carries what to show.
    RunDone(Result<Box<LastAttempt>, String>),
    /// The watched recipe was saved.
    RecipeSaved(PathBuf),
    /// Something for the status line.
    Status(String),
    /// An exercise's attempts with their images, for the history view.
    HistoryLoaded(Vec<HistoryItem>),
    /// The exercise's input images, beside the learner's recipe.
    InputsLoaded(Vec<PathBuf>),
    /// The file watcher could not start: watch mode is off again.
    WatchUnavailable(String),
    /// Fresh data after a change (attempt, hint, reset).
    Refresh(Box<Snapshot>),
    Tick,
    Resize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    SpawnRun {
        exercise: ExerciseId,
    },
    CancelRun,
    /// Suspend the studio and edit the exercise's answer (created from the starter if missing).
    OpenEditor {
        exercise: ExerciseId,
    },
    ResetAnswer {
        exercise: ExerciseId,
    },
    RevealHint {
        exercise: ExerciseId,
    },
    /// Start or stop watching the selected exercise's recipe.
    Watch(Option<PathBuf>),
    LoadHistory {
        exercise: ExerciseId,
    },
    /// Put the exercise's assets beside the recipe and list its images.
    LoadInputs {
        exercise: ExerciseId,
    },
    /// Render an X/Y/Z plot of the exercise's recipe on the built-in renderer.
    Grid {
        exercise: ExerciseId,
        axes: Vec<crate::grid::Axis>,
    },
    /// Pack the exercise's best attempt as a bundle for the instructor.
    Submit {
        exercise: ExerciseId,
    },
    Quit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Path,
    Image,
    History,
    Progress,
    Help,
    /// The last failed run's error, whole and scrollable.
    Error,
    /// The exercise's input images, one at a time, full screen.
    Inputs,
    /// The axes line of an X/Y/Z plot being typed.
    GridAxes,
    /// The last grid, full screen.
    Grid,
}

/// An X/Y/Z plot in the making, or the last one made.
#[derive(Debug, Clone)]
pub struct GridState {
    /// The axes line as typed (kept for the next grid).
    pub axes: super::text::TextInput,
    /// Cells rendered of all, while one renders.
    pub running: Option<(usize, usize)>,
    pub last: Option<PathBuf>,
}

/// What the axes line starts with: the plot practitioners make first.
pub const GRID_EXAMPLE: &str = "cfg=4,7,10; steps=8,20,30";

/// One attempt in the history view, with its images to compare.
#[derive(Debug, Clone)]
pub struct HistoryItem {
    pub attempt: AttemptRow,
    pub images: Vec<PathBuf>,
}

/// The last attempt of an exercise, as the results pane shows it.
#[derive(Debug, Clone)]
pub struct LastAttempt {
    pub attempt: AttemptRow,
    pub verdict: Option<Verdict>,
    pub images: Vec<PathBuf>,
}

/// What the runtime reads from the engine for the UI.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub progress: PathProgress,
    pub hints: HashMap<ExerciseId, u32>,
    pub last: HashMap<ExerciseId, LastAttempt>,
    pub answers: HashMap<ExerciseId, PathBuf>,
    /// What is assigned to this learner.
    pub due: Vec<crate::store::Assigned>,
    pub milestone_dates: HashMap<String, String>,
    /// Pipeline runs, newest per pipeline.
    pub pipelines: Vec<PipelineSummary>,
    /// The newest feedback imported from an instructor, per exercise.
    pub feedback: HashMap<ExerciseId, crate::store::Feedback>,
}

pub use crate::pipeline::Summary as PipelineSummary;

#[derive(Debug, Clone)]
pub struct RunState {
    pub exercise: ExerciseId,
    pub started: Instant,
    pub image: usize,
    pub total: usize,
    pub step: u32,
    pub steps: u32,
    /// Prompts ahead of this one in the server's queue, while it waits.
    pub queued: Option<u32>,
    pub cost: f64,
    pub checking: bool,
    pub cancelling: bool,
}

pub struct App {
    pub curriculum: Arc<Curriculum>,
    /// The workspace root, to show paths relative to it.
    pub workspace: PathBuf,
    pub learner: String,
    pub backend: String,
    pub data: Snapshot,
    /// Index into `curriculum.exercises` of the selected exercise.
    pub selected: usize,
    pub view: View,
    pub brief_scroll: u16,
    pub scroll: u16,
    pub gallery: usize,
    pub run: Option<RunState>,
    pub watch: bool,
    /// When a save was seen in watch mode; the run starts once saves settle.
    pub pending_save: Option<Instant>,
    pub status: Option<String>,
    /// The last failed run (its exercise, its error), until a run succeeds.
    pub error: Option<(ExerciseId, String)>,
    pub confirm_reset: bool,
    pub history: Vec<HistoryItem>,
    pub history_cursor: usize,
    /// The exercise's input images and the one shown.
    pub inputs: Vec<PathBuf>,
    pub input: usize,
    pub grid: GridState,
    pub color: bool,
    pub quit: bool,
}

/// Saves closer together than this are one save (editors write in bursts).
pub const DEBOUNCE: Duration = Duration::from_millis(300);

/// The status line after a failed run (the error itself has its own view).
pub const RUN_FAILED: &str = "✗ the last run failed ─ ! shows why";
/// `!` with nothing to show.
pub const NO_ERROR: &str = "no error to show: the last run did not fail";

impl App {
    pub fn new(
        curriculum: Arc<Curriculum>,
        workspace: PathBuf,
        learner: String,
        backend: String,
        data: Snapshot,
        color: bool,
    ) -> App {
        let selected =
            data.progress.next.as_ref().and_then(|n| curriculum.exercises.iter().position(|e| &e.id == n)).unwrap_or(0);
        App {
            curriculum,
            workspace,
            learner,
            backend,
            data,
            selected,
            view: View::Path,
            brief_scroll: 0,
            scroll: 0,
            gallery: 0,
            run: None,
            watch: false,
            pending_save: None,
            status: None,
            error: None,
            confirm_reset: false,
            history: Vec::new(),
            history_cursor: 0,
            inputs: Vec::new(),
            input: 0,
            grid: GridState { axes: super::text::TextInput::new(GRID_EXAMPLE), running: None, last: None },
            color,
            quit: false,
        }
    }

    pub fn exercise(&self) -> &crate::curriculum::Exercise {
        &self.curriculum.exercises[self.selected.min(self.curriculum.exercises.len().saturating_sub(1))]
    }

    pub fn last(&self) -> Option<&LastAttempt> {
        self.data.last.get(&self.exercise().id)
    }

    fn image_count(&self) -> usize {
        self.last().map_or(0, |l| l.images.len())
    }

    fn select(&mut self, index: usize) -> Vec<Effect> {
        if index == self.selected || index >= self.curriculum.exercises.len() {
            return Vec::new();
        }
        self.selected = index;
        self.brief_scroll = 0;
        self.gallery = 0;
        self.confirm_reset = false;
        if self.watch { vec![Effect::Watch(self.data.answers.get(&self.exercise().id).cloned())] } else { Vec::new() }
    }

    /// Whether the selected exercise is open (its stage is unlocked).
    pub fn selected_open(&self) -> bool {
        let id = &self.exercise().id;
        self.data
            .progress
            .stages
            .iter()
            .flat_map(|s| &s.exercises)
            .find(|e| &e.id == id)
            .is_some_and(|e| e.status != crate::progress::ExerciseStatus::Locked)
    }

    fn run_effect(&mut self) -> Vec<Effect> {
        if self.run.is_some() {
            self.status = Some("an attempt is already running (c cancels it)".into());
            return Vec::new();
        }
        if !self.selected_open() {
            self.status = Some(format!("{} is locked: reach the previous stage's milestone first", self.exercise().id));
            return Vec::new();
        }
        let (id, total) = (self.exercise().id.clone(), self.exercise().deliverable.count.max(1) as usize);
        self.run = Some(RunState {
            exercise: id.clone(),
            started: Instant::now(),
            image: 0,
            total,
            step: 0,
            steps: 0,
            queued: None,
            cost: 0.0,
            checking: false,
            cancelling: false,
        });
        self.status = None;
        vec![Effect::SpawnRun { exercise: id }]
    }

    /// The single update function.
    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        match msg {
            Msg::Key(a) => self.key(a),
            Msg::Press(k) if self.view == View::GridAxes => self.axes_key(k),
            Msg::Press(k) => super::keymap::action(k).map_or_else(Vec::new, |a| self.key(a)),
            Msg::GridCells { done, total } => {
                self.grid.running = Some((done, total));
                Vec::new()
            }
            Msg::GridDone(result) => {
                self.grid.running = None;
                match result {
                    Ok(path) => {
                        let shown = path.strip_prefix(&self.workspace).unwrap_or(&path).display().to_string();
                        self.status = Some(format!("grid written: {shown}"));
                        self.grid.last = Some(path);
                        self.view = View::Grid;
                    }
                    Err(e) => {
                        self.error = Some((self.exercise().id.clone(), format!("the grid could not be made:\n{e}")));
                        self.status = Some(RUN_FAILED.into());
                        self.view = View::Error;
                        self.scroll = 0;
                    }
                }
                Vec::new()
            }
            Msg::RunImage { index, total, cost } => {
                if let Some(r) = &mut self.run {
                    r.image = index;
                    r.total = total;
                    r.cost += cost;
                }
                Vec::new()
            }
            Msg::RunStep { done, total } => {
                if let Some(r) = &mut self.run {
                    r.step = done;
                    r.steps = total;
                    r.queued = None;
                }
                Vec::new()
            }
            Msg::RunQueued { ahead } => {
                if let Some(r) = &mut self.run {
                    r.queued = Some(ahead);
                }
                Vec::new()
            }
            Msg::RunChecking => {
                if let Some(r) = &mut self.run {
                    r.checking = true;
                }
                Vec::new()
            }
            Msg::RunDone(result) => {
                let run = self.run.take();
                match result {
                    Ok(last) => {
                        let id = last.attempt.exercise.clone();
                        let passed = last.verdict.as_ref().is_some_and(|v| v.passed);
                        let score = last.verdict.as_ref().map_or(0, |v| v.score);
                        self.status = Some(format!(
                            "attempt {} {} — score {score}/100",
                            last.attempt.number,
                            if passed { "PASSED" } else { "failed" }
                        ));
                        self.data.last.insert(id, *last);
                        self.gallery = 0;
                        // A run went through: whatever stopped the last one is resolved.
                        self.error = None;
                        if self.view == View::Error {
                            self.view = View::Path;
                        }
                    }
                    Err(e) if run.as_ref().is_some_and(|r| r.cancelling) => {
                        self.status = Some(format!("run cancelled: {e}"))
                    }
                    Err(e) => {
                        // An error is read whole, in its own view, never cut to the status line.
                        let id = run.map_or_else(|| self.exercise().id.clone(), |r| r.exercise);
                        self.error = Some((id, e));
                        self.status = Some(RUN_FAILED.into());
                        self.view = View::Error;
                        self.scroll = 0;
                    }
                }
                Vec::new()
            }
            Msg::RecipeSaved(path) => {
                let ours = self.data.answers.get(&self.exercise().id).is_some_and(|p| *p == path);
                if self.watch && ours {
                    self.pending_save = Some(Instant::now());
                }
                Vec::new()
            }
            Msg::Status(s) => {
                self.status = Some(s);
                Vec::new()
            }
            Msg::HistoryLoaded(rows) => {
                self.history = rows;
                Vec::new()
            }
            Msg::InputsLoaded(paths) => {
                if paths.is_empty() {
                    self.status =
                        Some(format!("{} has no input images: its brief is all there is", self.exercise().id));
                } else {
                    self.inputs = paths;
                    self.input = 0;
                    self.view = View::Inputs;
                }
                Vec::new()
            }
            Msg::WatchUnavailable(why) => {
                self.watch = false;
                self.status = Some(why);
                Vec::new()
            }
            Msg::Refresh(s) => {
                let keep_last = std::mem::take(&mut self.data.last);
                self.data = *s;
                for (k, v) in keep_last {
                    self.data.last.entry(k).or_insert(v);
                }
                Vec::new()
            }
            Msg::Tick => {
                if let Some(t) = self.pending_save
                    && t.elapsed() >= DEBOUNCE
                    && self.run.is_none()
                {
                    self.pending_save = None;
                    return self.run_effect();
                }
                Vec::new()
            }
            Msg::Resize => Vec::new(),
        }
    }

    /// A key on the grid's axes line: Enter makes the grid, Esc leaves.
    fn axes_key(&mut self, k: crossterm::event::KeyEvent) -> Vec<Effect> {
        use crossterm::event::KeyCode;
        if super::keymap::is_ctrl_c(&k) {
            return self.key(Action::Quit);
        }
        if k.code != KeyCode::Enter {
            if self.grid.axes.key(k) == super::text::Edit::Cancel {
                self.view = View::Path;
            }
            return Vec::new();
        }
        let line = self.grid.axes.text().replace('\n', " ");
        match parse_axes(&line) {
            Err(e) => {
                self.status = Some(e);
                Vec::new()
            }
            Ok(_) if self.grid.running.is_some() => {
                self.status = Some("a grid is already being made".into());
                Vec::new()
            }
            Ok(axes) => {
                self.view = View::Path;
                let total = axes.iter().map(|a| a.values.len()).product();
                self.grid.running = Some((0, total));
                vec![Effect::Grid { exercise: self.exercise().id.clone(), axes }]
            }
        }
    }

    fn key(&mut self, a: Action) -> Vec<Effect> {
        if self.confirm_reset {
            self.confirm_reset = false;
            return match a {
                Action::Yes => {
                    self.status = Some("recipe reset to the starter (your old one is kept as .bak)".into());
                    vec![Effect::ResetAnswer { exercise: self.exercise().id.clone() }]
                }
                _ => {
                    self.status = Some("reset cancelled".into());
                    Vec::new()
                }
            };
        }
        match (self.view, a) {
            (_, Action::Quit) => {
                self.quit = true;
                let mut out = Vec::new();
                if self.run.is_some() {
                    out.push(Effect::CancelRun);
                }
                out.push(Effect::Quit);
                out
            }
            (_, Action::Cancel) | (View::Path, Action::Escape) if self.run.is_some() => {
                if let Some(r) = &mut self.run {
                    r.cancelling = true;
                }
                self.status = Some("cancelling …".into());
                vec![Effect::CancelRun]
            }
            (View::Path, Action::Back) => {
                self.quit = true;
                let mut out = Vec::new();
                if self.run.is_some() {
                    out.push(Effect::CancelRun);
                }
                out.push(Effect::Quit);
                out
            }
            (View::Path, Action::Escape) => Vec::new(),
            (_, Action::Back | Action::Escape) => {
                self.view = View::Path;
                self.scroll = 0;
                Vec::new()
            }
            (View::History, Action::Up) => {
                self.history_cursor = self.history_cursor.saturating_sub(1);
                Vec::new()
            }
            (View::History, Action::Down) => {
                self.history_cursor = (self.history_cursor + 1).min(self.history.len().saturating_sub(1));
                Vec::new()
            }
            (View::Progress | View::Help | View::Error, Action::Up | Action::ScrollUp) => {
                self.scroll = self.scroll.saturating_sub(1);
                Vec::new()
            }
            (View::Progress | View::Help | View::Error, Action::Down | Action::ScrollDown) => {
                self.scroll = self.scroll.saturating_add(1);
                Vec::new()
            }
            (View::Image | View::Inputs | View::Grid | View::GridAxes, Action::Up | Action::Down) => Vec::new(),
            (View::Inputs, Action::PrevImage) => {
                self.input = self.input.saturating_sub(1);
                Vec::new()
            }
            (View::Inputs, Action::NextImage) => {
                self.input = (self.input + 1).min(self.inputs.len().saturating_sub(1));
                Vec::new()
            }
            (View::Path, Action::Up) => self.select(self.selected.saturating_sub(1)),
            (View::Path, Action::Down) => self.select(self.selected + 1),
            (_, Action::ScrollUp) => {
                self.brief_scroll = self.brief_scroll.saturating_sub(3);
                Vec::new()
            }
            (_, Action::ScrollDown) => {
                self.brief_scroll = self.brief_scroll.saturating_add(3);
                Vec::new()
            }
            (_, Action::Run) => self.run_effect(),
            (_, Action::Edit) => vec![Effect::OpenEditor { exercise: self.exercise().id.clone() }],
            (_, Action::ToggleWatch) => {
                self.watch = !self.watch;
                self.status =
                    Some(if self.watch { "watch on: saving the recipe re-runs it".into() } else { "watch off".into() });
                vec![Effect::Watch(if self.watch { self.data.answers.get(&self.exercise().id).cloned() } else { None })]
            }
            (_, Action::Hint) => {
                let e = self.exercise();
                let seen = self.data.hints.get(&e.id).copied().unwrap_or(0);
                if seen as usize >= e.hints.len() {
                    self.status = Some("no more hints: that was the last one".into());
                    return Vec::new();
                }
                let id = e.id.clone();
                self.data.hints.insert(id.clone(), seen + 1);
                vec![Effect::RevealHint { exercise: id }]
            }
            (_, Action::PrevImage) => {
                self.gallery = self.gallery.saturating_sub(1);
                Vec::new()
            }
            (_, Action::NextImage) => {
                self.gallery = (self.gallery + 1).min(self.image_count().saturating_sub(1));
                Vec::new()
            }
            (_, Action::FullImage) => {
                if self.image_count() > 0 {
                    self.view = View::Image;
                } else {
                    self.status = Some("no images yet: press r to run".into());
                }
                Vec::new()
            }
            (_, Action::Submit) => {
                if self.run.is_some() {
                    self.status = Some("wait for the run to finish, then submit".into());
                    return Vec::new();
                }
                vec![Effect::Submit { exercise: self.exercise().id.clone() }]
            }
            (_, Action::Inputs) => vec![Effect::LoadInputs { exercise: self.exercise().id.clone() }],
            (_, Action::Grid) => {
                self.view = View::GridAxes;
                Vec::new()
            }
            (_, Action::History) => {
                self.view = View::History;
                self.history_cursor = 0;
                vec![Effect::LoadHistory { exercise: self.exercise().id.clone() }]
            }
            (_, Action::Progress) => {
                self.view = View::Progress;
                self.scroll = 0;
                Vec::new()
            }
            (_, Action::Help) => {
                self.view = View::Help;
                self.scroll = 0;
                Vec::new()
            }
            (_, Action::ShowError) => {
                if self.error.is_some() {
                    self.view = View::Error;
                    self.scroll = 0;
                } else {
                    self.status = Some(NO_ERROR.into());
                }
                Vec::new()
            }
            (_, Action::Reset) => {
                self.confirm_reset = true;
                self.status = Some(format!("reset {} to the starter recipe? y / n", self.exercise().id));
                Vec::new()
            }
            (_, Action::Cancel | Action::Yes | Action::No) => Vec::new(),
        }
    }
}

/// The axes line, `X; Y; Z` with each `KEY=V1,V2,…` as `genpath grid` takes
/// them: one to three axes, each with its values.
pub fn parse_axes(line: &str) -> Result<Vec<crate::grid::Axis>, String> {
    let parts: Vec<&str> = line.split(';').map(str::trim).filter(|p| !p.is_empty()).collect();
    if parts.is_empty() || parts.len() > 3 {
        return Err(format!("give one to three axes separated by `;`, e.g. {GRID_EXAMPLE}"));
    }
    parts.iter().map(|p| p.parse::<crate::grid::Axis>().map_err(|e| format!("axis `{p}`: {e}"))).collect()
}
