//! Pipelines against the built-in renderer's simulated paid service:
//! retries and rate limits without double generation, budgets, crash-safe
//! resume, and a pool that favours the faster backend.

use crate::common;
use crate::servers::a1111 as a1111_server;
use std::io::{BufRead, BufReader};
use std::process::Stdio;

use genpath::backend::builtin::{Builtin, ServiceProfile};
use genpath::pipeline::{Member, Options, Pipeline, run};
use genpath::recipe::Limits;
use genpath::store::Store;

fn pipeline(products: &[&str], formats: &[&str], extra: &str) -> Pipeline {
    let list = |v: &[&str]| v.iter().map(|s| format!("\"{s}\"")).collect::<Vec<_>>().join(", ");
    let sizes = [("4:5", (64, 80)), ("9:16", (72, 128)), ("16:9", (128, 72)), ("3:2", (96, 64))];
    let overrides: String = sizes
        .iter()
        .filter(|(f, _)| formats.contains(f))
        .map(|(f, (w, h))| format!("[overrides.format.\"{f}\"]\nwidth = {w}\nheight = {h}\n\n"))
        .collect();
    let text = format!(
        r##"
name = "campaign"
output = "{{product}}-{{format}}.png"
{extra}
[base]
prompt = "a {{product}}, #1B998B body, #FF7A1A accents, plain, flat vector, studio backdrop"
seed = 42
width = 64
height = 64

[matrix]
product = [{}]
format = [{}]

{overrides}
[[checks]]
check = "format"
"##,
        list(products),
        list(formats)
    );
    Pipeline::parse("pipeline.toml", &text, Limits::default()).unwrap()
}

fn paid(name: &str, latency_ms: u64, failure_rate: f64, rate: u32, window_ms: u64) -> Member {
    let mut profile = ServiceProfile::new(latency_ms, 0.04, rate, failure_rate, 7);
    profile.rate_window_ms = window_ms;
    Member::new(name, Box::new(Builtin { name: name.into(), service: Some(profile) }))
}

#[test]
fn forty_eight_assets_land_once_despite_failures_and_a_rate_limit() {
    let tmp = tempfile::tempdir().unwrap();
    let p = pipeline(
        &[
            "mug",
            "bottle",
            "backpack",
            "lamp",
            "chair",
            "watch",
            "sneaker",
            "headphones",
            "fox",
            "owl",
            "robot",
            "bear",
        ],
        &["1:1", "4:5", "9:16", "16:9"],
        "[run]\nconcurrency = 4\nretries = 8\n",
    );
    let jobs = p.expand();
    assert_eq!(jobs.len(), 48);
    let db = tmp.path().join("genpath.db");
    let out = tmp.path().join("out");
    // 10% transient failures and at most 20 calls per 300 ms.
    let report = run(&p, &db, &out, vec![paid("paid", 5, 0.10, 20, 300)], Options::default()).unwrap();
    assert_eq!(report.done, 48, "{report:?}");
    assert_eq!(report.failed, 0);
    let store = Store::open(&db).unwrap();
    let calls = store.pipeline_calls("campaign").unwrap();
    let ok: Vec<_> = calls.iter().filter(|c| c.outcome.as_deref() == Some("ok")).collect();
    assert_eq!(ok.len(), 48, "every asset generated exactly once");
    let unique: std::collections::BTreeSet<_> = ok.iter().map(|c| &c.key).collect();
    assert_eq!(unique.len(), 48, "no asset generated twice");
    assert!(calls.len() > 48, "the transient failures were retried ({} calls)", calls.len());
    // The manifest is complete and the cost is the sum of the successful charges.
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(&report.manifest).unwrap()).unwrap();
    let assets = manifest["assets"].as_array().unwrap();
    assert_eq!(assets.len(), 48);
    for a in assets {
        let bytes = std::fs::read(out.join(a["path"].as_str().unwrap())).unwrap();
        assert_eq!(genpath::hash::sha256_hex(&bytes), a["sha256"].as_str().unwrap());
    }
    let charged: f64 = ok.iter().map(|c| c.cost).sum();
    assert!(
        (report.spent - charged).abs() < 1e-9 && (report.spent - 48.0 * 0.04).abs() < 1e-9,
        "{} vs {charged}",
        report.spent
    );
    assert!(std::fs::read_to_string(out.join("manifest.csv")).unwrap().lines().count() == 49);
    // The contact sheet: a row per format (by name the first variable), 12 products wrapping at 8.
    let sheet = image::open(out.join("contact-sheet.png")).unwrap().to_rgb8();
    use genpath::imaging::sheet::{LINE, PAD};
    assert_eq!((sheet.height() - PAD) / (LINE + 256 + PAD), 8, "{:?}", sheet.dimensions());
    assert_eq!(sheet.width(), PAD + 8 * (256 + PAD));
}

