//! The studio on ratatui's TestBackend: snapshots of every view at 80×24 and
//! 120×40, driven through `update` with the same actions the keys produce,
//! including a real run on the built-in backend; and responsiveness while a
//! slow backend call is in flight.

use crate::common;
use std::time::{Duration, Instant};

use genpath::session::Env;
use genpath::tui::app::{Action, Msg, View};
use genpath::tui::images::Images;
use genpath::tui::{Runtime, view};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn runtime(ws: &std::path::Path) -> Runtime {
    let env = Env::open(Some(ws), None).unwrap();
    let mut rt = Runtime::new(env, Images::halfblocks()).unwrap();
    rt.app.color = false;
    rt
}

fn screen(rt: &mut Runtime, w: u16, h: u16) -> String {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| view::draw(f, &rt.app, &mut rt.images)).unwrap();
    term.backend().to_string()
}

fn key(rt: &mut Runtime, a: Action) {
    rt.handle(Msg::Key(a)).unwrap();
}

fn snapshots_at(w: u16, h: u16) {
    let ws = tempfile::tempdir().unwrap();
    let mut rt = runtime(ws.path());
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"at \d\d:\d\d", "at [time]");
    settings.add_filter(r"\d{4}-\d\d-\d\d \d\d:\d\d", "[date time]");
    // Time spent depends on how long the run took.
    settings.add_filter(r" {1,4}\d+s  (attempted|passed)", "   [t]s  $1");
    settings.add_filter(r"\d+ (s|min) rendering", "[t] rendering");
    settings.set_snapshot_suffix(format!("{w}x{h}"));
    settings.bind(|| {
        insta::assert_snapshot!("01_path", screen(&mut rt, w, h));
        // Navigate to the third exercise.
        key(&mut rt, Action::Down);
        key(&mut rt, Action::Down);
        assert_eq!(rt.app.exercise().id, "fluency.steps-cfg");
        insta::assert_snapshot!("02_exercise", screen(&mut rt, w, h));
        // Reveal a hint.
        key(&mut rt, Action::Hint);
        insta::assert_snapshot!("03_hint", screen(&mut rt, w, h));
        // Run the starter on the built-in backend and see the results.
        key(&mut rt, Action::Run);
        assert!(rt.app.run.is_some());
        rt.wait_for_run(Duration::from_secs(60)).unwrap();
        let last = rt.app.last().expect("a result is shown");
        assert!(!last.verdict.as_ref().unwrap().passed);
        insta::assert_snapshot!("04_results", screen(&mut rt, w, h));
        key(&mut rt, Action::FullImage);
        assert_eq!(rt.app.view, View::Image);
        insta::assert_snapshot!("05_image", screen(&mut rt, w, h));
        key(&mut rt, Action::Back);
        key(&mut rt, Action::Progress);
        insta::assert_snapshot!("06_progress", screen(&mut rt, w, h));
        key(&mut rt, Action::Back);
        key(&mut rt, Action::History);
        insta::assert_snapshot!("07_history", screen(&mut rt, w, h));
        key(&mut rt, Action::Back);
        key(&mut rt, Action::Help);
        insta::assert_snapshot!("08_help", screen(&mut rt, w, h));
    });
}

#[test]
fn views_at_80x24() {
    snapshots_at(80, 24);
}

#[test]
fn views_at_120x40() {
    snapshots_at(120, 40);
}

#[test]
fn help_lists_every_key_of_the_keymap() {
    let ws = tempfile::tempdir().unwrap();
    let mut rt = runtime(ws.path());
    key(&mut rt, Action::Help);
    let text = screen(&mut rt, 120, 40);
    for b in genpath::tui::keymap::BINDINGS.iter().filter(|b| !b.help.is_empty()) {
        assert!(text.contains(b.help), "help is missing '{}'", b.help);
    }
}

