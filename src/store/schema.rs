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
    // 5: a learner's record on each exercise kept up to date by triggers, so
    // recording an attempt reads one row per exercise instead of the whole
    // history. The triggers run inside the statement that changes `attempts`:
    // the totals commit or roll back with it, and no writer can forget them.
    // The collected history is summed up the same way for the reports.
    r#"
CREATE TABLE exercise_stats (
    learner_id      TEXT NOT NULL,
    exercise_id     TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    best_score      INTEGER,
    passed          INTEGER NOT NULL,
    -- when the first passing attempt finished
    first_passed_at TEXT,
    -- when the latest attempt started
    last_at         TEXT,
    seconds         REAL NOT NULL,
    PRIMARY KEY (learner_id, exercise_id)
) WITHOUT ROWID;
INSERT INTO exercise_stats
    SELECT learner_id, exercise_id, COUNT(*), MAX(score), MAX(status = 'passed'),
           MIN(CASE WHEN status = 'passed' THEN finished_at END), MAX(started_at), COALESCE(SUM(seconds), 0)
    FROM attempts GROUP BY learner_id, exercise_id;

-- Scalar max()/min() are NULL when either side is, hence max(coalesce(a, b), coalesce(b, a)).
CREATE TRIGGER exercise_stats_insert AFTER INSERT ON attempts BEGIN
    INSERT INTO exercise_stats VALUES (
        NEW.learner_id, NEW.exercise_id, 1, NEW.score, NEW.status = 'passed',
        CASE WHEN NEW.status = 'passed' THEN NEW.finished_at END, NEW.started_at, COALESCE(NEW.seconds, 0))
    ON CONFLICT (learner_id, exercise_id) DO UPDATE SET
        attempts = attempts + 1,
        best_score = max(coalesce(best_score, excluded.best_score), coalesce(excluded.best_score, best_score)),
        passed = max(passed, excluded.passed),
        first_passed_at = min(coalesce(first_passed_at, excluded.first_passed_at),
                              coalesce(excluded.first_passed_at, first_passed_at)),
        last_at = max(coalesce(last_at, excluded.last_at), coalesce(excluded.last_at, last_at)),
        seconds = seconds + excluded.seconds;
END;

-- Finishing, abandoning or interrupting a running attempt: the old row added
-- nothing to the best score, the pass or its time, so the new one is added in.
CREATE TRIGGER exercise_stats_finish
AFTER UPDATE OF learner_id, exercise_id, status, score, started_at, finished_at, seconds ON attempts
WHEN OLD.learner_id = NEW.learner_id AND OLD.exercise_id = NEW.exercise_id AND OLD.started_at = NEW.started_at
     AND OLD.score IS NULL AND OLD.status <> 'passed'
BEGIN
    UPDATE exercise_stats SET
        best_score = max(coalesce(best_score, NEW.score), coalesce(NEW.score, best_score)),
        passed = max(passed, NEW.status = 'passed'),
        first_passed_at = CASE WHEN NEW.status = 'passed'
            THEN min(coalesce(first_passed_at, NEW.finished_at), coalesce(NEW.finished_at, first_passed_at))
            ELSE first_passed_at END,
        seconds = seconds + COALESCE(NEW.seconds, 0) - COALESCE(OLD.seconds, 0)
    WHERE learner_id = NEW.learner_id AND exercise_id = NEW.exercise_id;
END;

-- Any other change (genpath makes none; a hand edit might) counts the
-- exercise again from its own rows, through attempts_by_learner.
CREATE TRIGGER exercise_stats_change
AFTER UPDATE OF learner_id, exercise_id, status, score, started_at, finished_at, seconds ON attempts
WHEN NOT (OLD.learner_id = NEW.learner_id AND OLD.exercise_id = NEW.exercise_id AND OLD.started_at = NEW.started_at
          AND OLD.score IS NULL AND OLD.status <> 'passed')
