//! The studio: a ratatui + crossterm terminal UI over the same engine the
//! commands use. This module is the only one that touches the terminal.
//!
//! One event loop receives everything — keys (from an input thread that can
//! be paused while an editor owns the terminal), worker reports, file-watch
//! events and ticks — as [`app::Msg`]s through one channel; [`app::App::update`]
//! returns [`app::Effect`]s that [`Runtime::execute`] carries out. Attempts
//! run on a worker thread, so the UI never freezes.
//!
//! The instructor's review mode (`genpath review`, [`review()`]) is a second
//! [`Mode`] of the same runtime: its own state ([`review`]), draws
//! ([`review_view`]) and effects ([`review_runtime`]), the same event loop,
//! input thread, keymap table style and draw helpers.

pub mod app;
pub mod images;
pub mod keymap;
pub mod review;
pub mod review_runtime;
pub mod review_view;
pub mod text;
pub mod view;

pub use review::ReviewOptions;
pub use review_runtime::{ReviewRuntime, review};

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use crossterm::event::{self, Event, MouseEventKind};

use self::app::{Action, App, Effect, HistoryItem, LastAttempt, Msg, Snapshot};
use self::images::Images;
use crate::attempt::{self, Answer, Observer};
use crate::backend::Progress;
use crate::checks::{Outcome, Verdict};
use crate::progress;
use crate::session::Env;
use crate::store::Store;

/// Everything the studio needs besides the terminal.
pub struct Runtime {
    pub app: App,
    pub env: Arc<Env>,
    store: Store,
    tx: Sender<Msg>,
    pub rx: Receiver<Msg>,
    cancel: Option<Arc<AtomicBool>>,
    worker: Option<std::thread::JoinHandle<()>>,
    watcher: Option<notify::RecommendedWatcher>,
    /// Whether another process wrote to the database (see `handle`).
    changes: Changes,
    pub images: Images,
    /// Set while an editor owns the terminal: the input thread must not read.
    pub input_paused: Arc<AtomicBool>,
}

/// Read what the UI shows from the store.
pub fn snapshot(env: &Env, store: &Store) -> Result<Snapshot> {
    let learner = env.learner();
    let stats = store.exercise_stats(learner)?;
    let milestones = store.milestones(learner)?;
    let mut progress = progress::compute(&env.curriculum, &stats, &milestones, &store.stage_unlocks(learner)?);
    progress.study_seconds = store.study_seconds(learner)?;
    let mut hints = HashMap::new();
    let mut last = HashMap::new();
    let mut answers = HashMap::new();
    for e in &env.curriculum.exercises {
        let n = store.hints_revealed(learner, &e.id)?;
        if n > 0 {
            hints.insert(e.id.clone(), n);
        }
        answers.insert(e.id.clone(), env.workspace.answer_path(e));
    }
    for s in stats.iter().filter(|s| s.attempts > 0) {
        if let Some(a) = store.attempts(learner, &s.exercise)?.into_iter().next() {
            last.insert(s.exercise.clone(), load_last(env, store, a)?);
        }
    }
    let milestone_dates = milestones
        .iter()
        .map(|m| (m.stage.clone(), m.reached_at.local().split(' ').next().unwrap_or("").to_string()))
        .collect();
    let pipelines = crate::pipeline::summaries(store)?;
    let mut feedback = HashMap::new();
    // Newest review first: the first of each exercise is the one that counts.
    for f in store.feedback(None)? {
        feedback.entry(f.exercise.clone()).or_insert(f);
    }
    Ok(Snapshot { progress, hints, last, answers, due: store.due_for(learner)?, milestone_dates, pipelines, feedback })
}

fn load_last(env: &Env, store: &Store, a: crate::store::AttemptRow) -> Result<LastAttempt> {
    let checks = store.check_results(a.id)?;
    let verdict = (!checks.is_empty() || a.finished_at.is_some() && a.error.is_none()).then(|| Verdict {
        passed: a.status == crate::store::AttemptStatus::Passed,
        score: a.score.unwrap_or(0),
        outcomes: checks
            .into_iter()
            .map(|c| Outcome {
                check: c.check,
                passed: c.passed,
                review: c.review,
                value: c.value,
                threshold: c.threshold,
                severity: c.severity,
                message: c.message,
                measures: Vec::new(),
            })
            .collect(),
    });
    let images = store.images(a.id)?.into_iter().map(|i| env.workspace.root.join(i.path)).collect();
    Ok(LastAttempt { attempt: a, verdict: if a_is_verdict(&verdict) { verdict } else { None }, images })
}