#[test]
fn the_ui_keeps_handling_keys_while_a_slow_backend_runs_and_cancel_works() {
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(
        ws.path().join("genpath.toml"),
        "backend = \"slow\"\n[backends.slow]\nkind = \"builtin\"\nservice = { latency_ms = 2000, price_per_image = 0.04 }\n",
    )
    .unwrap();
    let mut rt = runtime(ws.path());
    let first = rt.app.selected;
    key(&mut rt, Action::Run);
    let started = Instant::now();
    // Navigation is handled at once, while the worker sleeps in the backend.
    key(&mut rt, Action::Down);
    key(&mut rt, Action::Down);
    assert_eq!(rt.app.selected, first + 2);
    assert!(rt.app.run.is_some(), "the attempt is still running");
    let frame = screen(&mut rt, 100, 30);
    assert!(frame.contains("running fluency.first-image"), "{frame}");
    key(&mut rt, Action::Progress);
    assert_eq!(rt.app.view, View::Progress);
    key(&mut rt, Action::Back);
    assert!(started.elapsed() < Duration::from_millis(1500), "key handling waited for the backend");
    key(&mut rt, Action::Cancel);
    rt.wait_for_run(Duration::from_secs(10)).unwrap();
    assert!(rt.app.status.as_deref().unwrap_or("").contains("cancelled"), "{:?}", rt.app.status);
    let store = genpath::store::Store::open(&ws.path().join("genpath.db")).unwrap();
    let last = store.attempts("learner", "fluency.first-image").unwrap().remove(0);
    assert_eq!(last.status, genpath::store::AttemptStatus::Cancelled);
}

#[test]
fn watch_mode_reruns_when_the_recipe_is_saved() {
    let ws = tempfile::tempdir().unwrap();
    let mut rt = runtime(ws.path());
    key(&mut rt, Action::ToggleWatch);
    assert!(rt.app.watch, "{:?}", rt.app.status);
    let path = rt.app.data.answers[&rt.app.exercise().id].clone();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    std::fs::write(&path, "prompt = \"a fox\"\nseed = 3\nwidth = 512\nheight = 512\n").unwrap();
    // Pump events until the debounced run starts and finishes.
    let deadline = Instant::now() + Duration::from_secs(30);
    while rt.app.last().is_none() && Instant::now() < deadline {
        let msg = rt.rx.recv_timeout(Duration::from_millis(100)).unwrap_or(Msg::Tick);
        rt.handle(msg).unwrap();
    }
    assert!(rt.app.last().is_some(), "saving the recipe in watch mode should run it");
}

#[test]
fn no_color_draws_without_colours() {
    let ws = tempfile::tempdir().unwrap();
    let mut rt = runtime(ws.path());
    let colored = |rt: &mut Runtime| {
        let mut term = Terminal::new(TestBackend::new(100, 30)).unwrap();
        term.draw(|f| view::draw(f, &rt.app, &mut rt.images)).unwrap();
        term.backend()
            .buffer()
            .content()
            .iter()
            .any(|c| c.fg != ratatui::style::Color::Reset || c.bg != ratatui::style::Color::Reset)
    };
    rt.app.color = true;
    assert!(colored(&mut rt));
    rt.app.color = false;
    assert!(!colored(&mut rt), "NO_COLOR must leave every cell in the terminal's own colours");
}

#[test]
fn progress_view_shows_pipeline_runs() {
    let ws = tempfile::tempdir().unwrap();
    let file = ws.path().join("p.toml");
    std::fs::write(
        &file,
        "name = \"launch\"\noutput = \"{product}.png\"\n[base]\nprompt = \"a {product}, plain\"\nseed = 3\nwidth = 64\nheight = 64\n[matrix]\nproduct = [\"mug\", \"bottle\"]\n",
    )
    .unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_genpath"))
        .arg("--workspace")
        .arg(ws.path())
        .args(["pipeline", "run"])
        .arg(&file)
        .env_remove("GENPATH_HOME")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut rt = runtime(ws.path());
    key(&mut rt, Action::Progress);
    // The exercise table fills the first screen; the runs are below it.
    for _ in 0..20 {
        key(&mut rt, Action::Down);
    }
    let text = screen(&mut rt, 120, 40);
    assert!(text.contains("Pipelines") && text.contains("launch") && text.contains("2/2"), "{text}");
}

