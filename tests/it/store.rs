//! The database survives crashes and refuses what it does not understand.

use crate::common;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use genpath::store::{AttemptStatus, CheckRecord, Finished, ImageRecord, NewAttempt, SCHEMA_VERSION, Store};
use genpath::workspace::Workspace;

const CHILD_ENV: &str = "GENPATH_TEST_CHILD_WORKSPACE";

fn finished(i: u32) -> Finished {
    Finished {
        passed: i.is_multiple_of(2),
        score: i % 100,
        cost: 0.01,
        images: (0..3)
            .map(|k| ImageRecord {
                path: format!("outputs/{i}/{k}.png"),
                sha256: format!("{i:064x}"),
                width: 512,
                height: 512,
                seed: Some(k as i64),
            })
            .collect(),
        checks: (0..5)
            .map(|k| CheckRecord {
                check: format!("check{k}"),
                review: false,
                passed: k != 3,
                value: Some(k as f64),
                threshold: Some(1.0),
                severity: genpath::checks::Severity::Essential,
                message: "x".repeat(200),
            })
            .collect(),
    }
}

/// Runs only as the child of `kill_9_mid_attempt_leaves_a_sound_database`:
/// records attempts in a tight loop until it is killed.
#[test]
fn child_records_attempts_until_killed() {
    let Ok(root) = std::env::var(CHILD_ENV) else { return };
    let ws = Workspace::open(std::path::Path::new(&root)).unwrap();
    let mut store = ws.store().unwrap();
    let new = NewAttempt {
        learner: "learner",
        exercise: &"fluency.first-image".parse().unwrap(),
        recipe_text: "prompt = \"x\"",
        backend: "builtin",
    };
    // A slow attempt (think: a generation in flight) that will never finish ...
    let slow = store.begin_attempt(&new).unwrap();
    println!("ready {slow}");
    // ... while other attempts are recorded as fast as possible, so the kill lands mid-transaction.
    let mut i = 0u32;
    loop {
        let id = store.begin_attempt(&new).unwrap();
        store.finish_attempt(id, &finished(i), |_| vec![]).unwrap();
        i += 1;
    }
}

#[test]
fn kill_9_mid_attempt_leaves_a_sound_database() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("ws");
    // One attempt is left running on purpose by the child: the one being written when it dies.
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "store::child_records_attempts_until_killed", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, &root)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // libtest may print its own text on the same line, so look for the word anywhere.
    let ready =
        lines.find(|l| l.as_ref().map_or(true, |l| l.contains("ready "))).expect("child never became ready").unwrap();
    let slow: i64 = ready.rsplit(' ').next().unwrap().trim().parse().unwrap();
    // Let it get some attempts in: wait until the WAL has grown by 256 KiB past
    // what creating the database wrote (the migrations alone come close to that).
    let wal = root.join("genpath.db-wal");
    let wal_len = || std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    let at_ready = wal_len();
    while wal_len() < at_ready + 256 * 1024 {
        std::thread::yield_now();
    }
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();

    let ws = Workspace::open(&root).unwrap();
    let store = ws.store().unwrap();
    assert_eq!(store.integrity_check().unwrap(), "ok");
    // Every attempt is either complete (3 images, 5 checks) or was marked interrupted.
    let db = rusqlite_counts(&ws.db_path());
    assert!(db.total > 1, "the child recorded too little to be a test: {db:?}");
    assert_eq!(db.running, 0, "running attempts must have been reaped: {db:?}");
    assert_eq!(db.incomplete_finished, 0, "a finished attempt lost images or checks: {db:?}");
    // The slow one, and at most one fast one caught between begin and finish.
    assert!((1..=2).contains(&db.interrupted), "{db:?}");
    let stats = store.exercise_stats("learner").unwrap();
    assert_eq!(stats[0].attempts as i64, db.total);
    let slow = store.attempt(slow).unwrap();
    assert_eq!(slow.status, AttemptStatus::Interrupted);
    assert!(slow.error.unwrap().contains("stopped before it finished"));
}