/// Make an X/Y/Z plot of `recipe` in the background, reporting each cell,
/// and write it under `dir` (named by the time, so earlier grids are kept).
fn spawn_grid(tx: Sender<Msg>, recipe: PathBuf, axes: Vec<crate::grid::Axis>, dir: PathBuf) {
    std::thread::spawn(move || {
        let report = Mutex::new(tx.clone());
        let send = |m: Msg| {
            if let Ok(tx) = report.lock() {
                let _ = tx.send(m);
            }
        };
        let (done, total) = (std::sync::atomic::AtomicUsize::new(0), std::sync::atomic::AtomicUsize::new(0));
        let result = (|| -> Result<PathBuf> {
            let made = crate::grid::make(
                &recipe,
                &axes,
                crate::recipe::Limits::default(),
                |n| total.store(n, Ordering::SeqCst),
                || {
                    let d = done.fetch_add(1, Ordering::SeqCst) + 1;
                    send(Msg::GridCells { done: d, total: total.load(Ordering::SeqCst) });
                },
            )?;
            std::fs::create_dir_all(&dir).with_context(|| format!("Failed to create {}", dir.display()))?;
            let path = dir.join(format!("grid-{}.png", crate::store::now().compact()));
            crate::workspace::write_atomic(&path, &made.png)?;
            Ok(path)
        })();
        let _ = tx.send(Msg::GridDone(result.map_err(|e| format!("{e:#}"))));
    });
}

/// Whether an asset is a picture to show (a brand sheet may also come as a
/// palette file, a brief as text).
fn shows_as_image(path: &std::path::Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| ["png", "jpg", "jpeg", "webp"].contains(&e.to_ascii_lowercase().as_str()))
}

fn a_is_verdict(v: &Option<Verdict>) -> bool {
    v.as_ref().is_some_and(|v| !v.outcomes.is_empty())
}

/// Notices another process's writes to the database: SQLite's
/// `data_version` changes when another connection commits (never for our
/// own), and it is cheap enough to ask on every tick.
#[derive(Debug, Default)]
pub struct Changes {
    version: Option<i64>,
}

impl Changes {
    /// Whether the database changed since the last look (the first look only remembers).
    pub fn seen(&mut self, store: &Store) -> Result<bool> {
        let version = store.data_version()?;
        Ok(self.version.replace(version).is_some_and(|v| v != version))
    }
}

/// Reports from the worker thread into the event channel.
struct Reporter {
    tx: Mutex<Sender<Msg>>,
    cancel: Arc<AtomicBool>,
}

impl Reporter {
    fn send(&self, m: Msg) {
        if let Ok(tx) = self.tx.lock() {
            let _ = tx.send(m);
        }
    }
}

impl Progress for Reporter {
    fn step(&self, done: u32, total: u32) {
        self.send(Msg::RunStep { done, total });
    }
    fn queued(&self, ahead: u32) {
        self.send(Msg::RunQueued { ahead });
    }
    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::SeqCst)
    }
}

impl Observer for Reporter {
    fn image_started(&self, index: usize, total: usize) {
        self.send(Msg::RunImage { index, total, cost: 0.0 });
    }
    fn image_done(&self, index: usize, total: usize, cost: f64) {
        self.send(Msg::RunImage { index: (index + 1).min(total.saturating_sub(1)), total, cost });
    }
    fn checking(&self) {
        self.send(Msg::RunChecking);
    }
}