#[test]
fn the_path_marks_assignments_with_their_due_date() {
    let ws = tempfile::tempdir().unwrap();
    {
        let rt = runtime(ws.path());
        drop(rt);
        let store = genpath::store::Store::open(&ws.path().join("genpath.db")).unwrap();
        store
            .assign_to_learner(
                "fluency.seeds",
                "learner",
                genpath::time::parse_day("2026-12-04"),
                Some("for Friday's review"),
            )
            .unwrap();
    }
    let mut rt = runtime(ws.path());
    let text = screen(&mut rt, 100, 30);
    assert!(text.contains("seeds due 2026-12-04"), "{text}");
}

#[test]
fn s_submits_the_best_attempt_from_the_studio() {
    let ws = tempfile::tempdir().unwrap();
    let mut rt = runtime(ws.path());
    // Nothing to submit yet: the studio says why and keeps going.
    key(&mut rt, Action::Submit);
    let text = screen(&mut rt, 120, 40);
    assert!(text.contains("cannot submit: fluency.first-image has no finished attempt"), "{text}");
    drop(rt);
    let o = common::run(ws.path(), &["run", "fluency.first-image", "--no-images"]);
    assert_eq!(o.status.code(), Some(1), "the starter runs and fails: {}", common::stderr(&o));
    let mut rt = runtime(ws.path());
    key(&mut rt, Action::Submit);
    let text = screen(&mut rt, 120, 40);
    assert!(text.contains("submitted attempt 1: submitted/learner+fluency.first-image+"), "{text}");
    let written: Vec<_> = std::fs::read_dir(ws.path().join("submitted")).unwrap().flatten().collect();
    assert_eq!(written.len(), 1);
    let bytes = std::fs::read(written[0].path()).unwrap();
    let bundle = genpath::bundle::read(&bytes, Default::default()).unwrap();
    assert_eq!(bundle.submission.attempt.id, 1);
}

/// A run that fails on a recipe with several problems: the studio opens
/// the whole error in its own view (every problem, file:line:col and the
/// closest key, reachable by scrolling at 80×24), the status line says
/// where it is, `!` shows it again, and it clears once a run goes through.
fn a_long_error_is_read_whole_at(w: u16, h: u16) {
    let ws = tempfile::tempdir().unwrap();
    let mut rt = runtime(ws.path());
    let id = rt.app.exercise().id.clone();
    let path = rt.app.data.answers[&id].clone();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let prompt = "a fox sitting on a mossy rock in an autumn forest, orange fur, cream belly, warm light, \
                  falling leaves, soft focus background, flat vector";
    // Eight misspelt keys: at 80×24 the error is longer than the screen.
    let typos = "stesp = 20\nwidht = 512\nheigth = 512\ncgf = 7\nsampeler = \"euler\"\nnegatve = \"blur\"\nmodle = \"x\"\nsede = 4\n";
    std::fs::write(&path, format!("prompt = \"{prompt}\"\nseed = 3\n{typos}")).unwrap();
    key(&mut rt, Action::Run);
    rt.wait_for_run(Duration::from_secs(60)).unwrap();
    assert_eq!(rt.app.view, View::Error, "{:?}", rt.app.status);
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_suffix(format!("{w}x{h}"));
    settings.bind(|| insta::assert_snapshot!("09_error", screen(&mut rt, w, h)));
    // Every problem is reachable: scroll until the closing advice shows
    // (at 80×24 it is below the first screen).
    let first = screen(&mut rt, w, h);
    assert_eq!(first.contains("this clears"), h > 24, "{first}");
    let mut seen = String::new();
    for _ in 0..40 {
        seen.push_str(&screen(&mut rt, w, h));
        key(&mut rt, Action::ScrollDown);
    }
    // The rows' text without the frame, joined as one reads across a wrap.
    let rows = seen.lines().map(|l| l.trim_matches(|c| c == '"' || c == '│').trim());
    let flat: String = rows.collect::<Vec<_>>().join(" ").split_whitespace().collect::<Vec<_>>().join(" ");
    for needed in ["recipe.toml:3:1", "did you mean `steps`", "recipe.toml:10:1", "this clears"] {
        assert!(flat.contains(needed), "`{needed}` is never on screen at {w}×{h}:\n{seen}");
    }
    // Back on the path the status line points to it, and `!` reopens it.
    key(&mut rt, Action::Back);
    let frame = screen(&mut rt, w, h);
    assert!(frame.contains(genpath::tui::app::RUN_FAILED), "{frame}");
    key(&mut rt, Action::ShowError);
    assert_eq!(rt.app.view, View::Error);
    key(&mut rt, Action::Back);
    // Fixed: the next run goes through and the error is gone.
    std::fs::write(&path, format!("prompt = \"{prompt}\"\nseed = 3\nsteps = 20\nwidth = 512\nheight = 512\n")).unwrap();
    key(&mut rt, Action::Run);
    rt.wait_for_run(Duration::from_secs(60)).unwrap();
    assert!(rt.app.error.is_none() && rt.app.last().is_some(), "{:?}", rt.app.status);
    let frame = screen(&mut rt, w, h);
    assert!(!frame.contains("the last run failed"), "{frame}");
    key(&mut rt, Action::ShowError);
    assert_eq!(rt.app.status.as_deref(), Some(genpath::tui::app::NO_ERROR));
}

