//! Markdown and CSV renderings of a report.

use std::fmt::Write as _;

use super::{LearnerExercise, Report, Sources, Status, SubmissionDrill};
use crate::time::Timestamp;

fn percent(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

fn or_dash(s: Option<&str>) -> &str {
    s.unwrap_or("-")
}

/// The UTC day of a time, or `-`.
fn day(t: Option<&Timestamp>) -> String {
    t.map_or("-".to_string(), |t| t.day().to_string())
}

/// Text from learners and bundles as inert Markdown: HTML is escaped (a
/// Markdown viewer renders raw `<script>`), so are the characters that make
/// emphasis, code, links and table cells, and line breaks become spaces.
fn cell_md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// The automatic verdict in a few words: "passed, 90" / "failed, 40".
pub(super) fn automatic(passed: bool, score: u32) -> String {
    format!("{}, {score}", if passed { "passed" } else { "failed" })
}

/// The reviewer's decision in a few words: "fail, -30", "+5", or `-` when none.
pub(super) fn reviewer_grade(grade: Option<crate::store::Grade>, adjust: i32) -> String {
    let adjust = (adjust != 0).then(|| format!("{adjust:+}"));
    match (grade, adjust) {
        (Some(g), Some(a)) => format!("{g}, {a}"),
        (Some(g), None) => g.to_string(),
        (None, Some(a)) => a,
        (None, None) => "-".into(),
    }
}

/// A value as checks print it.
pub(super) fn value(v: Option<f64>) -> String {
    match v {
        Some(x) if x.fract() == 0.0 && x.abs() < 1e9 => format!("{x:.0}"),
        Some(x) => format!("{x:.3}"),
        None => "-".into(),
    }
}

/// A fence longer than any run of backticks in `text`.
fn fence(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

/// A reviewer's Markdown comment as a block quote: their Markdown kept,
/// HTML made inert.
fn quote(comment: &str) -> String {
    comment
        .lines()
        .map(|l| format!("> {}", l.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")))
        .collect::<Vec<_>>()
        .join("\n")
}

/// One learner's submission of record, drilled into.
fn drill_md(out: &mut String, learner: &str, x: &LearnerExercise, s: &SubmissionDrill, sources: &Sources<'_>) {
    let _ = writeln!(
        out,
        "### {learner} · {} — {}{}\n",
        x.exercise,
        x.status.as_str(),
        if s.decided_by == crate::store::DecidedBy::Reviewer { " (reviewer's grade)" } else { "" }
    );
    let _ = writeln!(
        out,
        "Submitted {} on `{}`. Automatic re-check: {}. Reviewer: {}{}. Grade of record: {}, score {}.{}\n",
        s.submitted_at.day(),
        cell_md(&s.backend),
        automatic(s.automatic_passed, s.automatic_score),
        reviewer_grade(s.grade, s.score_adjust),
        s.reviewer.as_deref().map(|r| format!(" ({})", cell_md(r))).unwrap_or_default(),
        if s.passed { "passed" } else { "failed" },
        s.score,
        if x.awaiting_review { " **Needs review.**" } else { "" }
    );
    if let Some(c) = &s.comment {
        let _ = writeln!(out, "{}\n", quote(c));
    }
    if let Some(note) = &s.reproduce_note {
        let _ = writeln!(out, "Reproduction: {}\n", cell_md(note));
    }
    let failing: Vec<_> = s.failing().collect();
    if !failing.is_empty() {
        let _ = writeln!(out, "Failing checks:\n");
        for c in failing {
            let _ = writeln!(
                out,
                "- `{}` {} (threshold {}): {}",
                c.check,
                value(c.value),
                value(c.threshold),
                cell_md(&c.message)
            );
        }
        let _ = writeln!(out);
    }
    for c in s.checks.iter().filter(|c| c.review.is_some()) {
        let Some(v) = &c.review else { continue };
        let _ = writeln!(
            out,
            "Reviewer on `{}`: {}{}\n",
            c.check,
            v.grade.map_or("-".to_string(), |g| g.to_string()),
            if v.comment.trim().is_empty() { String::new() } else { format!("\n\n{}", quote(&v.comment)) }
        );
    }
    let files = sources.files(&x.exercise, s);
    for i in &files.inputs {
        let _ = writeln!(out, "- Input: {} `{}`", i.role, cell_md(&i.name));
    }
    if files.total_images > 0 {
        let _ = writeln!(out, "- Images: {} in `{}/images/`", files.total_images, cell_md(&s.dir));
    }
    if !files.inputs.is_empty() || files.total_images > 0 {
        let _ = writeln!(out);
    }
    if let Some((name, text)) = &files.answer {
        let f = fence(text);
        let _ = writeln!(out, "{}:\n\n{f}toml\n{}\n{f}\n", cell_md(name), text.trim_end());
    }
}

pub fn markdown(r: &Report, sources: &Sources<'_>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {} — progress report\n", cell_md(&r.title));
    let _ = writeln!(
        out,
        "Made {}{}.\n",
        r.date,
        r.exercise_filter.as_ref().map(|e| format!(", exercise {e}")).unwrap_or_default()
    );
    let _ = writeln!(out, "_{}_\n", r.passed_means);
    if r.needs_review > 0 {
        let _ = writeln!(out, "**Needs review:** {} submission(s) awaiting a person.\n", r.needs_review);
    }
    if let Some(f) = &r.most_failed {
        let _ = writeln!(
            out,
            "**Where the group is stuck:** `{}` in {} (failed in {} attempts).\n",
            f.check, f.exercise, f.failures
        );
    }
    let _ = writeln!(out, "## Learners\n");
    let _ = writeln!(out, "| Learner | Name | Milestones | Passed | Attempts | Last activity | Late | Missing |");
    let _ = writeln!(out, "|---|---|---|---|---:|---|---|---|");
    for l in &r.learners {
        let milestones: Vec<String> =
            l.milestones.iter().map(|m| format!("{} ({})", cell_md(&m.stage), day(Some(&m.reached_at)))).collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            l.id,
            cell_md(&l.name),
            if milestones.is_empty() { "-".into() } else { milestones.join(", ") },
            if l.passed.is_empty() { "-".into() } else { l.passed.join(", ") },
            l.attempts,
            day(l.last_activity.as_ref()),
            if l.late.is_empty() { "-".into() } else { l.late.join(", ") },
            if l.missing.is_empty() { "-".into() } else { l.missing.join(", ") },
        );
    }
    let _ = writeln!(out, "\n## Exercises\n");
    let _ = writeln!(
        out,
        "| Exercise | Pass rate | Passed | Median attempts to pass | Late | Needs review | Checks failing most |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---|");
    for e in &r.exercises {
        let failing: Vec<String> = e.failing_checks.iter().map(|f| format!("`{}` ×{}", f.check, f.failures)).collect();
        let _ = writeln!(
            out,
            "| {} | {} | {}/{} | {} | {} | {} | {} |",
            e.id,
            percent(e.pass_rate),
            e.passed,
            e.learners,
            e.median_attempts_to_pass.map(|m| format!("{m:.1}")).unwrap_or_else(|| "-".into()),
            e.late,
            e.needs_review,
            if failing.is_empty() { "-".into() } else { failing.join(", ") }
        );
    }
    let _ = writeln!(out, "\n## Detail\n");
    let _ = writeln!(
        out,
        "| Learner | Exercise | Status | Late | Due | Attempts | Best score | Reproduced | Automatic | Reviewer | Decided by | Needs review |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---:|---:|---|---|---|---|---|");
    for l in &r.learners {
        for x in &l.exercises {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                l.id,
                x.exercise,
                x.status.as_str(),
                if x.late { "late" } else { "-" },
                or_dash(x.due.map(|d| d.to_string()).as_deref()),
                x.attempts,
                x.best_score.map(|s| s.to_string()).unwrap_or_else(|| "-".into()),
                match x.reproduced {
                    Some(true) => "yes",
                    Some(false) => "no",
                    None => "-",
                },
                x.automatic_passed.zip(x.automatic_score).map_or("-".into(), |(p, s)| automatic(p, s)),
                reviewer_grade(x.grade, x.score_adjust),
                x.decided_by.map_or("-", |d| d.as_str()),
                if x.awaiting_review { "yes" } else { "-" },
            );
        }
    }
    let drilled: Vec<_> = r
        .learners
        .iter()
        .flat_map(|l| l.exercises.iter().filter_map(move |x| Some((l, x, x.submission.as_ref()?))))
        .collect();
    if !drilled.is_empty() {
        let _ = writeln!(out, "\n## Submissions\n");
        for (l, x, s) in drilled {
            drill_md(&mut out, &l.id, x, s, sources);
        }
    }
    out
}

/// Text from learners for a spreadsheet: a cell that starts like a formula
/// (`=`, `+`, `-`, `@`, tab, CR) gets a leading `'`, so opening the file in
/// a spreadsheet never runs it (OWASP's CSV injection advice).
fn cell_csv(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_string() }
}

/// One row per learner and exercise (a gradebook), with the exercise's pass
/// rate and most-failed check repeated on each row so a spreadsheet filter
/// shows them. Quoting is the `csv` crate's.
pub fn csv(r: &Report) -> String {
    let mut w = csv::Writer::from_writer(Vec::with_capacity(64 + r.learners.len() * r.exercises.len() * 120));
    let mut row = |fields: [String; 23]| {
        let _ = w.write_record(&fields);
    };
    row([
        "learner",
        "name",
        "exercise",
        "status",
        "late",
        "due",
        "attempts",
        "best_score",
        "attempts_to_pass",
        "reproduced",
        "last_activity",
        "milestones",
        "exercise_pass_rate",
        "exercise_most_failed_check",
        "needs_review",
        "automatic_verdict",
        "automatic_score",
        "score_of_record",
        "decided_by",
        "reviewer_grade",
        "score_adjust",
        "reviewer_comment",
        "failed_checks",
    ]
    .map(String::from));
    let by_id: std::collections::HashMap<&str, &super::ExerciseReport> =
        r.exercises.iter().map(|e| (e.id.as_str(), e)).collect();
    for l in &r.learners {
        let milestones: Vec<String> =
            l.milestones.iter().map(|m| format!("{}@{}", m.stage, day(Some(&m.reached_at)))).collect();
        let milestones = cell_csv(&milestones.join(" "));
        let name = cell_csv(&l.name);
        let last = l.last_activity.map(|t| t.day().to_string()).unwrap_or_default();
        for x in &l.exercises {
            let e = by_id.get(x.exercise.as_str());
            row([
                l.id.clone(),
                name.clone(),
                x.exercise.to_string(),
                x.status.as_str().to_string(),
                x.late.to_string(),
                x.due.map(|d| d.to_string()).unwrap_or_default(),
                x.attempts.to_string(),
                x.best_score.map(|s| s.to_string()).unwrap_or_default(),
                x.attempts_to_pass.map(|s| s.to_string()).unwrap_or_default(),
                x.reproduced.map(|b| b.to_string()).unwrap_or_default(),
                last.clone(),
                milestones.clone(),
                e.map(|e| format!("{:.3}", e.pass_rate)).unwrap_or_default(),
                e.and_then(|e| e.failing_checks.first()).map(|f| f.check.clone()).unwrap_or_default(),
                x.awaiting_review.to_string(),
                x.automatic_passed.map(|p| if p { "passed" } else { "failed" }.to_string()).unwrap_or_default(),
                x.automatic_score.map(|s| s.to_string()).unwrap_or_default(),
                x.submission.as_ref().map(|s| s.score.to_string()).unwrap_or_default(),
                x.decided_by.map(|d| d.as_str().to_string()).unwrap_or_default(),
                x.grade.map(|g| g.to_string()).unwrap_or_default(),
                if x.submission.is_some() { x.score_adjust.to_string() } else { String::new() },
                cell_csv(x.comment.as_deref().unwrap_or_default()),
                x.submission
                    .as_ref()
                    .map(|s| s.failing().map(|c| c.check.as_str()).collect::<Vec<_>>().join(";"))
                    .unwrap_or_default(),
            ]);
        }
        if l.exercises.is_empty() {
            row([
                l.id.clone(),
                name.clone(),
                String::new(),
                Status::None.as_str().to_string(),
                "false".into(),
                String::new(),
                "0".into(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                milestones.clone(),
                String::new(),
                String::new(),
                "false".into(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ]);
        }
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::cell_md;

    #[test]
    fn learner_text_is_inert_in_a_spreadsheet() {
        assert_eq!(super::cell_csv("=HYPERLINK(\"http://e\")"), "'=HYPERLINK(\"http://e\")");
        assert_eq!(super::cell_csv("-1+1"), "'-1+1");
        assert_eq!(super::cell_csv("Ada"), "Ada");
    }

    #[test]
    fn learner_text_is_inert_markdown() {
        assert_eq!(cell_md("<script>alert(1)</script>"), "&lt;script&gt;alert(1)&lt;/script&gt;");
        assert_eq!(cell_md("**bold** [x](http://e) `c` a|b"), "\\*\\*bold\\*\\* \\[x\\](http://e) \\`c\\` a\\|b");
        assert_eq!(cell_md("two\nlines\u{7}"), "two lines");
        assert_eq!(cell_md("Ada Lovelace-Byron"), "Ada Lovelace-Byron");
    }
}