impl Runtime {
    pub fn new(env: Env, images: Images) -> Result<Runtime> {
        let store = env.workspace.store()?;
        let data = snapshot(&env, &store)?;
        let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        let curriculum = Arc::new(env.curriculum.clone());
        let app = App::new(
            curriculum,
            env.workspace.root.clone(),
            env.workspace.config.learner.name.clone(),
            env.workspace.config.backend.clone(),
            data,
            color,
        );
        let (tx, rx) = channel();
        Ok(Runtime {
            app,
            env: Arc::new(env),
            store,
            tx,
            rx,
            cancel: None,
            worker: None,
            watcher: None,
            changes: Changes::default(),
            images,
            input_paused: Arc::new(AtomicBool::new(false)),
        })
    }

    /// Feed one message through `update` and carry out its effects; the
    /// effects that need the terminal (the editor) are returned to its owner.
    pub fn handle(&mut self, msg: Msg) -> Result<Vec<Effect>> {
        // Work another process recorded (a `genpath run` or `hint` beside the
        // studio) shows without a key press: the database says it changed.
        if matches!(msg, Msg::Tick) && self.worker.is_none() && self.changes.seen(&self.store)? {
            self.images.clear();
            self.refresh()?;
        }
        let refresh = matches!(msg, Msg::RunDone(_));
        if refresh {
            self.images.clear();
            if let Some(w) = self.worker.take() {
                let _ = w.join();
            }
            self.cancel = None;
        }
        let effects = self.app.update(msg);
        if refresh {
            self.refresh()?;
        }
        let mut for_terminal = Vec::new();
        for e in effects {
            if let Some(e) = self.execute(e)? {
                for_terminal.push(e);
            }
        }
        Ok(for_terminal)
    }

    fn refresh(&mut self) -> Result<()> {
        let s = snapshot(&self.env, &self.store)?;
        self.app.update(Msg::Refresh(Box::new(s)));
        Ok(())
    }

    /// Carry out an effect; what it learns comes back through `update`.
    /// Opening an editor is returned to the caller that owns the terminal.
    pub fn execute(&mut self, e: Effect) -> Result<Option<Effect>> {
        match e {
            Effect::SpawnRun { exercise } => self.spawn_run(&exercise),
            Effect::CancelRun => {
                if let Some(c) = &self.cancel {
                    c.store(true, Ordering::SeqCst);
                }
            }
            Effect::ResetAnswer { exercise } => {
                if let Some(ex) = self.env.curriculum.exercise(&exercise) {
                    self.env.workspace.reset_answer(&self.env.curriculum, ex)?;
                }
            }
            Effect::RevealHint { exercise } => {
                if let Some(ex) = self.env.curriculum.exercise(&exercise) {
                    self.store.reveal_hint(self.env.learner(), &exercise, ex.hints.len() as u32)?;
                }
            }
            Effect::Watch(path) => self.watch(path),
            Effect::LoadHistory { exercise } => {
                let root = &self.env.workspace.root;
                let items = self
                    .store
                    .attempts(self.env.learner(), &exercise)?
                    .into_iter()
                    .map(|attempt| {
                        let images = self.store.images(attempt.id)?.into_iter().map(|i| root.join(i.path)).collect();
                        Ok(HistoryItem { attempt, images })
                    })
                    .collect::<Result<_>>()?;
                self.app.update(Msg::HistoryLoaded(items));
            }
            Effect::Grid { exercise, axes } => {
                if let Some(ex) = self.env.curriculum.exercise(&exercise) {
                    let recipe = self.env.workspace.ensure_answer(&self.env.curriculum, ex)?;
                    let dir = self.env.workspace.outputs_dir().join(ex.id.as_str()).join("grids");
                    spawn_grid(self.tx.clone(), recipe, axes, dir);
                }
            }
            Effect::LoadInputs { exercise } => {
                if let Some(ex) = self.env.curriculum.exercise(&exercise) {
                    let paths = self.env.workspace.copy_assets(&self.env.curriculum, ex)?;
                    let images = paths.into_iter().filter(|p| shows_as_image(p)).collect();
                    self.app.update(Msg::InputsLoaded(images));
                }
            }
            Effect::Submit { exercise } => {
                if let Some(ex) = self.env.curriculum.exercise(&exercise) {
                    let ws = &self.env.workspace;
                    let dir = crate::instructor::submit::default_dir(ws);
                    let status = match crate::instructor::submit::write_to(ws, &self.store, ex, None, &dir) {
                        Ok(w) => {
                            let shown = w.path.strip_prefix(&ws.root).unwrap_or(&w.path).display().to_string();
                            format!(
                                "submitted attempt {}: {shown} — send it to your instructor",
                                crate::present::attempt_number(w.submission.attempt.number)
                            )
                        }
                        Err(e) => format!("cannot submit: {e:#}"),
                    };
                    self.app.update(Msg::Status(status));
                }
            }
            e @ Effect::OpenEditor { .. } => return Ok(Some(e)),
            Effect::Quit => {}
        }
        Ok(None)
    }

