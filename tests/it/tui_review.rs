//! The review mode (`genpath review`) and the learner's feedback panel on
//! ratatui's TestBackend: snapshots at 80×24 and 120×40 driven through
//! `update` with the actions and key presses the terminal produces, and the
//! reviews they write, read back from the store.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use genpath::session::Env;
use genpath::store::{DecidedBy, Grade, Store};
use genpath::tui::images::Images;
use genpath::tui::review::{ReviewAction, ReviewMsg, ReviewView, Show};
use genpath::tui::{ReviewOptions, ReviewRuntime, Runtime, review_view, view};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::common;

/// Mark a learner's submissions as awaiting a person, as collect does when
/// a check lands close to its line (the cohort's work lands clear of every line).
pub fn flag_for_review(teacher: &Path, learner: &str) {
    let db = rusqlite::Connection::open(teacher.join("genpath.db")).unwrap();
    let n = db.execute("UPDATE submissions SET needs_review = 1 WHERE learner_id = ?1", [learner]).unwrap();
    assert!(n > 0, "{learner} submitted nothing");
}

/// One instructor workspace with the cohort's collected submissions (Cy's
/// awaiting a person), built once (it runs the real binary many times);
/// each test reviews a copy.
fn teacher() -> tempfile::TempDir {
    static SCENE: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, teacher) = SCENE.get_or_init(|| {
        let scene = crate::instructor::cohort_with_submissions();
        flag_for_review(&scene.1, "cy");
        scene
    });
    let copy = tempfile::tempdir().unwrap();
    common::copy_dir(teacher, copy.path());
    copy
}

fn review(ws: &Path, options: ReviewOptions) -> ReviewRuntime {
    let env = Env::open(Some(ws), None).unwrap();
    let mut rt = ReviewRuntime::new(env, options, Images::halfblocks()).unwrap();
    rt.app.color = false;
    rt
}

fn screen(rt: &mut ReviewRuntime, w: u16, h: u16) -> String {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| review_view::draw(f, &rt.app, &mut rt.images)).unwrap();
    term.backend().to_string()
}

fn key(rt: &mut ReviewRuntime, a: ReviewAction) {
    rt.handle(ReviewMsg::Key(a)).unwrap();
}

fn press(rt: &mut ReviewRuntime, code: KeyCode) {
    rt.handle(ReviewMsg::Press(KeyEvent::new(code, KeyModifiers::NONE))).unwrap();
}

fn typed(rt: &mut ReviewRuntime, text: &str) {
    for c in text.chars() {
        press(rt, if c == '\n' { KeyCode::Enter } else { KeyCode::Char(c) });
    }
}

/// Times and the folders named after them differ from run to run.
fn settings(w: u16, h: u16) -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.add_filter(r"\d{4}-\d\d-\d\d \d\d:\d\d", "YYYY-MM-DD hh:mm");
    s.add_filter(r"\d{4}-\d\d-\d\d", "YYYY-MM-DD");
    s.set_snapshot_suffix(format!("{w}x{h}"));
    s
}