#[test]
fn a_long_error_is_read_whole_at_80x24() {
    a_long_error_is_read_whole_at(80, 24);
}

#[test]
fn a_long_error_is_read_whole_at_120x40() {
    a_long_error_is_read_whole_at(120, 40);
}

fn press(rt: &mut Runtime, code: crossterm::event::KeyCode) {
    rt.handle(Msg::Press(crossterm::event::KeyEvent::from(code))).unwrap();
}

/// The studio shows an exercise's inputs full screen (`i`), makes an X/Y
/// plot from a typed axes line (`g`) with its progress and the sheet full
/// screen, and the attempts view puts each attempt's image beside the one
/// before it. Images fill the space they are given.
#[test]
fn inputs_grid_and_attempt_images_use_the_screen() {
    use crossterm::event::KeyCode;
    let ws = tempfile::tempdir().unwrap();
    let mut rt = runtime(ws.path());
    let palette = rt.app.curriculum.exercises.iter().position(|e| e.id == "fluency.brand-palette").unwrap();
    while rt.app.selected < palette {
        key(&mut rt, Action::Down);
    }
    // Inputs: the brand sheet, copied beside the recipe, full screen and full width.
    press(&mut rt, KeyCode::Char('i'));
    assert_eq!(rt.app.view, View::Inputs);
    assert!(rt.app.inputs[0].ends_with("recipes/fluency.brand-palette/assets/brand-sheet.png"));
    assert!(rt.app.inputs[0].is_file());
    let frame = screen(&mut rt, 120, 40);
    assert!(frame.contains("input 1/1") && frame.contains("brand-sheet.png"), "{frame}");
    let widest = frame.lines().map(|l| l.chars().filter(|c| "▀▄█".contains(*c)).count()).max().unwrap();
    assert!(widest > 80, "the image is scaled to the screen, not its pixel size: {widest} columns");
    press(&mut rt, KeyCode::Char('q'));
    assert_eq!(rt.app.view, View::Path);

    // A grid: the axes line is text (q and i are letters here, not keys).
    press(&mut rt, KeyCode::Char('g'));
    assert_eq!(rt.app.view, View::GridAxes);
    for _ in 0..genpath::tui::app::GRID_EXAMPLE.len() {
        press(&mut rt, KeyCode::Backspace);
    }
    for c in "seed=1,2;qi".chars() {
        press(&mut rt, KeyCode::Char(c));
    }
    press(&mut rt, KeyCode::Enter);
    assert_eq!(rt.app.view, View::GridAxes, "a bad axis keeps the line for fixing");
    assert!(rt.app.status.as_deref().unwrap_or("").contains("axis `qi`"), "{:?}", rt.app.status);
    press(&mut rt, KeyCode::Backspace);
    press(&mut rt, KeyCode::Backspace);
    for c in "cfg=3,9".chars() {
        press(&mut rt, KeyCode::Char(c));
    }
    press(&mut rt, KeyCode::Enter);
    assert_eq!(rt.app.grid.running, Some((0, 4)), "2 seeds × 2 cfg");
    assert!(screen(&mut rt, 120, 40).contains("making the grid"));
    rt.wait_for_grid(Duration::from_secs(120)).unwrap();
    assert_eq!(rt.app.view, View::Grid);
    let sheet = rt.app.grid.last.clone().expect("the grid's file");
    assert!(sheet.starts_with(ws.path().join("outputs/fluency.brand-palette/grids")), "{}", sheet.display());
    let chunks = genpath::recipe::png::text_chunks(&std::fs::read(&sheet).unwrap()).unwrap();
    let legend = &chunks.iter().find(|(k, _)| k == "parameters").unwrap().1;
    assert!(legend.contains("cfg") && legend.contains("seed"), "{legend}");
    assert!(screen(&mut rt, 120, 40).contains("grid ─"));
    press(&mut rt, KeyCode::Char('q'));

    // Two attempts: the history shows the newer one's image beside the older's.
    key(&mut rt, Action::Run);
    rt.wait_for_run(Duration::from_secs(60)).unwrap();
    key(&mut rt, Action::Run);
    rt.wait_for_run(Duration::from_secs(60)).unwrap();
    key(&mut rt, Action::History);
    assert_eq!(rt.app.history.len(), 2);
    assert!(rt.app.history.iter().all(|h| !h.images.is_empty()));
    let frame = screen(&mut rt, 120, 40);
    assert!(frame.contains("#2 ─ 01.png") && frame.contains("#1 ─ 01.png"), "{frame}");
}