    fn spawn_run(&mut self, exercise: &str) {
        let env = Arc::clone(&self.env);
        let cancel = Arc::new(AtomicBool::new(false));
        self.cancel = Some(Arc::clone(&cancel));
        let reporter = Reporter { tx: Mutex::new(self.tx.clone()), cancel };
        let id = exercise.to_string();
        self.worker = Some(std::thread::spawn(move || {
            let result = crate::panics::catch("the run", || run_in_worker(&env, &id, &reporter))
                .and_then(|r| r.map_err(|e| format!("{e:#}")));
            reporter.send(Msg::RunDone(result));
        }));
    }

    fn watch(&mut self, path: Option<PathBuf>) {
        use notify::Watcher;
        self.watcher = None;
        let Some(path) = path else { return };
        let tx = Mutex::new(self.tx.clone());
        let target = path.clone();
        let made = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
            if let Ok(ev) = res
                && (ev.kind.is_modify() || ev.kind.is_create())
                && ev.paths.iter().any(|p| p.file_name() == target.file_name())
                && let Ok(tx) = tx.lock()
            {
                let _ = tx.send(Msg::RecipeSaved(target.clone()));
            }
        });
        let dir = path.parent().map(PathBuf::from).unwrap_or_default();
        let _ = std::fs::create_dir_all(&dir);
        match made.and_then(|mut w| w.watch(&dir, notify::RecursiveMode::NonRecursive).map(|()| w)) {
            Ok(w) => self.watcher = Some(w),
            Err(e) => {
                self.app.update(Msg::WatchUnavailable(format!(
                    "watching is not available here ({e}); press r to run after saving"
                )));
            }
        }
    }

    /// Wait for the running attempt to finish (tests and shutdown).
    pub fn wait_for_run(&mut self, timeout: Duration) -> Result<()> {
        self.wait_while("the attempt", timeout, |app| app.run.is_some())
    }

    /// Handle messages until the grid being made is written (or failed).
    pub fn wait_for_grid(&mut self, timeout: Duration) -> Result<()> {
        self.wait_while("the grid", timeout, |app| app.grid.running.is_some())
    }

    fn wait_while(&mut self, what: &str, timeout: Duration, busy: impl Fn(&App) -> bool) -> Result<()> {
        let deadline = std::time::Instant::now() + timeout;
        while busy(&self.app) {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                anyhow::bail!("{what} did not finish in {timeout:?}");
            }
            if let Ok(m) = self.rx.recv_timeout(left.min(Duration::from_millis(100))) {
                self.handle(m)?;
            }
        }
        Ok(())
    }
}

fn run_in_worker(env: &Env, id: &str, reporter: &Reporter) -> Result<Box<LastAttempt>> {
    let ex = env.curriculum.exercise(id).context("unknown exercise")?;
    let ws = &env.workspace;
    let mut store = ws.store()?;
    let path = ws.ensure_answer(&env.curriculum, ex)?;
    let answer = Answer::read(ex, &path, ws.config.limits())?;
    let backend = crate::backend::from_config(&ws.config.backend, &ws.config)?;
    let rec = attempt::run_recorded(
        &mut store,
        &ws.outputs_dir(),
        env.learner(),
        &env.curriculum,
        ex,
        &answer,
        backend.as_ref(),
        &ws.config.backend,
        reporter,
        ws.embedding_for(&ex.checks)?,
    )?;
    let row = store.attempt(rec.attempt)?;
    Ok(Box::new(LastAttempt { attempt: row, verdict: Some(rec.verdict), images: rec.images }))
}

