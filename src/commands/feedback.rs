//! `genpath feedback export|import|show`: an instructor's reviews carried
//! back to the learner in a file checked by its hash (`crate::feedback`),
//! and the learner's view of what they received.

use std::path::Path;

use anyhow::{Context, Result};

use super::{Env, UsageError};
use crate::hash::sha256_hex;
use crate::instructor::review;
use crate::store::{DecidedBy, Feedback, Grade, Imported, Scope};

/// Said when a learner asks for feedback and none was imported.
pub const NO_FEEDBACK: &str =
    "no feedback yet: when your instructor sends a feedback file, run `genpath feedback import FILE`";

/// `feedback export --cohort C | --learner L --out DIR` (instructors).
pub fn export(env: &Env, cohort: Option<&str>, learner: Option<&str>, out: &Path) -> Result<()> {
    let store = env.workspace.store()?;
    let scope = match (cohort, learner) {
        (Some(c), _) if store.cohort_exists(c)? => Scope::Cohort(c),
        (Some(c), _) => return Err(UsageError(format!("no cohort '{c}' (see `genpath cohort list`)")).into()),
        (None, Some(l)) if store.learner_exists(l)? => Scope::Learner(l),
        (None, Some(l)) => return Err(UsageError(format!("no learner '{l}' (see `genpath learner list`)")).into()),
        (None, None) => return Err(UsageError("name a cohort (--cohort) or a learner (--learner)".into()).into()),
    };
    std::fs::create_dir_all(out).with_context(|| format!("Failed to create {}", out.display()))?;
    let issued_by = &env.workspace.config.learner.name;
    let mut written = 0;
    for (id, _) in store.scope_learners(scope)? {
        let Some(body) = review::body_for(&store, &id, issued_by)? else {
            outln!("  {id}: nothing collected yet, no file");
            continue;
        };
        let path = out.join(crate::feedback::file_name(&id));
        crate::workspace::write_atomic(&path, &crate::feedback::write(&body))?;
        let reviewed =
            body.items.iter().filter(|f| f.record.by == DecidedBy::Reviewer || !f.comment.is_empty()).count();
        outln!("  {id}: {} submission(s), {reviewed} reviewed → {}", body.items.len(), path.display());
        written += 1;
    }
    outln!("wrote {written} feedback file(s); each learner runs `genpath feedback import FILE`");
    Ok(())
}

/// `feedback import FILE` (learners): verified whole before anything is written.
pub fn import(env: &Env, file: &Path) -> Result<()> {
    let meta = std::fs::metadata(file).with_context(|| format!("Failed to read {}", file.display()))?;
    let name = file.display().to_string();
    if meta.len() > crate::feedback::MAX_BYTES {
        return Err(crate::feedback::FeedbackError::TooLarge { path: name, bytes: meta.len() }.into());
    }
    let bytes = std::fs::read(file).with_context(|| format!("Failed to read {name}"))?;
    let body = crate::feedback::read(&name, &bytes)?;
    let mut store = env.workspace.store()?;
    let done = review::import(&mut store, &env.curriculum, env.learner(), &name, &sha256_hex(&bytes), &body)?;
    let count = |k: Imported| done.iter().filter(|(_, i)| *i == k).count();
    outln!(
        "feedback from {}: {} new, {} updated, {} already imported",
        body.issued_by,
        count(Imported::New),
        count(Imported::Updated),
        count(Imported::Unchanged) + count(Imported::Older)
    );
    for (f, how) in &done {
        if matches!(how, Imported::New | Imported::Updated) {
            outln!("  {} — {}", f.exercise, headline(f));
        }
    }
    outln!("read it with `genpath feedback show` or `genpath show EXERCISE`");
    Ok(())
}

/// `feedback show [EXERCISE]` (learners).
pub fn show(env: &Env, exercise: Option<&str>) -> Result<()> {
    let id = exercise.map(|q| env.curriculum.find(q).map(|e| e.id.to_string())).transpose()?;
    let items = env.workspace.store()?.feedback(id.as_deref())?;
    if items.is_empty() {
        outln!("{NO_FEEDBACK}");
    }
    for f in &items {
        outln!("{}", f.exercise);
        for line in lines(f) {
            outln!("  {line}");
        }
        outln!();
    }
    Ok(())
}

fn verdict(passed: bool) -> &'static str {
    if passed { "pass" } else { "FAIL" }
}

/// One line: the grade of record and who decided it, the automatic verdict beside it.
pub fn headline(f: &Feedback) -> String {
    let by = match f.record.by {
        DecidedBy::Reviewer => {
            format!("graded by {}", if f.reviewer.is_empty() { "your reviewer" } else { &f.reviewer })
        }
        DecidedBy::Checks => "the instructor's re-check".to_string(),
    };
    let adjusted = match f.score_adjust {
        0 => String::new(),
        a => format!(", {a:+} by the reviewer"),
    };
    format!(
        "{} {} ({by}); re-check said {} {}{adjusted}",
        verdict(f.record.passed),
        f.record.score,
        verdict(f.automatic_passed),
        f.automatic_score
    )
}

/// Everything a learner should read about one submission, as lines.
pub fn lines(f: &Feedback) -> Vec<String> {
    let attempt = f.attempt_number.map(|a| format!("attempt {a}, ")).unwrap_or_default();
    let mut out =
        vec![format!("{attempt}submitted {}; reviewed {}", f.submitted_at.day(), f.reviewed_at.day()), headline(f)];
    for line in f.comment.lines() {
        out.extend(crate::present::wrap(line, 76).into_iter().map(|l| format!("│ {l}")));
    }
    for c in &f.checks {
        let mark = match c.grade {
            Some(Grade::Pass) => "✓",
            Some(Grade::Fail) => "✗",
            None if c.passed => "✓",
            None => "✗",
        };
        let grade = c.grade.map(|g| format!(" — reviewer: {}", g.as_str())).unwrap_or_default();
        out.push(format!("{mark} {}{grade}: {}", c.check, c.message));
        for line in c.comment.lines() {
            out.extend(crate::present::wrap(line, 72).into_iter().map(|l| format!("    │ {l}")));
        }
    }
    out
}
