//! A person's review of collected work and the feedback that reaches the
//! learner, end to end through the real binary: collect, review from the
//! command line, export feedback, import it as the learner, refuse a
//! tampered file; stages opened for a cohort reach its learners.

use std::path::{Path, PathBuf};

use crate::common::*;
use crate::instructor::{attempt, init, ok, submit};

const FIRST: &str = "fluency.first-image";
const TOOL: &str = "systems.tool-choice";

/// Put a decision answer in place and run it (the systems stage is opened with --force).
fn decide(ws: &Path, text: &str) -> std::process::Output {
    let dest = ws.join("recipes").join(TOOL).join("decision.toml");
    std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
    std::fs::write(dest, text).unwrap();
    run(ws, &["run", TOOL, "--force", "--no-images"])
}

fn solution(exercise: &str) -> String {
    let curriculum = genpath::curriculum::Curriculum::builtin().unwrap();
    let e = curriculum.exercise(exercise).unwrap();
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(e.solution_path())).unwrap()
}

/// Three collected submissions: ada's passing first image and her tool
/// choice (a write-up: it waits for a person), bo's failing first image.
struct Scene {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    teacher: PathBuf,
}

fn scene() -> Scene {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    let teacher = root.join("teacher");
    init(&teacher, "teacher", "Tess Teacher");
    ok(&teacher, &["learner", "add", "ada", "--name", "Ada Lovelace"]);
    ok(&teacher, &["learner", "add", "bo", "--name", "Bo Chen"]);
    ok(&teacher, &["cohort", "create", "spring"]);
    ok(&teacher, &["cohort", "add", "spring", "ada", "bo"]);
    let outbox = root.join("outbox");
    let ada = root.join("ada");
    init(&ada, "ada", "Ada Lovelace");
    attempt(&ada, FIRST, true);
    let o = decide(&ada, &solution(TOOL));
    assert!(o.status.success(), "{}", stdout(&o));
    submit(&ada, FIRST, &outbox);
    submit(&ada, TOOL, &outbox);
    let bo = root.join("bo");
    init(&bo, "bo", "Bo Chen");
    attempt(&bo, FIRST, false);
    submit(&bo, FIRST, &outbox);
    let out = ok(&teacher, &["collect", outbox.to_str().unwrap()]);
    assert_eq!(out.lines().filter(|l| l.starts_with("accepted ")).count(), 3, "{out}");
    Scene { _tmp: tmp, root, teacher }
}

/// The submission id of a learner's exercise, from `review list --json`.
fn submission_id(teacher: &Path, learner: &str, exercise: &str) -> i64 {
    let v: serde_json::Value = serde_json::from_str(&ok(teacher, &["review", "list", "--json"])).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .find(|r| r["submission"]["learner"] == learner && r["submission"]["exercise"] == exercise)
        .and_then(|r| r["submission"]["id"].as_i64())
        .unwrap()
}