fn review_at(w: u16, h: u16) {
    let dir = teacher();
    let ws = dir.path();
    let mut rt = review(ws, ReviewOptions::default());
    assert_eq!(rt.app.items.len(), 5, "the cohort's five submissions");
    settings(w, h).bind(|| {
        insta::assert_snapshot!("r01_list", screen(&mut rt, w, h));
        // Cy's failing first image: grade a check by eye, then the submission.
        let cy = rt.app.items.iter().position(|s| s.learner == "cy").unwrap();
        for _ in 0..cy {
            key(&mut rt, ReviewAction::Down);
        }
        let id = rt.app.current().unwrap().id;
        let failing = rt.app.current().unwrap().checks.iter().position(|c| !c.passed).unwrap();
        for _ in 0..=failing {
            key(&mut rt, ReviewAction::NextCheck);
        }
        let check = rt.app.current_check().unwrap().check.clone();
        key(&mut rt, ReviewAction::Comment);
        typed(&mut rt, "By eye the palette reads as autumn:\nthe fur is orange, only the sky is off.");
        insta::assert_snapshot!("r02_comment_editor", screen(&mut rt, w, h));
        press(&mut rt, KeyCode::Enter);
        press(&mut rt, KeyCode::Enter);
        assert!(rt.app.editor.is_none(), "Enter on a blank line saves");
        key(&mut rt, ReviewAction::Pass);
        // Tab past the last check: the submission itself.
        while rt.app.check.is_some() {
            key(&mut rt, ReviewAction::NextCheck);
        }
        key(&mut rt, ReviewAction::Raise);
        key(&mut rt, ReviewAction::Comment);
        rt.handle(ReviewMsg::Press(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL))).unwrap();
        key(&mut rt, ReviewAction::Comment);
        typed(&mut rt, "Good recovery after the first try.");
        rt.handle(ReviewMsg::Press(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL))).unwrap();
        insta::assert_snapshot!("r03_reviewed", screen(&mut rt, w, h));

        let store = Store::open(&ws.join("genpath.db")).unwrap();
        let d = store.submission_detail(id).unwrap().unwrap();
        let review = d.review.as_ref().unwrap();
        assert_eq!((review.grade, review.score_adjust), (None, 5));
        assert_eq!(review.comment, "Good recovery after the first try.");
        assert_eq!(review.reviewer, "Tess Teacher");
        let c = d.checks.iter().find(|c| c.check == check).unwrap().review.clone().unwrap();
        assert_eq!(c.grade, Some(Grade::Pass));
        assert_eq!(c.comment, "By eye the palette reads as autumn:\nthe fur is orange, only the sky is off.");
        // Every failing check passed by eye: the grade of record is the reviewer's.
        let r = d.record();
        assert_eq!(r.by, DecidedBy::Reviewer);
        assert_eq!(r.score, d.automatic_score + 5);

        // The failed ones now leave Cy's out; clearing the check's grade brings it back.
        key(&mut rt, ReviewAction::Filter);
        key(&mut rt, ReviewAction::Filter);
        assert_eq!(rt.app.show, Show::Failed);
        assert!(rt.app.items.iter().all(|s| !s.record().passed), "only failed work is listed");
        assert!(rt.app.items.iter().all(|s| s.id != id) == r.passed);
    });
}

#[test]
fn review_mode_at_80x24() {
    review_at(80, 24);
}

#[test]
fn review_mode_at_120x40() {
    review_at(120, 40);
}

#[test]
fn review_mode_walks_filters_images_and_help() {
    let dir = teacher();
    let ws = dir.path();
    let mut rt = review(ws, ReviewOptions { needs_review: true, ..ReviewOptions::default() });
    assert_eq!(rt.app.show, Show::NeedsReview);
    assert_eq!(rt.app.items.len(), 1, "Cy's work awaits a person");
    assert_eq!(rt.app.current().unwrap().learner, "cy");
    let store = Store::open(&ws.join("genpath.db")).unwrap();
    // All, then the filter round.
    for want in [Show::Failed, Show::Passed, Show::All] {
        key(&mut rt, ReviewAction::Filter);
        assert_eq!(rt.app.show, want);
        assert!(screen(&mut rt, 120, 40).contains(&format!("{}: {}", want.label(), rt.app.items.len())));
    }
    assert_eq!(rt.app.items.len(), 5);
    // The full-screen image and back, help from the keymap table.
    key(&mut rt, ReviewAction::FullImage);
    assert_eq!(rt.app.view, ReviewView::Image);
    let text = screen(&mut rt, 160, 30);
    assert!(text.contains("output 1/1 (image 1/1)") && text.contains("images/01.png"), "{text}");
    key(&mut rt, ReviewAction::Back);
    key(&mut rt, ReviewAction::Help);
    let text = screen(&mut rt, 120, 40);
    for b in genpath::tui::keymap::REVIEW.iter().filter(|b| !b.help.is_empty()) {
        assert!(text.contains(b.help), "help is missing '{}'", b.help);
    }
    key(&mut rt, ReviewAction::Back);
    // Below the checks: the brief, the answer and the learner's history on the exercise.
    while rt.app.current().unwrap().learner != "cy" {
        key(&mut rt, ReviewAction::Down);
    }
    let text = screen(&mut rt, 120, 100);
    for needed in
        ["Brief", "Answer (answer/recipe.toml)", "a cute fox in a park", "History on this exercise", "#1", "#2"]
    {
        assert!(text.contains(needed), "{needed} is not shown:\n{text}");
    }
    // Esc in the editor keeps nothing; a fail grade and its clearing.
    key(&mut rt, ReviewAction::Comment);
    typed(&mut rt, "never saved");
    press(&mut rt, KeyCode::Esc);
    key(&mut rt, ReviewAction::Fail);
    let id = rt.app.current().unwrap().id;
    let grade = |store: &Store| store.submission_detail(id).unwrap().unwrap().review.and_then(|r| r.grade);
    assert_eq!(grade(&store), Some(Grade::Fail));
    assert_eq!(store.submission_detail(id).unwrap().unwrap().review.unwrap().comment, "");
    key(&mut rt, ReviewAction::Ungrade);
    assert_eq!(grade(&store), None);
    // Another process's review shows without a key press.
    let other = rt.app.items[1].id;
    let mut writer = Store::open(&ws.join("genpath.db")).unwrap();
    let input = genpath::store::ReviewInput { comment: Some("from the CLI"), reviewer: "tess", ..Default::default() };
    writer.set_review(other, &input).unwrap().unwrap();
    rt.handle(ReviewMsg::Tick).unwrap();
    assert!(rt.app.items[1].review.as_ref().is_some_and(|r| r.comment == "from the CLI"));
}

