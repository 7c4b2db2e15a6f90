//! Reports after a review: the grade of record beside the automatic
//! verdict, the reviewer's comments, "needs review" counts and the
//! drill-down, in every format; the single learner's own page; and the
//! portfolio's provenance, conditioning inputs and work on real tools.
//!
//! Reviews are set through `genpath::store::Store` directly (the review
//! command is tested on its own).

use std::path::{Path, PathBuf};

use genpath::store::{Grade, ReviewFilter, ReviewInput, Scope, Store};

use crate::common::*;
use crate::instructor::cohort_with_submissions;

const FIRST: &str = "fluency.first-image";
const SEEDS: &str = "fluency.seeds";
const COMMENT: &str = "The fox is **cropped** at the ears: <b>re-frame</b> it.";

fn ok(ws: &Path, args: &[&str]) -> String {
    let o = run(ws, args);
    assert!(o.status.success(), "{args:?}: {}\n{}", stdout(&o), stderr(&o));
    stdout(&o)
}

fn submission(store: &Store, learner: &str, exercise: &str) -> genpath::store::SubmissionDetail {
    let filter = ReviewFilter { scope: Some(Scope::Learner(learner)), exercise: Some(exercise), ..Default::default() };
    store.review_queue(&filter).unwrap().pop().unwrap()
}

/// The cohort of `instructor.rs`, reviewed: Ada's automatic pass of the
/// first exercise overridden to a fail with a comment, a comment on one of
/// Bo's failing checks, and Cy's submission marked for a person.
pub fn reviewed_cohort() -> (tempfile::TempDir, PathBuf) {
    let (tmp, teacher) = cohort_with_submissions();
    let db = teacher.join("genpath.db");
    let mut store = Store::open(&db).unwrap();
    let ada = submission(&store, "ada", FIRST);
    assert!(ada.automatic_passed);
    let review = ReviewInput {
        grade: Some(Some(Grade::Fail)),
        score_adjust: Some(-30),
        comment: Some(COMMENT),
        reviewer: "tess",
    };
    store.set_review(ada.id, &review).unwrap().unwrap();
    let bo = submission(&store, "bo", SEEDS);
    let failing = bo.checks.iter().find(|c| !c.passed).unwrap().check.clone();
    store
        .set_check_review(bo.id, &failing, None, Some("Same seed twice: look at seed = -1."), "tess")
        .unwrap()
        .unwrap();
    let cy = submission(&store, "cy", FIRST);
    drop(store);
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute("UPDATE submissions SET needs_review = 1 WHERE id = ?1", [cy.id])
        .unwrap();
    (tmp, teacher)
}

