//! The instructor's side end to end: a cohort of three learners, two
//! assignments, learners who solve or fail and submit bundles, collection
//! with `--reproduce`, and reports in every format.

use std::path::{Path, PathBuf};

use crate::common::*;

const FIRST: &str = "fluency.first-image";
const SEEDS: &str = "fluency.seeds";

pub fn ok(ws: &Path, args: &[&str]) -> String {
    let o = run(ws, args);
    assert!(o.status.success(), "{args:?}: {}\n{}", stdout(&o), stderr(&o));
    stdout(&o)
}

pub fn init(dir: &Path, id: &str, name: &str) {
    let o = genpath(dir).arg("init").arg(dir).args(["--id", id, "--name", name]).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
}

/// Put the shipped solution (or starter) of an exercise in the learner's answer and run it.
pub fn attempt(ws: &Path, exercise: &str, solved: bool) {
    let curriculum = genpath::curriculum::Curriculum::builtin().unwrap();
    let e = curriculum.exercise(exercise).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let from = root.join(if solved { e.solution_path() } else { e.starter_path() });
    let dest = ws.join("recipes").join(&e.id).join(&e.deliverable.file);
    std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
    std::fs::copy(from, dest).unwrap();
    let o = run(ws, &["run", exercise, "--no-images"]);
    assert_eq!(o.status.success(), solved, "{exercise}: {}\n{}", stdout(&o), stderr(&o));
}

/// Run a recipe of the learner's own for an exercise.
fn attempt_text(ws: &Path, exercise: &str, recipe: &str, passes: bool) {
    let dest = ws.join("recipes").join(exercise).join("recipe.toml");
    std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
    std::fs::write(dest, recipe).unwrap();
    let o = run(ws, &["run", exercise, "--no-images"]);
    assert_eq!(o.status.success(), passes, "{exercise}: {}\n{}", stdout(&o), stderr(&o));
}

pub fn submit(ws: &Path, exercise: &str, outbox: &Path) -> PathBuf {
    let out = ok(ws, &["submit", exercise, "--out", outbox.to_str().unwrap()]);
    let line = out.lines().find(|l| l.starts_with("wrote ")).unwrap();
    PathBuf::from(line.trim_start_matches("wrote ").split(" (").next().unwrap())
}