#[derive(Debug)]
struct Counts {
    total: i64,
    running: i64,
    interrupted: i64,
    incomplete_finished: i64,
}

fn rusqlite_counts(path: &std::path::Path) -> Counts {
    let c = rusqlite::Connection::open(path).unwrap();
    let q = |sql: &str| c.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
    Counts {
        total: q("SELECT COUNT(*) FROM attempts"),
        running: q("SELECT COUNT(*) FROM attempts WHERE status = 'running'"),
        interrupted: q("SELECT COUNT(*) FROM attempts WHERE status = 'interrupted'"),
        incomplete_finished: q("SELECT COUNT(*) FROM attempts a WHERE status IN ('passed','failed') AND (
                (SELECT COUNT(*) FROM images i WHERE i.attempt_id = a.id) <> 3 OR
                (SELECT COUNT(*) FROM check_results r WHERE r.attempt_id = a.id) <> 5)"),
    }
}

#[test]
fn a_newer_schema_is_refused_and_left_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("genpath.db");
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch("CREATE TABLE future (x); PRAGMA user_version = 99;").unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = Store::open(&path).err().expect("a newer schema must be refused").to_string();
    assert!(err.contains("99") && err.contains(&SCHEMA_VERSION.to_string()), "{err}");
    assert!(err.contains("Upgrade genpath"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), before, "the file changed");
    assert!(!tmp.path().join("genpath.db-wal").exists());

    // And through the CLI: exit 2 with the same message.
    let ws = tmp.path();
    let o = common::run(ws, &["progress"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(common::stderr(&o).contains("schema version 99"), "{}", common::stderr(&o));
    assert_eq!(std::fs::read(&path).unwrap(), before, "the file changed");
}

#[test]
fn migrations_upgrade_an_old_database_in_place() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("genpath.db");
    {
        let s = Store::open(&path).unwrap();
        s.upsert_learner("ada", "Ada", None).unwrap();
    }
    let s = Store::open(&path).unwrap();
    assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
    let c = rusqlite::Connection::open(&path).unwrap();
    let mode: String = c.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
}

/// Study time: per exercise, the gaps between one attempt's end and the
/// next one's start, each counted up to half an hour; render time apart.
#[test]
fn study_time_counts_the_gaps_between_runs_up_to_a_break() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = Workspace::open(tmp.path()).unwrap();
    let mut store = ws.store().unwrap();
    let mut ids = Vec::new();
    for exercise in ["fluency.first-image", "fluency.first-image", "fluency.first-image", "fluency.seeds"] {
        let new = NewAttempt {
            learner: "learner",
            exercise: &exercise.parse().unwrap(),
            recipe_text: "x",
            backend: "builtin",
        };
        let id = store.begin_attempt(&new).unwrap();
        store.finish_attempt(id, &finished(1), |_| vec![]).unwrap();
        ids.push(id);
    }
    drop(store);
    // Attempt times set by hand: 10 s renders; 5 min, then a 3 h break, on one exercise; one attempt on another.
    let conn = rusqlite::Connection::open(tmp.path().join("genpath.db")).unwrap();
    for (id, start) in ids.iter().zip(["10:00:00", "10:05:10", "13:05:20", "10:00:00"]) {
        let end = chrono::NaiveTime::parse_from_str(start, "%H:%M:%S").unwrap() + chrono::Duration::seconds(10);
        conn.execute(
            "UPDATE attempts SET started_at = ?2, finished_at = ?3 WHERE id = ?1",
            rusqlite::params![id, format!("2026-11-29T{start}.000Z"), format!("2026-11-29T{end}.000Z")],
        )
        .unwrap();
    }
    drop(conn);
    let store = ws.store().unwrap();
    let study = store.study_seconds("learner").unwrap();
    assert!((study - (300.0 + genpath::store::STUDY_BREAK)).abs() < 0.01, "{study}");
}
