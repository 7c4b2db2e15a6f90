//! The real binary in a pseudo-terminal: open the studio, edit the recipe
//! with an $EDITOR script that writes a passing answer, run it, see the pass,
//! quit — and find the terminal restored (alternate screen left); and an
//! instructor's `genpath review` that grades and comments collected work.

#![cfg(unix)]

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

const BIN: &str = env!("CARGO_BIN_EXE_genpath");

struct Screen {
    parser: Arc<Mutex<vt100::Parser>>,
}

impl Screen {
    fn contents(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }
    /// Wait until the screen shows `text` (no fixed sleeps: poll with a deadline).
    fn wait_for(&self, text: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self.contents().contains(text) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("timed out waiting for {text:?}; the screen shows:\n{}", self.contents());
    }
}

type Child = Box<dyn portable_pty::Child + Send + Sync>;

/// The studio in a 30×100 pseudo-terminal on workspace `ws`, with extra
/// environment `env`; its screen, its keyboard and the child.
fn studio(ws: &std::path::Path, env: &[(&str, &std::path::Path)]) -> (Child, Screen, Box<dyn Write + Send>) {
    in_pty(ws, &[], env)
}

/// `genpath --workspace ws <args>` in a 30×100 pseudo-terminal.
fn in_pty(
    ws: &std::path::Path,
    args: &[&str],
    env: &[(&str, &std::path::Path)],
) -> (Child, Screen, Box<dyn Write + Send>) {
    let pty = native_pty_system();
    let pair = pty.openpty(PtySize { rows: 30, cols: 100, pixel_width: 0, pixel_height: 0 }).unwrap();
    let mut cmd = CommandBuilder::new(BIN);
    cmd.arg("--workspace");
    cmd.arg(ws);
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.env_remove("VISUAL");
    cmd.env("TERM", "xterm-256color");
    cmd.env("GENPATH_IMAGE_PROTOCOL", "halfblocks");
    cmd.env_remove("GENPATH_HOME");
    let child = pair.slave.spawn_command(cmd).unwrap();
    drop(pair.slave);
    let parser = Arc::new(Mutex::new(vt100::Parser::new(
        std::num::NonZeroU16::new(30).unwrap(),
        std::num::NonZeroU16::new(100).unwrap(),
        0,
    )));
    let mut reader = pair.master.try_clone_reader().unwrap();
    let feed = Arc::clone(&parser);
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            feed.lock().unwrap().process(&buf[..n]);
        }
    });
    let keys = pair.master.take_writer().unwrap();
    (child, Screen { parser }, keys)
}

#[test]
fn edit_run_pass_and_quit_in_a_real_terminal() {
    let ws = tempfile::tempdir().unwrap();
    let solution =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("exercises/fluency/first-image/solution/recipe.toml");
    let editor = ws.path().join("editor.sh");
    std::fs::write(&editor, format!("#!/bin/sh\ncp '{}' \"$1\"\n", solution.display())).unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    let (mut child, screen, mut keys) = studio(ws.path(), &[("EDITOR", editor.as_path())]);
    let parser = Arc::clone(&screen.parser);

    screen.wait_for("fluency.first-image", Duration::from_secs(20));
    assert!(parser.lock().unwrap().screen().alternate_screen(), "the studio draws on the alternate screen");
    keys.write_all(b"e").unwrap();
    screen.wait_for("saved", Duration::from_secs(20));
    keys.write_all(b"r").unwrap();
    screen.wait_for("PASSED", Duration::from_secs(60));
    keys.write_all(b"q").unwrap();

    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "the studio did not quit");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
    // Give the reader a moment to drain the last bytes, then check the terminal was restored.
    let deadline = Instant::now() + Duration::from_secs(5);
    while parser.lock().unwrap().screen().alternate_screen() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!parser.lock().unwrap().screen().alternate_screen(), "the alternate screen was not left");
    let recipe = std::fs::read_to_string(ws.path().join("recipes/fluency.first-image/recipe.toml")).unwrap();
    assert_eq!(recipe, std::fs::read_to_string(solution).unwrap(), "the editor's change was kept");
}