#[test]
fn an_unknown_exercise_or_cohort_is_refused() {
    let ws = tempfile::tempdir().unwrap();
    let env = |ws: &Path| Env::open(Some(ws), None).unwrap();
    let e = ReviewRuntime::new(
        env(ws.path()),
        ReviewOptions { exercise: Some("fluency.nope".into()), ..Default::default() },
        Images::halfblocks(),
    )
    .err()
    .unwrap();
    assert!(e.to_string().contains("no exercise 'fluency.nope'"), "{e}");
    let e = ReviewRuntime::new(
        env(ws.path()),
        ReviewOptions { cohort: Some("autumn".into()), ..Default::default() },
        Images::halfblocks(),
    )
    .err()
    .unwrap();
    assert!(e.to_string().contains("no cohort 'autumn'"), "{e}");
    // An empty queue says what to do.
    let mut rt = review(ws.path(), ReviewOptions::default());
    assert!(screen(&mut rt, 80, 24).contains("No collected submission."));
}

/// The learner's side: imported feedback marks the exercise on the path and
/// shows beside the brief.
fn feedback_at(w: u16, h: u16) {
    let ws = tempfile::tempdir().unwrap();
    let env = Env::open(Some(ws.path()), None).unwrap();
    let mut store = env.workspace.store().unwrap();
    let feedback = genpath::store::Feedback {
        bundle_sha256: "ab".repeat(32),
        exercise: "fluency.first-image".parse().unwrap(),
        attempt: Some(3),
        attempt_number: Some(2),
        submitted_at: "2026-11-20T10:00:00.000Z".parse().unwrap(),
        automatic_passed: false,
        automatic_score: 60,
        record: genpath::store::Record { passed: true, score: 65, by: DecidedBy::Reviewer },
        grade: None,
        score_adjust: 5,
        comment: "A clear fox and a calm park.\n\nNext time, keep the **sky** out of the palette.".into(),
        checks: vec![
            genpath::store::CheckFeedback {
                check: "palette_coverage".into(),
                passed: false,
                grade: Some(Grade::Pass),
                comment: "By eye the colours are autumn's.".into(),
                message: "only 60% of the colourful pixels are near the brand colours".into(),
            },
            genpath::store::CheckFeedback {
                check: "exposure".into(),
                passed: false,
                grade: None,
                comment: String::new(),
                message: "too dark: mean luminance 0.12".into(),
            },
        ],
        reviewer: "Tess Teacher".into(),
        reviewed_at: "2026-11-21T09:30:00.000Z".parse().unwrap(),
    };
    store.record_feedback(&[feedback], "cd").unwrap();
    drop(store);
    let mut rt = Runtime::new(env, Images::halfblocks()).unwrap();
    rt.app.color = false;
    assert_eq!(rt.app.exercise().id, "fluency.first-image");
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| view::draw(f, &rt.app, &mut rt.images)).unwrap();
    let text = term.backend().to_string();
    assert!(text.contains("first-image ✉"), "{text}");
    assert!(text.contains("Feedback from Tess Teacher"), "{text}");
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_suffix(format!("{w}x{h}"));
    s.bind(|| insta::assert_snapshot!("10_feedback", text));
}

#[test]
fn feedback_panel_at_80x24() {
    feedback_at(80, 24);
}

#[test]
fn feedback_panel_at_120x40() {
    feedback_at(120, 40);
}
