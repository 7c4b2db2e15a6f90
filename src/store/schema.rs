//! The database schema as a list of migrations; migration N brings a database
//! from `user_version` N-1 to N. Append only: never edit a released step.

pub const MIGRATIONS: &[&str] = &[
    // 1: the foundation.
    r#"
CREATE TABLE learners (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    email       TEXT,
    created_at  TEXT NOT NULL
);
CREATE TABLE cohorts (
    id          TEXT PRIMARY KEY,
    title       TEXT,
    created_at  TEXT NOT NULL
);
CREATE TABLE cohort_members (
    cohort_id   TEXT NOT NULL REFERENCES cohorts(id) ON DELETE CASCADE,
    learner_id  TEXT NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
    PRIMARY KEY (cohort_id, learner_id)
);
CREATE TABLE assignments (
    id          INTEGER PRIMARY KEY,
    exercise_id TEXT NOT NULL,
    cohort_id   TEXT REFERENCES cohorts(id) ON DELETE CASCADE,
    learner_id  TEXT REFERENCES learners(id) ON DELETE CASCADE,
    due_at      TEXT,
    note        TEXT,
    created_at  TEXT NOT NULL,
    CHECK ((cohort_id IS NULL) <> (learner_id IS NULL))
);
CREATE TABLE attempts (
    id            INTEGER PRIMARY KEY,
    learner_id    TEXT NOT NULL REFERENCES learners(id),
    exercise_id   TEXT NOT NULL,
    recipe_text   TEXT NOT NULL,
    recipe_sha256 TEXT NOT NULL,
    backend       TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('running','passed','failed','error','cancelled','interrupted')),
    score         INTEGER,
    cost          REAL NOT NULL DEFAULT 0,
    started_at    TEXT NOT NULL,
    finished_at   TEXT,
    -- wall time of a finished attempt, kept so progress needs no date arithmetic
    seconds       REAL,
    error         TEXT,
    pid           INTEGER
);
-- covers the progress query: a learner's stats never touch the table rows
CREATE INDEX attempts_by_learner ON attempts(learner_id, exercise_id, status, score, seconds, started_at, finished_at);
CREATE INDEX attempts_running ON attempts(status) WHERE status = 'running';
CREATE TABLE images (
    id          INTEGER PRIMARY KEY,
    attempt_id  INTEGER NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,
    idx         INTEGER NOT NULL,
    path        TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    width       INTEGER NOT NULL,
    height      INTEGER NOT NULL,
    seed        INTEGER,
    UNIQUE (attempt_id, idx)
);
CREATE TABLE check_results (
    id          INTEGER PRIMARY KEY,
    attempt_id  INTEGER NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,
    idx         INTEGER NOT NULL,
    check_name  TEXT NOT NULL,
    passed      INTEGER NOT NULL,
    value       REAL,
    threshold   REAL,
    severity    TEXT NOT NULL,
    message     TEXT NOT NULL,
    UNIQUE (attempt_id, idx)
);
CREATE INDEX check_results_by_name ON check_results(check_name, passed);
CREATE TABLE milestones (
    learner_id  TEXT NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
    stage_id    TEXT NOT NULL,
    attempt_id  INTEGER REFERENCES attempts(id),
    reached_at  TEXT NOT NULL,
    PRIMARY KEY (learner_id, stage_id)
);
CREATE TABLE hints (
    learner_id  TEXT NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
    exercise_id TEXT NOT NULL,
    revealed    INTEGER NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (learner_id, exercise_id)
);
CREATE TABLE stage_unlocks (
    learner_id  TEXT NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
    stage_id    TEXT NOT NULL,
    reason      TEXT NOT NULL,
    unlocked_at TEXT NOT NULL,
    PRIMARY KEY (learner_id, stage_id)
);
"#,
    // 2: pipelines — jobs keyed by the hash of their resolved recipe, and every backend call.
    r#"
CREATE TABLE pipeline_runs (
    id          INTEGER PRIMARY KEY,
    pipeline    TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    status      TEXT NOT NULL CHECK (status IN ('running','done','stopped','failed','interrupted')),
    message     TEXT,
    pid         INTEGER
);
CREATE TABLE pipeline_jobs (
    pipeline    TEXT NOT NULL,
    key         TEXT NOT NULL,
    idx         INTEGER NOT NULL,
    output      TEXT NOT NULL,
    recipe      TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('pending','submitted','done','failed','skipped')),
    tries       INTEGER NOT NULL DEFAULT 0,
    backend     TEXT,
    seed        INTEGER,
    sha256      TEXT,
    cost        REAL NOT NULL DEFAULT 0,
    seconds     REAL NOT NULL DEFAULT 0,
    checks      TEXT,
    error       TEXT,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (pipeline, key)
);
CREATE TABLE pipeline_calls (
    id          INTEGER PRIMARY KEY,
    pipeline    TEXT NOT NULL,
    key         TEXT NOT NULL,
    run_id      INTEGER REFERENCES pipeline_runs(id),
    backend     TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    outcome     TEXT,
    cost        REAL NOT NULL DEFAULT 0,
    price       REAL NOT NULL DEFAULT 0
);
CREATE INDEX pipeline_calls_by_pipeline ON pipeline_calls(pipeline, key);
"#,
    // 3: collected submissions (instructors) and the learner history they carry.
    r#"
CREATE TABLE submissions (
    id              INTEGER PRIMARY KEY,
    learner_id      TEXT NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
    exercise_id     TEXT NOT NULL,
    bundle_sha256   TEXT NOT NULL UNIQUE,
    bundle_name     TEXT NOT NULL,
    -- where the verified files were unpacked, relative to the workspace
    dir             TEXT NOT NULL,
    submitted_at    TEXT NOT NULL,
    collected_at    TEXT NOT NULL,
    due_at          TEXT,
    late            INTEGER NOT NULL,
    genpath_version TEXT NOT NULL,
    backend         TEXT NOT NULL,
    claimed_passed  INTEGER NOT NULL,
    -- the instructor's own re-check of the submitted images
    passed          INTEGER NOT NULL,
    score           INTEGER NOT NULL,
    -- NULL when not asked (`collect --reproduce`)
    reproduced      INTEGER,
    reproduce_note  TEXT
);
CREATE INDEX submissions_by_learner ON submissions(learner_id, exercise_id);
-- assignments reach learners through their cohorts
CREATE INDEX cohort_members_by_learner ON cohort_members(learner_id, cohort_id);
CREATE TABLE submission_checks (
    submission_id   INTEGER NOT NULL REFERENCES submissions(id) ON DELETE CASCADE,
    idx             INTEGER NOT NULL,
    check_name      TEXT NOT NULL,
    passed          INTEGER NOT NULL,
    value           REAL,
    threshold       REAL,
    message         TEXT NOT NULL,
    PRIMARY KEY (submission_id, idx)
);
-- a learner's attempts as their bundles reported them; `attempt` is the id in their workspace
CREATE TABLE learner_history (
    learner_id      TEXT NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
    exercise_id     TEXT NOT NULL,
    attempt         INTEGER NOT NULL,
    started_at      TEXT NOT NULL,
    status          TEXT NOT NULL,
    score           INTEGER,
    -- names of the checks that failed, comma-separated
    failed_checks   TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (learner_id, exercise_id, attempt, started_at)
) WITHOUT ROWID;
"#,
    // 4: a check result close to its line ("needs review") keeps its mark.
    r#"
ALTER TABLE check_results ADD COLUMN review INTEGER NOT NULL DEFAULT 0;
"#,
];

/// The schema version this binary writes and understands.
pub const VERSION: i64 = MIGRATIONS.len() as i64;