#[test]
fn reports_show_the_override_the_comment_and_the_automatic_verdict_side_by_side() {
    let (tmp, teacher) = reviewed_cohort();

    // JSON: the grade of record, and beside it the automatic verdict and the review.
    let json: serde_json::Value =
        serde_json::from_str(&ok(&teacher, &["report", "--cohort", "spring", "--format", "json"])).unwrap();
    assert!(json["passed_means"].as_str().unwrap().starts_with("Passed = the grade of record"));
    assert_eq!(json["needs_review"], 1);
    let learner = |id: &str| json["learners"].as_array().unwrap().iter().find(|l| l["id"] == id).unwrap().clone();
    let cell = |id: &str, ex: &str| {
        learner(id)["exercises"].as_array().unwrap().iter().find(|x| x["exercise"] == ex).unwrap().clone()
    };
    let ada = cell("ada", FIRST);
    assert_eq!(ada["status"], "failed", "the reviewer's fail is the grade of record: {ada}");
    assert_eq!((ada["automatic_passed"].clone(), ada["grade"].clone()), (true.into(), "fail".into()));
    assert_eq!((ada["score_adjust"].clone(), ada["decided_by"].clone()), ((-30).into(), "reviewer".into()));
    assert_eq!(ada["comment"], COMMENT);
    assert_eq!(ada["submission"]["score"], ada["automatic_score"].as_u64().unwrap() - 30);
    assert_eq!(learner("ada")["passed"], serde_json::json!([SEEDS]));
    assert_eq!(cell("bo", FIRST)["decided_by"], "checks");
    assert_eq!(cell("cy", FIRST)["awaiting_review"], true);
    let bo_checks = cell("bo", SEEDS)["submission"]["checks"].as_array().unwrap().clone();
    assert!(bo_checks.iter().any(|c| c["review"]["comment"] == "Same seed twice: look at seed = -1."), "{bo_checks:?}");
    let first = json["exercises"].as_array().unwrap().iter().find(|e| e["id"] == FIRST).unwrap().clone();
    assert_eq!((first["passed"].clone(), first["needs_review"].clone()), (1.into(), 1.into()));

    // CSV: columns for the automatic verdict, the reviewer's grade, adjustment and comment.
    let csv = ok(&teacher, &["report", "--cohort", "spring", "--format", "csv"]);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no {name}: {header:?}"));
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let row = |id: &str, ex: &str| rows.iter().find(|r| &r[0] == id && &r[2] == ex).unwrap().clone();
    let a = row("ada", FIRST);
    assert_eq!(
        [&a[col("status")], &a[col("automatic_verdict")], &a[col("reviewer_grade")], &a[col("score_adjust")]],
        ["failed", "passed", "fail", "-30"]
    );
    assert_eq!((&a[col("decided_by")], &a[col("reviewer_comment")]), ("reviewer", COMMENT));
    assert_eq!(&row("bo", FIRST)[col("decided_by")], "checks");
    assert_eq!(&row("cy", FIRST)[col("needs_review")], "true");
    assert!(row("cy", FIRST)[col("failed_checks")].contains("palette_coverage"));

    // Markdown: which verdict it shows, both verdicts, the comment, why Cy failed.
    let md = ok(&teacher, &["report", "--cohort", "spring", "--format", "md"]);
    assert!(md.contains("_Passed = the grade of record"), "{md}");
    assert!(md.contains("**Needs review:** 1 submission(s)"), "{md}");
    assert!(md.contains(&format!("| ada | {FIRST} | failed | - | 2099-12-31 |")), "{md}");
    assert!(md.contains("Automatic re-check: passed"), "{md}");
    assert!(md.contains("> The fox is **cropped** at the ears: &lt;b&gt;re-frame&lt;/b&gt; it."), "{md}");
    assert!(md.contains("- `palette_coverage`"), "Cy's failing check with its message: {md}");

    // HTML: the note, the counts, the verdicts side by side and the drill-down.
    let out = tmp.path().join("spring.html");
    ok(&teacher, &["report", "--cohort", "spring", "--format", "html", "--out", out.to_str().unwrap()]);
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.contains("Passed = the grade of record"), "no note of which verdict it shows");
    assert!(html.contains("<b class=\"review-flag\">1</b>need review"), "needs-review card");
    assert!(html.contains("Automatic re-check</small><span class=\"passed\">passed, "), "automatic verdict");
    assert!(html.contains("<div class=\"of-record\"><small>Reviewer · tess</small>fail, -30</div>"), "override");
    assert!(html.contains("re-frame") && html.contains("&lt;b&gt;re-frame&lt;/b&gt;") && !html.contains("<b>re-frame"));
    assert!(html.contains("Same seed twice"), "a check's comment");
    assert!(html.contains("Why it failed the re-check:"), "failing checks' messages");
    assert!(html.contains("The answer: <code>recipe.toml</code>"), "the recipe");
    assert_eq!(html.matches("<details class=\"drill\"").count(), 5, "one drill-down per submission of record");
    assert!(!html.contains("http://") && !html.contains("https://") && !html.contains("<script"));
}