/// Builds the whole scene once; returns (tmp, instructor workspace).
pub fn cohort_with_submissions() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let teacher = tmp.path().join("teacher");
    init(&teacher, "teacher", "Tess Teacher");
    for (id, name) in [("ada", "Ada Lovelace"), ("bo", "Bo Chen"), ("cy", "Cy Diaz")] {
        ok(&teacher, &["learner", "add", id, "--name", name]);
    }
    ok(&teacher, &["cohort", "create", "spring"]);
    ok(&teacher, &["cohort", "add", "spring", "ada", "bo", "cy"]);
    // The first exercise is due far ahead; the second was due long ago, so any submission of it is late.
    ok(&teacher, &["assign", FIRST, "--to", "spring", "--due", "2099-12-31"]);
    ok(&teacher, &["assign", SEEDS, "--to", "spring", "--due", "2020-01-01"]);
    let assignment = tmp.path().join("spring.toml");
    ok(&teacher, &["assignments", "export", "spring", "--out", assignment.to_str().unwrap()]);

    let outbox = tmp.path().join("outbox");
    for (id, name) in [("ada", "Ada Lovelace"), ("bo", "Bo Chen"), ("cy", "Cy Diaz")] {
        let ws = tmp.path().join(id);
        init(&ws, id, name);
        ok(&ws, &["assignments", "import", assignment.to_str().unwrap()]);
        let path = ok(&ws, &["path"]);
        assert!(path.contains("2099-12-31"), "{path}");
        match id {
            // Ada fails once, then solves both.
            "ada" => {
                attempt(&ws, FIRST, false);
                attempt(&ws, FIRST, true);
                attempt(&ws, SEEDS, true);
                submit(&ws, FIRST, &outbox);
                submit(&ws, SEEDS, &outbox);
            }
            // Bo solves the first and submits a failing second.
            "bo" => {
                attempt(&ws, FIRST, true);
                attempt(&ws, SEEDS, false);
                submit(&ws, FIRST, &outbox);
                submit(&ws, SEEDS, &outbox);
            }
            // Cy fails the first twice (the second time on the palette alone) and never does the second.
            _ => {
                attempt(&ws, FIRST, false);
                attempt_text(
                    &ws,
                    FIRST,
                    "title = \"fox\"\nprompt = \"a cute fox in a park\"\nseed = 1\nwidth = 512\nheight = 512\n",
                    false,
                );
                let bundle = submit(&ws, FIRST, &outbox);
                let name = bundle.file_name().unwrap().to_str().unwrap();
                assert!(name.starts_with("cy+fluency.first-image+") && name.ends_with(".genpath"), "{name}");
            }
        }
    }
    let out = ok(&teacher, &["collect", outbox.to_str().unwrap(), "--reproduce"]);
    // Every bundle is accepted; whether the work passed is said in its own words.
    assert_eq!(out.lines().filter(|l| l.starts_with("accepted ")).count(), 5, "{out}");
    assert_eq!(out.matches("re-check passed").count(), 3, "{out}");
    assert_eq!(out.matches("re-check FAILED").count(), 2, "{out}");
    // Bo's failing seeds recipe draws a random seed (seed = -1), so it cannot be reproduced.
    assert_eq!(out.matches("NOT reproduced").count(), 1, "{out}");
    assert!(out.lines().any(|l| l.contains("bo / fluency.seeds") && l.contains("NOT reproduced")), "{out}");
    assert_eq!(out.matches(", reproduced").count(), 4, "{out}");
    // Collecting again records nothing twice.
    let again = ok(&teacher, &["collect", outbox.to_str().unwrap()]);
    assert_eq!(again.matches("already collected").count(), 5, "{again}");
    (tmp, teacher)
}