/// The learner's messages for a terminal event.
fn learner_input(ev: Event) -> Option<Msg> {
    match ev {
        // Raw keys: the grid's axes line takes text, else the keymap decides (in `update`).
        Event::Key(k) if k.kind == event::KeyEventKind::Press => Some(Msg::Press(k)),
        Event::Mouse(m) => match m.kind {
            MouseEventKind::ScrollDown => Some(Msg::Key(Action::ScrollDown)),
            MouseEventKind::ScrollUp => Some(Msg::Key(Action::ScrollUp)),
            _ => None,
        },
        Event::Resize(..) => Some(Msg::Resize),
        _ => None,
    }
}

/// The input thread: reads terminal events unless paused, and sends what
/// `map` makes of them.
fn spawn_input<M: Send + 'static>(
    tx: Sender<M>,
    paused: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    map: fn(Event) -> Option<M>,
) {
    std::thread::spawn(move || {
        while !stop.load(Ordering::SeqCst) {
            if paused.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(20));
                continue;
            }
            match event::poll(Duration::from_millis(50)) {
                Ok(true) => {
                    if let Some(m) = event::read().ok().and_then(map)
                        && tx.send(m).is_err()
                    {
                        return;
                    }
                }
                Ok(false) => {}
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    });
}

/// The editor command: $VISUAL, else $EDITOR, else the first of a few common ones found.
pub fn editor() -> Option<Vec<String>> {
    for var in ["VISUAL", "EDITOR"] {
        if let Ok(v) = std::env::var(var)
            && !v.trim().is_empty()
        {
            return Some(v.split_whitespace().map(str::to_string).collect());
        }
    }
    let path = std::env::var_os("PATH")?;
    for candidate in ["nano", "vim", "vi", "notepad.exe"] {
        if std::env::split_paths(&path).any(|d| d.join(candidate).is_file()) {
            return Some(vec![candidate.to_string()]);
        }
    }
    None
}

/// Shown when no editor can be found.
pub const NO_EDITOR: &str = "no editor found: set $EDITOR (for example `export EDITOR=nano`) and press e again";

/// A mode of the studio as the event loop drives it: the learner's
/// [`Runtime`] and the instructor's [`ReviewRuntime`].
pub trait Mode {
    type Msg: Send + 'static;
    /// The message of a quiet tick.
    const TICK: Self::Msg;
    /// A terminal event as a message of this mode.
    fn input(ev: Event) -> Option<Self::Msg>;
    /// Where the input thread sends, and where the loop receives.
    fn sender(&self) -> Sender<Self::Msg>;
    fn receiver(&self) -> &Receiver<Self::Msg>;
    /// Set while the input thread must not read (an editor owns the terminal).
    fn input_paused(&self) -> Arc<AtomicBool>;
    fn draw(&mut self, f: &mut ratatui::Frame<'_>);
    fn done(&self) -> bool;
    /// Feed one message through the mode's update and carry out its effects.
    fn step(&mut self, terminal: &mut ratatui::DefaultTerminal, msg: Self::Msg) -> Result<()>;
    /// Before the terminal is given back.
    fn shutdown(&mut self) {}
}

impl Mode for Runtime {
    type Msg = Msg;
    const TICK: Msg = Msg::Tick;
    fn input(ev: Event) -> Option<Msg> {
        learner_input(ev)
    }
    fn sender(&self) -> Sender<Msg> {
        self.tx.clone()
    }
    fn receiver(&self) -> &Receiver<Msg> {
        &self.rx
    }
    fn input_paused(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.input_paused)
    }
    fn draw(&mut self, f: &mut ratatui::Frame<'_>) {
        view::draw(f, &self.app, &mut self.images)
    }
    fn done(&self) -> bool {
        self.app.quit
    }
    fn step(&mut self, terminal: &mut ratatui::DefaultTerminal, msg: Msg) -> Result<()> {
        for effect in self.handle(msg)? {
            if let Effect::OpenEditor { exercise } = effect {
                edit(terminal, self, &exercise)?;
            }
        }
        Ok(())
    }
    fn shutdown(&mut self) {
        if let Some(c) = &self.cancel {
            c.store(true, Ordering::SeqCst);
        }
        // Let a cancelled attempt record itself as cancelled before we exit.
        let _ = self.wait_for_run(Duration::from_secs(10));
    }
}