#[test]
fn an_override_and_a_comment_reach_the_learner_and_a_tampered_file_is_refused() {
    let s = scene();
    let t = &s.teacher;

    // Only the write-up waits for a person.
    let queue = ok(t, &["review", "list", "--needs-review"]);
    assert!(queue.contains(TOOL) && !queue.contains(FIRST), "{queue}");
    assert!(queue.contains("1 submission(s), 1 awaiting review"), "{queue}");

    // Override ada's automatic pass to a fail, with a comment and a score adjustment.
    let first = submission_id(t, "ada", FIRST);
    let out = ok(
        t,
        &[
            "review",
            "grade",
            &first.to_string(),
            "--fail",
            "--adjust",
            "-30",
            "--comment",
            "The fox is **cropped** at the ears.",
        ],
    );
    assert!(out.contains("fail") && out.contains("by reviewer") && out.contains("automatic: pass"), "{out}");
    // Comment on the write-up without overriding it; a check can be commented too.
    let tool = submission_id(t, "ada", TOOL);
    ok(t, &["review", "grade", &tool.to_string(), "--comment", "Good reasoning; name the GPU you would rent."]);
    ok(t, &["review", "grade", &tool.to_string(), "--check", "decision", "--pass", "--comment", "numbers check out"]);
    let queue = ok(t, &["review", "list", "--needs-review"]);
    assert!(queue.contains("no collected submissions match"), "reviewed work leaves the queue: {queue}");
    let shown = ok(t, &["review", "show", &first.to_string()]);
    for want in ["Grade of record: fail", "automatic re-check: pass", "The fox is **cropped**", "Brief", "Answer ("] {
        assert!(shown.contains(want), "{want}: {shown}");
    }
    let bad = run(t, &["review", "grade", "9999", "--pass"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("no collected submission 9999"), "{}", stderr(&bad));
    let bad = run(t, &["review", "grade", &tool.to_string(), "--check", "nosuch", "--pass"]);
    assert!(stderr(&bad).contains("has no check 'nosuch'; its checks are: decision"), "{}", stderr(&bad));

    // Every report shows the override, the comment and the automatic verdict side by side.
    let csv = ok(t, &["report", "--cohort", "spring", "--format", "csv"]);
    let mut rows = csv::Reader::from_reader(csv.as_bytes());
    let head = rows.headers().unwrap().clone();
    let col = |name: &str| head.iter().position(|h| h == name).unwrap_or_else(|| panic!("no {name} column"));
    let ada_first = rows
        .records()
        .map(Result::unwrap)
        .find(|r| &r[col("learner")] == "ada" && &r[col("exercise")] == FIRST)
        .unwrap();
    assert_eq!(&ada_first[col("status")], "failed");
    assert_eq!(&ada_first[col("automatic_verdict")], "passed");
    assert_eq!(&ada_first[col("decided_by")], "reviewer");
    assert_eq!(&ada_first[col("reviewer_grade")], "fail");
    assert_eq!(&ada_first[col("score_adjust")], "-30");
    assert_eq!(&ada_first[col("reviewer_comment")], "The fox is **cropped** at the ears.");
    let json: serde_json::Value =
        serde_json::from_str(&ok(t, &["report", "--cohort", "spring", "--format", "json"])).unwrap();
    let ada = json["learners"].as_array().unwrap().iter().find(|l| l["id"] == "ada").unwrap();
    let first_json = ada["exercises"].as_array().unwrap().iter().find(|e| e["exercise"] == FIRST).unwrap();
    assert_eq!(first_json["status"], "failed");
    assert_eq!(first_json["automatic_passed"], true);
    assert_eq!(first_json["grade"], "fail");
    assert_eq!(first_json["comment"], "The fox is **cropped** at the ears.");
    let html = ok(t, &["report", "--cohort", "spring", "--format", "html"]);
    assert!(html.contains("<strong>cropped</strong>"), "the comment's Markdown renders");
    assert!(html.contains("Grade of record"), "both verdicts are labelled");

    // The store keeps the automatic verdict beside the override.
    let store = genpath::store::Store::open(&t.join("genpath.db")).unwrap();
    let d = store.submission_detail(first).unwrap().unwrap();
    assert!(d.automatic_passed);
    assert!(!d.record().passed);
    assert_eq!(d.review.as_ref().unwrap().comment, "The fox is **cropped** at the ears.");
    drop(store);

    // Feedback: one file per learner of the cohort.
    let out_dir = s.root.join("feedback");
    let out = ok(t, &["feedback", "export", "--cohort", "spring", "--out", out_dir.to_str().unwrap()]);
    assert!(out.contains("wrote 2 feedback file(s)"), "{out}");
    let file = out_dir.join("ada.feedback.json");
    let ada = s.root.join("ada");

    // A tampered file (the fail turned into a pass) is refused, and nothing is written.
    let text = std::fs::read_to_string(&file).unwrap();
    let tampered = s.root.join("tampered.feedback.json");
    std::fs::write(&tampered, text.replacen("\"fail\"", "\"pass\"", 1)).unwrap();
    let o = run(&ada, &["feedback", "import", tampered.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("was changed after genpath wrote it"), "{}", stderr(&o));
    assert!(ok(&ada, &["feedback", "show"]).contains("no feedback yet"));
    // Someone else's feedback is refused too.
    let o = run(&ada, &["feedback", "import", out_dir.join("bo.feedback.json").to_str().unwrap()]);
    assert!(stderr(&o).contains("is feedback for 'bo'"), "{}", stderr(&o));

    let out = ok(&ada, &["feedback", "import", file.to_str().unwrap()]);
    assert!(out.contains("2 new, 0 updated, 0 already imported"), "{out}");
    // Importing again changes nothing.
    let again = ok(&ada, &["feedback", "import", file.to_str().unwrap()]);
    assert!(again.contains("0 new, 0 updated, 2 already imported"), "{again}");

    let show = ok(&ada, &["show", FIRST, "--no-images"]);
    assert!(show.contains("Feedback from your instructor"), "{show}");
    let headline = show.lines().find(|l| l.contains("(graded by Tess Teacher)")).unwrap_or_default();
    assert!(
        headline.trim_start().starts_with("FAIL ")
            && headline.contains("re-check said pass")
            && headline.ends_with("-30 by the reviewer"),
        "{show}"
    );
    assert!(show.contains("│ The fox is **cropped** at the ears."), "{show}");
    let tool_show = ok(&ada, &["feedback", "show", TOOL]);
    assert!(tool_show.contains("Good reasoning") && tool_show.contains("numbers check out"), "{tool_show}");
    let path = ok(&ada, &["path"]);
    assert!(path.lines().any(|l| l.contains(FIRST) && l.contains("reviewed: FAIL")), "{path}");

    // The portfolio shows passing work only: a pass the reviewer failed is left out.
    let site = s.root.join("site");
    ok(&ada, &["portfolio", "--out", site.to_str().unwrap()]);
    let html = std::fs::read_to_string(site.join("index.html")).unwrap();
    assert!(!html.contains("A first image on brief"), "{html}");
    assert!(html.contains("Which tool for this job?") && html.contains("Good reasoning"), "{html}");

    // The studio: the exercise is marked on the path and its panel shows the grade and the comment.
    use genpath::tui::app::{Action, Msg};
    let env = genpath::session::Env::open(Some(&ada), None).unwrap();
    let mut rt = genpath::tui::Runtime::new(env, genpath::tui::images::Images::halfblocks()).unwrap();
    rt.app.color = false;
    for _ in 0..30 {
        if rt.app.exercise().id == FIRST {
            break;
        }
        rt.handle(Msg::Key(Action::Up)).unwrap();
    }
    assert_eq!(rt.app.exercise().id, FIRST);
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
    term.draw(|f| genpath::tui::view::draw(f, &rt.app, &mut rt.images)).unwrap();
    let screen = term.backend().to_string();
    for want in [
        "first-image ✉",
        "Feedback from Tess Teacher on attempt 1",
        "✗ failed 70/100 by reviewer · checks: passed 100/100",
        "The fox is **cropped** at the ears.",
    ] {
        assert!(screen.contains(want), "{want:?} not on screen:\n{screen}");
    }
}

#[test]
fn lorem_ipsum_trade_offs_fail_the_decision() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ada");
    init(&ws, "ada", "Ada");
    let real = solution(TOOL);
    let start = real.find("tradeoffs = \"\"\"").unwrap();
    let end = real[start + 15..].find("\"\"\"").unwrap() + start + 18;
    let lorem = "tradeoffs = \"\"\"\nLorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor \
                 incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation \
                 ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure dolor in reprehenderit in \
                 voluptate velit esse cillum dolore eu fugiat nulla pariatur.\n\"\"\"";
    let o = decide(&ws, &format!("{}{lorem}{}", &real[..start], &real[end..]));
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("do not read as an argument"), "{}", stdout(&o));
    // The shipped write-up reads as one.
    assert!(decide(&ws, &real).status.success());
}