#[test]
fn cohort_submits_instructor_collects_and_reports_in_every_format() {
    let (tmp, teacher) = cohort_with_submissions();

    // JSON: the whole model.
    let json: serde_json::Value =
        serde_json::from_str(&ok(&teacher, &["report", "--cohort", "spring", "--format", "json"])).unwrap();
    let learner = |id: &str| json["learners"].as_array().unwrap().iter().find(|l| l["id"] == id).unwrap().clone();
    let status = |id: &str, ex: &str| {
        learner(id)["exercises"].as_array().unwrap().iter().find(|x| x["exercise"] == ex).unwrap()["status"].clone()
    };
    assert_eq!(learner("ada")["passed"], serde_json::json!([FIRST, SEEDS]));
    assert_eq!(learner("bo")["passed"], serde_json::json!([FIRST]));
    assert_eq!(learner("cy")["passed"], serde_json::json!([]));
    assert_eq!(status("bo", SEEDS), "failed");
    assert_eq!(status("cy", FIRST), "failed");
    assert_eq!(status("cy", SEEDS), "missing");
    assert_eq!(learner("ada")["late"], serde_json::json!([SEEDS]));
    assert_eq!(learner("bo")["late"], serde_json::json!([SEEDS]));
    assert_eq!(learner("cy")["late"], serde_json::json!([]));
    assert_eq!(learner("cy")["missing"], serde_json::json!([SEEDS]));
    assert_eq!(learner("ada")["attempts"], 3);
    assert_eq!(learner("cy")["attempts"], 2);
    let first = json["exercises"].as_array().unwrap().iter().find(|e| e["id"] == FIRST).unwrap();
    assert_eq!(first["passed"], 2);
    assert_eq!(first["learners"], 3);
    // Ada passed on her second attempt, Bo on his first.
    assert_eq!(first["median_attempts_to_pass"], 1.5);
    // Every failed attempt at the first exercise missed the palette (three), two also the format.
    let most = &json["most_failed"];
    assert_eq!(most["exercise"], FIRST, "{most}");
    assert_eq!(most["check"], "palette_coverage", "{most}");
    assert_eq!(most["failures"], 3, "{most}");
    let failing = &first["failing_checks"];
    assert_eq!((failing[1]["check"].as_str(), failing[1]["failures"].as_u64()), (Some("format"), Some(2)), "{failing}");
    // Reproduced on the instructor's machine.
    assert_eq!(learner("ada")["exercises"][0]["reproduced"], true);
    assert_eq!(learner("bo")["exercises"][1]["reproduced"], false);

    // Markdown.
    let md = ok(&teacher, &["report", "--cohort", "spring", "--format", "md"]);
    assert!(md.contains("**Where the group is stuck:** `palette_coverage` in fluency.first-image"), "{md}");
    assert!(md.contains(&format!("| ada | Ada Lovelace | - | {FIRST}, {SEEDS} | 3 |")), "{md}");
    assert!(md.contains(&format!("| cy | {SEEDS} | missing |")) || md.contains(&format!("| cy | {SEEDS} |")), "{md}");
    assert!(md.contains(&format!("| bo | {SEEDS} | failed | late |")), "{md}");
    assert!(md.contains(&format!("| {FIRST} | 67% | 2/3 | 1.5 |")), "{md}");

    // CSV: one row per learner and exercise.
    let csv = ok(&teacher, &["report", "--cohort", "spring", "--format", "csv"]);
    let rows: Vec<Vec<&str>> = csv.lines().skip(1).map(|l| l.split(',').collect()).collect();
    let row = |id: &str, ex: &str| rows.iter().find(|r| r[0] == id && r[2] == ex).unwrap().clone();
    assert_eq!(rows.len(), 6, "{csv}");
    assert_eq!(row("ada", FIRST)[3], "passed");
    assert_eq!(row("ada", SEEDS)[3..5], ["passed", "true"]);
    assert_eq!(row("bo", SEEDS)[3..5], ["failed", "true"]);
    assert_eq!(row("cy", SEEDS)[3..5], ["missing", "false"]);
    assert_eq!(row("cy", FIRST)[13], "palette_coverage");

    // HTML: one self-contained file with charts and thumbnails.
    let out = tmp.path().join("spring.html");
    ok(&teacher, &["report", "--cohort", "spring", "--format", "html", "--out", out.to_str().unwrap()]);
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.contains("<svg role=\"img\" aria-label=\"Pass rate per exercise\""), "no pass-rate chart");
    assert!(html.contains("aria-label=\"Exercises passed over time\""), "no progress chart");
    let gallery = &html[html.find("<h2>Submitted work</h2>").expect("a gallery")..];
    assert_eq!(gallery.matches("<img src=\"data:image/png;base64,").count(), 5, "one thumbnail per submission");
    assert!(html.contains("<span class=\"late\">late</span>"));
    assert!(!html.contains("http://") && !html.contains("https://") && !html.contains("<script"), "external or script");
    assert!(html.contains("@media print"));

    // One learner's report, and one exercise.
    let one = ok(&teacher, &["report", "--learner", "bo", "--format", "md"]);
    assert!(one.contains("# Learner bo") && !one.contains("| ada |"), "{one}");
    let ex = ok(&teacher, &["report", "--cohort", "spring", "--exercise", "seeds", "--format", "csv"]);
    assert!(ex.lines().skip(1).all(|l| l.contains(SEEDS)) && ex.lines().count() == 4, "{ex}");
}

