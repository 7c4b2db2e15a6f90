//! `genpath review [list|show|grade|clear]` (instructors): walk collected
//! submissions and record a person's judgment beside the automatic one. With
//! no subcommand the studio's review mode opens.

use anyhow::{Context, Result};

use super::{Env, UsageError};
use crate::cli::{ReviewCommand, ReviewFilterArgs, ReviewStatus};
use crate::store::{Grade, ReviewFilter, ReviewInput, Scope, Store, SubmissionDetail, Verdicts};

/// Said when a filter matches nothing.
pub const NOTHING_TO_REVIEW: &str = "no collected submissions match (collect bundles with `genpath collect DIR`)";

/// The scripting subcommands (the studio's review mode is `tui::review`).
pub fn run(env: &Env, action: ReviewCommand, filter: &ReviewFilterArgs) -> Result<()> {
    match action {
        ReviewCommand::List { json } => list(env, filter, json),
        ReviewCommand::Show { id, json } => show(env, id, json),
        ReviewCommand::Grade { id, pass, fail, automatic, adjust, comment, comment_file, check } => {
            let grade = match (pass, fail, automatic) {
                (true, _, _) => Some(Some(Grade::Pass)),
                (_, true, _) => Some(Some(Grade::Fail)),
                (_, _, true) => Some(None),
                _ => None,
            };
            let comment = match comment_file {
                Some(f) => {
                    Some(std::fs::read_to_string(&f).with_context(|| format!("Failed to read {}", f.display()))?)
                }
                None => comment,
            };
            grade_one(env, id, grade, adjust, comment.as_deref(), check.as_deref())
        }
        ReviewCommand::Clear { id } => {
            let mut store = env.workspace.store()?;
            if store.clear_review(id)? {
                outln!("submission {id}: review removed; the automatic verdict counts again");
            } else {
                outln!("submission {id} had no review");
            }
            Ok(())
        }
    }
}

/// The store's filter for the command line's, every name checked.
fn filter<'a>(store: &Store, f: &'a ReviewFilterArgs, exercise: Option<&'a str>) -> Result<ReviewFilter<'a>> {
    let scope = match (&f.cohort, &f.learner) {
        (Some(c), _) if !store.cohort_exists(c)? => {
            return Err(UsageError(format!("no cohort '{c}' (see `genpath cohort list`)")).into());
        }
        (Some(c), _) => Some(Scope::Cohort(c)),
        (None, Some(l)) if !store.learner_exists(l)? => {
            return Err(UsageError(format!("no learner '{l}' (see `genpath learner list`)")).into());
        }
        (None, Some(l)) => Some(Scope::Learner(l)),
        (None, None) => None,
    };
    Ok(ReviewFilter {
        scope,
        exercise,
        verdict: f.status.map(|s| match s {
            ReviewStatus::Passed => Verdicts::Passed,
            ReviewStatus::Failed => Verdicts::Failed,
        }),
        needs_review: f.needs_review,
    })
}

fn verdict(passed: bool) -> &'static str {
    if passed { "pass" } else { "fail" }
}

/// The review column: `?` awaits a person, the reviewer's grade, or `-`.
fn review_mark(s: &SubmissionDetail) -> String {
    match (&s.review, s.reviewed()) {
        (Some(r), _) => match r.grade {
            Some(g) => format!("graded {}", g.as_str()),
            None => "commented".into(),
        },
        (None, true) => "checks reviewed".into(),
        (None, false) if s.needs_review => "? needs review".into(),
        (None, false) => "-".into(),
    }
}