#[test]
fn the_studio_shows_attempts_and_hints_made_by_the_cli_without_a_key_press() {
    let ws = tempfile::tempdir().unwrap();
    let (mut child, screen, mut keys) = studio(ws.path(), &[]);
    screen.wait_for("No attempt yet", Duration::from_secs(20));

    // Another process: three attempts (the last one passing) and two hints.
    let cli = |args: &[&str]| {
        let o = std::process::Command::new(BIN)
            .arg("--workspace")
            .arg(ws.path())
            .args(args)
            .env_remove("GENPATH_HOME")
            .output()
            .unwrap();
        assert!(o.status.code().is_some_and(|c| c <= 1), "{}", String::from_utf8_lossy(&o.stderr));
    };
    for _ in 0..2 {
        cli(&["run", "fluency.first-image", "--no-images"]);
    }
    let solution =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("exercises/fluency/first-image/solution/recipe.toml");
    std::fs::copy(solution, ws.path().join("recipes/fluency.first-image/recipe.toml")).unwrap();
    cli(&["run", "fluency.first-image", "--no-images"]);
    cli(&["hint", "fluency.first-image"]);
    cli(&["hint", "fluency.first-image"]);
    // No key is pressed: the studio notices the database changed (a generous
    // deadline for a loaded machine; it looks every 100 ms).
    screen.wait_for("passed 100/100", Duration::from_secs(10));
    screen.wait_for("hint 2/3", Duration::from_secs(10));
    keys.write_all(b"q").unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "the studio did not quit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Wait for the child to exit; its status.
fn exited(child: &mut Child) -> portable_pty::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        assert!(Instant::now() < deadline, "genpath did not quit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn an_instructor_reviews_work_awaiting_a_person_in_a_real_terminal() {
    let (_tmp, teacher) = crate::instructor::cohort_with_submissions();
    crate::tui_review::flag_for_review(&teacher, "bo");
    let store = genpath::store::Store::open(&teacher.join("genpath.db")).unwrap();
    let awaiting =
        store.review_queue(&genpath::store::ReviewFilter { needs_review: true, ..Default::default() }).unwrap();
    let first = awaiting.first().expect("the cohort's work has something awaiting a person").clone();
    drop(store);

    let (mut child, screen, mut keys) = in_pty(&teacher, &["review"], &[]);
    screen.wait_for("genpath review", Duration::from_secs(20));
    screen.wait_for("all: 5", Duration::from_secs(20));
    // Show only the work awaiting a person.
    keys.write_all(b"v").unwrap();
    screen.wait_for(&format!("needs review: {}", awaiting.len()), Duration::from_secs(20));
    screen.wait_for(&format!("({}) ─ {}", first.learner, first.exercise), Duration::from_secs(20));
    keys.write_all(b"f").unwrap();
    screen.wait_for("graded fail", Duration::from_secs(20));
    keys.write_all(b"c").unwrap();
    screen.wait_for("Comment on the submission", Duration::from_secs(20));
    // Two lines, then Enter on the blank line saves.
    keys.write_all(b"The fox is lost in the park.\rCrop closer.\r\r").unwrap();
    screen.wait_for("comment saved", Duration::from_secs(20));
    keys.write_all(b"q").unwrap();
    assert!(exited(&mut child).success());

    let store = genpath::store::Store::open(&teacher.join("genpath.db")).unwrap();
    let d = store.submission_detail(first.id).unwrap().unwrap();
    let review = d.review.clone().expect("the review was recorded");
    assert_eq!(review.grade, Some(genpath::store::Grade::Fail));
    assert_eq!(review.comment, "The fox is lost in the park.\nCrop closer.");
    assert_eq!(review.reviewer, "Tess Teacher");
    assert!(!d.record().passed);
}
