//! One learner's HTML report (`genpath report --learner L --format html`):
//! their own layout, not a cohort of one — their path through the
//! curriculum with the status of every exercise, milestones with dates, each
//! exercise's submitted work with its evidence (images large, conditioning
//! inputs beside them, checks against thresholds, the answer), and the
//! feedback they were given.

use maud::{Markup, html};

use super::html::{checks_table, page, verdicts, work};
use super::{LearnerExercise, LearnerReport, Report, Sources, Status};
use crate::store::DecidedBy;

/// Images in this report are shown up to this size.
const LARGE: u32 = 512;

const STYLE: &str = "
.path { list-style: none; padding: 0; margin: 0; }
.stage { border: 1px solid var(--line); border-radius: 8px; padding: 8px 14px; margin: 10px 0; }
.stage h3 { margin: 2px 0 6px; font-size: 16px; }
.stage table { table-layout: fixed; }
.stage th:nth-child(1) { width: 40%; } .stage th:nth-child(2) { width: 20%; } .stage th:nth-child(3) { width: 12%; }
.stage th:nth-child(4), .stage th:nth-child(5) { width: 9%; }
.stage .reached { color: var(--pass); font-weight: 600; font-size: 13px; }
.dot { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin-right: 6px; background: var(--line); }
.dot.passed { background: var(--pass); } .dot.failed, .dot.missing { background: var(--fail); } .dot.pending { background: var(--warn); }
.exercise-work { margin-top: 16px; break-inside: avoid; }
.exercise-work + .exercise-work { border-top: 1px solid var(--line); padding-top: 8px; margin-top: 28px; }
.feedback { border-left: 3px solid #eedc9a; padding: 2px 12px; margin: 10px 0; }
";

fn status_word(x: Option<&LearnerExercise>) -> (&'static str, &'static str) {
    match x.map(|x| x.status) {
        Some(Status::Passed) => ("passed", "passed"),
        Some(Status::Failed) => ("failed", "failed"),
        Some(Status::Missing) => ("missing", "missing"),
        Some(Status::Pending) => ("pending", "assigned, not submitted"),
        Some(Status::None) | None => ("", "not started"),
    }
}

/// The score a learner's exercise stands at: the grade of record's when a
/// submission was collected (a reviewer's adjustment included), else the
/// best of their attempts.
fn score(x: Option<&LearnerExercise>) -> String {
    let x = x.and_then(|x| x.submission.as_ref().map(|s| s.score).or(x.best_score));
    x.map_or("-".to_string(), |s| s.to_string())
}

fn path(r: &Report, l: &LearnerReport) -> Markup {
    html! {
        ol.path {
            @for stage in &r.path {
                @let reached = l.milestones.iter().find(|m| m.stage == stage.id);
                li.stage {
                    h3 {
                        (stage.title)
                        @if let Some(m) = reached { " " span.reached { "✓ milestone reached " (m.reached_at.day()) } }
                    }
                    table {
                        thead { tr {
                            th { "Exercise" } th { "Status" } th { "Due" } th.num { "Attempts" } th.num { "Score" }
                            th { "Graded by" }
                        } }
                        tbody {
                            @for (id, title) in &stage.exercises {
                                @let x = l.exercises.iter().find(|x| &x.exercise == id);
                                @let (class, word) = status_word(x);
                                tr {
                                    td { (title) br; span.muted { (id) } }
                                    td {
                                        span class=(format!("dot {class}")) {}
                                        @if let Some(sub) = x.and_then(|x| x.submission.as_ref()) {
                                            a href=(format!("#s{}", sub.id)) { span class=(class) { (word) } }
                                        } @else {
                                            span class=(class) { (word) }
                                        }
                                        @if x.is_some_and(|x| x.late) { " " span.late { "late" } }
                                    }
                                    td { (x.and_then(|x| x.due).map_or("-".to_string(), |d| d.to_string())) }
                                    td.num { (x.map_or(0, |x| x.attempts)) }
                                    td.num { (score(x)) }
                                    td {
                                        @match x.and_then(|x| x.decided_by) {
                                            Some(DecidedBy::Reviewer) => "reviewer",
                                            Some(DecidedBy::Checks) => "re-check",
                                            None => "-",
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn feedback(r: &Report, l: &LearnerReport) -> Markup {
    let title = |id: &crate::id::ExerciseId| {
        r.path.iter().flat_map(|s| &s.exercises).find(|(e, _)| e == id).map_or(id.to_string(), |(_, t)| t.clone())
    };
    let given: Vec<_> = l
        .exercises
        .iter()
        .filter_map(|x| Some((x, x.submission.as_ref()?)))
        .filter(|(_, s)| s.reviewer.is_some() || s.checks.iter().any(|c| c.review.is_some()))
        .collect();
    html! {
        @if given.is_empty() { p.muted { "No reviewer has commented on this learner's work yet." } }
        @for (x, s) in given {
            div.feedback {
                p {
                    b { (title(&x.exercise)) } " "
                    span.muted {
                        @if let Some(r) = &s.reviewer { (r) } @else { "reviewer" }
                        @if let Some(t) = &s.reviewed_at { ", " (t.day()) }
                    }
                }
                (verdicts(s))
                @for c in s.checks.iter().filter(|c| c.review.is_some()) {
                    @if let Some(v) = &c.review {
                        p {
                            "On " code { (c.check) } ": " (v.grade.map_or("-".to_string(), |g| g.to_string()))
                            @if !v.comment.trim().is_empty() { (super::html::comment(&v.comment)) }
                        }
                    }
                }
            }
        }
    }
}

pub fn html(r: &Report, sources: &Sources<'_>) -> String {
    let Some(l) = r.learners.first() else {
        return page(&r.title, STYLE, html! { h1 { (r.title) } p { "No such learner in this workspace." } });
    };
    let title = format!("{} — {}", l.name, l.id);
    let on_path: Vec<_> = r.path.iter().flat_map(|s| &s.exercises).collect();
    let passed = l.exercises.iter().filter(|x| x.status == Status::Passed).count();
    let awaiting = l.exercises.iter().filter(|x| x.awaiting_review).count();
    let exercise_title = |x: &LearnerExercise| {
        on_path.iter().find(|(e, _)| *e == x.exercise).map_or(x.exercise.to_string(), |(_, t)| t.clone())
    };
    let body = html! {
        h1 { (title) }
        p.muted {
            "Progress report, made " (r.date) " with genpath " (env!("CARGO_PKG_VERSION"))
            @if let Some(e) = &r.exercise_filter { ", exercise " (e) }
            "."
        }
        p.note { (r.passed_means) }
        div.cards {
            div.card { b { (passed) " of " (on_path.len()) } "exercises passed" }
            div.card { b { (l.milestones.len()) " of " (r.path.len()) } "stage milestones" }
            div.card { b { (l.attempts) } "attempts" }
            div.card { b { (l.last_activity.map_or("-".to_string(), |t| t.day().to_string())) } "last activity" }
            @if !l.late.is_empty() { div.card { b.missing { (l.late.len()) } "late" } }
            @if !l.missing.is_empty() { div.card { b.missing { (l.missing.len()) } "missing" } }
            @if awaiting > 0 { div.card { b.review-flag { (awaiting) } "awaiting review" } }
        }
        h2 { "Path" }
        (path(r, l))
        h2 { "Milestones" }
        @if l.milestones.is_empty() { p.muted { "No stage milestone reached yet." } }
        ul {
            @for m in &l.milestones {
                @let stage = r.path.iter().find(|s| s.id == m.stage).map_or(m.stage.as_str(), |s| s.title.as_str());
                li { b { (stage) } " — " (m.reached_at.day()) }
            }
        }
        h2 { "Work" }
        @if l.exercises.iter().all(|x| x.submission.is_none()) { p.muted { "Nothing collected yet." } }
        @for x in &l.exercises {
            @if let Some(s) = &x.submission {
                section.exercise-work id=(format!("s{}", s.id)) {
                    h3 { (exercise_title(x)) " " span class=(status_word(Some(x)).0) { "· " (status_word(Some(x)).1) } }
                    p.muted {
                        code { (x.exercise) } " · submitted " (s.submitted_at.day()) " on " code { (s.backend) }
                        " · " (x.attempts) " attempt(s), " (x.submissions) " submission(s)"
                        @if let Some(n) = &s.reproduce_note { " · reproduction: " (n) }
                    }
                    (verdicts(s))
                    (work(&sources.files(&x.exercise, s), LARGE, &exercise_title(x), true))
                    h4 { "Evidence" }
                    (checks_table(&s.checks))
                }
            }
        }
        h2 { "Feedback received" }
        (feedback(r, l))
    };
    page(&title, STYLE, body)
}