#[test]
fn a_tool_choice_fails_for_an_unknown_tool_wrong_sums_a_broken_constraint_or_a_simulator() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ada");
    init(&ws, "ada", "Ada");
    let real = solution(TOOL);
    for (from, to, why) in [
        ("backend = \"self-hosted-a1111\"", "backend = \"midjourney\"", "is not in the price table"),
        ("monthly_cost = 354", "monthly_cost = 154", "does not add up"),
        (
            "backend = \"self-hosted-a1111\"\nquality = \"medium\"\nmonthly_images = 4000\nmonthly_cost = 354",
            "backend = \"openai-gpt-image-1-mini\"\nquality = \"medium\"\nmonthly_images = 4000\nmonthly_cost = 32",
            "sends images to a third party",
        ),
        (
            "backend = \"self-hosted-a1111\"\nquality = \"medium\"\nmonthly_images = 4000\nmonthly_cost = 354",
            "backend = \"builtin-practice-service\"\nquality = \"medium\"\nmonthly_images = 4000\nmonthly_cost = 160",
            "is a practice simulator",
        ),
    ] {
        assert!(real.contains(from), "{from}");
        let o = decide(&ws, &real.replacen(from, to, 1));
        assert_eq!(o.status.code(), Some(1), "{to}: {}", stdout(&o));
        assert!(stdout(&o).contains(why), "{to}: expected {why:?} in {}", stdout(&o));
    }
    // The brief asks what happens when the choice fails.
    let o = decide(&ws, &real[..real.find("fallback = ").unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("`fallback` has 0 words"), "{}", stdout(&o));
}