/// A large terminal gives the last attempt's image the room it has: beside
/// the brief, as tall as the pane.
#[test]
fn a_large_terminal_shows_the_image_beside_the_brief() {
    let ws = tempfile::tempdir().unwrap();
    let mut rt = runtime(ws.path());
    key(&mut rt, Action::Run);
    rt.wait_for_run(Duration::from_secs(60)).unwrap();
    let frame = screen(&mut rt, 200, 60);
    let blocks = |l: &str| l.chars().filter(|c| "▀▄█".contains(*c)).count();
    let rows_with_image = frame.lines().filter(|l| blocks(l) > 20).count();
    let widest = frame.lines().map(blocks).max().unwrap_or(0);
    // The starter's 640×480 image across half the detail pane (79 columns):
    // at 80×24 the same pane had 6 rows for it, at 200×60 a third of 56.
    assert!(widest >= 75 && rows_with_image > 25, "{widest} columns × {rows_with_image} rows\n{frame}");
}

/// Every exercise's "On a real model" section is in its detail pane, under
/// the brief and checks, reached by scrolling the brief.
#[test]
fn the_real_model_section_is_reached_by_scrolling_the_brief() {
    let ws = tempfile::tempdir().unwrap();
    let mut rt = runtime(ws.path());
    assert!(!screen(&mut rt, 120, 40).contains("On a real model") || rt.app.brief_scroll == 0);
    let mut seen = false;
    for _ in 0..40 {
        if screen(&mut rt, 120, 40).contains("On a real model") {
            seen = true;
            break;
        }
        key(&mut rt, Action::ScrollDown);
    }
    assert!(seen, "the section is reachable by scrolling");
    let real = rt.app.exercise().real.clone().expect("a real-model section");
    let first_words: String = real.split_whitespace().take(3).collect::<Vec<_>>().join(" ");
    for _ in 0..3 {
        if screen(&mut rt, 120, 40).contains(&first_words) {
            return;
        }
        key(&mut rt, Action::ScrollDown);
    }
    panic!("the section's text ({first_words}) is shown under its heading");
}