#[test]
fn a_single_learner_report_has_its_own_layout() {
    let (tmp, teacher) = reviewed_cohort();
    let out = tmp.path().join("ada.html");
    ok(&teacher, &["report", "--learner", "ada", "--format", "html", "--out", out.to_str().unwrap()]);
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.contains("<h1>Ada Lovelace — ada</h1>"), "{html}");
    assert!(!html.contains("1 learners") && !html.contains("0% (0/1)") && !html.contains("learners</div>"));
    // Her path: every stage of the curriculum with the status of each exercise.
    let curriculum = genpath::curriculum::Curriculum::builtin().unwrap();
    for stage in &curriculum.stages {
        assert!(html.contains(&format!("<h3>{}", stage.title)), "stage {}", stage.id);
    }
    assert!(html.contains("not started"), "exercises she has not touched");
    assert!(html.contains("<span class=\"passed\">passed</span>"), "the seeds exercise");
    assert!(html.contains("<h2>Milestones</h2>") && html.contains("<h2>Feedback received</h2>"));
    assert!(html.contains("&lt;b&gt;re-frame&lt;/b&gt;"), "the reviewer's comment reaches her page");
    // Her work, large, with evidence.
    assert!(html.contains("style=\"max-width:512px\""), "images large");
    assert!(html.contains("<h4>Evidence</h4>") && html.contains("<th class=\"num\">Threshold</th>"));
}

fn a1111_png(dir: &Path) -> PathBuf {
    // A real Stable Diffusion + ControlNet output, with the infotext AUTOMATIC1111 writes.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(root.join("tests/fixtures/control/canny/cn_bird/out_01.png")).unwrap();
    let info = "a bird on a branch, orange and teal, flat vector\nNegative prompt: blurry\n\
                Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1234, Size: 237x359, \
                Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, Version: v1.10.1";
    let png = genpath::recipe::png::add_text_chunks(&bytes, &[("parameters", info)]).unwrap();
    let path = dir.join("00012-1234.png");
    std::fs::write(&path, png).unwrap();
    path
}

/// A learner's portfolio with a conditioned piece and a piece from a real tool.
pub fn portfolio_with_control_and_real_tool(tmp: &Path) -> PathBuf {
    std::fs::create_dir_all(tmp).unwrap();
    let ws = tmp.join("ada");
    let o = genpath(&ws).arg("init").arg(&ws).args(["--id", "ada", "--name", "Ada Lovelace"]).output().unwrap();
    assert!(o.status.success());
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (id, dir) in [(FIRST, "fluency/first-image"), ("control.edge-layout", "control/edge-layout")] {
        let dest = ws.join("recipes").join(id).join("recipe.toml");
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(root.join("exercises").join(dir).join("solution/recipe.toml"), dest).unwrap();
        ok(&ws, &["run", id, "--force", "--no-images"]);
    }
    let png = a1111_png(tmp);
    let o = run(&ws, &["import", png.to_str().unwrap(), "--exercise", FIRST]);
    // Imported and recorded; the re-check's verdict is the exit code (1: checks failed).
    assert!(o.status.code() == Some(0) || o.status.code() == Some(1), "{}\n{}", stdout(&o), stderr(&o));
    let said = stdout(&o);
    assert!(said.contains("made on a1111 → attempt 2 at fluency.first-image"), "its second attempt there: {said}");
    assert!(said.contains("re-checked against fluency.first-image's checks:"), "{said}");
    // The same exercise run on a configured AUTOMATIC1111 server (a recorded-protocol one here).
    let server = crate::servers::a1111::start(crate::servers::a1111::Script::default());
    let config = std::fs::read_to_string(ws.join("genpath.toml")).unwrap();
    let config = format!("{config}\n[backends.studio]\nkind = \"a1111\"\nurl = \"{}\"\n", server.url);
    std::fs::write(ws.join("genpath.toml"), config).unwrap();
    let o = run(&ws, &["run", FIRST, "--backend", "studio", "--no-images"]);
    assert!(o.status.code() == Some(0) || o.status.code() == Some(1), "{}\n{}", stdout(&o), stderr(&o));
    // Feedback the learner imported on the first exercise's attempt.
    let mut store = Store::open(&ws.join("genpath.db")).unwrap();
    let feedback = genpath::store::Feedback {
        bundle_sha256: "ab".repeat(32),
        exercise: FIRST.parse().unwrap(),
        attempt: Some(1),
        attempt_number: Some(1),
        submitted_at: "2026-11-20T10:00:00.000Z".parse().unwrap(),
        automatic_passed: true,
        automatic_score: 100,
        record: genpath::store::Record { passed: true, score: 95, by: genpath::store::DecidedBy::Reviewer },
        grade: Some(Grade::Pass),
        score_adjust: -5,
        comment: "Clean and on brand; the <i>tail</i> crowds the edge.".into(),
        checks: vec![genpath::store::CheckFeedback {
            check: "palette_coverage".into(),
            passed: true,
            grade: None,
            comment: "Teal carries the belly: good.".into(),
            message: "85% of the colourful pixels are on brand".into(),
        }],
        reviewer: "tess".into(),
        reviewed_at: "2026-11-21T10:00:00.000Z".parse().unwrap(),
    };
    store.record_feedback(std::slice::from_ref(&feedback), &"cd".repeat(32)).unwrap();
    drop(store);
    let site = tmp.join("portfolio");
    ok(&ws, &["portfolio", "--out", site.to_str().unwrap()]);
    site
}