#[test]
fn set_checks_judge_the_whole_set_in_the_manifest() {
    // Four copies of one picture (the matrix only names the files): no variety.
    let text = "name = \"copies\"\noutput = \"{n}.png\"\n[base]\nprompt = \"a mug, studio backdrop\"\nseed = 3\nwidth = 128\nheight = 128\n[matrix]\nn = [\"a\", \"b\", \"c\", \"d\"]\n[[checks]]\ncheck = \"format\"\n[[checks]]\ncheck = \"scene_variety\"\n";
    let p = Pipeline::parse("p.toml", text, Limits::default()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let report = run(
        &p,
        &tmp.path().join("db"),
        &tmp.path().join("out"),
        vec![paid("paid", 0, 0.0, 0, 1000)],
        Options::default(),
    )
    .unwrap();
    assert_eq!(report.done, 4);
    assert_eq!(report.set_checks.len(), 1);
    assert!(!report.set_checks[0].passed && report.set_checks[0].value == Some(0.0), "{:?}", report.set_checks[0]);
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(&report.manifest).unwrap()).unwrap();
    assert_eq!(manifest["set_checks"][0]["check"], "scene_variety");
    // Per-asset checks ran on each asset; the set check did not.
    assert_eq!(manifest["assets"][0]["checks"].as_array().unwrap().len(), 1);
}

#[test]
fn a_budget_for_thirty_of_forty_jobs_stops_at_thirty() {
    let tmp = tempfile::tempdir().unwrap();
    let p = pipeline(
        &["mug", "bottle", "backpack", "lamp", "chair", "watch", "sneaker", "headphones", "fox", "owl"],
        &["1:1", "4:5", "16:9", "3:2"],
        "[budget]\nmax_cost = 1.2\n",
    );
    assert_eq!(p.expand().len(), 40);
    let db = tmp.path().join("genpath.db");
    let out = tmp.path().join("out");
    let refused = run(&p, &db, &out, vec![paid("paid", 0, 0.0, 0, 1000)], Options::default());
    assert!(
        refused.unwrap_err().to_string().contains("over the budget"),
        "the estimate is refused without --allow-over-budget"
    );
    let opts = Options { allow_over_budget: true, ..Options::default() };
    let report = run(&p, &db, &out, vec![paid("paid", 0, 0.0, 0, 1000)], opts).unwrap();
    assert_eq!(report.done, 30, "{report:?} {:?}", p.budget);
    assert_eq!(report.skipped, 10);
    assert!(report.stopped.as_deref().unwrap().contains("budget of 1.20"), "{:?}", report.stopped);
    assert!(report.spent <= 1.2 + 1e-9);
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(&report.manifest).unwrap()).unwrap();
    assert_eq!(manifest["assets"].as_array().unwrap().len(), 30);
}

#[test]
fn a_pool_gives_the_faster_backend_more_work() {
    let tmp = tempfile::tempdir().unwrap();
    let p =
        pipeline(&["mug", "bottle", "backpack", "lamp", "chair", "watch"], &["1:1", "4:5"], "[run]\nconcurrency = 2\n");
    let report = run(
        &p,
        &tmp.path().join("genpath.db"),
        &tmp.path().join("out"),
        vec![paid("fast", 10, 0.0, 0, 1000), paid("slow", 120, 0.0, 0, 1000)],
        Options::default(),
    )
    .unwrap();
    assert_eq!(report.done, 12);
    let store = Store::open(&tmp.path().join("genpath.db")).unwrap();
    let calls = store.pipeline_calls("campaign").unwrap();
    let fast = calls.iter().filter(|c| c.backend == "fast").count();
    let slow = calls.iter().filter(|c| c.backend == "slow").count();
    assert!(fast > 2 * slow, "fast {fast} vs slow {slow}");
}