fn list(env: &Env, f: &ReviewFilterArgs, json: bool) -> Result<()> {
    let store = env.workspace.store()?;
    let exercise = f.exercise.as_deref().map(|q| env.curriculum.find(q).map(|e| e.id.to_string())).transpose()?;
    let rows = store.review_queue(&filter(&store, f, exercise.as_deref())?)?;
    if json {
        let rows: Vec<_> = rows.iter().map(|s| serde_json::json!({ "submission": s, "record": s.record() })).collect();
        outln!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    if rows.is_empty() {
        outln!("{NOTHING_TO_REVIEW}");
        return Ok(());
    }
    outln!(
        "{:>4}  {:<12} {:<28} {:<10}  {:<9}  {:<9}  review",
        "id",
        "learner",
        "exercise",
        "submitted",
        "re-check",
        "record"
    );
    for s in &rows {
        let r = s.record();
        outln!(
            "{:>4}  {:<12} {:<28} {:<10}  {:<9}  {:<9}  {}",
            s.id,
            s.learner,
            s.exercise.as_str(),
            s.submitted_at.day().to_string(),
            format!("{} {}", verdict(s.automatic_passed), s.automatic_score),
            format!("{} {}", verdict(r.passed), r.score),
            review_mark(s)
        );
    }
    let waiting = rows.iter().filter(|s| s.needs_review && !s.reviewed()).count();
    outln!("{} submission(s), {waiting} awaiting review (`genpath review show ID`)", rows.len());
    Ok(())
}

fn detail(store: &Store, id: i64) -> Result<SubmissionDetail> {
    store.submission_detail(id)?.ok_or_else(|| crate::store::ReviewError::NoSubmission(id).into())
}

fn show(env: &Env, id: i64, json: bool) -> Result<()> {
    let store = env.workspace.store()?;
    let s = detail(&store, id)?;
    let history = store.learner_history(&s.learner, s.exercise.as_str())?;
    let root = &env.workspace.root;
    let dir = root.join(&s.dir);
    let files = crate::instructor::review::submission_files(&dir);
    if json {
        let v = serde_json::json!({
            "submission": s, "record": s.record(), "history": history,
            "images": files.images, "inputs": files.inputs, "answer": files.answer,
        });
        outln!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    let e = env.curriculum.exercise(&s.exercise);
    outln!("submission {}: {} ({}) / {}", s.id, s.learner, s.learner_name, s.exercise);
    outln!(
        "submitted {} (attempt {}), collected {}{}, backend {}",
        s.submitted_at.day(),
        crate::present::attempt_number(s.attempt_number),
        s.collected_at.day(),
        if s.late { ", LATE" } else { "" },
        s.backend
    );
    if let Some(e) = e {
        outln!();
        outln!("Brief — {}", e.title);
        for line in e.brief.lines() {
            outln!("  {line}");
        }
    }
    outln!();
    let r = s.record();
    outln!(
        "Grade of record: {} {} (decided by {}); automatic re-check: {} {}; learner's machine said {}",
        verdict(r.passed),
        r.score,
        r.by.as_str(),
        verdict(s.automatic_passed),
        s.automatic_score,
        verdict(s.claimed_passed)
    );
    match (s.reproduced, &s.reproduce_note) {
        (Some(ok), note) => outln!(
            "Reproduction: {}{}",
            if ok { "reproduced" } else { "NOT reproduced" },
            note.as_deref().map(|n| format!(" — {n}")).unwrap_or_default()
        ),
        (None, _) => outln!("Reproduction: not asked (`genpath collect --reproduce`)"),
    }
    outln!();
    outln!("Checks:");
    for c in &s.checks {
        let mark = if c.needs_review {
            "?"
        } else if c.passed {
            "✓"
        } else {
            "✗"
        };
        let measured = match (c.value, c.threshold) {
            (Some(v), Some(t)) => format!(" {} / {}", crate::present::number(v), crate::present::number(t)),
            (Some(v), None) => format!(" {}", crate::present::number(v)),
            _ => String::new(),
        };
        outln!("  {mark} {}{measured}: {}", c.check, c.message);
        if let Some(rv) = &c.review {
            let g = rv.grade.map(|g| format!("graded {}", g.as_str())).unwrap_or_else(|| "commented".into());
            outln!(
                "      reviewer {}: {g}{}",
                rv.reviewer,
                if rv.comment.is_empty() { String::new() } else { format!(" — {}", rv.comment) }
            );
        }
    }
    if let Some(rv) = &s.review {
        outln!();
        outln!(
            "Review by {} on {}: {}{}",
            rv.reviewer,
            rv.reviewed_at.day(),
            rv.grade.map_or("no override".to_string(), |g| format!("graded {}", g.as_str())),
            if rv.score_adjust != 0 { format!(", score {:+}", rv.score_adjust) } else { String::new() }
        );
        for line in rv.comment.lines() {
            outln!("  │ {line}");
        }
    }
    outln!();
    outln!("Files ({}):", dir.display());
    if let Some(a) = &files.answer {
        outln!("  answer  {}", a.display());
    }
    for p in &files.inputs {
        outln!("  input   {}", p.display());
    }
    for p in &files.images {
        outln!("  image   {}", p.display());
    }
    if let Some(a) = &files.answer
        && let Ok(text) = std::fs::read_to_string(a)
    {
        outln!();
        outln!("Answer ({}):", a.file_name().map(|n| n.to_string_lossy()).unwrap_or_default());
        for line in text.lines() {
            outln!("  {line}");
        }
    }
    if !history.is_empty() {
        outln!();
        outln!("History on this exercise ({} attempt(s)):", history.len());
        for h in &history {
            let failed = if h.failed_checks.is_empty() {
                String::new()
            } else {
                format!(" — failed {}", h.failed_checks.join(", "))
            };
            outln!(
                "  #{:<4} {}  {:<9} {}{failed}",
                h.attempt,
                h.started_at.day(),
                h.status,
                h.score.map_or("-".into(), |s| s.to_string())
            );
        }
    }
    outln!();
    outln!("Grade it: genpath review grade {id} --pass|--fail [--adjust N] [--comment TEXT] [--check NAME]");
    Ok(())
}

fn grade_one(
    env: &Env,
    id: i64,
    grade: Option<Option<Grade>>,
    adjust: Option<i32>,
    comment: Option<&str>,
    check: Option<&str>,
) -> Result<()> {
    if grade.is_none() && adjust.is_none() && comment.is_none() {
        return Err(
            UsageError("say what to record: --pass, --fail, --automatic, --adjust N or --comment TEXT".into()).into()
        );
    }
    let reviewer = env.workspace.config.learner.name.clone();
    let mut store = env.workspace.store()?;
    match check {
        Some(name) => {
            if adjust.is_some() {
                return Err(UsageError("a score adjustment is for the whole submission, not one check".into()).into());
            }
            store.set_check_review(id, name, grade, comment, &reviewer)??;
        }
        None => {
            store.set_review(id, &ReviewInput { grade, score_adjust: adjust, comment, reviewer: &reviewer })??;
        }
    }
    let s = detail(&store, id)?;
    let r = s.record();
    outln!(
        "submission {id} ({} / {}): {} {} by {} (automatic: {} {})",
        s.learner,
        s.exercise,
        verdict(r.passed),
        r.score,
        r.by.as_str(),
        verdict(s.automatic_passed),
        s.automatic_score
    );
    Ok(())
}