#[test]
fn the_portfolio_shows_provenance_conditioning_and_work_on_real_tools() {
    let tmp = tempfile::tempdir().unwrap();
    let site = portfolio_with_control_and_real_tool(tmp.path());
    let html = std::fs::read_to_string(site.join("index.html")).unwrap();
    // Provenance of every piece: the backend and the model.
    assert!(html.contains("<b>genpath practice renderer</b> (backend <code>builtin</code>)"), "{html}");
    assert!(html.matches("<dt>Model</dt>").count() >= 3, "{html}");
    // The edge map beside the conditioned output, in the site.
    let control = html.find("edges control map (weight 1.00)").expect("the control input is shown");
    let output = html[control..].find("output 1").expect("beside its output");
    assert!(output < 2000, "the output follows its control map");
    assert!(html.contains("<code>assets/layout-edges.png</code>"));
    let inputs: Vec<_> = std::fs::read_dir(site.join("images"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("-input-"))
        .collect();
    assert_eq!(inputs, ["control.edge-layout-1-input-1.png"], "the edge map is copied into the site");
    // The imported A1111 piece in its own section, with its model and its re-check evidence.
    let real = html.find("<h2 id=\"real-tools\">Work on real tools</h2>").expect("a real-tools section");
    let piece = &html[real..];
    assert!(piece.contains("<b>AUTOMATIC1111 web UI</b> — the tool's own PNG, imported"), "{piece}");
    assert!(piece.contains("<code>import:a1111</code>"));
    assert!(piece.contains("<code>v1-5-pruned-emaonly</code>"), "the model from its infotext");
    assert!(piece.contains("<dt>Seed</dt><dd><code>1234</code>"), "the seed from its infotext");
    assert!(piece.contains("fails re-check") && piece.contains("<code>format</code>"), "re-check evidence: {piece}");
    // The reviewer's grade and comment beside the automatic verdict, where feedback was imported.
    let fluency = &html[html.find("<h2 id=\"fluency\">").unwrap()..real];
    assert!(fluency.contains("<h4>Reviewer's grade</h4>") && fluency.contains("Automatic re-check: passed, 100"));
    assert!(fluency.contains("the &lt;i&gt;tail&lt;/i&gt; crowds") && fluency.contains("Teal carries the belly"));
    assert!(html.contains("<code>practice-sd15</code>"), "the practice model by name");
    // Work run from genpath on a real backend: its own piece, named by the tool and the backend.
    assert!(piece.contains("<b>AUTOMATIC1111 web UI</b> (backend <code>studio</code>)"), "{piece}");
    let md = std::fs::read_to_string(site.join("portfolio.md")).unwrap();
    assert!(md.contains("## Work on real tools") && md.contains("Made on **AUTOMATIC1111 web UI**"), "{md}");
}