#[test]
fn a_stage_opened_for_a_cohort_reaches_its_learners_through_the_assignment_file() {
    let tmp = tempfile::tempdir().unwrap();
    let teacher = tmp.path().join("teacher");
    init(&teacher, "teacher", "Tess");
    ok(&teacher, &["learner", "add", "ada"]);
    ok(&teacher, &["cohort", "create", "spring"]);
    ok(&teacher, &["cohort", "add", "spring", "ada"]);
    let bad = run(&teacher, &["unlock", "contrl", "--cohort", "spring"]);
    assert!(stderr(&bad).contains("did you mean 'control'"), "{}", stderr(&bad));
    let out = ok(&teacher, &["unlock", "control", "--cohort", "spring"]);
    assert!(out.contains("opened the control stage for cohort spring"), "{out}");
    let file = tmp.path().join("spring.toml");
    ok(&teacher, &["assignments", "export", "spring", "--out", file.to_str().unwrap()]);

    let ada = tmp.path().join("ada");
    init(&ada, "ada", "Ada");
    let locked = run(&ada, &["run", "control.pose", "--no-images"]);
    let err = stderr(&locked);
    assert!(err.contains("is locked") && err.contains("genpath unlock"), "{err}");
    let out = ok(&ada, &["assignments", "import", file.to_str().unwrap()]);
    assert!(out.contains("opened the control stage: your instructor opened it"), "{out}");
    let path = ok(&ada, &["path"]);
    assert!(path.contains("opened by your instructor"), "{path}");
    // The stage is open: the exercise runs without --force (its starter fails its lesson).
    let o = run(&ada, &["run", "control.pose", "--no-images"]);
    assert!(!stderr(&o).contains("is locked"), "{}", stderr(&o));

    // A file naming a stage this curriculum lacks is refused at its line.
    let bad = tmp.path().join("bad.toml");
    std::fs::write(&bad, "version = 1\nunlock = [\"control\", \"wizardry\"]\n").unwrap();
    let o = run(&ada, &["assignments", "import", bad.to_str().unwrap()]);
    assert!(stderr(&o).contains(":2:") && stderr(&o).contains("wizardry"), "{}", stderr(&o));
}