BEGIN
    DELETE FROM exercise_stats WHERE learner_id = OLD.learner_id AND exercise_id = OLD.exercise_id;
    DELETE FROM exercise_stats WHERE learner_id = NEW.learner_id AND exercise_id = NEW.exercise_id;
    INSERT INTO exercise_stats
        SELECT learner_id, exercise_id, COUNT(*), MAX(score), MAX(status = 'passed'),
               MIN(CASE WHEN status = 'passed' THEN finished_at END), MAX(started_at), COALESCE(SUM(seconds), 0)
        FROM attempts
        WHERE (learner_id = OLD.learner_id AND exercise_id = OLD.exercise_id)
           OR (learner_id = NEW.learner_id AND exercise_id = NEW.exercise_id)
        GROUP BY learner_id, exercise_id;
END;

CREATE TRIGGER exercise_stats_delete AFTER DELETE ON attempts BEGIN
    DELETE FROM exercise_stats WHERE learner_id = OLD.learner_id AND exercise_id = OLD.exercise_id;
    INSERT INTO exercise_stats
        SELECT learner_id, exercise_id, COUNT(*), MAX(score), MAX(status = 'passed'),
               MIN(CASE WHEN status = 'passed' THEN finished_at END), MAX(started_at), COALESCE(SUM(seconds), 0)
        FROM attempts WHERE learner_id = OLD.learner_id AND exercise_id = OLD.exercise_id
        GROUP BY learner_id, exercise_id;
END;

-- The learner history summed up per learner and exercise, for the reports
-- (no foreign keys, like exercise_stats: a sum must never stop a database
-- from opening):
-- refreshed from the group's rows in the transaction that writes them
-- (Store::record_submission, Store::insert_history), so a report reads one
-- row per learner and exercise instead of every attempt.
CREATE TABLE history_stats (
    learner_id       TEXT NOT NULL,
    exercise_id      TEXT NOT NULL,
    attempts         INTEGER NOT NULL,
    best_score       INTEGER,
    -- when the first passing attempt started
    first_pass       TEXT,
    last             TEXT NOT NULL,
    -- attempts that started up to the first pass (0 while none passed)
    attempts_to_pass INTEGER NOT NULL,
    PRIMARY KEY (learner_id, exercise_id)
) WITHOUT ROWID;
-- how often each combination of failed checks occurs, per learner and exercise
CREATE TABLE history_failures (
    learner_id    TEXT NOT NULL,
    exercise_id   TEXT NOT NULL,
    failed_checks TEXT NOT NULL,
    attempts      INTEGER NOT NULL,
    PRIMARY KEY (learner_id, exercise_id, failed_checks)
) WITHOUT ROWID;
INSERT INTO history_stats
    SELECT h.learner_id, h.exercise_id, COUNT(*), MAX(h.score), f.first_pass, MAX(h.started_at),
           COALESCE(SUM(h.started_at <= f.first_pass), 0)
    FROM learner_history h LEFT JOIN
         (SELECT learner_id, exercise_id, MIN(started_at) AS first_pass FROM learner_history
          WHERE status = 'passed' GROUP BY learner_id, exercise_id) f
         ON f.learner_id = h.learner_id AND f.exercise_id = h.exercise_id
    GROUP BY h.learner_id, h.exercise_id;
INSERT INTO history_failures
    SELECT learner_id, exercise_id, failed_checks, COUNT(*) FROM learner_history
    WHERE failed_checks <> '' GROUP BY learner_id, exercise_id, failed_checks;

-- collect: cleaning up after a killed collect asks whether a folder's row was committed
CREATE INDEX submissions_by_dir ON submissions(dir);
-- a learner's assignments, direct or through a cohort (collect's due date, reports)
CREATE INDEX assignments_by_learner ON assignments(learner_id, exercise_id);
CREATE INDEX assignments_by_cohort ON assignments(cohort_id, exercise_id);
"#,
    // 6: a person's review of collected work (instructors), stages opened for
    // a cohort, and the feedback a learner imported. The automatic verdict
    // (`submissions.passed`) is never overwritten: a review sits beside it
    // and is the grade of record where it exists.
    r#"