const CRASH_PIPELINE: &str = r##"
name = "hundred"
output = "{product}-{n}.png"

[base]
prompt = "a {product}, plain, flat vector, studio backdrop, {n}"
seed = 9
width = 64
height = 64

[matrix]
product = ["mug", "bottle", "backpack", "lamp", "chair", "watch", "sneaker", "headphones", "fox", "owl"]
n = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]

[run]
concurrency = 4
backends = ["paid"]
"##;

const CONFIG: &str = "[backends.paid]\nkind = \"builtin\"\nservice = { latency_ms = 30, price_per_image = 0.01 }\n";

#[test]
fn kill_9_mid_run_then_resume_regenerates_nothing_that_was_done() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("pipeline.toml");
    std::fs::write(&file, CRASH_PIPELINE).unwrap();
    let (ws, reference) = (tmp.path().join("ws"), tmp.path().join("ref"));
    for w in [&ws, &reference] {
        std::fs::create_dir_all(w).unwrap();
        std::fs::write(w.join("genpath.toml"), CONFIG).unwrap();
    }
    // An uninterrupted run, for comparison.
    let o = common::run(&reference, &["pipeline", "run", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", common::stderr(&o));

    let mut child = common::genpath(&ws)
        .args(["pipeline", "run", file.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Kill it once some, but not all, assets are done.
    let db = ws.join("genpath.db");
    loop {
        let done = Store::open(&db)
            .ok()
            .and_then(|s| s.pipeline_jobs("hundred").ok())
            .map_or(0, |j| j.iter().filter(|j| j.status == genpath::store::JobStatus::Done).count());
        if done >= 20 {
            break;
        }
        assert!(child.try_wait().unwrap().is_none(), "the run finished before it could be killed");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let _ = BufReader::new(child.stderr.take().unwrap()).lines().count();
    let store = Store::open(&db).unwrap();
    let first = store.pipeline_calls("hundred").unwrap();
    let in_flight = first.iter().filter(|c| c.finished_at.is_none()).count();
    let done_first = first.iter().filter(|c| c.outcome.as_deref() == Some("ok")).count();
    assert!(done_first < 100);
    drop(store);

    let o = common::run(&ws, &["pipeline", "run", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}\n{}", common::stdout(&o), common::stderr(&o));
    assert!(common::stdout(&o).contains("possibly charged") == (in_flight > 0), "{}", common::stdout(&o));
    let store = Store::open(&db).unwrap();
    let calls = store.pipeline_calls("hundred").unwrap();
    assert_eq!(
        calls.len(),
        100 + in_flight,
        "backend calls across both runs: 100 plus the {in_flight} in flight at the kill"
    );
    assert_eq!(calls.iter().filter(|c| c.outcome.as_deref() == Some("ok")).count(), 100);
    // The final manifest matches an uninterrupted run's, asset by asset.
    let read = |w: &std::path::Path| -> std::collections::BTreeMap<String, String> {
        let m: serde_json::Value =
            serde_json::from_slice(&std::fs::read(w.join("outputs/pipelines/hundred/manifest.json")).unwrap()).unwrap();
        m["assets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| (a["path"].as_str().unwrap().to_string(), a["sha256"].as_str().unwrap().to_string()))
            .collect()
    };
    let (a, b) = (read(&ws), read(&reference));
    assert_eq!(a.len(), 100);
    assert_eq!(a, b);
    let status = common::stdout(&common::run(&ws, &["pipeline", "status"]));
    assert!(status.contains("hundred") && status.contains("100 done"), "{status}");
}

#[test]
fn plan_reports_mistakes_with_locations_and_over_budget_estimates() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("p.toml");
    std::fs::write(&file, CRASH_PIPELINE.replace("{product}-{n}.png", "{product}.png")).unwrap();
    std::fs::write(tmp.path().join("genpath.toml"), CONFIG).unwrap();
    let o = common::run(tmp.path(), &["pipeline", "plan", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = common::stderr(&o);
    assert!(err.contains(&format!("{}:3:10: output name does not use {{n}}", file.display())), "{err}");
    std::fs::write(&file, format!("{}\n[budget]\nmax_cost = 0.5\n", CRASH_PIPELINE)).unwrap();
    let o = common::run(tmp.path(), &["pipeline", "plan", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", common::stdout(&o));
    assert!(
        common::stdout(&o).contains("100 jobs") && common::stdout(&o).contains("estimate: cost 1.00"),
        "{}",
        common::stdout(&o)
    );
    assert!(common::stderr(&o).contains("over budget"));
}

fn http_member(name: &str, url: &str) -> Member {
    let config = genpath::config::Config::parse(
        "g.toml",
        &format!("[backends.{name}]\nkind = \"a1111\"\nurl = \"{url}\"\nretries = 0\ntimeout_s = 5\n"),
    )
    .unwrap();
    Member::new(name, genpath::backend::from_config(name, &config).unwrap())
}

#[test]
fn a_pool_of_two_http_servers_favours_the_fast_one_and_survives_one_dying() {
    use std::sync::atomic::Ordering;
    let fast = a1111_server::start(a1111_server::Script::default());
    let slow = a1111_server::start(a1111_server::Script::default());
    slow.script.delay_ms.store(150, Ordering::SeqCst);
    let tmp = tempfile::tempdir().unwrap();
    let p = pipeline(
        &["mug", "bottle", "backpack", "lamp", "chair", "watch"],
        &["1:1", "4:5"],
        "[run]\nconcurrency = 2\nretries = 4\n",
    );
    let report = run(
        &p,
        &tmp.path().join("db"),
        &tmp.path().join("out"),
        vec![http_member("fast", &fast.url), http_member("slow", &slow.url)],
        Options::default(),
    )
    .unwrap();
    assert_eq!(report.done, 12, "{report:?}");
    let (f, s) = (fast.generations.load(Ordering::SeqCst), slow.generations.load(Ordering::SeqCst));
    assert!(f > 2 * s, "the fast server should get most of the work: fast {f}, slow {s}");
    assert!(fast.violations.lock().unwrap().is_empty() && slow.violations.lock().unwrap().is_empty());

    // One server dies after its third image: the other finishes the work.
    let healthy = a1111_server::start(a1111_server::Script::default());
    let dying = a1111_server::start(a1111_server::Script { die_after: Some(3), ..a1111_server::Script::default() });
    let tmp = tempfile::tempdir().unwrap();
    let report = run(
        &p,
        &tmp.path().join("db"),
        &tmp.path().join("out"),
        vec![http_member("dying", &dying.url), http_member("healthy", &healthy.url)],
        Options::default(),
    )
    .unwrap();
    assert_eq!(report.done, 12, "{report:?}");
    assert_eq!(report.failed, 0);
    let store = Store::open(&tmp.path().join("db")).unwrap();
    let ok_by_healthy = store
        .pipeline_calls("campaign")
        .unwrap()
        .iter()
        .filter(|c| c.backend == "healthy" && c.outcome.as_deref() == Some("ok"))
        .count();
    assert!(ok_by_healthy >= 9, "the healthy server finished the work ({ok_by_healthy} assets)");
}

/// A small pipeline with a reference image and, when `handoff`, a
/// `[handoff]` table; written with its reference into `dir`.
fn handoff_pipeline(dir: &std::path::Path, name: &str, reference: bool, handoff: &str) -> std::path::PathBuf {
    let sheet = image::RgbImage::from_fn(64, 64, |x, _| {
        if x < 32 { image::Rgb([0xFF, 0x7A, 0x1A]) } else { image::Rgb([0x1B, 0x99, 0x8B]) }
    });
    std::fs::create_dir_all(dir.join("assets")).unwrap();
    sheet.save(dir.join("assets/sheet.png")).unwrap();
    let reference = if reference { "reference = { image = \"assets/sheet.png\", weight = 0.8 }" } else { "" };
    let text = format!(
        r#"name = "{name}"
output = "{{shot}}-{{format}}.png"

[base]
prompt = "a fox, plain, flat vector, studio backdrop, {{shot}}"
seed = 5
width = 64
height = 64
{reference}

[matrix]
shot = ["close-up", "medium shot"]
format = ["1:1", "16:9"]

[overrides.format."16:9"]
width = 112
height = 64
{handoff}
"#
    );
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

const HANDOFF: &str = "[handoff]\nformats = \"format\"\nresponse = \"\"\"\n## Delivered\nFour assets.\n\"\"\"\n";

#[test]
fn a_pipeline_with_handoff_ships_a_package_that_stands_on_its_own() {
    let ws = tempfile::tempdir().unwrap();
    let src = tempfile::tempdir().unwrap();
    let file = handoff_pipeline(src.path(), "launch", true, HANDOFF);
    let o = common::run(ws.path(), &["pipeline", "run", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}{}", common::stdout(&o), common::stderr(&o));
    assert!(common::stdout(&o).contains("hand-off package:"), "{}", common::stdout(&o));
    let out = ws.path().join("outputs/pipelines/launch");
    let pkg = genpath::pipeline::read_package(&out.join("handoff")).unwrap();
    for name in [
        "assets/close-up-1x1.png",
        "assets/close-up-16x9.png",
        "assets/medium-shot-1x1.png",
        "assets/medium-shot-16x9.png",
        "manifest.json",
        "contact-sheet.png",
        "response.md",
        "rerun/pipeline.toml",
        "rerun/assets/sheet.png",
        "rerun/README.md",
    ] {
        assert!(pkg.contains_key(name), "{name} missing from {:?}", pkg.keys().collect::<Vec<_>>());
    }
    assert_eq!(pkg["assets/close-up-1x1.png"], std::fs::read(out.join("close-up-1x1.png")).unwrap());
    assert_eq!(String::from_utf8_lossy(&pkg["response.md"]), "## Delivered\nFour assets.\n");
    // The package's own folder re-runs to the same bytes, with nothing else around it.
    let elsewhere = tempfile::tempdir().unwrap();
    common::copy_dir(&out.join("handoff/rerun"), elsewhere.path());
    let ws2 = tempfile::tempdir().unwrap();
    let o = common::run(ws2.path(), &["pipeline", "run", elsewhere.path().join("pipeline.toml").to_str().unwrap()]);
    assert!(o.status.success(), "{}{}", common::stdout(&o), common::stderr(&o));
    let again = std::fs::read(ws2.path().join("outputs/pipelines/launch/close-up-16x9.png")).unwrap();
    assert_eq!(again, pkg["assets/close-up-16x9.png"]);
}

#[test]
fn a_pipelines_reference_image_reaches_the_renderer_and_a_missing_one_is_named() {
    let ws = tempfile::tempdir().unwrap();
    let src = tempfile::tempdir().unwrap();
    let with = handoff_pipeline(src.path(), "with", true, "");
    let without = handoff_pipeline(src.path(), "without", false, "");
    for f in [&with, &without] {
        let o = common::run(ws.path(), &["pipeline", "run", f.to_str().unwrap()]);
        assert!(o.status.success(), "{}{}", common::stdout(&o), common::stderr(&o));
    }
    let read = |n: &str| std::fs::read(ws.path().join(format!("outputs/pipelines/{n}/medium-shot-1x1.png"))).unwrap();
    assert_ne!(read("with"), read("without"), "the reference image changed nothing: it was not loaded");
    std::fs::remove_file(src.path().join("assets/sheet.png")).unwrap();
    let o = common::run(ws.path(), &["pipeline", "run", with.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", common::stderr(&o));
    assert!(common::stderr(&o).contains("input file not found: assets/sheet.png"), "{}", common::stderr(&o));
}

#[test]
fn a_handoff_formats_typo_is_located_with_a_suggestion() {
    let src = tempfile::tempdir().unwrap();
    let file =
        handoff_pipeline(src.path(), "typo", false, &HANDOFF.replace("formats = \"format\"", "formats = \"formt\""));
    let text = std::fs::read_to_string(&file).unwrap();
    let e = Pipeline::parse("typo.toml", &text, Limits::default()).unwrap_err().to_string();
    assert!(e.contains("typo.toml:19:11") && e.contains("did you mean 'format'"), "{e}");
}

/// The systems milestone's `handoff` and `bundle_reruns` checks, through
/// the attempt engine (as `genpath run` judges it), on the solution edited
/// to game or break them.
#[test]
fn the_campaign_handoff_fails_without_a_package_a_true_cost_prose_or_a_rerun() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let solution = std::fs::read_to_string(root.join("exercises/systems/campaign/solution/pipeline.toml")).unwrap();
    let response_at = solution.find("response = \"\"\"").unwrap();
    let lorem = "Lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore ";
    let cases: Vec<(&str, String, &str, &str)> = vec![
        ("as written", solution.clone(), "", ""),
        ("no [handoff]", solution[..solution.find("[handoff]").unwrap()].to_string(), "handoff", "no hand-off package"),
        (
            "a wrong cost",
            solution.replace("The run cost 1.28", "The run cost 0.90"),
            "handoff",
            "does not state what the run cost (1.28)",
        ),
        (
            "lorem ipsum",
            format!(
                "{}response = \"\"\"\n## Delivered\n## Formats\n## Cost 1.28\n## Re-run\n## Known limits\n{}\n\"\"\"\n",
                &solution[..response_at],
                lorem.repeat(12)
            ),
            "handoff",
            "does not read as prose",
        ),
        ("a missing section", solution.replace("## Known limits", "## Notes"), "handoff", "no heading for: limits"),
        (
            "an input outside the package",
            solution.replace("assets/brand-sheet.png", "../shared/brand-sheet.png"),
            "bundle_reruns",
            "input file not found: ../shared/brand-sheet.png",
        ),
    ];
    let curriculum = genpath::curriculum::Curriculum::builtin().unwrap();
    let exercise = curriculum.exercise("systems.campaign").unwrap().clone();
    for (what, text, failing, message) in cases {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("shared")).unwrap();
        std::fs::copy(
            root.join("exercises/systems/campaign/assets/brand-sheet.png"),
            dir.path().join("shared/brand-sheet.png"),
        )
        .unwrap();
        std::fs::create_dir_all(dir.path().join("answer")).unwrap();
        let path = dir.path().join("answer/pipeline.toml");
        let answer = genpath::attempt::Answer::from_text(&exercise, &path, text, Limits::default())
            .unwrap_or_else(|e| panic!("{what}: {e:#}"));
        let (_, verdict) = genpath::attempt::evaluate(
            &curriculum,
            &exercise,
            &answer,
            &Builtin::new(),
            &genpath::attempt::Quiet,
            None,
        )
        .unwrap_or_else(|e| panic!("{what}: {e:#}"));
        let failed: Vec<&genpath::checks::Outcome> = verdict.outcomes.iter().filter(|o| !o.passed).collect();
        if failing.is_empty() {
            assert!(failed.is_empty(), "{what}: {failed:?}");
            continue;
        }
        let hit = failed.iter().find(|o| o.check == failing);
        assert!(hit.is_some(), "{what}: {failing} passed; failed: {failed:?}");
        assert!(hit.unwrap().message.contains(message), "{what}: {}", hit.unwrap().message);
    }
}

const POST_PIPELINE: &str = r##"
name = "poster"
output = "{product}.png"

[base]
prompt = "a {product}, orange body BREAK teal accents, plain, flat vector, studio backdrop, copy space at the top, medium shot"
seed = 5
width = 512
height = 512

[matrix]
product = ["mug", "bottle"]

[[post]]
step = "crop"
aspect = "4:5"
focus = "subject"

[[post]]
step = "recolor"
colors = ["#FF7A1A", "#1B998B"]
tolerance = 12.0

[[post]]
step = "upscale"
scale = 1.25

[[post]]
step = "text"
text = "NEW {product}"
region = [0.05, 0.02, 0.9, 0.16]

[[checks]]
check = "format"
aspect = "4:5"
"##;

/// `[[post]]` steps through the CLI: the final files are the post-processed
/// ones, the manifest records each step with its parameters and result and
/// the final file's sha256, a re-run reproduces the same bytes, and changing
/// one step re-does the assets while an unchanged pipeline resumes.
#[test]
fn post_steps_shape_the_assets_and_the_manifest_records_them() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    let file = ws.join("poster.toml");
    std::fs::write(&file, POST_PIPELINE).unwrap();
    let o = common::run(ws, &["pipeline", "run", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}{}", common::stdout(&o), common::stderr(&o));
    let out = ws.join("outputs/pipelines/poster");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let assets = manifest["assets"].as_array().unwrap();
    assert_eq!(assets.len(), 2);
    let mug = assets.iter().find(|a| a["path"] == "mug.png").unwrap();
    let bytes = std::fs::read(out.join("mug.png")).unwrap();
    assert_eq!(mug["sha256"], genpath::hash::sha256_hex(&bytes), "the sha256 is of the final file");
    let img = image::load_from_memory(&bytes).unwrap();
    assert_eq!((img.width(), img.height()), (513, 640), "cropped to 4:5 (410×512), then ×1.25");
    let steps: Vec<&str> = mug["post"].as_array().unwrap().iter().map(|s| s["step"].as_str().unwrap()).collect();
    assert_eq!(steps, ["crop", "recolor", "resize", "text"]);
    assert_eq!(mug["post"][0]["aspect"], "4:5");
    assert_eq!(mug["post"][3]["text"], "NEW mug", "the job's value is filled in");
    assert!(mug["post"][3]["result"]["contrast"].as_f64().unwrap() >= 4.5, "{}", mug["post"][3]);
    assert!(mug["checks"][0]["passed"].as_bool().unwrap(), "checks judge the final asset: {}", mug["checks"]);

    // An unchanged pipeline resumes: nothing is made again, the bytes stay.
    let o = common::run(ws, &["pipeline", "run", file.to_str().unwrap()]);
    assert!(common::stdout(&o).contains("0 made now"), "{}", common::stdout(&o));
    assert_eq!(std::fs::read(out.join("mug.png")).unwrap(), bytes);
    // A changed step changes every job's key: the assets are made again, to the new step.
    std::fs::write(&file, POST_PIPELINE.replace("scale = 1.25", "scale = 1.5")).unwrap();
    let o = common::run(ws, &["pipeline", "run", file.to_str().unwrap()]);
    assert!(common::stdout(&o).contains("2 made now"), "{}", common::stdout(&o));
    let again = image::load_from_memory(&std::fs::read(out.join("mug.png")).unwrap()).unwrap();
    assert_eq!((again.width(), again.height()), (615, 768));
    // Back to the first step: the same bytes as the first run (deterministic).
    std::fs::write(&file, POST_PIPELINE).unwrap();
    std::fs::remove_file(out.join("mug.png")).unwrap();
    let o = common::run(ws, &["pipeline", "run", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", common::stderr(&o));
    assert_eq!(std::fs::read(out.join("mug.png")).unwrap(), bytes, "a re-run reproduces the same bytes");
}

/// A text step on a busy or low-contrast area fails the job with the reason,
/// and a misspelt step key is located in the file.
#[test]
fn a_post_step_that_cannot_be_honoured_fails_its_job_with_the_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    let file = ws.join("poster.toml");
    std::fs::write(
        &file,
        POST_PIPELINE
            .replace("region = [0.05, 0.02, 0.9, 0.16]", "region = [0.05, 0.02, 0.9, 0.16]\ncolor = \"#EEEEEE\""),
    )
    .unwrap();
    let o = common::run(ws, &["pipeline", "run", file.to_str().unwrap()]);
    assert_ne!(o.status.code(), Some(0));
    let status = common::stdout(&common::run(ws, &["pipeline", "status"]));
    assert!(status.contains("WCAG contrast of 1.") && status.contains("post step 4 (text)"), "{status}");
    std::fs::write(&file, POST_PIPELINE.replace("aspect = \"4:5\"\nfocus", "aspct = \"4:5\"\nfocus")).unwrap();
    let o = common::run(ws, &["pipeline", "plan", file.to_str().unwrap()]);
    let err = common::stderr(&o);
    assert!(err.contains("poster.toml:") && err.contains("aspct"), "{err}");
}