/// Run the studio until the learner quits. Restores the terminal on exit, on
/// error and on panic (ratatui's hook).
pub fn run(env: Env) -> Result<()> {
    run_mode(|images| {
        let rt = Runtime::new(env, images)?;
        tracing::info!(protocol = %rt.images.protocol_name(), "studio started");
        Ok(rt)
    })
}

/// Take the terminal, make the mode (with the terminal's image protocol),
/// run it until it is done, and give the terminal back — on error and on
/// panic too (ratatui's hook).
pub(crate) fn run_mode<M: Mode>(make: impl FnOnce(Images) -> Result<M>) -> Result<()> {
    let mut terminal = ratatui::init();
    let _ = crossterm::execute!(std::io::stdout(), crossterm::event::EnableMouseCapture);
    let result = (|| -> Result<()> {
        let mut mode = make(Images::detect())?;
        let stop = Arc::new(AtomicBool::new(false));
        spawn_input(mode.sender(), mode.input_paused(), Arc::clone(&stop), M::input);
        let result = event_loop(&mut terminal, &mut mode);
        stop.store(true, Ordering::SeqCst);
        mode.shutdown();
        result
    })();
    let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableMouseCapture);
    ratatui::restore();
    result
}

fn event_loop<M: Mode>(terminal: &mut ratatui::DefaultTerminal, mode: &mut M) -> Result<()> {
    loop {
        terminal.draw(|f| mode.draw(f))?;
        if mode.done() {
            return Ok(());
        }
        let msg = match mode.receiver().recv_timeout(Duration::from_millis(100)) {
            Ok(m) => m,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => M::TICK,
            Err(e) => return Err(e.into()),
        };
        mode.step(terminal, msg)?;
    }
}

/// Suspend the UI, run the editor on the recipe, and come back fully
/// repainted: the input thread is paused first so the editor owns stdin.
fn edit(terminal: &mut ratatui::DefaultTerminal, rt: &mut Runtime, exercise: &str) -> Result<()> {
    use crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode};
    let Some(ex) = rt.env.curriculum.exercise(exercise).cloned() else { return Ok(()) };
    let path = rt.env.workspace.ensure_answer(&rt.env.curriculum, &ex)?;
    let Some(cmd) = editor() else {
        rt.handle(Msg::Status(NO_EDITOR.into()))?;
        return Ok(());
    };
    rt.input_paused.store(true, Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(80)); // let the input thread leave its poll
    let mut out = std::io::stdout();
    let _ =
        crossterm::execute!(out, crossterm::event::DisableMouseCapture, LeaveAlternateScreen, crossterm::cursor::Show);
    let _ = disable_raw_mode();
    let status = std::process::Command::new(&cmd[0]).args(&cmd[1..]).arg(&path).status();
    enable_raw_mode().context("Failed to return to the studio after editing")?;
    crossterm::execute!(
        out,
        EnterAlternateScreen,
        crossterm::terminal::Clear(crossterm::terminal::ClearType::All),
        crossterm::event::EnableMouseCapture
    )
    .context("Failed to return to the studio after editing")?;
    // A fresh terminal has no previous frame, so the next draw repaints every cell
    // (and, unlike `Terminal::clear`, it does not ask the terminal where the cursor is).
    *terminal = ratatui::Terminal::new(ratatui::backend::CrosstermBackend::new(std::io::stdout()))?;
    rt.input_paused.store(false, Ordering::SeqCst);
    rt.handle(Msg::Status(match status {
        Ok(s) if s.success() => format!("saved {} — r to run", path.display()),
        Ok(s) => format!("the editor exited with {s}"),
        Err(e) => format!("could not start the editor '{}': {e}", cmd.join(" ")),
    }))?;
    Ok(())
}