#[test]
fn a_bundle_carries_the_attempt_and_its_proof() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ada");
    init(&ws, "ada", "Ada Lovelace");
    // Nothing to submit yet.
    let o = run(&ws, &["submit", FIRST]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no finished attempt"), "{}", stderr(&o));
    attempt(&ws, FIRST, false);
    attempt(&ws, FIRST, true);
    let bundle = submit(&ws, FIRST, &tmp.path().join("out"));
    let b = genpath::bundle::read(&std::fs::read(&bundle).unwrap(), Default::default()).unwrap();
    let s = &b.submission;
    // The best attempt (the pass) is packed, with the whole history.
    assert_eq!((s.attempt.number, s.attempt.status.as_str()), (Some(2), "passed"));
    assert_eq!(s.history.len(), 2);
    assert!(!s.history[0].failed_checks.is_empty());
    assert_eq!(s.learner.id, "ada");
    assert_eq!(s.genpath_version, env!("CARGO_PKG_VERSION"));
    let backend = s.attempt.backend_description.as_ref().expect("the backend is described");
    assert_eq!(
        (s.attempt.backend.as_str(), backend.kind.as_str(), backend.deterministic),
        ("builtin", "builtin", true)
    );
    assert!(b.files.contains_key("answer/recipe.toml") && b.files.contains_key("images/01.png"));
    assert!(s.checks.iter().all(|c| c.passed));
    // Every file is in the manifest with its hash.
    for f in &b.manifest.files {
        assert_eq!(genpath::hash::sha256_hex(&b.files[&f.path]), f.sha256);
    }
    // A chosen attempt is packed instead.
    let chosen = ok(&ws, &["submit", FIRST, "--attempt", "1", "--out", tmp.path().join("out2").to_str().unwrap()]);
    assert!(chosen.contains("packed attempt 1") && chosen.contains("did not pass"), "{chosen}");
    // An image changed after the attempt is refused, not packed.
    let img = ws.join("outputs").join(FIRST).join("attempt-2").join("01.png");
    std::fs::write(&img, b"edited").unwrap();
    let o = run(&ws, &["submit", FIRST]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("changed since attempt 2"), "{}", stderr(&o));
}

#[test]
fn pipeline_and_decision_submissions_are_rechecked_on_the_instructors_machine() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ada");
    init(&ws, "ada", "Ada Lovelace");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let curriculum = genpath::curriculum::Curriculum::builtin().unwrap();
    for id in ["systems.asset-matrix", "systems.tool-choice"] {
        let e = curriculum.exercise(id).unwrap();
        let dest = ws.join("recipes").join(id).join(&e.deliverable.file);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(root.join(e.solution_path()), dest).unwrap();
        let o = run(&ws, &["run", id, "--force", "--no-images"]);
        assert!(o.status.success(), "{id}: {}", stdout(&o));
    }
    let outbox = tmp.path().join("outbox");
    let matrix = submit(&ws, "systems.asset-matrix", &outbox);
    submit(&ws, "systems.tool-choice", &outbox);
    let b = genpath::bundle::read(&std::fs::read(&matrix).unwrap(), Default::default()).unwrap();
    assert_eq!(b.submission.images.len(), 16, "every asset of the matrix travels");

    let teacher = tmp.path().join("teacher");
    init(&teacher, "teacher", "Tess");
    let out = ok(&teacher, &["collect", outbox.to_str().unwrap(), "--reproduce"]);
    // The pipeline is re-run here and its assets come out identical; the decision is re-checked as a document.
    assert!(out.contains("ada / systems.asset-matrix — re-check passed, reproduced"), "{out}");
    assert!(out.contains("ada / systems.tool-choice — re-check passed"), "{out}");
    assert_eq!(out.matches("was not on the roster and has been added").count(), 1, "{out}");
    let json: serde_json::Value =
        serde_json::from_str(&ok(&teacher, &["report", "--learner", "ada", "--format", "json"])).unwrap();
    assert_eq!(json["learners"][0]["passed"], serde_json::json!(["systems.asset-matrix", "systems.tool-choice"]));
}
