//! `kill -9` at pseudo-random moments (a fixed seed, so a failure replays)
//! across `genpath run`, `genpath pipeline run` and `genpath collect`, then
//! the promise: the database passes its integrity check, no row is left
//! `running`, no half-unpacked or unrecorded folder is left, and nothing that
//! completed is lost or done twice.

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

use crate::common::*;

const FIRST: &str = "fluency.first-image";
const ROUNDS: usize = 36;

const PIPELINE: &str = r#"name = "launch"
output = "{product}-{format}.png"

[base]
prompt = "a {product}, teal body, orange accents, plain, studio backdrop"
seed = 11
width = 256
height = 256

[matrix]
product = ["mug", "bottle", "backpack", "headphones"]
format = ["1:1", "4:5", "9:16", "16:9"]

[run]
backends = ["practice"]
concurrency = 2
retries = 6
"#;

struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

fn init(ws: &Path, id: &str) {
    let o = genpath(ws).arg("init").arg(ws).args(["--id", id]).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
}

fn spawn(ws: &Path, args: &[&str]) -> Child {
    genpath(ws).args(args).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap()
}

fn db(ws: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(ws.join("genpath.db")).unwrap()
}

fn count(ws: &Path, sql: &str) -> i64 {
    db(ws).query_row(sql, [], |r| r.get(0)).unwrap()
}

fn assert_sound(ws: &Path, when: &str) {
    let ok: String = db(ws).query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(ok, "ok", "{when}: integrity check");
}

/// How long `args` takes to finish in a scratch copy of `ws`, in ms. Each kill
/// comes within the first third of it, so kills land mid-work however fast
/// this build runs (an optimised build finished most work before fixed delays
/// ran out), and work that resumes is still cut off several times.
fn duration_ms(ws: &Path, args: &[&str], scratch: &Path) -> u64 {
    copy_dir(ws, scratch);
    let start = std::time::Instant::now();
    let o = run(scratch, args);
    assert!(o.status.success(), "{args:?}: {}{}", stdout(&o), stderr(&o));
    (start.elapsed().as_millis() as u64).max(3)
}

fn dirs(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|rd| rd.flatten().filter(|e| e.path().is_dir()).map(|e| e.path()).collect())
        .unwrap_or_default()
}