-- the learner's own attempt id the bundle carried (NULL for work collected before this step)
ALTER TABLE submissions ADD COLUMN attempt INTEGER;
-- a person should look: a judgment write-up, or a check close to its line
ALTER TABLE submissions ADD COLUMN needs_review INTEGER NOT NULL DEFAULT 0;
ALTER TABLE submission_checks ADD COLUMN review INTEGER NOT NULL DEFAULT 0;
CREATE TABLE reviews (
    submission_id   INTEGER PRIMARY KEY REFERENCES submissions(id) ON DELETE CASCADE,
    -- NULL: commented on, no override of the automatic verdict
    grade           TEXT CHECK (grade IN ('pass','fail')),
    score_adjust    INTEGER NOT NULL DEFAULT 0,
    comment         TEXT NOT NULL DEFAULT '',
    reviewer        TEXT NOT NULL,
    reviewed_at     TEXT NOT NULL
);
CREATE TABLE check_reviews (
    submission_id   INTEGER NOT NULL,
    idx             INTEGER NOT NULL,
    grade           TEXT CHECK (grade IN ('pass','fail')),
    comment         TEXT NOT NULL DEFAULT '',
    reviewer        TEXT NOT NULL,
    reviewed_at     TEXT NOT NULL,
    PRIMARY KEY (submission_id, idx),
    FOREIGN KEY (submission_id, idx) REFERENCES submission_checks(submission_id, idx) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX submissions_needing_review ON submissions(needs_review) WHERE needs_review = 1;
CREATE TABLE cohort_unlocks (
    cohort_id       TEXT NOT NULL REFERENCES cohorts(id) ON DELETE CASCADE,
    stage_id        TEXT NOT NULL,
    unlocked_at     TEXT NOT NULL,
    PRIMARY KEY (cohort_id, stage_id)
) WITHOUT ROWID;
-- the learner's side: an instructor's review of one submitted bundle, as imported
CREATE TABLE feedback (
    bundle_sha256     TEXT PRIMARY KEY,
    exercise_id       TEXT NOT NULL,
    attempt           INTEGER,
    submitted_at      TEXT NOT NULL,
    automatic_passed  INTEGER NOT NULL,
    automatic_score   INTEGER NOT NULL,
    -- the grade of record as the instructor's report shows it
    passed            INTEGER NOT NULL,
    score             INTEGER NOT NULL,
    decided_by        TEXT NOT NULL CHECK (decided_by IN ('checks','reviewer')),
    grade             TEXT CHECK (grade IN ('pass','fail')),
    score_adjust      INTEGER NOT NULL,
    comment           TEXT NOT NULL,
    -- JSON: [{check, grade, comment}]
    checks            TEXT NOT NULL,
    reviewer          TEXT NOT NULL,
    reviewed_at       TEXT NOT NULL,
    file_sha256       TEXT NOT NULL,
    imported_at       TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX feedback_by_exercise ON feedback(exercise_id, reviewed_at);
"#,
    // 7: attempts are numbered per learner and exercise ("attempt 3 of
    // fluency.seeds"), the way a learner counts them; the row id stays the
    // internal key. A trigger numbers every new row whoever inserts it, in
    // the inserting statement, through the index (no scan of the history).
    r#"
ALTER TABLE attempts ADD COLUMN number INTEGER;
UPDATE attempts SET number = n.number
    FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY learner_id, exercise_id ORDER BY id) AS number FROM attempts) AS n
    WHERE n.id = attempts.id;
CREATE INDEX attempts_by_number ON attempts(learner_id, exercise_id, number);
CREATE TRIGGER attempts_number AFTER INSERT ON attempts WHEN NEW.number IS NULL BEGIN
    UPDATE attempts SET number = (SELECT COALESCE(MAX(number), 0) + 1 FROM attempts
                                  WHERE learner_id = NEW.learner_id AND exercise_id = NEW.exercise_id)
    WHERE id = NEW.id;
END;
-- the learner's numbers as their bundles carried them (NULL for older bundles)
ALTER TABLE submissions ADD COLUMN attempt_number INTEGER;
ALTER TABLE learner_history ADD COLUMN number INTEGER;
ALTER TABLE feedback ADD COLUMN attempt_number INTEGER;
"#,
];

/// The schema version this binary writes and understands.
pub const VERSION: i64 = MIGRATIONS.len() as i64;