#[test]
fn kill_9_at_random_moments_leaves_every_workspace_consistent() {
    let tmp = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));

    // A learner with a passing recipe, and ten distinct bundles of it for the instructor.
    let ada = tmp.path().join("ada");
    init(&ada, "ada");
    let recipe = ada.join("recipes").join(FIRST).join("recipe.toml");
    std::fs::create_dir_all(recipe.parent().unwrap()).unwrap();
    std::fs::copy(root.join("exercises/fluency/first-image/solution/recipe.toml"), &recipe).unwrap();
    assert!(run(&ada, &["run", FIRST, "--no-images"]).status.success());
    let inbox = tmp.path().join("inbox");
    for _ in 0..10 {
        // Each submit is stamped with its own time: ten bundles, ten hashes.
        assert!(run(&ada, &["submit", FIRST, "--out", inbox.to_str().unwrap()]).status.success());
        std::thread::sleep(Duration::from_millis(2));
    }
    assert_eq!(std::fs::read_dir(&inbox).unwrap().count(), 10);
    let teacher = tmp.path().join("teacher");
    init(&teacher, "teacher");
    let pipeline_file = tmp.path().join("launch.toml");
    std::fs::write(&pipeline_file, PIPELINE).unwrap();

    let commands: [(&Path, Vec<&str>); 3] = [
        (&ada, vec!["run", FIRST, "--no-images"]),
        (&ada, vec!["pipeline", "run", pipeline_file.to_str().unwrap()]),
        (&teacher, vec!["collect", inbox.to_str().unwrap(), "--reproduce"]),
    ];
    let durations: Vec<u64> = commands
        .iter()
        .enumerate()
        .map(|(i, (ws, args))| duration_ms(ws, args, &tmp.path().join(format!("scratch-{i}"))))
        .collect();

    let mut rng = Rng(0x9E37_79B9);
    let mut killed = [0; 3];
    for round in 0..ROUNDS {
        let kind = round % 3;
        let (ws, args) = &commands[kind];
        let mut child = spawn(ws, args);
        std::thread::sleep(Duration::from_millis(rng.below(durations[kind] / 3)));
        if child.try_wait().unwrap().is_none() {
            killed[kind] += 1;
        }
        let _ = child.kill(); // SIGKILL
        child.wait().unwrap();
        assert_sound(ws, &format!("round {round} ({args:?})"));
    }
    // Pipeline runs resume and collects skip what is in, so once their work is
    // done later rounds finish early; each command must still have been cut
    // off mid-work several times, and most rounds overall.
    assert!(killed.iter().all(|&k| k >= 2), "killed mid-work per command (run, pipeline, collect): {killed:?}");
    assert!(
        killed.iter().sum::<usize>() >= ROUNDS / 2,
        "only {killed:?} of {ROUNDS} processes were still running when killed (durations {durations:?} ms)"
    );

    // The next command reaps what the kills left; then everything finishes.
    let o = run(&ada, &["run", FIRST, "--no-images"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let o = run(&ada, &["pipeline", "run", pipeline_file.to_str().unwrap()]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let o = run(&teacher, &["collect", inbox.to_str().unwrap(), "--reproduce"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    for ws in [&ada, &teacher] {
        assert_sound(ws, "after the kills");
        assert_eq!(count(ws, "SELECT COUNT(*) FROM attempts WHERE status = 'running'"), 0);
        assert_eq!(count(ws, "SELECT COUNT(*) FROM pipeline_runs WHERE status = 'running'"), 0);
        let locks = std::fs::read_dir(ws.join(".locks")).unwrap().count();
        assert_eq!(locks, 0, "lock files of dead processes are left in {}", ws.display());
    }

    // Attempts: every finished one has its images on disk.
    let conn = db(&ada);
    let mut st = conn
        .prepare(
            "SELECT i.path FROM images i JOIN attempts a ON a.id = i.attempt_id WHERE a.status IN ('passed', 'failed')",
        )
        .unwrap();
    let paths: Vec<String> = st.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
    assert!(!paths.is_empty());
    for p in &paths {
        assert!(ada.join(p).is_file(), "a finished attempt's image {p} is missing");
    }

    // The pipeline: 16 assets, each generated successfully exactly once across all runs.
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(ada.join("outputs/pipelines/launch/manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["assets"].as_array().map(Vec::len), Some(16), "{manifest}");
    // Jobs are keyed by their resolved recipe (formats without overrides share one): all done.
    assert_eq!(count(&ada, "SELECT COUNT(*) FROM pipeline_jobs WHERE status <> 'done'"), 0);
    let twice = count(
        &ada,
        "SELECT COUNT(*) FROM (SELECT key FROM pipeline_calls WHERE outcome = 'ok' GROUP BY key HAVING COUNT(*) > 1)",
    );
    assert_eq!(twice, 0, "a completed generation was made again");

    // Collect: ten bundles, ten rows, ten folders, nothing half-unpacked.
    assert_eq!(count(&teacher, "SELECT COUNT(*) FROM submissions"), 10);
    let subs = teacher.join("submissions");
    let staging: Vec<_> =
        dirs(&subs).into_iter().filter(|d| d.file_name().unwrap().to_string_lossy().starts_with(".staging")).collect();
    assert!(staging.is_empty(), "staging folders left: {staging:?}");
    let folders: Vec<PathBuf> = dirs(&subs.join("ada").join(FIRST));
    assert_eq!(folders.len(), 10, "{folders:?}");
    for f in &folders {
        assert!(!f.join(".collecting").exists(), "{} is still marked as being collected", f.display());
        let rel = f.strip_prefix(&teacher).unwrap().to_string_lossy().into_owned();
        assert_eq!(count(&teacher, &format!("SELECT COUNT(*) FROM submissions WHERE dir = '{rel}'")), 1, "{rel}");
    }
}
